"""The one progress line: piped, it still shows the job is alive during a slow stretch."""

from __future__ import annotations

import io

from voicestudio.cli.progress import PIPED_HEARTBEAT_SECONDS, ProgressLine
from voicestudio.jobs import Progress


def test_piped_progress_prints_each_tenth_and_a_heartbeat_between():
    now = [0.0]
    out = io.StringIO()  # not a terminal, like `voicestudio train … | tee log`
    line = ProgressLine(out, clock=lambda: now[0])
    for step in range(200):  # 1 % every 10 s: a slow training run
        now[0] = step * 10.0
        line(Progress(step / 2000, f"S2 epoch 1, step {step}"))
    printed = out.getvalue().splitlines()
    steps = [int(text.rsplit(" ", 1)[1]) for text in printed]
    assert steps[0] == 0  # nothing crossed a tenth after it, yet the run is never silent long
    gaps = [(b - a) * 10.0 for a, b in zip(steps, steps[1:], strict=False)]
    assert max(gaps) <= PIPED_HEARTBEAT_SECONDS
    assert steps[-1] * 10.0 >= 1990.0 - PIPED_HEARTBEAT_SECONDS
    assert len(printed) < 200 / 2  # a heartbeat, not a line per step


def test_piped_progress_does_not_repeat_within_a_tenth_quickly():
    out = io.StringIO()
    line = ProgressLine(out, clock=lambda: 0.0)
    for step in range(100):
        line(Progress(step / 100, "working"))
    assert len(out.getvalue().splitlines()) == 10
