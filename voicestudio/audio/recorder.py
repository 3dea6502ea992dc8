"""Record takes from a microphone without losing any: callback → ring buffer → writer thread.

The audio callback runs on the sound driver's thread and must never wait, so it only copies
each block into a :class:`SampleRing`. A writer thread drains the ring about twenty times a
second: it feeds the :class:`~voicestudio.audio.meters.LevelMeter`, appends to the take being
recorded (a :class:`~voicestudio.audio.take_file.TakeFile`, made durable every quarter
second), and fills a listening buffer for the room-noise check. Nothing here knows Qt; the
page reads the meter on a timer.

The microphone sits behind :class:`AudioInput`, so tests hand in samples directly and the
real one (:class:`SoundDeviceInput`, PortAudio through sounddevice) is one implementation.
A microphone that stops delivering sound for a second while open is treated as unplugged:
the take so far is finished and kept, and :meth:`Recorder.reconnect` opens it again once it
is back.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from voicestudio.audio.meters import LevelMeter
from voicestudio.audio.take_file import TakeFile
from voicestudio.errors import VoiceStudioError
from voicestudio.jobs import CancelToken

log = logging.getLogger(__name__)

RECORDING_SAMPLE_RATE = 48000
BLOCK_SECONDS = 0.02
RING_SECONDS = 20.0  # how far the writer may fall behind (a stalled disk) before data drops
WRITER_PERIOD_SECONDS = 0.05
DURABLE_EVERY_SECONDS = 0.25  # a crash loses at most this plus one writer period
LOST_AFTER_SECONDS = 1.0  # an open microphone silent this long has gone away
# Some drivers (PulseAudio through ALSA) take over a second to deliver the first block.
START_GRACE_SECONDS = 4.0


class NoMicrophoneError(VoiceStudioError):
    def __init__(self, detail: str = "") -> None:
        super().__init__(
            "No microphone was found. Plug one in (or switch it on), then press Try again."
        )
        self.detail = detail


class MicrophoneLostError(VoiceStudioError):
    def __init__(self, kept: Path | None = None) -> None:
        kept_words = " What was recorded so far is kept." if kept else ""
        super().__init__(
            "The microphone stopped working (was it unplugged?)." + kept_words
            + " Plug it back in; recording can go on as soon as it is back."
        )
        self.kept = kept


@dataclass(frozen=True)
class Microphone:
    id: int | str
    name: str
    default_sample_rate: int


class InputStream(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...

    def close(self) -> None: ...


class AudioInput(Protocol):
    """The microphones of this computer, and a way to listen to one."""

    def microphones(self) -> list[Microphone]: ...

    def default_microphone(self) -> Microphone | None: ...

    def open(self, microphone: Microphone, sample_rate: int, block_size: int,
             on_block: Callable[[np.ndarray], None]) -> InputStream:
        """A stopped stream that calls ``on_block`` with each mono float32 block."""


class SampleRing:
    """A fixed-size single-producer, single-consumer sample buffer for the audio callback.

    ``push`` copies into preallocated memory and never allocates or blocks for long; when
    the consumer falls behind by a whole ring the oldest samples are overwritten and
    counted in ``dropped``.
    """

    def __init__(self, capacity: int) -> None:
        self._data = np.zeros(int(capacity), dtype=np.float32)
        self._written = 0  # total samples ever pushed
        self._read = 0  # total samples ever popped
        self._lock = threading.Lock()
        self.dropped = 0

    @property
    def capacity(self) -> int:
        return self._data.size

    def push(self, block: np.ndarray) -> None:
        x = np.asarray(block, dtype=np.float32).reshape(-1)
        with self._lock:
            if x.size > self.capacity:
                self.dropped += x.size - self.capacity
                self._read += x.size - self.capacity
                self._written += x.size - self.capacity
                x = x[-self.capacity:]
            start = self._written % self.capacity
            first = min(x.size, self.capacity - start)
            self._data[start:start + first] = x[:first]
            self._data[: x.size - first] = x[first:]
            self._written += x.size
            overflow = self._written - self._read - self.capacity
            if overflow > 0:
                self.dropped += overflow
                self._read += overflow

    def pop(self) -> np.ndarray:
        with self._lock:
            count = self._written - self._read
            start = self._read % self.capacity
            idx = (start + np.arange(count)) % self.capacity
            out = self._data[idx]
            self._read = self._written
        return out

    @property
    def total_pushed(self) -> int:
        return self._written


class Recorder:
    """Listens to one microphone, meters it, and streams takes to disk on request."""

    def __init__(self, audio_input: AudioInput, sample_rate: int = RECORDING_SAMPLE_RATE,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.audio_input = audio_input
        self.sample_rate = int(sample_rate)
        self.meter = LevelMeter(self.sample_rate)
        self.microphone: Microphone | None = None
        self._clock = clock
        self._ring = SampleRing(round(RING_SECONDS * self.sample_rate))
        self._stream: InputStream | None = None
        self._take: TakeFile | None = None
        self._listening: list[np.ndarray] | None = None
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop_writer = threading.Event()
        self._writer: threading.Thread | None = None
        self._last_sound = 0.0
        self._heard_any = False
        self._last_durable = 0.0
        self.lost: MicrophoneLostError | None = None
        self.take_seconds = 0.0  # length of the take being recorded, for the page's clock

    # -- the microphone -------------------------------------------------------------------

    def open(self, microphone: Microphone | None = None) -> Microphone:
        """Start listening (the meter moves); NoMicrophoneError when there is none."""
        self.close()
        microphone = microphone or self.audio_input.default_microphone()
        if microphone is None:
            raise NoMicrophoneError("no input device")
        block = max(1, round(BLOCK_SECONDS * self.sample_rate))
        stream = self.audio_input.open(microphone, self.sample_rate, block, self._ring.push)
        stream.start()
        self._stream, self.microphone, self.lost = stream, microphone, None
        self._last_sound = self._clock()
        self._heard_any = False
        self.meter.reset()
        self._stop_writer.clear()
        self._writer = threading.Thread(target=self._write_loop, name="take-writer",
                                        daemon=True)
        self._writer.start()
        return microphone

    @property
    def is_open(self) -> bool:
        return self._stream is not None

    def close(self) -> None:
        """Stop listening; a take in progress is finished and kept first."""
        self.stop_take()
        if self._writer is not None:
            self._stop_writer.set()
            self._wake.set()
            self._writer.join(timeout=5)
            self._writer = None
        if self._stream is not None:
            stream, self._stream = self._stream, None
            with contextlib.suppress(Exception):  # a vanished device fails to stop
                stream.stop()
            with contextlib.suppress(Exception):
                stream.close()

    def reconnect(self) -> bool:
        """After a loss: open the same microphone (or the default) if it is back."""
        wanted = self.microphone
        available = self.audio_input.microphones()
        choice = next((m for m in available if wanted and m.name == wanted.name), None)
        choice = choice or self.audio_input.default_microphone()
        if choice is None:
            return False
        try:
            self.open(choice)
        except VoiceStudioError:
            return False
        return True

    # -- takes ----------------------------------------------------------------------------

    def start_take(self, path: Path) -> None:
        if self._stream is None:
            raise self.lost or NoMicrophoneError("not open")
        self._ring.pop()  # what was said before the button press is not part of the take
        with self._lock:
            self._take = TakeFile(path, self.sample_rate)
            self.take_seconds = 0.0
            self._last_durable = self._clock()

    @property
    def is_recording(self) -> bool:
        return self._take is not None

    def stop_take(self) -> Path | None:
        """Finish the take: everything heard up to now is in the returned WAV."""
        if self._take is None:
            return None
        self._drain()
        with self._lock:
            take, self._take = self._take, None
        return take.finish() if take is not None else None

    def listen(self, seconds: float, cancel: CancelToken | None = None) -> np.ndarray:
        """``seconds`` of what the microphone hears, not saved (the room-noise check)."""
        if self._stream is None:
            raise self.lost or NoMicrophoneError("not open")
        with self._lock:
            self._listening = []
        wanted = round(seconds * self.sample_rate)
        try:
            while True:
                with self._lock:
                    have = sum(b.size for b in self._listening or [])
                if have >= wanted:
                    break
                if cancel is not None:
                    cancel.raise_if_cancelled()
                if self.lost is not None:
                    raise self.lost
                time.sleep(WRITER_PERIOD_SECONDS)
        finally:
            with self._lock:
                blocks, self._listening = self._listening or [], None
        return np.concatenate(blocks)[:wanted] if blocks else np.zeros(0, np.float32)

    # -- the writer thread ----------------------------------------------------------------

    def _write_loop(self) -> None:
        while not self._stop_writer.is_set():
            self._wake.wait(WRITER_PERIOD_SECONDS)
            self._wake.clear()
            try:
                self._drain()
            except OSError as exc:  # the disk: keep what is there, tell the page
                log.error("writing the take failed: %s", exc)
                self._on_lost()
                return
            limit = LOST_AFTER_SECONDS if self._heard_any else START_GRACE_SECONDS
            if self._clock() - self._last_sound > limit:
                self._on_lost()
                return

    def _drain(self) -> None:
        samples = self._ring.pop()
        now = self._clock()
        if samples.size:
            self._last_sound = now
            self._heard_any = True
            self.meter.update(samples)
        with self._lock:
            if self._listening is not None and samples.size:
                self._listening.append(samples)
            take = self._take
            if take is None:
                return
            if samples.size:
                take.append(samples)
                self.take_seconds = take.seconds
            if now - self._last_durable >= DURABLE_EVERY_SECONDS:
                take.make_durable()
                self._last_durable = now

    def _on_lost(self) -> None:
        """The microphone went away: finish the take so far, and stop listening."""
        with self._lock:
            take, self._take = self._take, None
        kept = None
        if take is not None:
            try:
                kept = take.finish()
            except OSError as exc:
                log.error("could not finish the take: %s", exc)
        self.lost = MicrophoneLostError(kept)
        stream, self._stream = self._stream, None
        if stream is not None:
            with contextlib.suppress(Exception):
                stream.stop()
            with contextlib.suppress(Exception):
                stream.close()


class SoundDeviceInput:
    """The computer's microphones through sounddevice (PortAudio)."""

    def __init__(self) -> None:
        self._sd: Any = None

    def _module(self) -> Any:
        if self._sd is None:
            try:
                import sounddevice
            except (ImportError, OSError) as exc:  # OSError: PortAudio is not installed
                raise NoMicrophoneError("the sound library could not be loaded") from exc
            self._sd = sounddevice
        return self._sd

    def microphones(self) -> list[Microphone]:
        sd = self._module()
        try:
            devices = sd.query_devices()
        except sd.PortAudioError as exc:
            raise NoMicrophoneError(str(exc)) from exc
        return [
            Microphone(index, str(d["name"]), int(d["default_samplerate"]))
            for index, d in enumerate(devices) if d["max_input_channels"] > 0
        ]

    def default_microphone(self) -> Microphone | None:
        sd = self._module()
        try:
            info = sd.query_devices(kind="input")
        except (sd.PortAudioError, ValueError):
            return None
        return Microphone(int(info["index"]), str(info["name"]),
                          int(info["default_samplerate"]))

    def open(self, microphone: Microphone, sample_rate: int, block_size: int,
             on_block: Callable[[np.ndarray], None]) -> InputStream:
        sd = self._module()

        def callback(indata: np.ndarray, frames: int, when: Any, status: Any) -> None:
            on_block(indata[:, 0])  # the ring copies; nothing else happens on this thread

        try:
            return sd.InputStream(device=microphone.id, channels=1, samplerate=sample_rate,
                                  blocksize=block_size, dtype="float32", callback=callback)
        except (sd.PortAudioError, ValueError) as exc:
            raise NoMicrophoneError(str(exc)) from exc
