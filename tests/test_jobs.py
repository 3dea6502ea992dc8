"""Job plumbing without Qt: progress, ETA and cancel as every long job uses them."""

from __future__ import annotations

import pytest

from voicestudio.errors import JobCancelled
from voicestudio.jobs import CancelToken, Progress, ProgressTracker


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_progress_reports_fraction_message_and_eta():
    seen: list[Progress] = []
    clock = FakeClock()
    tracker = ProgressTracker(seen.append, clock=clock)
    clock.now += 10
    tracker.step(1, 4, "chunk 1")
    assert seen[-1].fraction == pytest.approx(0.25)
    assert seen[-1].message == "chunk 1"
    assert seen[-1].eta_seconds == pytest.approx(30.0)


def test_sub_tracker_maps_onto_parent_range():
    seen: list[Progress] = []
    tracker = ProgressTracker(seen.append)
    stage = tracker.sub(0.5, 1.0)
    stage.report(0.5, "half of second stage")
    assert seen[-1].fraction == pytest.approx(0.75)


def test_time_left_is_the_whole_jobs_not_the_stages():
    """The first of 30 files done in 3 s is 3 % of the job: about 97 s are left, not "almost
    done" because that file's own stage is finished."""
    seen: list[Progress] = []
    clock = FakeClock()
    job = ProgressTracker(seen.append, clock=clock)
    clock.now += 1  # set-up before the first file
    first_file = job.sub(0.0, 1 / 30)
    clock.now += 2
    first_file.report(1.0, "file 1 of 30 done")
    assert seen[-1].fraction == pytest.approx(1 / 30)
    assert seen[-1].eta_seconds == pytest.approx(3.0 * 29)
    nested = first_file.sub(0.5, 1.0)  # a stage inside a stage: still the job's clock
    nested.report(0.0)
    assert seen[-1].eta_seconds == pytest.approx(3.0 * (1 - 1 / 60) / (1 / 60))


def test_cancel_is_raised_at_the_next_report():
    token = CancelToken()
    tracker = ProgressTracker(cancel=token)
    done = []
    with pytest.raises(JobCancelled):
        for i in range(10):
            done.append(i)
            if i == 3:
                token.cancel()
            tracker.step(i + 1, 10)
    assert done == [0, 1, 2, 3]
