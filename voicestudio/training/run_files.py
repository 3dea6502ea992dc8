"""The files of a training run in ``<voice>/models/<version_id>/``, readable without torch.

The Train page asks "is there a paused run?" and redraws a paused run's loss curves on the
UI thread, before anything has loaded torch; ``training.run`` writes these same files.
"""

from __future__ import annotations

import json
from pathlib import Path

from voicestudio.project.voice import Voice

S2_EXPORT, S1_EXPORT = "s2.pth", "s1.ckpt"
LOSSES_FILE = "{stage}_losses.json"
SCORES_FILE = "scores.json"
STATE_DIR, PLAN_FILE, DATASET_FILE = "state", "plan.json", "dataset.json"
STAGES = ("s2", "s1")


def unfinished_runs(voice: Voice) -> list[str]:
    """Version ids of runs that were started and not finished, oldest first."""
    models_dir = voice.folder / "models"
    if not models_dir.is_dir():
        return []
    finished = {m.version_id for m in voice.manifest.models}
    return sorted(
        p.name for p in models_dir.iterdir()
        if (p / STATE_DIR / PLAN_FILE).is_file() and p.name not in finished
    )


def _read_list(path: Path) -> list:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return raw if isinstance(raw, list) else []


def read_loss_history(run_folder: Path) -> dict[str, list[dict[str, float]]]:
    """Losses of every step saved so far, per stage ("s2", "s1")."""
    return {stage: _read_list(run_folder / LOSSES_FILE.format(stage=stage)) for stage in STAGES}


def read_scores(run_folder: Path) -> list[dict]:
    """Every checkpoint score of the run so far (see ``training.scoring``)."""
    return _read_list(run_folder / SCORES_FILE)
