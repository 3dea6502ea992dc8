"""``voicestudio dataset edit`` fixes a segment without the window; ``dataset import-list``
brings in a GPT-SoVITS training list with its clips."""

from __future__ import annotations

import numpy as np
from segment_voice import PHRASES, make_segmented_voice, phrase_audio

from voicestudio.audio.wav import write_wav
from voicestudio.cli import main
from voicestudio.project.library import VoiceLibrary
from voicestudio.services.dataset import open_dataset


def run(capsys, data_dir, *argv: str) -> tuple[int, str, str]:
    code = main(["--data-dir", str(data_dir), "dataset", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_edit_fixes_text_and_training_choice(tmp_path, capsys):
    voice = make_segmented_voice(tmp_path)
    segment_id = open_dataset(tmp_path, voice.name).segments[1].id

    code, out, err = run(capsys, tmp_path, "edit", voice.name, segment_id,
                         "--text", "Grandfather rowed us over", "--exclude")
    assert code == 0, err
    assert out.startswith(f"{segment_id}: left out") and "Grandfather rowed us over" in out
    segment = open_dataset(tmp_path, voice.name).segment(segment_id)
    assert segment.text == "Grandfather rowed us over" and segment.text_checked
    assert not segment.kept

    code, out, _ = run(capsys, tmp_path, "edit", voice.name, segment_id, "--include",
                       "--delete")
    assert code == 0 and "deleted" in out
    assert segment_id not in [s.id for s in open_dataset(tmp_path, voice.name).segments]
    code, _, _ = run(capsys, tmp_path, "edit", voice.name, segment_id, "--restore")
    assert code == 0 and open_dataset(tmp_path, voice.name).segment(segment_id).kept


def test_edit_refuses_unknown_segment_and_no_change_with_one_line(tmp_path, capsys):
    voice = make_segmented_voice(tmp_path)
    code, _, err = run(capsys, tmp_path, "edit", voice.name, "no-such-segment", "--exclude")
    assert code == 2 and err.startswith("error: There is no segment") and "\n" == err[-1]
    segment_id = open_dataset(tmp_path, voice.name).segments[0].id
    code, _, err = run(capsys, tmp_path, "edit", voice.name, segment_id)
    assert code == 2 and "Say what to change" in err


def _write_list(folder, lines) -> None:
    (folder / "esd.list").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_import_list_makes_a_voice_from_a_gptsovits_list(tmp_path, capsys):
    clips = tmp_path / "sliced"
    clips.mkdir()
    for n in range(3):
        write_wav(clips / f"clip_{n}.wav", phrase_audio(2.4, n), 32000)
    (clips / "broken.wav").write_bytes(b"RIFF0000WAVEjunk")
    lines = [
        # paths from the machine it was made on: found by name in --audio-dir
        f"D:\\GPT-SoVITS\\output\\slicer_opt\\clip_0.wav|grandpa|EN|{PHRASES[0]}",
        f"/home/someone/slicer_opt/clip_1.wav|grandpa|en|{PHRASES[1]}",
        f"clip_2.wav|interviewer|all_en|{PHRASES[2]}",
        "clip_0.wav|grandpa|ja|こんにちは",
        "missing.wav|grandpa|en|not here",
        "broken.wav|grandpa|en|damaged file",
        "just some words without separators",
    ]
    _write_list(tmp_path, lines)
    code, out, err = run(capsys, tmp_path, "import-list", "Imported Grandpa",
                         str(tmp_path / "esd.list"), "--audio-dir", str(clips))
    assert code == 0, err
    assert "created voice Imported Grandpa" in out and "imported 3 clips" in out
    skipped = [line for line in out.splitlines() if line.startswith("skipped line")]
    assert [line.split(":")[0] for line in skipped] == [
        "skipped line 4", "skipped line 5", "skipped line 6", "skipped line 7"]
    assert "not found" in skipped[1] and "--audio-dir" in skipped[1]

    dataset = open_dataset(tmp_path, "Imported Grandpa")
    assert [s.text for s in dataset.segments] == PHRASES[:3]
    assert all(s.text_checked and s.lang == "en" for s in dataset.segments)
    # the interviewer's line is kept apart as another speaker
    assert [s.kept for s in dataset.segments] == [True, True, False]
    assert "other_speaker" in dataset.segments[2].flags
    first = dataset.segment_samples(dataset.segments[0])
    assert first.size == round(2.4 * 32000) and np.abs(first).max() > 0.05

    code, out, _ = run(capsys, tmp_path, "import-list", "Imported Grandpa",
                       str(tmp_path / "esd.list"), "--audio-dir", str(clips))
    assert code == 0 and "imported 0 clips" in out and "already in this voice" in out


def test_import_list_with_nothing_usable_exits_2(tmp_path, capsys):
    VoiceLibrary(tmp_path).create("Empty", ["en"])
    _write_list(tmp_path, ["missing.wav|x|en|hello there"])
    code, out, _ = run(capsys, tmp_path, "import-list", "Empty", str(tmp_path / "esd.list"))
    assert code == 2 and "imported 0 clips" in out
