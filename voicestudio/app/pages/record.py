"""The Record page: a guided session from the microphone check to a finished recording set.

Steps: how to record (target, accent) → microphone (device, live meter, room-noise check,
test sentence) → consent (spoken, once per voice) → prompts, one at a time, each take checked
→ done. The page is thin: :class:`~voicestudio.services.recording.RecordingSession` decides
prompts, checks, storage and resumption; :class:`~voicestudio.audio.recorder.Recorder` does
the audio off the UI thread. The page polls the recorder on timers (meter, take clock,
unplugged microphone) and runs each take's checks as a job so the window never freezes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
import soundfile as sf
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFont, QHideEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from voicestudio.app.dialogs import LANGUAGE_NAMES
from voicestudio.app.job_runner import JobRunner
from voicestudio.app.pages.base import BasePage
from voicestudio.app.state import AppState
from voicestudio.app.voice_bank_export import export_voice_bank
from voicestudio.app.widgets.flow_layout import FlowLayout
from voicestudio.app.widgets.level_meter import LevelMeterWidget
from voicestudio.app.widgets.notice import NoticeBar
from voicestudio.app.widgets.page_scroll import size_by_current_page
from voicestudio.audio.playback import AudioPlayer, SoundDevicePlayer
from voicestudio.audio.recorder import AudioInput, Recorder, SoundDeviceInput
from voicestudio.errors import VoiceStudioError
from voicestudio.project.voice import ACCENT_CHOICES
from voicestudio.services.recording import (
    ROOM_CHECK_SECONDS,
    TARGETS,
    TEST_SENTENCES,
    RecordingSession,
    TakeEntry,
    consent_sentence,
    describe_room_noise,
)
from voicestudio.text.prompt_corpus import Prompt

log = logging.getLogger(__name__)

RECONNECT_MS = 1000
WATCH_MS = 200  # how often the take clock and the microphone's health are looked at


def _card() -> tuple[QFrame, QVBoxLayout]:
    frame = QFrame()
    frame.setObjectName("card")
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(18, 16, 18, 16)
    layout.setSpacing(10)
    return frame, layout


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("cardTitle")
    label.setWordWrap(True)
    return label


def _hint(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setObjectName("hint")
    label.setWordWrap(True)
    return label


def _reading_label(scale: float = 1.3) -> QLabel:
    """A sentence to read aloud: larger than the text around it, wrapped."""
    label = QLabel()
    label.setWordWrap(True)
    font = QFont(label.font())
    font.setPointSizeF(font.pointSizeF() * scale)
    label.setFont(font)
    return label


def _step_layout(step: QWidget, cards: list[QWidget], next_text: str
                 ) -> tuple[QPushButton, QPushButton]:
    """Cards top to bottom, then Back on the left and the step's next action on the right."""
    back, forward = QPushButton("Back"), QPushButton(next_text)
    forward.setObjectName("primary")
    footer = QHBoxLayout()
    footer.addWidget(back)
    footer.addStretch(1)
    footer.addWidget(forward)
    layout = QVBoxLayout(step)
    layout.setContentsMargins(0, 0, 0, 0)
    for card in cards:
        layout.addWidget(card)
    layout.addStretch(1)
    layout.addLayout(footer)
    return back, forward


def _choice_group(parent: QWidget, layout: QVBoxLayout,
                  choices: list[tuple[str, str, str]]) -> tuple[QButtonGroup, dict]:
    """Radio buttons, each with its plain-words explanation underneath."""
    group = QButtonGroup(parent)
    buttons: dict[str, QRadioButton] = {}
    for key, title, explanation in choices:
        button = QRadioButton(title)
        group.addButton(button)
        buttons[key] = button
        layout.addWidget(button)
        text = _hint(explanation)
        text.setContentsMargins(26, 0, 0, 4)
        layout.addWidget(text)
    return group, buttons


