"""Play audio through the computer's speakers, behind a tiny interface.

The app only needs "play these samples", "stop" and "is it still playing?". Keeping
sounddevice behind :class:`AudioPlayer` means a machine without a sound card (a test runner,
a remote desktop) gets a clear :class:`NoAudioOutputError` instead of a PortAudio traceback,
and tests hand the app a fake player.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any, Protocol

import numpy as np

from voicestudio.errors import VoiceStudioError

log = logging.getLogger(__name__)


class NoAudioOutputError(VoiceStudioError):
    """No speakers or headphones can be used to play sound."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(
            "No speakers or headphones were found, so the sound cannot be played here. Plug "
            "some in and try again, or press Save… and play the file in another program."
        )
        self.detail = detail  # the sound library's words, for the log file


class AudioPlayer(Protocol):
    def play(self, samples: np.ndarray, sample_rate: int) -> None:
        """Start playing mono float samples and return at once; replaces what was playing."""

    def stop(self) -> None:
        """Stop playing (nothing happens when nothing plays)."""

    @property
    def is_playing(self) -> bool: ...


class SoundDevicePlayer:
    """Plays through the default output device with sounddevice (PortAudio)."""

    def __init__(self) -> None:
        self._sd: Any = None  # the sounddevice module once imported

    def _module(self) -> Any:
        """Import sounddevice on first use: it loads PortAudio, which may be absent."""
        if self._sd is None:
            try:
                import sounddevice
            except (ImportError, OSError) as exc:  # OSError: the PortAudio library is missing
                raise NoAudioOutputError("the sound library could not be loaded") from exc
            self._sd = sounddevice
        return self._sd

    def play(self, samples: np.ndarray, sample_rate: int) -> None:
        sd = self._module()
        data = np.clip(np.asarray(samples, dtype=np.float32).reshape(-1), -1.0, 1.0)
        try:
            sd.query_devices(kind="output")  # raises when there is no default output
            sd.play(data, int(sample_rate))
        except sd.PortAudioError as exc:
            log.info("no audio output: %s", exc)
            raise NoAudioOutputError(str(exc).strip()) from exc

    def stop(self) -> None:
        if self._sd is not None:
            # A device that went away while playing is stopped either way.
            with contextlib.suppress(self._sd.PortAudioError):
                self._sd.stop()

    @property
    def is_playing(self) -> bool:
        if self._sd is None:
            return False
        try:
            return bool(self._sd.get_stream().active)
        except (RuntimeError, self._sd.PortAudioError):  # RuntimeError: nothing played yet
            return False
