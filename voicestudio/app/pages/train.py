"""The Train page: one button from the voice's recordings to a voice you can hear.

Top to bottom: whether the voice is ready (``services.training.check_readiness``, each
problem with the button that fixes it), how long to train (a preset, and an "Advanced"
fold-out with epochs, batch sizes, LoRA and device), the button, then what is happening:
one bar with the time left for the whole run, live loss curves, a short log, Cancel and
Resume. Under it the trained versions and a try-out of the voice.

The work is ``services.training.train_voice`` in a :class:`JobRunner`; its per-step reports
come from the worker thread through a signal (queued to the UI thread), never to widgets.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QResizeEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from voicestudio.app import dialogs
from voicestudio.app.job_runner import JobRunner
from voicestudio.app.pages import page_spec
from voicestudio.app.pages.base import BasePage
from voicestudio.app.pages.try_voice import TryVoicePanel, shrinkable
from voicestudio.app.state import AppState
from voicestudio.app.widgets.progress import ProgressPanel
from voicestudio.errors import VoiceStudioError
from voicestudio.jobs import CancelToken, ProgressCallback
from voicestudio.project.voice import Voice
from voicestudio.services.heavy_jobs import HEAVY_JOBS
from voicestudio.services.speech import SpeakingModel
from voicestudio.services.training import (
    LOSS_CURVES,
    SMALL_BATCH,
    LossCurves,
    Problem,
    Readiness,
    describe_version,
    preset_choices,
    unfinished_runs,
)

DEVICES = (("auto", "Automatic"), ("cuda", "NVIDIA GPU (CUDA)"), ("mps", "Apple GPU"),
           ("cpu", "Processor (CPU)"))
LOG_LINES = 200
WIDE_PLOTS = 760  # viewport width (px) from which the three plots stand side by side
CURVE_COLOURS = ("#2f6fd6", "#d67a2f", "#2f9e5a")


class _Relay(QObject):
    """Carries the job's per-step reports from the worker thread to the UI thread."""

    update = Signal(object)


