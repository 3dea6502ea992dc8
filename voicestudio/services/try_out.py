"""What the Train page's try-out offers: which models can speak, and sentences to try.

A person judges a voice by hearing it before training (the base models copying a clip,
zero-shot), after the voice model (S2) stage, and after the whole run; and by hearing words
it was never trained on. This module lists those choices; ``services.speech.speech_for``
turns the chosen one into model files, so the try-out speaks exactly as the Try panel and
``speak --voice`` do.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from voicestudio.project.voice import Voice
from voicestudio.services.speech import SpeakingModel
from voicestudio.training.run_files import S2_EXPORT, STATE_DIR, unfinished_runs

SUGGESTIONS = 6  # sentences offered in the chooser


def try_out_models(voice: Voice) -> list[SpeakingModel]:
    """Newest first: the saved versions (the active one first), runs whose voice-model
    stage has finished (while S1 trains or the run is paused), then the base models."""
    models = []
    active = voice.active_version()
    versions = sorted(voice.manifest.models, key=lambda v: v.created, reverse=True)
    for version in versions:
        is_active = active is not None and version.version_id == active.version_id
        label = (f"Version {version.version_id} (speaks for the voice)" if is_active
                 else f"Version {version.version_id}")
        models.insert(0 if is_active else len(models),
                      SpeakingModel(label, version_id=version.version_id))
    for run_id in reversed(unfinished_runs(voice)):
        folder = voice.folder / "models" / run_id
        if (folder / STATE_DIR / "s2.done").is_file() and (folder / S2_EXPORT).is_file():
            models.append(SpeakingModel(
                f"Run {run_id} after the voice model (S2), text model not trained yet",
                run_s2=folder / S2_EXPORT))
    models.append(SpeakingModel("Base models, no training (copies the clip)", base=True))
    return models


@dataclass(frozen=True)
class Suggestion:
    """A sentence to try, and the person's own recording of it when there is one (a segment
    kept out of training): the fairest A/B, the same words in both voices."""

    text: str
    recording: Path | None = None


def suggested_sentences(voice: Voice, count: int = SUGGESTIONS) -> list[Suggestion]:
    """Sentences to try the voice on, in its languages: first those of the segments kept out
    of training to judge it (the person's real recording of them exists, for an A/B), then
    recording prompts the person has not read, so the voice is heard on new words."""
    from voicestudio.project.segments import Dataset
    from voicestudio.text.prompt_corpus import load_corpus
    from voicestudio.training.scoring import held_out_ids

    kept = Dataset.open(voice).kept_segments()
    held = set(held_out_ids([s.id for s in kept]))
    recordings = {s.text.strip(): voice.folder / s.audio_path for s in kept if s.id in held}
    sentences = list(recordings)
    read = {s.text.strip() for s in kept}
    languages = [lang for lang in voice.manifest.languages if lang in ("zh", "en")]
    pools = [[p.text for p in load_corpus(lang).prompts if p.text not in read]
             for lang in languages]
    # Spread over each corpus (its order groups similar sentences), languages taking turns;
    # where to start depends on the voice, so two voices are not tried on the same lines.
    offset = sum(voice.manifest.id.encode()) if voice.manifest.id else 0
    picks: list[list[str]] = []
    wanted = max(0, count - len(sentences))
    for pool in pools:
        share = -(-wanted // max(1, len(pools)))
        step = max(1, len(pool) // max(1, share))
        picks.append([pool[(offset + i * step) % len(pool)] for i in range(min(share, len(pool)))])
    for i in range(max((len(p) for p in picks), default=0)):
        sentences.extend(p[i] for p in picks if i < len(p))
    seen: set[str] = set()
    unique = [s for s in sentences if s and not (s in seen or seen.add(s))]
    return [Suggestion(s, recordings.get(s)) for s in unique[:count]]
