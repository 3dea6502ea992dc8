"""The recorder: ring buffer, meters, takes streamed to disk, device loss and recovery."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from recording_fakes import RATE, FakeMicrophoneInput, tone

from voicestudio.audio.meters import (
    CLIP_LIGHT_SECONDS,
    PEAK_DECAY_DB_PER_SECOND,
    PEAK_HOLD_SECONDS,
    LevelMeter,
)
from voicestudio.audio.recorder import (
    LOST_AFTER_SECONDS,
    MicrophoneLostError,
    NoMicrophoneError,
    Recorder,
    SampleRing,
)
from voicestudio.audio.take_file import PARTIAL_SUFFIX, recover_partial_takes

HERE = Path(__file__).resolve().parents[1]  # tests/, where recording_fakes lives
REPO = HERE.parent


def wait_for(predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


class ManualClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_ring_keeps_order_across_the_wrap_and_counts_what_it_dropped():
    ring = SampleRing(10)
    ring.push(np.arange(7))
    assert ring.pop().tolist() == list(range(7))
    ring.push(np.arange(7, 15))  # wraps around the end
    assert ring.pop().tolist() == list(range(7, 15))
    ring.push(np.arange(25))  # the reader fell a whole ring behind
    assert ring.pop().tolist() == list(range(15, 25)) and ring.dropped == 15


def test_meter_holds_the_peak_then_lets_it_fall_and_lights_on_clipping():
    meter = LevelMeter(RATE)
    meter.update(tone(0.1, level=0.5))
    loud = meter.reading()
    assert loud.peak_db == pytest.approx(-6.0, abs=0.1)
    assert loud.rms_db == pytest.approx(-9.0, abs=0.2) and not loud.clipping
    meter.update(tone(PEAK_HOLD_SECONDS - 0.2, level=0.01))  # quieter, within the hold
    assert meter.reading().peak_db == pytest.approx(-6.0, abs=0.1)
    assert meter.reading().rms_db < -40
    meter.update(tone(1.2, level=0.01))  # one second past the hold: decays, not drops
    expected = -6.0 - PEAK_DECAY_DB_PER_SECOND * 1.0
    assert meter.reading().peak_db == pytest.approx(expected, abs=0.5)
    meter.update(np.ones(100, dtype=np.float32))
    assert meter.reading().clipping and meter.reading().clipped_blocks == 1
    meter.update(tone(CLIP_LIGHT_SECONDS + 0.1, level=0.1))
    assert not meter.reading().clipping


def test_take_streams_to_disk_and_stop_keeps_every_sample(tmp_path):
    mic = FakeMicrophoneInput()
    recorder = Recorder(mic, RATE)
    recorder.open()
    mic.stream.feed(tone(0.5, level=0.2))  # before the take: not part of it
    recorder.start_take(tmp_path / "take-1.wav")
    speech = tone(1.3, level=0.4, freq=300)
    mic.stream.feed(speech)
    wait_for(lambda: recorder.take_seconds >= 1.0)  # the writer streams while recording
    assert (tmp_path / f"take-1.wav{PARTIAL_SUFFIX}").stat().st_size > 1.0 * RATE * 2
    path = recorder.stop_take()
    recorder.close()
    data, rate = sf.read(path, dtype="float32")
    assert rate == RATE and data.size == speech.size
    np.testing.assert_allclose(data, speech, atol=1 / 32767 + 1e-6)
    assert not list(tmp_path.glob(f"*{PARTIAL_SUFFIX}"))


def test_no_microphone_is_a_clear_error():
    with pytest.raises(NoMicrophoneError, match="No microphone was found"):
        Recorder(FakeMicrophoneInput(present=False)).open()


def test_unplugged_microphone_keeps_the_partial_take_and_reconnects(tmp_path):
    clock = ManualClock()
    mic = FakeMicrophoneInput()
    recorder = Recorder(mic, RATE, clock=clock)
    recorder.open()
    recorder.start_take(tmp_path / "take-2.wav")
    mic.stream.feed(tone(0.8))
    wait_for(lambda: recorder.take_seconds >= 0.8)
    mic.present = False  # unplugged: no more blocks
    clock.now += LOST_AFTER_SECONDS + 0.1
    wait_for(lambda: recorder.lost is not None)
    assert isinstance(recorder.lost, MicrophoneLostError)
    assert "unplugged" in str(recorder.lost) and "kept" in str(recorder.lost)
    kept, _ = sf.read(recorder.lost.kept)
    assert kept.size == round(0.8 * RATE)
    assert not recorder.is_open and not recorder.is_recording
    with pytest.raises(MicrophoneLostError):
        recorder.start_take(tmp_path / "take-3.wav")
    assert not recorder.reconnect()  # still unplugged
    mic.present = True
    assert recorder.reconnect() and recorder.is_open and recorder.lost is None
    recorder.close()


def test_listen_returns_what_the_room_sounds_like():
    mic = FakeMicrophoneInput()
    recorder = Recorder(mic, RATE)
    recorder.open()
    hum = tone(1.0, level=0.05, freq=50)
    feeder = threading.Timer(0.1, lambda: mic.stream.feed(hum))
    feeder.start()
    heard = recorder.listen(0.9)
    feeder.join()
    recorder.close()
    assert heard.size == round(0.9 * RATE)
    assert np.sqrt(np.mean(heard**2)) == pytest.approx(0.05 / np.sqrt(2), rel=0.05)


_KILLED_RECORDER = """
import sys, time
sys.path[:0] = [{repo!r}, {helpers!r}]
from recording_fakes import FakeMicrophoneInput, tone
from voicestudio.audio.recorder import Recorder
mic = FakeMicrophoneInput()
recorder = Recorder(mic, 48000)
recorder.open()
recorder.start_take({path!r})
delivered = 0
while True:
    block = tone(0.1)
    mic.stream.feed(block)
    delivered += block.size
    print(delivered, flush=True)
    time.sleep(0.1)
"""


def test_a_recording_killed_mid_take_is_recovered_on_the_next_start(tmp_path):
    takes = tmp_path / "takes"
    script = _KILLED_RECORDER.format(repo=str(REPO), helpers=str(HERE),
                                     path=str(takes / "take-9.wav"))
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                             text=True, cwd=REPO)
    delivered = 0
    for line in child.stdout:
        delivered = int(line)
        if delivered >= 2.0 * RATE:
            break
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    child.stdout.close()
    recovered = recover_partial_takes(takes)
    assert [p.name for p in recovered] == ["take-9.wav"]
    data, rate = sf.read(recovered[0])
    assert rate == RATE
    assert delivered - 0.5 * RATE <= data.size <= delivered
    assert recover_partial_takes(takes) == []  # nothing left to recover
