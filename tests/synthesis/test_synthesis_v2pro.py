"""Zero-shot and trained-voice speech with the v2Pro family: the reference's SV vector speaks."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from synth_signals import babble

from voicestudio.audio.resample import resample
from voicestudio.errors import MissingModelError
from voicestudio.hub.install import staged_install
from voicestudio.hub.layout import install_dir
from voicestudio.hub.status import require_file
from voicestudio.models.s2 import write_tiny_s2_base_model
from voicestudio.models.sv import load_sv_model, write_tiny_sv_model
from voicestudio.synthesis.pipeline import ModelFiles, SynthesisRequest, Synthesizer
from voicestudio.synthesis.tiny_models import write_tiny_s1


@pytest.fixture(scope="module")
def pro_data_dir(tiny_data_dir: Path, tmp_path_factory) -> Path:
    """The tiny v2 set's HuBERT and BERT plus tiny v2Pro S1, S2 and SV models."""
    data_dir = tmp_path_factory.mktemp("pro-data")
    for spec_id in ("hubert", "bert"):
        shutil.copytree(install_dir(tiny_data_dir, spec_id),
                        install_dir(data_dir, spec_id))
    writers = {
        "s1-v2pro": lambda folder: write_tiny_s1(folder / "s1.ckpt", 0),
        "s2g-v2pro": lambda folder: write_tiny_s2_base_model(folder / "s2G.pth", 0, "v2Pro"),
        "sv": lambda folder: write_tiny_sv_model(folder / "sv.ckpt", 0),
    }
    for spec_id, write in writers.items():
        with staged_install(data_dir, spec_id, "tiny") as folder:
            write(folder)
    return data_dir


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("ref") / "ref.wav"
    sf.write(path, babble(4.0), 32000)
    return path


@pytest.fixture(scope="module")
def pro_synth(pro_data_dir) -> Synthesizer:
    return Synthesizer(ModelFiles.base(pro_data_dir, "v2Pro"), "cpu")


def _request(reference: Path) -> SynthesisRequest:
    return SynthesisRequest(text="Hello there, my friend.", reference=reference,
                            reference_text="One two three, four five.", lang="en", seed=5)


def test_zero_shot_v2pro_speaks_with_the_reference_sv_vector(
    pro_data_dir, pro_synth, reference
) -> None:
    files = pro_synth.files
    assert files.sv == require_file(pro_data_dir, "sv")
    synth = pro_synth
    result = synth.speak(_request(reference))
    assert result.audio.size > 0 and np.isfinite(result.audio).all()
    again = synth.speak(_request(reference))
    np.testing.assert_array_equal(result.audio, again.audio)  # same seed, same audio

    prompt = synth.voice_prompt(reference, "One two three, four five.", "en")
    verifier = load_sv_model(files.sv)
    wav_16k = resample(prompt.reference.wav_32k, 32000, 16000)  # as upstream TTS does
    want = verifier.embed_16k(torch.from_numpy(wav_16k)[None])
    assert prompt.sv is not None and prompt.sv.shape == (1, verifier.fingerprint_dim)
    torch.testing.assert_close(prompt.sv, want)


def test_the_sv_vector_changes_the_voice(pro_synth, reference, monkeypatch) -> None:
    prompt = pro_synth.voice_prompt(reference, "One two three, four five.", "en")
    generator = pro_synth._s2.generator
    # the tiny vocoder hears the fingerprint only at the 1e-4 level, below bf16's rounding
    monkeypatch.setattr(generator.dec, "inference_dtype", torch.float32)
    codes = torch.arange(10).view(1, 1, 10)
    phones = torch.arange(1, 12).view(1, 11)
    own = generator.decode(codes, phones, prompt.refer_spec, 0.0, sv=prompt.sv)
    other = generator.decode(codes, phones, prompt.refer_spec, 0.0, sv=prompt.sv.flip(-1))
    assert not torch.allclose(own, other)


def test_v2pro_model_without_the_sv_model_says_what_to_install(pro_data_dir, reference) -> None:
    files = ModelFiles.base(pro_data_dir, "v2Pro")
    without = ModelFiles(files.s1, files.s2, files.hubert, files.bert, sv=None)
    with pytest.raises(MissingModelError, match="speaker-verification model"):
        Synthesizer(without, "cpu").speak(_request(reference))


def test_trained_v2pro_voice_speaks_through_speech_for(pro_data_dir, reference) -> None:
    from voicestudio.project.library import VoiceLibrary
    from voicestudio.project.voice import ModelVersion
    from voicestudio.services.speech import speech_for

    voice = VoiceLibrary(pro_data_dir).create("Pro Voice", ["en"])
    version = ModelVersion("v1", "2026-01-01T00:00:00+00:00", "fast", 60.0,
                           "models/v1/gpt.ckpt", "models/v1/sovits.pth")
    (voice.folder / "models/v1").mkdir(parents=True)
    shutil.copy(require_file(pro_data_dir, "s1-v2pro"), voice.folder / version.s1_path)
    shutil.copy(require_file(pro_data_dir, "s2g-v2pro"), voice.folder / version.s2_path)
    voice.add_model_version(version)
    voice.set_model_family("v2Pro")
    speech = speech_for(pro_data_dir, voice)
    assert speech.files.s2 == voice.folder / version.s2_path
    assert speech.files.sv == require_file(pro_data_dir, "sv")
    result = Synthesizer(speech.files, "cpu").speak(_request(reference))
    assert result.audio.size > 0 and np.isfinite(result.audio).all()
