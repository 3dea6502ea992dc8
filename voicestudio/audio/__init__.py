"""Sound in and out: decoding, resampling, loudness, slicing at silences, speech
recognition and per-segment quality checks. Plain Python and numpy; no Qt."""
