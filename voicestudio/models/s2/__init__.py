"""S2 (SoVITS): generator, discriminator, losses and weight-normalised convs (GPT-SoVITS v2)."""
