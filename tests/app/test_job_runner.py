"""The worker thread with a real job: hashing a file in chunks, with progress and cancel."""

from __future__ import annotations

import hashlib
import logging
import threading
from pathlib import Path

import pytest

from voicestudio.app.job_runner import UNEXPECTED_FAILURE, JobRunner
from voicestudio.app.widgets.progress import ProgressDialog, ProgressPanel, format_eta
from voicestudio.errors import UserInputError
from voicestudio.jobs import CancelToken, ProgressCallback, ProgressTracker

CHUNK = 64 * 1024
CHUNKS = 32


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    path = tmp_path / "take.bin"
    path.write_bytes(bytes(range(256)) * (CHUNK * CHUNKS // 256))
    return path


def hash_job(path: Path, pause_at: int | None = None, resume: threading.Event | None = None):
    """A real job: SHA-256 of a file chunk by chunk, reporting and honouring cancel."""

    def job(progress: ProgressCallback, cancel: CancelToken) -> str:
        tracker = ProgressTracker(progress, cancel)
        digest = hashlib.sha256()
        total = path.stat().st_size // CHUNK
        with path.open("rb") as handle:
            for index in range(1, total + 1):
                digest.update(handle.read(CHUNK))
                if index == pause_at and resume is not None:
                    # Hand-shake with the test so "cancel mid-way" is mid-way on any machine.
                    tracker.report(index / total, f"Hashed chunk {index} of {total}")
                    assert resume.wait(10), "the UI thread never answered"
                tracker.step(index, total, f"Hashed chunk {index} of {total}")
        return digest.hexdigest()

    return job


def collect(runner: JobRunner) -> dict[str, list]:
    seen: dict[str, list] = {"progress": [], "finished": [], "failed": [], "cancelled": [],
                             "order": []}
    runner.progress.connect(lambda f, m, e: (seen["progress"].append((f, m, e)),
                                             seen["order"].append("progress")))
    runner.finished.connect(lambda r: (seen["finished"].append(r), seen["order"].append("end")))
    runner.failed.connect(lambda m, e: (seen["failed"].append((m, e)),
                                        seen["order"].append("end")))
    runner.cancelled.connect(lambda: (seen["cancelled"].append(True),
                                      seen["order"].append("end")))
    return seen


def test_real_job_reports_progress_in_order_and_delivers_result(qtbot, data_file):
    runner = JobRunner(hash_job(data_file), min_interval=0)
    seen = collect(runner)
    with qtbot.waitSignal(runner.ended, timeout=10000):
        runner.start()
    assert seen["finished"] == [hashlib.sha256(data_file.read_bytes()).hexdigest()]
    assert seen["failed"] == [] and seen["cancelled"] == []
    fractions = [f for f, _m, _e in seen["progress"]]
    assert len(fractions) == CHUNKS
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert [m for _f, m, _e in seen["progress"]] == [
        f"Hashed chunk {i} of {CHUNKS}" for i in range(1, CHUNKS + 1)
    ]
    assert seen["order"][-1] == "end" and seen["order"].count("end") == 1
    assert not runner.is_running


def test_cancel_mid_way_ends_with_cancelled_and_no_result(qtbot, data_file):
    resume = threading.Event()
    runner = JobRunner(hash_job(data_file, pause_at=CHUNKS // 2, resume=resume), min_interval=0)
    panel = ProgressPanel("Hashing")
    qtbot.addWidget(panel)
    panel.attach(runner)
    seen = collect(runner)

    def on_progress(fraction: float, _message: str, _eta: object) -> None:
        # The job is waiting for this thread: proof the UI thread keeps running meanwhile.
        if fraction >= 0.5 and not resume.is_set():
            panel.cancel_button.click()
            resume.set()

    runner.progress.connect(on_progress)
    with qtbot.waitSignal(runner.cancelled, timeout=10000):
        runner.start()
    qtbot.waitUntil(lambda: "end" in seen["order"])
    assert seen["finished"] == [] and seen["failed"] == []
    assert seen["cancelled"] == [True]
    fractions = [f for f, _m, _e in seen["progress"]]
    assert fractions == sorted(fractions) and 0.5 <= fractions[-1] < 1.0
    assert runner.cancel_token.cancelled and not runner.is_running
    assert panel.message_label.text().startswith("Cancelled")
    assert not panel.cancel_button.isEnabled()
    assert panel.bar.isHidden()  # a half-full bar would read as a job stuck half-way
    assert runner.wait(5000)


def test_bursts_of_progress_are_coalesced_but_the_last_report_arrives(qtbot, data_file):
    runner = JobRunner(hash_job(data_file), min_interval=3600)
    seen = collect(runner)
    with qtbot.waitSignal(runner.finished, timeout=10000):
        runner.start()
    assert [m for _f, m, _e in seen["progress"]] == [
        f"Hashed chunk 1 of {CHUNKS}", f"Hashed chunk {CHUNKS} of {CHUNKS}"
    ]
    assert seen["order"] == ["progress", "progress", "end"]


def test_user_error_is_delivered_as_its_message(qtbot):
    def job(_progress: ProgressCallback, _cancel: CancelToken) -> None:
        raise UserInputError("That file is not audio.")

    runner = JobRunner(job)
    panel = ProgressPanel("Importing")
    qtbot.addWidget(panel)
    panel.attach(runner)
    with qtbot.waitSignal(runner.failed, timeout=5000) as blocker:
        runner.start()
    message, exc = blocker.args
    assert message == "That file is not audio." and isinstance(exc, UserInputError)
    # The panel keeps the words, not a bar left at 0 % that reads as a job stuck there.
    assert panel.message_label.text() == message and panel.bar.isHidden()
    panel.attach(JobRunner(job))  # the next run shows its bar again
    assert not panel.bar.isHidden()


def test_a_bug_in_a_job_is_logged_and_reported_gently(qtbot, caplog):
    def job(_progress: ProgressCallback, _cancel: CancelToken) -> None:
        raise ZeroDivisionError("division by zero")

    runner = JobRunner(job)
    with caplog.at_level(logging.ERROR), qtbot.waitSignal(runner.failed, timeout=5000) as blk:
        runner.start()
    assert blk.args[0] == UNEXPECTED_FAILURE
    assert isinstance(blk.args[1], ZeroDivisionError)
    assert any("job crashed" in r.message and r.exc_info for r in caplog.records)


def test_a_runner_runs_once(qtbot, data_file):
    runner = JobRunner(hash_job(data_file))
    with qtbot.waitSignal(runner.ended, timeout=10000):
        runner.start()
    with pytest.raises(RuntimeError):
        runner.start()


def test_progress_dialog_follows_the_job_and_closes_when_done(qtbot, data_file):
    runner = JobRunner(hash_job(data_file), min_interval=0)
    dialog = ProgressDialog("Checking your recordings", runner)
    qtbot.addWidget(dialog)
    dialog.show()
    with qtbot.waitSignal(runner.finished, timeout=10000):
        runner.start()
    assert dialog.panel.bar.value() == dialog.panel.bar.maximum()
    assert dialog.panel.message_label.text() == "Done."
    assert not dialog.isVisible()


def test_closing_the_progress_dialog_cancels_instead_of_hiding_the_job(qtbot, data_file):
    resume = threading.Event()
    runner = JobRunner(hash_job(data_file, pause_at=2, resume=resume), min_interval=0)
    dialog = ProgressDialog("Hashing", runner)
    qtbot.addWidget(dialog)
    dialog.show()
    runner.progress.connect(lambda *_: (dialog.reject(), resume.set()))
    with qtbot.waitSignal(runner.cancelled, timeout=10000):
        runner.start()
    assert runner.cancel_token.cancelled


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, ""),
        (float("nan"), ""),
        (3, "Almost done"),
        (42, "About 40 seconds left"),
        (60, "About 1 minute left"),
        (125, "About 2 minutes left"),
        (3600, "About 1 hour left"),
        (7200 + 1260, "About 2 h 21 min left"),
    ],
)
def test_eta_reads_as_words(seconds, text):
    assert format_eta(seconds) == text


def test_garbage_is_collected_on_the_ui_thread_only(qtbot, data_file):
    """Automatic gc is off once jobs run; the UI-thread timer still frees cycles."""
    import gc
    import weakref

    from voicestudio.app import job_runner

    runner = JobRunner(hash_job(data_file))
    with qtbot.waitSignal(runner.ended, timeout=30000):
        runner.start()
    assert not gc.isenabled()
    collector = job_runner._collector
    assert collector is not None

    class Node:
        pass

    node = Node()
    node.self_ref = node
    gone = weakref.ref(node)
    del node
    # Push generation 0 past its threshold, as a busy job would, then let the timer act.
    # (gc counts allocations minus frees, so the junk stays alive until then).
    junk = [[] for _ in range(collector.thresholds[0] + 1)]
    qtbot.waitUntil(lambda: gone() is None, timeout=30000)
    assert len(junk) > collector.thresholds[0]


def test_shutdown_stops_jobs_that_listen_and_counts_those_that_cannot(qtbot):
    """Closing the app cancels every job and waits; a job stuck in work it cannot interrupt
    (a first ``import torch``, a blocking read) is counted, so the app can leave without
    letting Python destroy its running thread."""
    from voicestudio.app.job_runner import cancel_all_jobs

    def listens(_progress: ProgressCallback, cancel: CancelToken) -> None:
        while True:
            cancel.raise_if_cancelled()
            threading.Event().wait(0.01)

    stuck = threading.Event()
    listening, deaf = JobRunner(listens), JobRunner(lambda _p, _c: stuck.wait(60))
    listening.start()
    deaf.start()
    try:
        assert cancel_all_jobs(wait_msecs=300) == 1
        assert listening.wait(0) and not deaf.wait(0)
    finally:
        stuck.set()
        assert deaf.wait(5000)
    assert cancel_all_jobs(wait_msecs=0) == 0
