"""The Voices page driven through its buttons and dialogs, checked against the folders."""

from __future__ import annotations

import json
import shutil

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from voicestudio.app import dialogs
from voicestudio.app.dialogs import CONSENT_STATEMENT, CreateVoiceDialog, TrashDialog
from voicestudio.app.pages.voices import VoicesPage
from voicestudio.project.library import VoiceLibrary
from voicestudio.project.settings import Settings


@pytest.fixture
def page(window) -> VoicesPage:
    return window.page("voices")


def names_in_list(page: VoicesPage) -> list[str]:
    return [page.tree.topLevelItem(i).text(0) for i in range(page.tree.topLevelItemCount())]


def fill_create(name: str, languages: tuple[str, ...] = ("zh",), consent_by: str = "",
                consent_ticked: bool = False):
    def answer(dialog: CreateVoiceDialog) -> bool:
        dialog.name_edit.setText(name)
        for code, box in dialog.language_boxes.items():
            box.setChecked(code in languages)
        dialog.consent_by_edit.setText(consent_by)
        dialog.consent_box.setChecked(consent_ticked)
        return True

    return answer


def rename_to(name: str):
    def answer(dialog) -> bool:
        dialog.name_edit.setText(name)
        return True

    return answer


def visible_message_boxes() -> list[QMessageBox]:
    return [w for w in QApplication.topLevelWidgets()
            if isinstance(w, QMessageBox) and w.isVisible()]


def test_empty_library_invites_to_create_the_first_voice(page, answers, isolated_user_dirs):
    assert page.list_stack.currentIndex() == 1
    assert page.empty_create_button.isVisible()
    assert page.empty_import_button.isVisible()  # for someone coming from GPT-SoVITS
    assert page.side.isHidden()
    for button in (page.open_button, page.rename_button, page.duplicate_button,
                   page.delete_button):
        assert not button.isEnabled()

    answers.add(fill_create("Grandma Rose", ("zh",), "Li Wei", True))
    page.empty_create_button.click()

    manifest = json.loads(
        (isolated_user_dirs / "voices" / "Grandma-Rose" / "voice.json").read_text("utf-8")
    )
    assert manifest["name"] == "Grandma Rose"
    assert manifest["languages"] == ["zh"]
    assert manifest["consent"]["given_by"] == "Li Wei"
    assert manifest["consent"]["statement"] == CONSENT_STATEMENT
    assert page.list_stack.currentIndex() == 0
    assert not page.side.isHidden()
    assert names_in_list(page) == ["Grandma Rose"]
    # The first voice becomes the open one, so the other pages have something to work on.
    assert page.window().windowTitle() == "Grandma Rose — VoiceStudio"
    assert Settings.load().last_voice == "Grandma Rose"
    assert page.details.title.text() == "Grandma Rose"
    assert "Li Wei" in page.details.values["Consent"].text()
    assert page.details.family_box.currentText() == "As chosen in Settings (v2)"


def test_create_refuses_a_taken_name_and_keeps_the_dialog_open(page, answers,
                                                               isolated_user_dirs):
    VoiceLibrary(isolated_user_dirs).create("Grandma Rose", ["zh"])
    page.reload()
    answers.add(fill_create("grandma rose"))
    page.create_button.click()
    dialog = answers.seen[-1]
    assert dialog.result() != CreateVoiceDialog.DialogCode.Accepted
    assert not dialog.error_label.isHidden()
    assert "already exists" in dialog.error_label.text()
    names = sorted(p.name for p in (isolated_user_dirs / "voices").iterdir())
    assert [n for n in names if not n.startswith(".")] == ["Grandma-Rose"]


def test_a_refusal_in_the_create_dialog_goes_once_the_input_changes(page, answers,
                                                                   isolated_user_dirs):
    VoiceLibrary(isolated_user_dirs).create("Grandma Rose", ["zh"])
    page.reload()
    answers.add(fill_create("grandma rose"))
    page.create_button.click()
    dialog = answers.seen[-1]
    assert "already exists" in dialog.error_label.text()
    dialog.name_edit.setText("Grandma Rose 2")  # fixed: the old message is no longer true
    assert dialog.error_label.isHidden()
    assert dialog.error_label.text() == ""

    dialog.language_boxes["zh"].setChecked(False)
    dialog.language_boxes["en"].setChecked(False)
    dialog.ok_button.click()
    assert "language" in dialog.error_label.text()
    dialog.language_boxes["en"].setChecked(True)
    assert dialog.error_label.isHidden()
    dialog.ok_button.click()  # and the fixed input is accepted
    assert dialog.voice is not None and dialog.voice.name == "Grandma Rose 2"


