"""Training a voice, as the Train page and ``voicestudio train`` do it.

Two use cases:

* ``check_readiness``: before anyone waits hours, say in plain words whether the voice can
  be trained (speech time, sound coverage, flagged segments, consent, base models, device,
  free memory and disk), what would make it better, and which page fixes each problem;
* ``train_voice``: the one job behind the "Train" button: claim the heavy-job slot, let the
  warm synthesizers go, compute the missing training features, then fine-tune S2 and S1
  (``training.run``), new or resumed, with one progress bar for the whole run.

Torch is imported inside the functions, so pages can import this module on start-up.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from voicestudio.errors import DiskFullError, MissingModelError, UserInputError
from voicestudio.hub.families import ModelFamily, voice_family
from voicestudio.hub.status import installed_summary, require, require_file
from voicestudio.jobs import CancelToken, Progress, ProgressCallback, ignore_progress
from voicestudio.project.voice import IMPORTED_PRESET, ModelVersion, Voice
from voicestudio.services.heavy_jobs import HEAVY_JOBS
from voicestudio.services.training_speed import StepTimer
from voicestudio.training.notices import Notice
from voicestudio.training.scoring import SCORING_OFF

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from voicestudio.training.base_models import BaseModels
    from voicestudio.training.loop import Reporter
    from voicestudio.training.run import TrainingPlan, TrainingRun
    from voicestudio.training.scoring import CheckpointScorer

# Below this there is too little speech to learn a voice from; from GOOD on, GPT-SoVITS
# users get a recognisable voice (about a minute is what every guide asks for).
MIN_SPEECH_SECONDS = 10.0
GOOD_SPEECH_SECONDS = 60.0
LOW_COVERAGE = 0.5  # under half the language's sounds heard: some words will sound foreign
# A fine-tune holds the models, their gradients and optimiser states, and writes exports and
# a resumable state: in multiples of the base models' size on disk (measured at full size:
# about 3.5 GB of memory and 1.2 GB of state for 0.36 GB of base files).
MEMORY_PER_MODEL_BYTE = 10
DISK_PER_MODEL_BYTE = 4
FEATURES_SHARE = 0.05  # of the whole run's progress bar: computing the training features


@dataclass(frozen=True)
class Problem:
    """One thing in the way of a good voice, with what fixes it: a page to open (and there a
    step), or something the Train page does itself (see ``FIX_ACTIONS``)."""

    message: str
    fix_page: str | None = None  # "record", "edit", "base_models", "settings", "voices"
    fix_label: str = ""  # the button's words, e.g. "Record more"
    blocking: bool = False  # True: training cannot start until it is fixed
    fix_action: str = ""  # one of FIX_ACTIONS, or "" to just open ``fix_page``
    fix_path: Path | None = None  # the folder "open_folder" shows


# What a fix button can do besides opening a page: the Record page's consent step, the
# system's file manager on a folder, or the Advanced batch sizes made smaller.
FIX_ACTIONS = ("consent", "open_folder", "smaller_batches")
SMALL_BATCH = 2  # clips per step when memory is short: slower, but needs less of it


@dataclass(frozen=True)
class Readiness:
    verdict: str  # "ready", "short" (usable but could be better) or "blocked"
    headline: str  # the plain verdict, e.g. "Ready to train."
    problems: tuple[Problem, ...] = ()
    speech_seconds: float = 0.0
    segments: int = 0
    device_label: str = ""
    cpu_only: bool = True
    notes: tuple[str, ...] = field(default=())  # facts worth knowing, not problems
    # preset name -> what it takes on this machine, measured ("About 40 minutes here …")
    preset_times: dict[str, str] = field(default_factory=dict)

    @property
    def can_start(self) -> bool:
        return self.verdict != "blocked"


def _seconds(value: float) -> str:
    return f"{value:.0f} seconds" if value < 120 else f"{value / 60:.0f} minutes"


def check_readiness(
    data_dir: Path, voice: Voice, device: str = "auto",
    available_memory: Callable[[], int] | None = None,
) -> Readiness:
    """Everything worth knowing before training ``voice`` on ``device`` (auto/cuda/mps/cpu)."""
    from voicestudio.project.segments import Dataset
    from voicestudio.services.dataset import dataset_stats

    problems: list[Problem] = []
    stats = dataset_stats(Dataset.open(voice))
    seconds = stats.speech_seconds
    if seconds < MIN_SPEECH_SECONDS:
        problems.append(Problem(
            f"There is {_seconds(seconds)} of speech; training needs at least "
            f"{MIN_SPEECH_SECONDS:.0f} seconds (about a minute gives a good voice).",
            "record", "Record", blocking=True))
    elif seconds < GOOD_SPEECH_SECONDS:
        more = GOOD_SPEECH_SECONDS - seconds
        problems.append(Problem(
            f"Usable but short: record {_seconds(more)} more for better results.",
            "record", "Record more"))
    for coverage in stats.coverage:
        if coverage.total and coverage.fraction < LOW_COVERAGE and seconds >= MIN_SPEECH_SECONDS:
            problems.append(Problem(
                f"The recordings hold {coverage.fraction:.0%} of the {coverage.lang} sounds; "
                "words with the missing ones may sound less like the person.",
                "record", "Record more"))
    if stats.flagged:
        problems.append(Problem(
            f"{stats.flagged} segment{'s are' if stats.flagged != 1 else ' is'} flagged "
            "(noise, clipping, another speaker or a doubtful transcript); check or exclude "
            "them, or they are trained on as they are.", "edit", "Check segments"))
    if voice.manifest.consent is None:
        problems.append(Problem(
            "No consent is recorded for this voice. Record the speaker's consent first: "
            "only clone a voice whose owner agreed.", "record", "Record consent",
            blocking=True, fix_action="consent"))
    missing = []
    family = voice_family(voice)  # v2Pro/v2ProPlus also need the speaker-verification model
    for spec_id in family.required_ids:
        try:
            require(data_dir, spec_id)
        except MissingModelError:
            missing.append(spec_id)
    if missing:
        problems.append(Problem(
            f"Base models needed for training are not installed ({', '.join(missing)}).",
            "base_models", "Install base models", blocking=True))

    label, cpu_only, torch_device = _device(device, problems)
    model_bytes = _base_model_bytes(data_dir, family) if not missing else 0
    times = (_preset_times(data_dir, label, torch_device, model_bytes, stats.kept, cpu_only)
             if torch_device is not None and model_bytes else {})
    _check_room(data_dir, voice.folder, model_bytes, problems, available_memory)
    notes = []
    if cpu_only and model_bytes > 100 * 2**20:
        notes.append("This computer has no graphics card VoiceStudio can use, so training "
                     "runs on the processor: it takes hours and may run overnight. You can "
                     "use the computer meanwhile, and pause and resume at any time.")
    if not _speaker_model_installed(data_dir):
        notes.append("The speaker-check model is not installed, so saved checkpoints cannot "
                     "be judged by how much they sound like the person: the last one is kept. "
                     "Install it on the Base models page (16 MB) to keep the best one.")
    elif not installed_summary(Path(data_dir)).asr:
        notes.append("No speech recogniser is installed, so each checkpoint is judged only by "
                     "how much it sounds like the person, not by whether its words are right. "
                     "Install one on the Base models page to check both.")
    blocking = [p for p in problems if p.blocking]
    if blocking:
        verdict, headline = "blocked", "Cannot start: " + blocking[0].message
    elif any(p.fix_page == "record" for p in problems):
        verdict, headline = "short", problems[0].message
    else:
        verdict, headline = "ready", "Ready to train."
    return Readiness(verdict, headline, tuple(problems), seconds, stats.kept, label, cpu_only,
                     tuple(notes), times)


def _speaker_model_installed(data_dir: Path) -> bool:
    from voicestudio.audio.speakers import SPEAKER_ENCODER_ID

    try:
        require(data_dir, SPEAKER_ENCODER_ID)
    except MissingModelError:
        return False
    return True


def _device(preference: str, problems: list[Problem]) -> tuple[str, bool, Any]:
    from voicestudio.models.devices import resolve_device

    try:
        info = resolve_device(preference)
    except UserInputError as exc:
        problems.append(Problem(str(exc), "settings", "Open Settings", blocking=True))
        return "", True, None
    return info.label, info.device.type == "cpu", info.device


def _preset_times(data_dir: Path, label: str, device: Any, model_bytes: int, n_segments: int,
                  cpu_only: bool) -> dict[str, str]:
    """What each preset takes here, from this machine's measured step times."""
    from voicestudio.services.training_speed import (
        describe_time,
        estimate_seconds,
        measured_speed,
        speed_key,
    )
    from voicestudio.training.batches import epoch_copies
    from voicestudio.training.loop import epoch_steps
    from voicestudio.training.presets import PRESETS, default_batch_size

    speed = measured_speed(data_dir, speed_key(label, model_bytes))
    items = max(1, n_segments) * epoch_copies(max(1, n_segments))
    per_epoch = {stage: epoch_steps(items, default_batch_size(stage, device))
                 for stage in ("s2", "s1")}
    real_models = model_bytes > 100 * 2**20
    return {name: describe_time(estimate_seconds(speed, p.s2_epochs * per_epoch["s2"],
                                                 p.s1_epochs * per_epoch["s1"]),
                                cpu_only, real_models)
            for name, p in PRESETS.items()}


