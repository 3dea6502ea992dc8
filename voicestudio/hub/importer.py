"""Install base models from files a person already has, instead of downloading them again.

Two sources: a GPT-SoVITS installation (its ``GPT_SoVITS/pretrained_models`` folder, which has
the same layout as the ``lj1995/GPT-SoVITS`` hub repository), and a local faster-whisper
(CTranslate2) model folder for speech recognition.

The checks are deliberately shallow — sizes, container formats, JSON that parses — because
loading weights is the model code's job; what they catch are the real-world mistakes: a
Git LFS pointer instead of the weights (cloned without ``git lfs``), an empty or truncated
file, a Transformers Whisper folder where a CTranslate2 one is needed. Files are hard-linked
when the source is on the same filesystem (gigabytes, instantly, no extra disk) and copied
otherwise, with byte progress and cancel.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import struct
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from voicestudio.errors import DiskFullError, JobCancelled, NotFoundError, UserInputError
from voicestudio.hub.catalogue import (
    GPTSOVITS_REPO,
    SPECS,
    BaseModelSpec,
    ModelFile,
    asr_spec_id,
    get_spec,
    required_ids,
)
from voicestudio.hub.install import staged_install
from voicestudio.hub.layout import PART_SUFFIX, install_dir
from voicestudio.hub.marker import InstalledModel, read_marker
from voicestudio.hub.meter import ByteMeter
from voicestudio.hub.status import model_state
from voicestudio.jobs import CancelToken, Progress, ProgressCallback, ignore_progress
from voicestudio.project.checksums import sha256_file
from voicestudio.project.disk import ensure_free_space, nearest_existing
from voicestudio.project.settings import base_models_dir

GPTSOVITS_IDS: tuple[str, ...] = tuple(s.id for s in SPECS.values() if s.repo_id == GPTSOVITS_REPO)
_LFS_POINTER = b"version https://git-lfs"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class ImportReport:
    """What an import did: installed models, models it skipped, and models it could not find."""

    installed: tuple[InstalledModel, ...]
    already_installed: tuple[str, ...]
    not_found: dict[str, str]  # spec id -> which files were missing


def check_file(path: Path, display: str | None = None) -> None:
    """Raise UserInputError when ``path`` cannot be the kind of file its name says it is."""
    display = display or str(path)
    size = path.stat().st_size
    if size == 0:
        raise UserInputError(f"{display} is empty.")
    with open(path, "rb") as fh:
        head = fh.read(64)
    if head.startswith(_LFS_POINTER):
        raise UserInputError(
            f"{display} is a Git LFS pointer, not the model itself (the folder was cloned "
            "without Git LFS). Run `git lfs pull` in that folder, or download the models.")
    suffix = path.suffix.lower()
    if suffix in (".ckpt", ".pth") or path.name == "pytorch_model.bin":
        _check_torch_file(path, head, display)
    elif suffix == ".safetensors":
        _check_safetensors(path, head, size, display)
    elif suffix == ".json":
        try:
            value = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError):
            raise UserInputError(f"{display} is not valid JSON (damaged or incomplete).") from None
        # Settings and tokenizers are objects; a vocabulary.json is a plain list.
        if ("config" in path.name or "tokenizer" in path.name) and not isinstance(value, dict):
            raise UserInputError(f"{display} does not hold the settings it should.")


def _check_torch_file(path: Path, head: bytes, display: str) -> None:
    if head.startswith(b"PK") or head[2:4] == b"\x03\x04":  # v2Pro marks "PK" with "05"
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, OSError):
            raise UserInputError(
                f"{display} is damaged or incomplete (its archive cannot be read).") from None
        if not any(n.endswith("/data.pkl") or n == "data.pkl" for n in names):
            raise UserInputError(f"{display} is an archive, but not a PyTorch checkpoint.")
    elif not head.startswith(b"\x80"):  # the legacy (pre-zip) torch.save format is a pickle
        raise UserInputError(f"{display} is not a PyTorch checkpoint.")


def _check_safetensors(path: Path, head: bytes, size: int, display: str) -> None:
    header_len = struct.unpack("<Q", head[:8])[0] if len(head) >= 8 else 0
    if not 2 <= header_len <= size - 8 or head[8:9] != b"{":
        raise UserInputError(f"{display} is not a safetensors file (damaged or incomplete).")


def _hard_link(src: Path, dst: Path) -> bool:
    """Link instead of copying gigabytes; False on another filesystem or where links fail."""
    try:
        os.link(src, dst)
    except OSError:
        return False
    return True


def _place(src: Path, dst: Path, link: bool, meter: ByteMeter, cancel: CancelToken,
           label: str) -> str:
    """Hard-link or copy ``src`` to ``dst``; returns the sha256 of what was placed."""
    if link and _hard_link(src, dst):
        return sha256_file(dst, lambda n: _tick(meter, cancel, n, label))
    digest = hashlib.sha256()
    part = dst.with_name(dst.name + PART_SUFFIX)
    try:
        with open(src, "rb") as inp, open(part, "wb") as out:
            while chunk := inp.read(_CHUNK):
                out.write(chunk)
                digest.update(chunk)
                _tick(meter, cancel, len(chunk), label)
            out.flush()
            os.fsync(out.fileno())
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise DiskFullError(f"The disk is full; {label} could not be imported. Free some "
                                "space and import again.") from exc
        raise UserInputError(f"Could not copy {src}: {exc.strerror or exc}.") from exc
    os.replace(part, dst)
    shutil.copystat(src, dst, follow_symlinks=True)
    return digest.hexdigest()


def _ensure_room(data_dir: Path, sources: Sequence[Path], link: bool) -> None:
    """Fail before copying when the files cannot fit (hard links on the same drive are free)."""
    target = base_models_dir(data_dir)
    device = nearest_existing(target).stat().st_dev
    needed = sum(p.stat().st_size for p in sources
                 if not (link and p.stat().st_dev == device))
    ensure_free_space(target, needed, "the import")


def _tick(meter: ByteMeter, cancel: CancelToken, n: int, label: str) -> None:
    if cancel.cancelled:
        raise JobCancelled("Import cancelled. Models finished before the cancel stay "
                           "installed; the source folder was not changed.")
    meter.advance(n, label)


def _install_from(
    data_dir: Path,
    spec: BaseModelSpec,
    sources: dict[str, Path],
    origin_folder: Path,
    meter: ByteMeter,
    cancel: CancelToken,
    link: bool,
) -> InstalledModel:
    """Place ``sources`` (install name -> source file) into staging and install them."""
    digests: dict[str, str] = {}
    with staged_install(data_dir, spec.id, "import",
                        origin={"folder": str(origin_folder), "linked": link}, sha256=digests,
                        file_origins={name: str(src) for name, src in sources.items()}
                        ) as staging:
        for name, src in sources.items():
            digests[name] = _place(src, staging / name, link, meter, cancel, f"{spec.id}/{name}")
        _tick(meter, cancel, 0, spec.id)
    return read_marker(install_dir(data_dir, spec.id))


# ---------------------------------------------------------------------------------------------
# GPT-SoVITS


def find_pretrained_root(folder: Path) -> Path:
    """The folder laid out like ``pretrained_models`` inside what the person pointed at.

    Accepts the GPT-SoVITS folder itself, its ``GPT_SoVITS`` subfolder, the
    ``pretrained_models`` folder, or a download of the ``lj1995/GPT-SoVITS`` repository.
    """
    folder = Path(folder).expanduser()
    if not folder.exists():
        raise NotFoundError(f"No folder at {folder}.")
    if not folder.is_dir():
        raise UserInputError(f"{folder} is a file; choose the GPT-SoVITS folder instead.")
    candidates = (folder / "GPT_SoVITS" / "pretrained_models", folder / "pretrained_models",
                  folder)
    for root in candidates:
        if any(_locate(root, f) for i in GPTSOVITS_IDS for f in SPECS[i].files):
            return root
    raise NotFoundError(
        f"No GPT-SoVITS v2 base models were found in {folder}. Choose the GPT-SoVITS folder "
        "(the one that contains GPT_SoVITS/pretrained_models) or its pretrained_models folder.")


def _locate(root: Path, f: ModelFile) -> Path | None:
    """Where ``f`` is under ``root``: upstream's path, or loose in the root (older layouts)."""
    repo_path = PurePosixPath(f.repo_path)
    candidates = [root.joinpath(*repo_path.parts)]
    if f.name.endswith((".ckpt", ".pth")):
        candidates.append(root / repo_path.name)
    for parent in {c.parent for c in candidates}:
        candidates += [parent / alt for alt in f.accepted_names]
    return next((c for c in candidates if c.is_file()), None)


