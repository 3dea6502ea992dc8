"""Loading the voice-activity detector leaves torch's thread count as it was."""

from __future__ import annotations

import subprocess
import sys


def test_loading_the_detector_keeps_every_core_for_the_models():
    # A fresh interpreter: silero_vad changes the count when it is first imported, which in
    # the test session has long happened.
    script = (
        "import torch\n"
        "torch.set_num_threads(2)\n"
        "from voicestudio.audio.voice_activity import VoiceActivityDetector\n"
        "VoiceActivityDetector()\n"
        "print(torch.get_num_threads())\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True)
    assert out.stdout.split()[-1] == "2"
