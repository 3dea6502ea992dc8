"""A narration project on disk: a book (chapters of text) read in one voice, with every
sentence's takes.

A project is a folder in the voice's ``narrations/``: ``narration.json`` (metadata, chapters,
sentence takes), an optional cover image, a ``lexicon.json`` of its own pronunciations,
``cache/`` (every rendered sentence, keyed by what made it) and ``exports/``. The JSON is the
only index, so it is saved atomically and a damaged or newer file is reported, never
rewritten.

Sentences are matched to their records by their words and how often those words occurred
before in the chapter, not by position: editing one sentence, or moving a paragraph, keeps
every other sentence's takes, approval and seed.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from voicestudio.errors import CorruptFileError, UserInputError
from voicestudio.project.atomic import atomic_write_bytes, atomic_write_json
from voicestudio.project.documents import read_versioned_json
from voicestudio.project.voice import Voice, now_iso

NARRATION_FILE = "narration.json"
FORMAT_VERSION = 1
CHAPTER_KINDS = ("chapter", "front", "back")  # front/back matter: title page, credits, notes
DISCLOSURE = "Narrated by a digital voice: this audiobook was made with synthetic speech."
COVER_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}
_SEED_SPACE = 2**62


@dataclass
class Take:
    """One rendering of a sentence: the seed it used, where its audio is cached, its checks."""

    seed: int
    key: str  # cache key of the audio (see synthesis.narration.cache_key)
    seconds: float
    problems: list[str] = field(default_factory=list)  # failed checks, in words
    created: str = field(default_factory=now_iso)

    @property
    def passed(self) -> bool:
        return not self.problems


@dataclass
class SentenceRecord:
    """What the project remembers about one sentence of a chapter."""

    words: str  # the sentence as written in the chapter (its identity with ``occurrence``)
    occurrence: int  # 0 for the first sentence with these words in the chapter, 1 for the next
    seed: int  # the sentence's own seed: its first take uses it, later takes derive from it
    takes: list[Take] = field(default_factory=list)
    chosen: int = -1  # index of the take the chapter uses; -1 = none yet
    approved: bool = False  # locked: never re-rendered, even when its inputs change

    @property
    def take(self) -> Take | None:
        return self.takes[self.chosen] if 0 <= self.chosen < len(self.takes) else None


@dataclass
class Chapter:
    id: str
    title: str
    text: str
    kind: str = "chapter"
    sentences: list[SentenceRecord] = field(default_factory=list)


@dataclass
class NarrationSettings:
    """How the whole book is read: the same settings in chapter 1 and chapter 30."""

    lang: str = "auto"
    speed: float = 1.0
    sentence_pause: float = 0.3
    paragraph_pause: float = 0.8
    chapter_pause: float = 2.0  # silence between the chapter title and its first sentence
    batch_size: int = 8
    check_retries: int = 2  # extra takes with other seeds for a sentence that fails a check
    seed: int = 0  # the book's seed; every sentence's seed derives from it and its words
    # The clip the whole book copies its delivery from, fixed when rendering first starts so
    # new recordings of the voice never change how later chapters sound ("" = not yet).
    reference: str = ""
    reference_text: str = ""
    reference_lang: str = ""


@dataclass
class NarrationProject:
    folder: Path
    title: str
    author: str = ""
    narrator: str = ""
    cover: str = ""  # file name of the cover image in the folder; "" = none
    disclosure: str = DISCLOSURE
    chapters: list[Chapter] = field(default_factory=list)
    settings: NarrationSettings = field(default_factory=NarrationSettings)
    source: str = ""  # fingerprint of the imported book file (re-running resumes it)
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    created: str = field(default_factory=now_iso)
    format_version: int = FORMAT_VERSION

    # Files --------------------------------------------------------------------------------
    @property
    def path(self) -> Path:
        return self.folder / NARRATION_FILE

    @property
    def cache_folder(self) -> Path:
        return self.folder / "cache"

    @property
    def exports_folder(self) -> Path:
        return self.folder / "exports"

    @property
    def cover_path(self) -> Path | None:
        return self.folder / self.cover if self.cover else None

    def save(self) -> None:
        atomic_write_json(self.path, self.to_json())

    def to_json(self) -> dict[str, Any]:
        raw = asdict(self)
        raw.pop("folder")
        return raw

    @classmethod
    def open(cls, folder: Path) -> NarrationProject:
        folder = Path(folder)
        path = folder / NARRATION_FILE
        raw = read_versioned_json(path, "narration", FORMAT_VERSION)
        if raw is None:
            raise CorruptFileError(f"{folder} has no {NARRATION_FILE}; it is not a narration.")
        try:
            chapters = [
                Chapter(
                    id=str(c["id"]), title=str(c["title"]), text=str(c["text"]),
                    kind=str(c.get("kind", "chapter")),
                    sentences=[
                        SentenceRecord(
                            words=str(s["words"]), occurrence=int(s["occurrence"]),
                            seed=int(s["seed"]), takes=[Take(**t) for t in s.get("takes", [])],
                            chosen=int(s.get("chosen", -1)),
                            approved=bool(s.get("approved", False)),
                        )
                        for s in c.get("sentences", [])
                    ],
                )
                for c in raw["chapters"]
            ]
            return cls(
                folder=folder, title=str(raw["title"]), author=str(raw.get("author", "")),
                narrator=str(raw.get("narrator", "")), cover=str(raw.get("cover", "")),
                disclosure=str(raw.get("disclosure", DISCLOSURE)), chapters=chapters,
                settings=NarrationSettings(**raw.get("settings", {})),
                source=str(raw.get("source", "")), id=str(raw["id"]),
                created=str(raw["created"]), format_version=int(raw["format_version"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise CorruptFileError(
                f"The narration {path} is damaged ({exc}). It was left untouched; restore it "
                "from a backup."
            ) from exc

    # Chapters -----------------------------------------------------------------------------
    def chapter(self, chapter_id: str) -> Chapter:
        for chapter in self.chapters:
            if chapter.id == chapter_id:
                return chapter
        raise UserInputError(f"This narration has no chapter {chapter_id!r}.")

    def add_chapter(self, title: str, text: str, kind: str = "chapter",
                    index: int | None = None) -> Chapter:
        if kind not in CHAPTER_KINDS:
            raise UserInputError(f"A chapter is one of: {', '.join(CHAPTER_KINDS)}.")
        chapter = Chapter(uuid.uuid4().hex[:12], title.strip() or "Untitled", text, kind)
        self.chapters.insert(len(self.chapters) if index is None else index, chapter)
        return chapter

    def remove_chapter(self, chapter_id: str) -> None:
        self.chapters.remove(self.chapter(chapter_id))

    def move_chapter(self, chapter_id: str, index: int) -> None:
        chapter = self.chapter(chapter_id)
        self.chapters.remove(chapter)
        self.chapters.insert(max(0, min(index, len(self.chapters))), chapter)

    def set_cover(self, image: Path | bytes, suffix: str = ".jpg") -> None:
        """Copy a JPEG or PNG cover into the project folder."""
        if isinstance(image, Path):
            suffix = image.suffix
            try:
                data = image.read_bytes()
            except OSError as exc:
                raise UserInputError(f"Cannot read the cover image {image}: {exc.strerror}.") \
                    from exc
        else:
            data = image
        suffix = suffix.lower()
        if suffix not in COVER_TYPES:
            raise UserInputError("A cover must be a JPEG or PNG image.")
        name = f"cover{'.jpg' if suffix == '.jpeg' else suffix}"
        atomic_write_bytes(self.folder / name, data)
        self.cover = name

    def sentence_seed(self, words: str, occurrence: int) -> int:
        """A sentence's seed: fixed by the book's seed and the sentence itself, so edits
        elsewhere never change how this sentence sounds."""
        digest = hashlib.sha256(
            f"{self.settings.seed}\0{words}\0{occurrence}".encode()).digest()
        return int.from_bytes(digest[:8], "big") % _SEED_SPACE


def records_for(project: NarrationProject, chapter: Chapter, words: list[str]
                ) -> list[SentenceRecord]:
    """The chapter's records for these sentences (in order), reusing every record whose words
    still occur and creating fresh ones for new sentences; the chapter keeps the new list."""
    by_identity = {(r.words, r.occurrence): r for r in chapter.sentences}
    seen: dict[str, int] = {}
    records = []
    for text in words:
        occurrence = seen.get(text, 0)
        seen[text] = occurrence + 1
        record = by_identity.get((text, occurrence))
        if record is None:
            record = SentenceRecord(text, occurrence, project.sentence_seed(text, occurrence))
        records.append(record)
    chapter.sentences = records
    return records


def _folder_name(title: str) -> str:
    cleaned = re.sub(r'[/\\:*?"<>|\s]+', " ", title).strip()[:60].strip() or "Narration"
    return cleaned


def create_narration(voice: Voice, title: str, author: str = "", narrator: str = ""
                     ) -> NarrationProject:
    """A new, empty narration in the voice's ``narrations/`` (a unique folder per title)."""
    title = " ".join(title.split())
    if not title:
        raise UserInputError("A narration needs a title, for example the book's.")
    base = voice.subfolder("narrations")
    name = _folder_name(title)
    folder, number = base / name, 2
    while folder.exists():
        folder, number = base / f"{name} ({number})", number + 1
    folder.mkdir(parents=True)
    project = NarrationProject(folder, title, author, narrator or voice.name)
    project.settings.lang = "en" if voice.manifest.languages == ["en"] else "auto"
    project.settings.seed = int.from_bytes(uuid.uuid4().bytes[:8], "big") % _SEED_SPACE
    project.save()
    return project


def list_narrations(voice: Voice) -> list[NarrationProject]:
    """The voice's narrations, oldest first; damaged ones are skipped (and left alone)."""
    base = voice.subfolder("narrations")
    projects = []
    for folder in sorted(base.iterdir()) if base.is_dir() else []:
        if (folder / NARRATION_FILE).is_file():
            try:
                projects.append(NarrationProject.open(folder))
            except CorruptFileError:
                continue
    return sorted(projects, key=lambda p: p.created)