@pytest.mark.parametrize(
    ("consent_by", "ticked", "problem"),
    [("Li Wei", False, "Tick"), ("", True, "who gave permission")],
)
def test_create_asks_for_a_complete_consent_record(page, answers, isolated_user_dirs,
                                                   consent_by, ticked, problem):
    answers.add(fill_create("Grandma Rose", ("zh",), consent_by, ticked))
    page.create_button.click()
    assert problem in answers.seen[-1].error_label.text()
    assert not (isolated_user_dirs / "voices").exists()


def test_create_needs_a_language(page, answers, isolated_user_dirs):
    answers.add(fill_create("Grandma Rose", ()))
    page.create_button.click()
    assert "language" in answers.seen[-1].error_label.text()
    assert not (isolated_user_dirs / "voices").exists()


@pytest.mark.parametrize(("default", "ticked"), [("zh", ["zh"]), ("en", ["en"]),
                                                 ("auto", ["zh", "en"])])
def test_create_dialog_starts_from_the_default_language(page, answers, default, ticked):
    page.state.update_settings(default_language=default)
    answers.add(lambda dialog: False)
    page.create_button.click()
    assert answers.seen[-1].languages() == ticked


def test_rename_moves_the_folder_and_follows_the_open_voice(page, answers, isolated_user_dirs):
    VoiceLibrary(isolated_user_dirs).create("Grandma Rose", ["zh"])
    page.reload()
    page.state.open_voice("Grandma Rose")
    page.select_voice("Grandma Rose")

    answers.add(rename_to("Nana Rose"))
    page.rename_button.click()

    voices = isolated_user_dirs / "voices"
    assert [p.name for p in voices.iterdir() if not p.name.startswith(".")] == ["Nana-Rose"]
    assert json.loads((voices / "Nana-Rose" / "voice.json").read_text("utf-8"))["name"] == (
        "Nana Rose"
    )
    assert names_in_list(page) == ["Nana Rose"]
    assert page.state.current_voice.name == "Nana Rose"
    assert page.window().windowTitle() == "Nana Rose — VoiceStudio"
    assert Settings.load().last_voice == "Nana Rose"


def test_duplicate_copies_the_voice_under_a_new_name(page, answers, isolated_user_dirs):
    original = VoiceLibrary(isolated_user_dirs).create("Grandma Rose", ["zh", "en"])
    (original.folder / "segments" / "0001.txt").write_text("你好", encoding="utf-8")
    page.reload()
    page.select_voice("Grandma Rose")

    answers.add(lambda dialog: (dialog.name_edit.text() == "Grandma Rose (copy)"))
    page.duplicate_button.click()

    copy = isolated_user_dirs / "voices" / "Grandma-Rose-(copy)"
    manifest = json.loads((copy / "voice.json").read_text("utf-8"))
    assert manifest["name"] == "Grandma Rose (copy)"
    assert manifest["languages"] == ["zh", "en"]
    assert manifest["id"] != original.manifest.id
    assert (copy / "segments" / "0001.txt").read_text(encoding="utf-8") == "你好"
    assert names_in_list(page) == ["Grandma Rose", "Grandma Rose (copy)"]
    assert page.selected_voice().name == "Grandma Rose (copy)"


def test_delete_moves_to_trash_and_undo_brings_it_back(page, isolated_user_dirs):
    VoiceLibrary(isolated_user_dirs).create("Grandma Rose", ["zh"])
    page.reload()
    page.state.open_voice("Grandma Rose")
    page.select_voice("Grandma Rose")

    page.delete_button.click()

    assert not (isolated_user_dirs / "voices" / "Grandma-Rose").exists()
    trashed = list((isolated_user_dirs / "trash").iterdir())
    assert len(trashed) == 1 and trashed[0].name.startswith("Grandma-Rose@")
    assert names_in_list(page) == []
    assert page.state.current_voice is None
    assert page.window().windowTitle() == "VoiceStudio"
    assert page.notice.isVisible() and "trash" in page.notice.label.text()

    page.notice.action_button.click()

    assert (isolated_user_dirs / "voices" / "Grandma-Rose" / "voice.json").is_file()
    assert list((isolated_user_dirs / "trash").iterdir()) == []
    assert names_in_list(page) == ["Grandma Rose"]
    assert "is back" in page.notice.label.text()


