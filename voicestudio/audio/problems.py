"""The ways an audio file can be unusable, each a distinct type with a message for a person.

Distinct types let the importer and the UI tell a broken file apart from an empty or a
silent one (different advice: re-export, pick another file, check the microphone) without
parsing message text.
"""

from __future__ import annotations

from pathlib import Path

from voicestudio.errors import CorruptFileError, NotFoundError, UserInputError, VoiceStudioError


def _name(path: Path | str) -> str:
    return f"‘{Path(path).name}’"


SKIPPED = " It was skipped."


class AudioProblem(VoiceStudioError):
    """``reason`` is the message without "It was skipped.", for callers that do not skip
    (a reference clip for ``speak``: there the person must choose another file)."""

    reason: str

    def _say(self, reason: str) -> str:
        self.reason = reason
        return reason + SKIPPED


class AudioNotFoundError(AudioProblem, NotFoundError):
    """The file the person chose is gone (moved, deleted, unplugged drive)."""

    def __init__(self, path: Path | str) -> None:
        super().__init__(self._say(
            f"{_name(path)} was not found. It may have been moved or deleted."))
        self.path = Path(path)


class UnreadableAudioError(AudioProblem, CorruptFileError):
    """Neither libsndfile nor FFmpeg could decode the file: damaged or not audio at all."""

    def __init__(self, path: Path | str, detail: str = "") -> None:
        detail = f" ({detail})" if detail else ""
        super().__init__(self._say(
            f"{_name(path)} could not be read as audio{detail}. The file may be damaged or in "
            "a format we do not know. Try exporting it again as WAV or MP3."))
        self.path = Path(path)


class NoSoundTrackError(AudioProblem, CorruptFileError):
    """A readable media file (e.g. a video) that carries no audio stream."""

    def __init__(self, path: Path | str) -> None:
        super().__init__(self._say(f"{_name(path)} has no sound track."))
        self.path = Path(path)


class EmptyAudioError(AudioProblem, UserInputError):
    """The file decodes but holds no samples (a 0-byte file or a header with no data)."""

    def __init__(self, path: Path | str) -> None:
        super().__init__(self._say(f"{_name(path)} is empty: it contains no sound at all."))
        self.path = Path(path)


class SilentAudioError(AudioProblem, UserInputError):
    """The file holds samples but nothing above the silence level."""

    def __init__(self, path: Path | str) -> None:
        super().__init__(self._say(
            f"{_name(path)} contains no sound (it is silent). If you expected a voice, check "
            "that the right file was chosen or that the microphone was on."))
        self.path = Path(path)
