"""Weight-only int8 linears: a quarter of the bytes per product, for memory-bound inference.

At batch 1 a transformer step reads every weight once, so its time is the time to stream the
weights from memory; int8 weights stream four times fewer bytes than fp32. Each output row of
the weight gets one scale (symmetric, no zero point, the clip chosen per row for the smallest
error), and
the product runs with bfloat16 activations through PyTorch's int8-weight matrix product
(``torch._weight_int8pack_mm``), which on x86 CPUs with AVX512 is about 2.4x faster than the
fp32 product of the same shape. Where that kernel is missing (other builds, other devices) the
weight is widened to bfloat16 for each product, which gives the same numbers, only slower.

This is an optional speed choice: callers measure its agreement with fp32 (``s1.packed``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

INT8_MAX = 127


CLIP_CANDIDATES = (1.0, 0.95, 0.9, 0.85, 0.8, 0.75, 0.7)  # of each row's largest magnitude


def quantize_rows(weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(out, in) float weight -> (int8 weight, fp32 scale per output row).

    Each row's range is clipped where the squared rounding error is smallest: the few largest
    weights lose a little so that every other weight gets finer steps (for the bell-shaped
    weights of a transformer that lowers the error by about a fifth against plain abs-max).
    """
    w = weight.detach().float()
    row_max = w.abs().amax(dim=1).clamp(min=1e-12)
    best_q, best_scale, best_error = None, None, None
    for clip in CLIP_CANDIDATES:
        scale = row_max * (clip / INT8_MAX)
        q = torch.round(w / scale[:, None]).clamp(-INT8_MAX, INT8_MAX)
        error = (q * scale[:, None] - w).square().sum(dim=1)
        if best_error is None:
            best_q, best_scale, best_error = q, scale, error
            continue
        better = error < best_error
        best_q = torch.where(better[:, None], q, best_q)
        best_scale = torch.where(better, scale, best_scale)
        best_error = torch.minimum(error, best_error)
    assert best_q is not None and best_scale is not None
    return best_q.to(torch.int8).contiguous(), best_scale


PACKED_KERNEL_K_MULTIPLE = 16  # the CPU kernel reads inputs in blocks of 16: other widths
# crash or give wrong sums (seen with torch 2.13 for in_features 8, 24, 33, 100), so they widen


def _packed_kernel_works(q: torch.Tensor, scale: torch.Tensor) -> bool:
    """Whether ``torch._weight_int8pack_mm`` exists here and gives this weight's product."""
    if q.shape[1] % PACKED_KERNEL_K_MULTIPLE or not hasattr(torch, "_weight_int8pack_mm"):
        return False
    probe = torch.linspace(-1, 1, 3 * q.shape[1], device=q.device).view(3, -1)
    probe = probe.to(torch.bfloat16)
    try:
        got = torch._weight_int8pack_mm(probe, q, scale).float()
    except (RuntimeError, NotImplementedError):
        return False
    want = (probe.float() @ q.float().t()) * scale.float()
    return bool((got - want).abs().max() <= 0.02 * want.abs().max() + 1e-3)


class Int8Linear(nn.Module):
    """Drop-in for an inference ``nn.Linear``: int8 weight, bf16 product, output in the input's
    dtype. Built from a float Linear's weight and bias; not trainable."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None) -> None:
        super().__init__()
        q, scale = quantize_rows(weight)
        self.register_buffer("qweight", q)
        self.register_buffer("scale", scale.to(torch.bfloat16))
        self.register_buffer("bias", None if bias is None else bias.detach().float().clone())
        self.in_features, self.out_features = weight.shape[1], weight.shape[0]
        self.use_packed_kernel = _packed_kernel_works(q, self.scale)

    @classmethod
    def from_linear(cls, linear: nn.Linear) -> Int8Linear:
        return cls(linear.weight, linear.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.reshape(-1, self.in_features).to(torch.bfloat16)
        if self.use_packed_kernel:
            y = torch._weight_int8pack_mm(flat, self.qweight, self.scale)
        else:
            y = F.linear(flat, self.qweight.to(torch.bfloat16)) * self.scale
        y = y.to(x.dtype).view(*x.shape[:-1], self.out_features)
        return y if self.bias is None else y + self.bias.to(x.dtype)


def quantize_linears(module: nn.Module) -> int:
    """Replace every ``nn.Linear`` inside ``module`` with an ``Int8Linear``, in place, for
    inference (BERT/HuBERT feature models). Returns how many were replaced."""
    replaced = 0
    for name, child in list(module.named_children()):
        if isinstance(child, nn.Linear):
            setattr(module, name, Int8Linear.from_linear(child))
            replaced += 1
        else:
            replaced += quantize_linears(child)
    return replaced