def test_trash_dialog_lists_deleted_voices_and_restores_one(page, answers, isolated_user_dirs):
    library = VoiceLibrary(isolated_user_dirs)
    for name in ("Grandma Rose", "Uncle Bo", "Auntie May"):
        library.create(name, ["zh"])
    library.delete("Uncle Bo")
    library.delete("Auntie May")
    page.reload()

    def restore_uncle(dialog: TrashDialog) -> bool:
        assert {e.name for e in dialog.entries()} == {"Uncle Bo", "Auntie May"}
        row = next(i for i, e in enumerate(dialog.entries()) if e.name == "Uncle Bo")
        dialog.list.setCurrentRow(row)
        dialog.restore_button.click()
        assert [e.name for e in dialog.entries()] == ["Auntie May"]
        dialog.reject()
        return False

    answers.add(restore_uncle)
    page.trash_button.click()

    assert (isolated_user_dirs / "voices" / "Uncle-Bo" / "voice.json").is_file()
    assert names_in_list(page) == ["Grandma Rose", "Uncle Bo"]
    assert page.selected_voice().name == "Uncle Bo"


def test_empty_trash_says_so(page, answers):
    def check(dialog: TrashDialog) -> bool:
        assert dialog.stack.currentWidget() is dialog.empty_label
        assert not dialog.restore_button.isEnabled()
        return False

    answers.add(check)
    page.trash_button.click()
    assert len(answers.seen) == 1


def test_open_sets_the_current_voice_and_remembers_it(page, window, isolated_user_dirs):
    library = VoiceLibrary(isolated_user_dirs)
    library.create("Grandma Rose", ["zh"])
    library.create("Uncle Bo", ["en"])
    page.reload()
    page.select_voice("Uncle Bo")

    page.open_button.click()

    assert window.state.current_voice.name == "Uncle Bo"
    assert window.windowTitle() == "Uncle Bo — VoiceStudio"
    assert window.voice_label.text() == "Uncle Bo"
    assert Settings.load().last_voice == "Uncle Bo"
    assert not page.open_button.isEnabled() and page.open_button.text() == "Opened"
    assert page.details.badge.isVisible()
    bold = [page.tree.topLevelItem(i).font(0).bold() for i in range(2)]
    assert bold == [False, True]


def test_a_damaged_voice_is_listed_with_its_problem(page, isolated_user_dirs):
    VoiceLibrary(isolated_user_dirs).create("Grandma Rose", ["zh"])
    broken = isolated_user_dirs / "voices" / "Broken"
    broken.mkdir()
    (broken / "voice.json").write_text("{not json", encoding="utf-8")
    page.reload()

    assert names_in_list(page)[0] == "Grandma Rose"
    assert names_in_list(page)[1].startswith("Broken — cannot be opened")
    assert page.selected_voice().name == "Grandma Rose"  # a healthy voice is preselected
    page.tree.setCurrentItem(page.tree.topLevelItem(1))
    assert page.selected_voice() is None
    assert "damaged" in page.details.problem.text()
    assert page.details.problem.isVisible() and not page.details.form_widget.isVisible()
    for button in (page.open_button, page.rename_button, page.duplicate_button,
                   page.delete_button):
        assert not button.isEnabled()
    assert (broken / "voice.json").read_text(encoding="utf-8") == "{not json"


def test_a_library_error_is_shown_in_a_message_box(page, isolated_user_dirs, qtbot):
    VoiceLibrary(isolated_user_dirs).create("Grandma Rose", ["zh"])
    page.reload()
    page.select_voice("Grandma Rose")
    shutil.rmtree(isolated_user_dirs / "voices" / "Grandma-Rose")  # gone behind our back

    page.delete_button.click()

    boxes = visible_message_boxes()
    assert len(boxes) == 1
    assert "There is no voice called “Grandma Rose”" in boxes[0].text()
    boxes[0].button(QMessageBox.StandardButton.Ok).click()
    assert names_in_list(page) == []  # the list was re-read from disk