def _base_model_bytes(data_dir: Path, family: ModelFamily) -> int:
    total = 0
    for spec_id in (family.s1, family.s2g, family.s2d):
        try:
            total += require_file(data_dir, spec_id).stat().st_size
        except (MissingModelError, OSError):
            continue
    return total


def _check_room(
    data_dir: Path, folder: Path, model_bytes: int, problems: list[Problem],
    available_memory: Callable[[], int] | None,
) -> None:
    from voicestudio.project.disk import format_bytes

    need_disk = DISK_PER_MODEL_BYTE * model_bytes
    try:
        free_disk = shutil.disk_usage(folder).free
    except OSError:
        free_disk = need_disk
    if free_disk < need_disk:
        problems.append(Problem(
            f"The drive holding the voice has {format_bytes(free_disk)} free; training needs "
            f"about {format_bytes(need_disk)}. Free {format_bytes(need_disk - free_disk)} "
            "first: empty the bin, move or delete old files, or discard a paused training "
            "run.", fix_label="Open the data folder", blocking=True,
            fix_action="open_folder", fix_path=Path(data_dir)))
    need_memory = MEMORY_PER_MODEL_BYTE * model_bytes
    free_memory = (available_memory or _available_memory)()
    if free_memory < need_memory:
        other = HEAVY_JOBS.running
        problems.append(Problem(
            f"{format_bytes(free_memory)} of memory is free; training needs about "
            f"{format_bytes(need_memory)}. "
            + (f"{other.description} is running and holds memory too: let it finish or "
               "cancel it. " if other is not None else "")
            + "Close other programs, or train with smaller batches (slower, less memory); "
            "it may otherwise be very slow or stop.",
            fix_label="Use smaller batches", fix_action="smaller_batches"))


