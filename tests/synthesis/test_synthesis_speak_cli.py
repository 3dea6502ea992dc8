"""`voicestudio speak` and `voicestudio models install-tiny` as a person runs them."""

from __future__ import annotations

import json

import numpy as np
import soundfile as sf
from speech import write_audio
from synth_signals import babble

from voicestudio.cli import main
from voicestudio.hub.catalogue import REQUIRED_IDS
from voicestudio.hub.install import staged_install
from voicestudio.hub.layout import install_dir
from voicestudio.hub.status import installed_summary, model_state, require
from voicestudio.synthesis.pipeline import ModelFiles, SynthesisRequest, get_synthesizer


def _speak(data_dir, ref, out, *extra):
    return main(["speak", "--data-dir", str(data_dir), "--ref", str(ref), "--ref-text",
                 "One two three, four five.", "--text", "Hello there, my friend.", "--lang",
                 "en", "--seed", "11", "-o", str(out), *extra])


def test_install_tiny_writes_the_registry_layout_marked_tiny(tiny_data_dir):
    summary = installed_summary(tiny_data_dir)
    assert summary.ready and set(summary.tiny) == set(REQUIRED_IDS)
    for spec_id in REQUIRED_IDS:
        marker = json.loads((install_dir(tiny_data_dir, spec_id) / "model.json")
                            .read_text(encoding="utf-8"))
        assert marker["source"] == "tiny" and "tests and demos" in marker["note"]
    bert = require(tiny_data_dir, "bert")
    assert {"config.json", "tokenizer.json"} <= {p.name for p in bert.iterdir()}
    hubert = require(tiny_data_dir, "hubert")
    assert (hubert / "preprocessor_config.json").is_file()


def test_install_tiny_never_replaces_real_models_unasked(tmp_path, capsys):
    with staged_install(tmp_path, "s1-v2", "download") as folder:
        (folder / "s1.ckpt").write_bytes(b"a real download")
    assert main(["models", "install-tiny", "--data-dir", str(tmp_path)]) == 2
    assert "--force" in capsys.readouterr().err
    assert model_state(tmp_path, "s1-v2").state == "installed"
    assert model_state(tmp_path, "bert").state == "missing"  # nothing was written


def test_speak_writes_a_32k_mono_wav_of_the_decoded_length(tiny_data_dir, tmp_path, capsys):
    ref = tmp_path / "ref.wav"
    sf.write(ref, babble(4.0), 32000)
    out = tmp_path / "out.wav"
    assert _speak(tiny_data_dir, ref, out) == 0
    assert "Wrote" in capsys.readouterr().out
    info = sf.info(out)
    assert (info.samplerate, info.channels, info.subtype) == (32000, 1, "PCM_16")

    request = SynthesisRequest("Hello there, my friend.", ref, "One two three, four five.",
                               lang="en", seed=11)
    expected = get_synthesizer(ModelFiles.base(tiny_data_dir), "auto").speak(request)
    (sentence,) = expected.sentences
    assert info.frames == expected.audio.size == sentence.n_tokens * 1280
    written, _ = sf.read(out, dtype="float32")
    assert np.abs(written - np.clip(expected.audio, -1, 1)).max() < 1 / 16000


def test_bad_references_get_their_messages(tiny_data_dir, tmp_path, capsys):
    out = tmp_path / "out.wav"
    short = write_audio(tmp_path, "short", babble(2.0), 32000)
    assert _speak(tiny_data_dir, short, out) == 2
    assert "2.0 s long" in capsys.readouterr().err and not out.exists()

    silent = write_audio(tmp_path, "silent", np.zeros(32000 * 5), 32000)
    assert _speak(tiny_data_dir, silent, out) == 2
    assert "silent" in capsys.readouterr().err

    clip48 = babble(5.0, sample_rate=48000)
    stereo_mp3 = write_audio(tmp_path, "stereo", np.stack([clip48, clip48], axis=1), 48000,
                             "mp3")
    assert _speak(tiny_data_dir, stereo_mp3, out) == 0
    err = capsys.readouterr().err
    assert "stereo" in err and "MP3" in err and "48000 Hz" in err
    assert sf.info(out).samplerate == 32000

    long_clip = write_audio(tmp_path, "long", babble(16.0), 32000)
    assert _speak(tiny_data_dir, long_clip, out, "--no-trim") == 2
    assert "16.0 s long" in capsys.readouterr().err
    assert _speak(tiny_data_dir, long_clip, out) == 0
    assert "only the sound of the voice" in capsys.readouterr().err


def test_missing_models_and_unknown_voice(tiny_data_dir, tmp_path, capsys):
    ref = write_audio(tmp_path, "ref", babble(4.0), 32000)
    assert _speak(tmp_path / "empty", ref, tmp_path / "out.wav") == 2
    assert "Base models are not installed" in capsys.readouterr().err
    assert _speak(tiny_data_dir, ref, tmp_path / "out.wav", "--voice", "Nobody") == 2
    assert "no voice called" in capsys.readouterr().err
