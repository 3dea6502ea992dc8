"""GPT-SoVITS v2 models (S1, S2), feature extractors and checkpoint I/O. No Qt here."""
