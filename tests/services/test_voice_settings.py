"""A voice's accent setting changed after its clips exist (the Voices page, ``voices accent``):
saved from a fresh copy of the voice, the clips re-flagged to match, refused while a job
holds the voice."""

from __future__ import annotations

import pytest
from held_jobs import running_elsewhere
from segment_voice import make_segmented_voice

from voicestudio.audio.quality import QualityFlag
from voicestudio.errors import UserInputError
from voicestudio.project.atomic import atomic_write_json
from voicestudio.project.locks import VoiceInUseError
from voicestudio.project.segments import Dataset
from voicestudio.project.voice import ACCENT_KEEP, ACCENT_STANDARD, ConsentRecord, Voice
from voicestudio.services.voice_settings import change_accent, change_model_family

PRONUNCIATION = str(QualityFlag.PRONUNCIATION)


@pytest.fixture
def voice(tmp_path) -> Voice:
    """Four clips kept with their standard text; recognition heard the first one said the
    speaker's own way ("mornin") and the second one wrong (a recogniser's mistake)."""
    voice = make_segmented_voice(tmp_path)
    dataset = Dataset.open(voice)
    dataset.index.segments[0].heard_text = "the lake was calm that mornin"
    dataset.index.segments[1].heard_text = "grandfather sold us to the island"
    atomic_write_json(dataset.index_path, dataset.index.to_json())
    return Voice.open(voice.folder)


def flags(voice: Voice) -> list[list[str]]:
    return [segment.flags for segment in Dataset.open(voice).segments]


def test_a_new_accent_setting_is_saved_and_the_clips_already_there_follow_it(voice):
    before = flags(voice)
    assert voice.manifest.accent == ACCENT_KEEP and not any(PRONUNCIATION in f for f in before)

    saved = change_accent(voice, ACCENT_STANDARD)
    assert Voice.open(voice.folder).manifest.accent == ACCENT_STANDARD == saved.manifest.accent
    after = flags(voice)
    assert after[0] == before[0] + [PRONUNCIATION]  # said the speaker's own way: flagged
    assert after[1:] == before[1:]  # a recogniser's mistake is not the speaker's accent
    assert saved.manifest.dataset.flagged == sum(1 for f in after if f)

    back = change_accent(saved, ACCENT_KEEP)
    assert back.manifest.accent == ACCENT_KEEP and flags(voice) == before


def test_an_older_copy_of_the_voice_does_not_undo_what_was_saved_since(voice):
    """Each page holds its own copy of the voice; changing the accent from an old one must
    not write back that copy's stale manifest (here: consent given meanwhile)."""
    elsewhere = Voice.open(voice.folder)
    elsewhere.manifest.consent = ConsentRecord(
        speaker=voice.name, given_by="Rose (granddaughter)", statement="Yes.")
    elsewhere.save()
    saved = change_accent(voice, ACCENT_STANDARD)
    assert saved.manifest.consent is not None
    assert Voice.open(voice.folder).manifest.consent.given_by == "Rose (granddaughter)"


def test_a_voice_a_job_holds_keeps_its_setting_and_says_why(voice):
    before = flags(voice)
    with running_elsewhere(f"Training “{voice.name}”", voice, "training"):
        with pytest.raises(VoiceInUseError, match="cannot be changed now"):
            change_accent(voice, ACCENT_STANDARD)
    assert Voice.open(voice.folder).manifest.accent == ACCENT_KEEP
    assert flags(voice) == before


def test_a_model_family_is_chosen_and_given_back_to_settings_from_a_fresh_copy(voice):
    older = Voice.open(voice.folder)
    saved = change_model_family(voice, "v2Pro")
    assert Voice.open(voice.folder).manifest.model_family == "v2Pro" == saved.manifest.model_family
    assert change_model_family(older, None).manifest.model_family is None  # Settings decides
    with pytest.raises(UserInputError, match="Unknown model family"):
        change_model_family(voice, "v3")
    with running_elsewhere(f"Training “{voice.name}”", voice, "training"):
        with pytest.raises(VoiceInUseError, match="cannot be changed now"):
            change_model_family(voice, "v2ProPlus")
    assert Voice.open(voice.folder).manifest.model_family is None
