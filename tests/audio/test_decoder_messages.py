"""MP3s with damaged tags decode quietly: libmpg123's complaints go to the log, not the terminal.

libmpg123 writes its warnings straight to file descriptor 2, under any Python-level
redirection, so these tests read fd 2 itself (``capfd``): that is where the one-line
progress of `dataset add` lives.
"""

from __future__ import annotations

import logging
import os
import sys

import numpy as np
import pytest
import soundfile as sf

from voicestudio.audio.decode import decode_file

RATE = 44100


def _synchsafe(n: int) -> bytes:
    return bytes([(n >> 21) & 0x7F, (n >> 14) & 0x7F, (n >> 7) & 0x7F, n & 0x7F])


def _id3v2(version: int, frames: bytes) -> bytes:
    return b"ID3" + bytes([version, 0, 0]) + _synchsafe(len(frames)) + frames


def _frame(frame_id: bytes, payload: bytes, claimed: int | None = None) -> bytes:
    size = len(payload) if claimed is None else claimed
    return frame_id + _synchsafe(size) + b"\0\0" + payload


# Tags as broken taggers and truncated downloads leave them; each one makes libmpg123 print.
DAMAGED_TAGS = {
    "unknown text encoding": _id3v2(4, _frame(b"TIT2", b"\x09garbage\xff\xfe")),
    "frame longer than its tag": _id3v2(4, _frame(b"TIT2", b"\x03abc", claimed=5000)),
    "odd UTF-16 length": b"ID3\x03\x00\x00" + _synchsafe(14)
    + b"TIT2" + (4).to_bytes(4, "big") + b"\0\0" + b"\x01\xff\xfeA",
}


@pytest.fixture(scope="module")
def mp3_audio(tmp_path_factory) -> bytes:
    t = np.arange(int(RATE * 0.5)) / RATE
    path = tmp_path_factory.mktemp("mp3") / "tone.mp3"
    sf.write(path, (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), RATE,
             format="MP3", subtype="MPEG_LAYER_III")
    return path.read_bytes()


@pytest.mark.parametrize("damage", sorted(DAMAGED_TAGS))
def test_a_damaged_id3_tag_never_reaches_the_terminal(damage, mp3_audio, tmp_path, capfd,
                                                       caplog):
    clean = tmp_path / "clean.mp3"
    clean.write_bytes(mp3_audio)
    tagged = tmp_path / "tagged.mp3"
    tagged.write_bytes(DAMAGED_TAGS[damage] + mp3_audio)
    expected = decode_file(clean, 32000).samples
    capfd.readouterr()

    with caplog.at_level(logging.INFO, logger="voicestudio.audio.native_messages"):
        decoded = decode_file(tagged, 32000)

    out = capfd.readouterr()
    assert out.err == "" and out.out == ""
    np.testing.assert_array_equal(decoded.samples, expected)  # the tag only, not the audio
    [record] = [r for r in caplog.records if "tagged.mp3" in r.getMessage()]
    assert "libmpg123" in record.getMessage()


def test_stderr_is_given_back_after_each_decode(mp3_audio, tmp_path, capfd):
    """The capture lasts only for the library's calls: later output, Python's or native, shows."""
    tagged = tmp_path / "tagged.mp3"
    tagged.write_bytes(DAMAGED_TAGS["unknown text encoding"] + mp3_audio)
    decode_file(tagged)
    print("progress 50%", file=sys.stderr, flush=True)
    os.write(2, b"native line\n")
    assert capfd.readouterr().err == "progress 50%\nnative line\n"


def test_the_import_list_names_a_damaged_mp3_quietly(mp3_audio, tmp_path, capfd):
    """The Edit page's import list reads each file's header first; that read is quiet too."""
    from voicestudio.services.recording_import import describe_format

    tagged = tmp_path / "tagged.mp3"
    tagged.write_bytes(DAMAGED_TAGS["unknown text encoding"] + mp3_audio)
    capfd.readouterr()
    assert describe_format(tagged) == "MP3"
    assert capfd.readouterr().err == ""
