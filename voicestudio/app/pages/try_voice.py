"""The "Try this voice" panel on the Voices page: a reference clip, some text, Speak, Play, Save.

It is the shortest path from "I installed the app" to hearing a voice: zero-shot from a 3-10 s
clip with the base models, or with the voice's active trained model once there is one (a
trained GPT-SoVITS voice still takes its speaking style from a reference clip). Which model
and which clip speak is ``services.speech``'s decision, shared with ``speak --voice``. The work is
the synthesis pipeline's (``Synthesizer.speak``), run in a :class:`JobRunner`; the clip is
checked with the pipeline's own reference rules as soon as it is chosen, so a silent or too
short clip is explained before anyone waits for a synthesis.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import soundfile as sf
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from voicestudio.app import dialogs
from voicestudio.app.job_runner import JobRunner
from voicestudio.app.pages.base import VoicePanel, reveal
from voicestudio.app.state import AppState
from voicestudio.app.widgets.progress import ProgressPanel
from voicestudio.audio.encode import write_audio
from voicestudio.audio.playback import AudioPlayer, NoAudioOutputError, SoundDevicePlayer
from voicestudio.errors import VoiceStudioError
from voicestudio.jobs import CancelToken, ProgressCallback
from voicestudio.project.voice import Voice
from voicestudio.services.speech import (
    ACTIVE_MODEL,
    SpeakingModel,
    missing_models,
    speech_for,
    voice_reference,
)

LANGUAGES = (("auto", "Automatic"), ("zh", "Chinese"), ("en", "English"))
PLAYBACK_POLL_MS = 200
SAMPLE_RATE = 32_000  # the prepared clip's rate (synthesis.reference.SPEC_RATE)
SAVE_FILTER = "WAV audio (*.wav);;FLAC audio (*.flac)"
SAVE_SUFFIXES = (".wav", ".flac")


@dataclass
class _Draft:
    """What was typed and chosen for one voice, kept while the app runs so that looking at
    another voice and coming back loses nothing."""

    reference: Path | None = None
    transcript: str = ""
    text: str = ""
    lang: str | None = None
    reference_lang: str | None = None  # known for a clip from the voice's own recordings


def shrinkable(combo: QComboBox) -> None:
    """A chooser whose long entries (sentences, version names) do not set the page's
    smallest width: at the window's smallest size it shows their start."""
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(8)


def default_language(voice: Voice) -> str:
    languages = voice.manifest.languages
    return languages[0] if len(languages) == 1 and languages[0] in ("zh", "en") else "auto"


