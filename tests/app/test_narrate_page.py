"""The Narrate page with a stand-in renderer: import, colours by sentence state, render with
progress, click to play, new take and approval, pronounce as, export dialog."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "synthesis"))
from narration_fakes import CountingRenderer  # noqa: E402

from voicestudio.app import dialogs  # noqa: E402
from voicestudio.app.pages.narrate import (  # noqa: E402
    PLAYING_COLOUR,
    STATE_COLOURS,
    ExportDialog,
    NarratePage,
    editor_hint,
)
from voicestudio.synthesis.narration import NarrationEngine  # noqa: E402
from voicestudio.text.lexicon import load_merged_lexicon  # noqa: E402

BOOK = "# Tale\n\n## One\n\nThe sun rose. The birds sang loudly.\n\n## Two\n\nNight fell.\n"


class FakePlayer:
    def __init__(self) -> None:
        self.played = []

    def play(self, samples, sample_rate):
        self.played.append((samples.size, sample_rate))

    def stop(self):
        pass

    is_playing = False


@pytest.fixture
def page(qtbot, window, tmp_path, monkeypatch):
    voice = window.state.library.create("Reader", ["en"])
    window.state.open_voice("Reader")
    renderer = CountingRenderer()

    def factory(voice, project):
        return NarrationEngine(project, renderer, load_merged_lexicon(voice.folder,
                                                                      project.folder))

    page = NarratePage(window.state, engine_factory=factory)
    qtbot.addWidget(page)
    page.player = FakePlayer()
    page.renderer = renderer
    book = tmp_path / "tale.md"
    book.write_text(BOOK, encoding="utf-8")
    monkeypatch.setattr(dialogs, "choose_file", lambda *a, **k: book)
    page.import_book()
    qtbot.waitUntil(lambda: page.engine is not None and not page.busy, timeout=10000)
    assert voice.folder in page.project.folder.parents
    return page


def colours(page):
    return [s.format.background().color().name() for s in page.editor.extraSelections()]


def test_import_shows_chapters_and_unrendered_sentences(page):
    assert [page.chapter_list.item(i).text() for i in range(page.chapter_list.count())] == [
        "One", "Two"]
    assert page.editor.toPlainText() == "The sun rose. The birds sang loudly."
    assert colours(page) == [STATE_COLOURS["not rendered"]] * 2  # the title is not in the text


def test_render_colours_sentences_and_a_click_plays_one(page, qtbot):
    page.render_chapter()
    assert set(colours(page)) == {STATE_COLOURS["rendering"]}
    assert not page.progress.isHidden()
    qtbot.waitUntil(lambda: not page.busy, timeout=10000)
    assert colours(page) == [STATE_COLOURS["rendered"]] * 2
    assert "3 sentences" in page.report_label.text()
    page.select_sentence(2)
    assert page.player.played[-1][1] == 32000
    assert "Sentence 3: rendered" in page.sentence_label.text()

    page.regenerate()
    qtbot.waitUntil(lambda: not page.busy, timeout=10000)
    assert page.take_combo.count() == 2 and len(page.player.played) == 2
    page.toggle_approved()
    assert colours(page)[1] == STATE_COLOURS["approved"]
    assert not page.regenerate_button.isEnabled() and page.approve_button.text() == "Unlock"

    # editing one sentence makes only it "not rendered"
    page.editor.setPlainText("The moon rose. The birds sang loudly.")
    page._save_text()
    assert colours(page) == [STATE_COLOURS["not rendered"], STATE_COLOURS["approved"]]

    # a pronunciation makes the sentences that use the word stale (unless approved)
    page.set_pronunciation("moon", "M UW1 N")
    page.render_chapter()
    qtbot.waitUntil(lambda: not page.busy, timeout=10000)
    page.set_pronunciation("moon", "M UW1 N Z")
    assert colours(page) == [STATE_COLOURS["stale"], STATE_COLOURS["approved"]]
    assert (page.project.folder / "lexicon.json").is_file()

    page.play_chapter()
    assert page.player.played[-1][0] > page.player.played[0][0]
    # while a chapter plays, the sentence being heard is the highlighted one
    import time

    start_of_second = page._playing[2][0]
    page._play_started = time.monotonic() - start_of_second - 0.01
    assert page.playing_sentence() == 2
    page.player.is_playing = True
    page._follow_playback()
    assert colours(page)[1] == PLAYING_COLOUR  # sentence 2 is the text's second one
    page.player.is_playing = False
    page._follow_playback()
    assert colours(page)[1] == STATE_COLOURS["approved"]

    # a pause marker typed (or inserted) between sentences lengthens the chapter's gap
    cursor = page.editor.textCursor()
    cursor.setPosition(len("The moon rose."))
    page.editor.setTextCursor(cursor)
    page.insert_marker("[pause 2]")
    assert page.project.chapters[0].text == "The moon rose. [pause 2]  The birds sang loudly."
    assert page.plan.sentences[1].pause_after == 2.0


def test_chapters_reorder_and_rename_are_saved(page):
    from voicestudio.project.narration import NarrationProject

    assert page.chapter_list.dragDropMode().name == "InternalMove"
    assert Qt.ItemFlag.ItemIsEditable & page.chapter_list.item(0).flags()
    item = page.chapter_list.takeItem(1)
    page.chapter_list.insertItem(0, item)
    page._chapters_moved()
    page.chapter_list.item(0).setText("Second, now first")
    reopened = NarrationProject.open(page.project.folder)
    assert [c.title for c in reopened.chapters] == ["Second, now first", "One"]


def test_export_dialog_states_the_policy_and_exports(page, qtbot, answers, tmp_path):
    for chapter in list(page.project.chapters):
        page.engine.render_chapter(chapter.id)
    page._refresh_states()

    def fill(dialog: ExportDialog) -> bool:
        assert "digital (synthetic) voice" in dialog.disclosure_label.text()
        dialog.preset_combo.setCurrentIndex(dialog.preset_combo.findData("acx"))
        assert "invited" in dialog.policy_label.text()
        assert not dialog.format_combo.isEnabled()
        dialog.author_edit.setText("Ann Writer")
        dialog.folder_edit.setText(str(tmp_path / "export"))
        return True

    answers.add(fill)
    page.export()
    qtbot.waitUntil(lambda: not page.busy, timeout=20000)
    assert page.project.author == "Ann Writer"
    assert "Every file complies" in page.report_label.text()
    assert sorted(p.suffix for p in (tmp_path / "export").glob("*.mp3")) == [".mp3", ".mp3"]


def test_opening_a_page_over_an_existing_narration_keeps_every_chapter_text(page, qtbot):
    from voicestudio.project.narration import NarrationProject

    again = NarratePage(page.state, engine_factory=page.engine_factory)
    qtbot.addWidget(again)
    qtbot.waitUntil(lambda: again.engine is not None and not again.busy, timeout=10000)
    assert again.editor.toPlainText() == "The sun rose. The birds sang loudly."
    again.chapter_list.setCurrentRow(1)
    assert again.editor.toPlainText() == "Night fell."
    again.chapter_list.setCurrentRow(0)
    texts = [c.text for c in NarrationProject.open(page.project.folder).chapters]
    assert texts == ["The sun rose. The birds sang loudly.", "Night fell."]


def test_chapters_can_be_added_and_removed_and_a_reference_fixed(page, qtbot, monkeypatch,
                                                                 tmp_path):
    monkeypatch.setattr("voicestudio.app.pages.narrate.QInputDialog.getText",
                        lambda *a, **k: ("Epilogue", True))
    page.add_chapter()
    assert page.chapter_list.count() == 3 and page.editor.toPlainText() == ""
    page.editor.setPlainText("All was well.")
    page.remove_chapter()
    assert [c.title for c in page.project.chapters] == ["One", "Two"]
    clip = tmp_path / "clip.wav"
    clip.write_bytes(b"RIFF")
    page.set_reference(clip, "What the clip says.")
    qtbot.waitUntil(lambda: page.engine is not None and not page.busy, timeout=10000)
    assert page.project.settings.reference == str(clip)
    assert page.project.settings.reference_text == "What the clip says."


def test_an_empty_page_offers_only_what_can_be_done(qtbot, window):
    window.state.library.create("Reader", ["en"])
    window.state.open_voice("Reader")
    page = NarratePage(window.state, engine_factory=lambda voice, project: None)
    qtbot.addWidget(page)
    assert page.project is None
    assert page.import_button.isEnabled() and page.paste_button.isEnabled()
    for button in (page.pause_button, page.speed_button, page.render_button,
                   page.play_chapter_button, page.export_button, page.reference_button,
                   page.add_chapter_button, page.remove_chapter_button, page.play_button,
                   page.regenerate_button, page.approve_button, page.pronounce_button):
        assert not button.isEnabled(), button.text()
    assert page.editor.isReadOnly()  # typing would go into no chapter
    assert "Import a book…" in page.editor.placeholderText()  # and says what to press


def test_the_empty_editor_says_what_to_do_next():
    assert "Voices page" in editor_hint(False, False, False)
    assert "“Paste text…”" in editor_hint(True, False, False)
    assert "“Add chapter”" in editor_hint(True, True, False)
    assert editor_hint(True, True, True) == "Type or paste the chapter's text here."


def test_the_markers_are_offered_once_a_chapter_is_open(page):
    assert page.chapter_id is not None
    assert page.pause_button.isEnabled() and page.speed_button.isEnabled()
    page.pause_button.click()
    assert "[pause 1]" in page.project.chapter(page.chapter_id).text


def test_a_render_is_refused_while_a_training_runs_and_starts_once_it_ends(
        page, qtbot, monkeypatch):
    """One heavy job at a time: while another voice trains (the real training job, its run
    held at its first step), Render is off and says what runs; pressed anyway it is refused
    with that name and renders nothing; when the training ends the chapter renders."""
    from voicestudio.app.job_runner import JobRunner
    from voicestudio.services.training import train_voice

    other = page.state.library.create("Lily", ["en"])
    started, release = threading.Event(), threading.Event()

    class Plan:
        device = "cpu"

    class HeldRun:  # a training run that waits at its first step until the test lets it go
        plan, version_id = Plan(), "run-1"

        def run(self, progress, cancel, on_update, scorer):
            started.set()
            release.wait(60)
            return "version"

    training = JobRunner(lambda progress, cancel: train_voice(
        page.state.data_dir, other, progress=progress, cancel=cancel, run=HeldRun(),
        scorer=None), page)
    training.start()
    try:
        assert started.wait(60)
        qtbot.waitUntil(lambda: not page.render_button.isEnabled(), timeout=10000)
        assert "Training “Lily” is running" in page.render_button.toolTip()
        errors: list[str] = []
        monkeypatch.setattr(dialogs, "show_error", lambda _parent, message: errors.append(
            message))
        page.render_chapter()  # a click that raced the button, or a shortcut
        qtbot.waitUntil(lambda: not page.busy, timeout=10000)
        assert len(errors) == 1 and "Training “Lily” is running" in errors[0]
        assert page.renderer.calls == []
        assert set(colours(page)) == {STATE_COLOURS["not rendered"]}
    finally:
        release.set()
    qtbot.waitUntil(lambda: not training.is_running, timeout=60000)
    qtbot.waitUntil(page.render_button.isEnabled, timeout=10000)
    assert page.render_button.toolTip() == ""
    page.render_chapter()
    qtbot.waitUntil(lambda: not page.busy, timeout=10000)
    assert colours(page) == [STATE_COLOURS["rendered"]] * 2
