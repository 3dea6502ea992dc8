"""``voicestudio bank export|import``: the voice bank, one open archive of a voice's data."""

from __future__ import annotations

import argparse
from pathlib import Path

from voicestudio.project.settings import resolve_data_dir
from voicestudio.text.wording import count


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "bank", help="save a voice's recordings and transcripts as one open archive, or "
        "restore one")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    export = actions.add_parser("export", help="write the voice bank of a voice")
    export.add_argument("voice")
    export.add_argument("file", metavar="FILE",
                        help="the archive to write (a folder: <voice>.voicebank.zip in it)")
    export.set_defaults(func=_export)

    restore = actions.add_parser("import", help="restore a voice bank as a new voice")
    restore.add_argument("file", metavar="FILE")
    restore.add_argument("--name", help="the new voice's name (default: the one saved)")
    restore.set_defaults(func=_import)

    for action in (export, restore):
        action.add_argument("--data-dir", default=argparse.SUPPRESS,
                            help="folder holding voices and base models")


def _export(args: argparse.Namespace) -> int:
    from voicestudio.cli.dataset import run_job
    from voicestudio.services.voice_bank import export_bank

    code, report = run_job(lambda progress, cancel: export_bank(
        resolve_data_dir(args.data_dir), args.voice, Path(args.file), progress, cancel))
    if code:
        return code
    print(f"saved the voice bank of {report.voice} to {report.path}: {report.clips} clips, "
          f"{report.originals} original recordings")
    return 0


def _import(args: argparse.Namespace) -> int:
    from voicestudio.cli.dataset import run_job
    from voicestudio.services.voice_bank import import_bank

    code, report = run_job(lambda progress, cancel: import_bank(
        resolve_data_dir(args.data_dir), Path(args.file), args.name, progress, cancel))
    if code:
        return code
    print(f"restored voice {report.voice}: {count(report.segments, 'segment')} "
          f"({report.clips} clips kept for training), {report.originals} original recordings")
    return 0
