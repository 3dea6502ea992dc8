"""The guided recording session of one voice: prompts, takes, checks, coverage, consent.

Everything the Record page decides lives here, so it is tested without a screen:

* which prompt comes next (``CoverageSelector``, re-planned from the takes kept so far);
* every finished take is checked (``TakeChecker``) and added to the voice's dataset exactly
  like an imported recording — the original WAV under ``takes/``, a 32 kHz segment cut from
  the same loudness-normalised signal, the same quality flags — with ``kept`` set from the
  checks. A failed take therefore stays on disk, marked, and out of training unless the
  person keeps it anyway;
* the session's own state (``takes/recording-session-<lang>.json``: target, takes, skipped
  prompts, takes since the last break) is saved after every change, so a session paused
  today resumes another day exactly where it stopped, and takes a crash cut short are
  recovered when the session opens again;
* the spoken consent, stored in the voice manifest with its date and audio hash.
"""

from __future__ import annotations

import logging
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import soundfile as sf

from voicestudio.audio.take_checks import TakeCheck, TakeChecker
from voicestudio.audio.take_file import recover_partial_takes
from voicestudio.errors import CorruptFileError, UserInputError, VoiceStudioError
from voicestudio.project.atomic import atomic_write_json
from voicestudio.project.checksums import sha256_file
from voicestudio.project.documents import read_versioned_json
from voicestudio.project.library import VoiceLibrary
from voicestudio.project.locks import voice_lock
from voicestudio.project.segments import (
    SEGMENT_SAMPLE_RATE,
    Dataset,
    SegmentRecord,
    TakeRecord,
    quality_flags,
)
from voicestudio.project.voice import ConsentRecord, Voice, now_iso
from voicestudio.services.voice_settings import change_accent
from voicestudio.text.coverage_plan import CoverageReport, CoverageSelector
from voicestudio.text.prompt_corpus import Prompt, load_corpus

log = logging.getLogger(__name__)

SESSION_FILE = "recording-session-{lang}.json"  # one per language of the voice
SESSION_FORMAT = 1
TAKE_PREFIX = "rec"
# rec-<prompt id>-<n>[-recovered]: the name says which prompt a take reads.
_TAKE_NAME = re.compile(rf"{TAKE_PREFIX}-(.+)-\d+(?:-recovered)?")
CONSENT_PREFIX = "consent"


@dataclass(frozen=True)
class Target:
    key: str
    seconds: float
    title: str
    explanation: str


TARGETS = (
    Target("quick", 60, "A quick minute",
           "Enough for a first, recognisable voice. About 20 short sentences."),
    Target("better", 300, "Five minutes (better)",
           "Clearly more natural, with fewer odd sounds. About 100 sentences, with breaks."),
    Target("banking", 900, "Fifteen minutes or more (voice banking)",
           "For keeping a relative's voice: more is safer, because there may be no second "
           "chance. Record over several short sittings; the session remembers where you "
           "stopped."),
)
DEFAULT_TARGET = "quick"
# A short break after this many takes or minutes in a row: tired voices sound different,
# and an elderly speaker may tire long before the target.
BREAK_AFTER_TAKES = 15
BREAK_AFTER_SECONDS = 10 * 60


def target(key: str) -> Target:
    for t in TARGETS:
        if t.key == key:
            return t
    raise UserInputError(f"Unknown target “{key}”; choose {', '.join(t.key for t in TARGETS)}.")


# ------------------------------------------------------------------------------------------
# The microphone step

# A sentence to try the microphone with before the session starts (not kept).
TEST_SENTENCES = {
    "zh": Prompt("zh-test", "今天天气很好，我们一起去公园散步吧。", "zh", frozenset(), 34),
    "en": Prompt("en-test", "The quick brown fox jumps over the lazy dog.", "en", frozenset(),
                 35),
}
ROOM_CHECK_SECONDS = 3.0
# Room tone (RMS of the quiet part) in dBFS: below QUIET is a good room; above NOISY the
# model would learn the noise along with the voice.
ROOM_QUIET_DBFS = -55.0
ROOM_NOISY_DBFS = -42.0


