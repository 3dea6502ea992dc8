"""ScaledAdam, the optimiser GPT-SoVITS trains S1 with (from icefall/k2, by Daniel Povey).

The pretrained S1 was trained with it, and upstream fine-tunes with it at a constant learning
rate of 0.002 — a rate that would wreck the model under plain Adam, because ScaledAdam's
updates are *relative*: each tensor moves by ``lr x its own RMS`` per step, not by ``lr``.
Fine-tuning with another optimiser would need a different, untested learning rate, so this is
a re-implementation of its update rule:

* Adam-style normalised gradient (second moment only, bias-corrected while young), with a
  momentum term ``delta`` that accumulates every kind of update;
* the step of every non-scalar tensor is scaled by its RMS (floored at ``param_min_rms``);
* every ``size_update_period`` steps the overall scale of each tensor is learned separately,
  with ``lr x scalar_lr_scale``, and kept within [param_min_rms, param_max_rms];
* scalars (numel 1) get plain Adam at ``lr x scalar_lr_scale``, clamped to ±scalar_max;
* gradient clipping to ``clipping_scale x`` the median of the last ``clipping_update_period``
  RMS-weighted gradient norms. With upstream's period of 1000 this only starts after 1000
  updates, so a few-shot fine-tune (a few hundred updates) never clips — as upstream.

Upstream stacks tensors of equal shape to launch fewer kernels; that changes no numbers, so
this version updates tensor by tensor. State is tensors and ints only, so it round-trips
through ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from torch.optim import Optimizer


class ScaledAdam(Optimizer):
    def __init__(
        self,
        params: Iterable[torch.Tensor] | Iterable[dict[str, Any]],
        lr: float = 0.01,
        betas: tuple[float, float] = (0.9, 0.95),
        clipping_scale: float | None = 2.0,
        scalar_lr_scale: float = 0.1,
        eps: float = 1e-8,
        param_min_rms: float = 1e-5,
        param_max_rms: float = 3.0,
        scalar_max: float = 10.0,
        size_update_period: int = 4,
        clipping_update_period: int = 1000,
    ) -> None:
        defaults = dict(
            lr=lr,
            betas=betas,
            clipping_scale=clipping_scale,
            scalar_lr_scale=scalar_lr_scale,
            eps=eps,
            param_min_rms=param_min_rms,
            param_max_rms=param_max_rms,
            scalar_max=scalar_max,
            size_update_period=size_update_period,
            clipping_update_period=clipping_update_period,
        )
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure: Any = None) -> None:  # type: ignore[override]
        if closure is not None:
            raise ValueError("ScaledAdam does not take a closure")
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None or p in self.state]
            if not params:
                continue
            scale = self._clipping_factor(group, params)
            for p in params:
                state = self.state[p]
                if not state:
                    self._init_state(group, p, state)
                grad = p.grad if p.grad is not None else torch.zeros_like(p)
                if scale != 1.0:
                    grad = grad * scale
                self._update(group, p, grad, state)

    # ------------------------------------------------------------------ state

    @staticmethod
    def _init_state(group: dict[str, Any], p: torch.Tensor, state: dict[str, Any]) -> None:
        state["step"] = 0
        state["delta"] = torch.zeros_like(p)  # momentum of the whole update
        state["exp_avg_sq"] = torch.zeros_like(p)
        if p.numel() > 1:
            rms = p.pow(2).mean().sqrt().reshape(1)
            state["param_rms"] = rms
            state["scale_exp_avg_sq"] = torch.zeros_like(rms)
            state["scale_grads"] = torch.zeros(group["size_update_period"], 1, device=p.device,
                                               dtype=p.dtype)

    def _clipping_factor(self, group: dict[str, Any], params: list[torch.Tensor]) -> float:
        """Factor <= 1 for this step's gradients; the bookkeeping lives in the first tensor's
        state (as upstream keeps it in its first batch's state)."""
        first = self.state[params[0]]
        if group["clipping_scale"] is None or not first or first["step"] == 0:
            return 1.0
        step = first["step"]
        period = group["clipping_update_period"]
        total = torch.zeros((), device=params[0].device)
        for p in params:
            if p.grad is None:
                continue
            if p.numel() == 1:
                total += p.grad.pow(2).sum()
            else:
                total += (p.grad * self.state[p]["param_rms"]).pow(2).sum()
        norm = total.sqrt()
        if "model_norms" not in first:
            first["model_norms"] = torch.zeros(period, device=norm.device)
            first["num_clipped"] = 0
        first["model_norms"][step % period] = norm
        if step % period == 0:
            median = first["model_norms"].sort().values[min(period - 1, (period // 4) * 2)]
            first["model_norm_threshold"] = group["clipping_scale"] * median.reshape(1)
            first["num_clipped"] = 0
        if step < period or "model_norm_threshold" not in first:
            return 1.0  # no norm history to clip against yet
        factor = min(1.0, float(first["model_norm_threshold"] / (norm + 1e-20)))
        if factor < 1.0:
            first["num_clipped"] += 1
        return factor

    # ------------------------------------------------------------------ update rules

    def _update(
        self, group: dict[str, Any], p: torch.Tensor, grad: torch.Tensor, state: dict[str, Any]
    ) -> None:
        beta1 = group["betas"][0]
        step = state["step"]
        delta = state["delta"]
        delta.mul_(beta1)
        if p.numel() > 1:
            period = group["size_update_period"]
            state["scale_grads"][step % period] = (p * grad).sum()
            if step % period == period - 1:
                state["param_rms"].copy_(p.pow(2).mean().sqrt())
                if step > 0:
                    self._update_size(group, p, state)
            self._update_direction(group, p, grad, state)
        else:
            self._update_scalar(group, p, grad, state)
        state["step"] = step + 1

    @staticmethod
    def _update_size(group: dict[str, Any], p: torch.Tensor, state: dict[str, Any]) -> None:
        """Learn log(scale) of the whole tensor from the gradients of the last period."""
        beta1, beta2 = group["betas"]
        size_lr = group["lr"] * group["scalar_lr_scale"]
        scale_grads = state["scale_grads"]  # (period, 1)
        period = scale_grads.shape[0]
        beta2_corr = beta2**period
        avg_sq = state["scale_exp_avg_sq"]
        avg_sq.mul_(beta2_corr).add_(scale_grads.pow(2).mean(dim=0), alpha=1 - beta2_corr)
        size_step = (state["step"] + 1) // period
        bias_correction2 = 1 - beta2_corr**size_step
        scale_step = -size_lr * bias_correction2**0.5 * scale_grads.sum(dim=0) / (
            avg_sq.sqrt() + group["eps"]
        )
        rms = state["param_rms"]
        scale_step = scale_step.masked_fill(rms < group["param_min_rms"], 0.0)
        scale_step = scale_step.masked_fill(rms > group["param_max_rms"], -size_lr * period)
        state["delta"].add_(p * scale_step, alpha=1 - beta1)

    @staticmethod
    def _update_direction(
        group: dict[str, Any], p: torch.Tensor, grad: torch.Tensor, state: dict[str, Any]
    ) -> None:
        """Adam step, scaled by the tensor's RMS so every tensor moves by the same fraction."""
        beta1, beta2 = group["betas"]
        exp_avg_sq = state["exp_avg_sq"]
        exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        bias_correction2 = 1 - beta2 ** (state["step"] + 1)
        if bias_correction2 < 0.99:
            exp_avg_sq = exp_avg_sq / bias_correction2
        normalised = grad / (exp_avg_sq.sqrt() + group["eps"])
        alpha = -group["lr"] * (1 - beta1) * state["param_rms"].clamp(min=group["param_min_rms"])
        state["delta"].add_(normalised * alpha)
        p.add_(state["delta"])

    @staticmethod
    def _update_scalar(
        group: dict[str, Any], p: torch.Tensor, grad: torch.Tensor, state: dict[str, Any]
    ) -> None:
        beta1, beta2 = group["betas"]
        exp_avg_sq = state["exp_avg_sq"]
        exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        bias_correction2 = 1 - beta2 ** (state["step"] + 1)
        denom = (exp_avg_sq / bias_correction2).sqrt() + group["eps"]
        lr = group["lr"] * group["scalar_lr_scale"]
        state["delta"].add_(grad / denom, alpha=-lr * (1 - beta1))
        p.clamp_(min=-group["scalar_max"], max=group["scalar_max"])
        p.add_(state["delta"])
