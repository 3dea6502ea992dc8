"""Content hashes of files: how a re-imported recording or a changed model file is recognised."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path


def sha256_file(
    path: Path, on_bytes: Callable[[int], None] | None = None, chunk_size: int = 1 << 20
) -> str:
    """Hex sha256 of a file, read in chunks; ``on_bytes`` is told how much was read (progress)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(chunk_size):
            digest.update(chunk)
            if on_bytes:
                on_bytes(len(chunk))
    return digest.hexdigest()
