"""The ways an audio file can be unusable, each a distinct type with a message for a person.

Distinct types let the importer and the UI tell a broken file apart from an empty or a
silent one (different advice: re-export, pick another file, check the microphone) without
parsing message text.
"""

from __future__ import annotations

from pathlib import Path

from voicestudio.errors import CorruptFileError, NotFoundError, UserInputError


def _name(path: Path | str) -> str:
    return f"‘{Path(path).name}’"


class AudioNotFoundError(NotFoundError):
    """The file the person chose is gone (moved, deleted, unplugged drive)."""

    def __init__(self, path: Path | str) -> None:
        super().__init__(
            f"{_name(path)} was not found. It may have been moved or deleted. It was skipped."
        )
        self.path = Path(path)


class UnreadableAudioError(CorruptFileError):
    """Neither libsndfile nor FFmpeg could decode the file: damaged or not audio at all."""

    def __init__(self, path: Path | str, detail: str = "") -> None:
        message = (
            f"{_name(path)} could not be read as audio. The file may be damaged or in a format "
            "we do not know. Try exporting it again as WAV or MP3. It was skipped."
        )
        if detail:
            message += f" ({detail})"
        super().__init__(message)
        self.path = Path(path)


class NoSoundTrackError(CorruptFileError):
    """A readable media file (e.g. a video) that carries no audio stream."""

    def __init__(self, path: Path | str) -> None:
        super().__init__(f"{_name(path)} has no sound track. It was skipped.")
        self.path = Path(path)


class EmptyAudioError(UserInputError):
    """The file decodes but holds no samples (a 0-byte file or a header with no data)."""

    def __init__(self, path: Path | str) -> None:
        super().__init__(f"{_name(path)} is empty: it contains no sound at all. It was skipped.")
        self.path = Path(path)


class SilentAudioError(UserInputError):
    """The file holds samples but nothing above the silence level."""

    def __init__(self, path: Path | str) -> None:
        super().__init__(
            f"{_name(path)} contains no sound (it is silent). If you expected a voice, check "
            "that the right file was chosen or that the microphone was on. It was skipped."
        )
        self.path = Path(path)
