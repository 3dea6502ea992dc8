"""Narration use cases the Narrate page and ``voicestudio narrate`` share.

Which model and reference speak is ``services.speech``'s decision (the voice's active
version, else the base models; its best clean clip unless the caller names one). One
engine per project reads the whole book with that one reference and one set of settings.
Rendering is a heavy job (``services.heavy_jobs``): it waits for no training and holds the
voice's lock, so the voice cannot be renamed, deleted or retrained under a running narration.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from voicestudio.errors import MissingModelError, UserInputError
from voicestudio.jobs import CancelToken, ProgressCallback, ProgressTracker
from voicestudio.project.book_import import ImportedBook, add_book, read_book
from voicestudio.project.narration import NarrationProject, create_narration, list_narrations
from voicestudio.project.voice import Voice
from voicestudio.services.heavy_jobs import HEAVY_JOBS
from voicestudio.services.speech import ReferenceClip, speech_for
from voicestudio.text.lexicon import load_lexicon, load_merged_lexicon, save_lexicon

log = logging.getLogger(__name__)

NO_REFERENCE_HOW = ("Record or import a few clean clips of the voice first, or choose a "
                    "reference clip and type what is said in it.")
OPENING_CREDITS = "Opening credits"
CLOSING_CREDITS = "Closing credits"


def book_fingerprint(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def import_book(voice: Voice, path: Path, title: str | None = None,
                front_matter: bool = True) -> NarrationProject:
    """A new narration holding the book at ``path`` (chapters, metadata, cover)."""
    book = read_book(path)
    return project_from_book(voice, book, title, front_matter, book_fingerprint(path))


def project_from_book(voice: Voice, book: ImportedBook, title: str | None = None,
                      front_matter: bool = True, source: str = "") -> NarrationProject:
    project = create_narration(voice, title or book.title, book.author)
    add_book(project, book, front_matter)
    project.source = source
    project.save()
    return project


def find_or_import(voice: Voice, path: Path, title: str | None = None,
                   front_matter: bool = True) -> tuple[NarrationProject, bool]:
    """The voice's narration of this very file (same bytes) if one exists, so running the
    same command again resumes it; else a new import. Returns (project, resumed)."""
    fingerprint = book_fingerprint(path)
    for project in list_narrations(voice):
        if project.source == fingerprint and (title is None or project.title == title):
            return project, True
    return import_book(voice, path, title, front_matter), False


def recogniser_for(data_dir: Path, lang: str):
    """The installed Whisper model for the transcript check, or None when there is none."""
    from voicestudio.services.dataset import load_transcriber

    try:
        return load_transcriber(Path(data_dir), None if lang in ("auto", "all_zh") else lang)
    except MissingModelError:
        return None


def narration_engine(data_dir: Path, voice: Voice, project: NarrationProject,
                     device: str = "auto", reference: ReferenceClip | None = None,
                     use_recogniser: bool = True):
    """The engine that renders ``project`` in ``voice``."""
    from voicestudio.synthesis.narration import NarrationEngine, SynthesizerRenderer
    from voicestudio.synthesis.narration_checks import SentenceChecker
    from voicestudio.synthesis.pipeline import SynthesisRequest, get_synthesizer

    speech = speech_for(Path(data_dir), voice)
    clip = reference or book_reference(project) or speech.require_reference(
        voice.name, NO_REFERENCE_HOW)
    keep_reference(project, clip)
    settings = SynthesisRequest(
        text="-", reference=clip.path, reference_text=clip.text, lang=project.settings.lang,
        reference_lang=clip.lang if clip.lang in ("zh", "en") else None,
    )
    renderer = SynthesizerRenderer(get_synthesizer(speech.files, device), settings)
    recogniser = recogniser_for(data_dir, project.settings.lang) if use_recogniser else None
    language = project.settings.lang if project.settings.lang in ("zh", "en") else None
    return NarrationEngine(project, renderer, load_merged_lexicon(voice.folder, project.folder),
                           SentenceChecker(recogniser, language))


def book_reference(project: NarrationProject) -> ReferenceClip | None:
    """The clip this narration was started with, while it is still on disk."""
    settings = project.settings
    if settings.reference and Path(settings.reference).is_file():
        return ReferenceClip(Path(settings.reference), settings.reference_text,
                             settings.reference_lang or None)
    return None


def keep_reference(project: NarrationProject, clip: ReferenceClip) -> None:
    """Fix ``clip`` as the narration's reference (saved), so every chapter uses it."""
    settings = project.settings
    if (settings.reference, settings.reference_text) != (str(clip.path), clip.text):
        settings.reference, settings.reference_text = str(clip.path), clip.text
        settings.reference_lang = clip.lang or ""
        project.save()


