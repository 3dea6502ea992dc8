"""The Edit page: the segment editor saves every edit at once and undoes/redoes it; the
import tab checks dropped files, imports the usable ones and says why the others were not."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication
from segment_voice import PHRASES, make_segmented_voice
from voice_fakes import FakePlayer

from voicestudio.app.pages.edit import EditPage
from voicestudio.audio.denoise import DENOISE_RECIPE
from voicestudio.project.segments import Dataset


def saved(voice) -> Dataset:
    return Dataset.open(voice)


def drag(qtbot, waveform, from_seconds: float, to_seconds: float) -> None:
    """Press the left button on the waveform at one time, move in steps, release at another
    (QTest's mouseMove carries no button, which pyqtgraph needs to see a drag; pyqtgraph
    drops moves closer than 10 ms apart, as a hand's are)."""
    viewport = waveform.viewport()
    box = waveform.getPlotItem().getViewBox()

    def point(seconds: float) -> QPoint:
        return waveform.mapFromScene(box.mapViewToScene(QPointF(seconds, 0.0)))

    def send(kind, at: QPoint, button, buttons) -> None:
        QApplication.sendEvent(viewport, QMouseEvent(
            kind, QPointF(at), QPointF(viewport.mapToGlobal(at)), button, buttons,
            Qt.KeyboardModifier.NoModifier))

    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    start, end = point(from_seconds), point(to_seconds)
    send(QEvent.Type.MouseMove, start, none, none)
    send(QEvent.Type.MouseButtonPress, start, left, left)
    for step in range(1, 11):
        qtbot.wait(15)
        send(QEvent.Type.MouseMove, QPoint(start.x() + (end.x() - start.x()) * step // 10,
                                           start.y()), none, left)
    send(QEvent.Type.MouseButtonRelease, end, left, none)


@pytest.fixture
def editor_page(make_window, isolated_user_dirs, qtbot):
    voice = make_segmented_voice(isolated_user_dirs)
    window = make_window()
    window.state.open_voice(voice.name)
    assert window.show_page("edit")
    page = window.pages.currentWidget()
    assert isinstance(page, EditPage)
    page.tabs.setCurrentWidget(page.editor)
    editor = page.editor
    editor.player = FakePlayer()
    qtbot.waitUntil(lambda: editor.take_ready, timeout=20000)
    return voice, editor


def test_drag_split_merge_delete_undo_redo_each_saved(editor_page, qtbot):
    voice, editor = editor_page
    first, second = saved(voice).segments[:2]
    assert editor.table.rowCount() == len(PHRASES)
    assert editor.table.item(0, 2).text() == PHRASES[0]

    # drag the first segment's left edge 0.3 s earlier with the mouse
    drag(qtbot, editor.waveform, first.start_seconds, first.start_seconds - 0.3)
    moved = saved(voice).segment(first.id)
    assert moved.start_seconds == pytest.approx(first.start_seconds - 0.3, abs=0.03)
    assert moved.end_sample == first.end_sample
    assert saved(voice).segment_samples(moved).size == moved.end_sample - moved.start_sample

    # split at the playhead, with the S key
    editor.select(first.id)
    editor.waveform.set_playhead(first.start_seconds + 1.2)
    editor.table.setFocus()
    qtbot.keyClick(editor.table, Qt.Key.Key_S)
    after_split = saved(voice).segments
    assert len(after_split) == len(PHRASES) + 1
    assert after_split[0].end_sample == after_split[1].start_sample \
        == first.start_sample + round(1.2 * 32000)

    # merge the second half with the next segment
    editor.select(after_split[1].id)
    editor.actions["merge"].trigger()
    after_merge = saved(voice).segments
    assert len(after_merge) == len(PHRASES)
    assert after_merge[1].end_sample == second.end_sample

    # delete the first
    editor.select(after_merge[0].id)
    editor.actions["delete"].trigger()
    assert [s.id for s in saved(voice).deleted_segments()] == [after_merge[0].id]

    # undo all four edits, checking the index after each
    editor.undo_stack.undo()
    assert saved(voice).deleted_segments() == []
    editor.undo_stack.undo()
    assert [s.end_sample for s in saved(voice).segments] == [s.end_sample for s in after_split]
    editor.undo_stack.undo()
    assert [(s.start_sample, s.end_sample) for s in saved(voice).segments][0] == \
        (moved.start_sample, moved.end_sample)
    editor.undo_stack.undo()
    assert saved(voice).segment(first.id).start_sample == first.start_sample
    assert saved(voice).segment(first.id).text == PHRASES[0]
    original = saved(voice).segment_samples(saved(voice).segment(first.id))
    # redo all four
    for _ in range(4):
        editor.undo_stack.redo()
    final = saved(voice)
    assert [s.id for s in final.deleted_segments()] == [after_merge[0].id]
    assert len(final.segments) == len(PHRASES) - 1
    assert final.segments[0].end_sample == second.end_sample
    assert original.size == first.end_sample - first.start_sample


def test_text_edit_in_the_table_and_training_choices(editor_page, qtbot):
    voice, editor = editor_page
    segment = saved(voice).segments[2]
    editor.select(segment.id)
    row = [s.id for s in editor.take_segments()].index(segment.id)
    editor.table.item(row, 2).setText("we ate bread on the rocks")
    qtbot.waitUntil(lambda: saved(voice).segment(segment.id).text ==
                    "we ate bread on the rocks")
    assert saved(voice).segment(segment.id).text_checked
    editor.select(segment.id)
    editor.actions["use"].trigger()
    assert not saved(voice).segment(segment.id).kept
    editor.actions["speaker"].trigger()
    assert saved(voice).segment(segment.id).other_speaker_mark is True
    editor.undo_stack.undo()
    editor.undo_stack.undo()
    assert saved(voice).segment(segment.id).kept
    editor.undo_stack.undo()
    assert saved(voice).segment(segment.id).text == PHRASES[2]


def test_play_moves_the_playhead_through_the_segment(editor_page, qtbot):
    voice, editor = editor_page
    segment = saved(voice).segments[1]
    editor.select(segment.id)
    editor.actions["play"].trigger()
    played, rate = editor.player.played[-1]
    assert rate == 32000 and played.size == segment.end_sample - segment.start_sample
    start = editor.waveform.playhead_seconds
    qtbot.waitUntil(lambda: editor.waveform.playhead_seconds > start + 0.1, timeout=5000)
    editor.player.is_playing = False  # the sound ends
    qtbot.waitUntil(lambda: editor.actions["play"].text() == "Play", timeout=5000)


def test_import_a_folder_reports_good_corrupt_silent_and_video_files(
        make_window, isolated_user_dirs, tmp_path, qtbot):
    from speech import piper_speech, write_audio

    from voicestudio.audio.transcribe import TimedWord, Transcript
    from voicestudio.project.library import VoiceLibrary

    class Hears:
        def transcribe(self, samples, sample_rate, language=None):
            return Transcript("my grandfather told us stories", "en", 1.0, 0.9,
                              (TimedWord("my", 0.0, 0.3, 0.9),), 0.01)

    folder = tmp_path / "old tapes"
    folder.mkdir()
    speech, rate = piper_speech("My grandfather told us stories about the war.")
    audio = np.concatenate([np.zeros(rate // 2, np.float32), np.array(speech) * 0.5,
                            np.zeros(rate // 2, np.float32)])
    other, _ = piper_speech("Happy birthday to you, and many more years to come.")
    party = np.concatenate([np.zeros(rate // 2, np.float32), np.array(other) * 0.5,
                            np.zeros(rate // 2, np.float32)])
    good = write_audio(folder, "interview", audio, rate, "wav-16")
    video = write_audio(folder, "birthday", party, rate, "mp4")  # another recording
    silent = write_audio(folder, "silence", np.zeros(rate * 3, np.float32), rate, "wav-16")
    corrupt = folder / "damaged.mp3"
    corrupt.write_bytes(b"ID3\x03\x00\x00\x00" + bytes(200))

    VoiceLibrary(isolated_user_dirs).create("Grandpa", ["en"])
    window = make_window()
    window.state.open_voice("Grandpa")
    window.show_page("edit")
    page = window.pages.currentWidget()
    panel = page.importer
    panel.transcriber = Hears()
    panel.add_paths([folder])
    assert sorted(p.name for p in panel.files) == sorted(
        p.name for p in (good, video, silent, corrupt))
    qtbot.waitUntil(lambda: len(panel.checks) == 4 and not panel.busy, timeout=30000)
    # Piper's speech length varies from run to run: the row shows the file's own length.
    assert panel.row_of(good)["Check"] == "Good"
    assert panel.row_of(good)["Length"] == f"0:{round(len(audio) / rate):02d}"
    assert "video" in panel.row_of(video)["Kind"]
    assert panel.row_of(silent)["Check"] == "Cannot be used"
    assert "silent" in panel.row_of(silent)["Result"].lower()
    assert panel.row_of(corrupt)["Result"].startswith("Cannot be used")

    panel.denoise_box.setChecked(True)  # old tapes: reduce the hiss first
    panel.import_button.click()
    qtbot.waitUntil(lambda: good in panel.results and not panel.busy, timeout=120000)
    assert panel.row_of(good)["Result"].split()[1] in ("segment", "segments")
    assert panel.row_of(video)["Result"].split()[1] in ("segment", "segments")
    dataset = Dataset.open(window.state.library.find("Grandpa"))
    assert sorted(t.original_name for t in dataset.takes) == ["birthday.mp4", "interview.wav"]
    assert {t.cleaning for t in dataset.takes} == {DENOISE_RECIPE}
    take = dataset.takes[0]
    # originals untouched; a re-cut gives the cleaned audio the segment was cut from
    assert (dataset.folder / take.path).read_bytes() in (good.read_bytes(), video.read_bytes())
    segment = next(s for s in dataset.segments if s.take_id == take.id)
    recut = dataset.take_samples(take.id)[segment.start_sample:segment.end_sample]
    stored = dataset.segment_samples(segment)
    assert np.max(np.abs(recut - stored)) < 1e-4
    assert page.editor.take_combo.count() == 2  # the editor shows what was imported


def test_voice_bank_buttons_export_and_restore_the_voice(editor_page, tmp_path, monkeypatch,
                                                         qtbot):
    from voicestudio.app import dialogs

    voice, editor = editor_page
    page = editor.parent()
    while not isinstance(page, EditPage):
        page = page.parent()
    target = tmp_path / "grandpa.voicebank.zip"
    monkeypatch.setattr(dialogs, "choose_save_file", lambda *args: target)
    page.export_button.click()
    qtbot.waitUntil(lambda: page.notice.isVisible(), timeout=20000)
    assert target.is_file() and "Saved 4 clips" in page.notice.label.text()

    page.state.library.rename(voice.name, "Grandpa (old)")
    page.state.reload_library()
    monkeypatch.setattr(dialogs, "choose_file", lambda *args: target)
    page.import_bank_button.click()
    qtbot.waitUntil(lambda: page.state.current_voice is not None
                    and page.state.current_voice.name == voice.name, timeout=20000)
    restored = saved(page.state.current_voice)
    assert [s.text for s in restored.segments] == PHRASES
    qtbot.waitUntil(lambda: editor.table.rowCount() == len(PHRASES))


def test_import_gptsovits_list_button_adds_the_clips_to_the_open_voice(
        editor_page, tmp_path, monkeypatch, qtbot):
    from segment_voice import phrase_audio

    from voicestudio.app import dialogs
    from voicestudio.audio.wav import write_wav

    voice, editor = editor_page
    page = editor.parent()
    while not isinstance(page, EditPage):
        page = page.parent()
    write_wav(tmp_path / "clip_a.wav", phrase_audio(2.4, 40), 32000)
    (tmp_path / "train.list").write_text("clip_a.wav|grandpa|en|a clip from the list\n"
                                         "gone.wav|grandpa|en|not here\n", encoding="utf-8")
    monkeypatch.setattr(dialogs, "choose_file", lambda *args: tmp_path / "train.list")
    page.import_list_button.click()
    qtbot.waitUntil(lambda: page.notice.isVisible(), timeout=20000)
    assert page.notice.label.text() == "Imported 1 clip; 1 line skipped."
    assert "a clip from the list" in [s.text for s in saved(voice).segments]
    assert editor.take_combo.count() == 2


def test_imports_are_off_while_another_heavy_job_runs_and_say_which(
        make_window, isolated_user_dirs, tmp_path, qtbot):
    """Adding recordings and importing a list are heavy jobs: while another voice trains
    both buttons are off and name the training; when it ends they come back."""
    from held_jobs import running_elsewhere
    from speech import piper_speech, write_audio

    from voicestudio.project.library import VoiceLibrary

    library = VoiceLibrary(isolated_user_dirs)
    library.create("Grandpa", ["en"])
    lily = library.create("Lily", ["en"])
    speech, rate = piper_speech("My grandfather told us stories.")
    clip = write_audio(tmp_path, "interview", np.array(speech), rate, "wav-16")
    window = make_window()
    window.state.open_voice("Grandpa")
    window.show_page("edit")
    page = window.pages.currentWidget()
    panel = page.importer
    panel.add_paths([clip])
    qtbot.waitUntil(lambda: len(panel.checks) == 1 and not panel.busy, timeout=30000)
    assert panel.import_button.isEnabled() and page.import_list_button.isEnabled()
    with running_elsewhere("Training “Lily”", lily, "training"):
        qtbot.waitUntil(lambda: not panel.import_button.isEnabled(), timeout=5000)
        assert not page.import_list_button.isEnabled()
        for button in (panel.import_button, page.import_list_button):
            assert "Training “Lily” is running" in button.toolTip()
    qtbot.waitUntil(panel.import_button.isEnabled, timeout=5000)
    assert page.import_list_button.isEnabled() and panel.import_button.toolTip() == ""


def test_with_no_voice_open_adding_recordings_is_off_and_says_where_to_open_one(
        make_window, isolated_user_dirs, qtbot):
    from voicestudio.project.library import VoiceLibrary

    VoiceLibrary(isolated_user_dirs).create("Grandpa", ["en"])
    window = make_window()
    window.show_page("edit")
    panel = window.pages.currentWidget().importer
    for button in (panel.add_files_button, panel.add_folder_button, panel.import_button):
        assert not button.isEnabled()
        assert "Open a voice on the Voices page first" in button.toolTip()
    assert "Open a voice on the Voices page first" in panel.drop_hint.text()

    window.state.open_voice("Grandpa")
    assert panel.add_files_button.isEnabled() and panel.add_folder_button.isEnabled()
    assert panel.add_files_button.toolTip() == "" and "Drop sound" in panel.drop_hint.text()