class SetupStep(QWidget):
    """Step 1: what to aim for, and (once) how to treat the speaker's pronunciation."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.resume_label = QLabel()
        self.resume_label.setWordWrap(True)
        self.language_box = QComboBox()
        target_card, target_layout = _card()
        target_layout.addWidget(_heading("How much would you like to record?"))
        self.target_group, self.target_buttons = _choice_group(
            self, target_layout, [(t.key, t.title, t.explanation) for t in TARGETS])
        self.accent_card, accent_layout = _card()
        accent_layout.addWidget(_heading("How should the voice pronounce words?"))
        accent_layout.addWidget(_hint(
            "Some people say words their own way (a regional accent). Choose once; you can "
            "change it later on the Voices page, and the clips already recorded follow."))
        self.accent_group, self.accent_buttons = _choice_group(
            self, accent_layout, [(k, t, e) for k, (t, e) in ACCENT_CHOICES.items()])
        self.continue_button = QPushButton("Continue to the microphone")
        self.continue_button.setObjectName("primary")
        language_row = QHBoxLayout()
        language_row.addWidget(QLabel("Language of the sentences:"))
        language_row.addWidget(self.language_box)
        language_row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.resume_label)
        layout.addLayout(language_row)
        layout.addWidget(target_card)
        layout.addWidget(self.accent_card)
        layout.addStretch(1)
        layout.addWidget(self.continue_button, 0, Qt.AlignmentFlag.AlignRight)


class MicrophoneStep(QWidget):
    """Step 2: pick the microphone, watch the meter, check the room and a test sentence."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.device_box = QComboBox()
        self.device_box.setMinimumWidth(200)
        self.retry_button = QPushButton("Try again")
        self.device_error = QLabel()
        self.device_error.setObjectName("fieldError")
        self.device_error.setWordWrap(True)
        self.meter = LevelMeterWidget()
        device_row = QHBoxLayout()
        device_row.addWidget(QLabel("Microphone:"))
        device_row.addWidget(self.device_box, 1)
        device_row.addWidget(self.retry_button)
        mic_card, mic_layout = _card()
        mic_layout.addWidget(_heading("Your microphone"))
        mic_layout.addLayout(device_row)
        mic_layout.addWidget(self.device_error)
        mic_layout.addWidget(_hint("Say something: the bar should move into the middle zone. "
                                   "If “Too loud” lights up, move back a little."))
        mic_layout.addWidget(self.meter)

        room_card, room_layout = _card()
        room_layout.addWidget(_heading("Is the room quiet?"))
        room_layout.addWidget(_hint(f"Stay silent for {ROOM_CHECK_SECONDS:.0f} seconds while "
                                    "VoiceStudio listens to the room."))
        self.room_button = QPushButton(f"Check the room ({ROOM_CHECK_SECONDS:.0f} s)")
        self.listen_button = QPushButton("Listen to your silence")
        self.listen_button.setEnabled(False)
        self.room_result = QLabel()
        self.room_result.setWordWrap(True)
        room_row = FlowLayout()
        room_row.addWidget(self.room_button)
        room_row.addWidget(self.listen_button)
        room_layout.addLayout(room_row)
        room_layout.addWidget(self.room_result)

        test_card, test_layout = _card()
        test_layout.addWidget(_heading("Try a test sentence"))
        self.test_text = _reading_label()
        self.test_button = QPushButton("Record test sentence")
        self.test_result = QLabel()
        self.test_result.setWordWrap(True)
        test_layout.addWidget(self.test_text)
        test_layout.addWidget(self.test_button, 0, Qt.AlignmentFlag.AlignLeft)
        test_layout.addWidget(self.test_result)
        self.back_button, self.next_button = _step_layout(
            self, [mic_card, room_card, test_card], "Continue")


