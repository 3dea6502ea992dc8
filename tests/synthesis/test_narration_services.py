"""services.narration without rendering: the book's fixed reference, credits, lexicon."""

from __future__ import annotations

import pytest
from narration_fakes import CountingRenderer

from voicestudio.errors import UserInputError
from voicestudio.project.library import VoiceLibrary
from voicestudio.project.narration import NarrationProject, create_narration
from voicestudio.services import narration as service
from voicestudio.services.speech import ReferenceClip
from voicestudio.synthesis.narration import NarrationEngine
from voicestudio.synthesis.narration_export import export_narration
from voicestudio.text.lexicon import load_lexicon


@pytest.fixture
def voice(tiny_data_dir, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "base-models").symlink_to(tiny_data_dir / "base-models")
    return VoiceLibrary(data).create("Reader", ["en"])


def test_the_first_reference_is_kept_for_the_whole_book(voice, tmp_path):
    data_dir = voice.folder.parents[1]
    project = create_narration(voice, "Book")
    with pytest.raises(UserInputError, match="clean clips"):
        service.narration_engine(data_dir, voice, project, "cpu", use_recogniser=False)
    clip = tmp_path / "clip.wav"
    clip.write_bytes(b"RIFF")
    engine = service.narration_engine(data_dir, voice, project, "cpu",
                                      ReferenceClip(clip, "Hello there.", "en"), False)
    reopened = NarrationProject.open(project.folder)
    assert (reopened.settings.reference, reopened.settings.reference_text) == (
        str(clip), "Hello there.")
    again = service.narration_engine(data_dir, voice, reopened, "cpu", use_recogniser=False)
    assert again.renderer.identity == engine.renderer.identity  # same clip, same cache keys


def test_credits_files_for_inaudio_say_digital_voice(voice, tmp_path):
    project = create_narration(voice, "Book", "Ann Writer")
    project.settings.seed = 7
    project.add_chapter("One", "The sun rose over the hill.")
    service.ensure_credits(project)
    service.ensure_credits(project)  # once only
    assert [c.title for c in project.chapters] == ["Opening credits", "One", "Closing credits"]
    assert all("digital voice" in c.text for c in (project.chapters[0], project.chapters[2]))
    engine = NarrationEngine(project, CountingRenderer())
    for chapter in project.chapters:
        engine.render_chapter(chapter.id)
    result = export_narration(engine, tmp_path / "out", preset="spotify")
    assert [p.name for p in result.files] == ["01 Opening credits.mp3", "02 One.mp3",
                                              "03 Closing credits.mp3"]
    assert "separate files" in result.report_path.read_text()


def test_pronunciations_go_to_the_project_or_the_voice(voice):
    project = create_narration(voice, "Book")
    service.set_pronunciation(voice, project, "Nguyen", "N W IH1 N")
    service.set_pronunciation(voice, None, "Zoe", "Z OW1 IY0")
    assert load_lexicon(project.folder).entries == {"Nguyen": "N W IH1 N"}
    assert load_lexicon(voice.folder).entries == {"Zoe": "Z OW1 IY0"}
    service.set_pronunciation(voice, project, "Nguyen", "")
    assert load_lexicon(project.folder).entries == {}
    with pytest.raises(UserInputError, match="ARPAbet"):
        service.set_pronunciation(voice, project, "Nguyen", "QQ")