def _available_memory() -> int:
    import psutil

    return int(psutil.virtual_memory().available)


def release_warm_models() -> None:
    """Let the synthesizers the Try panel or narration kept warm go before a training needs
    the memory (they load again, in seconds, the next time someone speaks)."""
    from voicestudio.synthesis.pipeline import release_synthesizers

    release_synthesizers()


def open_run(
    data_dir: Path, voice: Voice, plan: TrainingPlan | None = None, resume: str | None = None,
    device: str | None = None, base_models: BaseModels | None = None,
) -> TrainingRun:
    """A new run of ``plan``, or the paused run ``resume`` ("latest" or its id), optionally
    moved to another ``device``. Nothing is written yet."""
    from voicestudio.training.run import TrainingPlan, TrainingRun

    if resume:
        run = TrainingRun.resume(voice, data_dir, None if resume == "latest" else resume,
                                 base_models)
        run.plan.device = device or run.plan.device
        return run
    return TrainingRun.start(voice, plan or TrainingPlan(), data_dir, base_models)


def train_voice(
    data_dir: Path,
    voice: Voice,
    plan: TrainingPlan | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    on_update: Reporter | None = None,
    resume: str | None = None,
    base_models: BaseModels | None = None,
    scorer: CheckpointScorer | None | str = "listen",
    run: TrainingRun | None = None,
) -> ModelVersion:
    """Build the missing features, then train ``run`` (default: ``open_run(plan, resume)``).
    One heavy job at a time; JobCancelled leaves a run that ``resume`` continues.

    ``scorer`` judges each saved checkpoint (``training.scoring``): "listen" is the real
    one (``services.checkpoint_scoring``), None trains without scoring."""
    from voicestudio.project.segments import Dataset
    from voicestudio.services.dataset import build_dataset

    progress = progress or ignore_progress
    cancel = cancel or CancelToken()
    with HEAVY_JOBS.claim(f"Training “{voice.name}”", voice, "training"):
        release_warm_models()
        run = run or open_run(data_dir, voice, plan, resume, base_models=base_models)

        def features_progress(p: Progress) -> None:
            progress(Progress(FEATURES_SHARE * p.fraction, p.message or "Preparing the data"))

        # A resumed run continues on the data it started with; features made elsewhere (a
        # dataset built by hand, without a segment index) are trained on as they are.
        new_run = run.version_id not in unfinished_runs(voice)
        if new_run and Dataset.open(voice).kept_segments():
            build_dataset(data_dir, voice.name, run.plan.device, features_progress, cancel)

        def training_progress(p: Progress) -> None:
            progress(Progress(FEATURES_SHARE + (1 - FEATURES_SHARE) * p.fraction, p.message,
                              p.eta_seconds))

        if scorer == "listen":
            scorer = _listening_scorer(data_dir, run.plan.device, cancel, on_update)
        timer = StepTimer()

        def timed(update: Any) -> None:
            timer(update)
            if on_update is not None:
                on_update(update)

        try:
            return run.run(training_progress, cancel, timed, scorer or None)
        finally:  # also a paused or failed run's measurements tell the next estimate
            _record_speed(data_dir, voice, run.plan.device, timer)


