"""What speaks for a voice: which model files and which reference clip (with its text).

The Try panel, ``voicestudio speak --voice``, narration and the Train page's try-out all ask
this module, so a voice sounds the same wherever it is heard:

* model files: the voice's active model version (chosen on the Train page or with
  ``voicestudio versions activate``, else the newest), or the base models while the voice is
  untrained (zero-shot);
* reference: a trained GPT-SoVITS voice still copies its delivery from a 3-10 s clip and its
  exact transcript, so the voice's own best clean segment is used unless the caller names
  another clip.

Torch and the dataset code are imported only when a decision is asked for, so the app can
import this module on its start-up path.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from voicestudio.errors import MissingModelError, UserInputError
from voicestudio.hub.families import FEATURE_IDS, voice_family
from voicestudio.hub.status import require
from voicestudio.project.voice import ModelVersion, Voice

if TYPE_CHECKING:
    from voicestudio.synthesis.pipeline import ModelFiles

# A trained voice brings its own S1/S2; these come from the base set either way.
FEATURE_MODELS = FEATURE_IDS


@dataclass(frozen=True)
class ReferenceClip:
    """A clip to copy the delivery from, with exactly what is said in it."""

    path: Path
    text: str
    lang: str | None = None  # None: unknown (the text's language is used)


@dataclass(frozen=True)
class VoiceSpeech:
    """Everything a synthesis needs to know about the voice it speaks in."""

    files: ModelFiles
    version: ModelVersion | None  # None: the base models speak (not trained yet)
    reference: ReferenceClip | None  # None: the voice has no usable clip of its own

    def require_reference(
        self, voice_name: str,
        how: str = "Choose a clip of the person speaking and type what is said in it.",
    ) -> ReferenceClip:
        """The voice's own clip, or a UserInputError ending in ``how`` to give one."""
        if self.reference is None:
            raise UserInputError(
                f"“{voice_name}” has no clean 3-10 s segment to copy the delivery from. {how}"
            )
        return self.reference

@dataclass(frozen=True)
class SpeakingModel:
    """Which model a try-out speaks with, when not simply the voice's active one: the base
    models (zero-shot, as before training), a saved version, or a run's voice model (S2)
    once that stage has finished, with the base text model (S1) until S1 is trained too."""

    label: str
    version_id: str | None = None  # a saved version
    run_s2: Path | None = None  # a run's finished S2 export
    base: bool = False  # the base models, even for a trained voice


ACTIVE_MODEL = SpeakingModel("The version that speaks for the voice")


def speech_for(
    data_dir: Path, voice: Voice, version_id: str | None = None,
    model: SpeakingModel = ACTIVE_MODEL,
) -> VoiceSpeech:
    """The model files and reference clip that speak for ``voice`` (its version
    ``version_id`` when given, for comparing versions; ``model`` for a try-out of another
    one). MissingModelError when a needed file is not there."""
    from dataclasses import replace

    from voicestudio.synthesis.pipeline import ModelFiles  # imports torch

    version_id = version_id or model.version_id
    version = None if model.base or model.run_s2 else (
        voice.model_version(version_id) if version_id else voice.active_version())
    if version is not None:
        files = ModelFiles.for_voice(data_dir, voice, version)
    else:
        files = ModelFiles.base(data_dir, voice_family(voice).id)
        if model.run_s2 is not None:
            if not model.run_s2.is_file():
                raise MissingModelError(
                    f"The voice model (S2) of this training run is gone: {model.run_s2}.")
            files = replace(files, s2=model.run_s2)
    return VoiceSpeech(files, version, voice_reference(voice))


def voice_reference(voice: Voice) -> ReferenceClip | None:
    """The voice's own best clean 3-10 s segment and its transcript, if it has one."""
    from voicestudio.project.segments import Dataset
    from voicestudio.services.dataset import best_reference  # imports torch

    segment = best_reference(Dataset.open(voice))
    if segment is None:
        return None
    return ReferenceClip(voice.folder / segment.audio_path, segment.text, segment.lang)


def missing_models(data_dir: Path, voice: Voice) -> str:
    """Why ``voice`` cannot speak yet ("" when it can), from the registry alone (no torch), so
    a page can say it as soon as the voice is shown."""
    family = voice_family(voice)
    needed = family.speech_ids if voice.active_version() is None else (
        (*FEATURE_MODELS, *((family.sv,) if family.sv else ())))
    for spec_id in needed:
        try:
            require(data_dir, spec_id)
        except MissingModelError:
            return ("The base models are not installed yet, so this voice cannot speak. "
                    "Install them once on the Base models page.")
    return ""
