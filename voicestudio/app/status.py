"""The status bar: which device will do the work and whether the base models are installed.

These two facts decide whether anything beyond recording can work, so they are always in
view. The device is resolved in a :class:`JobRunner` because asking torch means importing it
(seconds on a cold start), and the window must appear before that.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from voicestudio.app.job_runner import JobRunner
from voicestudio.app.state import AppState
from voicestudio.hub.status import InstallSummary, installed_summary

log = logging.getLogger(__name__)

NOT_INSTALLED = "Base models: not installed"

DEVICE_NAMES = {"cuda": "NVIDIA GPU (CUDA)", "mps": "Apple GPU (MPS)", "cpu": "CPU"}


@dataclass(frozen=True)
class BaseModelsStatus:
    text: str  # short, for the status bar
    detail: str  # longer, for the tooltip
    ready: bool


def _describe(summary: InstallSummary) -> BaseModelsStatus:
    detail = summary.message
    if summary.missing:
        if not summary.present:
            return BaseModelsStatus(NOT_INSTALLED, detail, False)
        total = len(summary.present) + len(summary.missing)
        return BaseModelsStatus(
            f"Base models: {len(summary.present)} of {total} installed", detail, False
        )
    if summary.tiny:
        return BaseModelsStatus("Base models: test models only", detail, False)
    return BaseModelsStatus("Base models: installed", detail, True)


def base_models_summary(data_dir: Path) -> BaseModelsStatus:
    """What the status bar says about ``<data-dir>/base-models``, as the registry sees it."""
    try:
        return _describe(installed_summary(Path(data_dir)))
    except Exception:  # a status line must never stop the window from opening
        log.exception("base-model check failed")
        return BaseModelsStatus(
            "Base models: could not check", "See the log file for details.", False
        )


def _resolve_device_label(preference: str) -> str:
    from voicestudio.models.devices import resolve_device  # imports torch: keep it lazy

    return resolve_device(preference).label


class AppStatusBar(QStatusBar):
    """Permanent device and base-model labels, plus the usual transient messages."""

    def __init__(
        self,
        state: AppState,
        parent: QWidget | None = None,
        device_resolver: Callable[[str], str] = _resolve_device_label,
    ) -> None:
        super().__init__(parent)
        self._state = state
        self._resolve = device_resolver
        self._device_runner: JobRunner | None = None
        self.device_label = QLabel()
        self.device_label.setObjectName("statusDevice")
        self.models_label = QLabel()
        self.models_label.setObjectName("statusModels")
        self.addPermanentWidget(self.device_label)
        self.addPermanentWidget(self.models_label)
        state.settings_changed.connect(self._on_settings_changed)
        state.base_models_changed.connect(self.refresh_base_models)
        self._device_preference: str | None = None
        self.refresh_base_models()

    def refresh_device(self) -> None:
        """Resolve the chosen device in the background and show it when known."""
        preference = self._state.settings.compute_device
        self._device_preference = preference
        self.device_label.setText("Device: checking…")
        self.device_label.setToolTip("")
        self.device_label.setProperty("problem", False)
        runner = JobRunner(lambda _progress, _cancel: self._resolve(preference), self)
        runner.finished.connect(lambda label: self._show_device(preference, str(label), None))
        runner.failed.connect(lambda message, _exc: self._show_device(preference, "", message))
        self._device_runner = runner
        runner.start()

    def wait_for_device(self, msecs: int = 30000) -> bool:
        """For start-up measurements and tests: block until the device check has ended."""
        return self._device_runner is None or self._device_runner.wait(msecs)

    def _show_device(self, preference: str, label: str, problem: str | None) -> None:
        if preference != self._state.settings.compute_device:
            return  # a newer check for a newer choice is on its way
        if problem is None:
            chosen = "" if preference == "auto" else " (chosen in Settings)"
            self.device_label.setText(f"Device: {label}{chosen}")
            self.device_label.setToolTip("Training and speaking run on this device.")
            self.device_label.setProperty("problem", False)
        else:
            wanted = DEVICE_NAMES.get(preference, preference)
            self.device_label.setText(f"Device: {wanted} not available")
            self.device_label.setToolTip(problem)
            self.device_label.setProperty("problem", True)
        self._repolish(self.device_label)

    def refresh_base_models(self) -> None:
        status = base_models_summary(self._state.data_dir)
        self.models_label.setText(status.text)
        self.models_label.setToolTip(status.detail)
        self.models_label.setProperty("problem", not status.ready)
        self._repolish(self.models_label)

    def _on_settings_changed(self) -> None:
        if self._state.settings.compute_device != self._device_preference:
            self.refresh_device()
        self.refresh_base_models()  # the model family decides which base models are needed

    @staticmethod
    def _repolish(widget: QWidget) -> None:
        # Style sheets match on the "problem" property; Qt re-reads it only when asked.
        widget.style().unpolish(widget)
        widget.style().polish(widget)
