"""``voicestudio phonemes``: show how the frontend reads a text (why a word sounds wrong).

Prints one JSON object with the normalised text, phones, phones-per-character and model
ids; ``--jsonl`` reads ``{"text": ..., "lang": ...}`` per stdin line and answers per line.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from voicestudio.errors import UserInputError, VoiceStudioError

LANG_CHOICES = ("auto", "zh", "en")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "phonemes",
        help="show the phonemes VoiceStudio reads for a text",
        description="Print the normalised text, phones, word2ph and phone ids as JSON.",
    )
    parser.add_argument("text", nargs="?", help="the text to read (omit with --jsonl)")
    parser.add_argument(
        "--lang", choices=LANG_CHOICES, default="auto",
        help="zh: Chinese with English words; en: all English; auto: split by script (default)",
    )
    parser.add_argument(
        "--jsonl", action="store_true",
        help='read one {"text": ..., "lang": ...} object per stdin line, write one per line',
    )
    parser.add_argument(
        "--lexicon", type=Path, action="append", default=[],
        help="a voice or narration folder whose lexicon.json applies (repeatable; later wins)",
    )
    parser.set_defaults(func=run_phonemes)


def _result_json(frontend: Any, text: str, lang: str) -> dict[str, Any]:
    if lang not in LANG_CHOICES:
        raise UserInputError(f"Unknown language '{lang}'; use one of: {', '.join(LANG_CHOICES)}.")
    if not text.strip():
        raise UserInputError("The text is empty; type something to read.")
    result = frontend.phonemize(text, lang)
    return {
        "norm_text": result.norm_text,
        "phones": result.phones,
        "word2ph": result.word2ph,
        "phone_ids": result.phone_ids,
        "segments": [
            {"lang": s.lang, "norm_text": s.norm_text, "phones": s.phones, "word2ph": s.word2ph}
            for s in result.segments
        ],
    }


def _jsonl_line(frontend: Any, line: str) -> dict[str, Any]:
    try:
        request = json.loads(line)
    except ValueError as exc:
        raise UserInputError(f"This line is not JSON: {exc}") from exc
    if not isinstance(request, dict) or not isinstance(request.get("text"), str):
        raise UserInputError('Each line must be an object like {"text": "...", "lang": "zh"}.')
    return _result_json(frontend, request["text"], str(request.get("lang", "auto")))


def _load_frontend(folders: list[Path]) -> Any:
    from voicestudio.text.frontend import TextFrontend
    from voicestudio.text.lexicon import load_merged_lexicon

    for folder in folders:
        if not folder.is_dir():
            raise UserInputError(f"No folder at {folder} (give a voice or narration folder).")
    return TextFrontend(load_merged_lexicon(*folders))


def run_phonemes(args: argparse.Namespace) -> int:
    if not args.jsonl and args.text is None:
        raise UserInputError("Give a TEXT to read, or --jsonl to read requests from stdin.")
    frontend = _load_frontend(args.lexicon)
    if not args.jsonl:
        print(json.dumps(_result_json(frontend, args.text, args.lang), ensure_ascii=False))
        return 0
    failures = 0
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            answer = _jsonl_line(frontend, line)
        except VoiceStudioError as exc:
            failures += 1
            answer = {"error": str(exc)}
        print(json.dumps(answer, ensure_ascii=False), flush=True)
    return 2 if failures else 0
