"""One heavy job at a time: every heavy service claims the one slot, a second job is refused
with the name of the running one, and a voice a heavy job uses cannot be renamed or deleted
(its lock says by what), while another voice can."""

from __future__ import annotations

import gc
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from held_jobs import held_elsewhere, running_elsewhere

from voicestudio.project.library import VoiceLibrary
from voicestudio.project.locks import BusyError, VoiceInUseError, voice_in_use, voice_lock
from voicestudio.project.segments import Dataset
from voicestudio.services.dataset import add_recordings, build_dataset
from voicestudio.services.heavy_jobs import HEAVY_JOBS, HeavyJob
from voicestudio.services.list_import import import_list
from voicestudio.services.narration import render_book


@pytest.fixture
def library(tmp_path) -> VoiceLibrary:
    library = VoiceLibrary(tmp_path / "data")
    library.create("Rose", ["en"])
    library.create("Lily", ["en"])
    return library


def test_a_second_heavy_job_is_refused_naming_the_first_and_may_start_after_it(library):
    rose = library.find("Rose")
    with running_elsewhere("Training “Rose”", rose, "training"):
        assert HEAVY_JOBS.running.voice_id == rose.manifest.id
        assert "Training “Rose” is running" in HEAVY_JOBS.refusal()
        with pytest.raises(BusyError, match="Training “Rose” is running"):
            with HEAVY_JOBS.claim("Narrating “Tale”"):
                pytest.fail("a second heavy job started")
    assert HEAVY_JOBS.running is None and HEAVY_JOBS.refusal() is None
    with HEAVY_JOBS.claim("Narrating “Tale”") as job:
        # the job's own steps (a training computing its features) claim again and pass
        with HEAVY_JOBS.claim("Preparing “Rose” for training", rose) as inner:
            assert inner is HEAVY_JOBS.running and inner.description == job.description
            assert inner.voice_id == rose.manifest.id  # the inner claim named the voice
        assert HEAVY_JOBS.refusal() is None  # nothing refuses the job itself
        assert HEAVY_JOBS.running is not None
    assert HEAVY_JOBS.running is None


def test_every_heavy_service_is_refused_while_a_training_runs_and_changes_nothing(
        library, tmp_path):
    data_dir = library.data_dir
    rose, lily = library.find("Rose"), library.find("Lily")
    clip = tmp_path / "take.wav"
    sf.write(clip, (0.1 * np.sin(np.arange(48000) * 0.05)).astype(np.float32), 16000)
    training_list = tmp_path / "voice.list"
    training_list.write_text(f"{clip}|someone|en|Hello there.\n", encoding="utf-8")

    class Engine:  # what render_book drives; a refused render never reaches it
        class project:
            title = "Tale"

        def __init__(self) -> None:
            self.rendered: list[str] = []

        def render_chapter(self, chapter_id, progress=None, cancel=None):
            self.rendered.append(chapter_id)

    engine = Engine()
    jobs = {
        "adding recordings": lambda: add_recordings(data_dir, "Rose", [clip]),
        "computing features": lambda: build_dataset(data_dir, "Rose", "cpu"),
        "importing a list": lambda: import_list(data_dir, "Iris", training_list),
        "rendering a chapter": lambda: render_book(rose, engine, ["one"]),
    }
    with running_elsewhere("Training “Lily”", lily, "training"):
        for what, start in jobs.items():
            with pytest.raises(BusyError) as refused:
                start()
            assert "Training “Lily” is running" in str(refused.value), what
    assert Dataset.open(library.find("Rose")).takes == []
    assert sorted(v.name for v in library.voices()) == ["Lily", "Rose"]  # no "Iris" made
    assert engine.rendered == []
    render_book(rose, engine, ["one"])  # once the training has ended, it runs
    assert engine.rendered == ["one"]


def test_a_voice_a_heavy_job_uses_cannot_be_renamed_or_deleted_and_says_by_what(library):
    rose = library.find("Rose")
    with running_elsewhere("Training “Rose”", rose, "training"):
        for change, refused_as in ((lambda: library.rename("Rose", "Iris"), "renamed"),
                                   (lambda: library.delete("Rose"), "deleted")):
            with pytest.raises(VoiceInUseError) as refused:
                change()
            message = str(refused.value)
            assert "training, in this window" in message and f"cannot be {refused_as}" in message
        assert voice_in_use(rose).purpose == "training"
        assert HEAVY_JOBS.job_using(rose.manifest.id).description == "Training “Rose”"
        assert library.rename("Lily", "Iris").name == "Iris"  # the other voice is free
    assert voice_in_use(rose) is None and HEAVY_JOBS.job_using(rose.manifest.id) is None
    assert library.rename("Rose", "Rosa").name == "Rosa"


def test_a_voice_changed_elsewhere_refuses_the_job_and_leaves_the_slot_free(library, tmp_path):
    rose = library.find("Rose")
    # light work (saving a take) holds the voice's lock, not the slot
    with held_elsewhere(lambda: voice_lock(rose, "saving a recorded take")):
        with pytest.raises(VoiceInUseError, match="saving a recorded take"):
            build_dataset(library.data_dir, "Rose", "cpu")
        assert HEAVY_JOBS.running is None


def test_listeners_hear_the_slot_taken_and_freed_and_a_gone_window_stops_listening():
    class Page:
        def __init__(self) -> None:
            self.heard: list[HeavyJob | None] = []

        def changed(self, job: HeavyJob | None) -> None:
            self.heard.append(job)

    page = Page()
    HEAVY_JOBS.subscribe(page.changed)
    with HEAVY_JOBS.claim("Narrating “Tale”"):
        pass
    assert [job.description if job else None for job in page.heard] == [
        "Narrating “Tale”", None]
    heard = page.heard
    del page
    gc.collect()
    with HEAVY_JOBS.claim("Narrating “Tale”"):
        pass
    assert len(heard) == 2  # the page that went away was not called (nor kept alive)


def test_training_lets_the_warm_synthesizers_go_before_it_starts(tmp_path):
    """The Try panel's cached synthesizer and the one a narration engine holds are both
    unloaded before the first training step, and speak again afterwards."""
    from voicestudio.services.training import train_voice
    from voicestudio.synthesis.narration import SynthesizerRenderer
    from voicestudio.synthesis.pipeline import (
        ModelFiles,
        SynthesisRequest,
        Synthesizer,
        get_synthesizer,
    )
    from voicestudio.synthesis.tiny_models import install_tiny_base_models

    data_dir = tmp_path / "data"
    install_tiny_base_models(data_dir)
    voice = VoiceLibrary(data_dir).create("Rose", ["en"])
    files = ModelFiles.base(data_dir)
    warm = get_synthesizer(files, "cpu")  # the Try panel's, in the process-wide cache
    held = Synthesizer(files, "cpu")  # one only a narration engine holds
    renderer = SynthesizerRenderer(held, SynthesisRequest(text="-", reference=Path("r.wav")))
    warm.load()
    held.load()
    assert warm.is_loaded and held.is_loaded

    class Plan:
        device = "cpu"

    class Run:  # the training itself, reduced to noting what was warm when it began
        plan, version_id = Plan(), "run-1"
        warm_at_start: bool | None = None

        def run(self, progress, cancel, on_update, scorer):
            Run.warm_at_start = warm.is_loaded or renderer.synthesizer.is_loaded
            return "version"

    assert train_voice(data_dir, voice, run=Run(), scorer=None) == "version"
    assert Run.warm_at_start is False
    assert get_synthesizer(files, "cpu") is warm  # the same object, loaded again on use
    warm.load()
    assert warm.is_loaded
