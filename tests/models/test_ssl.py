"""HuBERT features: shape and rate S2 expects, loaded once from a local folder."""

from __future__ import annotations

import numpy as np
import pytest

from voicestudio.errors import MissingModelError
from voicestudio.models.ssl import SSL_DIM, load_ssl_extractor, write_tiny_hubert


@pytest.fixture(scope="module")
def hubert_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hubert")
    write_tiny_hubert(folder)
    return folder


def test_features_are_768_channels_at_50_hz(hubert_dir):
    extractor = load_ssl_extractor(hubert_dir)
    wav = np.random.default_rng(0).standard_normal(16000 * 2).astype(np.float32) * 0.1
    feats = extractor.features(wav)
    assert feats.shape[0] == 1 and feats.shape[1] == SSL_DIM
    assert abs(feats.shape[2] - 100) <= 1  # 2 s at 50 Hz
    assert np.isfinite(feats.numpy()).all()


def test_extractor_is_kept_warm(hubert_dir):
    assert load_ssl_extractor(hubert_dir) is load_ssl_extractor(hubert_dir)


def test_missing_folder_gives_install_hint(tmp_path):
    with pytest.raises(MissingModelError, match="Base models"):
        load_ssl_extractor(tmp_path / "nothing")
