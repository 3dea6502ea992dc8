"""``voicestudio dataset add|list|build``: output, exit codes, and Ctrl-C as a clean stop."""

from __future__ import annotations

import json
import signal

from dataset_speech import ScriptedTranscriber

from voicestudio.cli import main
from voicestudio.cli.dataset import STOPPED_MESSAGE
from voicestudio.project.library import VoiceLibrary
from voicestudio.services import dataset as dataset_service
from voicestudio.services.dataset import ASR_MISSING_MESSAGE, add_recordings, open_dataset
from voicestudio.training.feature_store import FeatureStore


def run(capsys, data_dir, *argv: str) -> tuple[int, str, str]:
    code = main(["--data-dir", str(data_dir), "dataset", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_add_list_and_build(models_dir, recordings, capsys):
    VoiceLibrary(models_dir).create("Cli Voice", ["en"])
    story, broken = str(recordings["story"]), str(recordings["broken"])

    code, out, err = run(capsys, models_dir, "add", "Cli Voice", story, broken)
    assert code == 0, err
    assert "added story.flac:" in out and "skipped broken.wav:" in out
    assert "100.0%" in err  # the progress line
    segments = open_dataset(models_dir, "Cli Voice").segments
    assert f"{len(segments)} of {len(segments)} segments kept" in out

    code, out, _ = run(capsys, models_dir, "add", "Cli Voice", story)
    assert code == 0 and "skipped story.flac: already in this voice" in out

    code, out, _ = run(capsys, models_dir, "list", "Cli Voice")
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == ["ID", "LENGTH", "KEPT", "FLAGS", "TEXT"]
    assert [line.split()[0] for line in lines[1:-1]] == [s.id for s in segments]
    assert "grandfather" in out.lower() and "en sounds covered" in lines[-1]

    code = main(["dataset", "list", "Cli Voice", "--json", "--data-dir", str(models_dir)])
    out = capsys.readouterr().out
    listed = json.loads(out)
    assert code == 0 and listed["voice"] == "Cli Voice"
    assert [s["id"] for s in listed["segments"]] == [s.id for s in segments]
    assert listed["summary"]["kept"] == len(segments)
    assert listed["summary"]["coverage"]["en"]["total"] == 39

    code, out, err = run(capsys, models_dir, "build", "Cli Voice", "--device", "cpu")
    assert code == 0, err
    assert f"features: {len(segments)} computed, 0 unchanged, 0 removed, 0 failed" in out


def test_ctrl_c_stops_add_between_segments(models_dir, make_voice, recordings, capsys,
                                           monkeypatch):
    voice = make_voice()

    class InterruptedTranscriber(ScriptedTranscriber):
        def transcribe(self, samples, sample_rate, language=None):
            if self.calls == 1:  # the person presses Ctrl-C during the second segment
                signal.raise_signal(signal.SIGINT)
            return super().transcribe(samples, sample_rate, language)

    transcriber = InterruptedTranscriber()  # interrupts once, on the first run
    monkeypatch.setattr(dataset_service, "load_transcriber",
                        lambda data_dir, language: transcriber)
    code, _, err = run(capsys, models_dir, "add", voice.name, str(recordings["story"]))
    assert code == 130 and STOPPED_MESSAGE in err
    dataset = open_dataset(models_dir, voice.name)
    assert dataset.takes == [] and dataset.segments == []
    assert list((voice.folder / "segments").glob("*.wav")) == []
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler

    code, out, _ = run(capsys, models_dir, "add", voice.name, str(recordings["story"]))
    assert code == 0 and "added story.flac:" in out


def test_ctrl_c_stops_build_and_the_next_build_continues(models_dir, make_voice, recordings,
                                                         scripted, capsys, monkeypatch):
    from voicestudio.models import ssl

    voice = make_voice()
    add_recordings(models_dir, voice.name, [recordings["story"]], transcriber=scripted)
    total = len(open_dataset(models_dir, voice.name).segments)
    original = ssl.SSLFeatureExtractor.features
    calls = []

    def interrupted(self, wav):
        calls.append(1)
        if len(calls) == 1:
            signal.raise_signal(signal.SIGINT)
        return original(self, wav)

    monkeypatch.setattr(ssl.SSLFeatureExtractor, "features", interrupted)
    code, _, err = run(capsys, models_dir, "build", voice.name, "--device", "cpu")
    assert code == 130 and STOPPED_MESSAGE in err
    # The segment being computed when Ctrl-C came was finished and saved; nothing after it.
    assert len(FeatureStore(voice.folder).segment_ids()) == 1

    code, out, _ = run(capsys, models_dir, "build", voice.name, "--device", "cpu")
    assert code == 0 and f"{total - 1} computed, 1 unchanged" in out


def test_bad_input_exits_2_with_a_message(models_dir, make_voice, recordings, tmp_path, capsys):
    code, _, err = run(capsys, models_dir, "list", "No Such Voice")
    assert code == 2 and "There is no voice called “No Such Voice”" in err

    VoiceLibrary(tmp_path).create("Fresh", ["en"])
    code, _, err = run(capsys, tmp_path, "add", "Fresh", str(recordings["story"]))
    assert code == 2 and ASR_MISSING_MESSAGE in err

    voice = make_voice()
    (voice.folder / "segments" / "index.json").write_text("not json")
    code, _, err = run(capsys, models_dir, "list", voice.name)
    assert code == 2 and "damaged" in err

    code, _, err = run(capsys, models_dir, "build", make_voice().name)
    assert code == 2 and "no segments to train on" in err

    code, out, _ = run(capsys, models_dir, "add", make_voice().name, str(recordings["broken"]))
    assert code == 2 and "skipped broken.wav" in out
