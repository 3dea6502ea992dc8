"""``voicestudio speak``: synthesise text in a voice, zero-shot or with a trained voice.

    voicestudio speak --ref REF.wav --ref-text "…" --text "…" [--lang zh|en|auto]
                      [--seed N] -o OUT.wav
    voicestudio speak --voice NAME --text "…" -o OUT.wav

Zero-shot uses the base models; ``--voice`` speaks as the app's Try panel does
(``services.speech``): the voice's active trained S1/S2 (the base models while it is
untrained) and, without ``--ref``, its best clean 3-10 s segment and that segment's
transcript. Progress goes to stderr as one line; Ctrl-C cancels.
"""

from __future__ import annotations

import argparse
import sys

from voicestudio.errors import UserInputError
from voicestudio.project.settings import resolve_data_dir


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("speak", help="say some text in a voice (writes 32 kHz WAV/FLAC/MP3/OGG)")
    p.add_argument("--ref", metavar="FILE",
                   help="reference clip of the voice: 3-10 s of one person speaking, any format "
                   "(optional with --voice: its best segment is used)")
    p.add_argument("--ref-text", default="", metavar="TEXT",
                   help="exactly what is said in the reference clip (recommended; without it "
                   "only the sound of the voice is copied)")
    p.add_argument("--ref-lang", choices=("zh", "en", "auto", "all_zh"),
                   help="language of the reference text (default: --lang)")
    text = p.add_mutually_exclusive_group(required=True)
    text.add_argument("--text", metavar="TEXT", help="what to say")
    text.add_argument("--text-file", metavar="FILE",
                      help="read what to say from a text file (UTF-8, UTF-16, Latin-1 or GBK)")
    p.add_argument("--lang", choices=("zh", "en", "auto", "all_zh"), default="auto",
                   help="language of the text: zh (Chinese, English words allowed), en, auto "
                   "(default) or all_zh")
    p.add_argument("--voice", metavar="NAME",
                   help="speak in this voice (its active model version)")
    p.add_argument("--seed", type=int, help="same seed, same audio (default: random)")
    p.add_argument("--speed", type=float, default=1.0, help="speaking speed, 0.6-1.65")
    p.add_argument("--device", default="auto", choices=("auto", "cuda", "mps", "cpu"))
    p.add_argument("--no-trim", action="store_true",
                   help="refuse a reference longer than 10 s instead of using its best part")
    p.add_argument("-o", "--output", required=True, metavar="OUT.wav",
                   help="file to write; its extension sets the format: .wav, .flac, .mp3, .ogg")
    p.add_argument("--data-dir", default=argparse.SUPPRESS,
                   help="folder holding voices and base models")
    p.set_defaults(func=_speak)


def _speak(args: argparse.Namespace) -> int:
    text = _check_inputs(args)  # before the seconds of importing and loading models
    from transformers.utils import logging as hf_logging

    from voicestudio.cli.progress import progress_job
    from voicestudio.project.library import VoiceLibrary
    from voicestudio.services.speech import speech_for
    from voicestudio.synthesis.pipeline import (
        ModelFiles,
        SynthesisRequest,
        speak_to_file,
        voice_frontend,
    )

    hf_logging.disable_progress_bar()  # its per-model bars would break the progress line
    data_dir = resolve_data_dir(args.data_dir)
    reference, reference_text, reference_lang = args.ref, args.ref_text, args.ref_lang
    if args.voice:
        voice = VoiceLibrary(data_dir).find(args.voice)
        speech = speech_for(data_dir, voice)
        files = speech.files
        if not reference:
            clip = speech.require_reference(
                voice.name, 'Pass one with --ref FILE --ref-text "what is said in it".')
            reference, reference_text, reference_lang = clip.path, clip.text, clip.lang
    elif not reference:
        raise UserInputError("Give a reference clip with --ref FILE (or a --voice NAME).")
    else:
        files = ModelFiles.base(data_dir)
    request = SynthesisRequest(
        text=text, reference=reference, reference_text=reference_text, lang=args.lang,
        reference_lang=reference_lang, seed=args.seed, speed=args.speed,
        trim_long_reference=not args.no_trim,
    )
    frontend = voice_frontend(voice.folder) if args.voice else None  # its lexicon
    with progress_job() as (line, token):
        result = speak_to_file(files, request, args.output, args.device, line, token, frontend)
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"Wrote {args.output}: {result.seconds:.2f} s, {len(result.sentences)} sentence(s), "
          f"{result.sample_rate} Hz, seed {result.seed}")
    return 0


def _check_inputs(args: argparse.Namespace) -> str:
    """Refuse what cannot work (output format, reference file, text) before loading models;
    returns the text to speak."""
    from voicestudio.audio.encode import check_output_path
    from voicestudio.audio.problems import AudioProblem
    from voicestudio.synthesis.reference import load_reference
    from voicestudio.text.language_check import wrong_language_message
    from voicestudio.text.text_files import read_text_file

    check_output_path(args.output)
    if args.text_file:
        text = read_text_file(args.text_file, prefer_chinese=args.lang in ("zh", "all_zh"))
    else:
        text = args.text
    problem = wrong_language_message(text, args.lang)
    if problem:
        raise UserInputError(problem)
    if args.ref:
        try:  # prepared as synthesis will prepare it: too short, silent, damaged, missing
            load_reference(args.ref, args.ref_text, trim_long=not args.no_trim)
        except AudioProblem as exc:
            raise UserInputError(f"The reference clip {exc.reason} Choose another --ref clip.") \
                from None
    return text
