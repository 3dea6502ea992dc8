"""On-disk cache of per-segment training features, shared by the dataset builder and trainers.

Each kept segment of a voice gets one ``<voice>/segments/features/<segment_id>.npz`` holding
what both fine-tuning stages read: phone ids and BERT features (S1), HuBERT features and
semantic tokens (S2 and S1), and the fingerprint of the inputs they were computed from. A
segment is recomputed only when its fingerprint changes (new audio, new transcript, other
base models), because HuBERT and BERT are the slow part of preparing a dataset.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voicestudio.errors import CorruptFileError
from voicestudio.project.atomic import atomic_write_bytes

FEATURES_DIR = "features"
FEATURE_FORMAT = 1


@dataclass
class SegmentFeatures:
    """Features of one segment; arrays are numpy so the file loads without pickle."""

    segment_id: str
    text: str
    lang: str
    audio_path: str  # 32 kHz mono WAV, relative to the voice folder
    phone_ids: np.ndarray  # (n_phones,) int64, v2 symbol ids
    bert: np.ndarray  # (1024, n_phones) float16; zeros for non-Chinese phones
    ssl: np.ndarray  # (768, T50) float16 HuBERT features at 50 Hz
    semantic: np.ndarray  # (T25,) int64 codes 0..1023 at 25 Hz
    fingerprint: str
    # (sv_dim,) float32 speaker-verification vector of the training copy (v2Pro families)
    sv: np.ndarray | None = None

    def check(self) -> None:
        """Shape rules the trainers rely on; a mismatch means a damaged or foreign file."""
        n = self.phone_ids.shape[0]
        ok = (
            self.phone_ids.ndim == 1
            and self.bert.shape == (1024, n)
            and self.ssl.ndim == 2
            and self.ssl.shape[0] == 768
            and self.semantic.ndim == 1
            and (self.sv is None or self.sv.ndim == 1)
        )
        if not ok:
            raise CorruptFileError(
                f"Features of segment {self.segment_id} are inconsistent; rebuild the dataset "
                "(`voicestudio dataset build VOICE`)."
            )


def fingerprint(*parts: str | bytes) -> str:
    """Stable hash of everything a segment's features depend on."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


class FeatureStore:
    """Reads and writes ``<voice>/segments/features/*.npz``; every write is atomic."""

    def __init__(self, voice_folder: Path) -> None:
        self.voice_folder = Path(voice_folder)
        self.folder = self.voice_folder / "segments" / FEATURES_DIR

    def path(self, segment_id: str) -> Path:
        return self.folder / f"{segment_id}.npz"

    def save(self, features: SegmentFeatures) -> None:
        features.check()
        meta = {
            "format": FEATURE_FORMAT,
            "segment_id": features.segment_id,
            "text": features.text,
            "lang": features.lang,
            "audio_path": features.audio_path,
            "fingerprint": features.fingerprint,
        }
        buffer = io.BytesIO()
        np.savez(
            buffer,
            meta=np.frombuffer(json.dumps(meta, ensure_ascii=False).encode("utf-8"), np.uint8),
            phone_ids=features.phone_ids.astype(np.int64),
            bert=features.bert.astype(np.float16),
            ssl=features.ssl.astype(np.float16),
            semantic=features.semantic.astype(np.int64),
            **({} if features.sv is None else {"sv": features.sv.astype(np.float32)}),
        )
        atomic_write_bytes(self.path(features.segment_id), buffer.getvalue())

    def load(self, segment_id: str) -> SegmentFeatures:
        path = self.path(segment_id)
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(data["meta"].tobytes().decode("utf-8"))
                features = SegmentFeatures(
                    segment_id=meta["segment_id"],
                    text=meta["text"],
                    lang=meta["lang"],
                    audio_path=meta["audio_path"],
                    phone_ids=data["phone_ids"],
                    bert=data["bert"],
                    ssl=data["ssl"],
                    semantic=data["semantic"],
                    fingerprint=meta["fingerprint"],
                    sv=data["sv"] if "sv" in data.files else None,
                )
        except FileNotFoundError:
            raise
        except (OSError, ValueError, KeyError) as exc:
            raise CorruptFileError(
                f"{path.name} is damaged; rebuild the dataset (`voicestudio dataset build`)."
            ) from exc
        features.check()
        return features

    def stored_fingerprint(self, segment_id: str) -> str | None:
        """The fingerprint on disk, or None if missing/unreadable (then it is recomputed)."""
        try:
            return self.load(segment_id).fingerprint
        except (FileNotFoundError, CorruptFileError):
            return None

    def segment_ids(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        return sorted(p.stem for p in self.folder.glob("*.npz"))

    def remove(self, segment_id: str) -> None:
        self.path(segment_id).unlink(missing_ok=True)
