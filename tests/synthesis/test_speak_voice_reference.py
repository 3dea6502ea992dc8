"""`speak --voice NAME` without --ref copies the delivery from the voice's best segment."""

from __future__ import annotations

import shutil

import soundfile as sf
from synth_signals import babble

from voicestudio.cli import main
from voicestudio.hub.status import require_file
from voicestudio.project.library import VoiceLibrary
from voicestudio.project.segments import Dataset, SegmentRecord, TakeRecord
from voicestudio.project.voice import ModelVersion, now_iso
from voicestudio.services.dataset import best_reference

SR = 32000


def _trained_voice(data_dir, name):
    """A voice whose 'trained' version is a copy of the tiny base S1/S2."""
    voice = VoiceLibrary(data_dir).create(name, ["en"])
    version = voice.subfolder("models") / "v1"
    version.mkdir(parents=True)
    shutil.copy(require_file(data_dir, "s1-v2"), version / "s1.ckpt")
    shutil.copy(require_file(data_dir, "s2g-v2"), version / "s2.pth")
    voice.add_model_version(ModelVersion(
        "v1", now_iso(), "quick", 60.0, "models/v1/s1.ckpt", "models/v1/s2.pth"))
    return voice


def _segment(dataset, seg_id, seconds, text, **extra):
    path, digest = dataset.write_segment_audio(seg_id, babble(seconds, seed=len(seg_id)))
    return SegmentRecord(
        id=seg_id, take_id="take", sample_rate=SR, start_sample=0,
        end_sample=int(seconds * SR), audio_path=path, audio_sha256=digest, text=text,
        lang="en", **extra,
    )


def test_best_segment_is_confirmed_clean_and_of_usable_length(tiny_data_dir):
    voice = _trained_voice(tiny_data_dir, "Rose")
    dataset = Dataset.open(voice)
    take = TakeRecord("take", "takes/take.wav", "take.wav", "0" * 64, now_iso(), 30.0, 1.0,
                      SR, 1)
    dataset.add_take(take, [
        _segment(dataset, "too-short", 2.0, "Hi.", asr_confidence=0.99),
        _segment(dataset, "flagged", 5.0, "Noisy one.", asr_confidence=0.99,
                 flags=["noisy"]),
        _segment(dataset, "unsure", 6.0, "Probably this.", asr_confidence=0.7),
        _segment(dataset, "confirmed", 4.0, "One two three, four five.", asr_confidence=0.5,
                 text_checked=True),
    ])
    assert best_reference(dataset).id == "confirmed"

    out = tiny_data_dir / "voice-out.wav"
    code = main(["speak", "--data-dir", str(tiny_data_dir), "--voice", "Rose",
                 "--text", "Hello there.", "--lang", "en", "--seed", "3", "-o", str(out)])
    assert code == 0
    assert sf.info(out).samplerate == SR and sf.info(out).frames > 0


def test_voice_without_a_usable_segment_asks_for_a_reference(tiny_data_dir, tmp_path, capsys):
    _trained_voice(tiny_data_dir, "Jim")
    code = main(["speak", "--data-dir", str(tiny_data_dir), "--voice", "Jim",
                 "--text", "Hello.", "-o", str(tmp_path / "o.wav")])
    assert code == 2
    assert "--ref FILE" in capsys.readouterr().err


def test_no_reference_and_no_voice_is_a_clear_error(tiny_data_dir, tmp_path, capsys):
    code = main(["speak", "--data-dir", str(tiny_data_dir), "--text", "Hello.",
                 "-o", str(tmp_path / "o.wav")])
    assert code == 2
    assert "--ref" in capsys.readouterr().err
