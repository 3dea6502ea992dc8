"""What "Download" fetches: on the Base models page, and ``models download`` without ids.

The base models of the chosen family speak and train; the companions (the speaker check)
come along because adding recordings uses them; and a speech-recognition model comes along
while none is installed, because without one nothing a person imports is transcribed and
no recorded take has its words checked. It is the size this machine transcribes at a good
pace (``choose_whisper_model``, multilingual: voices speak Chinese and English), so the
first download leaves a person able to do every job in the window.
"""

from __future__ import annotations

from pathlib import Path

from voicestudio.hub.catalogue import COMPANION_IDS, required_ids
from voicestudio.hub.status import installed_summary


def speech_recognition_id() -> str:
    """The faster-whisper model Download brings on this machine ("whisper-base", …)."""
    from voicestudio.audio.transcribe import choose_whisper_model  # ctranslate2

    return f"whisper-{choose_whisper_model(None)}"


def download_ids(data_dir: Path, family: str | None = None) -> tuple[str, ...]:
    """The models Download fetches for ``family`` (None: the one chosen in Settings)."""
    ids = (*required_ids(family), *COMPANION_IDS)
    if not installed_summary(Path(data_dir), family).asr:
        ids += (speech_recognition_id(),)
    return ids
