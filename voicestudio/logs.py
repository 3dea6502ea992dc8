"""A rotating log file in the user's log folder, so a support request can attach it."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from voicestudio.project.settings import log_dir

LOG_FILE_NAME = "voicestudio.log"


def setup_logging(level: int = logging.INFO) -> Path | None:
    """Attach the rotating file handler once; returns the log path, or None if unwritable."""
    root = logging.getLogger()
    root.setLevel(level)
    path = log_dir() / LOG_FILE_NAME
    if any(getattr(h, "_voicestudio", False) for h in root.handlers):
        return path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=2_000_000, backupCount=5, encoding="utf-8"
        )
    except OSError:
        return None
    handler._voicestudio = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    return path