SCORING_OFF_NO_SPEAKER_MODEL = (
    SCORING_OFF + ": the speaker-check model is not installed, so "
    "the last checkpoint is kept. Install it on the Base models page to keep the best one.")


def _listening_scorer(data_dir: Path, device: str, cancel: CancelToken,
                      on_update: Reporter | None) -> CheckpointScorer | None:
    """The real scorer, or None (said as a notice) when its speaker-check model is missing:
    an optional 16 MB model must not stand between the person and their voice. The same
    registry check as the readiness note, so the two agree; the scorer loads the model."""
    from voicestudio.services.checkpoint_scoring import ListeningScorer
    from voicestudio.training.loop import TrainingProgress

    if not _speaker_model_installed(data_dir):
        if on_update is not None:
            on_update(TrainingProgress("s2", 0, 0, 0, 0, 0, {}, 0.0, None,
                                       SCORING_OFF_NO_SPEAKER_MODEL,
                                       notice=Notice.CHECKS_OFF))
        return None
    return ListeningScorer(data_dir, device, cancel)


def _record_speed(data_dir: Path, voice: Voice, device: str, timer: StepTimer) -> None:
    from voicestudio.models.devices import resolve_device
    from voicestudio.services.training_speed import record_speed, speed_key

    try:
        label = resolve_device(device).label
    except UserInputError:
        return
    key = speed_key(label, _base_model_bytes(data_dir, voice_family(voice)))
    try:
        record_speed(data_dir, key, timer.speeds())
    except (DiskFullError, OSError) as exc:
        # Only the next estimate needs it. On a disk that filled during the run, saving it
        # fails too, and that failure ("Nothing was changed") must not replace the message
        # that the run is paused, or fail a run that finished.
        log.warning("training speed not saved: %s", exc)


# ------------------------------------------------------------------------------------------
# What the Train page draws


# stage -> (plot title, ((loss key, legend label), ...)); "scores" are the checkpoint checks.
LOSS_CURVES: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "s2": ("Voice model (S2) losses", (("mel", "mel"), ("gen", "generator"),
                                       ("d", "discriminator"))),
    "s1": ("Text model (S1) loss", (("loss_per_token", "per token"),)),
    "scores": ("Checkpoint checks", (("similarity", "sounds like them"),
                                     ("wer", "words misheard"))),
}


class LossCurves:
    """The points of the Train page's plots, gathered from the run's reports (plain Python,
    so what the page draws is tested without Qt)."""

    def __init__(self) -> None:
        self._points: dict[tuple[str, str], tuple[list[float], list[float]]] = {}
        self.checks = 0
        # why checkpoint checks are off for this run, once the run said so: the page then
        # shows no empty "Checkpoint checks" plot, and the log carries the reason
        self.checks_off = ""

    def _append(self, stage: str, key: str, x: float, y: float) -> None:
        xs, ys = self._points.setdefault((stage, key), ([], []))
        xs.append(x)
        ys.append(y)

    def add(self, update: object) -> None:
        """One ``TrainingProgress``: a step's losses, or a checkpoint's scores."""
        stage = getattr(update, "stage", "")
        losses = getattr(update, "losses", {}) or {}
        for key, _label in LOSS_CURVES.get(stage, ("", ()))[1]:
            if key in losses:
                self._append(stage, key, float(update.step), float(losses[key]))
        if getattr(update, "notice", "") == Notice.CHECKS_OFF:
            self.checks_off = update.message
        scores = getattr(update, "scores", {}) or {}
        if "similarity" in scores:
            self.checks += 1
            for key in ("similarity", "wer"):
                if key in scores:
                    self._append("scores", key, float(self.checks), float(scores[key]))

    def add_history(self, stage: str, history: list[dict[str, float]]) -> None:
        for step, losses in enumerate(history, start=1):
            for key, _label in LOSS_CURVES[stage][1]:
                if key in losses:
                    self._append(stage, key, float(step), float(losses[key]))

    def __bool__(self) -> bool:
        return any(xs for xs, _ys in self._points.values())

    def plots(self) -> list[str]:
        """The plots (keys of ``LOSS_CURVES``) worth showing for this run."""
        return [key for key in LOSS_CURVES if not (key == "scores" and self.checks_off)]

    def series(self, stage: str, key: str) -> tuple[list[float], list[float]]:
        xs, ys = self._points.get((stage, key), ([], []))
        return list(xs), list(ys)

    @classmethod
    def from_history(cls, voice: Voice, run_id: str | None = None) -> LossCurves:
        """The curves of the paused run ``run_id`` or else the voice's latest paused run (to
        continue drawing on), else of its newest finished one, as saved next to its model
        files."""
        from voicestudio.training.run_files import read_loss_history, read_scores

        curves = cls()
        pending = unfinished_runs(voice)
        newest = voice.latest_model()
        if pending:
            folder = voice.folder / "models" / (run_id if run_id in pending else pending[-1])
        elif newest is not None:
            folder = (voice.folder / newest.s2_path).parent
        else:
            return curves
        for stage, history in read_loss_history(folder).items():
            curves.add_history(stage, history)
        for record in read_scores(folder):
            if isinstance(record, dict) and isinstance(record.get("similarity"), float | int):
                curves.checks += 1
                curves._append("scores", "similarity", float(curves.checks),
                               float(record["similarity"]))
                if isinstance(record.get("wer"), float | int):
                    curves._append("scores", "wer", float(curves.checks), float(record["wer"]))
        return curves


