"""Model families: which set of GPT-SoVITS base models a voice is built on, in plain words.

GPT-SoVITS ships several generations of its 32 kHz models. VoiceStudio runs three; each
needs its own S2 generator and discriminator, v2Pro and v2ProPlus share a newer S1 and the
speaker-verification (SV) model that gives them a better likeness to the reference voice.
HuBERT and BERT are the same for all three.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from voicestudio.errors import UserInputError
from voicestudio.project.settings import MODEL_FAMILY_CHOICES

if TYPE_CHECKING:
    from voicestudio.project.voice import Voice

FEATURE_IDS = ("hubert", "bert")  # every family reads speech and text through these


@dataclass(frozen=True)
class ModelFamily:
    id: str  # the GPT-SoVITS version name: v2, v2Pro, v2ProPlus
    summary: str  # what a person chooses it for
    s1: str  # registry spec ids
    s2g: str
    s2d: str
    sv: str | None = None

    @property
    def label(self) -> str:
        """'v2Pro — better likeness, recommended'."""
        return f"{self.id} — {self.summary}"

    @property
    def speech_ids(self) -> tuple[str, ...]:
        """What zero-shot speech needs: S1, S2 (+ SV) and the feature models."""
        return (self.s1, self.s2g, *((self.sv,) if self.sv else ()), *FEATURE_IDS)

    @property
    def required_ids(self) -> tuple[str, ...]:
        """Everything this family needs, training included (the discriminator)."""
        return (self.s1, self.s2g, self.s2d, *((self.sv,) if self.sv else ()), *FEATURE_IDS)


FAMILIES: dict[str, ModelFamily] = {
    f.id: f
    for f in (
        ModelFamily("v2", "smallest and fastest", "s1-v2", "s2g-v2", "s2d-v2"),
        ModelFamily(
            "v2Pro", "better likeness, recommended", "s1-v2pro", "s2g-v2pro", "s2d-v2pro", "sv"
        ),
        ModelFamily(
            "v2ProPlus",
            "a little better, a little slower",
            "s1-v2pro",
            "s2g-v2proplus",
            "s2d-v2proplus",
            "sv",
        ),
    )
}
assert tuple(FAMILIES) == MODEL_FAMILY_CHOICES
DEFAULT_FAMILY = "v2"


def get_family(family_id: str | None) -> ModelFamily:
    """The family called `family_id` (None: the default), or a message listing the choices."""
    family = FAMILIES.get(family_id or DEFAULT_FAMILY)
    if family is None:
        choices = ", ".join(f.label for f in FAMILIES.values())
        raise UserInputError(f"Unknown model family “{family_id}”. Choose one of: {choices}.")
    return family


def chosen_family() -> ModelFamily:
    """The family chosen in Settings (the default until the person picks one)."""
    from voicestudio.project.settings import Settings

    return get_family(Settings.load().model_family)


def voice_family(voice: Voice) -> ModelFamily:
    """The family a voice speaks and trains with: the one its models were trained in, else
    (untrained) the family chosen in Settings."""
    recorded = voice.manifest.model_family
    return get_family(recorded) if recorded else chosen_family()


def family_for_s2_version(version: str) -> ModelFamily:
    """The family an S2 file of GPT-SoVITS `version` belongs to (v2Pro, v2ProPlus, else v2)."""
    return FAMILIES.get(version, FAMILIES[DEFAULT_FAMILY])
