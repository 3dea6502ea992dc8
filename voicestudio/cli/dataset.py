"""``voicestudio dataset add|list|build``: from recordings to a transcribed dataset with features.

Long jobs print one progress line on stderr. The first Ctrl-C asks the job to stop at its
next safe point (between files or segments, after the last one was saved); the command then
exits with 130 and says so. Running the same command again carries on where it stopped.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from voicestudio.errors import JobCancelled
from voicestudio.project.settings import Settings, resolve_data_dir

STOPPED_MESSAGE = "Stopped. Nothing was lost; run the same command again to continue."


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "dataset", help="add recordings to a voice, list its segments, build training features")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    add = actions.add_parser(
        "add", help="import recordings: cut them at pauses, transcribe and check each segment")
    add.add_argument("voice", help="the voice to add to (see `voicestudio voices list`)")
    add.add_argument("files", nargs="+", metavar="FILE", help="audio or video files")
    add.add_argument("--lang", choices=("zh", "en", "auto"), default="auto",
                     help="language spoken (default: the voice's; auto-detect if it has two)")
    add.set_defaults(func=_add)
    _data_dir_option(add)

    listing = actions.add_parser("list", help="show a voice's segments and a summary")
    listing.add_argument("voice")
    listing.add_argument("--json", action="store_true", help="print one JSON object")
    listing.set_defaults(func=_list)
    _data_dir_option(listing)

    build = actions.add_parser(
        "build", help="compute training features of the kept segments (only what changed)")
    build.add_argument("voice")
    build.add_argument("--device", choices=("auto", "cuda", "mps", "cpu"),
                       help="where to compute (default: the Settings choice)")
    build.set_defaults(func=_build)
    _data_dir_option(build)


def _data_dir_option(parser: argparse.ArgumentParser) -> None:
    """``--data-dir`` after the action too (``dataset list VOICE --data-dir DIR``)."""
    parser.add_argument("--data-dir", default=argparse.SUPPRESS,
                        help="folder holding voices and base models")


def _run_job(job) -> int:
    """Run ``job(progress, cancel)`` with a progress line and Ctrl-C as a clean stop."""
    from voicestudio.cli.progress import progress_job

    try:
        with progress_job() as (line, token):
            job(line, token)
    except JobCancelled:
        print(STOPPED_MESSAGE, file=sys.stderr)
        return 130
    return 0


def _add(args: argparse.Namespace) -> int:
    from voicestudio.services.dataset import add_recordings, dataset_stats, open_dataset

    data_dir = resolve_data_dir(args.data_dir)
    reports = []

    def job(progress, cancel) -> None:
        reports.append(add_recordings(data_dir, args.voice, [Path(f) for f in args.files],
                                      language=args.lang, progress=progress, cancel=cancel))

    code = _run_job(job)
    if code:
        return code
    report = reports[0]
    for path, count in report.added:
        print(f"added {path.name}: {count} segments")
    for path in report.already_added:
        print(f"skipped {path.name}: already in this voice")
    for path, message in report.skipped:
        print(f"skipped {path.name}: {message}")
    print(dataset_stats(open_dataset(data_dir, args.voice)).line())
    # Every file failing is an error for a script; some failing is reported above.
    return 2 if report.skipped and not (report.added or report.already_added) else 0


def _list(args: argparse.Namespace) -> int:
    from voicestudio.services.dataset import dataset_stats, open_dataset, short_text

    dataset = open_dataset(resolve_data_dir(args.data_dir), args.voice)
    stats = dataset_stats(dataset)
    if args.json:
        print(json.dumps({
            "voice": dataset.voice.name,
            "summary": stats.to_json(),
            "segments": [s.to_json() for s in dataset.segments],
        }, ensure_ascii=False, indent=2))
        return 0
    if not dataset.segments:
        print(f"{dataset.voice.name} has no segments yet. Add recordings with "
              f"`voicestudio dataset add \"{dataset.voice.name}\" FILE…`.")
        return 0
    width = max(len(s.id) for s in dataset.segments)
    print(f"{'ID':<{width}}  {'LENGTH':>6}  KEPT  {'FLAGS':<24}  TEXT")
    for s in dataset.segments:
        flags = ",".join(s.flags) or "-"
        print(f"{s.id:<{width}}  {s.duration_seconds:5.1f}s  {'yes' if s.kept else 'no ':<4}  "
              f"{short_text(flags, 24):<24}  {short_text(s.text, 60) or '(no text)'}")
    print(stats.line())
    return 0


def _build(args: argparse.Namespace) -> int:
    from voicestudio.services.dataset import build_dataset, dataset_stats, open_dataset

    data_dir = resolve_data_dir(args.data_dir)
    device = args.device or Settings.load().compute_device
    reports = []

    def job(progress, cancel) -> None:
        reports.append(build_dataset(data_dir, args.voice, device, progress, cancel))

    code = _run_job(job)
    if code:
        return code
    report = reports[0]
    print(f"features: {len(report.computed)} computed, {len(report.unchanged)} unchanged, "
          f"{len(report.removed)} removed, {len(report.failed)} failed")
    for segment_id, message in report.failed:
        print(f"left out {segment_id}: {message}")
    print(dataset_stats(open_dataset(data_dir, args.voice)).line())
    return 0
