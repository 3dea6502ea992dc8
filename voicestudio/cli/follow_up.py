"""Commands the CLI prints for the person to run next ("Resume with: …", "Use it: …").

A printed command must work when pasted: if this run was pointed at a data folder with
``--data-dir``, the next one must be too, or it would act on another folder (or on none).
"""

from __future__ import annotations

import argparse
import shlex


def quoted(text: str) -> str:
    """A voice name or path as one shell word, in the double quotes people expect."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def follow_up(args: argparse.Namespace, *words: str) -> str:
    """``voicestudio [--data-dir DIR] WORDS…`` for the folder this command used."""
    data_dir = getattr(args, "data_dir", None)
    prefix = ["voicestudio"] + (["--data-dir", shlex.quote(str(data_dir))] if data_dir else [])
    return " ".join(prefix + list(words))