def import_gptsovits(
    data_dir: Path,
    folder: Path,
    *,
    ids: Sequence[str] | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    link: bool = True,
    force: bool = False,
) -> ImportReport:
    """Install the v2, v2Pro and v2ProPlus base models found in a GPT-SoVITS folder.

    Without ``ids`` every family's models found are installed, and those of the family
    chosen in Settings that are absent are reported. Models already installed are kept
    unless ``force``; a tiny test set is replaced. Every
    file is checked before anything is placed, so a bad file stops the import with nothing
    half-installed.
    """
    data_dir = Path(data_dir)
    progress = progress or ignore_progress
    cancel = cancel or CancelToken()
    root = find_pretrained_root(folder)
    plans: list[tuple[BaseModelSpec, dict[str, Path]]] = []
    already, not_found = [], {}
    expected = required_ids()
    for spec_id in ids or GPTSOVITS_IDS:
        spec = get_spec(spec_id)
        if spec.repo_id != GPTSOVITS_REPO:
            raise UserInputError(f"{spec.title} is not part of GPT-SoVITS; use import-asr.")
        if not force and model_state(data_dir, spec_id).state == "installed":
            already.append(spec_id)
            continue
        found = {f: _locate(root, f) for f in spec.files}
        lost = [f.repo_path for f, path in found.items() if path is None]
        if lost:
            # other families' models are picked up when present, only reported when asked for
            if ids or spec_id in expected:
                not_found[spec_id] = ", ".join(lost)
            continue
        sources = {}
        for f, path in found.items():
            assert path is not None
            check_file(path)
            sources[path.name if path.name in f.accepted_names else f.name] = path
        plans.append((spec, sources))
    all_sources = [p for _, sources in plans for p in sources.values()]
    _ensure_room(data_dir, all_sources, link)
    meter = ByteMeter(sum(p.stat().st_size for p in all_sources), 0, progress, "Importing")
    installed = [_install_from(data_dir, spec, sources, root, meter, cancel, link)
                 for spec, sources in plans]
    progress(Progress(1.0, f"Imported {len(installed)} base model(s)."))
    return ImportReport(tuple(installed), tuple(already), not_found)


