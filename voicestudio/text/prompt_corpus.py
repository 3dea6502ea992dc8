"""The recording prompts people read aloud, with the sound units each one covers.

``resources/prompts/<lang>.json`` holds, per language, where the sentences come from and,
for every sentence, its coverage units (single sounds and sound pairs, see
``text.coverage``) as the text frontend produces them. The units are stored rather than
computed at start-up because phonemizing hundreds of sentences takes seconds the wizard
should not spend; ``annotate`` recomputes them after the frontend changes, and a test
checks that what is stored still equals what the frontend says.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from voicestudio.errors import UserInputError
from voicestudio.project.atomic import atomic_write_text
from voicestudio.text.coverage import prompt_units
from voicestudio.text.resources import text_resource_dir

CORPUS_FORMAT = 1
# Unhurried reading speeds for prompts: Mandarin ~4 syllables (8 phones) a second,
# English ~12 phonemes a second, plus the breath before speaking. Only the ratio between
# prompts matters to the selector; the figure shown to people is rounded.
_PHONES_PER_SECOND = {"zh": 8.0, "en": 12.0}
_START_SECONDS = 0.6


@dataclass(frozen=True)
class Prompt:
    """One sentence to read, and what reading it covers."""

    id: str
    text: str
    lang: str
    units: frozenset[str]
    phones: int  # how many phones the frontend makes of it, repeats included

    @property
    def reading_seconds(self) -> float:
        """How long an unhurried reader takes, estimated from the sounds in the sentence."""
        return _START_SECONDS + self.phones / _PHONES_PER_SECOND.get(self.lang, 10.0)


@dataclass(frozen=True)
class PromptCorpus:
    lang: str
    source: str
    prompts: tuple[Prompt, ...]

    def prompt(self, prompt_id: str) -> Prompt:
        for prompt in self.prompts:
            if prompt.id == prompt_id:
                return prompt
        raise UserInputError(f"There is no prompt {prompt_id} in the {self.lang} prompts.")

    @property
    def pair_inventory(self) -> frozenset[str]:
        """Every sound pair some prompt holds: the pairs a full session could cover."""
        from voicestudio.text.coverage import is_pair_unit

        return frozenset(u for p in self.prompts for u in p.units if is_pair_unit(u))


def prompt_dir() -> Path:
    return text_resource_dir().parent / "prompts"


def corpus_path(lang: str) -> Path:
    return prompt_dir() / f"{lang}.json"


@cache
def load_corpus(lang: str) -> PromptCorpus:
    """The shipped prompts of ``lang`` ('zh' or 'en')."""
    path = corpus_path(lang)
    if not path.is_file():
        raise UserInputError(f"There are no recording prompts for '{lang}'; choose zh or en.")
    with open(path, encoding="utf-8") as handle:
        raw = json.load(handle)
    return PromptCorpus(
        lang=lang,
        source=raw["source"],
        prompts=tuple(
            Prompt(id=p["id"], text=p["text"], lang=lang, units=frozenset(p["units"]),
                   phones=int(p["phones"]))
            for p in raw["prompts"]
        ),
    )


def annotate_prompt(text: str, lang: str) -> dict:
    """One prompt's stored annotation: its units and phone count from the frontend."""
    from voicestudio.text.frontend import default_frontend
    from voicestudio.text.symbols import PUNCTUATION

    units = prompt_units(text, lang)
    if not units:
        raise UserInputError(f"The prompt “{text}” has no sounds the frontend knows.")
    result = default_frontend().phonemize(text, lang, retry_short=False)
    phones = sum(1 for seg in result.segments for p in seg.phones if p not in PUNCTUATION)
    return {"text": text, "phones": phones, "units": sorted(units)}


def write_corpus(lang: str, sentences: list[str], source: str) -> None:
    """Annotate ``sentences`` and save them as ``lang``'s corpus, one prompt a line."""
    lines = []
    for number, text in enumerate(sentences, start=1):
        entry = {"id": f"{lang}-{number:04d}"} | annotate_prompt(text, lang)
        lines.append(json.dumps(entry, ensure_ascii=False))
    head = json.dumps({"format_version": CORPUS_FORMAT, "lang": lang, "source": source},
                      ensure_ascii=False)
    body = ",\n".join(lines)
    atomic_write_text(corpus_path(lang), f'{head[:-1]}, "prompts": [\n{body}\n]}}\n')
    load_corpus.cache_clear()


def reannotate(lang: str) -> None:
    """Recompute the stored units of ``lang``'s prompts (after a frontend change)."""
    corpus = load_corpus(lang)
    write_corpus(lang, [p.text for p in corpus.prompts], corpus.source)


if __name__ == "__main__":  # python -m voicestudio.text.prompt_corpus zh en
    for language in sys.argv[1:]:
        reannotate(language)
