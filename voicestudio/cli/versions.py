"""``voicestudio versions``: a voice's trained model versions.

    voicestudio versions VOICE                    list (date, preset, data, scores, active)
    voicestudio versions activate VOICE ID        make ID the version that speaks
    voicestudio versions delete VOICE ID          remove ID and its files
    voicestudio versions export VOICE ID DIR      write the GPT-SoVITS .ckpt + .pth + README
    voicestudio versions import NAME CKPT PTH     a new voice from GPT-SoVITS v2 files
"""

from __future__ import annotations

import argparse

from voicestudio.cli.follow_up import follow_up, quoted
from voicestudio.errors import UserInputError
from voicestudio.project.settings import resolve_data_dir

ACTIONS = {"activate": 2, "delete": 2, "export": 3, "import": 3}  # action -> arguments


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "versions", help="list, activate, delete, export or import a voice's model versions",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("words", nargs="+", metavar="ARG",
                        help="VOICE, or activate|delete VOICE ID, export VOICE ID DIR, "
                        "import NAME CKPT PTH")
    parser.add_argument("--lang", action="append", choices=("zh", "en"),
                        help="language(s) of an imported voice (default: zh and en)")
    parser.set_defaults(func=_versions)


def _versions(args: argparse.Namespace) -> int:
    from voicestudio.project.library import VoiceLibrary
    from voicestudio.services import versions

    data_dir = resolve_data_dir(args.data_dir)
    action, rest = args.words[0], args.words[1:]
    if action not in ACTIONS:
        if rest:
            raise UserInputError(
                f"Unknown action “{action}”. Use: versions VOICE, or versions "
                "activate|delete|export|import …")
        return _list(VoiceLibrary(data_dir).find(action), args)
    if len(rest) != ACTIONS[action]:
        usage = {"activate": "VOICE ID", "delete": "VOICE ID", "export": "VOICE ID DIR",
                 "import": "NAME CKPT PTH"}[action]
        raise UserInputError(f"Usage: voicestudio versions {action} {usage}")
    if action == "import":
        voice, version = versions.import_version(data_dir, rest[0], rest[1], rest[2],
                                                 args.lang or ["zh", "en"])
        print(f"Imported “{voice.name}” (version {version.version_id}); try it: "
              f"voicestudio speak --voice \"{voice.name}\" --ref CLIP --ref-text \"…\" "
              "--text \"…\" -o out.wav")
        return 0
    voice = VoiceLibrary(data_dir).find(rest[0])
    if action == "activate":
        version = versions.activate_version(voice, rest[1])
        print(f"Version {version.version_id} now speaks for “{voice.name}”.")
    elif action == "delete":
        version = versions.delete_version(voice, rest[1])
        print(f"Deleted version {version.version_id} of “{voice.name}”.")
    else:
        for path in versions.export_version(voice, rest[1], rest[2]):
            print(f"Wrote {path}")
    return 0


def _list(voice, args: argparse.Namespace) -> int:
    from voicestudio.services.training import paused_runs
    from voicestudio.services.versions import list_versions

    rows = list_versions(voice)
    for paused in paused_runs(voice):
        name, run_id = quoted(voice.name), paused.version_id
        print(f"paused run {paused.describe()}: continue with "
              f"`{follow_up(args, 'train', name, '--resume', run_id)}`, or free the space "
              f"with `{follow_up(args, 'train', name, '--discard', run_id)}`")
    if not rows:
        print(f"“{voice.name}” has no trained versions yet: "
              f"{follow_up(args, 'train', quoted(voice.name))}")
        return 0
    print(f"{'':2}{'ID':22} {'DATE':10}  {'PRESET':9} {'DATA':>6}  SCORES")
    for row in rows:
        v = row.version
        scores = ", ".join(
            ([f"similarity {v.scores['similarity']:.2f}"] if "similarity" in v.scores else [])
            + ([f"WER {v.scores['wer']:.0%}"] if "wer" in v.scores else [])) or "not scored"
        print(f"{'* ' if row.active else '  '}{v.version_id:22} {v.created[:10]:10}  "
              f"{v.preset:9} {v.data_seconds:5.0f}s  {scores}")
    print("* = active (speaks for the voice)")
    return 0