def test_double_click_opens_a_voice(page, qtbot, isolated_user_dirs):
    VoiceLibrary(isolated_user_dirs).create("Grandma Rose", ["zh"])
    page.reload()
    item = page.tree.topLevelItem(0)
    rect = page.tree.visualItemRect(item)
    # A real double click is press-release-doubleclick; the view needs the press first.
    qtbot.mouseClick(page.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(page.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert page.state.current_voice is not None
    assert page.state.current_voice.name == "Grandma Rose"


def test_show_error_does_not_block(qtbot):
    box = dialogs.show_error(None, "Something you can fix.")
    qtbot.addWidget(box)
    assert box.isVisible() and box.text() == "Something you can fix."


def test_keyboard_enter_f2_and_delete_act_on_the_list(page, window, answers, qtbot,
                                                      isolated_user_dirs):
    VoiceLibrary(isolated_user_dirs).create("Grandma Rose", ["zh"])
    page.reload()
    window.activateWindow()
    page.tree.setFocus()
    qtbot.waitUntil(page.tree.hasFocus)

    qtbot.keyClick(page.tree, Qt.Key.Key_Return)
    assert page.state.current_voice.name == "Grandma Rose"

    answers.add(rename_to("Nana Rose"))
    qtbot.keyClick(page.tree, Qt.Key.Key_F2)
    assert (isolated_user_dirs / "voices" / "Nana-Rose").is_dir()

    qtbot.keyClick(page.tree, Qt.Key.Key_Delete)
    assert not (isolated_user_dirs / "voices" / "Nana-Rose").exists()
    assert page.notice.isVisible()


def test_a_voice_a_job_uses_cannot_be_renamed_or_deleted_until_the_job_ends(
        page, answers, qtbot, isolated_user_dirs):
    """While a heavy job (here a dataset build of Rose, from its job thread) holds the voice,
    Rename and Delete are off and say by what; F2/Delete say it at once, before asking for a
    name; the other voice stays free; when the job ends both come back."""
    from held_jobs import running_elsewhere

    library = VoiceLibrary(isolated_user_dirs)
    rose = library.create("Grandma Rose", ["zh"])
    library.create("Lily", ["en"])
    page.reload()
    page.select_voice("Grandma Rose")
    with running_elsewhere("Preparing “Grandma Rose” for training", rose,
                           "computing training features"):
        qtbot.waitUntil(lambda: not page.rename_button.isEnabled(), timeout=5000)
        assert not page.delete_button.isEnabled()
        assert "computing training features, in this window" in page.rename_button.toolTip()
        assert "Delete it once that has finished" in page.delete_button.toolTip()
        page.rename_selected()  # what F2 does: refused before a name is asked for
        boxes = visible_message_boxes()
        assert len(boxes) == 1 and "cannot be renamed" in boxes[0].text()
        boxes[0].button(QMessageBox.StandardButton.Ok).click()
        assert answers.seen == []
        page.delete_selected()
        boxes = visible_message_boxes()
        assert len(boxes) == 1 and "cannot be deleted" in boxes[0].text()
        boxes[0].button(QMessageBox.StandardButton.Ok).click()
        assert (isolated_user_dirs / "voices" / "Grandma-Rose" / "voice.json").is_file()
        page.select_voice("Lily")
        assert page.rename_button.isEnabled() and page.delete_button.isEnabled()
        page.select_voice("Grandma Rose")
    qtbot.waitUntil(page.rename_button.isEnabled, timeout=5000)
    assert page.delete_button.isEnabled()
    answers.add(rename_to("Nana Rose"))
    page.rename_button.click()
    assert names_in_list(page) == ["Lily", "Nana Rose"]


def test_the_accent_question_can_be_answered_again_on_the_details_card(
        page, window, qtbot, isolated_user_dirs):
    """The Record page asks once how to treat the speaker's pronunciation; a family that
    changes its mind does it here, not on the command line: the choice is saved, the open
    voice and its clips follow, and while a job holds the voice the choice is off."""
    from held_jobs import running_elsewhere
    from segment_voice import make_segmented_voice

    from voicestudio.audio.quality import QualityFlag
    from voicestudio.project.atomic import atomic_write_json
    from voicestudio.project.segments import Dataset
    from voicestudio.project.voice import ACCENT_CHOICES, ACCENT_STANDARD

    voice = make_segmented_voice(isolated_user_dirs)
    dataset = Dataset.open(voice)
    dataset.index.segments[0].heard_text = "the lake was calm that mornin"  # the speaker's way
    atomic_write_json(dataset.index_path, dataset.index.to_json())
    window.state.open_voice("Grandpa")
    page.reload()
    page.select_voice("Grandpa")
    box = page.details.accent_box
    assert box.currentData() == "keep" and box.isEnabled()

    box.activated.emit(box.findData(ACCENT_STANDARD))  # what picking it in the list sends

    assert box.currentData() == ACCENT_STANDARD
    assert box.toolTip() == ACCENT_CHOICES[ACCENT_STANDARD][1]  # what the choice does
    assert window.state.current_voice.manifest.accent == ACCENT_STANDARD
    first = Dataset.open(window.state.current_voice).segments[0]
    assert str(QualityFlag.PRONUNCIATION) in first.flags
    with running_elsewhere("Training “Grandpa”", window.state.current_voice, "training"):
        qtbot.waitUntil(lambda: not box.isEnabled(), timeout=5000)
        assert "In use (training" in box.toolTip()
    qtbot.waitUntil(box.isEnabled, timeout=5000)


def test_a_gpt_sovits_model_pair_imports_as_a_new_voice_from_the_window(
        page, answers, qtbot, isolated_user_dirs, tmp_path):
    """Someone who trained a voice in GPT-SoVITS brings its two files in without the command
    line: the name comes from the GPT file, the import runs in the background, and a
    refusal (here the two files swapped) brings the dialog back filled in, saying why."""
    from voicestudio.app.model_import_dialog import ImportModelDialog
    from voicestudio.models.s2 import write_tiny_s2_base_model
    from voicestudio.synthesis.tiny_models import write_tiny_s1

    s1, s2 = tmp_path / "GPT_weights_v2" / "rose-e15.ckpt", tmp_path / "rose_e8_s96.pth"
    s1.parent.mkdir()
    write_tiny_s1(s1)
    write_tiny_s2_base_model(s2, version="v2Pro")

    def choose(first, second):
        def answer(dialog: ImportModelDialog) -> bool:
            dialog.s1_edit.setText(str(first))
            dialog.s2_edit.setText(str(second))
            return True
        return answer

    seen: dict[str, str] = {}

    def look_and_fix(dialog: ImportModelDialog) -> bool:
        seen["problem"] = dialog.error_label.text()
        seen["name"] = dialog.name_edit.text()
        dialog.s1_edit.setText(str(s1))
        dialog.s2_edit.setText(str(s2))
        return True

    answers.add(choose(s2, s1))
    answers.add(look_and_fix)
    page.import_button.click()
    qtbot.waitUntil(lambda: "rose" in names_in_list(page), timeout=30000)

    assert "is a SoVITS (S2) model, not a GPT (S1) model" in seen["problem"]
    assert seen["name"] == "rose"  # kept from the first try, suggested by the GPT file
    assert page.selected_voice().name == "rose"
    voice = VoiceLibrary(isolated_user_dirs).find("rose")
    assert voice.active_version().preset == "imported"
    assert voice.manifest.model_family == "v2Pro"
    assert "speaks with the imported model" in page.notice.label.text()
    # the card says which base models it needs: the pair's, not the Settings choice
    assert page.details.values["Voice models"].text() == "v2Pro, what its trained models use"


def test_an_untrained_voice_chooses_its_model_family_on_the_details_card(
        page, window, qtbot, isolated_user_dirs):
    """What `voices family` does, in the window: a voice not trained yet may speak and train
    with another family than the Settings one; a trained voice shows the family its models
    use instead, since training records it."""
    from held_jobs import running_elsewhere

    VoiceLibrary(isolated_user_dirs).create("Rose", ["zh"])
    page.reload()
    page.select_voice("Rose")
    box = page.details.family_box
    assert box.isVisible() and not page.details.values["Voice models"].isVisible()

    box.activated.emit(box.findData("v2Pro"))  # what picking it in the list sends
    assert VoiceLibrary(isolated_user_dirs).find("Rose").manifest.model_family == "v2Pro"
    assert box.currentData() == "v2Pro"
    box.activated.emit(box.findData(None))  # back to the Settings choice
    assert VoiceLibrary(isolated_user_dirs).find("Rose").manifest.model_family is None
    with running_elsewhere("Training “Rose”", page.selected_voice(), "training"):
        qtbot.waitUntil(lambda: not box.isEnabled(), timeout=5000)
    qtbot.waitUntil(box.isEnabled, timeout=5000)