class TrainPage(BasePage):
    """Train the open voice; see the module docstring for the layout."""

    runner_started = Signal()  # a training (new or resumed) began

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(state, parent)
        self.voice: Voice | None = None
        self.readiness: Readiness | None = None
        self.check_runner: JobRunner | None = None
        self.runner: JobRunner | None = None
        self.curves = LossCurves()
        self.last_version: Any = None
        self.export_runner: JobRunner | None = None
        # Who judges the checkpoints: "listen" (speaker likeness + speech recogniser) or a
        # CheckpointScorer (tests inject one).
        self.scorer: Any = "listen"
        self._relay = _Relay(self)
        self._relay.update.connect(self._on_update)
        self._last_epoch: tuple[str, int] | None = None
        self._stage: str | None = None  # the stage the running job reported last

        outer = self.page_layout(
            "Train", "Teach VoiceStudio the voice from its recordings. It runs in the "
            "background: you can use the other pages meanwhile, pause, and resume later.")
        body = QWidget()
        body.setObjectName("trainBody")
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 0, 8, 0)
        layout.setSpacing(12)
        scroll = QScrollArea()
        scroll.setWidget(body)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        # At the window's smallest size everything wraps or stacks; nothing scrolls sideways.
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setStyleSheet("QScrollArea, QWidget#trainBody { background: transparent; }")
        outer.addWidget(scroll, 1)
        self.scroll = scroll

        # --- no voice open ---------------------------------------------------------------
        self.no_voice = QWidget()
        no_voice_row = QHBoxLayout(self.no_voice)
        no_voice_row.setContentsMargins(0, 0, 0, 0)
        no_voice_label = QLabel("Open a voice on the Voices page first.")
        no_voice_label.setObjectName("emptyState")
        open_voices = QPushButton("Open Voices")
        open_voices.clicked.connect(lambda: self._show_page("voices"))
        no_voice_row.addWidget(no_voice_label, 1)
        no_voice_row.addWidget(open_voices)
        layout.addWidget(self.no_voice)

        self.content = QWidget()
        content = QVBoxLayout(self.content)
        content.setContentsMargins(0, 0, 0, 0)
        content.setSpacing(12)
        layout.addWidget(self.content)
        layout.addStretch(1)

        # --- readiness -------------------------------------------------------------------
        ready_card, ready_layout = self._card("Is the voice ready?")
        self.verdict_label = QLabel()
        self.verdict_label.setWordWrap(True)
        self.verdict_label.setObjectName("verdict")
        self.facts_label = QLabel()
        self.facts_label.setObjectName("hint")
        self.facts_label.setWordWrap(True)
        self.problems_box = QVBoxLayout()
        self.problems_box.setSpacing(4)
        self.recheck_button = QPushButton("Check again")
        self.recheck_button.clicked.connect(self.check)
        self._headline_fix: Any = None
        self.headline_fix_button = QPushButton()
        self.headline_fix_button.hide()
        self.headline_fix_button.clicked.connect(
            lambda: self._headline_fix is not None
            and self.fix(self._headline_fix, self.headline_fix_button))
        verdict_row = QHBoxLayout()
        verdict_row.addWidget(self.verdict_label, 1)
        verdict_row.addWidget(self.headline_fix_button, 0, Qt.AlignmentFlag.AlignTop)
        verdict_row.addWidget(self.recheck_button, 0, Qt.AlignmentFlag.AlignTop)
        ready_layout.addLayout(verdict_row)
        ready_layout.addWidget(self.facts_label)
        ready_layout.addLayout(self.problems_box)
        content.addWidget(ready_card)

        # --- what to train ---------------------------------------------------------------
        plan_card, plan_layout = self._card("Training")
        self.preset_combo = QComboBox()
        shrinkable(self.preset_combo)
        for name, label, description in preset_choices():
            self.preset_combo.addItem(label, name)
            self.preset_combo.setItemData(self.preset_combo.count() - 1, description,
                                          Qt.ItemDataRole.ToolTipRole)
        self.preset_combo.currentIndexChanged.connect(self._preset_changed)
        self.preset_info = QLabel()
        self.preset_info.setObjectName("hint")
        self.preset_info.setWordWrap(True)
        self.train_button = QPushButton("Train this voice")
        self.train_button.setObjectName("primary")
        self.train_button.clicked.connect(self.train)
        self.resume_button = QPushButton("Resume")
        self.resume_button.setToolTip("Continue the paused training where it stopped.")
        self.resume_button.clicked.connect(self.resume)
        self.resume_button.hide()  # shown once a paused run is found
        plan_row = QHBoxLayout()
        plan_row.addWidget(QLabel("How long:"))
        plan_row.addWidget(self.preset_combo, 1)
        buttons_row = QHBoxLayout()  # a row of its own: at the smallest size nothing is cut
        buttons_row.addStretch(1)
        buttons_row.addWidget(self.resume_button)
        buttons_row.addWidget(self.train_button)
        plan_layout.addLayout(plan_row)
        plan_layout.addWidget(self.preset_info)
        plan_layout.addLayout(buttons_row)

        self.advanced_button = QToolButton()
        self.advanced_button.setText("Advanced")
        self.advanced_button.setCheckable(True)
        self.advanced_button.setArrowType(Qt.ArrowType.RightArrow)
        self.advanced_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.advanced_button.toggled.connect(self._toggle_advanced)
        plan_layout.addWidget(self.advanced_button)
        self.advanced = QWidget()
        form = QFormLayout(self.advanced)
        form.setContentsMargins(18, 0, 0, 0)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)  # labels above, if narrow
        self.s2_epochs = self._spin(1, 100, "Passes over the recordings for the voice model "
                                    "(SoVITS, S2).")
        self.s1_epochs = self._spin(1, 100, "Passes over the recordings for the text model "
                                    "(GPT, S1).")
        self.s2_batch = self._spin(0, 64, "Clips per step for the voice model; 0 chooses "
                                   "from the device.", special="Automatic")
        self.s1_batch = self._spin(0, 64, "Clips per step for the text model; 0 chooses from "
                                   "the device.", special="Automatic")
        self.lora_rank = self._spin(0, 128, "Train the text model through small LoRA adapters "
                                    "of this rank (0: train all of it).", special="Off")
        self.save_every = self._spin(1, 100, "Save, and listen to, the voice every this many "
                                     "epochs.")
        self.save_every.setValue(1)
        self.device_combo = QComboBox()
        for code, label in DEVICES:
            self.device_combo.addItem(label, code)
        self.early_stop = QCheckBox("Stop early when no better")
        self.early_stop.setChecked(True)
        self.early_stop.setToolTip("Stop a stage early when the voice stops getting better. "
                                   "After each saved epoch the voice is scored by listening "
                                   "to it; the best version is kept either way.")
        form.addRow("Voice model epochs:", self.s2_epochs)
        form.addRow("Text model epochs:", self.s1_epochs)
        form.addRow("Voice model batch:", self.s2_batch)
        form.addRow("Text model batch:", self.s1_batch)
        form.addRow("LoRA rank:", self.lora_rank)
        form.addRow("Check every (epochs):", self.save_every)
        form.addRow("Device:", self.device_combo)
        form.addRow("", self.early_stop)
        self.advanced.hide()
        plan_layout.addWidget(self.advanced)
        content.addWidget(plan_card)

        # --- paused runs -----------------------------------------------------------------
        self.paused_card, paused_layout = self._card("Paused training")
        paused_hint = QLabel("A paused run keeps its half-trained state on disk, so it can "
                             "continue where it stopped. Discard it to free the space.")
        paused_hint.setObjectName("hint")
        paused_hint.setWordWrap(True)
        self.paused_list = QListWidget()
        self.paused_list.setMaximumHeight(72)
        self.paused_list.setWordWrap(True)
        self.paused_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.paused_list.currentRowChanged.connect(lambda _row: self._update_buttons())
        self.resume_selected_button = QPushButton("Resume this run")
        self.resume_selected_button.clicked.connect(self.resume_selected)
        self.discard_button = QPushButton("Discard…")
        self.discard_button.setToolTip("Delete the paused run's saved state to free its space.")
        self.discard_button.clicked.connect(self.discard_selected)
        self.discard_runner: JobRunner | None = None
        paused_buttons = QHBoxLayout()
        paused_buttons.addWidget(self.resume_selected_button)
        paused_buttons.addWidget(self.discard_button)
        paused_buttons.addStretch(1)
        paused_layout.addWidget(paused_hint)
        paused_layout.addWidget(self.paused_list)
        paused_layout.addLayout(paused_buttons)
        self.paused_card.hide()
        content.addWidget(self.paused_card)

        # --- progress --------------------------------------------------------------------
        self.run_card, run_layout = self._card("Progress")
        self.progress = ProgressPanel()
        run_layout.addWidget(self.progress)
        self.plots_grid = QGridLayout()  # side by side when wide, stacked when narrow
        self._plot_columns = 0
        self.plots: dict[str, pg.PlotWidget] = {}
        self.plot_items: dict[tuple[str, str], Any] = {}
        for stage, (title, names) in LOSS_CURVES.items():
            plot = pg.PlotWidget(background="w")
            plot.setTitle(title, color="#1f2933", size="10pt")
            plot.setLabel("bottom", "step")
            plot.addLegend(offset=(-10, 10))
            plot.setMinimumHeight(180)
            plot.showGrid(x=True, y=True, alpha=0.2)
            for colour, (key, label) in zip(CURVE_COLOURS, names, strict=False):
                self.plot_items[(stage, key)] = plot.plot(
                    [], [], pen=pg.mkPen(colour, width=2), name=label)
            self.plots[stage] = plot
        self._shown_plots = list(self.plots)
        self._place_plots()
        run_layout.addLayout(self.plots_grid)
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(LOG_LINES)
        self.log.setFixedHeight(96)
        run_layout.addWidget(self.log)
        self.result_label = QLabel()
        self.result_label.setWordWrap(True)
        self.result_label.setObjectName("dialogHeading")
        run_layout.addWidget(self.result_label)
        self.result_label.hide()
        self.run_card.hide()
        content.addWidget(self.run_card)

        # --- versions and try-out --------------------------------------------------------
        self.versions_card, versions_layout = self._card("Trained versions")
        self.versions_list = QListWidget()
        self.versions_list.setMaximumHeight(120)
        self.versions_list.setWordWrap(True)
        self.versions_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.versions_list.currentRowChanged.connect(lambda _row: self._update_version_buttons())
        self.activate_button = QPushButton("Use this version")
        self.activate_button.setToolTip("Make the selected version the one that speaks.")
        self.activate_button.clicked.connect(self.activate_selected)
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Write the selected version as GPT-SoVITS v2 files "
                                      "(.ckpt + .pth, with a README) to use in GPT-SoVITS.")
        self.export_button.clicked.connect(self.export_selected)
        self.delete_button = QPushButton("Delete…")
        self.delete_button.clicked.connect(self.delete_selected)
        self.versions_message = QLabel()
        self.versions_message.setObjectName("hint")
        self.versions_message.setWordWrap(True)
        version_buttons = QHBoxLayout()
        version_buttons.addWidget(self.activate_button)
        version_buttons.addWidget(self.export_button)
        version_buttons.addWidget(self.delete_button)
        version_buttons.addStretch(1)
        versions_layout.addWidget(self.versions_list)
        versions_layout.addLayout(version_buttons)
        versions_layout.addWidget(self.versions_message)
        content.addWidget(self.versions_card)
        self.try_panel = TryVoicePanel(state, try_out=True)
        self.try_panel.setMinimumHeight(300)
        content.addWidget(self.try_panel)

        state.current_voice_changed.connect(self._voice_changed)
        state.base_models_changed.connect(self.check)
        state.settings_changed.connect(self._settings_changed)
        state.heavy_job_changed.connect(self._update_buttons)  # another page's job ended
        self._preset_changed()
        self._settings_changed()
        self._voice_changed(state.current_voice)

    # --- building blocks ------------------------------------------------------------------

    @staticmethod
    def _card(title: str) -> tuple[QFrame, QVBoxLayout]:
        card = QFrame()
        card.setObjectName("card")
        layout = QVBoxLayout(card)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(8)
        heading = QLabel(title)
        heading.setObjectName("dialogHeading")
        layout.addWidget(heading)
        return card, layout

    @staticmethod
    def _spin(low: int, high: int, tip: str, special: str = "") -> QSpinBox:
        spin = QSpinBox()
        spin.setRange(low, high)
        spin.setToolTip(tip)
        if special:
            spin.setSpecialValueText(special)
        return spin

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._place_plots()

    def _place_plots(self, force: bool = False) -> None:
        """The plots side by side need room; in a narrow window they stand one under the
        other, each still wide enough to read. A plot this run has nothing for (checkpoint
        checks that are off) is not shown at all."""
        shown = self._shown_plots  # in the order of self.plots (LOSS_CURVES)
        wide = self.scroll.viewport().width() >= WIDE_PLOTS
        columns = len(shown) if wide else 1
        if columns == self._plot_columns and not force:
            return
        self._plot_columns = columns
        for plot in self.plots.values():
            self.plots_grid.removeWidget(plot)
        for key, plot in self.plots.items():
            plot.setVisible(key in shown)
        for i, key in enumerate(shown):
            self.plots_grid.addWidget(self.plots[key], i // columns, i % columns)

    def _confirm(self, question: str) -> bool:
        answer = QMessageBox.question(self, "VoiceStudio", question)
        return answer == QMessageBox.StandardButton.Yes

    def _show_page(self, key: str) -> None:
        show_page = getattr(self.window(), "show_page", None)
        if show_page is not None:
            show_page(key)

    # --- the open voice -------------------------------------------------------------------

    def on_shown(self) -> None:
        if not self.is_training:
            self.check()

    def _voice_changed(self, voice: Voice | None) -> None:
        if self.is_training:
            return  # the run keeps its voice; the page shows it until the run ends
        same = (voice is not None and self.voice is not None
                and voice.manifest.id == self.voice.manifest.id)
        self.voice = voice
        self.no_voice.setVisible(voice is None)
        self.content.setVisible(voice is not None)
        self.try_panel.set_voice(voice)
        if not same:  # the same voice reloaded (renamed, retrained) keeps its last run shown
            # the last run's curves, as saved, so a restart still shows how it went
            self.curves = LossCurves.from_history(voice) if voice is not None else LossCurves()
            self.run_card.setVisible(bool(self.curves))
            self.progress.setVisible(False)
            self._redraw()
            self.log.clear()
        self._show_versions()
        self._show_paused_runs()
        self.check()

    def _settings_changed(self) -> None:
        device = self.state.settings.compute_device
        self.device_combo.setCurrentIndex(max(self.device_combo.findData(device), 0))

    def _preset_changed(self) -> None:
        from voicestudio.training.presets import get_preset

        name = self.preset_combo.currentData()
        preset = get_preset(name)
        self.s2_epochs.setValue(preset.s2_epochs)
        self.s1_epochs.setValue(preset.s1_epochs)
        self._show_preset_info()

    def _show_preset_info(self) -> None:
        name = self.preset_combo.currentData()
        tip = self.preset_combo.itemData(self.preset_combo.currentIndex(),
                                         Qt.ItemDataRole.ToolTipRole)
        times = self.readiness.preset_times if self.readiness is not None else {}
        self.preset_info.setText(" ".join(t for t in (str(tip or ""), times.get(name, "")) if t))

    def _toggle_advanced(self, shown: bool) -> None:
        self.advanced.setVisible(shown)
        self.advanced_button.setArrowType(
            Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)

    # --- readiness ------------------------------------------------------------------------

    def check(self) -> None:
        """Check the open voice in the background (it reads the dataset and the device)."""
        voice = self.voice
        if voice is None or self.is_training:
            return
        data_dir, device = self.state.data_dir, self.device_combo.currentData()
        self.verdict_label.setText("Checking the recordings…")
        self.train_button.setEnabled(False)

        def job(_progress: ProgressCallback, _cancel: CancelToken) -> Readiness:
            from voicestudio.services.training import check_readiness

            return check_readiness(data_dir, Voice.open(voice.folder), device)

        runner = JobRunner(job, self)
        runner.finished.connect(lambda result, vid=voice.manifest.id: self._checked(vid, result))
        runner.failed.connect(lambda message, _exc: self.verdict_label.setText(message))
        self.check_runner = runner
        runner.start()

    def _checked(self, voice_id: str, readiness: Readiness) -> None:
        if self.voice is None or self.voice.manifest.id != voice_id:
            return
        self.readiness = readiness
        self._show_preset_info()  # the description now says what it takes here
        self.verdict_label.setText(readiness.headline)
        self.verdict_label.setProperty("verdict", readiness.verdict)
        facts = [f"{readiness.segments} segments, {readiness.speech_seconds:.0f} s of speech"]
        if readiness.device_label:
            facts.append(f"trains on: {readiness.device_label}")
        self.facts_label.setText(" · ".join(facts) + "".join(
            f"\n{note}" for note in readiness.notes))
        while self.problems_box.count():
            item = self.problems_box.takeAt(0)
            widget = item.widget()
            if widget is not None:
                widget.deleteLater()
        headline = readiness.headline.removeprefix("Cannot start: ")
        self._headline_fix = None
        for problem in readiness.problems:
            if problem.message == headline and self._headline_fix is None:
                self._headline_fix = problem  # said once, in the verdict, with its button
                continue
            self.problems_box.addWidget(self._problem_row(problem.message, problem))
        fix = self._headline_fix
        can_fix = fix is not None and _can_fix(fix)
        self.headline_fix_button.setVisible(can_fix)
        if can_fix:
            self.headline_fix_button.setText(fix.fix_label or "Fix")
        self._update_buttons()

    def _problem_row(self, text: str, problem: Any) -> QWidget:
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        label = QLabel(("• " + text) if text else "")
        label.setWordWrap(True)
        label.setObjectName("fieldError" if problem.blocking else "hint")
        layout.addWidget(label, 1)
        if _can_fix(problem):
            button = QPushButton(problem.fix_label or "Fix")
            button.clicked.connect(lambda _c=False, p=problem, b=button: self.fix(p, b))
            layout.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)
        return row

    def fix(self, problem: Problem, button: QPushButton | None = None) -> None:
        """Do what the problem's button says: open the page (and step) that fixes it, show
        the folder to free space in, or choose batches that need less memory."""
        if problem.fix_action == "open_folder" and problem.fix_path is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(problem.fix_path)))
        elif problem.fix_action == "smaller_batches":
            self.s2_batch.setValue(SMALL_BATCH)
            self.s1_batch.setValue(SMALL_BATCH)
            self.advanced_button.setChecked(True)  # show what changed
            if button is not None:
                button.setText(f"Batches of {SMALL_BATCH} chosen")
                button.setEnabled(False)
        elif problem.fix_page is not None:
            self._show_page(problem.fix_page)
            page = getattr(self.window(), "page", None)
            target = page(problem.fix_page) if page is not None else None
            if problem.fix_action == "consent" and hasattr(target, "open_consent"):
                target.open_consent()

    # --- training -------------------------------------------------------------------------

    @property
    def is_training(self) -> bool:
        return self.runner is not None and self.runner.is_running

    def _update_buttons(self) -> None:
        training = self.is_training
        ready = self.readiness is not None and self.readiness.can_start
        busy = HEAVY_JOBS.running is not None and not training
        self.train_button.setEnabled(ready and not training and not busy)
        self.train_button.setToolTip(
            HEAVY_JOBS.running.description + " is running." if busy and HEAVY_JOBS.running
            else "")
        pending = unfinished_runs(self.voice) if self.voice is not None else []
        self.resume_button.setVisible(bool(pending) and not training)
        self.resume_button.setEnabled(ready and not busy)
        discarding = self.discard_runner is not None and self.discard_runner.is_running
        chosen = self.selected_paused_run() is not None
        self.resume_selected_button.setEnabled(chosen and ready and not busy and not training
                                               and not discarding)
        self.discard_button.setEnabled(chosen and not training and not discarding)
        for widget in (self.preset_combo, self.advanced, self.recheck_button):
            widget.setEnabled(not training)
        self._update_version_buttons()

    def plan(self) -> Any:
        """The TrainingPlan the controls describe."""
        from voicestudio.training.run import TrainingPlan

        return TrainingPlan(
            preset=self.preset_combo.currentData(),
            s2_epochs=self.s2_epochs.value(), s1_epochs=self.s1_epochs.value(),
            device=self.device_combo.currentData(),
            s2_batch_size=self.s2_batch.value() or None,
            s1_batch_size=self.s1_batch.value() or None,
            s1_lora_rank=self.lora_rank.value(), save_every_epoch=self.save_every.value(),
            early_stop=self.early_stop.isChecked(),
        )

    def train(self) -> None:
        self._start(resume=None)

    def resume(self) -> None:
        self._start(resume="latest")

    # --- paused runs ----------------------------------------------------------------------

    def _show_paused_runs(self) -> None:
        """The voice's paused runs, newest first, with when they stopped and their size; the
        card is hidden while there are none or one of them is the run training now."""
        from voicestudio.project.disk import format_bytes
        from voicestudio.services.training import paused_runs

        runs = paused_runs(self.voice) if self.voice is not None and not self.is_training else []
        self.paused_list.clear()
        for run in reversed(runs):
            item = QListWidgetItem(f"{run.version_id} · paused {run.when} · "
                                   f"{format_bytes(run.size_bytes)} kept to resume")
            item.setData(Qt.ItemDataRole.UserRole, run.version_id)
            self.paused_list.addItem(item)
        if runs:
            self.paused_list.setCurrentRow(0)
        self.paused_card.setVisible(bool(runs))

    def selected_paused_run(self) -> str | None:
        item = self.paused_list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def resume_selected(self) -> None:
        chosen = self.selected_paused_run()
        if chosen is not None:
            self._start(resume=chosen)

    def discard_selected(self) -> None:
        from voicestudio.services.training import discard_paused_run

        chosen, voice = self.selected_paused_run(), self.voice
        if chosen is None or voice is None or self.is_training:
            return
        if not self._confirm(
                f"Discard the paused training run {chosen}? Its saved state is deleted to free "
                "the space; it cannot be resumed afterwards. The recordings and the trained "
                "versions stay."):
            return

        def job(_progress: ProgressCallback, _cancel: CancelToken) -> Any:
            return discard_paused_run(voice, chosen)

        runner = JobRunner(job, self)
        runner.failed.connect(lambda message, _exc: dialogs.show_error(self, message))
        runner.ended.connect(self._paused_runs_changed)
        self.discard_runner = runner
        runner.start()
        self._update_buttons()

    def _paused_runs_changed(self) -> None:
        self._show_paused_runs()
        self.try_panel.refresh_models()  # a discarded run's voice model cannot speak now
        self._update_buttons()
        self.check()  # the freed space may clear a full-disk problem

    def _start(self, resume: str | None) -> None:
        if self.voice is None or self.is_training:
            return
        voice, data_dir, plan, scorer = self.voice, self.state.data_dir, self.plan(), self.scorer
        relay = self._relay

        def job(progress: ProgressCallback, cancel: CancelToken) -> Any:
            from voicestudio.services.training import train_voice

            return train_voice(data_dir, Voice.open(voice.folder), plan, progress, cancel,
                               relay.update.emit, resume=resume, scorer=scorer)

        runner = JobRunner(job, self)
        self.progress.attach(runner)
        runner.finished.connect(self._trained)
        runner.failed.connect(lambda message, _exc: self._log(f"Stopped: {message}"))
        runner.cancelled.connect(lambda: self._log(
            "Paused. Nothing was lost: press Resume to continue where it stopped."))
        runner.ended.connect(self._ended)
        self.runner = runner
        self.paused_card.hide()  # the run it continues is the one training now
        if resume is None:
            self.curves = LossCurves()
        else:
            self.curves = LossCurves.from_history(voice, None if resume == "latest" else resume)
        self._redraw()
        self._last_epoch = None
        self._stage = None
        self.result_label.hide()
        self.run_card.show()
        self.progress.show()
        self.advanced_button.setChecked(False)  # make room: the progress is what matters now
        QTimer.singleShot(0, lambda: self.scroll.ensureWidgetVisible(self.progress, 0, 16))
        self._log("Resuming the paused training…" if resume else "Starting…")
        runner.start()
        self._update_buttons()
        self.runner_started.emit()

    def _on_update(self, update: Any) -> None:
        if update.stage == "s1" and self._stage != "s1":
            self._voice_model_trained()
        self._stage = update.stage
        self.curves.add(update)
        self._redraw()
        epoch = (update.stage, update.epoch)
        if not update.losses:
            self._log(update.message)  # a notice: out of memory, a score, an early stop
        elif epoch != self._last_epoch:
            self._last_epoch = epoch
            self._log(update.message)

    def _voice_model_trained(self) -> None:
        """S2 is done and S1 starts: the try-out can already speak with the new voice model."""
        from voicestudio.services.try_out import try_out_models

        if self.voice is None:
            return
        stage_done = next((m for m in try_out_models(self.voice) if m.run_s2 is not None), None)
        if stage_done is not None:
            self.try_panel.refresh_models(prefer=stage_done)
            self._log("The voice model (S2) is trained: you can try it below while the text "
                      "model (S1) trains.")

    def _redraw(self) -> None:
        shown = self.curves.plots()
        if shown != self._shown_plots:
            self._shown_plots = shown
            self._place_plots(force=True)
        for (stage, key), item in self.plot_items.items():
            xs, ys = self.curves.series(stage, key)
            item.setData(xs, ys)

    def _log(self, line: str) -> None:
        if line:
            self.log.appendPlainText(line)

    def _trained(self, version: Any) -> None:
        self.last_version = version
        text = describe_version(version)
        self.result_label.setText(f"Done: {text}. It now speaks for the voice: try it below.")
        self.result_label.show()
        self._log(f"Finished: {text}")
        if self.voice is not None:
            self.voice = Voice.open(self.voice.folder)
            self.try_panel.set_voice(self.voice)
            self.try_panel.refresh_models(
                prefer=SpeakingModel("", version_id=version.version_id))
        self.state.reload_library()

    def _ended(self) -> None:
        self._show_versions()
        self._show_paused_runs()
        self._update_buttons()
        if self.state.current_voice is not None and (
                self.voice is None
                or self.state.current_voice.manifest.id != self.voice.manifest.id):
            self._voice_changed(self.state.current_voice)  # another voice was opened meanwhile

    def _show_versions(self) -> None:
        from voicestudio.services.versions import list_versions

        voice = self.voice
        rows = list_versions(voice) if voice is not None else []
        self.versions_card.setVisible(bool(rows))
        self.versions_list.clear()
        for row in rows:
            item = QListWidgetItem(("▶ " if row.active else "   ") + describe_version(row.version)
                                   + ("  (speaks for the voice)" if row.active else ""))
            item.setData(Qt.ItemDataRole.UserRole, row.version.version_id)
            self.versions_list.addItem(item)
        if rows:
            self.versions_list.setCurrentRow(0)
        self._update_version_buttons()

    def selected_version(self) -> str | None:
        item = self.versions_list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def _update_version_buttons(self) -> None:
        chosen = self.selected_version()
        active = self.voice.active_version() if self.voice is not None else None
        is_active = active is not None and chosen == active.version_id
        for button in (self.export_button, self.delete_button):
            button.setEnabled(chosen is not None and not self.is_training)
        self.activate_button.setEnabled(chosen is not None and not is_active
                                        and not self.is_training)

    def _version_changed(self, message: str) -> None:
        if self.voice is not None:
            self.voice = Voice.open(self.voice.folder)
            self.try_panel.set_voice(self.voice)
        self.versions_message.setText(message)
        self._show_versions()
        self.state.reload_library()

    def activate_selected(self) -> None:
        from voicestudio.services.versions import activate_version

        chosen = self.selected_version()
        if self.voice is None or chosen is None:
            return
        try:
            activate_version(self.voice, chosen)
        except VoiceStudioError as exc:
            dialogs.show_error(self, str(exc))
            return
        self._version_changed(f"Version {chosen} now speaks for the voice.")

    def delete_selected(self) -> None:
        from voicestudio.services.versions import delete_version

        chosen = self.selected_version()
        if self.voice is None or chosen is None:
            return
        if not self._confirm(
                f"Delete the trained version {chosen} and its model files? The recordings "
                "stay; this version cannot be brought back except by training again."):
            return
        try:
            delete_version(self.voice, chosen)
        except VoiceStudioError as exc:
            dialogs.show_error(self, str(exc))
            return
        self._version_changed(f"Deleted version {chosen}.")

    def export_selected(self) -> None:
        chosen, voice = self.selected_version(), self.voice
        if voice is None or chosen is None:
            return
        folder = dialogs.choose_folder(self, "Export the voice as GPT-SoVITS files", Path.home())
        if folder is None:
            return

        def job(_progress: ProgressCallback, _cancel: CancelToken) -> Any:
            from voicestudio.services.versions import export_version

            return export_version(voice, chosen, folder)

        runner = JobRunner(job, self)
        runner.finished.connect(lambda paths: self.versions_message.setText(
            "Exported " + ", ".join(p.name for p in paths) + f" to {folder}."))
        runner.failed.connect(lambda message, _exc: dialogs.show_error(self, message))
        self.export_runner = runner
        self.versions_message.setText("Exporting…")
        runner.start()

    def confirm_close(self) -> bool:
        if not self.is_training:
            return True
        if not self._confirm("A voice is being trained. Pause it and quit? Nothing is lost: "
                             "Resume on the Train page continues where it stopped."):
            return False
        assert self.runner is not None
        self.runner.cancel()
        self.runner.wait(60_000)  # the state is saved before the job ends
        return True


def _can_fix(problem: Problem) -> bool:
    """Whether the problem's button has something to do (its page may not have landed)."""
    if problem.fix_action in ("open_folder", "smaller_batches"):
        return True
    return bool(problem.fix_page) and page_spec(problem.fix_page).available
