"""Dataset features and S1/S2 fine-tuning. No Qt here.

The Train page and the CLI need only this much (see ``run.py`` for the full story)::

    from voicestudio.training import TrainingPlan, TrainingRun, TrainingProgress, PRESETS

    run = TrainingRun.start(voice, TrainingPlan(preset="standard"), data_dir)
    # or: TrainingRun.resume(voice, data_dir)   /   TrainingRun.unfinished(voice) -> [ids]
    version = run.run(progress, cancel, on_update)  # ModelVersion; JobCancelled when paused

``progress`` receives ``jobs.Progress`` (bar, message, ETA); ``on_update`` receives a
``TrainingProgress`` per step (stage, epoch, step, batch size, losses) for loss curves.
Names are resolved lazily so that importing this package (e.g. for the CLI's presets) does
not load torch.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "TrainingPlan": "voicestudio.training.run",
    "TrainingRun": "voicestudio.training.run",
    "TrainingProgress": "voicestudio.training.loop",
    "TrainingDataError": "voicestudio.training.batches",
    "PRESETS": "voicestudio.training.presets",
    "DEFAULT_PRESET": "voicestudio.training.presets",
    "Preset": "voicestudio.training.presets",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'voicestudio.training' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
