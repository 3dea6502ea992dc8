"""A paused training run's saved state is listed with its size and can be discarded."""

from __future__ import annotations

import json

from voicestudio.cli import main
from voicestudio.project.library import VoiceLibrary


def _paused_run(voice, version_id: str, size: int) -> None:
    state = voice.folder / "models" / version_id / "state"
    state.mkdir(parents=True)
    (state / "plan.json").write_text(json.dumps({"preset": "quick"}))
    (state / "s2.pt").write_bytes(b"\0" * size)


def test_paused_state_is_shown_with_its_size_and_discarded_on_request(tmp_path, capsys):
    data = str(tmp_path / "data")
    voice = VoiceLibrary(tmp_path / "data").create("Rose", ["en"])
    _paused_run(voice, "v1", 3_000_000)
    assert main(["versions", "Rose", "--data-dir", data]) == 0
    listed = capsys.readouterr().out
    assert "paused run v1 (3.0 MB kept to resume)" in listed and "--discard v1" in listed

    assert main(["train", "Rose", "--discard", "v1", "--data-dir", data]) == 0
    assert "Discarded paused run v1 (3.0 MB" in capsys.readouterr().out
    assert not (voice.folder / "models" / "v1").exists()
    assert main(["train", "Rose", "--discard", "v1", "--data-dir", data]) == 2
    assert "no paused training run “v1”" in capsys.readouterr().err
