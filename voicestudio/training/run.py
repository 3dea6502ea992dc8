"""A training run: fine-tune S2, then S1, on one voice; resumable; becomes a model version.

The Train page and ``voicestudio train`` use exactly this::

    run = TrainingRun.start(voice, TrainingPlan(preset="standard"), data_dir)
    version = run.run(progress, cancel, on_update)   # JobCancelled if cancelled
    ...
    run = TrainingRun.resume(voice, data_dir)        # the latest unfinished run
    version = run.run(progress, cancel, on_update)

On disk, ``<voice>/models/<version_id>/`` holds the official exports ``s2.pth`` and ``s1.ckpt``
(refreshed every few epochs, so an interrupted run still has something to listen to) and
``state/`` with ``plan.json`` and one full training state per stage. When both stages finish,
the run is added to the voice's manifest and ``state/`` is removed: it is over a gigabyte for
full-size models and has no use once the run is done.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path

import torch

from voicestudio.errors import CorruptFileError, DiskFullError, NotFoundError, UserInputError
from voicestudio.hub.families import voice_family
from voicestudio.jobs import CancelToken, Progress, ProgressCallback, ignore_progress
from voicestudio.models.devices import DeviceInfo, resolve_device
from voicestudio.models.s2 import S2Config
from voicestudio.project.atomic import atomic_write_json
from voicestudio.project.disk import disk_full_error
from voicestudio.project.locks import voice_lock
from voicestudio.project.voice import ModelVersion, Voice, now_iso
from voicestudio.training.base_models import BaseModels, hub_base_models
from voicestudio.training.batches import (
    S2Example,
    TrainingDataError,
    epoch_copies,
    load_segment_features,
    s1_examples,
    s2_examples,
)
from voicestudio.training.feature_store import fingerprint
from voicestudio.training.loop import (
    EtaClock,
    Reporter,
    StagePosition,
    StageSchedule,
    StageTrainer,
    TrainingProgress,
    epoch_steps,
    release_accelerator_memory,
    restore_stage,
    run_stage,
)
from voicestudio.training.notices import Notice
from voicestudio.training.presets import (
    DEFAULT_PRESET,
    amp_supported,
    check_epochs,
    default_batch_size,
    get_preset,
)
from voicestudio.training.run_files import (
    DATASET_FILE,
    LOSSES_FILE,
    PLAN_FILE,
    S1_EXPORT,
    S2_EXPORT,
    STATE_DIR,
    read_loss_history,
    unfinished_runs,
)
from voicestudio.training.s1 import S1FineTuner
from voicestudio.training.s2 import S2FineTuner, spectrogram_config
from voicestudio.training.scoring import (
    MIN_SEGMENTS_TO_HOLD_OUT,
    SCORING_OFF_TOO_FEW,
    CheckpointScorer,
    CheckpointSelector,
    held_out_ids,
)
from voicestudio.training.state import load_training_state, remove_stale_temporaries

STATE_SAVE_INTERVAL_S = 180.0  # full training state at most this often (and on cancel)
STAGE_LABELS = {"s2": "Voice model (S2)", "s1": "Text model (S1)"}
# Time of an S1 step (default batch) relative to an S2 step, for the progress bar and the ETA
# before S1 has been timed: 66.5 s vs 93.2 s with full-size models on a 2-core CPU
# (benchmarks/training_benchmark.py).
S1_STEP_COST = 0.7


@dataclass
class TrainingPlan:
    """What to train. ``None`` means "the preset's epochs" / "the device's default batch"."""

    preset: str = DEFAULT_PRESET
    s2_epochs: int | None = None
    s1_epochs: int | None = None
    device: str = "auto"  # auto / cuda / mps / cpu
    s2_batch_size: int | None = None
    s1_batch_size: int | None = None
    save_every_epoch: int = 4  # official exports every N epochs (and after the last)
    s1_lora_rank: int = 0  # 0: full fine-tune of S1; >0: LoRA adapters of this rank, merged
    seed: int = 1234
    early_stop: bool = True  # end a stage when its checkpoint scores stop improving
    patience: int = 2  # ... for this many scored checkpoints in a row

    def resolved(self, device: torch.device) -> TrainingPlan:
        """A copy with every None filled in and every number checked."""
        preset = get_preset(self.preset)
        plan = TrainingPlan(**asdict(self))
        plan.s2_epochs = check_epochs(_or(self.s2_epochs, preset.s2_epochs), "SoVITS (S2) epochs")
        plan.s1_epochs = check_epochs(_or(self.s1_epochs, preset.s1_epochs), "GPT (S1) epochs")
        plan.s2_batch_size = _or(self.s2_batch_size, default_batch_size("s2", device))
        plan.s1_batch_size = _or(self.s1_batch_size, default_batch_size("s1", device))
        if min(plan.s2_batch_size, plan.s1_batch_size, self.save_every_epoch) < 1:
            raise UserInputError("Batch sizes and the save interval must be at least 1.")
        if self.s1_lora_rank < 0:
            raise UserInputError("The LoRA rank must be 0 (off) or a positive number.")
        return plan

    @classmethod
    def from_json(cls, raw: object, source: Path) -> TrainingPlan:
        known = {f.name for f in fields(cls)}
        if not isinstance(raw, dict) or not known.issuperset(raw):
            raise CorruptFileError(f"{source} is not a VoiceStudio training plan.")
        return cls(**raw)


def _or(value: int | None, default: int) -> int:
    """``value`` unless it is None (0 is a value, and an invalid one the checks report)."""
    return default if value is None else value


def new_version_id(models_dir: Path) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    candidate, n = stamp, 1
    while (models_dir / candidate).exists():
        n += 1
        candidate = f"{stamp}-{n}"
    return candidate


class TrainingRun:
    """One resumable fine-tuning job for one voice (see the module docstring)."""

    def __init__(
        self, voice: Voice, plan: TrainingPlan, version_id: str, base_models: BaseModels
    ) -> None:
        self.voice = voice
        self.plan = plan
        self.version_id = version_id
        self.base_models = base_models

    # ------------------------------------------------------------------ creating / finding

    @classmethod
    def start(
        cls, voice: Voice, plan: TrainingPlan, data_dir: Path,
        base_models: BaseModels | None = None,
    ) -> TrainingRun:
        """A new run (nothing is written until ``run``)."""
        base_models = base_models or hub_base_models(data_dir, voice_family(voice).id)
        return cls(voice, plan, new_version_id(voice.folder / "models"), base_models)

    @classmethod
    def resume(
        cls, voice: Voice, data_dir: Path, version_id: str | None = None,
        base_models: BaseModels | None = None,
    ) -> TrainingRun:
        """The unfinished run ``version_id``, or the most recent one."""
        pending = cls.unfinished(voice)
        if not pending:
            raise NotFoundError(
                f"“{voice.name}” has no unfinished training to resume. Start a new one."
            )
        chosen = version_id or pending[-1]
        if chosen not in pending:
            raise NotFoundError(f"There is no unfinished training run “{chosen}” for this voice.")
        plan_path = voice.folder / "models" / chosen / STATE_DIR / PLAN_FILE
        try:
            raw = json.loads(plan_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CorruptFileError(f"The training plan {plan_path} cannot be read.") from exc
        plan = TrainingPlan.from_json(raw, plan_path)
        return cls(voice, plan, chosen,
                   base_models or hub_base_models(data_dir, voice_family(voice).id))

    @staticmethod
    def unfinished(voice: Voice) -> list[str]:
        """Version ids of runs that were started and not finished, oldest first."""
        return unfinished_runs(voice)

    def loss_history(self) -> dict[str, list[dict[str, float]]]:
        """Losses of every step saved so far, per stage ("s2", "s1"), for redrawing the loss
        curves of a resumed or finished run (kept next to the exports)."""
        return read_loss_history(self.folder)

    @property
    def folder(self) -> Path:
        return self.voice.folder / "models" / self.version_id

    @property
    def state_dir(self) -> Path:
        return self.folder / STATE_DIR

    # ------------------------------------------------------------------ running

    def run(
        self,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
        on_update: Reporter | None = None,
        scorer: CheckpointScorer | None = None,
    ) -> ModelVersion:
        """Train both stages (skipping what an earlier session finished) and register the
        result. Raises JobCancelled after saving, TrainingDataError for an unusable dataset,
        MissingModelError without base models. The voice is locked meanwhile: it cannot be
        renamed, deleted or trained twice at once.

        With a ``scorer``, a few segments are held out of training and every saved
        checkpoint is scored on them (``training.scoring``): each stage ends with its best
        checkpoint, and early when the scores stop improving (``plan.early_stop``)."""
        with voice_lock(self.voice, "training"):
            fresh = not self.folder.exists()
            try:
                return self._run(progress, cancel, on_update, scorer)
            except DiskFullError as exc:
                raise self._stopped_by_full_disk(exc, fresh) from exc

    def _stopped_by_full_disk(self, exc: DiskFullError, fresh: bool) -> DiskFullError:
        """A run that saved its plan is paused, like a cancelled one, and says so; one that
        could not even do that leaves no half-made folder behind."""
        if not (self.state_dir / PLAN_FILE).is_file():
            if fresh and not any(p.is_file() for p in self.folder.rglob("*")):
                shutil.rmtree(self.folder, ignore_errors=True)
            return exc
        return disk_full_error(self.folder, outcome=(
            f"Training stopped and the run “{self.version_id}” is paused: what it had saved "
            "is kept, and it continues from there once there is room (Resume on the Train "
            "page, or train with --resume)."))

    def _run(
        self,
        progress: ProgressCallback | None,
        cancel: CancelToken | None,
        on_update: Reporter | None,
        scorer: CheckpointScorer | None,
    ) -> ModelVersion:
        progress = progress or ignore_progress
        cancel = cancel or CancelToken()
        device_info = resolve_device(self.plan.device)
        device = device_info.device
        plan = self.plan.resolved(device)

        # Check the whole dataset before minutes of S2 training, so an S1 problem shows now.
        features = load_segment_features(self.voice.folder)
        dataset_id = fingerprint(*(f"{f.segment_id}:{f.fingerprint}" for f in features))
        held = set(held_out_ids([f.segment_id for f in features])) if scorer else set()
        scoring_off = None
        if scorer is not None and not held:  # too few to spare any: the last one is kept
            scoring_off = SCORING_OFF_TOO_FEW.format(count=len(features),
                                                     needed=MIN_SEGMENTS_TO_HOLD_OUT)
            scorer = None
        elif scorer is not None:
            scorer.prepare(self.voice.folder, [f for f in features if f.segment_id in held])
            features = [f for f in features if f.segment_id not in held]
        base_s2 = self.base_models.s2()
        s2_data = s2_examples(
            self.voice.folder, features, spectrogram_config(base_s2.generator),
            base_s2.generator.config.segment_frames,
        )
        family = base_s2.generator.config.version
        _check_fingerprints(s2_data, base_s2.generator.config)
        s1_data = s1_examples(features)
        del features

        self.state_dir.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(self.state_dir)
        self._check_same_dataset(dataset_id)
        # The resolved plan is what resumes: same epochs and batch sizes on any machine.
        atomic_write_json(self.state_dir / PLAN_FILE, {**asdict(plan), "device": self.plan.device})
        use_amp = amp_supported(device)
        reporter = _RunReporter(plan, len(s2_data), len(s1_data), progress, on_update)
        progress(Progress(0.0, f"Training on {device_info.label}"))
        if scoring_off is not None:
            reporter.notice(scoring_off, Notice.CHECKS_OFF)

        if not self._stage_finished("s2"):
            s2 = S2FineTuner(base_s2.generator, self.base_models.discriminator(), s2_data,
                             device, base_s2.hparams, use_amp)
            self._run_stage(s2, plan.s2_epochs, plan.s2_batch_size, plan, reporter, cancel,
                            scorer)
            del s2
        sample_rate = base_s2.generator.config.sampling_rate
        del base_s2
        release_accelerator_memory()

        if not self._stage_finished("s1"):
            base_s1 = self.base_models.s1()
            s1 = S1FineTuner(base_s1.model, s1_data, device, base_s1.upstream_config, use_amp,
                             plan.s1_lora_rank)
            del base_s1
            self._run_stage(s1, plan.s1_epochs, plan.s1_batch_size, plan, reporter, cancel,
                            scorer)
            del s1
            release_accelerator_memory()
        seconds = sum(len(e.wav) for e in s2_data) / sample_rate
        return self._register(plan, seconds, len(s2_data), device_info, family)

    def _check_same_dataset(self, dataset_id: str) -> None:
        """A run continues on the data it started with: its epoch order and half-trained
        models belong to that data. A dataset rebuilt in between needs a new run."""
        path = self.state_dir / DATASET_FILE
        try:
            started_with = json.loads(path.read_text(encoding="utf-8"))["fingerprint"]
        except FileNotFoundError:
            atomic_write_json(path, {"fingerprint": dataset_id})
            return
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CorruptFileError(f"{path} is damaged; start a new training run.") from exc
        if started_with != dataset_id:
            raise UserInputError(
                "The prepared dataset changed since this training run started, so it cannot "
                "be continued. Start a new training run to train on the new data."
            )

    def _stage_finished(self, stage: str) -> bool:
        export = S2_EXPORT if stage == "s2" else S1_EXPORT
        return (self.state_dir / f"{stage}.done").is_file() and (self.folder / export).is_file()

    def _run_stage(
        self, trainer: StageTrainer, epochs: int | None, batch_size: int | None,
        plan: TrainingPlan, reporter: _RunReporter, cancel: CancelToken,
        scorer: CheckpointScorer | None,
    ) -> None:
        assert epochs is not None and batch_size is not None
        stage = trainer.name
        export = self.folder / (S2_EXPORT if stage == "s2" else S1_EXPORT)
        selector = CheckpointSelector(self.folder, stage, export, plan.patience,
                                      plan.early_stop)

        def after_export(epoch: int, step: int) -> bool:
            if scorer is None:
                return False
            reporter.notice(f"Listening to the {STAGE_LABELS[stage][0].lower()}"
                            f"{STAGE_LABELS[stage][1:]} after epoch {epoch}…", Notice.LISTENING)
            s2_path = export if stage == "s2" else self.folder / S2_EXPORT
            score = scorer.score(stage, epoch, s2_path, export if stage == "s1" else None)
            record, stop = selector.consider(epoch, step, score)
            verdict = "best so far" if record.best else "not better"
            reporter.notice(
                f"{STAGE_LABELS[stage]} epoch {epoch}: sounds {record.similarity:.0%} like "
                f"the person, {_misheard(record.wer)} ({verdict}).", Notice.SCORES,
                {"similarity": record.similarity, "value": record.value,
                 "best": float(record.best), "step": float(step),
                 **({} if record.wer is None else {"wer": record.wer})})
            if stop and epoch < epochs:
                reporter.notice(f"{STAGE_LABELS[stage]}: no better for {plan.patience} "
                                "checks, so this stage stops early with its best version.",
                                Notice.EARLY_STOP)
                return True
            return False

        schedule = StageSchedule(epochs, plan.seed, plan.save_every_epoch,
                                 self.state_dir / f"{stage}.pt", export,
                                 self.folder / LOSSES_FILE.format(stage=stage),
                                 STATE_SAVE_INTERVAL_S, after_export)
        if schedule.state_path.is_file():
            position = restore_stage(trainer, load_training_state(schedule.state_path))
        else:
            torch.manual_seed(plan.seed)
            position = StagePosition(batch_size=batch_size)
        reporter.enter(stage, position)
        run_stage(trainer, schedule, position, reporter.step, cancel)
        selector.finish()
        atomic_write_json(self.state_dir / f"{stage}.done", {"steps": position.step})

    def _register(
        self, plan: TrainingPlan, seconds: float, n_clips: int, device_info: DeviceInfo,
        family: str = "v2",
    ) -> ModelVersion:
        notes = (
            f"S2 {plan.s2_epochs} epochs, S1 {plan.s1_epochs} epochs"
            + (f" (LoRA rank {plan.s1_lora_rank})" if plan.s1_lora_rank else "")
            + f"; {n_clips} clips; trained on {device_info.label}"
        )
        best = CheckpointSelector(self.folder, "s1", self.folder / S1_EXPORT, 0, False).best() \
            or CheckpointSelector(self.folder, "s2", self.folder / S2_EXPORT, 0, False).best()
        scores = {"similarity": best.similarity} if best else {}
        if best is not None and best.wer is not None:
            scores["wer"] = best.wer
        version = ModelVersion(
            version_id=self.version_id,
            created=now_iso(),
            preset=plan.preset,
            data_seconds=round(seconds, 2),
            s1_path=f"models/{self.version_id}/{S1_EXPORT}",
            s2_path=f"models/{self.version_id}/{S2_EXPORT}",
            notes=notes,
            scores=scores,
        )
        voice = Voice.open(self.voice.folder)  # the manifest may have changed meanwhile
        voice.add_model_version(version)
        if voice.manifest.model_family != family:
            voice.set_model_family(family)
        self.voice = voice
        shutil.rmtree(self.state_dir, ignore_errors=True)
        return version


def _check_fingerprints(examples: list[S2Example], config: S2Config) -> None:
    """v2Pro/v2ProPlus train on each clip's speaker-verification vector: a dataset prepared
    for another family lacks them (or has another width) and must be prepared again."""
    if not config.uses_sv:
        return
    if any(e.sv is None or e.sv.numel() != config.sv_dim for e in examples):
        raise TrainingDataError(
            f"The dataset was prepared for another model family than {config.version}; "
            "prepare it again (Train page, or `voicestudio dataset build VOICE`) so every clip "
            "gets its voice fingerprint."
        )


class _RunReporter:
    """Turns stage positions into Progress (bar + message + ETA) and TrainingProgress."""

    def __init__(
        self, plan: TrainingPlan, n_s2: int, n_s1: int, progress: ProgressCallback,
        on_update: Callable[[TrainingProgress], None] | None,
    ) -> None:
        self.plan = plan
        self.items = {"s2": _epoch_items(n_s2), "s1": _epoch_items(n_s1)}
        self.epochs = {"s2": plan.s2_epochs or 1, "s1": plan.s1_epochs or 1}
        self.progress = progress
        self.on_update = on_update
        self.clock = EtaClock()
        self.stage = "s2"
        self.position = StagePosition()
        self.fraction = 0.0

    def enter(self, stage: str, position: StagePosition) -> None:
        self.stage = stage
        self.position = position
        self.clock.rate(stage, position.step)

    def notice(self, message: str, kind: Notice, scores: dict[str, float] | None = None
               ) -> None:
        """A line for the log (a checkpoint's scores, an early stop) between steps."""
        self.progress(Progress(self.fraction, message))
        if self.on_update is not None:
            position = self.position
            self.on_update(TrainingProgress(
                self.stage, min(position.epoch, self.epochs[self.stage]),
                self.epochs[self.stage], position.step,
                self._total(self.stage, position.batch_size), position.batch_size, {},
                self.fraction, None, message, dict(scores or {}), kind))

    def _total(self, stage: str, batch_size: int) -> int:
        return self.epochs[stage] * epoch_steps(self.items[stage], batch_size)

    def step(self, position: StagePosition, losses: dict[str, float], notice: str) -> None:
        stage = self.stage
        total = self._total(stage, position.batch_size)
        done_items = (position.epoch - 1) * self.items[stage] + position.item
        stage_fraction = min(1.0, done_items / (self.epochs[stage] * self.items[stage]))
        s2_share = self._s2_share()
        fraction = (s2_share * stage_fraction if stage == "s2"
                    else s2_share + (1 - s2_share) * stage_fraction)
        self.fraction = fraction
        eta = self._eta(stage, position, stage_fraction)
        epoch = min(position.epoch, self.epochs[stage])
        message = notice or (
            f"{STAGE_LABELS[stage]} · epoch {epoch}/{self.epochs[stage]} · "
            f"step {position.step}/{total} · " + _format_losses(stage, losses)
        )
        self.progress(Progress(fraction, message, eta))
        if self.on_update is not None:
            self.on_update(TrainingProgress(stage, epoch, self.epochs[stage], position.step,
                                            total, position.batch_size, dict(losses), fraction,
                                            eta, message))

    def _s2_share(self) -> float:
        s2 = self._total("s2", self.plan.s2_batch_size or 1)
        s1 = self._total("s1", self.plan.s1_batch_size or 1) * S1_STEP_COST
        return s2 / (s2 + s1)

    def _eta(self, stage: str, position: StagePosition, stage_fraction: float) -> float | None:
        rate = self.clock.rate(stage, position.step)
        if rate is None:
            return None
        remaining = (1 - stage_fraction) * self._total(stage, position.batch_size) * rate
        if stage == "s2":
            remaining += self._total("s1", self.plan.s1_batch_size or 1) * rate * S1_STEP_COST
        return remaining


def _misheard(wer: float | None) -> str:
    if wer is None:
        return "words not checked (no speech recogniser installed)"
    return f"{wer:.0%} of words misheard"


def _epoch_items(n: int) -> int:
    return n * epoch_copies(n)


def _format_losses(stage: str, losses: dict[str, float]) -> str:
    if stage == "s2":
        return f"mel {losses.get('mel', 0):.2f} · gen {losses.get('gen', 0):.2f} · " \
               f"disc {losses.get('d', 0):.2f}"
    return f"loss {losses.get('loss_per_token', 0):.3f}/token · " \
           f"top-3 {100 * losses.get('top3_acc', 0):.0f}%"
