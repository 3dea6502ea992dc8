"""Dataset features and S1/S2 fine-tuning. No Qt here."""
