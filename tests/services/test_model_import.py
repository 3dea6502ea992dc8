"""A GPT-SoVITS model pair imported as a new voice (the Voices page's "Import model…" and
``versions import``): the voice speaks with it, in the family its SoVITS file belongs to,
and a refused, cancelled or failed import leaves no voice behind, nor one with half a model
while it copies."""

from __future__ import annotations

import pytest

from voicestudio.errors import CorruptFileError, JobCancelled, UserInputError
from voicestudio.jobs import CancelToken, Progress
from voicestudio.models.s2 import write_tiny_s2_base_model
from voicestudio.project.library import VoiceLibrary
from voicestudio.project.voice import ConsentRecord
from voicestudio.services.training import describe_version
from voicestudio.services.versions import import_version
from voicestudio.synthesis.tiny_models import write_tiny_s1


@pytest.fixture
def pair(tmp_path):
    def make(version: str = "v2"):
        s1, s2 = tmp_path / f"rose-e15-{version}.ckpt", tmp_path / f"rose_e8_{version}.pth"
        write_tiny_s1(s1)
        write_tiny_s2_base_model(s2, version=version)
        return s1, s2
    return make


@pytest.mark.parametrize("version", ["v2", "v2Pro"])
def test_an_imported_pair_speaks_for_a_new_voice_in_its_own_family(
        isolated_user_dirs, pair, version):
    s1, s2 = pair(version)
    consent = ConsentRecord(speaker="Rose", given_by="Rose", statement="Yes.")
    seen: list[Progress] = []
    voice, imported = import_version(isolated_user_dirs, "Rose", s1, s2, ["zh", "en"],
                                     consent, seen.append)
    reopened = VoiceLibrary(isolated_user_dirs).find("Rose")
    assert reopened.active_version() == imported and imported.preset == "imported"
    assert (reopened.folder / imported.s1_path).read_bytes() == s1.read_bytes()
    assert (reopened.folder / imported.s2_path).read_bytes() == s2.read_bytes()
    assert reopened.manifest.model_family == version  # not the Settings default
    assert reopened.manifest.consent.given_by == "Rose"
    # listed by where it came from, not as a training run on 0 s of speech
    assert describe_version(imported).endswith(f"imported from {s1.name} and {s2.name}")
    fractions = [p.fraction for p in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert "Checking the GPT file" in seen[0].message


def test_a_taken_name_is_refused_before_the_files_are_read(isolated_user_dirs, pair):
    VoiceLibrary(isolated_user_dirs).create("Rose", ["en"])
    s1, _ = pair()
    junk = s1.with_name("junk.pth")
    junk.write_bytes(b"not read: the name is refused first")
    with pytest.raises(UserInputError, match="already exists"):
        import_version(isolated_user_dirs, "rose", s1, junk, ["en"])


def test_files_that_are_not_a_pair_and_a_cancel_leave_no_voice(isolated_user_dirs, pair):
    s1, s2 = pair()
    with pytest.raises(UserInputError, match="is a SoVITS .S2. model, not a GPT"):
        import_version(isolated_user_dirs, "Rose", s2, s1, ["en"])  # the two swapped
    junk = s2.with_name("junk.pth")
    junk.write_bytes(b"not a model")
    with pytest.raises(CorruptFileError):
        import_version(isolated_user_dirs, "Rose", s1, junk, ["en"])
    cancel = CancelToken()

    library = VoiceLibrary(isolated_user_dirs)
    listed_while_copying: list[list] = []

    def cancel_once_copying(progress: Progress) -> None:
        if progress.message.startswith("Copying"):
            listed_while_copying.append(library.voices())
            if progress.fraction > 0.8:
                cancel.cancel()  # the GPT file is copied by now

    with pytest.raises(JobCancelled):
        import_version(isolated_user_dirs, "Rose", s1, s2, ["en"], None,
                       cancel_once_copying, cancel)
    assert listed_while_copying == [[], []]  # no voice with half a model, even for a moment
    assert library.voices() == []
    assert not list(library.voices_dir.iterdir())  # no half-made folder either
