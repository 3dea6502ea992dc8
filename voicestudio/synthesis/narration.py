"""The narration rendering engine: a chapter rendered sentence by sentence, checked, cached.

What makes a long book workable:

* every sentence has its own seed, and the renderer makes a sentence's audio from its text,
  seed and settings alone, so rendering it alone gives exactly what it got inside a batch;
* every rendered sentence is cached under a key made of what produced it: the voice model
  and reference (the renderer's ``identity``), the text as read, the lexicon entries it
  uses, the parameters and the seed. An edit re-renders only the sentences whose key
  changed; a restart finds everything already made in the cache and resumes there;
* every sentence is checked (``narration_checks``); one that fails is rendered again with
  another seed, up to ``check_retries`` times, and what still fails is marked with why;
* approved takes are locked: nothing re-renders them;
* one renderer (one reference, one set of settings) reads the whole book, so chapter 1 and
  chapter 30 sound like the same narrator.

No Qt here: the app wraps ``render_chapter`` in a JobRunner, the CLI in a progress line.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Protocol

import numpy as np
import soundfile as sf

from voicestudio.audio.wav import write_wav
from voicestudio.errors import UserInputError
from voicestudio.jobs import CancelToken, ProgressCallback, ProgressTracker
from voicestudio.project.narration import (
    Chapter,
    NarrationProject,
    SentenceRecord,
    Take,
    records_for,
)
from voicestudio.synthesis.joining import FADE_SECONDS, join_with_gaps
from voicestudio.synthesis.narration_checks import SentenceChecker
from voicestudio.synthesis.narration_plan import PlannedSentence, plan_chapter
from voicestudio.synthesis.pipeline import (
    SAMPLE_RATE,
    RenderedSentence,
    SentenceSpec,
    SynthesisRequest,
    Synthesizer,
)
from voicestudio.text.frontend import TextFrontend
from voicestudio.text.lexicon import UserLexicon

log = logging.getLogger(__name__)

CACHE_FORMAT = 1
_SEED_SPACE = 2**62


class SentenceState(StrEnum):
    """What the editor colours a sentence by."""

    NOT_RENDERED = "not rendered"
    RENDERING = "rendering"  # only while a job works on it (the app sets it)
    RENDERED = "rendered"
    STALE = "stale"  # its take was made from other text, pronunciations or settings
    FAILED = "failed check"
    APPROVED = "approved"


class SentenceRenderer(Protocol):
    """Makes sentence audio. ``identity`` names the model files and reference: the cache key
    changes with it, so a retrained voice re-renders, and an unchanged one never does."""

    identity: str
    sample_rate: int

    def render(self, sentences: Sequence[SentenceSpec], lexicon: UserLexicon,
               progress: ProgressCallback | None = None,
               cancel: CancelToken | None = None) -> list[RenderedSentence]: ...

    def parameters(self) -> dict: ...


def _file_identity(path: Path) -> str:
    """A file's name, size and modification time: changes when the file is replaced."""
    try:
        stat = Path(path).stat()
    except OSError:
        return f"{Path(path).name}:missing"
    return f"{Path(path).resolve()}:{stat.st_size}:{stat.st_mtime_ns}"


class SynthesizerRenderer:
    """The real renderer: the synthesis pipeline with one reference for the whole book."""

    sample_rate = SAMPLE_RATE

    def __init__(self, synthesizer: Synthesizer, settings: SynthesisRequest) -> None:
        self.synthesizer = synthesizer
        self.settings = settings
        files = synthesizer.files
        self.identity = "|".join([
            _file_identity(files.s1), _file_identity(files.s2),
            _file_identity(Path(settings.reference)), settings.reference_text,
            settings.reference_lang or settings.lang,
        ])
        self._frontends: dict[tuple, TextFrontend] = {}

    def parameters(self) -> dict:
        s = self.settings
        return {"lang": s.lang, "noise_scale": s.noise_scale, "retries": s.retries,
                "sampling": asdict(s.sampling)}

    def _frontend(self, lexicon: UserLexicon) -> TextFrontend:
        key = tuple(sorted(lexicon.entries.items()))
        if key not in self._frontends:
            self._frontends = {key: TextFrontend(lexicon)}  # building one loads both G2Ps
        return self._frontends[key]

    def render(self, sentences, lexicon, progress=None, cancel=None):
        request = SynthesisRequest(**{**self.settings.__dict__,
                                      "text": " ".join(s.text for s in sentences)})
        return self.synthesizer.render_sentences(
            request, sentences, self._frontend(lexicon) if len(lexicon) else None,
            progress, cancel)


