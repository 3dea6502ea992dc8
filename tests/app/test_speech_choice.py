"""The app's Try panel and `speak --voice` speak a voice with the same model files and clip.

Both go through ``services.speech``; this test watches what reaches the synthesizer from each
side for a voice whose active version is not its newest one.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from voice_fakes import add_segments

from voicestudio.app.pages.try_voice import TryVoicePanel
from voicestudio.cli import main
from voicestudio.hub.status import require_file
from voicestudio.project.library import VoiceLibrary
from voicestudio.project.voice import ModelVersion, Voice, now_iso


def _voice_with_two_versions(data_dir: Path) -> Voice:
    voice = VoiceLibrary(data_dir).create("Rose", ["en"])
    for version_id in ("v1", "v2"):
        folder = voice.subfolder("models") / version_id
        folder.mkdir(parents=True)
        shutil.copy(require_file(data_dir, "s1-v2"), folder / "s1.ckpt")
        shutil.copy(require_file(data_dir, "s2g-v2"), folder / "s2.pth")
        voice.add_model_version(ModelVersion(
            version_id, now_iso(), "quick", 30.0, f"models/{version_id}/s1.ckpt",
            f"models/{version_id}/s2.pth"))
    voice.set_active_version("v1")  # the older one: "newest" would be the wrong answer
    add_segments(voice, [("short", 2.0, "Hi.", True),
                         ("good", 5.0, "A clean five second clip.", True),
                         ("unsure", 6.0, "Maybe this one.", False)], "en")
    return Voice.open(voice.folder)


def test_cli_and_try_panel_pick_the_same_models_and_reference(make_window, with_models, heard,
                                                              qtbot, tmp_path):
    voice = _voice_with_two_versions(with_models)
    out = tmp_path / "cli.wav"
    assert main(["speak", "--voice", "Rose", "--text", "Hello there.", "--lang", "en",
                 "--seed", "1", "-o", str(out)]) == 0
    cli_files, cli_request = heard[-1]
    assert cli_files.s1 == voice.folder / "models/v1/s1.ckpt"
    assert cli_files.s2 == voice.folder / "models/v1/s2.pth"
    assert Path(cli_request.reference).name == "good.wav"
    assert cli_request.reference_text == "A clean five second clip."

    window = make_window()
    window.show_page("voices")
    page = window.page("voices")
    page.select_voice("Rose")
    panel = next(p for p in page.panels if isinstance(p, TryVoicePanel))
    assert panel.mode_label.text() == "Trained model v1"
    qtbot.waitUntil(lambda: panel.check_runner is not None
                    and not panel.check_runner.is_running, timeout=20_000)
    panel.text_edit.setPlainText("Hello there.")
    panel.speak_button.click()
    qtbot.waitUntil(lambda: not panel.runner.is_running, timeout=120_000)
    assert panel.result is not None
    app_files, app_request = heard[-1]
    assert app_files == cli_files
    assert Path(app_request.reference) == Path(cli_request.reference)
    assert app_request.reference_text == cli_request.reference_text
    assert app_request.reference_lang == cli_request.reference_lang
