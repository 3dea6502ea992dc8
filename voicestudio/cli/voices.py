"""``voicestudio voices list|create|accent|rename|duplicate|delete|restore|trash``."""

from __future__ import annotations

import argparse
import json

from voicestudio.cli.follow_up import follow_up, quoted
from voicestudio.project.library import VoiceLibrary
from voicestudio.project.settings import MODEL_FAMILY_CHOICES, Settings, resolve_data_dir
from voicestudio.project.voice import ACCENT_CHOICES, DEFAULT_ACCENT, ConsentRecord
from voicestudio.services.voice_settings import change_accent, change_model_family
from voicestudio.text.wording import count


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("voices", help="list, create, rename, delete and restore voices")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    listing = actions.add_parser("list", help="list voices")
    listing.add_argument("--json", action="store_true", help="print one JSON object per voice")
    listing.set_defaults(func=_list)

    create = actions.add_parser("create", help="create an empty voice")
    create.add_argument("name")
    create.add_argument(
        "--lang", action="append", choices=("zh", "en"),
        help="language(s) of the voice (repeatable; default from Settings)",
    )
    create.add_argument("--consent-by", help="who gave consent to clone this voice")
    create.add_argument(
        "--accent", choices=tuple(ACCENT_CHOICES), default=DEFAULT_ACCENT,
        help=_accent_help(),
    )
    create.set_defaults(func=_create)

    accent = actions.add_parser(
        "accent", help="show or set how the voice treats the speaker's pronunciation"
    )
    accent.add_argument("name")
    accent.add_argument("choice", nargs="?", choices=tuple(ACCENT_CHOICES), help=_accent_help())
    accent.set_defaults(func=_accent)

    family = actions.add_parser(
        "family", help="show or set which GPT-SoVITS model family the voice trains and speaks with"
    )
    family.add_argument("name")
    family.add_argument(
        "choice", nargs="?", choices=tuple(MODEL_FAMILY_CHOICES),
        help="v2: smallest and fastest; v2Pro: better likeness, recommended; v2ProPlus: a "
        "little better, a little slower (versions trained before keep their own models)",
    )
    family.set_defaults(func=_family)

    rename = actions.add_parser("rename", help="rename a voice")
    rename.add_argument("name")
    rename.add_argument("new_name")
    rename.set_defaults(func=_rename)

    duplicate = actions.add_parser("duplicate", help="copy a voice under a new name")
    duplicate.add_argument("name")
    duplicate.add_argument("new_name")
    duplicate.set_defaults(func=_duplicate)

    delete = actions.add_parser("delete", help="move a voice to the trash (recoverable)")
    delete.add_argument("name")
    delete.set_defaults(func=_delete)

    restore = actions.add_parser("restore", help="bring a deleted voice back from the trash")
    restore.add_argument("name")
    restore.set_defaults(func=_restore)

    trash = actions.add_parser("trash", help="list deleted voices")
    trash.set_defaults(func=_trash)


def _accent_help() -> str:
    return "; ".join(f"{key}: {title}" for key, (title, _) in ACCENT_CHOICES.items()) + (
        f" (default {DEFAULT_ACCENT})"
    )


def _library(args: argparse.Namespace) -> VoiceLibrary:
    return VoiceLibrary(resolve_data_dir(args.data_dir))


def _list(args: argparse.Namespace) -> int:
    entries = _library(args).entries()
    for entry in entries:
        if args.json:
            row = {"name": entry.name, "folder": str(entry.folder), "problem": entry.problem}
            if entry.voice:
                m = entry.voice.manifest
                row |= {"languages": m.languages, "created": m.created, "accent": m.accent,
                        "segments": m.dataset.segments, "models": len(m.models)}
            print(json.dumps(row, ensure_ascii=False))
        elif entry.voice:
            m = entry.voice.manifest
            print(f"{m.name}\t{','.join(m.languages)}\t{count(m.dataset.segments, 'segment')}"
                  f"\t{count(len(m.models), 'model')}\t{entry.folder}")
        else:
            print(f"{entry.name}\tDAMAGED: {entry.problem}")
    if not entries and not args.json:
        print("No voices yet. Create one with: " + follow_up(args, "voices", "create", "NAME"))
    return 0


def _create(args: argparse.Namespace) -> int:
    default = Settings.load().default_language
    languages = args.lang or (["zh", "en"] if default == "auto" else [default])
    consent = None
    if args.consent_by:
        consent = ConsentRecord(
            speaker=args.name, given_by=args.consent_by,
            statement="Consent given on the command line.",
        )
    voice = _library(args).create(args.name, languages, consent)
    voice = change_accent(voice, args.accent)
    print(f"Created voice “{voice.name}” in {voice.folder}")
    return 0


def _accent(args: argparse.Namespace) -> int:
    voice = _library(args).find(args.name)
    if args.choice:
        voice = change_accent(voice, args.choice)
    title, explanation = ACCENT_CHOICES[voice.manifest.accent]
    print(f"“{voice.name}”: {title}. {explanation}")
    return 0


def _family(args: argparse.Namespace) -> int:
    from voicestudio.hub.families import voice_family

    voice = _library(args).find(args.name)
    if args.choice:
        voice = change_model_family(voice, args.choice)
    family = voice_family(voice)
    where = "" if voice.manifest.model_family else " (the family chosen in Settings)"
    print(f"“{voice.name}” uses {family.label}{where}.")
    return 0


def _rename(args: argparse.Namespace) -> int:
    voice = _library(args).rename(args.name, args.new_name)
    print(f"Renamed to “{voice.name}”")
    return 0


def _duplicate(args: argparse.Namespace) -> int:
    voice = _library(args).duplicate(args.name, args.new_name)
    print(f"Copied to “{voice.name}” in {voice.folder}")
    return 0


def _delete(args: argparse.Namespace) -> int:
    entry = _library(args).delete(args.name)
    print(f"Moved “{entry.name}” to the trash. Undo with: "
          + follow_up(args, "voices", "restore", quoted(entry.name)))
    return 0


def _restore(args: argparse.Namespace) -> int:
    voice = _library(args).restore(args.name)
    if voice is None:
        print(f"Restored the folder of “{args.name}”; its manifest is still damaged.")
    else:
        print(f"Restored “{voice.name}”")
    return 0


def _trash(args: argparse.Namespace) -> int:
    entries = _library(args).trash()
    for entry in entries:
        print(f"{entry.name}\tdeleted {entry.deleted:%Y-%m-%d %H:%M}\t{entry.folder}")
    if not entries:
        print("The trash is empty.")
    return 0
