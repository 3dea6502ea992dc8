"""Training state on disk: everything a run needs to continue exactly where it stopped.

A state file holds model weights, optimiser and scheduler states, the grad scaler, the
position in the epoch and every random generator, so that a resumed run computes the very
same next step as an uninterrupted one. It is written like every other save (temporary file,
fsync, rename), so a kill while saving leaves the previous state. It is read with
``torch.load(weights_only=True)``: a state file can come from anywhere a voice folder was
copied from, so it must not be able to run code — hence random states are stored as tensors
and plain numbers, never as the pickled objects Python and NumPy hand out.
"""

from __future__ import annotations

import pickle
import random
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

from voicestudio.errors import CorruptFileError, UserInputError
from voicestudio.project.atomic import atomic_writer


def capture_rng() -> dict[str, Any]:
    """Every random generator a training step draws from, as tensors and plain values."""
    py_version, py_state, py_gauss = random.getstate()
    np_kind, np_keys, np_pos, np_has_gauss, np_gauss = np.random.get_state(legacy=True)
    state: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "python": {
            "version": py_version,
            "state": torch.tensor(py_state, dtype=torch.int64),
            "gauss": py_gauss,
        },
        "numpy": {
            "kind": str(np_kind),
            "keys": torch.from_numpy(np.asarray(np_keys, dtype=np.int64)),
            "pos": int(np_pos),
            "has_gauss": int(np_has_gauss),
            "gauss": float(np_gauss),
        },
    }
    if torch.cuda.is_available():
        state["cuda"] = [t.cpu() for t in torch.cuda.get_rng_state_all()]
    return state


def restore_rng(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"].cpu())
    py = state["python"]
    random.setstate((py["version"], tuple(int(v) for v in py["state"].tolist()), py["gauss"]))
    np_state = state["numpy"]
    np.random.set_state(
        (
            np_state["kind"],
            np_state["keys"].numpy().astype(np.uint32),
            np_state["pos"],
            np_state["has_gauss"],
            np_state["gauss"],
        )
    )
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_training_state(path: Path, state: dict[str, Any]) -> None:
    """Write ``state`` atomically, streaming it to disk.

    A full-size S2 state (two networks and two Adam states) is over a gigabyte; building it
    in memory first would double the peak RAM of a training run.
    """
    path = Path(path)
    try:
        with atomic_writer(path) as out:
            torch.save(state, out)
    except OSError as exc:  # typically a full disk: the previous state is still there
        raise UserInputError(
            f"Could not save the training progress in {path.parent} ({exc.strerror or exc}). "
            "Free some disk space, then resume the training; the last saved progress is kept."
        ) from exc


def load_training_state(path: Path) -> dict[str, Any]:
    """Read a state file without executing pickled code; damage is a CorruptFileError."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            state = torch.load(fh, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise
    except (pickle.UnpicklingError, RuntimeError, EOFError, OSError, ValueError,
            zipfile.BadZipFile) as exc:
        raise CorruptFileError(
            f"The saved training progress in {path} is damaged, so this run cannot continue. "
            "Start a new training run; your recordings are not affected."
        ) from exc
    if not isinstance(state, dict):
        raise CorruptFileError(f"{path} is not a VoiceStudio training state.")
    return state


def remove_stale_temporaries(folder: Path) -> None:
    """Delete half-written ``.*.tmp`` files a killed save left behind (they are never read)."""
    if folder.is_dir():
        for leftover in folder.glob(".*.tmp"):
            leftover.unlink(missing_ok=True)
