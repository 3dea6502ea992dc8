"""`speak` writes the format its output name asks for, and refuses bad input before models load.

The refusal tests run on an empty data folder: had the command loaded models first, they
would end in "install the base models" instead of the message about the input.
"""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from synth_signals import babble

from voicestudio.cli import main


def _speak(data_dir, *args: str) -> int:
    return main(["speak", "--data-dir", str(data_dir), "--lang", "en", "--seed", "3", *args])


@pytest.fixture
def ref(tmp_path):
    path = tmp_path / "ref.wav"
    sf.write(path, babble(4.0), 32000)
    return path


@pytest.mark.parametrize(("suffix", "container"),
                         [(".flac", "FLAC"), (".mp3", "MP3"), (".ogg", "OGG"), (".WAV", "WAV")])
def test_the_output_name_sets_the_format(tiny_data_dir, tmp_path, ref, suffix, container):
    out = tmp_path / f"out{suffix}"
    assert _speak(tiny_data_dir, "--ref", str(ref), "--ref-text", "One two three.",
                  "--text", "Hello there.", "-o", str(out)) == 0
    info = sf.info(out)
    assert info.format == container and info.samplerate == 32000 and info.channels == 1
    audio, _ = sf.read(out, dtype="float32")
    assert audio.size > 0 and np.isfinite(audio).all()


def test_an_unknown_output_format_is_refused_before_any_work(tmp_path, ref, capsys):
    out = tmp_path / "out.aiff"
    assert _speak(tmp_path / "empty", "--ref", str(ref), "--text", "Hi.", "-o", str(out)) == 2
    err = capsys.readouterr().err
    assert ".wav" in err and ".mp3" in err and "out.aiff" in err and not out.exists()


@pytest.mark.parametrize("problem", ["missing", "loop"])
def test_a_reference_that_is_not_there_is_said_before_models_load(tmp_path, capsys, problem):
    ref = tmp_path / "ref.wav"
    if problem == "loop":
        ref.symlink_to(ref)
    assert _speak(tmp_path / "empty", "--ref", str(ref), "--text", "Hi.",
                  "-o", str(tmp_path / "out.wav")) == 2
    err = capsys.readouterr().err
    assert "ref.wav" in err and "not found" in err and "skipped" not in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_chinese_text_with_english_chosen_is_named_as_chinese(tmp_path, ref, capsys):
    assert _speak(tmp_path / "empty", "--ref", str(ref), "--text", "今天天气很好。",
                  "-o", str(tmp_path / "out.wav")) == 2
    err = capsys.readouterr().err
    assert "Chinese" in err and "--lang zh" in err and "--lang auto" in err


@pytest.mark.parametrize(("encoding", "text"), [("latin-1", "Café au lait, s'il vous plaît."),
                                                 ("utf-16", "Hello there, naïve friend."),
                                                 ("gb18030", "今天天气很好。")])
def test_text_files_in_common_encodings_are_read(tmp_path, encoding, text):
    from voicestudio.text.text_files import read_text_file

    path = tmp_path / "text.txt"
    path.write_bytes(text.encode(encoding))
    assert read_text_file(path, prefer_chinese=encoding == "gb18030") == text


def test_a_file_that_is_not_text_says_how_to_save_it(tmp_path, capsys):
    path = tmp_path / "text.txt"
    path.write_bytes(bytes(range(256)) * 4)
    assert _speak(tmp_path / "empty", "--text-file", str(path), "--ref", "x.wav",
                  "-o", str(tmp_path / "out.wav")) == 2
    assert "UTF-8" in capsys.readouterr().err


def test_a_telephone_quality_reference_is_warned_about(tmp_path):
    from voicestudio.audio.resample import resample
    from voicestudio.synthesis.reference import load_reference

    path = tmp_path / "phone.wav"
    sf.write(path, resample(babble(5.0), 32000, 8000), 8000)
    warnings = load_reference(path).warnings
    assert any("8000 Hz" in w and "muffled" in w for w in warnings), warnings
    sf.write(path, babble(5.0), 32000)
    assert not any("Hz" in w for w in load_reference(path).warnings)


def test_speak_for_a_voice_reads_with_its_lexicon(tiny_data_dir, tmp_path, ref, monkeypatch):
    """`phonemes --lexicon` and `dataset build` read a voice's words with its lexicon.json;
    speaking for the voice must too, or a name the family fixed is said wrong again."""
    from voicestudio.project.library import VoiceLibrary
    from voicestudio.text import frontend as frontend_module
    from voicestudio.text.lexicon import UserLexicon, save_lexicon

    voice = VoiceLibrary(tiny_data_dir).create("Lexicon Lee", ["en"])
    lexicon = UserLexicon()
    lexicon.set("Siobhan", "SH IH0 V AO1 N")
    save_lexicon(voice.folder, lexicon)
    heard: list[tuple[str, dict]] = []
    real = frontend_module.TextFrontend.phones_and_bert

    def spy(self, text, mode="zh", *args, **kwargs):
        heard.append((text, dict(self.cleaner._en.lexicon)))
        return real(self, text, mode, *args, **kwargs)

    monkeypatch.setattr(frontend_module.TextFrontend, "phones_and_bert", spy)
    assert _speak(tiny_data_dir, "--voice", "Lexicon Lee", "--ref", str(ref), "--ref-text",
                  "One two three.", "--text", "Hello Siobhan.", "-o",
                  str(tmp_path / "out.wav")) == 0
    readings = [lex for text, lex in heard if "Siobhan" in text]
    assert readings and all(lex.get("siobhan") == ["SH", "IH0", "V", "AO1", "N"]
                            for lex in readings)
