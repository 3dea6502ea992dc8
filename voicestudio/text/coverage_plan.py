"""Which prompt to read next, and how far the recorded takes cover a language's sounds.

``CoverageSelector`` orders prompts greedily by new coverage per second of reading: each
single sound is wanted a few times (a model learns a sound from several examples, not
one), each sound pair once. It re-plans from what was actually accepted, so a skipped or
failed prompt's sounds stay wanted and come back in another sentence.

``CoverageReport`` says where a session stands in words a person understands: which
sounds are covered, thin (heard only once or twice) or still missing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from voicestudio.text.coverage import inventory, is_pair_unit
from voicestudio.text.prompt_corpus import Prompt, PromptCorpus

# A single sound heard this often counts as covered; fewer (but some) is "thin".
COVERED_COUNT = 3
# Single sounds matter more than transitions: a missing 'zh' is audible in every
# sentence that has one, a missing 'zh'→'ang' pair only blurs one transition.
_PHONE_WEIGHT = 4.0
_PAIR_WEIGHT = 1.0

# How each Mandarin final and English phoneme is named for people who do not read pinyin
# or ARPAbet: a familiar spelling and an example word.
_ZH_FINAL_NAMES = {"v": "ü", "ve": "üe", "van": "üan", "vn": "ün", "i0": "i (as in 字 zi)",
                   "ir": "i (as in 知 zhi)", "E": "ê", "En": "en (as in 嗯)"}
_ZH_TONE_NAMES = {"1": "first tone (high)", "2": "second tone (rising)",
                  "3": "third tone (dipping)", "4": "fourth tone (falling)",
                  "5": "light tone"}
_EN_NAMES = {  # a familiar spelling of the sound, and a word that has it
    "AA": ("ah", "father"), "AE": ("a", "cat"), "AH": ("u", "but"), "AO": ("aw", "law"),
    "AW": ("ow", "cow"), "AY": ("i", "hide"), "B": ("b", "be"), "CH": ("ch", "cheese"),
    "D": ("d", "day"), "DH": ("th", "this"), "EH": ("e", "red"), "ER": ("er", "hurt"),
    "EY": ("ay", "ate"), "F": ("f", "fee"), "G": ("g", "green"), "HH": ("h", "he"),
    "IH": ("i", "it"), "IY": ("ee", "eat"), "JH": ("j", "joy"), "K": ("k", "key"),
    "L": ("l", "lee"), "M": ("m", "me"), "N": ("n", "knee"), "NG": ("ng", "sing"),
    "OW": ("oh", "oat"), "OY": ("oy", "toy"), "P": ("p", "pea"), "R": ("r", "read"),
    "S": ("s", "sea"), "SH": ("sh", "she"), "T": ("t", "tea"), "TH": ("th", "thin"),
    "UH": ("oo", "hood"), "UW": ("oo", "two"), "V": ("v", "vee"), "W": ("w", "we"),
    "Y": ("y", "yes"), "Z": ("z", "zoo"), "ZH": ("zh", "measure"),
}


def describe_unit(unit: str) -> str:
    """A single sound as a person reads it: “zh”, “ü”, the third tone, “th” as in thin."""
    kind, _, value = unit.partition(":")
    if kind == "zh-initial":
        return f"“{value}”"
    if kind == "zh-final":
        return f"“{_ZH_FINAL_NAMES.get(value, value)}”"
    if kind == "zh-tone":
        return f"the {_ZH_TONE_NAMES.get(value, value)}"
    if kind == "en":
        spelling, example = _EN_NAMES.get(value, (value.lower(), ""))
        return f"“{spelling}” as in {example}" if example else f"“{spelling}”"
    return value


def _name_list(units: tuple[str, ...], limit: int) -> str:
    names = [describe_unit(u) for u in units[:limit]]
    if len(units) > limit:
        names.append(f"{len(units) - limit} more")
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _weight(unit: str) -> float:
    return _PAIR_WEIGHT if is_pair_unit(unit) else _PHONE_WEIGHT


def _wanted(unit: str) -> int:
    return 1 if is_pair_unit(unit) else COVERED_COUNT


@dataclass(frozen=True)
class CoverageReport:
    """Where a session stands on one language's sounds."""

    lang: str
    covered: tuple[str, ...]  # single sounds heard at least COVERED_COUNT times
    thin: tuple[str, ...]  # heard, but fewer times
    missing: tuple[str, ...]  # never heard
    pairs_covered: int
    pairs_total: int

    @property
    def sound_fraction(self) -> float:
        """Share of the language's single sounds heard at least once."""
        total = len(self.covered) + len(self.thin) + len(self.missing)
        return (len(self.covered) + len(self.thin)) / total if total else 0.0

    @property
    def pair_fraction(self) -> float:
        return self.pairs_covered / self.pairs_total if self.pairs_total else 0.0

    def summary(self, limit: int = 4) -> str:
        """One or two sentences for the page: what is still missing or thin, by name."""
        total = len(self.covered) + len(self.thin) + len(self.missing)
        heard = len(self.covered) + len(self.thin)
        if heard == 0:
            return (f"No sounds recorded yet: the sentences are chosen to cover all {total} "
                    "sounds of the language, and the ways they join, in as few as possible.")
        parts = [f"{heard} of {total} sounds recorded, {self.pair_fraction:.0%} of the ways "
                 "they join."]
        for units, word in ((self.missing, "are still missing"),
                            (self.thin, "are heard only once or twice")):
            if units:
                parts.append(f"Sounds like {_name_list(units, limit)} {word}.")
        if not self.missing and not self.thin:
            parts.append("Every sound has been recorded several times.")
        return " ".join(parts)


