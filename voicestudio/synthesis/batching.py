"""How many sentences S1 decodes at once.

Narration decodes with continuous batching (``models.s1.continuous``): this many rows advance
together, and a row whose sentence ends takes the next sentence at once, longest first. More
rows raise throughput on a CPU until the per-step work stops being bound by reading the
weights; eight is where upstream's batched path and ours were measured.
"""

from __future__ import annotations

DEFAULT_BATCH_SIZE = 8