class ConsentStep(QWidget):
    """Step 3: the speaker (or a family member for them) says the consent sentence."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        card, card_layout = _card()
        card_layout.addWidget(_heading("Consent, in the speaker's own voice"))
        card_layout.addWidget(_hint(
            "Before the first sentence, the speaker says that they agree to their voice being "
            "copied. It is kept with the voice, with the date. If they cannot, a family "
            "member can say it on their behalf."))
        self.speaker_edit = QLineEdit()
        self.proxy_box = QCheckBox("Someone else gives consent on the speaker's behalf")
        self.given_by_edit = QLineEdit()
        self.given_by_edit.setPlaceholderText("Their name")
        self.relation_edit = QLineEdit()
        self.relation_edit.setPlaceholderText("For example: daughter, son, husband")
        form = QFormLayout()
        # On a narrow window a label goes above its field instead of pushing it off.
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        form.addRow("Speaker's name:", self.speaker_edit)
        form.addRow(self.proxy_box)
        form.addRow("Given by:", self.given_by_edit)
        form.addRow("Relation to the speaker:", self.relation_edit)
        card_layout.addLayout(form)
        card_layout.addWidget(QLabel("Please read aloud:"))
        self.sentence = _reading_label()
        card_layout.addWidget(self.sentence)
        self.record_button = QPushButton("Record consent")
        self.record_button.setObjectName("primary")
        self.result = QLabel()
        self.result.setWordWrap(True)
        card_layout.addWidget(self.record_button, 0, Qt.AlignmentFlag.AlignLeft)
        card_layout.addWidget(self.result)
        self.back_button, self.next_button = _step_layout(
            self, [card], "Start recording sentences")


class PromptStep(QWidget):
    """Step 4: one sentence at a time; Space starts and stops a take."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setTextVisible(False)
        self.progress_label = QLabel()
        self.progress_label.setWordWrap(True)
        self.coverage_label = _hint()
        self.break_notice = NoticeBar()
        prompt_card, prompt_layout = _card()
        prompt_layout.addWidget(_hint("Read this sentence aloud, in your normal voice:"))
        self.prompt_text = _reading_label(2.0)
        self.prompt_text.setObjectName("promptText")
        self.prompt_text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.prompt_text.setMinimumHeight(90)
        prompt_layout.addWidget(self.prompt_text)
        self.meter = LevelMeterWidget()
        prompt_layout.addWidget(self.meter)
        self.record_button = QPushButton("Record  (Space)")
        self.record_button.setObjectName("primary")
        self.record_button.setMinimumHeight(52)
        big = QFont(self.record_button.font())
        big.setPointSizeF(big.pointSizeF() * 1.4)
        self.record_button.setFont(big)
        self.clock = QLabel()
        self.clock.setObjectName("hint")
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.record_button, 2)
        row.addWidget(self.clock, 1)
        prompt_layout.addLayout(row)
        self.skip_button = QPushButton("Skip this sentence")
        skip_row = QHBoxLayout()
        skip_row.addStretch(1)
        skip_row.addWidget(self.skip_button)
        prompt_layout.addLayout(skip_row)

        result_card, result_layout = _card()
        self.result_title = _heading("")
        self.result_text = QLabel()
        self.result_text.setWordWrap(True)
        self.play_button = QPushButton("Play")
        self.again_button = QPushButton("Record again")
        self.keep_button = QPushButton("Keep it anyway")
        self.delete_button = QPushButton("Delete")
        buttons = QHBoxLayout()
        for button in (self.play_button, self.again_button, self.keep_button,
                       self.delete_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        result_layout.addWidget(self.result_title)
        result_layout.addWidget(self.result_text)
        result_layout.addLayout(buttons)
        self.result_card = result_card
        self.notice = NoticeBar()
        self.finish_button = QPushButton("Pause and finish for now")
        footer = QHBoxLayout()
        footer.addStretch(1)
        footer.addWidget(self.finish_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.progress_label)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.coverage_label)
        layout.addWidget(self.break_notice)
        layout.addWidget(self.notice)
        layout.addWidget(prompt_card)
        layout.addWidget(result_card)
        layout.addStretch(1)
        layout.addLayout(footer)


