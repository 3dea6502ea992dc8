"""``voicestudio train``: a full run, Ctrl-C → exit 130 with a resume line, then --resume."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tiny_training import TinyBaseModels

from voicestudio.cli import main
from voicestudio.project.voice import Voice
from voicestudio.services import training
from voicestudio.training import batches, run

READY = training.Readiness("ready", "Ready to train.")

REPO = Path(__file__).resolve().parents[2]
FAST = ["--epochs-s2", "1", "--epochs-s1", "1", "--device", "cpu", "--batch-size-s2", "4",
        "--batch-size-s1", "4"]


@pytest.fixture
def tiny_hub(monkeypatch):
    """Tiny in-memory base models instead of installed ones; the readiness check (which
    looks for installed base models and a minute of speech) is tested in tests/cli."""
    monkeypatch.setattr(batches, "MIN_EPOCH_ITEMS", 8)
    monkeypatch.setattr(run, "hub_base_models", lambda data_dir, family="v2": TinyBaseModels())
    monkeypatch.setattr(training, "check_readiness", lambda *_a, **_k: READY)


def test_train_command_registers_a_version(tiny_voice: Voice, tiny_hub, capsys) -> None:
    assert main(["train", "Tiny", "--preset", "quick", *FAST]) == 0
    out = capsys.readouterr()
    version = Voice.open(tiny_voice.folder).latest_model()
    assert version is not None and version.preset == "quick"
    assert f"Trained model version {version.version_id}" in out.out
    assert (tiny_voice.folder / version.s2_path).is_file()
    assert "voicestudio speak --voice" in out.out


def test_train_command_says_when_checkpoint_checks_are_off(tiny_voice: Voice, tiny_hub,
                                                            monkeypatch, capsys) -> None:
    """The log line the Train page shows reaches a CLI user too, with its reason."""
    assert main(["train", "Tiny", "--preset", "quick", *FAST]) == 0
    assert "Checkpoint checks are off for this run: the speaker-check model is not " \
        "installed" in capsys.readouterr().out
    monkeypatch.setattr(training, "_speaker_model_installed", lambda data_dir: True)
    assert main(["train", "Tiny", "--preset", "quick", *FAST]) == 0
    out = capsys.readouterr().out
    assert "Checkpoint checks are off for this run: with only 4 segments none can be spared" in out


def test_train_command_reports_bad_input_without_a_traceback(tiny_voice: Voice, tiny_hub,
                                                             capsys) -> None:
    assert main(["train", "Tiny", "--epochs-s2", "0", "--device", "cpu"]) == 2
    assert "between 1 and 100" in capsys.readouterr().err
    assert main(["train", "Nobody", "--device", "cpu"]) == 2
    assert main(["train", "Tiny", "--resume"]) == 2
    assert "no unfinished training" in capsys.readouterr().err


CLI_SCRIPT = """
import sys
sys.path[:0] = [{tests!r}, {repo!r}]
import torch
torch.set_num_threads(1)
from tiny_training import TinyBaseModels
from voicestudio.cli import main
from voicestudio.training import batches, run
batches.MIN_EPOCH_ITEMS = 8
run.hub_base_models = lambda data_dir, family="v2": TinyBaseModels()
from voicestudio.services import training
training.check_readiness = lambda *_a, **_k: training.Readiness("ready", "Ready to train.")
sys.exit(main(sys.argv[1:]))
"""


def test_ctrl_c_saves_and_prints_how_to_resume(tiny_voice: Voice) -> None:
    script = CLI_SCRIPT.format(tests=str(Path(__file__).parent), repo=str(REPO))
    command = [sys.executable, "-c", script, "train", "Tiny", *FAST]
    proc = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env={**os.environ})
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:  # the first progress line says the run has started
        seen.append(line)
        if "Training on CPU" in line:
            time.sleep(0.5)
            proc.send_signal(signal.SIGINT)
            break
    rest = proc.stderr.read()
    assert proc.wait(timeout=120) == 130, "".join(seen) + rest
    resume_lines = [ln for ln in rest.splitlines() if ln.startswith("Resume with:")]
    assert len(resume_lines) == 1 and "voicestudio train \"Tiny\" --resume" in resume_lines[0]
    assert "Training paused" in rest

    resumed = subprocess.run([sys.executable, "-c", script, "train", "Tiny", "--resume"],
                             capture_output=True, text=True, env={**os.environ}, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert "Resuming training run" in resumed.stderr
    assert Voice.open(tiny_voice.folder).latest_model() is not None


def test_a_disk_that_fills_mid_run_prints_a_resume_command_for_the_same_folder(
        tiny_voice: Voice, tiny_hub, isolated_user_dirs: Path, monkeypatch, capsys) -> None:
    import errno

    real_fsync = os.fsync

    def fsync_until_the_plan_is_saved(fd: int) -> None:
        # the run's plan is written (atomically) first; every later save finds the disk full
        if any(tiny_voice.folder.glob(f"models/*/{run.STATE_DIR}/{run.PLAN_FILE}")):
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync_until_the_plan_is_saved)
    code = main(["--data-dir", str(isolated_user_dirs), "train", "Tiny", "--preset", "quick",
                 *FAST])
    monkeypatch.undo()
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "is full" in err and "is paused" in err
    paused = run.TrainingRun.unfinished(Voice.open(tiny_voice.folder))
    assert len(paused) == 1
    resume = [ln for ln in err.splitlines() if ln.startswith("Once there is room, resume with:")]
    assert resume == [f"Once there is room, resume with: voicestudio --data-dir "
                      f"{isolated_user_dirs} train \"Tiny\" --resume {paused[0]}"]
