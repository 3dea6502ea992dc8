"""``voicestudio train VOICE``: fine-tune a voice's models, with progress; Ctrl-C pauses.

The same job as the Train page's button (``services.training.train_voice``), after the same
readiness check: a voice that cannot be trained (no consent, too little speech, no base models,
no room) is refused in one line with exit code 2 before anything starts, and what would make
the voice better is printed as warnings. Each scored
checkpoint is printed; the best one is kept and its version becomes the active one, which
``voicestudio speak --voice NAME`` uses. The first Ctrl-C saves the full training state and
exits with 130 and the command that continues the run.
"""

from __future__ import annotations

import argparse
import sys

from voicestudio.cli.follow_up import follow_up, quoted
from voicestudio.errors import DiskFullError, JobCancelled
from voicestudio.project.library import VoiceLibrary
from voicestudio.project.settings import DEVICE_CHOICES, Settings, resolve_data_dir
from voicestudio.training.notices import Notice

LATEST = "latest"


def register(sub: argparse._SubParsersAction) -> None:
    from voicestudio.training.presets import DEFAULT_PRESET, PRESETS

    parser = sub.add_parser(
        "train", help="fine-tune a voice's models on its prepared dataset",
        description="Fine-tune the voice (S2) and text (S1) models on the voice's prepared "
        "dataset. Ctrl-C pauses; --resume continues.",
    )
    parser.add_argument("voice")
    parser.add_argument(
        "--preset", choices=tuple(PRESETS), default=DEFAULT_PRESET,
        help="; ".join(f"{p.name}: {p.s2_epochs}+{p.s1_epochs} epochs, {p.description}"
                       for p in PRESETS.values()),
    )
    parser.add_argument("--epochs-s2", type=int, help="SoVITS (S2) epochs (overrides preset)")
    parser.add_argument("--epochs-s1", type=int, help="GPT (S1) epochs (overrides preset)")
    parser.add_argument("--device", choices=DEVICE_CHOICES,
                        help="where to train (default: the Settings choice)")
    parser.add_argument("--batch-size-s2", type=int, help="clips per S2 step (default: auto)")
    parser.add_argument("--batch-size-s1", type=int, help="clips per S1 step (default: auto)")
    parser.add_argument("--save-every", type=int, default=4,
                        help="write the model files every N epochs (default 4)")
    parser.add_argument("--lora-rank", type=int, default=0,
                        help="train S1 through LoRA adapters of this rank (0 = full fine-tune)")
    parser.add_argument("--no-early-stop", action="store_true",
                        help="train every epoch even when the checkpoint scores stop improving")
    parser.add_argument("--no-scoring", action="store_true",
                        help="do not hold segments out or score checkpoints (keep the last)")
    parser.add_argument(
        "--resume", nargs="?", const=LATEST, metavar="RUN",
        help="continue the latest unfinished run (or the run with this id)",
    )
    parser.add_argument(
        "--discard", metavar="RUN",
        help="delete the paused run RUN (its saved state) instead of training, to free space",
    )
    parser.set_defaults(func=_train)


def _train(args: argparse.Namespace) -> int:
    from voicestudio.cli.progress import progress_job
    from voicestudio.services.training import open_run, paused_runs, train_voice
    from voicestudio.training.run import TrainingPlan

    data_dir = resolve_data_dir(args.data_dir)
    voice = VoiceLibrary(data_dir).find(args.voice)
    if args.discard:
        from voicestudio.services.training import discard_paused_run

        print(f"Discarded paused run {discard_paused_run(voice, args.discard).describe()}.")
        return 0
    device = args.device or Settings.load().compute_device
    _check_ready(data_dir, voice, args.device or device)
    if args.resume:
        run = open_run(data_dir, voice, resume=args.resume, device=args.device)
        print(f"Resuming training run {run.version_id} of “{voice.name}”.", file=sys.stderr)
    else:
        for paused in paused_runs(voice):
            name, run_id = quoted(voice.name), paused.version_id
            print(f"Note: run {paused.describe()} is paused; "
                  f"`{follow_up(args, 'train', name, '--resume', run_id)}` continues it, "
                  f"`{follow_up(args, 'train', name, '--discard', run_id)}` frees the space.",
                  file=sys.stderr)
        plan = TrainingPlan(
            preset=args.preset, s2_epochs=args.epochs_s2, s1_epochs=args.epochs_s1,
            device=device, s2_batch_size=args.batch_size_s2, s1_batch_size=args.batch_size_s1,
            save_every_epoch=args.save_every, s1_lora_rank=args.lora_rank,
            early_stop=not args.no_early_stop,
        )
        run = open_run(data_dir, voice, plan)

    def show_scores(update) -> None:
        if update.scores:
            print(f"checkpoint: {update.message}", flush=True)
        elif update.notice in (Notice.CHECKS_OFF, Notice.EARLY_STOP):
            print(update.message, flush=True)

    try:
        with progress_job() as (line, token):
            version = train_voice(data_dir, voice, progress=line, cancel=token,
                                  on_update=show_scores, run=run,
                                  scorer=None if args.no_scoring else "listen")
    except JobCancelled as exc:
        print(str(exc), file=sys.stderr)
        print("Resume with: "
              + follow_up(args, "train", quoted(voice.name), "--resume", run.version_id),
              file=sys.stderr)
        return 130
    except DiskFullError as exc:  # the CLI's error handler says it, with how to go on
        if not any(paused.version_id == run.version_id for paused in paused_runs(voice)):
            raise
        resume = follow_up(args, "train", quoted(voice.name), "--resume", run.version_id)
        raise DiskFullError(f"{exc}\nOnce there is room, resume with: {resume}") from exc
    print(f"Trained model version {version.version_id} of “{voice.name}” "
          f"({version.data_seconds:.0f} s of speech, preset {version.preset}):")
    print(f"  {voice.folder / version.s2_path}")
    print(f"  {voice.folder / version.s1_path}")
    if version.scores:
        wer = version.scores.get("wer")
        print(f"Kept the best checkpoint: similarity {version.scores['similarity']:.2f}"
              + (f", WER {wer:.0%}." if wer is not None else " (words not checked: no speech "
                 "recogniser installed)."))
    print(f"Active version: {version.version_id} "
          f"(`{follow_up(args, 'versions', quoted(voice.name))}` lists them all).")
    print("Use it: " + follow_up(args, "speak", "--voice", quoted(voice.name), "--text", '"…"',
                                 "-o", "out.wav"))
    return 0


def _check_ready(data_dir, voice, device: str) -> None:
    """The Train page's readiness check: UserInputError (exit 2) when training cannot start,
    the other problems as warnings on stderr."""
    from voicestudio.errors import UserInputError
    from voicestudio.services import training

    readiness = training.check_readiness(data_dir, voice, device)
    if not readiness.can_start:
        raise UserInputError(readiness.headline)
    for problem in readiness.problems:
        print(f"warning: {problem.message}", file=sys.stderr)
    for note in readiness.notes:  # e.g. checkpoints not judged: a model is not installed
        print(f"note: {note}", file=sys.stderr)

