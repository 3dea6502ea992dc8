"""Where base models live on disk, and the cheap scans of that folder.

Layout (Transformers-like: a folder per model and a small JSON that says what it is)::

    <data-dir>/base-models/
        s1-v2/s1.ckpt                   GPT-SoVITS v2 S1 (text -> semantic tokens)
        s2g-v2/s2G.pth                  GPT-SoVITS v2 S2 generator (SoVITS)
        s2d-v2/s2D.pth                  GPT-SoVITS v2 S2 discriminator (fine-tuning only)
        s1-v2pro/s1.ckpt                v2Pro/v2ProPlus S1 (upstream s1v3.ckpt)
        s2g-v2pro/, s2d-v2pro/          v2Pro S2 generator / discriminator (s2G.pth, s2D.pth)
        s2g-v2proplus/, s2d-v2proplus/  the same for v2ProPlus
        sv/sv.ckpt                      ERes2NetV2 speaker verification (v2Pro families)
        speaker-encoder/encoder.pt      GE2E speaker check (from the resemblyzer wheel on PyPI)
        hubert/{config.json, preprocessor_config.json, pytorch_model.bin}
        bert/{config.json, tokenizer.json, pytorch_model.bin}
        whisper-base/{config.json, model.bin, tokenizer.json, vocabulary.txt}
        <id>/model.json                 written last: the folder is installed only if it exists
        .incoming/<id>/                 downloads in progress (``*.part`` files, resumable)
        .locks/<id>.lock                one install of a model at a time (OS file locks)

The folder is named after the spec id, not after upstream's paths, so code asks for
``require(data_dir, "s1-v2")`` and never spells an upstream file name; the checkpoint files
get short role names because upstream's (``s1bert25hz-5kh-longer-epoch=12-step=369668.ckpt``)
carry training step counts that mean nothing to a person, and would be a lie for the tiny
random set. ``model.json`` records where every file came from (repo path, commit or folder).
The HuBERT, BERT and Whisper folders keep upstream's names because ``transformers`` and
``faster-whisper`` load them by those names.
"""

from __future__ import annotations

import os
from pathlib import Path

from voicestudio.project.settings import base_models_dir

MARKER_NAME = "model.json"
STAGING_DIRNAME = ".incoming"
LOCKS_DIRNAME = ".locks"
PART_SUFFIX = ".part"


def install_dir(data_dir: Path, spec_id: str) -> Path:
    return base_models_dir(Path(data_dir)) / spec_id


def staging_dir(data_dir: Path, spec_id: str, purpose: str = "download") -> Path:
    """Where an install of ``spec_id`` collects its files before it is installed.

    Downloads use ``.incoming/<id>`` (kept between attempts, for resume); imports and the
    tiny set use ``.incoming/<id>.<purpose>`` so that they never disturb resumable parts.
    """
    name = spec_id if purpose == "download" else f"{spec_id}.{purpose}"
    return base_models_dir(Path(data_dir)) / STAGING_DIRNAME / name


def lock_path(data_dir: Path, spec_id: str) -> Path:
    return base_models_dir(Path(data_dir)) / LOCKS_DIRNAME / f"{spec_id}.lock"


def bytes_in(folder: Path) -> int:
    """The size of the files directly in ``folder`` (0 when it cannot be read)."""
    try:
        return sum(p.stat().st_size for p in folder.iterdir() if p.is_file())
    except OSError:
        return 0


def installed_signature(data_dir: Path) -> tuple[tuple[str, int], ...]:
    """What is installed, cheaply: each model folder with its marker's change time.

    The app polls this to notice installs and removals made outside it (a command run in a
    terminal while the window is open) without re-reading every marker.
    """
    folder = base_models_dir(Path(data_dir))
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return ()
    found = []
    for entry in entries:
        if entry.name.startswith(".") or not entry.is_dir():
            continue
        try:
            found.append((entry.name, os.stat(Path(entry.path) / MARKER_NAME).st_mtime_ns))
        except OSError:
            found.append((entry.name, 0))
    return tuple(found)
