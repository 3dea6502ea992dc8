"""Where audiobooks are published, and the rules each place checks a file against.

Kept free of numpy and FFmpeg so the command line can list the presets without loading them.
The figures are the distributors' published audio requirements; the ``policy`` lines say
what a person must know before uploading a narration made with a digital voice.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LoudnessRules:
    rms_db: tuple[float, float] = (-23.0, -18.0)
    peak_db: float = -3.0
    noise_floor_db: float = -60.0
    head_seconds: tuple[float, float] = (0.5, 1.0)
    tail_seconds: tuple[float, float] = (1.0, 5.0)
    max_minutes: float | None = 120.0


FORMATS = ("m4b", "mp3", "flac", "wav")


@dataclass(frozen=True)
class PublishingPreset:
    key: str
    name: str
    format: str
    sample_rate: int
    bitrate_kbps: int  # lossy formats; constant bit rate
    rules: LoudnessRules
    credits: bool = False  # opening and closing credits as files of their own
    policy: str = ""  # what the person must know before uploading synthetic narration


ACX_POLICY = (
    "ACX/Audible accepts synthetic narration only through its own invited virtual-voice "
    "programme; an upload of a digital-voice narration outside it will be rejected. Use these "
    "files for that programme or for a distributor that accepts digital narration.")
DISCLOSURE_POLICY = (
    "Distributors that accept digital narration ask you to say so: keep the 'narrated by a "
    "digital voice' line in the description and metadata (it is already in every file).")

PRESETS: dict[str, PublishingPreset] = {
    preset.key: preset for preset in (
        PublishingPreset("acx", "ACX / Audible", "mp3", 44100, 192, LoudnessRules(),
                         policy=ACX_POLICY),
        PublishingPreset("google", "Google Play Books", "mp3", 44100, 256,
                         LoudnessRules(max_minutes=None), policy=DISCLOSURE_POLICY),
        PublishingPreset("apple", "Apple Books", "m4b", 44100, 128,
                         LoudnessRules(max_minutes=None), policy=DISCLOSURE_POLICY),
        PublishingPreset("spotify", "Spotify / INaudio", "mp3", 44100, 192, LoudnessRules(),
                         credits=True, policy=DISCLOSURE_POLICY + " INaudio wants the opening "
                         "and closing credits as separate files."),
    )
}


