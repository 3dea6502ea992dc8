"""The recorder against a real PortAudio stream: a PulseAudio null sink as the microphone.

A private PulseAudio daemon (its own HOME and runtime folder, so nothing of the machine's
sound set-up is touched) plays generated speech into a null sink; the recorder, in a child
process whose ALSA default is that daemon, records the sink's monitor through sounddevice.
The daemon is stopped afterwards. Needs the pulseaudio, pulseaudio-utils and
libasound2-plugins packages (.ci/run installs them).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from speech import piper_speech

from voicestudio.audio.resample import resample
from voicestudio.audio.take_checks import TakeChecker
from voicestudio.text.prompt_corpus import load_corpus

REPO = Path(__file__).resolve().parents[2]
RATE = 48000

_RECORD = """
import sys, time
from voicestudio.audio.recorder import Recorder, SoundDeviceInput
mics = SoundDeviceInput().microphones()
print("microphones", len(mics), flush=True)
recorder = Recorder(SoundDeviceInput(), {rate})
recorder.open()
recorder.start_take({path!r})
while recorder.take_seconds < 0.3:  # the sound server takes a moment to start streaming
    time.sleep(0.02)
print("recording", flush=True)
sys.stdin.readline()
recorder.stop_take()
recorder.close()
print("done", flush=True)
"""


@pytest.fixture
def virtual_microphone(tmp_path):
    if not (shutil.which("pulseaudio") and shutil.which("pactl") and shutil.which("paplay")):
        pytest.skip("PulseAudio is not installed (apt-get install pulseaudio "
                    "pulseaudio-utils libasound2-plugins)")
    home, runtime = tmp_path / "home", tmp_path / "run"
    home.mkdir()
    runtime.mkdir(mode=0o700)
    (home / ".asoundrc").write_text("pcm.!default pulse\nctl.!default pulse\n")
    env = {**os.environ, "HOME": str(home), "XDG_RUNTIME_DIR": str(runtime)}
    env.pop("PULSE_SERVER", None)
    subprocess.run(
        ["pulseaudio", "-n", "--daemonize=yes", "--exit-idle-time=-1", "--disallow-exit",
         "-L", "module-native-protocol-unix",
         "-L", f"module-null-sink sink_name=vsink rate={RATE}"],
        env=env, check=True, timeout=30)
    try:
        for args in (["set-default-source", "vsink.monitor"], ["set-default-sink", "vsink"]):
            subprocess.run(["pactl", *args], env=env, check=True, timeout=10)
        yield env
    finally:
        subprocess.run(["pulseaudio", "-k"], env=env, timeout=30, check=False)


def test_recorder_records_speech_played_into_a_virtual_microphone(virtual_microphone,
                                                                  tmp_path):
    env = virtual_microphone
    prompt = load_corpus("en").prompts[0]
    speech, rate = piper_speech(prompt.text)
    played = resample(np.asarray(speech) / np.abs(speech).max() * 0.5, rate, RATE)
    sf.write(tmp_path / "speech.wav", played, RATE)
    take = tmp_path / "take.wav"
    child = subprocess.Popen(
        [sys.executable, "-c", _RECORD.format(rate=RATE, path=str(take))], cwd=REPO, env=env,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().split()[0] == "microphones"
        assert child.stdout.readline().strip() == "recording"
        subprocess.run(["paplay", "--device=vsink", str(tmp_path / "speech.wav")], env=env,
                       check=True, timeout=60)
        time.sleep(0.6)  # and after it
        child.stdin.write("stop\n")
        child.stdin.flush()
        assert child.stdout.readline().strip() == "done"
    finally:
        child.kill() if child.poll() is None else None
        child.wait(timeout=30)
    recorded, recorded_rate = sf.read(take, dtype="float32")
    assert recorded_rate == RATE
    assert recorded.size >= played.size
    # The sentence arrived whole and recognisably: same loudness, and it passes the checks.
    assert np.sqrt(np.mean(recorded**2)) == pytest.approx(
        np.sqrt(np.mean(played**2)) * np.sqrt(played.size / recorded.size), rel=0.25)
    check = TakeChecker("en").check(recorded, RATE, prompt.text, prompt.phones)
    assert check.passed, [p.message for p in check.problems]
    assert (check.trim_end - check.trim_start) / RATE == pytest.approx(
        played.size / RATE, abs=0.6)
