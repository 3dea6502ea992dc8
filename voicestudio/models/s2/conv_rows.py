"""1-D convolutions run as 2-D ones over a single row in channels-last layout, at inference.

On x86 CPUs oneDNN's 1-D convolution path reorders every input and output between PyTorch's
(N, C, T) layout and its own blocked one: in a profile of the HiFi-GAN the copies took a third
of the time, and a dilated 128-channel conv over 7680 samples ran in 4.3 ms as conv1d against
1.6 ms as conv2d over (N, C, 1, T) in channels-last layout ("rows" here), with the same result
(transposed convs: 13.0 against 4.8 ms in fp32). The layout stays channels-last through the
point-wise operations in between, so a whole stack of convolutions converts once on the way
in and once on the way out. Training keeps the plain 1-D path.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn


def to_rows(x: torch.Tensor) -> torch.Tensor:
    """(N, C, T) -> (N, C, 1, T) in channels-last layout."""
    return x.unsqueeze(2).contiguous(memory_format=torch.channels_last)


def from_rows(x: torch.Tensor) -> torch.Tensor:
    """(N, C, 1, T) in any layout -> contiguous (N, C, T)."""
    return x.squeeze(2).contiguous()


def _version(t: torch.Tensor) -> int:
    return 0 if t.is_inference() else t._version  # inference tensors keep no version


def _held(conv: nn.Module, store: str, kernel: torch.Tensor,
          make: Callable[[torch.Tensor], torch.Tensor]) -> torch.Tensor:
    """``make(kernel)``, made once per kernel state and dtype and kept on ``conv`` under
    ``store`` (a bf16 vocoder runs short inputs in fp32, so both stay ready); the held
    reference keeps the source alive, so a new kernel is never mistaken for it."""
    kept = conv.__dict__.setdefault(store, {})
    held = kept.get(kernel.dtype)
    if held is None or held[0] is not kernel or held[1] != _version(kernel):
        held = (kernel, _version(kernel), make(kernel))
        kept[kernel.dtype] = held
    return held[2]


def _as_rows(kernel: torch.Tensor) -> torch.Tensor:
    """``kernel`` (O, I, K) as a channels-last (O, I, 1, K) tensor."""
    return kernel.detach().unsqueeze(2).contiguous(memory_format=torch.channels_last)


def _rows_kernel(conv: nn.Module, kernel: torch.Tensor) -> torch.Tensor:
    return _held(conv, "_rows_kernels", kernel, _as_rows)


def _kernel_and_bias(conv: nn.Module, x: torch.Tensor
                     ) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Weight-normalised convs supply their folded (and, for bf16 input, cast) kernel; plain
    ones their weight."""
    kernel_and_bias = getattr(conv, "kernel_and_bias", None)
    return kernel_and_bias(x) if kernel_and_bias else (conv.weight, conv.bias)


def conv_rows(conv: nn.Conv1d | nn.ConvTranspose1d, x: torch.Tensor) -> torch.Tensor:
    """``conv`` applied to rows ``x`` (N, C, 1, T); returns rows."""
    if conv.padding_mode != "zeros":
        raise ValueError("only zero-padded convolutions run as rows")
    kernel, bias = _kernel_and_bias(conv, x)
    weight = _rows_kernel(conv, kernel)
    stride, dilation = (1, conv.stride[0]), (1, conv.dilation[0])
    padding = (0, conv.padding[0])
    if isinstance(conv, nn.ConvTranspose1d):
        output_padding = (0, conv.output_padding[0])
        return F.conv_transpose2d(x, weight, bias, stride, padding, output_padding, conv.groups,
                                  dilation)
    return F.conv2d(x, weight, bias, stride, padding, dilation, conv.groups)


# Fused convolutions for the residual blocks: oneDNN applies the leaky ReLU after a conv, or
# adds the residual to its output, while the output is still in its registers, instead of a
# separate pass over a tensor of 32 kHz samples; the kernel is laid out once for oneDNN
# instead of on every call. Both are PyTorch's own oneDNN ops (the ones its compiler emits),
# probed once: a build without them, or giving other numbers, keeps the plain path.
_pointwise = getattr(torch.ops.mkldnn, "_convolution_pointwise", None)


def _conv_args(conv: nn.Conv1d) -> tuple[list[int], list[int], list[int], int]:
    return [0, conv.padding[0]], [1, conv.stride[0]], [1, conv.dilation[0]], conv.groups


def _packed_kernel(conv: nn.Conv1d, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
    """``conv``'s kernel in oneDNN's own layout for inputs like ``x``, and its bias."""
    kernel, bias = _kernel_and_bias(conv, x)

    def pack(source: torch.Tensor) -> torch.Tensor:
        return torch.ops.mkldnn._reorder_convolution_weight(_as_rows(source), *_conv_args(conv),
                                                            list(x.shape))

    return _held(conv, "_packed_kernels", kernel, pack), bias


def _fused_leaky(conv: nn.Conv1d, x: torch.Tensor, slope: float) -> torch.Tensor:
    kernel, bias = _packed_kernel(conv, x)
    return _pointwise(x, kernel, bias, *_conv_args(conv), "leaky_relu", [slope], "")


def _fused_add(conv: nn.Conv1d, x: torch.Tensor, other: torch.Tensor) -> torch.Tensor:
    kernel, bias = _packed_kernel(conv, x)
    return _pointwise.binary(x, other, kernel, bias, *_conv_args(conv), "add", None, None, [],
                             None)


def conv_rows_leaky(conv: nn.Conv1d, x: torch.Tensor, slope: float) -> torch.Tensor:
    """``leaky_relu(conv(x), slope)`` on rows, in one pass where oneDNN can fuse it."""
    if not fused_rows_work():
        return F.leaky_relu(conv_rows(conv, x), slope)
    return _fused_leaky(conv, x, slope)


def conv_rows_add(conv: nn.Conv1d, x: torch.Tensor, other: torch.Tensor) -> torch.Tensor:
    """``other + conv(x)`` on rows, in one pass where oneDNN can fuse it."""
    if not fused_rows_work():
        return other + conv_rows(conv, x)
    return _fused_add(conv, x, other)


@functools.cache
def fused_rows_work() -> bool:
    """Whether this PyTorch build runs the fused convolutions and gets the plain result."""
    if _pointwise is None or not torch.backends.mkldnn.is_available():
        return False
    conv = nn.Conv1d(8, 8, 3, padding=2, dilation=2)
    x = to_rows(torch.randn(1, 8, 40))
    other = to_rows(torch.randn(1, 8, 40))
    try:
        with torch.inference_mode():
            plain = conv_rows(conv, x)
            return (torch.allclose(_fused_leaky(conv, x, 0.1), F.leaky_relu(plain, 0.1),
                                   atol=1e-5)
                    and torch.allclose(_fused_add(conv, x, other), other + plain, atol=1e-5))
    except (RuntimeError, TypeError, AttributeError):
        return False
