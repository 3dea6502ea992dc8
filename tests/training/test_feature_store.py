"""The feature cache round-trips without pickle and rejects damaged files."""

from __future__ import annotations

import numpy as np
import pytest

from voicestudio.errors import CorruptFileError
from voicestudio.training.feature_store import FeatureStore, SegmentFeatures, fingerprint


def make(segment_id: str = "seg-0001") -> SegmentFeatures:
    rng = np.random.default_rng(0)
    return SegmentFeatures(
        segment_id=segment_id, text="你好 world", lang="zh", audio_path="segments/seg-0001.wav",
        phone_ids=np.arange(7), bert=rng.standard_normal((1024, 7)).astype(np.float16),
        ssl=rng.standard_normal((768, 50)).astype(np.float16),
        semantic=rng.integers(0, 1024, 25), fingerprint=fingerprint("a", b"b"),
    )


def test_round_trip(tmp_path):
    store = FeatureStore(tmp_path)
    original = make()
    store.save(original)
    loaded = store.load("seg-0001")
    assert loaded.text == "你好 world" and loaded.fingerprint == original.fingerprint
    np.testing.assert_array_equal(loaded.semantic, original.semantic)
    np.testing.assert_array_equal(loaded.bert, original.bert)
    assert store.segment_ids() == ["seg-0001"]
    assert store.stored_fingerprint("missing") is None


def test_inconsistent_shapes_are_refused(tmp_path):
    bad = make()
    bad.bert = bad.bert[:, :3]
    with pytest.raises(CorruptFileError, match="rebuild"):
        FeatureStore(tmp_path).save(bad)


def test_damaged_file_is_reported(tmp_path):
    store = FeatureStore(tmp_path)
    store.save(make())
    store.path("seg-0001").write_bytes(b"garbage")
    with pytest.raises(CorruptFileError):
        store.load("seg-0001")
    assert store.stored_fingerprint("seg-0001") is None


def test_fingerprint_separates_parts():
    assert fingerprint("ab", "c") != fingerprint("a", "bc")
