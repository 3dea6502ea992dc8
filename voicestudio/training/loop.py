"""The epoch/step loop both stages share: order, batching, cancel, resume, OOM, saving.

A stage (S2 or S1) is a ``StageTrainer``: it knows how to run one optimisation step on a list
of example indices and how to save itself. Everything about *running* a stage lives here once:

* the epoch order comes from (seed, epoch), and the position inside the epoch is counted in
  examples, so a resumed run, or one whose batch was halved, picks up exactly where it was;
* the cancel token is polled before every step; cancelling saves the full state first;
* a GPU out-of-memory error halves the batch and retries the same examples instead of
  killing a run the person has waited for;
* the full state is saved every few minutes and on cancel, the official export every
  ``save_every`` epochs and after the last one.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import torch

from voicestudio.errors import JobCancelled, UserInputError
from voicestudio.jobs import CancelToken
from voicestudio.project.atomic import atomic_write_json
from voicestudio.training.batches import epoch_order
from voicestudio.training.notices import Notice
from voicestudio.training.state import capture_rng, restore_rng, save_training_state

STATE_FORMAT = 1


class StageTrainer(Protocol):
    name: str  # "s2" or "s1"
    n_examples: int

    def begin_epoch(self, epoch: int) -> None: ...

    def train_step(self, indices: list[int], batch_index: int) -> dict[str, float]: ...

    def after_oom(self) -> None: ...

    def export(self, path: Path, epoch: int, step: int) -> None: ...

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: dict[str, Any]) -> None: ...


@dataclass
class StagePosition:
    """Where a stage stands; ``item`` counts examples already used in ``epoch``."""

    epoch: int = 1
    item: int = 0
    batch_index: int = 0  # batches done in this epoch (S1 accumulates over 4 of them)
    step: int = 0  # batches done in the whole stage
    batch_size: int = 1
    history: list[dict[str, float]] = field(default_factory=list)  # losses of every step


@dataclass(frozen=True)
class TrainingProgress:
    """One report for the Train page: numbers for the progress bar and the loss curves."""

    stage: str  # "s2" (voice model) or "s1" (text model)
    epoch: int
    epochs: int
    step: int  # steps done in this stage
    steps_total: int  # steps this stage will take at the current batch size
    batch_size: int
    losses: dict[str, float]  # this step's losses (empty for notices)
    fraction: float  # of the whole run, 0..1
    eta_seconds: float | None
    message: str
    # A checkpoint's scores ("similarity", "wer", "value", "best": 1.0 or 0.0) with a notice.
    scores: dict[str, float] = field(default_factory=dict)
    notice: Notice = Notice.NONE


Reporter = Callable[[TrainingProgress], None]


@dataclass(frozen=True)
class StageSchedule:
    epochs: int
    seed: int
    save_every: int
    state_path: Path
    export_path: Path
    losses_path: Path  # every step's losses as JSON, kept with the exports for loss curves
    # The full state (over a gigabyte at full size) is written when this long has passed since
    # the last write, checked after every step: a crash then costs at most a few minutes,
    # while a fast GPU run does not spend its time, and the disk, writing a gigabyte per
    # ten-second epoch. Cancelling always writes it.
    save_interval_s: float = 180.0
    # Called with (epoch, step) after each official export; True ends the stage there (early
    # stop: the checkpoint scores stopped improving).
    after_export: Callable[[int, int], bool] | None = None


def save_stage(trainer: StageTrainer, position: StagePosition, schedule: StageSchedule) -> None:
    save_training_state(schedule.state_path, stage_state(trainer, position))
    atomic_write_json(schedule.losses_path, position.history)


def epoch_steps(n_items: int, batch_size: int) -> int:
    return -(-n_items // batch_size)


def is_out_of_memory(exc: BaseException) -> bool:
    """CUDA raises torch.OutOfMemoryError; MPS raises a RuntimeError that says so."""
    if isinstance(exc, torch.OutOfMemoryError):
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


def release_accelerator_memory() -> None:
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    mps = getattr(torch, "mps", None)
    if mps is not None and torch.backends.mps.is_available():
        mps.empty_cache()


def stage_state(trainer: StageTrainer, position: StagePosition) -> dict[str, Any]:
    return {
        "format": STATE_FORMAT,
        "stage": trainer.name,
        "position": asdict(position),
        "trainer": trainer.state_dict(),
        "rng": capture_rng(),
    }


def restore_stage(trainer: StageTrainer, state: dict[str, Any]) -> StagePosition:
    """Load a saved stage; the random generators are restored last, after every model was
    built, so the next step draws exactly what the interrupted run would have drawn."""
    if state.get("format") != STATE_FORMAT or state.get("stage") != trainer.name:
        raise UserInputError(
            "The saved training progress was written by another version of VoiceStudio and "
            "cannot be continued. Start a new training run."
        )
    trainer.load_state_dict(state["trainer"])
    position = StagePosition(**state["position"])
    restore_rng(state["rng"])
    return position


def run_stage(
    trainer: StageTrainer,
    schedule: StageSchedule,
    position: StagePosition,
    report: Callable[[StagePosition, dict[str, float], str], None],
    cancel: CancelToken,
) -> StagePosition:
    """Train ``trainer`` from ``position`` to the end of ``schedule.epochs``, or until
    ``schedule.after_export`` asks to stop early."""
    last_save = time.monotonic()
    stop_early = False
    while position.epoch <= schedule.epochs and not stop_early:
        epoch = position.epoch
        order = epoch_order(trainer.n_examples, epoch, schedule.seed)
        trainer.begin_epoch(epoch)
        while position.item < len(order):
            if cancel.cancelled:
                save_stage(trainer, position, schedule)
                raise JobCancelled(
                    f"Training paused at {trainer.name.upper()} epoch {epoch}, step "
                    f"{position.step}. Nothing was lost; resume it at any time."
                )
            indices = order[position.item : position.item + position.batch_size]
            losses: dict[str, float] | None = None
            try:
                losses = trainer.train_step(indices, position.batch_index)
            except (torch.OutOfMemoryError, RuntimeError) as exc:
                if not is_out_of_memory(exc):
                    raise
            if losses is None:
                # Out of the except block, so the traceback (and the failed step's tensors it
                # keeps alive) is gone before the memory is released.
                trainer.after_oom()
                release_accelerator_memory()
                if position.batch_size == 1:
                    raise UserInputError(
                        "The graphics card ran out of memory even with one clip per step. "
                        "Close other programs that use the GPU, or train on the CPU "
                        "(Settings → Compute device, or `--device cpu`)."
                    ) from None
                position.batch_size //= 2
                report(position, {}, f"The GPU ran out of memory; continuing with batch size "
                       f"{position.batch_size}.")
                continue
            position.item += len(indices)
            position.batch_index += 1
            position.step += 1
            position.history.append(losses)
            report(position, losses, "")
            epoch_done = position.item == len(order)
            if epoch_done:  # a state saved from here on starts the next epoch
                position.epoch += 1
                position.item = 0
                position.batch_index = 0
                if epoch % schedule.save_every == 0 or epoch == schedule.epochs:
                    trainer.export(schedule.export_path, epoch, position.step)
                    if schedule.after_export is not None:
                        stop_early = schedule.after_export(epoch, position.step)
            if time.monotonic() - last_save >= schedule.save_interval_s:
                save_stage(trainer, position, schedule)
                last_save = time.monotonic()
            if epoch_done:
                break
    atomic_write_json(schedule.losses_path, position.history)  # the steps since the last save
    return position


class EtaClock:
    """Seconds per step measured in this session, per stage (a resumed run has no past)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._start: dict[str, tuple[float, int]] = {}

    def rate(self, stage: str, step: int) -> float | None:
        now = self._clock()
        if stage not in self._start:
            self._start[stage] = (now, step)
            return None
        t0, s0 = self._start[stage]
        return (now - t0) / (step - s0) if step > s0 else None
