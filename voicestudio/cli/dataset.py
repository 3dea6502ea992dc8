"""``voicestudio dataset add|list|build|edit|import-list``: recordings to a dataset with features.

Long jobs print one progress line on stderr. The first Ctrl-C asks the job to stop at its
next safe point (between files or segments, after the last one was saved); the command then
exits with 130 and says so. Running the same command again carries on where it stopped.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from voicestudio.cli.follow_up import follow_up, quoted
from voicestudio.errors import JobCancelled
from voicestudio.project.settings import Settings, resolve_data_dir
from voicestudio.text.wording import count as count_of

STOPPED_MESSAGE = "Stopped. Nothing was lost; run the same command again to continue."


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "dataset", help="add recordings to a voice, list its segments, build training features")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    add = actions.add_parser(
        "add", help="import recordings: cut them at pauses, transcribe and check each segment")
    add.add_argument("voice", help="the voice to add to (see `voicestudio voices list`)")
    add.add_argument("files", nargs="+", metavar="FILE",
                     help="audio or video files, or folders of them")
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

    edit = actions.add_parser(
        "edit", help="fix one segment without the window: its text, or whether it is used")
    edit.add_argument("voice")
    edit.add_argument("segment", metavar="SEGMENT_ID", help="as `dataset list` shows it")
    edit.add_argument("--text", help="the words actually spoken")
    edit.add_argument("--lang", choices=("zh", "en"), help="the language of --text")
    use = edit.add_mutually_exclusive_group()
    use.add_argument("--exclude", action="store_true", help="leave it out of training")
    use.add_argument("--include", action="store_true", help="train on it again")
    gone = edit.add_mutually_exclusive_group()
    gone.add_argument("--delete", action="store_true", help="delete it (can be restored)")
    gone.add_argument("--restore", action="store_true", help="bring a deleted segment back")
    edit.set_defaults(func=_edit)
    _data_dir_option(edit)

    listed = actions.add_parser(
        "import-list", help="import a GPT-SoVITS training list (path|speaker|lang|text) and "
        "its clips; the voice is created if it does not exist")
    listed.add_argument("voice")
    listed.add_argument("list_file", metavar="LISTFILE")
    listed.add_argument("--audio-dir", help="folder holding the clips (default: the paths "
                        "as listed, or beside the list)")
    listed.set_defaults(func=_import_list)
    _data_dir_option(listed)


def _data_dir_option(parser: argparse.ArgumentParser) -> None:
    """``--data-dir`` after the action too (``dataset list VOICE --data-dir DIR``)."""
    parser.add_argument("--data-dir", default=argparse.SUPPRESS,
                        help="folder holding voices and base models")


def run_job(job) -> tuple[int, object]:
    """Run ``job(progress, cancel)`` with a progress line and Ctrl-C as a clean stop;
    returns (exit code, the job's result)."""
    from voicestudio.cli.progress import progress_job

    try:
        with progress_job() as (line, token):
            return 0, job(line, token)
    except JobCancelled:
        print(STOPPED_MESSAGE, file=sys.stderr)
        return 130, None


def _add(args: argparse.Namespace) -> int:
    from voicestudio.services.dataset import add_recordings, dataset_stats, open_dataset

    data_dir = resolve_data_dir(args.data_dir)
    code, report = run_job(lambda progress, cancel: add_recordings(
        data_dir, args.voice, [Path(f) for f in args.files], language=args.lang,
        progress=progress, cancel=cancel))
    if code:
        return code
    for path, count in report.added:
        print(f"added {path.name}: {count_of(count, 'segment')}")
    for path in report.already_added:
        print(f"skipped {path.name}: already in this voice")
    for path, message in report.skipped:
        print(f"skipped {path.name}: {message}")
    for note in report.notes:
        print(f"note: {note}", file=sys.stderr)
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
              f"`{follow_up(args, 'dataset', 'add', quoted(dataset.voice.name), 'FILE…')}`.")
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
    code, report = run_job(lambda progress, cancel: build_dataset(
        data_dir, args.voice, device, progress, cancel))
    if code:
        return code
    print(f"features: {len(report.computed)} computed, {len(report.unchanged)} unchanged, "
          f"{len(report.removed)} removed, {len(report.failed)} failed")
    for segment_id, message in report.failed:
        print(f"left out {segment_id}: {message}")
    print(dataset_stats(open_dataset(data_dir, args.voice)).line())
    return 0


def _edit(args: argparse.Namespace) -> int:
    from voicestudio.errors import UserInputError
    from voicestudio.services.dataset import open_dataset, short_text

    dataset = open_dataset(resolve_data_dir(args.data_dir), args.voice)
    segment = dataset.segment(args.segment)  # a clear message when there is no such id
    if args.text is None and args.lang is None and not (
            args.exclude or args.include or args.delete or args.restore):
        raise UserInputError("Say what to change: --text, --exclude, --include, --delete "
                             "or --restore.")
    if args.text is not None or args.lang is not None:
        dataset.update_text(segment.id, segment.text if args.text is None else args.text,
                            args.lang)
    if args.exclude or args.include:
        dataset.set_kept(segment.id, args.include)
    if args.delete or args.restore:
        dataset.set_deleted(segment.id, args.delete)
    segment = dataset.segment(segment.id)
    state = "deleted" if segment.deleted else "kept" if segment.kept else "left out"
    print(f"{segment.id}: {state}, {segment.duration_seconds:.1f}s, "
          f"“{short_text(segment.text, 60) or '(no text)'}”")
    return 0


def _import_list(args: argparse.Namespace) -> int:
    from voicestudio.services.dataset import dataset_stats, open_dataset
    from voicestudio.services.list_import import import_list

    data_dir = resolve_data_dir(args.data_dir)
    code, report = run_job(lambda progress, cancel: import_list(
        data_dir, args.voice, Path(args.list_file),
        Path(args.audio_dir) if args.audio_dir else None, progress, cancel))
    if code:
        return code
    if report.created_voice:
        print(f"created voice {report.voice}")
    print(f"imported {len(report.imported)} clips from {Path(args.list_file).name}")
    for listed in report.already_added:
        print(f"skipped {listed}: already in this voice")
    for line, message in report.skipped:
        print(f"skipped line {line}: {message}")
    print(dataset_stats(open_dataset(data_dir, report.voice)).line())
    return 2 if report.skipped and not (report.imported or report.already_added) else 0