class CoverageSelector:
    """Orders a corpus's prompts for the most coverage per second of reading."""

    def __init__(self, corpus: PromptCorpus) -> None:
        self.corpus = corpus
        self.counts: Counter[str] = Counter()
        self._done: set[str] = set()  # prompts read or skipped: not offered again
        self._phones = inventory(corpus.lang)
        self._pairs = corpus.pair_inventory

    def record(self, units: Iterable[str], prompt_id: str | None = None) -> None:
        """An accepted take: count the units it really holds (from its final text)."""
        self.counts.update(set(units))
        if prompt_id is not None:
            self._done.add(prompt_id)

    def skip(self, prompt_id: str) -> None:
        """The person passed this prompt over; its sounds stay wanted."""
        self._done.add(prompt_id)

    def gain(self, prompt: Prompt) -> float:
        """Coverage the prompt would add now, per second of reading."""
        value = sum(_weight(u) for u in prompt.units if self.counts[u] < _wanted(u))
        return value / prompt.reading_seconds

    def next_prompt(self) -> Prompt | None:
        """The unread prompt with the most new coverage per second (None when all are read)."""
        best: Prompt | None = None
        best_gain = -1.0
        for prompt in self.corpus.prompts:
            if prompt.id in self._done:
                continue
            gain = self.gain(prompt)
            if gain > best_gain:
                best, best_gain = prompt, gain
        return best

    def plan(self, count: int) -> list[Prompt]:
        """The next ``count`` prompts, assuming each is read as written."""
        shadow = CoverageSelector(self.corpus)
        shadow.counts = Counter(self.counts)
        shadow._done = set(self._done)
        order: list[Prompt] = []
        while len(order) < count:
            prompt = shadow.next_prompt()
            if prompt is None:
                break
            order.append(prompt)
            shadow.record(prompt.units, prompt.id)
        return order

    def report(self) -> CoverageReport:
        # Most common sounds first: those are the ones a person notices missing, and the
        # ones the next prompts will bring.
        frequency = Counter(u for p in self.corpus.prompts for u in p.units)
        phones = sorted(self._phones, key=lambda u: (-frequency[u], u))
        return CoverageReport(
            lang=self.corpus.lang,
            covered=tuple(u for u in phones if self.counts[u] >= COVERED_COUNT),
            thin=tuple(u for u in phones if 0 < self.counts[u] < COVERED_COUNT),
            missing=tuple(u for u in phones if self.counts[u] == 0),
            pairs_covered=sum(1 for u in self._pairs if self.counts[u] > 0),
            pairs_total=len(self._pairs),
        )