class DoneStep(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        card, card_layout = _card()
        self.title = _heading("Session paused")
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.coverage = _hint()
        card_layout.addWidget(self.title)
        card_layout.addWidget(self.summary)
        card_layout.addWidget(self.coverage)
        card_layout.addWidget(_hint(
            "Everything is saved. Come back any time: the session continues with the next "
            "sentence. When you have enough, teach VoiceStudio the voice on the Train page."))
        card_layout.addWidget(_hint(
            "Recordings you cannot make again deserve a second copy: “Save a copy…” writes "
            "every clip, its words and the consent into one open file (a voice bank) to keep "
            "on a USB stick or in the cloud."))
        self.more_button = QPushButton("Record more")
        self.more_button.setObjectName("primary")
        self.copy_button = QPushButton("Save a copy…")
        buttons = QHBoxLayout()
        buttons.addWidget(self.more_button)
        buttons.addWidget(self.copy_button)
        buttons.addStretch(1)
        card_layout.addLayout(buttons)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(card)
        layout.addStretch(1)


class RecordPage(BasePage):
    """The recording wizard of the open voice."""

    def __init__(self, state: AppState, parent: QWidget | None = None,
                 audio_input: AudioInput | None = None,
                 player: AudioPlayer | None = None) -> None:
        super().__init__(state, parent)
        self.recorder = Recorder(audio_input or SoundDeviceInput())
        self.player: AudioPlayer = player or SoundDevicePlayer()
        self.session: RecordingSession | None = None
        self.prompt: Prompt | None = None
        self.runner: JobRunner | None = None
        self.bank_runner: JobRunner | None = None  # "Save a copy…" at the end of a session
        self._take_path: Path | None = None
        self._take_purpose = ""  # "prompt", "test" or "consent"
        self._room_samples: np.ndarray | None = None
        self._last_entry: TakeEntry | None = None
        self._asr_note_shown = False
        self._takes_saved = False

        layout = self.page_layout(
            "Record", "A guided session: VoiceStudio picks sentences that cover the sounds of "
                      "the language, checks every take and keeps them all safe.")
        self.error_notice = NoticeBar()
        layout.addWidget(self.error_notice)
        self.steps = QStackedWidget()
        layout.addWidget(self.steps, 1)
        self.no_voice = QLabel("Open a voice on the Voices page first (or create one); the "
                               "recordings are kept in that voice.")
        self.no_voice.setObjectName("emptyState")
        self.no_voice.setWordWrap(True)
        self.no_voice.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setup = SetupStep()
        self.mic = MicrophoneStep()
        self.consent = ConsentStep()
        self.prompts = PromptStep()
        self.done = DoneStep()
        for widget in (self.no_voice, self.setup, self.mic, self.consent, self.prompts,
                       self.done):
            self.steps.addWidget(widget)
        size_by_current_page(self.steps)
        self._connect()
        self.watch_timer = QTimer(self)
        self.watch_timer.setInterval(WATCH_MS)
        self.watch_timer.timeout.connect(self._watch_recorder)
        self.reconnect_timer = QTimer(self)
        self.reconnect_timer.setInterval(RECONNECT_MS)
        self.reconnect_timer.timeout.connect(self._try_reconnect)
        self.space = QShortcut(QKeySequence(Qt.Key.Key_Space), self)
        self.space.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.space.activated.connect(self._space_pressed)
        state.current_voice_changed.connect(lambda _voice: self._load_session())

    def _connect(self) -> None:
        self.setup.continue_button.clicked.connect(self.finish_setup)
        self.setup.language_box.currentIndexChanged.connect(lambda _i: self._load_session(
            self.setup.language_box.currentData()))
        self.mic.retry_button.clicked.connect(self.open_microphone)
        self.mic.device_box.activated.connect(lambda _i: self.open_microphone(
            self.mic.device_box.currentData()))
        self.mic.room_button.clicked.connect(self.check_room)
        self.mic.listen_button.clicked.connect(self.play_room)
        self.mic.test_button.clicked.connect(lambda: self.toggle_take("test"))
        self.mic.back_button.clicked.connect(lambda: self.show_step(self.setup))
        self.mic.next_button.clicked.connect(self.after_microphone)
        for edit in (self.consent.speaker_edit, self.consent.given_by_edit,
                     self.consent.relation_edit):
            edit.textChanged.connect(self._update_consent_sentence)
        self.consent.proxy_box.toggled.connect(self._update_consent_sentence)
        self.consent.record_button.clicked.connect(lambda: self.toggle_take("consent"))
        self.consent.back_button.clicked.connect(lambda: self.show_step(self.mic))
        self.consent.next_button.clicked.connect(self.start_prompts)
        p = self.prompts
        p.record_button.clicked.connect(lambda: self.toggle_take("prompt"))
        p.skip_button.clicked.connect(self.skip_prompt)
        p.play_button.clicked.connect(self.play_last_take)
        p.again_button.clicked.connect(self.record_again)
        p.keep_button.clicked.connect(self.keep_last_take)
        p.delete_button.clicked.connect(self.delete_last_take)
        p.finish_button.clicked.connect(self.finish_session)
        self.done.more_button.clicked.connect(self.start_prompts)
        self.done.copy_button.clicked.connect(self.save_a_copy)

    # -- showing and leaving ------------------------------------------------------------

    def on_shown(self) -> None:
        self._load_session()
        step = self.steps.currentWidget()
        if step in (self.mic, self.consent, self.prompts) and not self.recorder.is_open:
            self.show_step(step)  # back from another page: listen again

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 - Qt's name
        """Leaving the page stops listening; a take in progress is finished and checked."""
        if self.recorder.is_recording:
            self.toggle_take(self._take_purpose)
        self._close_microphone()
        if self._takes_saved:
            self._takes_saved = False
            self.state.reload_library()  # the Voices page counts the new clips
        super().hideEvent(event)

    def confirm_close(self) -> bool:
        if self.recorder.is_recording:
            self.toggle_take(self._take_purpose)
        if self.runner is not None and self.runner.is_running:
            self.runner.wait(10000)  # a take being saved: let it finish, it is quick
        self._close_microphone()
        return True

    def show_step(self, step: QWidget) -> None:
        self.steps.setCurrentWidget(step)
        if step is self.mic:
            self.open_microphone()
        elif step in (self.consent, self.prompts):
            if not self.recorder.is_open:
                self.open_microphone()
        else:
            self._close_microphone()

    def _load_session(self, lang: str | None = None) -> None:
        if self.recorder.is_recording:
            return
        voice = self.state.current_voice
        same = (voice is not None and self.session is not None
                and self.session.voice.manifest.id == voice.manifest.id)
        if same and (lang is None or lang == self.session.lang):
            return  # the same voice re-read (a save elsewhere): carry on where we are
        if voice is None:
            self.session = None
            self.show_step(self.no_voice)
            return
        try:
            self.session = RecordingSession(voice, lang or self._language_for(voice))
        except VoiceStudioError as exc:
            self.session = None
            self.show_step(self.no_voice)
            self.error_notice.show_notice(str(exc))
            return
        self._fill_setup()
        if self.session.recovered:
            count = len(self.session.recovered)
            self.error_notice.show_notice(
                f"{count} take{'s' if count > 1 else ''} cut short last time "
                f"({'were' if count > 1 else 'was'}) recovered and checked.")
        self.show_step(self.setup)

    def _language_for(self, voice) -> str:
        current = self.setup.language_box.currentData()
        return current if current in voice.manifest.languages else voice.manifest.languages[0]

    def _fill_setup(self) -> None:
        session = self.session
        assert session is not None
        box = self.setup.language_box
        box.blockSignals(True)
        box.clear()
        for code in session.voice.manifest.languages:
            box.addItem(LANGUAGE_NAMES.get(code, code), code)
        box.setCurrentIndex(max(box.findData(session.lang), 0))
        box.setEnabled(box.count() > 1)
        box.blockSignals(False)
        self.setup.target_buttons[session.target.key].setChecked(True)
        self.setup.accent_buttons[session.voice.manifest.accent].setChecked(True)
        self.setup.accent_card.setVisible(not session.state.accent_asked)
        kept = sum(1 for t in session.state.takes if t.status == "kept")
        self.setup.resume_label.setText(
            f"Welcome back. {session.progress_words()} The session goes on where it stopped."
            if kept else f"Recording for “{session.voice.name}”.")

    def finish_setup(self) -> None:
        session = self.session
        if session is None:
            return
        target = next(k for k, b in self.setup.target_buttons.items() if b.isChecked())
        session.set_target(target)
        if not session.state.accent_asked:
            accent = next(k for k, b in self.setup.accent_buttons.items() if b.isChecked())
            session.confirm_accent(accent)
            self.state.reload_library()
        self.mic.test_text.setText(TEST_SENTENCES[session.lang].text)
        self.mic.test_result.clear()
        self.show_step(self.mic)

    # -- the microphone -----------------------------------------------------------------

    def open_microphone(self, microphone=None) -> None:
        self.mic.device_error.clear()
        self.mic.device_error.hide()
        try:
            choices = self.recorder.audio_input.microphones()
            opened = self.recorder.open(microphone)
        except VoiceStudioError as exc:
            self.mic.device_box.clear()
            self.mic.device_error.setText(str(exc))
            self.mic.device_error.show()
            self._set_meters(None)
            self._set_recording_enabled(False)
            return
        box = self.mic.device_box
        box.blockSignals(True)
        box.clear()
        for choice in choices:
            box.addItem(choice.name, choice)
        index = next((i for i, c in enumerate(choices) if c.name == opened.name), -1)
        if index < 0:
            box.addItem(opened.name, opened)
            index = box.count() - 1
        box.setCurrentIndex(index)
        box.blockSignals(False)
        self._set_meters(self.recorder.meter)
        self._set_recording_enabled(True)
        self.watch_timer.start()

    def _close_microphone(self) -> None:
        self.watch_timer.stop()
        self.reconnect_timer.stop()
        self.recorder.close()
        self._set_meters(None)

    def _set_meters(self, meter) -> None:
        self.mic.meter.set_meter(meter)
        self.prompts.meter.set_meter(meter)

    def _set_recording_enabled(self, enabled: bool) -> None:
        busy = self.runner is not None and self.runner.is_running
        for button in (self.mic.test_button, self.mic.room_button, self.consent.record_button,
                       self.prompts.record_button, self.prompts.again_button):
            button.setEnabled(enabled and not busy)
        # While a take is being checked and saved the session must not change under it.
        p = self.prompts
        for button in (p.skip_button, p.keep_button, p.delete_button, p.finish_button,
                       self.consent.next_button if busy else None):
            if button is not None:
                button.setEnabled(not busy)

    def _watch_recorder(self) -> None:
        if self.recorder.is_recording:
            self.prompts.clock.setText(f"{self.recorder.take_seconds:0.1f} s")
        if self.recorder.lost is not None and not self.reconnect_timer.isActive():
            lost = self.recorder.lost
            self.error_notice.show_notice(str(lost))
            self._set_meters(None)
            self._set_recording_enabled(False)
            self._reset_record_buttons()
            if lost.kept is not None and self._take_purpose == "prompt":
                self._check_take(lost.kept, "prompt")  # the partial take is kept and checked
            self.reconnect_timer.start()

    def _try_reconnect(self) -> None:
        if self.recorder.reconnect():
            self.reconnect_timer.stop()
            self.error_notice.show_notice("The microphone is back. Press Record to go on.")
            self._set_meters(self.recorder.meter)
            self._set_recording_enabled(True)

    def check_room(self) -> None:
        self.mic.room_result.setText(f"Listening for {ROOM_CHECK_SECONDS:.0f} seconds: "
                                     "please stay silent…")
        recorder = self.recorder
        self._run(lambda progress, cancel: recorder.listen(ROOM_CHECK_SECONDS, cancel),
                  self._room_checked)

    def _room_checked(self, samples: np.ndarray) -> None:
        self._room_samples = samples
        result = describe_room_noise(samples, self.recorder.sample_rate)
        self.mic.room_result.setText(result.words)
        self.mic.room_result.setObjectName("" if result.ok else "fieldError")
        self.mic.room_result.style().polish(self.mic.room_result)
        self.mic.listen_button.setEnabled(True)

    def play_room(self) -> None:
        if self._room_samples is not None:
            # Turned up so the noise is audible: that is what the voice would carry.
            peak = float(np.max(np.abs(self._room_samples))) or 1.0
            self._play(self._room_samples * min(0.5 / peak, 100.0), self.recorder.sample_rate)

    def open_consent(self) -> None:
        """Go straight to the consent step (the Train page's "Record consent" button): the
        voice is recorded already, only the speaker's agreement is missing."""
        self._load_session()
        if self.session is None or self.recorder.is_recording:
            return
        self._prepare_consent()
        self.show_step(self.consent)

    def after_microphone(self) -> None:
        if self.session is not None and self.session.has_consent:
            self.start_prompts()
        else:
            self._prepare_consent()
            self.show_step(self.consent)

    # -- takes ----------------------------------------------------------------------------

    def _space_pressed(self) -> None:
        step = self.steps.currentWidget()
        targets = {self.prompts: ("prompt", self.prompts.record_button),
                   self.consent: ("consent", self.consent.record_button),
                   self.mic: ("test", self.mic.test_button)}
        if step in targets and targets[step][1].isEnabled():
            self.toggle_take(targets[step][0])

    def toggle_take(self, purpose: str) -> None:
        session = self.session
        if session is None or (self.runner is not None and self.runner.is_running):
            return
        if self.recorder.is_recording:
            path = self.recorder.stop_take()
            self._reset_record_buttons()
            if path is not None:
                self._check_take(path, self._take_purpose)
            return
        if purpose == "prompt" and self.prompt is None:
            return
        if purpose == "consent":
            try:
                self._consent_sentence()
            except VoiceStudioError as exc:
                self.consent.result.setText(str(exc))
                return
        path = {"prompt": lambda: session.new_take_path(self.prompt),
                "consent": session.consent_take_path,
                "test": lambda: session.voice.subfolder("takes") / "microphone-test.wav",
                }[purpose]()
        try:
            self.recorder.start_take(path)
        except VoiceStudioError as exc:
            self.error_notice.show_notice(str(exc))
            return
        self._take_path, self._take_purpose = path, purpose
        button = {"prompt": self.prompts.record_button, "consent": self.consent.record_button,
                  "test": self.mic.test_button}[purpose]
        button.setText("Stop  (Space)")
        if purpose == "prompt":
            self.prompts.result_card.setVisible(False)

    def _reset_record_buttons(self) -> None:
        self.prompts.record_button.setText("Record  (Space)")
        self.consent.record_button.setText("Record consent")
        self.mic.test_button.setText("Record test sentence")
        self.prompts.clock.clear()

    def _check_take(self, path: Path, purpose: str) -> None:
        session = self.session
        assert session is not None
        if purpose == "consent":
            speaker, given_by, relation = self._consent_people()
            self._run(lambda progress, cancel: session.record_consent(
                path, speaker, given_by, relation), self._consent_saved)
            return
        prompt = TEST_SENTENCES[session.lang] if purpose == "test" else self.prompt
        assert prompt is not None
        data_dir = self.state.data_dir
        if purpose == "test":
            def job(progress, cancel):
                session.use_installed_recognizer(data_dir)
                check = session.check_take(path, prompt)
                path.unlink(missing_ok=True)  # a test, not part of the voice
                return check
            self._run(job, self._test_checked)
        else:
            self.prompts.result_title.setText("Checking the take…")
            self.prompts.result_text.clear()
            self.prompts.result_card.setVisible(True)

            def save(progress, cancel):
                session.use_installed_recognizer(data_dir)
                return session.add_take(path, prompt)
            self._run(save, self._take_saved)

    def _note_missing_recognizer(self) -> None:
        session = self.session
        if session is None or session.checker.recognizer is not None or self._asr_note_shown:
            return
        self._asr_note_shown = True
        self.error_notice.show_notice(
            "Words are not checked: no speech-recognition model is installed (see the Base "
            "models page). Sound checks still run on every take.")

    def _test_checked(self, check) -> None:
        self._note_missing_recognizer()
        if check.passed:
            self.mic.test_result.setText("Sounds good. You are ready to record.")
        else:
            self.mic.test_result.setText(" ".join(p.message for p in check.failures))

    def _take_saved(self, entry: TakeEntry) -> None:
        self._note_missing_recognizer()
        self._last_entry = entry
        self._takes_saved = True
        self._show_result(entry)
        session = self.session
        assert session is not None
        if entry.status == "kept":
            self._show_prompt(session.next_prompt())
        self._refresh_progress()

    def _show_result(self, entry: TakeEntry) -> None:
        p = self.prompts
        p.result_card.setVisible(True)
        if entry.status == "kept":
            p.result_title.setText("Good take, saved." if not entry.kept_anyway
                                   else "Kept, as you asked.")
        elif entry.status == "deleted":
            p.result_title.setText("Take deleted.")
        else:
            p.result_title.setText("Please record this sentence again.")
        p.result_text.setText(" ".join(entry.problems))
        p.result_text.setVisible(bool(entry.problems))
        p.keep_button.setVisible(entry.status == "failed")
        p.again_button.setVisible(entry.status == "failed")
        p.delete_button.setVisible(entry.status != "deleted")

    def _refresh_progress(self) -> None:
        session = self.session
        if session is None:
            return
        p = self.prompts
        p.progress_bar.setValue(round(session.progress * 1000))
        p.progress_label.setText(session.progress_words())
        p.coverage_label.setText(session.coverage().summary())
        if session.needs_break:
            p.break_notice.show_notice(
                "Time for a short break: have a drink of water and rest your voice for a few "
                "minutes. Everything so far is saved.", "I had a break", session.take_break)

    def _show_prompt(self, prompt: Prompt | None) -> None:
        self.prompt = prompt
        if prompt is None:
            self.finish_session()
            return
        self.prompts.prompt_text.setText(prompt.text)

    def start_prompts(self) -> None:
        session = self.session
        if session is None:
            return
        if not session.has_consent:
            self._prepare_consent()
            self.show_step(self.consent)
            return
        self._show_prompt(session.next_prompt())
        self.prompts.result_card.setVisible(False)
        self._refresh_progress()
        self.show_step(self.prompts)

    def skip_prompt(self) -> None:
        if self.session is None or self.prompt is None or self.recorder.is_recording:
            return
        self.session.skip(self.prompt)
        self._show_prompt(self.session.next_prompt())

    def record_again(self) -> None:
        self.prompts.result_card.setVisible(False)
        self.toggle_take("prompt")

    def keep_last_take(self) -> None:
        if self.session is None or self._last_entry is None:
            return
        entry = self.session.keep_anyway(self._last_entry.take_id)
        self._last_entry = entry
        self._show_result(entry)
        self._show_prompt(self.session.next_prompt())
        self._refresh_progress()

    def delete_last_take(self) -> None:
        session = self.session
        if session is None or self._last_entry is None:
            return
        entry = session.delete_take(self._last_entry.take_id)
        self._show_result(entry)
        self._refresh_progress()

        def undo() -> None:
            restored = session.restore_take(entry.take_id)
            self._show_result(restored)
            self._refresh_progress()

        self.prompts.notice.show_notice("The take was deleted; it stays in the voice's "
                                        "folder until you empty it.", "Undo", undo)

    def play_last_take(self) -> None:
        if self.session is None or self._last_entry is None:
            return
        path = self.session.voice.folder / self._last_entry.file
        try:
            samples, rate = sf.read(path, dtype="float32")
        except (OSError, RuntimeError) as exc:
            self.error_notice.show_notice(f"The take could not be read ({exc}).")
            return
        self._play(samples, rate)

    def _play(self, samples: np.ndarray, rate: int) -> None:
        try:
            self.player.play(samples, rate)
        except VoiceStudioError as exc:
            self.error_notice.show_notice(str(exc))

    def finish_session(self) -> None:
        session = self.session
        if session is None:
            return
        if self.recorder.is_recording:
            self.toggle_take("prompt")
        reached = session.progress >= 1
        self.done.title.setText("Target reached: well done!" if reached else "Session paused")
        self.done.summary.setText(session.progress_words())
        self.done.coverage.setText(session.coverage().summary())
        self.show_step(self.done)

    def save_a_copy(self) -> None:
        """The voice bank of what was just recorded, as the Edit page exports it."""
        if self.session is None:
            return
        runner = export_voice_bank(self, self.state.data_dir, self.session.voice,
                                   self.error_notice.show_notice)
        if runner is not None:
            self.bank_runner = runner

    # -- consent --------------------------------------------------------------------------

    def _prepare_consent(self) -> None:
        session = self.session
        if session is None:
            return
        if not self.consent.speaker_edit.text():
            self.consent.speaker_edit.setText(session.voice.name)
        self.consent.next_button.setEnabled(session.has_consent)
        self._update_consent_sentence()

    def _consent_people(self) -> tuple[str, str, str]:
        proxy = self.consent.proxy_box.isChecked()
        return (self.consent.speaker_edit.text(),
                self.consent.given_by_edit.text() if proxy else "",
                self.consent.relation_edit.text() if proxy else "")

    def _consent_sentence(self) -> str:
        assert self.session is not None
        return consent_sentence(self.session.lang, *self._consent_people())

    def _update_consent_sentence(self) -> None:
        proxy = self.consent.proxy_box.isChecked()
        self.consent.given_by_edit.setEnabled(proxy)
        self.consent.relation_edit.setEnabled(proxy)
        if self.session is None:
            return
        try:
            self.consent.sentence.setText(self._consent_sentence())
        except VoiceStudioError as exc:
            self.consent.sentence.setText(str(exc))

    def _consent_saved(self, consent) -> None:
        self.consent.result.setText(
            f"Consent saved on {consent.date[:10]}, given by {consent.given_by}. Thank you.")
        self.consent.next_button.setEnabled(True)
        self.state.reload_library()  # the Voices page shows the consent now

    # -- jobs -----------------------------------------------------------------------------

    def _run(self, job, on_done: Callable) -> None:
        runner = JobRunner(job, self)
        self.runner = runner
        runner.finished.connect(on_done)
        runner.failed.connect(lambda message, _exc: self.error_notice.show_notice(message))
        runner.ended.connect(lambda: self._set_recording_enabled(self.recorder.is_open))
        self._set_recording_enabled(False)
        runner.start()
