"""A voice's model versions: list, choose the one that speaks, delete, export, import.

Every training run becomes a version (``project.voice.ModelVersion``: date, preset, data
size, scores). Its two files are the official GPT-SoVITS v2 formats, so exporting is
copying them with names GPT-SoVITS shows in its model lists, plus a README on loading them
there; importing is the reverse, and turns such a pair (ours or anyone's) into a new voice.
Imported files are untrusted: both are opened with the safe loaders before anything is kept.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from voicestudio.errors import CorruptFileError, NotFoundError
from voicestudio.jobs import CancelToken, Progress, ProgressCallback, ProgressTracker
from voicestudio.project.disk import disk_full_error, ensure_free_space, is_disk_full
from voicestudio.project.library import VoiceLibrary
from voicestudio.project.locks import voice_lock
from voicestudio.project.voice import (
    IMPORTED_PRESET,
    ConsentRecord,
    ModelVersion,
    Voice,
    now_iso,
)
from voicestudio.training.run_files import S1_EXPORT, S2_EXPORT

README_NAME = "README.txt"


@dataclass(frozen=True)
class VersionRow:
    version: ModelVersion
    active: bool


def list_versions(voice: Voice) -> list[VersionRow]:
    """Newest first, with the one that speaks for the voice marked."""
    active = voice.active_version()
    return [VersionRow(v, active is not None and v.version_id == active.version_id)
            for v in reversed(voice.manifest.models)]


def activate_version(voice: Voice, version_id: str) -> ModelVersion:
    with voice_lock(voice, "choosing its model version", refused_as="changed"):
        fresh = Voice.open(voice.folder)
        fresh.set_active_version(version_id)
    return fresh.model_version(version_id)


def delete_version(voice: Voice, version_id: str) -> ModelVersion:
    """Remove a version and its files. Refused while the voice trains (its lock)."""
    with voice_lock(voice, "deleting a model version", refused_as="changed"):
        fresh = Voice.open(voice.folder)
        version = fresh.model_version(version_id)
        fresh.manifest.models = [m for m in fresh.manifest.models if m.version_id != version_id]
        if fresh.manifest.active_model == version_id:
            fresh.manifest.active_model = None  # the newest remaining one speaks
        fresh.save()  # the manifest first: a crash after it leaves only unused files
        folder = (fresh.folder / version.s2_path).parent
        if folder.parent == fresh.subfolder("models") and folder.is_dir():
            shutil.rmtree(folder)
    return version


def _file_stem(voice_name: str, version_id: str) -> str:
    safe = re.sub(r"[^\w\-]+", "_", voice_name, flags=re.UNICODE).strip("_") or "voice"
    return f"{safe}-{version_id}"


def export_version(voice: Voice, version_id: str, out_dir: Path) -> list[Path]:
    """Write ``<voice>-<id>.ckpt`` (GPT, S1) and ``<voice>-<id>.pth`` (SoVITS, S2) and a README
    into ``out_dir``; returns the written paths."""
    version = voice.model_version(version_id)
    sources = {".ckpt": voice.folder / version.s1_path, ".pth": voice.folder / version.s2_path}
    for path in sources.values():
        if not path.is_file():
            raise NotFoundError(f"The model file {path} of version {version_id} is missing.")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = _file_stem(voice.name, version_id)
    written = []
    for suffix, source in sources.items():
        target = out_dir / f"{stem}{suffix}"
        partial = target.with_name(target.name + ".partial")
        shutil.copyfile(source, partial)
        partial.replace(target)
        written.append(target)
    readme = out_dir / README_NAME
    readme.write_text(_readme(voice, version, stem), encoding="utf-8")
    written.append(readme)
    return written


def _readme(voice: Voice, version: ModelVersion, stem: str) -> str:
    scores = ""
    if "similarity" in version.scores:
        scores = (f"Checkpoint check: sounds {version.scores['similarity']:.0%} like the "
                  "person" + (f", {version.scores['wer']:.0%} of words misheard"
                              if "wer" in version.scores else "") + ".\n")
    return f"""{voice.name}, model version {version.version_id} (VoiceStudio)
Trained {version.created[:10]}, preset {version.preset}, {version.data_seconds:.0f} s of speech.
{scores}
These are GPT-SoVITS v2 model files:
  {stem}.ckpt  the GPT (S1) model: text to speech tokens
  {stem}.pth   the SoVITS (S2) model: speech tokens to sound

