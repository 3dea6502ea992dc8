"""`dataset add` on a really full disk: one message that says what was kept, nothing half made.

The voice lives on a 3 MB tmpfs (the base models stay on the big disk, linked in), so every
write of the add meets the full filesystem, not only a simulated call.
"""

from __future__ import annotations

import pytest
from dataset_speech import ScriptedTranscriber
from small_disk import fill, mounted_tmpfs

from voicestudio.errors import DiskFullError
from voicestudio.project.library import VoiceLibrary
from voicestudio.services.dataset import add_recordings, open_dataset


@pytest.fixture
def voice_on_small_disk(tmp_path, models_dir):
    with mounted_tmpfs(tmp_path) as mount:
        data = mount / "data"
        data.mkdir()
        (data / "base-models").symlink_to(models_dir / "base-models")
        yield data, VoiceLibrary(data).create("Rose", ["en"])


def _files_in(folder) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")
            if p.is_file() and not p.name.endswith(".lock")}


def _index_matches_folder(data, voice) -> None:
    dataset = open_dataset(data, voice.name)
    listed = ({s.audio_path for s in dataset.segments}
              | {t.path for t in dataset.takes})
    on_disk = {name for name in _files_in(voice.folder)
               if name.startswith(("takes/", "segments/")) and name.endswith((".wav", ".flac"))}
    assert on_disk == listed
    assert not [n for n in _files_in(voice.folder) if n.endswith(".tmp")]


def test_a_full_disk_before_the_add_changes_nothing(voice_on_small_disk, recordings):
    data, voice = voice_on_small_disk
    before = {n: (voice.folder / n).read_bytes() for n in _files_in(voice.folder)}
    filler = fill(data.parent)
    with pytest.raises(DiskFullError) as caught:
        add_recordings(data, voice.name, [recordings["story"]],
                       transcriber=ScriptedTranscriber())
    message = str(caught.value)
    assert "is full" in message and "‘story.flac’ was not added" in message
    assert {n: (voice.folder / n).read_bytes() for n in _files_in(voice.folder)} == before

    filler.unlink()
    report = add_recordings(data, voice.name, [recordings["story"]],
                            transcriber=ScriptedTranscriber())
    assert [p.name for p, _ in report.added] == ["story.flac"]


class FillsTheDiskInSecondFile(ScriptedTranscriber):
    """Hears the story, and fills the disk once the second file's original has been copied
    in: its segments and the index then meet a full disk."""

    def __init__(self, voice_folder, disk) -> None:
        super().__init__()
        self.voice_folder, self.disk, self.filler = voice_folder, disk, None

    def transcribe(self, samples, sample_rate, language=None):
        takes = self.voice_folder / "takes"
        if self.filler is None and any(p.name.startswith("more") for p in takes.iterdir()):
            self.filler = fill(self.disk)
        return super().transcribe(samples, sample_rate, language)


def test_a_disk_that_fills_mid_job_keeps_the_files_added_before(voice_on_small_disk,
                                                                 recordings):
    data, voice = voice_on_small_disk
    hearing = FillsTheDiskInSecondFile(voice.folder, data.parent)
    files = [recordings["story"], recordings["more"]]
    with pytest.raises(DiskFullError) as caught:
        add_recordings(data, voice.name, files, transcriber=hearing)
    assert hearing.filler is not None  # the disk really filled inside the second file
    dataset = open_dataset(data, voice.name)
    [take] = dataset.takes
    assert take.original_name == "story.flac" and dataset.segments
    message = str(caught.value)
    assert "‘more.wav’ was not added" in message
    assert f"kept: ‘story.flac’ ({len(dataset.segments)} segments)" in message
    assert "Nothing was changed" not in message  # story.flac was added: that would be a lie
    _index_matches_folder(data, voice)

    hearing.filler.unlink()
    report = add_recordings(data, voice.name, files, transcriber=ScriptedTranscriber())
    assert report.already_added == [recordings["story"]]
    assert [p.name for p, _ in report.added] == ["more.wav"]
    _index_matches_folder(data, voice)
