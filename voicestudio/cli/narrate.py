"""``voicestudio narrate``: a book read aloud in a voice, checked and exported.

    voicestudio narrate BOOK.(txt|md|epub) --voice NAME --out DIR
                        [--format m4b|mp3|flac|wav] [--preset acx|google|apple|spotify]

The book becomes a narration in the voice's ``narrations/`` folder; every sentence is rendered,
checked (and retried with other seeds when a check fails) and cached, then the chapters are
exported with subtitles and a compliance report. Running the same command again resumes:
only sentences not made yet are rendered. Ctrl-C stops at the next batch.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from voicestudio.project.settings import resolve_data_dir


def register(sub: argparse._SubParsersAction) -> None:
    from voicestudio.audio.publishing import FORMATS, PRESETS

    p = sub.add_parser("narrate", help="read a book aloud in a voice and export audiobook files")
    p.add_argument("book", metavar="BOOK", help="a .txt, .md or .epub file")
    p.add_argument("--voice", required=True, metavar="NAME", help="the voice that reads it")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the exported files")
    p.add_argument("--format", choices=FORMATS,
                   help="m4b: one audiobook file with chapter marks (default); mp3, flac, wav: "
                   "a file per chapter")
    p.add_argument("--preset", choices=sorted(PRESETS),
                   help="master and check for a distributor: " + "; ".join(
                       f"{k} = {v.name}" for k, v in PRESETS.items()))
    p.add_argument("--lang", choices=("zh", "en", "auto", "all_zh"),
                   help="language of the book (default: from the voice)")
    p.add_argument("--ref", metavar="FILE",
                   help="reference clip to copy the delivery from (default: the voice's best)")
    p.add_argument("--ref-text", default="", metavar="TEXT", help="what is said in --ref")
    p.add_argument("--retries", type=int, metavar="N",
                   help="extra takes for a sentence that fails a check (default 2)")
    p.add_argument("--no-asr", action="store_true",
                   help="skip the transcript check even when a speech-recognition model is "
                   "installed (faster)")
    p.add_argument("--device", default="auto", choices=("auto", "cuda", "mps", "cpu"))
    p.add_argument("--data-dir", default=argparse.SUPPRESS,
                   help="folder holding voices and base models")
    p.set_defaults(func=_narrate)


def _narrate(args: argparse.Namespace) -> int:
    from transformers.utils import logging as hf_logging

    from voicestudio.cli.progress import progress_job
    from voicestudio.errors import UserInputError
    from voicestudio.project.library import VoiceLibrary
    from voicestudio.services.narration import narrate
    from voicestudio.services.speech import ReferenceClip

    hf_logging.disable_progress_bar()
    data_dir = resolve_data_dir(args.data_dir)
    book = Path(args.book)
    if not book.is_file():
        raise UserInputError(f"There is no book file {book}.")
    if args.retries is not None and not 0 <= args.retries <= 10:
        raise UserInputError("--retries must be between 0 and 10.")
    voice = VoiceLibrary(data_dir).find(args.voice)
    reference = None
    if args.ref:
        if not Path(args.ref).is_file():
            raise UserInputError(f"There is no reference clip {args.ref}.")
        reference = ReferenceClip(Path(args.ref), args.ref_text, None)
    with progress_job() as (line, token):
        outcome = narrate(data_dir, voice, book, Path(args.out), args.format, args.preset,
                          args.device, reference, not args.no_asr, args.retries, args.lang,
                          line, token)
    if outcome.resumed:
        print(f"note: continued the narration in {outcome.project.folder}", file=sys.stderr)
    for report in outcome.reports:
        print(report.summary())
        for failed in report.failed:
            print(f"  flagged: sentence {failed.index + 1} “{failed.words}”: "
                  + "; ".join(failed.problems))
    export = outcome.export
    for path in export.files:
        print(f"Wrote {path}")
    verdict = "every file complies" if export.passed else "some files do NOT comply"
    preset = f" with the {args.preset} rules" if args.preset else ""
    print(f"Report: {export.report_path} ({verdict}{preset})")
    print(f"Disclosure in the files' metadata: {outcome.project.disclosure}")
    return 0
