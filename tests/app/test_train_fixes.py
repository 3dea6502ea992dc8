"""Every readiness problem on the Train page comes with the button that fixes it: record more,
record consent (straight to the Record page's consent step), install base models, open the
data folder when the disk is full, smaller batches when memory is short."""

from __future__ import annotations

from collections import namedtuple

from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QPushButton
from recording_fakes import LiveFakeInput, Speaker
from voice_fakes import FakePlayer, add_segments

from voicestudio.app.pages import record as record_page
from voicestudio.project.library import VoiceLibrary
from voicestudio.project.voice import ConsentRecord
from voicestudio.services import training

DiskUsage = namedtuple("DiskUsage", "total used free")


def _open_train_page(make_window, qtbot, data_dir=None):
    window = make_window(data_dir)
    window.state.open_voice("Rose")
    assert window.show_page("train")
    page = window.page("train")
    qtbot.waitUntil(lambda: page.readiness is not None, timeout=120_000)
    return window, page


def _fix_buttons(page) -> dict[str, QPushButton]:
    """The fix buttons shown: the headline problem's, and each listed problem's."""
    rows = [page.problems_box.itemAt(i).widget() for i in range(page.problems_box.count())]
    buttons = [b for row in rows for b in row.findChildren(QPushButton)]
    if page.headline_fix_button.isVisibleTo(page):
        buttons.append(page.headline_fix_button)
    return {b.text(): b for b in buttons}


def test_no_speech_no_consent_no_models_each_has_its_button(make_window, isolated_user_dirs,
                                                            monkeypatch, qtbot):
    monkeypatch.setattr(record_page, "SoundDeviceInput", lambda: LiveFakeInput(Speaker()))
    monkeypatch.setattr(record_page, "SoundDevicePlayer", FakePlayer)
    VoiceLibrary(isolated_user_dirs).create("Rose", ["en"])
    window, page = _open_train_page(make_window, qtbot)
    assert page.readiness.verdict == "blocked"
    assert page.verdict_label.text().startswith("Cannot start: There is 0 seconds of speech")
    buttons = _fix_buttons(page)
    assert {"Record", "Record consent", "Install base models"} <= set(buttons)
    assert page.headline_fix_button.text() == "Record"

    buttons["Install base models"].click()
    assert window.pages.currentWidget() is window.page("base_models")
    window.show_page("train")
    buttons["Record consent"].click()
    record = window.page("record")
    assert window.pages.currentWidget() is record
    assert record.steps.currentWidget() is record.consent  # the step, not the wizard's start
    record.confirm_close()


def test_full_disk_opens_the_data_folder_and_short_memory_offers_smaller_batches(
        make_window, with_models, monkeypatch, qtbot):
    voice = VoiceLibrary(with_models).create("Rose", ["en"])
    voice.manifest.consent = ConsentRecord("Rose", "Rose", "I agree to clone my voice.")
    voice.save()
    add_segments(voice, [(f"seg{i}", 8.0, f"Sentence number {i}.", True) for i in range(9)],
                 "en")
    monkeypatch.setattr(training.shutil, "disk_usage", lambda _p: DiskUsage(10, 10, 1000))
    monkeypatch.setattr(training, "_available_memory", lambda: 1000)
    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    _window, page = _open_train_page(make_window, qtbot)

    assert page.readiness.verdict == "blocked"
    disk = next(p for p in page.readiness.problems if p.fix_action == "open_folder")
    assert disk.blocking and "Free " in disk.message and "1.0 kB free" in disk.message
    assert page.headline_fix_button.text() == "Open the data folder"
    page.headline_fix_button.click()
    assert [u.toLocalFile() for u in opened] == [str(with_models)]

    memory = next(p for p in page.readiness.problems if p.fix_action == "smaller_batches")
    assert not memory.blocking and "memory is free" in memory.message
    button = _fix_buttons(page)["Use smaller batches"]
    button.click()
    assert page.s2_batch.value() == page.s1_batch.value() == training.SMALL_BATCH
    assert page.advanced.isVisible() and not button.isEnabled()
    assert page.plan().s2_batch_size == training.SMALL_BATCH