class TryVoicePanel(VoicePanel):
    """Speak a few sentences in the selected voice, listen, and save them as a WAV file.

    With ``try_out`` (the Train page) it also offers which model speaks (the base models
    before training, a run's voice model once that stage is done, every saved version;
    ``services.try_out``) and sentences to try it on."""

    def __init__(self, state: AppState, parent: QWidget | None = None,
                 try_out: bool = False) -> None:
        super().__init__(state, parent)
        self.try_out = try_out
        self.voice: Voice | None = None
        self.player: AudioPlayer | None = None  # created on first Play (tests set a fake)
        self.runner: JobRunner | None = None  # the running or last synthesis
        self.check_runner: JobRunner | None = None  # the running or last clip check
        self.result: Any = None  # the last SynthesisResult
        self._drafts: dict[str, _Draft] = {}
        self._reference_ok = False
        self._prepared: Any = None  # the checked clip (PreparedReference: what the model hears)
        self._reference_lang: str | None = None
        self._models_problem = ""
        self.suggest_runner: JobRunner | None = None  # finding the voice's own best clip
        self.sentences_runner: JobRunner | None = None  # finding sentences to try
        self._saved_to: Path | None = None

        card = QFrame()
        card.setObjectName("card")
        title = QLabel("Try this voice")
        title.setObjectName("dialogHeading")
        self.mode_label = QLabel()  # which model speaks; the tooltip says what that means
        self.mode_label.setObjectName("hint")
        heading = QHBoxLayout()
        heading.addWidget(title)
        heading.addStretch(1)
        heading.addWidget(self.mode_label)

        self.models_box = QWidget()
        self.models_label = QLabel()
        self.models_label.setObjectName("fieldError")
        self.models_label.setWordWrap(True)
        self.models_button = QPushButton("Open Base models")
        self.models_button.clicked.connect(lambda: self._show_page("base_models"))
        models_row = QHBoxLayout(self.models_box)
        models_row.setContentsMargins(0, 0, 0, 0)
        models_row.addWidget(self.models_label, 1)
        models_row.addWidget(self.models_button, 0, Qt.AlignmentFlag.AlignTop)

        self.reference_edit = QLineEdit()
        self.reference_edit.setReadOnly(True)
        self.reference_edit.setPlaceholderText("A 3–10 s clip")
        self.reference_button = QPushButton("Choose…")
        self.reference_button.clicked.connect(self.choose_reference)
        reference_row = QHBoxLayout()
        reference_row.addWidget(self.reference_edit, 1)
        reference_row.addWidget(self.reference_button)
        self.reference_info = QLabel()
        self.reference_info.setObjectName("hint")
        self.reference_info.setWordWrap(True)
        reference_box = QVBoxLayout()
        reference_box.setSpacing(2)
        reference_box.addLayout(reference_row)
        reference_box.addWidget(self.reference_info)

        self.transcript_edit = QLineEdit()
        self.transcript_edit.setPlaceholderText("The words said in the clip")
        self.transcript_edit.setToolTip(
            "Type exactly what is said in the clip. Optional, but the voice sounds more like "
            "the person with it.")
        self.text_edit = QPlainTextEdit()
        self.text_edit.setPlaceholderText("Type what the voice should say")
        self.text_edit.setFixedHeight(52)
        self.text_edit.textChanged.connect(self._update_buttons)
        self.language_combo = QComboBox()
        for code, label in LANGUAGES:
            self.language_combo.addItem(label, code)
        self.language_combo.setToolTip(
            "The language of the text. Automatic reads Chinese and English mixed together.")
        self.speak_button = QPushButton("Speak")
        self.speak_button.setObjectName("primary")
        self.speak_button.clicked.connect(self.speak)
        language_row = QHBoxLayout()
        language_row.addWidget(self.language_combo, 1)
        language_row.addWidget(self.speak_button)

        self.model_combo = QComboBox()
        self.suggestion_combo = QComboBox()
        for combo in (self.model_combo, self.suggestion_combo):
            shrinkable(combo)
        self.model_combo.setToolTip("Which model speaks: hear the voice before training, "
                                    "after each stage, or compare saved versions.")
        self.model_combo.currentIndexChanged.connect(lambda _i: self._update_buttons())
        self.suggestion_combo.setToolTip("Sentences the voice was not trained on; the first "
                                         "ones were recorded by the person and kept aside, so "
                                         "their real recording can be compared.")
        self.suggestion_combo.activated.connect(self._use_suggestion)

        form = QFormLayout()
        form.setVerticalSpacing(8)
        form.setContentsMargins(0, 0, 0, 0)
        if try_out:
            form.addRow("Speak with:", self.model_combo)
        form.addRow("Clip:", reference_box)
        form.addRow("It says:", self.transcript_edit)
        if try_out:
            form.addRow("Try:", self.suggestion_combo)
        form.addRow("Say:", self.text_edit)
        form.addRow("Language:", language_row)

        self.progress = ProgressPanel()
        self.progress.hide()
        self.error_label = QLabel()
        self.error_label.setObjectName("fieldError")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        self.result_label = QLabel()
        self.result_label.setWordWrap(True)
        self.play_button = QPushButton("Play")
        self.play_button.clicked.connect(self.toggle_play)
        self.real_button = QPushButton("Play real voice")
        self.real_button.setToolTip("Hear the person, to compare with the spoken result "
                                    "(A/B): their recording of the same sentence when it is "
                                    "one they recorded, else their clip.")
        self.real_button.clicked.connect(self.play_real)
        self.save_button = QPushButton("Save…")
        self.save_button.clicked.connect(self.save)
        self.result_notes = QLabel()  # warnings from the synthesis, where the file was saved
        self.result_notes.setObjectName("hint")
        self.result_notes.setWordWrap(True)
        self.result_notes.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # Shown once there is something to play: disabled buttons before that are clutter.
        self.result_box = QWidget()
        result_row = QHBoxLayout()
        result_row.setContentsMargins(0, 0, 0, 0)
        result_row.addWidget(self.result_label, 1)
        result_row.addWidget(self.play_button)
        result_row.addWidget(self.real_button)
        result_row.addWidget(self.save_button)
        result_layout = QVBoxLayout(self.result_box)
        result_layout.setContentsMargins(0, 0, 0, 0)
        result_layout.setSpacing(4)
        result_layout.addLayout(result_row)
        result_layout.addWidget(self.result_notes)

        # The fields take the height they need: the Voices page scrolls as a whole on a
        # small screen, so the card never scrolls inside itself beside empty space.
        layout = QVBoxLayout(card)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(8)
        layout.addLayout(heading)
        layout.addWidget(self.models_box)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.result_box)
        layout.addWidget(self.error_label)  # under Play: where a playback problem shows
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(card)

        self._poll = QTimer(self)
        self._poll.setInterval(PLAYBACK_POLL_MS)
        self._poll.timeout.connect(self._check_playing)
        state.base_models_changed.connect(self._update_models)
        self.set_voice(None)

    # --- the selected voice ---------------------------------------------------------------

    def set_voice(self, voice: Voice | None) -> None:
        if self.voice is not None:
            self._drafts[self.voice.manifest.id] = self._draft()
        same = (voice is not None and self.voice is not None
                and voice.manifest.id == self.voice.manifest.id)
        self.voice = voice
        self.setVisible(voice is not None)
        if voice is None:
            return
        if not same:
            self._stop_playing()
            self.result = None
            self.error_label.hide()
            self._load_draft(self._drafts.get(voice.manifest.id, _Draft()), voice)
        latest = voice.active_version()
        if latest is None:
            self.mode_label.setText("Not trained yet")
            explanation = ("This voice is not trained yet, so the base models copy it from the "
                           "clip you choose (3 to 10 seconds of the person speaking).")
        else:
            self.mode_label.setText(f"Trained model {latest.version_id}")
            explanation = (f"Speaks with the trained model {latest.version_id} from "
                           f"{latest.created[:10]}; the clip sets the speaking style.")
        self.mode_label.setToolTip(explanation)
        if self.try_out:
            self.refresh_models()
        self._update_models()
        self._show_result()

    def refresh_models(self, prefer: SpeakingModel | None = None) -> None:
        """List what can speak now (a stage finished, a version was saved or deleted) and
        keep the choice, or choose ``prefer`` (compared by what it speaks with)."""
        from voicestudio.services.try_out import try_out_models

        if self.voice is None:
            return
        current = prefer or self.speaking_model()
        models = try_out_models(self.voice)
        self.model_combo.blockSignals(True)
        self.model_combo.clear()
        for model in models:
            self.model_combo.addItem(model.label, model)
        same = [i for i, m in enumerate(models) if _same_model(m, current)]
        self.model_combo.setCurrentIndex(same[0] if same else 0)
        self.model_combo.blockSignals(False)
        self._update_buttons()

    def speaking_model(self) -> SpeakingModel:
        """The model the next Speak uses (the voice's active one outside the try-out)."""
        chosen = self.model_combo.currentData() if self.try_out else None
        return chosen if isinstance(chosen, SpeakingModel) else ACTIVE_MODEL

    def _show_suggestions(self, suggestions: list[Any]) -> None:
        self.suggestion_combo.clear()
        self.suggestion_combo.addItem("Choose a sentence to try…", None)
        for suggestion in suggestions:
            label = suggestion.text + ("  (recorded: compare)" if suggestion.recording else "")
            self.suggestion_combo.addItem(label, suggestion)
        self.suggestion_combo.setEnabled(bool(suggestions))

    def _use_suggestion(self, index: int) -> None:
        suggestion = self.suggestion_combo.itemData(index)
        if suggestion is not None:
            self.text_edit.setPlainText(suggestion.text)

    def _recording_of_text(self) -> Path | None:
        """The person's own recording of the sentence being tried, when it is one of the
        held-out ones offered (else the A/B plays the reference clip)."""
        text = self.text_edit.toPlainText().strip()
        for i in range(1, self.suggestion_combo.count()):
            suggestion = self.suggestion_combo.itemData(i)
            if suggestion is not None and suggestion.recording and suggestion.text == text:
                return suggestion.recording
        return None

    def _draft(self) -> _Draft:
        reference = self.reference_edit.property("path")
        return _Draft(Path(reference) if reference else None, self.transcript_edit.text(),
                      self.text_edit.toPlainText(), self.language_combo.currentData(),
                      self._reference_lang)

    def _load_draft(self, draft: _Draft, voice: Voice) -> None:
        self.transcript_edit.setText(draft.transcript)
        self.text_edit.setPlainText(draft.text)
        lang = draft.lang or default_language(voice)
        self.language_combo.setCurrentIndex(max(self.language_combo.findData(lang), 0))
        self._set_reference(draft.reference, draft.reference_lang)
        if draft.reference is None and voice.manifest.dataset.segments:
            self._suggest_reference(voice)
        if self.try_out:
            self._suggest_sentences(voice)

    def _suggest_sentences(self, voice: Voice) -> None:
        """Fill the sentence chooser in the background (it reads the segment index)."""
        self._show_suggestions([])

        def job(_progress: ProgressCallback, _cancel: CancelToken) -> Any:
            from voicestudio.services.try_out import suggested_sentences

            return suggested_sentences(voice)

        def found(suggestions: list[Any]) -> None:
            if self.voice is not None and self.voice.manifest.id == voice.manifest.id:
                self._show_suggestions(suggestions)

        runner = JobRunner(job, self)
        runner.finished.connect(found)
        self.sentences_runner = runner
        runner.start()

    def _suggest_reference(self, voice: Voice) -> None:
        """Fill in the voice's own best 3-10 s recording and its transcript, so a person who
        recorded or imported clips does not have to dig one out of the voice folder."""

        def job(_progress: ProgressCallback, _cancel: CancelToken) -> Any:
            return voice_reference(voice)

        def suggested(found: Any) -> None:
            current = self.voice is not None and self.voice.manifest.id == voice.manifest.id
            if found is None or not current or self.reference_edit.property("path"):
                return  # nothing usable, another voice, or the person chose a clip meanwhile
            if not self.transcript_edit.text().strip():
                self.transcript_edit.setText(found.text)
                self.transcript_edit.setCursorPosition(0)
            self._set_reference(found.path, found.lang)

        runner = JobRunner(job, self)
        runner.finished.connect(suggested)
        self.suggest_runner = runner
        runner.start()

    def _update_models(self) -> None:
        problem = missing_models(self.state.data_dir, self.voice) if self.voice else ""
        self._models_problem = problem
        self.models_label.setText(problem)
        self.models_box.setVisible(bool(problem))
        self._update_buttons()

    def _show_page(self, key: str) -> None:
        show_page = getattr(self.window(), "show_page", None)
        if show_page is not None:
            show_page(key)

    # --- the reference clip ---------------------------------------------------------------

    def choose_reference(self) -> None:
        current = self.reference_edit.property("path")
        start = Path(current).parent if current else Path.home()
        path = dialogs.choose_file(self, "Choose a reference clip of the voice", start,
                                   dialogs.AUDIO_FILTER)
        if path is not None:
            self._set_reference(path)

    def _set_reference(self, path: Path | None, lang: str | None = None) -> None:
        """Show the clip and check it in the background (decoding may take a moment).
        ``lang`` is the clip's language when known (a segment of the voice's recordings)."""
        self._reference_ok = False
        self._prepared = None
        self._reference_lang = lang
        self.reference_edit.setProperty("path", str(path) if path else "")
        self.reference_edit.setText(path.name if path else "")
        self.reference_edit.setCursorPosition(0)  # the start of a long name, not its end
        self.reference_edit.setToolTip(str(path) if path else "")
        if path is None:
            self._reference_message("", problem=False)
            self._update_buttons()
            return
        self._reference_message("Checking the clip…", problem=False)

        def job(_progress: ProgressCallback, _cancel: CancelToken) -> Any:
            from voicestudio.synthesis.reference import load_reference

            return load_reference(path)

        runner = JobRunner(job, self)
        runner.finished.connect(lambda prepared: self._reference_checked(path, prepared, ""))
        runner.failed.connect(lambda message, _exc: self._reference_checked(path, None, message))
        self.check_runner = runner
        runner.start()
        self._update_buttons()

    def _reference_checked(self, path: Path, prepared: Any, problem: str) -> None:
        if str(path) != self.reference_edit.property("path"):
            return  # another clip was chosen meanwhile
        if prepared is None:
            self._reference_message(problem, problem=True)
        else:
            self._reference_ok = True
            self._prepared = prepared
            text = f"{prepared.source_seconds:.1f} s."
            if prepared.seconds < prepared.source_seconds - 0.05:
                text = (f"{prepared.source_seconds:.1f} s: the part from "
                        f"{prepared.start_seconds:.1f} s to {prepared.end_seconds:.1f} s will "
                        "be used.")
            if self._reference_lang is not None:
                text += " One of this voice's own recordings."
            self._reference_message(" ".join([text, *prepared.warnings]), problem=False)
        self._update_buttons()

    def _reference_message(self, text: str, problem: bool) -> None:
        self.reference_info.setText(text)
        self.reference_info.setObjectName("fieldError" if problem else "hint")
        self.reference_info.style().unpolish(self.reference_info)
        self.reference_info.style().polish(self.reference_info)
        self.reference_info.setVisible(bool(text))

    # --- speaking -------------------------------------------------------------------------

    def _update_buttons(self) -> None:
        speaking = self.runner is not None and self.runner.is_running
        ready = (self.voice is not None and self._reference_ok and not self._models_problem
                 and bool(self.text_edit.toPlainText().strip()))
        self.speak_button.setEnabled(ready and not speaking)
        if not self._reference_ok and self.voice is not None:
            self.speak_button.setToolTip("Choose a reference clip of the voice first.")
        elif not self.text_edit.toPlainText().strip():
            self.speak_button.setToolTip("Type what the voice should say first.")
        else:
            self.speak_button.setToolTip("")
        for widget in (self.reference_button, self.language_combo):
            widget.setEnabled(not speaking)
        has_audio = self.result is not None and not speaking
        self.play_button.setEnabled(has_audio)
        self.real_button.setEnabled(has_audio and self._prepared is not None)
        self.save_button.setEnabled(has_audio)

    def speak(self) -> None:
        if self.voice is None or (self.runner is not None and self.runner.is_running):
            return
        self._stop_playing()
        voice, data_dir = self.voice, self.state.data_dir
        device = self.state.settings.compute_device
        text, transcript = self.text_edit.toPlainText(), self.transcript_edit.text().strip()
        reference = Path(self.reference_edit.property("path"))
        lang = self.language_combo.currentData()
        reference_lang = self._reference_lang
        model = self.speaking_model()

        def job(progress: ProgressCallback, cancel: CancelToken) -> Any:
            from voicestudio.synthesis.pipeline import (  # torch: only once someone speaks
                SynthesisRequest,
                get_synthesizer,
                voice_frontend,
            )

            files = speech_for(data_dir, voice, model=model).files
            request = SynthesisRequest(text=text, reference=reference, reference_text=transcript,
                                       lang=lang, reference_lang=reference_lang)
            return get_synthesizer(files, device).speak(request, progress, cancel,
                                                        voice_frontend(voice.folder))

        runner = JobRunner(job, self)
        self.progress.attach(runner)
        runner.finished.connect(lambda result, vid=voice.manifest.id: self._spoken(vid, result))
        runner.failed.connect(lambda message, _exc: self._show_error(message))
        runner.cancelled.connect(lambda: self._show_error("Stopped. Press Speak to try again."))
        runner.ended.connect(self._speaking_ended)
        self.runner = runner
        self.result = None
        self.error_label.hide()
        self._show_result()
        self.progress.show()
        reveal(self.progress.cancel_button)
        runner.start()
        self._update_buttons()

    def _spoken(self, voice_id: str, result: Any) -> None:
        if self.voice is None or self.voice.manifest.id != voice_id:
            return  # another voice was selected while this one spoke
        self.result = result
        self._saved_to = None
        self._show_result()

    def _speaking_ended(self) -> None:
        self.progress.hide()
        self._update_buttons()

    def _show_result(self) -> None:
        result = self.result
        self.result_box.setVisible(result is not None)
        if result is None:
            self.result_label.setText("")
            self.result_notes.setText("")
        else:
            count = len(result.sentences)
            self.result_label.setText(
                f"{result.seconds:.1f} s, {count} sentence{'s' if count != 1 else ''}")
            notes = list(result.warnings)
            if self._saved_to is not None:
                notes.append(f"Saved to {self._saved_to}.")
            self.result_notes.setText("\n".join(notes))
            self.result_notes.setVisible(bool(notes))
            reveal(self.result_notes if notes else self.play_button)
        self.play_button.setText("Play")
        self._update_buttons()

    def _show_error(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.show()
        reveal(self.error_label)

    # --- listening and saving -------------------------------------------------------------

    def toggle_play(self) -> None:
        if self.player is not None and self.player.is_playing:
            self._stop_playing()
            return
        if self.result is not None:
            self._play(self.result.audio, self.result.sample_rate)

    def _play(self, samples: Any, sample_rate: int) -> None:
        if self.player is None:
            self.player = SoundDevicePlayer()
        try:
            self.player.play(samples, sample_rate)
        except NoAudioOutputError as exc:
            self._show_error(str(exc))
            return
        self.error_label.hide()
        self.play_button.setText("Stop")
        self._poll.start()

    def play_real(self) -> None:
        """The B of an A/B: the person saying the same sentence when it is a held-out one,
        else the clip the voice was copied from, as the model hears it."""
        if self.player is not None and self.player.is_playing:
            self._stop_playing()
        recording = self._recording_of_text()
        if recording is not None:
            try:
                samples, rate = sf.read(recording, dtype="float32")
            except (OSError, sf.LibsndfileError) as exc:
                self._show_error(f"The recording {recording.name} cannot be played: {exc}")
                return
            self._play(samples if samples.ndim == 1 else samples.mean(axis=1), rate)
        elif self._prepared is not None:
            self._play(self._prepared.wav_32k, SAMPLE_RATE)

    def _check_playing(self) -> None:
        if self.player is None or not self.player.is_playing:
            self._poll.stop()
            self.play_button.setText("Play")

    def _stop_playing(self) -> None:
        if self.player is not None:
            self.player.stop()
        self._poll.stop()
        self.play_button.setText("Play")

    def save(self) -> None:
        if self.result is None or self.voice is None:
            return
        start = Path.home() / f"{self.voice.name} - try.wav"
        path = dialogs.choose_save_file(self, "Save the spoken audio", start, SAVE_FILTER)
        if path is None:
            return
        if path.suffix.lower() not in SAVE_SUFFIXES:
            path = path.with_name(path.name + ".wav")
        try:
            write_audio(path, self.result.audio, self.result.sample_rate)
        except OSError as exc:
            self._show_error(f"Could not save {path}: {exc.strerror or exc}. Choose another "
                             "folder.")
            return
        except VoiceStudioError as exc:
            self._show_error(str(exc))
            return
        self.error_label.hide()
        self._saved_to = path
        self._show_result()


def _same_model(a: SpeakingModel, b: SpeakingModel) -> bool:
    return (a.version_id, a.run_s2, a.base) == (b.version_id, b.run_s2, b.base)
