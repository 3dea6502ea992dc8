"""Weight-normalised convolutions that store `weight_g` / `weight_v` like GPT-SoVITS files do.

Upstream wraps its convolutions in the legacy `torch.nn.utils.weight_norm`, so every pretrained
S2 checkpoint holds a magnitude `weight_g` (out, 1, ...) and a direction `weight_v` (the conv's
weight shape) instead of `weight`; the effective kernel is g * v / ||v|| with the norm over all
axes but 0. That torch helper is deprecated (its replacement names the tensors
`parametrizations.weight.original0/1`), so these classes keep the old names as plain parameters,
registered after `bias` to give the same state-dict order as upstream.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from voicestudio.models.s2.conv_rows import conv_rows


def norm_except_dim0(v: torch.Tensor) -> torch.Tensor:
    """L2 norm of every slice along axis 0, shaped (n, 1, 1, ...) to broadcast against `v`."""
    return v.flatten(1).norm(dim=1).reshape(v.shape[0], *([1] * (v.dim() - 1)))


class _WeightNorm:
    """Swaps a conv's `weight` for (`weight_g`, `weight_v`); g starts at ||v|| so the kernel
    keeps the conv's default initialisation, as `torch.nn.utils.weight_norm` does. Mixed in
    before a torch conv class, whose `_conv_forward(x, weight, bias)` it reuses."""

    weight_g: nn.Parameter
    weight_v: nn.Parameter

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        v = self.weight.detach()
        del self.weight
        self.weight_g = nn.Parameter(norm_except_dim0(v))
        self.weight_v = nn.Parameter(v.clone())
        self._folded: tuple[tuple, torch.Tensor] | None = None
        self._reduced: tuple[tuple, torch.Tensor, torch.Tensor | None] | None = None
        self._v_is_kernel: tuple | None = None  # the weight state in which v is the kernel

    def folded_weight(self) -> torch.Tensor:
        """The kernel the convolution applies: g * v / ||v||."""
        return self.weight_v * (self.weight_g / norm_except_dim0(self.weight_v))

    def kernel(self) -> torch.Tensor:
        """The folded kernel, computed once per weight state when no gradient is wanted.

        Inference (every sentence of a narration) then convolves with a ready kernel instead
        of re-normalising every weight on every call; training still folds per call so the
        gradient reaches g and v. The key changes when the weights are loaded, moved or
        trained in place, so a stale kernel is never used.
        """
        g, v = self.weight_g, self.weight_v
        if torch.is_grad_enabled() and (g.requires_grad or v.requires_grad):
            return self.folded_weight()
        key = self._state()
        if self._v_is_kernel == key:
            return v
        if self._folded is None or self._folded[0] != key:
            with torch.no_grad():
                self._folded = (key, self.folded_weight())
        return self._folded[1]

    def _state(self) -> tuple:
        g, v = self.weight_g, self.weight_v
        return (g.data_ptr(), v.data_ptr(), g._version, v._version, v.dtype, v.device)

    def fold_in_place(self) -> None:
        """Make v the kernel itself and g its norms, which parameterise the same kernel, so a
        model that only infers holds each kernel once instead of v and a folded copy (90 MB
        for the v2 generator). A later change of the weights (loading others) is noticed and
        folded as usual; the state dict stays a valid weight-norm one."""
        with torch.no_grad():
            kernel = self.folded_weight()
            self.weight_v.copy_(kernel)
            self.weight_g.copy_(norm_except_dim0(kernel))
        self._folded = None
        self._v_is_kernel = self._state()

    def kernel_and_bias(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The kernel and bias to convolve ``x`` with. A bf16 input at inference (the reduced
        precision vocoder) gets the fp32-folded kernel cast to bf16 once per weight state,
        not on every call as autocast would; anything else gets ``kernel()`` as it is."""
        kernel = self.kernel()
        if x.dtype != torch.bfloat16 or kernel.dtype == x.dtype or torch.is_grad_enabled():
            return kernel, self.bias
        bias_state = None if self.bias is None else (self.bias.data_ptr(), self.bias._version)
        key = (self._state(), bias_state)
        if self._reduced is None or self._reduced[0] != key:
            bias = None if self.bias is None else self.bias.detach().to(x.dtype)
            self._reduced = (key, kernel.detach().to(x.dtype), bias)
        return self._reduced[1], self._reduced[2]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._conv_forward(x, *self.kernel_and_bias(x))


class WeightNormConv1d(_WeightNorm, nn.Conv1d):
    """nn.Conv1d with a weight-normalised kernel; same constructor arguments. A 4-D input is
    rows (models/s2/conv_rows.py): the inference layout of the vocoder."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 4:
            return conv_rows(self, x)
        return super().forward(x)


class WeightNormConv2d(_WeightNorm, nn.Conv2d):
    """nn.Conv2d with a weight-normalised kernel; same constructor arguments."""


class WeightNormConvTranspose1d(_WeightNorm, nn.ConvTranspose1d):
    """Transposed conv with legacy weight-norm keys; g is per *input* channel (axis 0)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 4:
            return conv_rows(self, x)
        return F.conv_transpose1d(
            x,
            *self.kernel_and_bias(x),
            self.stride,
            self.padding,
            self.output_padding,
            self.groups,
            self.dilation,
        )


def fold_weight_norm_in_place(model: nn.Module) -> None:
    """``fold_in_place`` every weight-normalised conv of a model that will only infer."""
    for module in model.modules():
        if isinstance(module, _WeightNorm):
            module.fold_in_place()
