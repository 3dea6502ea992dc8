"""An in-process microphone for the recorder tests: the test decides every sample it hears."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import numpy as np

from voicestudio.audio.recorder import Microphone

RATE = 48000


def tone(seconds: float, level: float = 0.3, freq: float = 220.0, rate: int = RATE
         ) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return (level * np.sin(2 * np.pi * freq * t)).astype(np.float32)


class FakeStream:
    def __init__(self, on_block: Callable[[np.ndarray], None], block_size: int) -> None:
        self.on_block = on_block
        self.block_size = block_size
        self.started = False
        self.closed = False

    def start(self) -> None:
        self.started = True

    def stop(self) -> None:
        self.started = False

    def close(self) -> None:
        self.closed = True

    def feed(self, samples: np.ndarray) -> None:
        """Deliver samples as the driver would: block by block on the caller's thread."""
        for start in range(0, samples.size, self.block_size):
            if self.started:
                self.on_block(samples[start:start + self.block_size])


class FakeMicrophoneInput:
    """Microphones that come and go as the test says."""

    def __init__(self, present: bool = True) -> None:
        self.present = present
        self.streams: list[FakeStream] = []
        self.microphone = Microphone("fake-1", "Test microphone", RATE)

    def microphones(self) -> list[Microphone]:
        return [self.microphone] if self.present else []

    def default_microphone(self) -> Microphone | None:
        return self.microphone if self.present else None

    def open(self, microphone, sample_rate, block_size, on_block) -> FakeStream:
        stream = FakeStream(on_block, block_size)
        self.streams.append(stream)
        return stream

    @property
    def stream(self) -> FakeStream:
        return self.streams[-1]


class LiveFakeInput(FakeMicrophoneInput):
    """Plays a signal in real time from its own thread, like a microphone in a room.

    ``signal(n)`` returns the next ``n`` samples; the page tests swap it to make the
    speaker talk, go quiet or shout.
    """

    def __init__(self, signal: Callable[[int], np.ndarray], speed: float = 1.0) -> None:
        super().__init__()
        self.signal = signal
        self.speed = speed  # > 1 delivers faster than real time, to keep tests short
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def open(self, microphone, sample_rate, block_size, on_block) -> FakeStream:
        stream = super().open(microphone, sample_rate, block_size, on_block)
        original_start, original_stop = stream.start, stream.stop

        def start() -> None:
            original_start()
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, args=(stream,), daemon=True)
            self._thread.start()

        def stop() -> None:
            original_stop()
            self._stop.set()

        stream.start, stream.stop = start, stop
        return stream

    def _run(self, stream: FakeStream) -> None:
        period = stream.block_size / RATE / self.speed
        next_time = time.monotonic()
        while not self._stop.is_set() and self.present:
            stream.feed(self.signal(stream.block_size))
            next_time += period
            self._stop.wait(max(0.0, next_time - time.monotonic()))


class Speaker:
    """What the fake microphone hears: quiet room tone, or the sentences it is told to say."""

    def __init__(self, room_db: float = -66.0, seed: int = 0) -> None:
        self._queue = np.zeros(0, dtype=np.float32)
        self._lock = threading.Lock()
        self._rng = np.random.default_rng(seed)
        self.room = 10 ** (room_db / 20)

    def say(self, audio: np.ndarray, pause: float = 0.4) -> None:
        """Queue ``audio`` (48 kHz) after ``pause`` seconds of room tone."""
        with self._lock:
            self._queue = np.concatenate(
                [self._queue, np.zeros(round(pause * RATE), np.float32),
                 np.asarray(audio, np.float32)])

    @property
    def idle(self) -> bool:
        with self._lock:
            return self._queue.size == 0

    def __call__(self, n: int) -> np.ndarray:
        with self._lock:
            out, self._queue = self._queue[:n], self._queue[n:]
        if out.size < n:
            out = np.concatenate([out, np.zeros(n - out.size, np.float32)])
        return (out + self._rng.standard_normal(n) * self.room).astype(np.float32)
