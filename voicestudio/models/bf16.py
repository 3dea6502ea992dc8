"""bfloat16 linears with their weight laid out once for oneDNN: half the bytes of fp32.

A batch-1 decode step reads every weight once, so halving the bytes halves most of its
time, but only if the product itself is fast: PyTorch's plain ``F.linear`` on bf16 tensors
re-lays the weight out on every call and is slower than fp32 on a CPU. oneDNN's linear with
a weight reordered once at build time (``torch.ops.mkldnn``, what PyTorch's own CPU compiler
uses) is about twice as fast as fp32 at batch 1 on CPUs with AVX512-BF16 or AMX. Where that
is missing the layer keeps its fp32 weight and computes exactly.

An optional speed choice, like ``int8.py``: callers measure its agreement with fp32.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _mkldnn_bf16_available() -> bool:
    ops = torch.ops.mkldnn
    try:
        return (torch.backends.mkldnn.is_available() and ops._is_mkldnn_bf16_supported()
                and hasattr(ops, "_reorder_linear_weight") and hasattr(ops, "_linear_pointwise"))
    except (AttributeError, RuntimeError):
        return False


class Bf16Linear:
    """``y = x W^T + b`` with W in bf16 (oneDNN layout), x rounded to bf16, b and y in the
    input's dtype; the exact fp32 product where oneDNN bf16 is not available here."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None) -> None:
        self.out_features, self.in_features = weight.shape
        self.bias = bias
        self.weight = weight  # fp32, used only where the packed kernel is unavailable
        self.packed: torch.Tensor | None = None
        if weight.device.type == "cpu" and _mkldnn_bf16_available():
            packed = torch.ops.mkldnn._reorder_linear_weight(weight.detach().to(torch.bfloat16), 1)
            if self._probe(packed):
                self.packed, self.weight = packed, None

    def _probe(self, packed: torch.Tensor) -> bool:
        """Whether the packed product gives this weight's numbers (bf16 rounding allowed)."""
        probe = torch.linspace(-1, 1, 3 * self.in_features).view(3, -1)
        try:
            got = torch.ops.mkldnn._linear_pointwise(probe.to(torch.bfloat16), packed, None,
                                                     "none", [], "").float()
        except (RuntimeError, NotImplementedError):
            return False
        want = F.linear(probe, self.weight)
        return bool((got - want).abs().max() <= 0.02 * want.abs().max() + 1e-3)

    @property
    def uses_bf16(self) -> bool:
        return self.packed is not None

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if self.packed is None:
            return F.linear(x, self.weight, self.bias)
        flat = x.reshape(-1, self.in_features).to(torch.bfloat16)
        y = torch.ops.mkldnn._linear_pointwise(flat, self.packed, None, "none", [], "")
        y = y.to(x.dtype).view(*x.shape[:-1], self.out_features)
        return y if self.bias is None else y + self.bias