@dataclass(frozen=True)
class RoomCheck:
    level_dbfs: float
    ok: bool
    words: str


def describe_room_noise(samples, sample_rate: int) -> RoomCheck:
    """Judge a few seconds of silence: is the room quiet enough to record in?"""
    import numpy as np

    from voicestudio.audio.quality import frame_levels_db

    levels = frame_levels_db(np.asarray(samples, dtype=np.float32), sample_rate)
    level = float(np.percentile(levels, 50)) if levels.size else -100.0
    if level < ROOM_QUIET_DBFS:
        return RoomCheck(level, True, "Quiet room: good for recording.")
    if level < ROOM_NOISY_DBFS:
        return RoomCheck(level, True, "A little background noise. It will do, but a quieter "
                                      "room (doors and windows shut) sounds better.")
    return RoomCheck(level, False, "Too noisy: is a fridge, a fan or a TV on, or a window "
                                   "open? Make the room quieter, then check again.")


# ------------------------------------------------------------------------------------------
# Consent

_CONSENT_TEXT = {
    "zh": ("我是{speaker}。今天是{date}。我同意用这些录音来制作我的声音的数字复制品。",
           "我是{given_by}，{speaker}的{relation}。今天是{date}。我代表{speaker}同意用这些录音来"
           "制作{speaker}的声音的数字复制品。"),
    "en": ("My name is {speaker}. Today is {date}. I agree that these recordings may be used "
           "to make a digital copy of my voice.",
           "My name is {given_by}, {relation} of {speaker}. Today is {date}. On behalf of "
           "{speaker}, I agree that these recordings may be used to make a digital copy of "
           "{speaker}'s voice."),
}


def consent_sentence(lang: str, speaker: str, given_by: str = "", relation: str = "",
                     on: date | None = None) -> str:
    """The sentence read aloud as consent: it names the speaker (and proxy) and the date."""
    speaker = " ".join(speaker.split())
    if not speaker:
        raise UserInputError("Type the speaker's name for the consent sentence.")
    on = on or date.today()
    spoken_date = f"{on.year}年{on.month}月{on.day}日" if lang == "zh" else \
        f"{on.day} {on:%B} {on.year}"
    own, proxy = _CONSENT_TEXT["zh" if lang == "zh" else "en"]
    given_by, relation = " ".join(given_by.split()), " ".join(relation.split())
    if given_by and given_by != speaker:
        if not relation:
            raise UserInputError(
                f"Say how {given_by} is related to {speaker} (for example “daughter”).")
        return proxy.format(speaker=speaker, given_by=given_by, relation=relation,
                            date=spoken_date)
    return own.format(speaker=speaker, date=spoken_date)


# ------------------------------------------------------------------------------------------
# Session state


@dataclass
class TakeEntry:
    """One take of the session and what became of it."""

    take_id: str
    prompt_id: str
    file: str  # relative to the voice folder
    recorded: str
    status: str  # "kept", "failed" (left out of training), "deleted" (recoverable)
    seconds: float = 0.0  # of trimmed speech
    pace: float | None = None
    problems: list[str] = field(default_factory=list)  # the messages shown for it
    segment_id: str | None = None
    passed: bool = True  # what the checks said
    kept_anyway: bool = False