def entries_used(text: str, lexicon: UserLexicon) -> dict[str, str]:
    """The lexicon entries that change how ``text`` is read (so only the sentences a new
    pronunciation touches go stale)."""
    used = {}
    for word, pronunciation in lexicon.entries.items():
        if re.fullmatch(r"[\u4e00-\u9fff]+", word):
            hit = word in text
        else:
            hit = re.search(rf"(?<![A-Za-z']){re.escape(word)}(?![A-Za-z'])", text,
                            re.IGNORECASE) is not None
        if hit:
            used[word] = pronunciation
    return dict(sorted(used.items()))


def cache_key(identity: str, sentence: PlannedSentence, lexicon: UserLexicon,
              parameters: dict, seed: int) -> str:
    """Everything that decides a sentence's audio, hashed."""
    payload = {
        "format": CACHE_FORMAT, "renderer": identity, "text": " ".join(sentence.text.split()),
        "lexicon": entries_used(sentence.text, lexicon), "parameters": parameters,
        "speed": sentence.speed, "seed": int(seed),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


class SentenceCache:
    """Rendered sentences as float WAVs named by their key (exactly what was rendered)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.wav"

    def has(self, key: str) -> bool:
        return self.path(key).is_file()

    def load(self, key: str) -> np.ndarray | None:
        """The cached audio, or None when absent or unreadable (it is then rendered again)."""
        try:
            audio, _ = sf.read(self.path(key), dtype="float32", always_2d=False)
        except (OSError, RuntimeError, sf.LibsndfileError):
            return None
        return audio

    def store(self, key: str, audio: np.ndarray, sample_rate: int) -> None:
        write_wav(self.path(key), audio, sample_rate, "float")


def take_seed(record: SentenceRecord, number: int) -> int:
    """The seed of a sentence's ``number``-th take (0: the sentence's own seed)."""
    if number == 0:
        return record.seed
    digest = hashlib.sha256(f"{record.seed}:{number}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % _SEED_SPACE


@dataclass
class ChapterPlan:
    chapter: Chapter
    sentences: list[PlannedSentence]
    records: list[SentenceRecord]


@dataclass
class SentenceReport:
    index: int
    words: str
    problems: list[str]


@dataclass
class ChapterReport:
    """What a chapter render did and what still needs a person."""

    chapter: str
    sentences: int = 0
    rendered: int = 0  # audio made in this run
    from_cache: int = 0  # found already made (resumed)
    unchanged: int = 0  # already up to date
    approved: int = 0
    retried: int = 0  # extra takes made because a check failed
    passed: int = 0
    failed: list[SentenceReport] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{self.chapter}: {self.sentences} sentences, {self.passed} passed the checks, "
                f"{len(self.failed)} flagged, {self.approved} approved; {self.rendered} "
                f"rendered now, {self.from_cache} resumed from the cache, {self.retried} "
                "retried with another seed")


@dataclass
class ChapterAudio:
    audio: np.ndarray
    sample_rate: int
    spans: list[tuple[int, int]]  # per planned sentence: (start, end) sample
    sentences: list[PlannedSentence]


class NarrationEngine:
    """Renders, checks and assembles a project's chapters with one renderer."""

    def __init__(self, project: NarrationProject, renderer: SentenceRenderer,
                 lexicon: UserLexicon | None = None,
                 checker: SentenceChecker | None = None) -> None:
        self.project = project
        self.renderer = renderer
        self.lexicon = lexicon or UserLexicon()
        self.checker = checker or SentenceChecker()
        self.cache = SentenceCache(project.cache_folder)
        self._parameters = renderer.parameters()

    # Planning -----------------------------------------------------------------------------
    def plan(self, chapter: Chapter | str) -> ChapterPlan:
        if isinstance(chapter, str):
            chapter = self.project.chapter(chapter)
        sentences = plan_chapter(chapter, self.project.settings)
        records = records_for(self.project, chapter, [s.words for s in sentences])
        return ChapterPlan(chapter, sentences, records)

    def key(self, sentence: PlannedSentence, seed: int) -> str:
        return cache_key(self.renderer.identity, sentence, self.lexicon, self._parameters, seed)

    def state(self, plan: ChapterPlan, index: int) -> SentenceState:
        record = plan.records[index]
        take = record.take
        if record.approved and take is not None:
            return SentenceState.APPROVED
        if take is None:
            return SentenceState.NOT_RENDERED
        if take.key != self.key(plan.sentences[index], take.seed):
            return SentenceState.STALE
        return SentenceState.RENDERED if take.passed else SentenceState.FAILED

    # Rendering ----------------------------------------------------------------------------
    def render_chapter(
        self,
        chapter_id: str,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
        on_sentence: Callable[[int], None] | None = None,
    ) -> ChapterReport:
        """Render every sentence that is not up to date; saves after each batch, so a cancel
        or a crash loses at most one batch and the next call resumes."""
        tracker = ProgressTracker(progress, cancel)
        plan = self.plan(chapter_id)
        report = ChapterReport(plan.chapter.title, len(plan.sentences))
        todo = []
        for index in range(len(plan.records)):
            state = self.state(plan, index)
            if state is SentenceState.APPROVED:
                report.approved += 1
            elif state in (SentenceState.RENDERED, SentenceState.FAILED):
                report.unchanged += 1
            else:
                todo.append(index)
        batch_size = max(1, self.project.settings.batch_size)
        for first in range(0, len(todo), batch_size):
            batch = todo[first:first + batch_size]
            tracker.step(first, len(todo), f"Rendering sentence {first + 1} of {len(todo)} "
                                           f"in “{plan.chapter.title}”")
            self._render_batch(plan, batch, report, tracker.cancel, on_sentence)
            self.project.save()
        self.project.save()
        for index, record in enumerate(plan.records):
            take = record.take
            if take is not None and take.passed:
                report.passed += 1
            elif take is not None and not record.approved:
                report.failed.append(SentenceReport(index, record.words, list(take.problems)))
        tracker.report(1.0, report.summary())
        return report

    def _render_batch(self, plan: ChapterPlan, batch: list[int], report: ChapterReport,
                      cancel: CancelToken, on_sentence: Callable[[int], None] | None) -> None:
        retries = max(0, self.project.settings.check_retries)
        pending = []
        for index in batch:
            record = plan.records[index]
            stale = record.take
            pending.append((index, stale.seed if stale is not None else take_seed(record, 0)))
        attempt = 0
        while pending:
            takes = self._takes(plan, pending, report, cancel)
            again = []
            for (index, _), take in zip(pending, takes, strict=True):
                record = plan.records[index]
                record.takes.append(take)
                record.chosen = len(record.takes) - 1
                if take.passed or attempt >= retries:
                    if on_sentence is not None:
                        on_sentence(index)
                    continue
                again.append((index, take_seed(record, len(record.takes))))
            if again:
                report.retried += len(again)
            pending, attempt = again, attempt + 1
        for index in batch:  # keep the best take: the first that passed, else the latest
            record = plan.records[index]
            passing = [n for n, t in enumerate(record.takes) if t.passed]
            if passing and not record.takes[record.chosen].passed:
                record.chosen = passing[-1]

    def _takes(self, plan: ChapterPlan, pending: list[tuple[int, int]], report: ChapterReport,
               cancel: CancelToken) -> list[Take]:
        keys = [self.key(plan.sentences[index], seed) for index, seed in pending]
        audio: dict[int, np.ndarray] = {}
        missing = []
        for number, key in enumerate(keys):
            cached = self.cache.load(key) if self.cache.has(key) else None
            if cached is not None:
                audio[number] = cached
                report.from_cache += 1
            else:
                missing.append(number)
        if missing:
            specs = [SentenceSpec(plan.sentences[pending[n][0]].text, pending[n][1],
                                  plan.sentences[pending[n][0]].speed) for n in missing]
            rendered = self.renderer.render(specs, self.lexicon, cancel=cancel)
            for number, item in zip(missing, rendered, strict=True):
                audio[number] = item.audio
                if item.audio.size:
                    self.cache.store(keys[number], item.audio, self.renderer.sample_rate)
                report.rendered += 1
        takes = []
        for number, ((index, seed), key) in enumerate(zip(pending, keys, strict=True)):
            sentence = plan.sentences[index]
            clip = audio[number]
            problems = (self.checker.check(clip, self.renderer.sample_rate, sentence.words)
                        .problems if clip.size else ["nothing in it could be read aloud"])
            takes.append(Take(seed, key, round(clip.size / self.renderer.sample_rate, 3),
                              problems))
        return takes

    def regenerate(self, chapter_id: str, index: int, progress: ProgressCallback | None = None,
                   cancel: CancelToken | None = None) -> Take:
        """A new take of one sentence with a new seed; it becomes the chosen take (the older
        ones stay in its history). An approved sentence is refused."""
        plan = self.plan(chapter_id)
        record = self._record(plan, index)
        if record.approved:
            raise UserInputError("This sentence is approved and locked. Unlock it first to "
                                 "make a new take.")
        tracker = ProgressTracker(progress, cancel)
        tracker.report(0.0, f"Rendering “{record.words}” again")
        report = ChapterReport(plan.chapter.title)
        (take,) = self._takes(plan, [(index, take_seed(record, len(record.takes)))], report,
                              tracker.cancel)
        record.takes.append(take)
        record.chosen = len(record.takes) - 1
        self.project.save()
        tracker.report(1.0, "New take ready")
        return take

    def choose_take(self, chapter_id: str, index: int, take: int) -> None:
        record = self._record(self.plan(chapter_id), index)
        if record.approved:
            raise UserInputError("This sentence is approved and locked. Unlock it first.")
        if not 0 <= take < len(record.takes):
            raise UserInputError("That take does not exist.")
        record.chosen = take
        self.project.save()

    def approve(self, chapter_id: str, index: int, approved: bool = True) -> None:
        record = self._record(self.plan(chapter_id), index)
        if approved and record.take is None:
            raise UserInputError("Render this sentence before approving it.")
        record.approved = approved
        self.project.save()

    @staticmethod
    def _record(plan: ChapterPlan, index: int) -> SentenceRecord:
        if not 0 <= index < len(plan.records):
            raise UserInputError("That sentence is not in this chapter any more.")
        return plan.records[index]

    # Audio --------------------------------------------------------------------------------
    def sentence_audio(self, plan: ChapterPlan, index: int) -> np.ndarray | None:
        take = plan.records[index].take
        return None if take is None else self.cache.load(take.key)

    def chapter_audio(self, chapter_id: str) -> ChapterAudio:
        """The chapter's chosen takes joined with its pauses. Every sentence must have a
        take; a missing one is a UserInputError that says to render the chapter."""
        plan = self.plan(chapter_id)
        clips = []
        for index, record in enumerate(plan.records):
            clip = self.sentence_audio(plan, index)
            if clip is None:
                raise UserInputError(
                    f"“{plan.chapter.title}” is not fully rendered (sentence {index + 1}, "
                    f"“{record.words}”, has no audio). Render the chapter first.")
            clips.append(clip)
        gaps = [s.pause_after for s in plan.sentences[:-1]]
        audio, spans = join_with_gaps(clips, self.renderer.sample_rate, gaps, FADE_SECONDS)
        return ChapterAudio(audio, self.renderer.sample_rate, spans, plan.sentences)

