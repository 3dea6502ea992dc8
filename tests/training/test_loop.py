"""The shared stage loop with a stand-in trainer: saving cadence and resume positions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from voicestudio.errors import JobCancelled
from voicestudio.jobs import CancelToken
from voicestudio.training import batches
from voicestudio.training.loop import (
    StagePosition,
    StageSchedule,
    restore_stage,
    run_stage,
)
from voicestudio.training.state import load_training_state


class CountingTrainer:
    """Records which examples each step saw; its whole state is the number of steps."""

    name = "s2"
    n_examples = 4

    def __init__(self, schedule: StageSchedule | None = None) -> None:
        self.calls: list[list[int]] = []
        self.saved_items_seen: list[int] = []
        self.schedule = schedule

    def begin_epoch(self, epoch: int) -> None:
        pass

    def train_step(self, indices: list[int], batch_index: int) -> dict[str, float]:
        if self.schedule is not None and self.schedule.state_path.exists():
            state = load_training_state(self.schedule.state_path)
            self.saved_items_seen.append(state["position"]["item"])
        self.calls.append(list(indices))
        return {"loss": float(len(self.calls))}

    def after_oom(self) -> None:
        pass

    def export(self, path: Path, epoch: int, step: int) -> None:
        path.write_text(f"{epoch} {step}")

    def state_dict(self) -> dict[str, Any]:
        return {"calls": len(self.calls)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.calls = [[]] * state["calls"]


def schedule_in(folder: Path, **overrides: Any) -> StageSchedule:
    values: dict[str, Any] = dict(epochs=2, seed=1, save_every=1, state_path=folder / "s2.pt",
                                  export_path=folder / "s2.pth",
                                  losses_path=folder / "s2_losses.json")
    values.update(overrides)
    return StageSchedule(**values)


@pytest.fixture(autouse=True)
def short_epochs(monkeypatch):
    monkeypatch.setattr(batches, "MIN_EPOCH_ITEMS", 8)


def test_state_is_saved_within_an_epoch_after_the_interval(tmp_path: Path) -> None:
    schedule = schedule_in(tmp_path, epochs=1, save_interval_s=0.0)
    trainer = CountingTrainer(schedule)
    run_stage(trainer, schedule, StagePosition(batch_size=2), lambda *a: None, CancelToken())
    assert trainer.saved_items_seen == [2, 4, 6]  # each step saw the state of the one before
    assert (tmp_path / "s2.pth").read_text() == "1 4"


def test_a_cancelled_stage_resumes_with_the_remaining_examples(tmp_path: Path) -> None:
    schedule = schedule_in(tmp_path)
    straight = CountingTrainer()
    (tmp_path / "a").mkdir()
    run_stage(straight, schedule_in(tmp_path / "a"), StagePosition(batch_size=3),
              lambda *a: None, CancelToken())
    assert not (tmp_path / "a/s2.pt").exists()  # a quick run writes no gigabyte states
    assert (tmp_path / "a/s2_losses.json").exists()

    cancel = CancelToken()
    first = CountingTrainer()

    def stop_after_four(position: StagePosition, losses: dict, notice: str) -> None:
        if position.step == 4:
            cancel.cancel()

    with pytest.raises(JobCancelled, match="epoch 2, step 4"):
        run_stage(first, schedule, StagePosition(batch_size=3), stop_after_four, cancel)
    second = CountingTrainer()
    position = restore_stage(second, load_training_state(schedule.state_path))
    assert (position.epoch, position.item, position.step) == (2, 3, 4)
    run_stage(second, schedule, position, lambda *a: None, CancelToken())
    assert first.calls + second.calls[4:] == straight.calls  # same batches, same order
    assert len(straight.calls) == 6  # 2 epochs of 8 items in batches of 3, 3, 2


def test_a_full_disk_while_saving_is_a_message_and_keeps_the_old_state(
    tmp_path: Path, monkeypatch
) -> None:
    import errno
    import os

    from voicestudio.errors import DiskFullError
    from voicestudio.training.state import save_training_state

    save_training_state(tmp_path / "s2.pt", {"step": 1})

    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(DiskFullError, match="Nothing was changed.*Free some space"):
        save_training_state(tmp_path / "s2.pt", {"step": 2})
    monkeypatch.undo()
    assert load_training_state(tmp_path / "s2.pt") == {"step": 1}
    assert list(tmp_path.iterdir()) == [tmp_path / "s2.pt"]
