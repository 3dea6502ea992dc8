"""``voicestudio models list|download|import|import-asr|import-speaker-encoder|verify``: install
the base models.

Each subcommand is one ``add_<name>(actions)`` function that declares its arguments and sets
``func``; adding a subcommand means writing one such function and listing it in
``SUBCOMMANDS``. Long jobs print one progress line on stderr, and Ctrl-C cancels them
cleanly (a download keeps its ``.part`` files, so running it again resumes); a second
Ctrl-C stops at once.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from voicestudio.cli.follow_up import follow_up
from voicestudio.cli.progress import progress_job
from voicestudio.project.settings import resolve_data_dir


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "models", help="install and list base models (GPT-SoVITS v2, speech recognition)")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    for add in SUBCOMMANDS:
        add(actions)


def add_list(actions: argparse._SubParsersAction) -> None:
    p = actions.add_parser("list", help="show which base models are installed or missing")
    p.add_argument("--json", action="store_true", help="print one JSON object per model")
    p.set_defaults(func=_list)


def add_download(actions: argparse._SubParsersAction) -> None:
    p = actions.add_parser(
        "download", help="download base models from the Hugging Face hub (resumable)")
    p.add_argument("ids", nargs="*", metavar="ID",
                   help="models to download (default: every required GPT-SoVITS model); "
                   "see `voicestudio models list`")
    p.add_argument("--endpoint", metavar="URL",
                   help="hub or mirror to download from (default: HF_ENDPOINT or "
                   "https://huggingface.co)")
    p.add_argument("--force", action="store_true", help="download again even if installed")
    _family_option(p)
    p.set_defaults(func=_download)


def _family_option(p: argparse.ArgumentParser) -> None:
    from voicestudio.hub.families import FAMILIES

    p.add_argument("--family", choices=list(FAMILIES), default=None,
                   help="model family: " + "; ".join(f.label for f in FAMILIES.values())
                   + " (default: the one chosen in Settings)")


def add_import(actions: argparse._SubParsersAction) -> None:
    p = actions.add_parser(
        "import", help="install the base models from an existing GPT-SoVITS folder")
    p.add_argument("folder", metavar="GPT_SOVITS_DIR",
                   help="the GPT-SoVITS folder (or its GPT_SoVITS/pretrained_models folder)")
    _copy_option(p)
    p.add_argument("--force", action="store_true", help="replace models already installed")
    p.set_defaults(func=_import)


def add_import_asr(actions: argparse._SubParsersAction) -> None:
    p = actions.add_parser(
        "import-asr", help="install a local faster-whisper (CTranslate2) model folder")
    p.add_argument("folder", metavar="DIR",
                   help="folder holding model.bin, config.json, tokenizer.json, vocabulary.*")
    p.add_argument("--name", required=True,
                   help="name to install it under, e.g. base, small.en (becomes whisper-NAME)")
    _copy_option(p)
    p.set_defaults(func=_import_asr)


def add_import_speaker_encoder(actions: argparse._SubParsersAction) -> None:
    from voicestudio.hub.pypi_wheel import WHEEL_SOURCES

    source = WHEEL_SOURCES["speaker-encoder"]
    p = actions.add_parser(
        "import-speaker-encoder",
        help=f"install the speaker-check model from the {source.project} {source.version} "
        f"wheel you already have (`{source.pip_command}`)")
    p.add_argument("path", metavar="FILE",
                   help=f"{source.filename}, a folder holding it, or its pretrained.pt")
    p.set_defaults(func=_import_speaker_encoder)


def _copy_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--copy", action="store_true",
                   help="always copy (default: hard-link when on the same drive, saving space)")


def add_verify(actions: argparse._SubParsersAction) -> None:
    p = actions.add_parser("verify", help="re-check installed models against their checksums")
    p.add_argument("ids", nargs="*", metavar="ID", help="models to check (default: all installed)")
    p.set_defaults(func=_verify)


def add_install_tiny(actions: argparse._SubParsersAction) -> None:
    p = actions.add_parser(
        "install-tiny", help="install tiny random base models (for tests and demos only)")
    p.add_argument("--data-dir", default=argparse.SUPPRESS,
                   help="folder holding voices and base models")
    p.add_argument("--force", action="store_true",
                   help="replace real (downloaded or imported) base models too")
    _family_option(p)
    p.set_defaults(func=_install_tiny)


SUBCOMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [
    add_list, add_download, add_import, add_import_asr, add_import_speaker_encoder, add_verify,
    add_install_tiny,
]


# ---------------------------------------------------------------------------------------------
# Handlers


def _list(args: argparse.Namespace) -> int:
    from voicestudio.hub.status import installed_summary, list_models
    from voicestudio.project.disk import format_bytes

    data_dir = resolve_data_dir(args.data_dir)
    states = list_models(data_dir)
    for s in states:
        size = s.model.total_bytes if s.model else s.spec.approx_bytes
        if args.json:
            row = {"id": s.spec.id, "title": s.spec.title, "kind": s.spec.kind,
                   "state": s.state, "required": s.spec.required, "bytes": size,
                   "folder": str(s.folder), "problem": s.problem,
                   "source": s.model.source if s.model else None,
                   "resumable_bytes": s.resumable_bytes}
            print(json.dumps(row, ensure_ascii=False))
            continue
        shown = format_bytes(size) if s.model else (f"~{format_bytes(size)}" if size else "")
        extra = ""
        if s.state == "damaged":
            extra = f"  ({s.problem})"
        elif s.state == "tiny":
            extra = f"  ({s.model.note})" if s.model else ""
        elif s.resumable_bytes:
            extra = f"  ({format_bytes(s.resumable_bytes)} downloaded, will resume)"
        print(f"{s.spec.id:<18}{s.state:<11}{shown:>10}  {s.spec.title}{extra}")
    if not args.json:
        print(installed_summary(data_dir).message)
    return 0


def _download(args: argparse.Namespace) -> int:
    from voicestudio.hub.download import download
    from voicestudio.hub.layout import install_dir
    from voicestudio.services.base_model_downloads import download_ids

    data_dir = resolve_data_dir(args.data_dir)
    ids = args.ids or download_ids(data_dir, args.family)  # what the app's Download fetches
    with progress_job() as (line, token):
        # download() rejects unknown ids before fetching anything.
        installed = download(data_dir, ids, endpoint=args.endpoint, progress=line,
                             cancel=token, force=args.force)
    if installed:
        for model in installed:
            print(f"Installed {model.id} in {install_dir(data_dir, model.id)}")
    else:
        print("Everything asked for is already installed.")
    return 0


def _import(args: argparse.Namespace) -> int:
    from voicestudio.hub.importer import import_gptsovits

    data_dir = resolve_data_dir(args.data_dir)
    with progress_job() as (line, token):
        report = import_gptsovits(data_dir, Path(args.folder), progress=line, cancel=token,
                                  link=not args.copy, force=args.force)
    for model in report.installed:
        print(f"Imported {model.id} ({model.folder})")
    for spec_id in report.already_installed:
        print(f"Kept {spec_id}: already installed (use --force to replace it)")
    for spec_id, files in report.not_found.items():
        print(f"Not found: {spec_id} (missing {files})")
    if report.not_found:
        print("Download the rest with: "
              + follow_up(args, "models", "download", *report.not_found))
    return 0


def _import_asr(args: argparse.Namespace) -> int:
    from voicestudio.hub.importer import import_asr

    data_dir = resolve_data_dir(args.data_dir)
    with progress_job() as (line, token):
        model = import_asr(data_dir, Path(args.folder), args.name, progress=line, cancel=token,
                           link=not args.copy)
    print(f"Imported speech recognition model {model.id} ({model.folder})")
    return 0


def _import_speaker_encoder(args: argparse.Namespace) -> int:
    from voicestudio.hub.pypi_wheel import install_from_file

    data_dir = resolve_data_dir(args.data_dir)
    with progress_job() as (line, token):
        model = install_from_file(data_dir, "speaker-encoder", Path(args.path), progress=line,
                                  cancel=token)
    print(f"Installed the speaker-check model {model.id} ({model.folder})")
    return 0


def _verify(args: argparse.Namespace) -> int:
    from voicestudio.errors import MissingModelError
    from voicestudio.hub.catalogue import get_spec
    from voicestudio.hub.meter import ByteMeter
    from voicestudio.hub.status import list_models, verify_installed

    data_dir = resolve_data_dir(args.data_dir)
    states = {s.spec.id: s for s in list_models(data_dir)}
    if args.ids:
        ids = [get_spec(i).id for i in args.ids]
    else:
        ids = [i for i, s in states.items() if s.state != "missing"]
    if not ids:
        print("No base models are installed.")
        return 0
    total = sum(states[i].model.total_bytes for i in ids if i in states and states[i].model)
    failed = 0
    with progress_job() as (line, token):
        meter = ByteMeter(total, 0, line, "Checking")
        for spec_id in ids:
            def counted(n: int, label: str = spec_id) -> None:
                token.raise_if_cancelled()
                meter.advance(n, label)

            try:
                verify_installed(data_dir, spec_id, counted)
            except MissingModelError as exc:
                failed += 1
                print(f"\nerror: {exc}", file=sys.stderr)
            else:
                print(f"{spec_id}: OK")
    return 2 if failed else 0


def _install_tiny(args: argparse.Namespace) -> int:
    from voicestudio.hub.families import chosen_family
    from voicestudio.hub.layout import install_dir
    from voicestudio.hub.marker import TINY_NOTE
    from voicestudio.synthesis.tiny_models import install_tiny_base_models

    data_dir = resolve_data_dir(args.data_dir)
    family = args.family or chosen_family().id
    with progress_job() as (line, token):
        installed = install_tiny_base_models(data_dir, progress=line, cancel=token,
                                             force=args.force, family=family)
    for model in installed:
        print(f"Installed {model.id} in {install_dir(data_dir, model.id)}")
    print(f"Base models: {TINY_NOTE}. They make noise, not speech; run "
          f"`{follow_up(args, 'models', 'download')}` for the real ones.")
    return 0
