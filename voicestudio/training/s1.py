"""S1 (GPT, text -> semantic tokens) fine-tuning: what upstream's ``s1_train.py`` really runs.

The loss is the summed cross-entropy of the teacher-forced sequence (every semantic token and
the final EOS). The optimiser is ScaledAdam with betas (0.9, 0.95) and clipping scale 2. The
learning rate is NOT the warm-up/cosine schedule of ``s1longer-v2.yaml``: upstream's
``WarmupCosineLRSchedule.step()`` overwrites whatever it computed with a constant 0.002, and it
is first called after the first update, which therefore runs at the optimiser's initial 0.01.
Gradients are accumulated: the optimiser steps after batch 4 of an epoch and then every 4
batches, and the leftover gradients of an epoch's tail carry into the next epoch (upstream
never clears them). With CUDA the forward runs in fp16 autocast with a gradient scaler
(Lightning's "16-mixed").

Optional LoRA (``lora_rank > 0``, through peft) trains low-rank adapters on every attention
output projection and feed-forward layer and leaves the base weights untouched; the export
merges them into an ordinary checkpoint. ScaledAdam cannot train adapters (it scales steps
by a tensor's RMS, and LoRA's B matrices start at zero), so LoRA uses AdamW — our choice, as
upstream has no S1 LoRA.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from voicestudio.models.s1 import Text2SemanticModel, save_s1_checkpoint
from voicestudio.training.batches import S1Example, collate_s1
from voicestudio.training.scaled_adam import ScaledAdam

LORA_TARGETS = ("out_proj", "linear1", "linear2")


@dataclass(frozen=True)
class S1Recipe:
    learning_rate: float = 0.002  # the constant upstream's "locked" scheduler sets
    first_update_lr: float = 0.01  # ScaledAdam's configured lr, in force for update 1 only
    betas: tuple[float, float] = (0.9, 0.95)
    clipping_scale: float = 2.0
    clipping_update_period: int = 1000
    accumulate: int = 4
    lora_learning_rate: float = 5e-4


def wrap_with_lora(model: Text2SemanticModel, rank: int) -> nn.Module:
    """Inject LoRA adapters (alpha = rank, as upstream's v3 LoRA); returns the peft wrapper,
    which shares its modules with ``model``, so ``model.teacher_forced`` trains the adapters."""
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(r=rank, lora_alpha=rank, lora_dropout=0.0,
                        target_modules=list(LORA_TARGETS))
    return get_peft_model(model, config)


def merged_copy(peft_model: nn.Module) -> Text2SemanticModel:
    """A plain S1 with the adapters folded into the weights; the training copy is untouched."""
    merged = copy.deepcopy(peft_model).merge_and_unload()
    assert isinstance(merged, Text2SemanticModel)
    return merged


class S1FineTuner:
    name = "s1"

    def __init__(
        self,
        model: Text2SemanticModel,
        examples: Sequence[S1Example],
        device: torch.device,
        upstream_config: dict[str, Any],
        use_amp: bool = False,
        lora_rank: int = 0,
        recipe: S1Recipe = S1Recipe(),
    ) -> None:
        self.model = model.to(device=device, dtype=torch.float32).train()
        self.lora = wrap_with_lora(self.model, lora_rank) if lora_rank > 0 else None
        self.examples = list(examples)
        self.n_examples = len(self.examples)
        self.device = device
        self.upstream_config = upstream_config
        self.recipe = recipe
        self.use_amp = use_amp
        trainable = [p for p in self.model.parameters() if p.requires_grad]
        self.optim: torch.optim.Optimizer
        if self.lora is None:
            self.optim = ScaledAdam(
                trainable, lr=recipe.first_update_lr, betas=recipe.betas,
                clipping_scale=recipe.clipping_scale,
                clipping_update_period=recipe.clipping_update_period,
            )
        else:
            self.optim = torch.optim.AdamW(trainable, lr=recipe.lora_learning_rate,
                                           betas=recipe.betas)
        self.scaler = torch.amp.GradScaler(device.type, enabled=use_amp)
        self.updates = 0

    def begin_epoch(self, epoch: int) -> None:
        """Nothing per epoch: the learning rate is constant and leftover gradients stay."""

    def train_step(self, indices: list[int], batch_index: int) -> dict[str, float]:
        batch = collate_s1([self.examples[i] for i in indices], self.model.config.eos)
        batch = batch.to(self.device)
        with torch.autocast(self.device.type, dtype=torch.float16, enabled=self.use_amp):
            out = self.model.teacher_forced(
                batch.phone_ids, batch.phone_lens, batch.semantic_ids, batch.semantic_lens,
                batch.bert,
            )
        self.scaler.scale(out.loss).backward()
        if batch_index > 0 and batch_index % self.recipe.accumulate == 0:
            self.scaler.step(self.optim)
            self.scaler.update()
            self.optim.zero_grad(set_to_none=True)
            self.updates += 1
            if self.lora is None:
                for group in self.optim.param_groups:
                    group["lr"] = self.recipe.learning_rate
        tokens = int(batch.semantic_lens.sum()) + len(indices)  # every token plus each EOS
        return {
            "loss": out.loss.item(),
            "loss_per_token": out.loss.item() / tokens,
            "top3_acc": out.accuracy,
        }

    def after_oom(self) -> None:
        """Gradients accumulated before the failed batch are dropped with it."""
        self.optim.zero_grad(set_to_none=True)

    def export_model(self) -> Text2SemanticModel:
        return merged_copy(self.lora) if self.lora is not None else self.model

    def export(self, path: Path, epoch: int, step: int) -> None:
        """The official fp16 ``.ckpt`` (``GPT-e<epoch>``), LoRA merged in."""
        save_s1_checkpoint(path, self.export_model(), self.upstream_config, info=f"GPT-e{epoch}")

    def state_dict(self) -> dict[str, Any]:
        module = self.lora if self.lora is not None else self.model
        grads = {
            name: p.grad.detach().clone()
            for name, p in module.named_parameters()
            if p.grad is not None
        }
        return {
            "model": module.state_dict(),
            "optimizer": self.optim.state_dict(),
            "scaler": self.scaler.state_dict(),
            "grads": grads,  # accumulated, not yet applied
            "updates": self.updates,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        module = self.lora if self.lora is not None else self.model
        module.load_state_dict(state["model"])
        self.optim.load_state_dict(state["optimizer"])
        if state["scaler"]:
            self.scaler.load_state_dict(state["scaler"])
        params = dict(module.named_parameters())
        for name, grad in state["grads"].items():
            params[name].grad = grad.to(params[name].device)
        self.updates = int(state["updates"])
