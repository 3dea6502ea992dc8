"""A voice's own settings, changed the same way from the Voices page, the Record page and the
command line.

Each window page and command holds its own ``Voice``, and saving writes the whole manifest.
So a setting is changed under the voice's lock on a copy read fresh from disk, never on the
caller's (possibly older) copy, and a job that holds the voice (training reads the accent
when it builds its dataset) refuses the change, with who holds it, instead of having the
setting move under it.
"""

from __future__ import annotations

from voicestudio.project.locks import voice_lock
from voicestudio.project.segments import Dataset
from voicestudio.project.voice import Voice


def change_accent(voice: Voice, accent: str) -> Voice:
    """Save how ``voice`` treats its speaker's pronunciation (``ACCENT_CHOICES``) and re-flag
    its segments to match; returns the voice as saved. Raises UserInputError for an unknown
    choice, VoiceInUseError while a job holds the voice.

    The segments' pronunciation flags were set by the old choice when each was recorded or
    corrected; left so, "standard pronunciation" would flag none of the accented clips
    already there, and "keep the way they speak" would keep flagging them.
    """
    with voice_lock(voice, "saving the accent setting", refused_as="changed"):
        fresh = Voice.open(voice.folder)
        if fresh.manifest.accent != accent:
            fresh.set_accent(accent)
            Dataset.open(fresh).apply_accent(accent)  # its save refreshes fresh's summary
    return fresh


def change_model_family(voice: Voice, family: str | None) -> Voice:
    """Save which GPT-SoVITS family (``MODEL_FAMILY_CHOICES``) ``voice`` speaks and trains
    with, None for the one chosen in Settings; returns the voice as saved. Raises
    UserInputError for an unknown family, VoiceInUseError while a job holds the voice.

    Training records the family it trained with; this is the choice before that (or, from
    the command line, for training a trained voice again in another family).
    """
    with voice_lock(voice, "saving the model family", refused_as="changed"):
        fresh = Voice.open(voice.folder)
        if fresh.manifest.model_family != family:
            fresh.set_model_family(family)
    return fresh
