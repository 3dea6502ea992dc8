"""The status bar's two facts: base models installed, and the compute device."""

from __future__ import annotations

import sys
import types

import pytest

from voicestudio.app.state import AppState
from voicestudio.app.status import NOT_INSTALLED, AppStatusBar, base_models_summary


@pytest.fixture
def no_registry(monkeypatch):
    """As if voicestudio.hub.registry had not landed: the folder check is used."""
    monkeypatch.setitem(sys.modules, "voicestudio.hub.registry", None)


@pytest.fixture
def fake_registry(monkeypatch):
    module = types.ModuleType("voicestudio.hub.registry")
    monkeypatch.setitem(sys.modules, "voicestudio.hub.registry", module)
    return module


def test_without_the_registry_a_missing_or_empty_folder_is_not_installed(no_registry,
                                                                          tmp_path):
    assert base_models_summary(tmp_path).text == NOT_INSTALLED
    (tmp_path / "base-models" / "s1-v2").mkdir(parents=True)
    status = base_models_summary(tmp_path)
    assert status.text == NOT_INSTALLED and not status.ready


def test_without_the_registry_folders_with_files_count(no_registry, tmp_path):
    for name in ("s1-v2", "hubert"):
        (tmp_path / "base-models" / name / "sub").mkdir(parents=True)
        (tmp_path / "base-models" / name / "sub" / "weights.bin").write_bytes(b"w")
    (tmp_path / "base-models" / "empty").mkdir()
    status = base_models_summary(tmp_path)
    assert status.text == "Base models: 2 installed" and status.ready
    assert "hubert" in status.detail and "s1-v2" in status.detail


def summary(present=(), missing=(), tiny=(), message="from the registry"):
    return types.SimpleNamespace(present=present, missing=missing, tiny=tiny, message=message)


@pytest.mark.parametrize(
    ("answer", "text", "ready"),
    [
        (summary(missing=("s1", "s2")), NOT_INSTALLED, False),
        (summary(present=("s1",), missing=("s2",)), "Base models: 1 of 2 installed", False),
        (summary(present=("s1", "s2"), tiny=("s1",)), "Base models: test models only", False),
        (summary(present=("s1", "s2")), "Base models: installed", True),
        ("Base models: 5 ready", "Base models: 5 ready", True),
    ],
)
def test_the_registry_is_asked_when_present(fake_registry, tmp_path, answer, text, ready):
    fake_registry.installed_summary = lambda data_dir: answer
    status = base_models_summary(tmp_path)
    assert (status.text, status.ready) == (text, ready)
    if not isinstance(answer, str):
        assert status.detail == "from the registry"


def test_a_failing_registry_does_not_stop_the_window(fake_registry, tmp_path):
    def broken(_data_dir):
        raise OSError("disk on fire")

    fake_registry.installed_summary = broken
    assert base_models_summary(tmp_path).text == "Base models: could not check"


def test_the_status_bar_updates_when_models_change(no_registry, qtbot, isolated_user_dirs):
    state = AppState()
    bar = AppStatusBar(state, device_resolver=lambda _pref: "CPU")
    qtbot.addWidget(bar)
    assert bar.models_label.text() == NOT_INSTALLED
    assert bar.models_label.property("problem") is True
    (isolated_user_dirs / "base-models" / "bert").mkdir(parents=True)
    (isolated_user_dirs / "base-models" / "bert" / "config.json").write_text("{}")
    state.notify_base_models_changed()
    assert bar.models_label.text() == "Base models: 1 installed"
    assert bar.models_label.property("problem") is False


def test_the_real_device_check_names_this_machine(qtbot):
    from voicestudio.models.devices import resolve_device

    state = AppState()
    bar = AppStatusBar(state)
    qtbot.addWidget(bar)
    bar.refresh_device()
    assert bar.device_label.text() == "Device: checking…"
    assert bar.wait_for_device(60000)
    qtbot.waitUntil(lambda: "checking" not in bar.device_label.text(), timeout=10000)
    assert bar.device_label.text() == f"Device: {resolve_device('auto').label}"