To use them in GPT-SoVITS (v2):
  1. Copy {stem}.ckpt into the GPT_weights_v2 folder and {stem}.pth into the
     SoVITS_weights_v2 folder of your GPT-SoVITS installation.
  2. Start the WebUI, open the inference tab, press "refresh models", and choose the two
     files in the GPT and SoVITS model lists (model version v2).
  3. Give a 3-10 s reference clip of the same voice and exactly what is said in it.

Only use this voice with the consent of the person it belongs to.
"""


def import_version(
    data_dir: Path, name: str, s1_file: Path, s2_file: Path, languages: list[str],
    consent: ConsentRecord | None = None, progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> tuple[Voice, ModelVersion]:
    """A new voice speaking with a GPT-SoVITS ``.ckpt`` + ``.pth`` pair (checked first).

    The voice records the model family the SoVITS file belongs to (v2, v2Pro, v2ProPlus):
    a v2Pro pair speaks with the speaker-verification model whatever Settings chooses for
    new voices. Nothing is left behind when the pair is refused, cancelled or cannot be
    copied: the voice appears only with its models.
    """
    from voicestudio.hub.families import family_for_s2_version
    from voicestudio.models.s1 import load_s1_checkpoint
    from voicestudio.models.s2 import load_s2_checkpoint

    tracker = ProgressTracker(progress, cancel)
    s1_file, s2_file = Path(s1_file), Path(s2_file)
    for path, what in ((s1_file, "GPT (.ckpt)"), (s2_file, "SoVITS (.pth)")):
        if not path.is_file():
            raise NotFoundError(f"The {what} file {path} does not exist.")
    library = VoiceLibrary(Path(data_dir))
    library.check_new_name(name)  # before seconds of loading, not after
    ensure_free_space(library.voices_dir, s1_file.stat().st_size + s2_file.stat().st_size,
                      "the imported model files")
    tracker.report(0.0, f"Checking the GPT file {s1_file.name}")
    try:
        load_s1_checkpoint(s1_file, "cpu")
        tracker.report(0.4, f"Checking the SoVITS file {s2_file.name}")
        s2 = load_s2_checkpoint(s2_file, "cpu")
    except (RuntimeError, ValueError, KeyError) as exc:
        raise CorruptFileError(
            f"{s1_file.name} and {s2_file.name} are not a GPT-SoVITS model pair ({exc})."
        ) from exc
    family = family_for_s2_version(s2.config.version).id
    del s2
    # The copy (seconds for real models) goes to a hidden folder the library does not list;
    # the voice is made only once both files are in, and the folder moved into it, so a
    # crash or a full disk mid-copy never leaves a voice with half a model.
    staging = library.voices_dir / f".importing-{uuid.uuid4().hex}"
    try:
        staging.mkdir(parents=True)
        tracker.report(0.7, f"Copying {s1_file.name}")
        shutil.copyfile(s1_file, staging / S1_EXPORT)
        tracker.report(0.85, f"Copying {s2_file.name}")
        shutil.copyfile(s2_file, staging / S2_EXPORT)
        tracker.report(0.95, "Making the new voice")
        voice, version = _voice_from_staged(library, staging, name, languages, consent,
                                            family, f"{s1_file.name} and {s2_file.name}")
    except BaseException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if is_disk_full(exc, library.voices_dir):
            raise disk_full_error(library.voices_dir, what=f": “{name}” was not "
                                  "imported") from exc
        raise
    if progress is not None:  # done: a cancel arriving now has nothing left to stop
        progress(Progress(1.0, f"“{voice.name}” speaks with {s1_file.name} and {s2_file.name}"))
    return voice, version


def _voice_from_staged(library: VoiceLibrary, staging: Path, name: str, languages: list[str],
                       consent: ConsentRecord | None, family: str, sources: str,
                       ) -> tuple[Voice, ModelVersion]:
    """A new voice whose first version is the staged model folder (moved, not copied)."""
    voice = library.create(name, languages, consent)
    try:
        version_id = "imported-" + datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        os.replace(staging, voice.subfolder("models") / version_id)  # create() made it
        version = ModelVersion(
            version_id, now_iso(), IMPORTED_PRESET, 0.0, f"models/{version_id}/{S1_EXPORT}",
            f"models/{version_id}/{S2_EXPORT}", notes=f"imported from {sources}")
        voice.manifest.model_family = family
        voice.add_model_version(version)
    except BaseException:
        shutil.rmtree(voice.folder, ignore_errors=True)  # made by this call, half filled
        raise
    return voice, version
