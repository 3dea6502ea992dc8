"""Choosing the best checkpoint by listening to it, and stopping a stage that stopped improving.

A fine-tune on a minute of speech over-fits quickly, and the training loss cannot tell:
it keeps falling while the voice starts to mumble. So a few of the person's segments are
held out of training; after each saved epoch a scorer (``services.checkpoint_scoring`` in
the product, an injected one in tests) speaks their sentences with the candidate model and
measures (a) how much the result sounds like the person (speaker similarity to the held-out
real recordings) and (b) how intelligible it is (word error rate of the speech recogniser
against the text). ``CheckpointSelector`` keeps a copy of the best-scoring export of a stage,
puts it back when the stage ends, and says when ``patience`` checks in a row brought nothing
better. Every score is kept in ``scores.json`` so a resumed run continues the same judgement.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

from voicestudio.project.atomic import atomic_write_json
from voicestudio.training.feature_store import SegmentFeatures
from voicestudio.training.run_files import SCORES_FILE, read_scores

# Intelligibility counts half as much as likeness: a voice that sounds like the person with
# an odd word is worth more than a clear stranger; a WER of 1 (nothing understood) costs 0.5.
WER_WEIGHT = 0.5
MIN_IMPROVEMENT = 0.005  # smaller gains are noise between two syntheses of the same model
# Hold-out: with fewer segments every one is needed for training (and nothing is scored).
MIN_SEGMENTS_TO_HOLD_OUT = 8
MAX_HELD_OUT = 3
# Every notice that a run trains without checking its checkpoints starts so (the CLI prints
# them: the person learns why no best checkpoint was chosen, and what would change it).
SCORING_OFF = "Checkpoint checks are off for this run"
SCORING_OFF_TOO_FEW = (
    SCORING_OFF + ": with only {count} segments none can be spared to listen to, so the last "
    "checkpoint is kept. With {needed} or more, the best one is kept.")
BEST_SUFFIX = ".best"


@dataclass(frozen=True)
class CheckpointScore:
    similarity: float  # cosine similarity of speaker embeddings, higher is more like them
    # word (or, for Chinese, character) error rate, lower is better; None: not measured
    # (no speech recogniser installed), so checkpoints are ranked by likeness alone
    wer: float | None

    @property
    def value(self) -> float:
        """One number to rank checkpoints by (higher is better)."""
        return self.similarity - WER_WEIGHT * min(self.wer or 0.0, 1.0)


class CheckpointScorer(Protocol):
    """Listens to candidate models; ``prepare`` gets the held-out segments once per run."""

    def prepare(self, voice_folder: Path, held_out: Sequence[SegmentFeatures]) -> None: ...

    def score(self, stage: str, epoch: int, s2_path: Path, s1_path: Path | None
              ) -> CheckpointScore:
        """``s1_path`` None: the base S1 (while S2 trains, S1 is not trained yet)."""
        ...


def held_out_ids(segment_ids: Sequence[str]) -> list[str]:
    """The segments kept out of training to score checkpoints with: evenly spread over the
    sorted ids (so the same ones on every resume), none when there are too few to spare."""
    ids = sorted(segment_ids)
    if len(ids) < MIN_SEGMENTS_TO_HOLD_OUT:
        return []
    count = min(MAX_HELD_OUT, max(2, len(ids) // 10))
    step = len(ids) / count
    return [ids[int(step * i + step / 2)] for i in range(count)]


@dataclass(frozen=True)
class ScoreRecord:
    stage: str
    epoch: int
    step: int
    similarity: float
    wer: float | None
    value: float
    best: bool


class CheckpointSelector:
    """Keeps one stage's best export and decides on early stopping (see the module doc)."""

    def __init__(self, run_folder: Path, stage: str, export_path: Path, patience: int,
                 early_stop: bool) -> None:
        self.run_folder = Path(run_folder)
        self.stage = stage
        self.export_path = Path(export_path)
        self.patience = patience
        self.early_stop = early_stop

    @property
    def best_path(self) -> Path:
        return self.export_path.with_name(self.export_path.name + BEST_SUFFIX)

    def records(self, stage: str | None = None) -> list[ScoreRecord]:
        known = {f for f in ScoreRecord.__dataclass_fields__}
        out = []
        for raw in read_scores(self.run_folder):
            if isinstance(raw, dict) and known.issubset(raw):
                record = ScoreRecord(**{k: raw[k] for k in known})
                if stage is None or record.stage == stage:
                    out.append(record)
        return out

    def best(self) -> ScoreRecord | None:
        return next((r for r in self.records(self.stage) if r.best), None)

    def consider(self, epoch: int, step: int, score: CheckpointScore) -> tuple[ScoreRecord, bool]:
        """Record the score of the export just written; returns (its record, stop now?)."""
        mine = [r for r in self.records(self.stage) if r.epoch != epoch]  # a redo replaces
        previous = max((r.value for r in mine), default=None)
        is_best = previous is None or score.value > previous + MIN_IMPROVEMENT
        if is_best:
            partial = self.best_path.with_name(self.best_path.name + ".partial")
            shutil.copyfile(self.export_path, partial)
            os.replace(partial, self.best_path)  # never a torn copy to swap in later
            mine = [ScoreRecord(**{**asdict(r), "best": False}) for r in mine]
        record = ScoreRecord(self.stage, epoch, step, round(score.similarity, 4),
                             None if score.wer is None else round(score.wer, 4),
                             round(score.value, 4), is_best)
        others = [r for r in self.records() if r.stage != self.stage]
        mine = sorted([*mine, record], key=lambda r: r.epoch)
        atomic_write_json(self.run_folder / SCORES_FILE, [asdict(r) for r in [*others, *mine]])
        since_best = 0
        for r in reversed(mine):
            if r.best:
                break
            since_best += 1
        return record, self.early_stop and since_best >= self.patience

    def finish(self) -> ScoreRecord | None:
        """At the end of the stage: the best export becomes the stage's export."""
        best = self.best()
        if best is not None and self.best_path.is_file():
            os.replace(self.best_path, self.export_path)
        return best
