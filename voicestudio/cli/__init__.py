"""Command line: ``voicestudio <command> …``; with no command it starts the application.

Each command group lives in its own module under ``voicestudio/cli/`` and exposes
``register(subparsers)``; heavy imports (torch, transformers) happen inside the handlers so
``voicestudio --help`` stays fast. Errors meant for the user are printed as one line and
exit with code 2; a cancelled job (Ctrl-C) exits with 130 after leaving a consistent state.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence

from voicestudio import __version__
from voicestudio.errors import VoiceStudioError

# Modules under voicestudio/cli/ that add commands; a module that is missing is skipped so a
# partially installed tree still offers what it has.
COMMAND_MODULES = ("voices", "phonemes", "models", "speak", "dataset", "train", "bank",
                   "narrate", "versions")

log = logging.getLogger(__name__)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own usage errors also exit 2
        self.print_usage(sys.stderr)
        self.exit(2, f"error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="voicestudio", description="Clone a voice and use it.")
    parser.add_argument("--version", action="version", version=f"VoiceStudio {__version__}")
    parser.add_argument(
        "--data-dir",
        help="folder holding voices and base models (default: your user data folder; "
        "or set VOICESTUDIO_DATA_DIR)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"voicestudio.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"voicestudio.cli.{name}":
                raise
            continue
        module.register(sub)
    _accept_data_dir_everywhere(sub)
    return parser


def _quiet_third_party_progress() -> None:
    """Commands print one progress line of their own; the bars that Hugging Face libraries
    and tqdm draw while loading weights would break it (and flood a piped log)."""
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TQDM_DISABLE", "1")
    for name in ("transformers", "huggingface_hub"):
        if name in sys.modules:  # imported before us: their flag was read already
            module = sys.modules[name]
            utils = getattr(module, "utils", None)
            logging_utils = getattr(utils, "logging", None)
            for switch in (getattr(logging_utils, "disable_progress_bar", None),
                           getattr(utils, "disable_progress_bars", None)):
                if callable(switch):
                    switch()


def _accept_data_dir_everywhere(sub: argparse._SubParsersAction) -> None:
    """``--data-dir`` after the command too (``voices list --data-dir DIR``), on every command.

    Its default is suppressed so that a value given before the command is kept.
    """
    for parser in sub.choices.values():
        if "--data-dir" not in parser._option_string_actions:
            parser.add_argument("--data-dir", default=argparse.SUPPRESS,
                                help="folder holding voices and base models")
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                _accept_data_dir_everywhere(action)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        from voicestudio.app.main import run_app

        return run_app(data_dir=args.data_dir)
    from voicestudio.logs import setup_logging

    setup_logging()
    _quiet_third_party_progress()
    try:
        return int(args.func(args) or 0)
    except VoiceStudioError as exc:
        log.info("command %s failed: %s", args.command, exc)
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("cancelled", file=sys.stderr)
        return 130
    except OSError as exc:
        # Every save is atomic, so a full disk mid-command changed nothing: say so plainly.
        # Any other OSError is a bug to report, so it keeps its traceback.
        from voicestudio.project.disk import disk_full_error, is_disk_full
        from voicestudio.project.settings import resolve_data_dir

        folder = resolve_data_dir(getattr(args, "data_dir", None))
        if not is_disk_full(exc, folder):
            raise
        log.info("command %s failed: %s", args.command, exc)
        print(f"error: {disk_full_error(folder)}", file=sys.stderr)
        return 2
