"""Dataset build for the v2Pro family: every kept segment gets its SV vector, cached."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
import torch

from voicestudio.audio.resample import resample
from voicestudio.hub.install import staged_install
from voicestudio.hub.status import model_state, require_file
from voicestudio.models.s2 import write_tiny_s2_base_model
from voicestudio.models.sv import load_sv_model, write_tiny_sv_model
from voicestudio.project.settings import Settings
from voicestudio.services.dataset import add_recordings, build_dataset, open_dataset
from voicestudio.training.feature_store import FeatureStore


@pytest.fixture(scope="session")
def with_v2pro(models_dir) -> None:
    """Add the tiny v2Pro generator and SV model to the shared data folder."""
    for spec_id, write in (
        ("s2g-v2pro", lambda f: write_tiny_s2_base_model(f / "s2G.pth", 0, "v2Pro")),
        ("sv", lambda f: write_tiny_sv_model(f / "sv.ckpt", 0)),
    ):
        if model_state(models_dir, spec_id).state != "tiny":
            with staged_install(models_dir, spec_id, "tiny") as folder:
                write(folder)


def test_sv_vectors_are_computed_per_segment_and_only_changed_ones_again(
    models_dir, with_v2pro, make_voice, recordings, scripted
) -> None:
    settings = Settings.load()
    settings.model_family = "v2Pro"
    settings.save()
    voice = make_voice()
    add_recordings(models_dir, voice.name, [recordings["story"]], transcriber=scripted)
    first = build_dataset(models_dir, voice.name, "cpu")
    ids = sorted(first.computed)
    assert len(ids) >= 2 and not first.failed

    store = FeatureStore(voice.folder)
    verifier = load_sv_model(require_file(models_dir, "sv"))
    for segment_id in ids:
        features = store.load(segment_id)
        wav, rate = sf.read(voice.folder / features.audio_path, dtype="int16")
        # upstream 2-get-sv: the int16 32 kHz training copy, as float, at 16 kHz
        wav16 = resample(wav.astype(np.float32) / 32768.0, rate, 16000)
        want = verifier.embed_16k(torch.from_numpy(wav16)[None])[0].numpy()
        assert features.sv is not None and features.sv.shape == (verifier.fingerprint_dim,)
        np.testing.assert_allclose(features.sv, want, rtol=1e-5, atol=1e-5)

    assert build_dataset(models_dir, voice.name, "cpu").computed == []
    untouched = store.path(ids[1]).read_bytes()
    open_dataset(models_dir, voice.name).update_text(ids[0], "A changed sentence.")
    report = build_dataset(models_dir, voice.name, "cpu")
    assert report.computed == [ids[0]]
    assert store.path(ids[1]).read_bytes() == untouched