def render_book(voice: Voice, engine, chapter_ids: Sequence[str] | None = None,
                progress: ProgressCallback | None = None, cancel: CancelToken | None = None):
    """Render the chapters (all by default) one after the other; a list of ChapterReport."""
    tracker = ProgressTracker(progress, cancel)
    ids = list(chapter_ids or [c.id for c in engine.project.chapters])
    reports = []
    title = engine.project.title
    with HEAVY_JOBS.claim(f"Narrating “{title}” with “{voice.name}”", voice, "narrating a book"):
        for number, chapter_id in enumerate(ids):
            reports.append(engine.render_chapter(
                chapter_id, tracker.sub(number / len(ids), (number + 1) / len(ids)).callback(),
                tracker.cancel))
    return reports


def ensure_credits(project: NarrationProject) -> None:
    """Opening and closing credits as chapters of their own (INaudio asks for separate
    files), each saying the book is narrated by a digital voice."""
    titles = {c.title for c in project.chapters}
    by = f" by {project.author}" if project.author else ""
    if OPENING_CREDITS not in titles:
        project.add_chapter(OPENING_CREDITS, f"{project.title}. Written{by}. Narrated by "
                            f"{project.narrator}, a digital voice.", "front", index=0)
    if CLOSING_CREDITS not in titles:
        project.add_chapter(CLOSING_CREDITS, f"This was {project.title}, written{by}. It was "
                            f"narrated by {project.narrator}, a digital voice. The end.",
                            "back")
    project.save()


def set_pronunciation(voice: Voice, project: NarrationProject | None, word: str,
                      pronunciation: str) -> None:
    """Add a lexicon entry to the project (or the voice when ``project`` is None); the
    sentences it touches go stale and render again. An empty pronunciation removes it."""
    folder = project.folder if project is not None else voice.folder
    lexicon = load_lexicon(folder)
    if pronunciation.strip():
        lexicon.set(word, pronunciation)
    else:
        lexicon.remove(word)
    save_lexicon(folder, lexicon)


@dataclass
class NarrateOutcome:
    project: NarrationProject
    resumed: bool
    reports: list = field(default_factory=list)
    export: object | None = None


def narrate(data_dir: Path, voice: Voice, book: Path, out_dir: Path, fmt: str | None = None,
            preset: str | None = None, device: str = "auto",
            reference: ReferenceClip | None = None, use_recogniser: bool = True,
            check_retries: int | None = None, lang: str | None = None,
            progress: ProgressCallback | None = None, cancel: CancelToken | None = None
            ) -> NarrateOutcome:
    """Import (or resume) a book, render and check every chapter, export with a preset."""
    from voicestudio.audio.publishing import PRESETS
    from voicestudio.synthesis.narration_export import export_narration

    if preset is not None and preset not in PRESETS:
        raise UserInputError(f"Unknown preset '{preset}'; choose one of: {', '.join(PRESETS)}.")
    tracker = ProgressTracker(progress, cancel)
    project, resumed = find_or_import(voice, book)
    if check_retries is not None:
        project.settings.check_retries = check_retries
    if lang is not None:
        project.settings.lang = lang
    if preset is not None and PRESETS[preset].credits:
        ensure_credits(project)
    project.save()
    engine = narration_engine(data_dir, voice, project, device, reference, use_recogniser)
    reports = render_book(voice, engine, None, tracker.sub(0.0, 0.9).callback(),
                          tracker.cancel)
    export = export_narration(engine, out_dir, fmt, preset, None,
                              tracker.sub(0.9, 1.0).callback(), tracker.cancel)
    return NarrateOutcome(project, resumed, reports, export)
