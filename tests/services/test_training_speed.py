"""Honest preset times: step times are measured per stage and turned into plain words."""

from __future__ import annotations

from types import SimpleNamespace

from voicestudio.services.training_speed import (
    StepTimer,
    describe_time,
    estimate_seconds,
    measured_speed,
    record_speed,
)


def _step(stage: str, step: int, losses: dict | None = None) -> SimpleNamespace:
    return SimpleNamespace(stage=stage, step=step, losses={"mel": 1.0} if losses is None
                           else losses)


def test_step_times_leave_out_warm_up_and_checks(tmp_path):
    now = [0.0]
    timer = StepTimer(clock=lambda: now[0])
    for step, at in enumerate([0.0, 30.0, 32.0, 34.0, 36.0, 38.0], start=1):
        now[0] = at
        timer(_step("s2", step))
    now[0] = 500.0
    timer(_step("s2", 6, losses={}))  # a checkpoint check: not step time
    now[0] = 502.0
    timer(_step("s2", 7))
    assert timer.speeds() == {"s2": 2.0}  # the 30 s first step was warm-up

    record_speed(tmp_path, "CPU|300 MB", {"s2": 2.0, "s1": 1.0})
    speed = measured_speed(tmp_path, "CPU|300 MB")
    assert speed == {"s2": 2.0, "s1": 1.0} and measured_speed(tmp_path, "GPU|300 MB") == {}
    assert estimate_seconds(speed, 600, 1200) == 2400.0
    assert describe_time(2400.0, True, True) == "About 40 minutes here (measured)."
    assert describe_time(11 * 3600, True, True).endswith("it may run overnight.")


def test_an_unmeasured_cpu_run_with_real_models_says_hours():
    assert "takes hours and may run overnight" in describe_time(None, True, True)
    assert "hours" not in describe_time(None, False, True)