def unfinished_runs(voice: Voice) -> list[str]:
    """Paused runs of ``voice`` that Resume would continue, oldest first (no torch)."""
    from voicestudio.training.run_files import unfinished_runs as pending

    return pending(voice)


@dataclass(frozen=True)
class PausedRun:
    """A paused run's kept state: optimiser, half-trained weights (often hundreds of MB)."""

    version_id: str
    size_bytes: int
    paused_at: float = 0.0  # when its files last changed (seconds since the epoch)

    def describe(self) -> str:
        from voicestudio.project.disk import format_bytes

        return f"{self.version_id} ({format_bytes(self.size_bytes)} kept to resume)"

    @property
    def when(self) -> str:
        """When it stopped, in local time ("2026-12-01 14:05")."""
        from datetime import datetime

        return datetime.fromtimestamp(self.paused_at).strftime("%Y-%m-%d %H:%M")


def paused_runs(voice: Voice) -> list[PausedRun]:
    """The voice's paused runs with the disk space each keeps, oldest first."""
    runs = []
    for version_id in unfinished_runs(voice):
        folder = voice.folder / "models" / version_id
        stats = [p.stat() for p in folder.rglob("*") if p.is_file()]
        runs.append(PausedRun(version_id, sum(s.st_size for s in stats),
                              max((s.st_mtime for s in stats), default=0.0)))
    return runs


def discard_paused_run(voice: Voice, version_id: str) -> PausedRun:
    """Delete a paused run's files to free their space; its finished versions are untouched.

    Refused while the voice is in use (that run may be the one training now)."""
    from voicestudio.errors import NotFoundError
    from voicestudio.project.locks import voice_lock

    with voice_lock(voice, "discarding a paused training run", refused_as="changed"):
        run = next((r for r in paused_runs(voice) if r.version_id == version_id), None)
        if run is None:
            raise NotFoundError(f"“{voice.name}” has no paused training run “{version_id}”.")
        shutil.rmtree(voice.folder / "models" / version_id)
    return run


def describe_version(version: ModelVersion) -> str:
    """One line a person can compare versions by."""
    if version.preset == IMPORTED_PRESET:  # trained elsewhere: no preset, no data here
        return " · ".join([version.version_id, version.created[:10],
                           version.notes or "imported from GPT-SoVITS"])
    parts = [version.version_id, version.created[:10], f"preset {version.preset}",
             f"{version.data_seconds:.0f} s of speech"]
    if "similarity" in version.scores:
        parts.append(f"sounds {version.scores['similarity']:.0%} like the person")
    if "wer" in version.scores:
        parts.append(f"{version.scores['wer']:.0%} of words misheard")
    return " · ".join(parts)


def preset_choices() -> list[tuple[str, str, str]]:
    """(name, label, description) of each preset, for the preset chooser."""
    from voicestudio.training.presets import PRESETS

    return [(p.name, f"{p.name.capitalize()} ({p.s2_epochs} + {p.s1_epochs} epochs)",
             p.description[:1].upper() + p.description[1:] + ".") for p in PRESETS.values()]