@dataclass
class SessionState:
    lang: str
    target: str = DEFAULT_TARGET
    takes: list[TakeEntry] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    takes_since_break: int = 0
    sitting_started: str = field(default_factory=now_iso)
    accent_asked: bool = False  # the accent question is asked once, in plain words
    format_version: int = SESSION_FORMAT

    @classmethod
    def from_json(cls, raw: dict, source: Path) -> SessionState:
        try:
            return cls(
                lang=str(raw["lang"]), target=str(raw["target"]),
                takes=[TakeEntry(**t) for t in raw["takes"]],
                skipped=[str(p) for p in raw["skipped"]],
                takes_since_break=int(raw["takes_since_break"]),
                sitting_started=str(raw["sitting_started"]),
                accent_asked=bool(raw.get("accent_asked", False)),
                format_version=int(raw["format_version"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise CorruptFileError(
                f"The recording session {source} is damaged ({exc}); it was left untouched. "
                "Your takes are safe in the voice's takes folder.") from exc


class RecordingSession:
    """A voice's guided recording in one language, saved after every step."""

    def __init__(self, voice: Voice, lang: str, checker: TakeChecker | None = None) -> None:
        if lang not in voice.manifest.languages:
            raise UserInputError(f"{voice.name} is not set up for '{lang}'.")
        self.voice = voice
        self.lang = lang
        self.corpus = load_corpus(lang)
        self.state = self._load()
        self.checker = checker or TakeChecker(lang, voice.manifest.accent)
        self.checker.own_paces = [t.pace for t in self.state.takes
                                  if t.status == "kept" and t.pace is not None]
        self.selector = CoverageSelector(self.corpus)
        self._replan()
        self._no_recognizer = False
        self.recovered = self._recover()

    @classmethod
    def open(cls, data_dir: Path, voice_name: str, lang: str | None = None,
             checker: TakeChecker | None = None) -> RecordingSession:
        voice = VoiceLibrary(Path(data_dir)).find(voice_name)
        return cls(voice, lang or voice.manifest.languages[0], checker)

    # -- state on disk --------------------------------------------------------------------

    @property
    def state_path(self) -> Path:
        return self.voice.subfolder("takes") / SESSION_FILE.format(lang=self.lang)

    def _load(self) -> SessionState:
        raw = read_versioned_json(self.state_path, "recording session", SESSION_FORMAT)
        if raw is None:
            return SessionState(lang=self.lang)
        return SessionState.from_json(raw, self.state_path)

    def _save(self) -> None:
        atomic_write_json(self.state_path, asdict(self.state))

    def _replan(self) -> None:
        self.selector = CoverageSelector(self.corpus)
        for take in self.state.takes:
            if take.status == "kept":
                self.selector.record(self.corpus.prompt(take.prompt_id).units, take.prompt_id)
        for prompt_id in self.state.skipped:
            self.selector.skip(prompt_id)

    def _recover(self) -> list[TakeEntry]:
        """Takes a crash cut short (finished as WAVs), and finished takes the session never
        registered (the app closed, or the voice was busy, before the take was saved): each
        is checked and added like any other take."""
        folder = self.voice.subfolder("takes")
        recover_partial_takes(folder)
        known = {Path(t.file).name for t in self.state.takes}
        known |= {Path(t.path).name for t in Dataset.open(self.voice).takes}
        orphans = sorted(p for p in folder.glob(f"{TAKE_PREFIX}-*.wav") if p.name not in known)
        entries = []
        for path in orphans:
            named = _TAKE_NAME.fullmatch(path.stem)
            try:
                prompt = self.corpus.prompt(named.group(1) if named else "")
            except UserInputError:
                continue  # another language's take, or not one of ours
            try:
                entries.append(self.add_take(path, prompt))
            except VoiceStudioError as exc:  # the voice is busy: the file waits for next time
                log.warning("could not add the recovered take %s yet: %s", path.name, exc)
                continue
            log.info("recovered the take %s", path.name)
        return entries

    def use_installed_recognizer(self, data_dir: Path) -> bool:
        """Check the words of each take with the installed speech recogniser, if any.

        Loading one takes seconds, so call this from a job, not the UI thread; without one
        every sound check still runs.
        """
        if self.checker.recognizer is None and not self._no_recognizer:
            from voicestudio.services.dataset import load_transcriber

            try:
                self.checker.recognizer = load_transcriber(Path(data_dir), self.lang)
            except VoiceStudioError as exc:
                log.info("recording without word checks: %s", exc)
                self._no_recognizer = True
        return self.checker.recognizer is not None

    # -- prompts and targets --------------------------------------------------------------

    def next_prompt(self) -> Prompt | None:
        return self.selector.next_prompt()

    def skip(self, prompt: Prompt) -> None:
        """Pass a prompt over (hard to read, or the speaker would rather not)."""
        self.state.skipped.append(prompt.id)
        self.selector.skip(prompt.id)
        self._save()

    def set_target(self, key: str) -> None:
        self.state.target = target(key).key
        self._save()

    def confirm_accent(self, accent: str) -> None:
        """The person's answer to the accent question: saved in the voice, asked no more."""
        self.voice = change_accent(self.voice, accent)
        self.checker.accent = accent
        self.state.accent_asked = True
        self._save()

    @property
    def target(self) -> Target:
        return target(self.state.target)

    @property
    def kept_seconds(self) -> float:
        return sum(t.seconds for t in self.state.takes if t.status == "kept")

    @property
    def progress(self) -> float:
        return min(self.kept_seconds / self.target.seconds, 1.0)

    def progress_words(self) -> str:
        minutes, seconds = divmod(round(self.kept_seconds), 60)
        kept = sum(1 for t in self.state.takes if t.status == "kept")
        done = " Target reached: well done!" if self.progress >= 1 else ""
        return (f"{minutes}:{seconds:02d} of good speech in {kept} sentences, toward "
                f"{self.target.title.lower()}.{done}")

    def coverage(self) -> CoverageReport:
        return self.selector.report()

    # -- breaks ---------------------------------------------------------------------------

    @property
    def needs_break(self) -> bool:
        started = datetime.fromisoformat(self.state.sitting_started)
        sitting = (datetime.now(UTC) - started).total_seconds()
        return self.state.takes_since_break >= BREAK_AFTER_TAKES or (
            self.state.takes_since_break > 0 and sitting >= BREAK_AFTER_SECONDS)

    def take_break(self) -> None:
        """The speaker rested: count the next stretch from now."""
        self.state.takes_since_break = 0
        self.state.sitting_started = now_iso()
        self._save()

    # -- takes ----------------------------------------------------------------------------

    def new_take_path(self, prompt: Prompt) -> Path:
        """Where the next take of ``prompt`` streams to (its name says which prompt)."""
        folder = self.voice.subfolder("takes")
        folder.mkdir(parents=True, exist_ok=True)
        number = 1
        while any(folder.glob(f"{TAKE_PREFIX}-{prompt.id}-{number}.wav*")):
            number += 1
        return folder / f"{TAKE_PREFIX}-{prompt.id}-{number}.wav"

    def check_take(self, path: Path, prompt: Prompt) -> TakeCheck:
        samples, rate = sf.read(path, dtype="float32", always_2d=False)
        return self.checker.check(samples, rate, prompt.text, prompt.phones)

    def add_take(self, path: Path, prompt: Prompt, check: TakeCheck | None = None
                 ) -> TakeEntry:
        """Check a finished take and add it to the dataset (kept only if it passed)."""
        from voicestudio.audio.importer import import_file

        check = check or self.check_take(path, prompt)
        recording = import_file(path, SEGMENT_SAMPLE_RATE)
        rate_ratio = SEGMENT_SAMPLE_RATE / sf.info(str(path)).samplerate
        start = round(check.trim_start * rate_ratio)
        end = min(round(check.trim_end * rate_ratio), recording.samples.size)
        clip = recording.samples[start:end]
        take_id = path.stem
        problems = [p.message for p in check.problems]
        flags = quality_flags(clip, SEGMENT_SAMPLE_RATE, recording.gain, None, None)
        flags += [str(p.kind) for p in check.failures if str(p.kind) not in flags]
        with voice_lock(self.voice, "saving a recorded take"):
            dataset = Dataset.open(self.voice)
            segment_id = dataset.new_segment_id(take_id, 1)
            audio_path, audio_sha = dataset.write_segment_audio(segment_id, clip)
            segment = SegmentRecord(
                id=segment_id, take_id=take_id, sample_rate=SEGMENT_SAMPLE_RATE,
                start_sample=start, end_sample=end, audio_path=audio_path,
                audio_sha256=audio_sha, text=prompt.text, lang=self.lang,
                # The text is the prompt the person read (its standard form when they speak
                # with an accent), not a recogniser's guess.
                text_checked=True, flags=flags, kept=check.passed,
            )
            take = TakeRecord(
                id=take_id, path=path.relative_to(self.voice.folder).as_posix(),
                original_name=path.name, sha256=sha256_file(path), imported=now_iso(),
                duration_seconds=round(recording.duration_seconds, 3), gain=recording.gain,
                original_sample_rate=recording.original_sample_rate,
                original_channels=recording.original_channels,
            )
            dataset.add_take(take, [segment])
        entry = TakeEntry(
            take_id=take_id, prompt_id=prompt.id, file=take.path, recorded=now_iso(),
            status="kept" if check.passed else "failed",
            seconds=round(segment.duration_seconds, 3), pace=check.pace, problems=problems,
            segment_id=segment_id, passed=check.passed,
        )
        self.state.takes.append(entry)
        self.state.takes_since_break += 1
        if check.passed:
            self.selector.record(prompt.units, prompt.id)
            self.checker.remember_pace(check.pace)
        self._save()
        return entry

    def entry(self, take_id: str) -> TakeEntry:
        for take in self.state.takes:
            if take.take_id == take_id:
                return take
        raise UserInputError(f"There is no take {take_id} in this session.")

    def _set_status(self, take_id: str, status: str, kept: bool) -> TakeEntry:
        entry = self.entry(take_id)
        with voice_lock(self.voice, "changing a recorded take"):
            dataset = Dataset.open(self.voice)
            if entry.segment_id is not None:
                dataset.set_kept(entry.segment_id, kept)
                dataset.set_deleted(entry.segment_id, status == "deleted")
        entry.status = status
        self._replan()
        self._save()
        return entry

    def keep_anyway(self, take_id: str) -> TakeEntry:
        """The person keeps a take the checks failed: it trains like any other."""
        entry = self._set_status(take_id, "kept", kept=True)
        entry.kept_anyway = True
        self._save()
        return entry

    def delete_take(self, take_id: str) -> TakeEntry:
        """Delete a take (its file and segment stay, so ``restore_take`` brings it back)."""
        entry = self.entry(take_id)
        entry.kept_anyway = entry.kept_anyway and entry.status == "kept"
        return self._set_status(take_id, "deleted", kept=False)

    def restore_take(self, take_id: str) -> TakeEntry:
        entry = self.entry(take_id)
        if entry.status != "deleted":
            return entry
        passed = entry.passed or entry.kept_anyway
        return self._set_status(take_id, "kept" if passed else "failed", kept=passed)

    def last_take(self) -> TakeEntry | None:
        return self.state.takes[-1] if self.state.takes else None

    # -- consent --------------------------------------------------------------------------

    @property
    def has_consent(self) -> bool:
        return self.voice.manifest.consent is not None

    def consent_take_path(self) -> Path:
        folder = self.voice.subfolder("takes")
        folder.mkdir(parents=True, exist_ok=True)
        stamp = now_iso().replace(":", "").replace("+", "_")
        return folder / f"{CONSENT_PREFIX}-{stamp}.wav"

    def record_consent(self, path: Path, speaker: str, given_by: str = "", relation: str = ""
                       ) -> ConsentRecord:
        """Store the spoken consent (its sentence, date and audio hash) in the manifest."""
        statement = consent_sentence(self.lang, speaker, given_by, relation)
        consent = ConsentRecord(
            speaker=" ".join(speaker.split()),
            given_by=" ".join(given_by.split()) or " ".join(speaker.split()),
            statement=statement,
            relation=" ".join(relation.split()),
            audio_path=Path(path).relative_to(self.voice.folder).as_posix(),
            audio_sha256=sha256_file(Path(path)),
        )
        with voice_lock(self.voice, "saving the consent"):
            # Re-read first: the dataset's summary in the manifest changes with every take.
            self.voice = Voice.open(self.voice.folder)
            self.voice.manifest.consent = consent
            self.voice.save()
        return consent
