"""The status bar's two facts: base models installed, and the compute device."""

from __future__ import annotations

import pytest

from voicestudio.app.state import AppState
from voicestudio.app.status import NOT_INSTALLED, AppStatusBar, base_models_summary
from voicestudio.hub.status import InstallSummary


def summary(present=(), missing=(), tiny=()):
    return InstallSummary(tuple(present), tuple(missing), tuple(tiny), ())


@pytest.fixture
def registry_answer(monkeypatch):
    """Set what the registry reports, without writing model folders."""
    answer = {"summary": summary(missing=("s1-v2", "s2g-v2"))}
    monkeypatch.setattr("voicestudio.app.status.installed_summary",
                        lambda _data_dir: answer["summary"])
    return answer


@pytest.mark.parametrize(
    ("answer", "text", "ready"),
    [
        (summary(missing=("s1-v2", "s2g-v2")), NOT_INSTALLED, False),
        (summary(present=("s1-v2",), missing=("s2g-v2",)), "Base models: 1 of 2 installed",
         False),
        (summary(present=("s1-v2", "s2g-v2"), tiny=("s1-v2",)), "Base models: test models only",
         False),
        (summary(present=("s1-v2", "s2g-v2")), "Base models: installed", True),
    ],
)
def test_the_registry_answer_is_shown(registry_answer, tmp_path, answer, text, ready):
    registry_answer["summary"] = answer
    status = base_models_summary(tmp_path)
    assert (status.text, status.ready) == (text, ready)
    assert status.detail == answer.message


def test_an_empty_data_folder_is_not_installed(tmp_path):
    status = base_models_summary(tmp_path)
    assert status.text == NOT_INSTALLED and not status.ready


def test_a_failing_registry_does_not_stop_the_window(monkeypatch, tmp_path):
    def broken(_data_dir):
        raise OSError("disk on fire")

    monkeypatch.setattr("voicestudio.app.status.installed_summary", broken)
    assert base_models_summary(tmp_path).text == "Base models: could not check"


def test_the_status_bar_updates_when_models_change(registry_answer, qtbot):
    state = AppState()
    bar = AppStatusBar(state, device_resolver=lambda _pref: "CPU")
    qtbot.addWidget(bar)
    assert bar.models_label.text() == NOT_INSTALLED
    assert bar.models_label.property("problem") is True
    registry_answer["summary"] = summary(present=("s1-v2", "s2g-v2"))
    state.notify_base_models_changed()
    assert bar.models_label.text() == "Base models: installed"
    assert bar.models_label.property("problem") is False


def test_the_real_device_check_names_this_machine(qtbot):
    state = AppState()
    bar = AppStatusBar(state)
    qtbot.addWidget(bar)
    bar.refresh_device()
    assert bar.device_label.text() == "Device: checking…"
    assert bar.wait_for_device(60000)
    qtbot.waitUntil(lambda: "checking" not in bar.device_label.text(), timeout=10000)
    # The expectation comes from the machine, not from the code under test.
    import torch

    label = bar.device_label.text()
    if torch.cuda.is_available():
        assert torch.cuda.get_device_name(0) in label, label
    elif torch.backends.mps.is_available():
        assert "MPS" in label, label
    else:
        assert label == "Device: CPU"