# ---------------------------------------------------------------------------------------------
# faster-whisper


_ASR_REQUIRED = ("model.bin", "config.json", "tokenizer.json")
_ASR_OPTIONAL = ("preprocessor_config.json",)
_VOCABULARIES = ("vocabulary.txt", "vocabulary.json")


def import_asr(
    data_dir: Path,
    folder: Path,
    name: str,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    link: bool = True,
) -> InstalledModel:
    """Install a local faster-whisper (CTranslate2) model folder as ``whisper-<name>``."""
    spec_id = asr_spec_id(name)
    folder = Path(folder).expanduser()
    if not folder.exists():
        raise NotFoundError(
            f"No folder at {folder}. Give the folder of a faster-whisper model (it holds "
            "model.bin, config.json, tokenizer.json and vocabulary.txt).")
    if not folder.is_dir():
        raise UserInputError(f"{folder} is a file; give the folder that holds model.bin.")
    present = {p.name for p in folder.iterdir() if p.is_file()}
    if "model.bin" not in present:
        if present & {"pytorch_model.bin", "model.safetensors"} or any(
                n.endswith(".pt") for n in present):
            raise UserInputError(
                f"{folder} holds a Transformers/OpenAI Whisper model, but VoiceStudio needs "
                "the faster-whisper (CTranslate2) conversion, such as Systran/faster-whisper-"
                "base. Convert it with ct2-transformers-converter or download that model.")
        raise UserInputError(
            f"{folder} is not a faster-whisper model folder: model.bin is missing (expected "
            "model.bin, config.json, tokenizer.json and vocabulary.txt).")
    missing = [n for n in _ASR_REQUIRED if n not in present]
    vocabulary = next((v for v in _VOCABULARIES if v in present), None)
    if vocabulary is None:
        missing.append("vocabulary.txt")
    if missing:
        raise UserInputError(
            f"{folder} is not a complete faster-whisper model: {', '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} missing.")
    names = [*_ASR_REQUIRED, vocabulary, *(n for n in _ASR_OPTIONAL if n in present)]
    for n in names:
        check_file(folder / n)
    with open(folder / "model.bin", "rb") as fh:
        if b"WhisperSpec" not in fh.read(64):
            raise UserInputError(
                f"{folder / 'model.bin'} is not a CTranslate2 Whisper model (a different model "
                "type, or a damaged file).")
    sources = {n: folder / n for n in names}
    progress = progress or ignore_progress
    _ensure_room(Path(data_dir), list(sources.values()), link)
    meter = ByteMeter(sum(p.stat().st_size for p in sources.values()), 0, progress, "Importing")
    model = _install_from(Path(data_dir), get_spec(spec_id), sources, folder, meter,
                          cancel or CancelToken(), link)
    progress(Progress(1.0, f"Imported speech recognition model “{spec_id[8:]}”."))
    return model
