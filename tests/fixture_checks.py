"""Comparisons against upstream reference arrays, with the tolerances the fixture READMEs set."""

from __future__ import annotations

import numpy as np
import torch

INTERMEDIATE_TOL = 1e-4  # atol and rtol of S2 intermediates (ge, m_p, logs_p, z, ...)


def as_tensor(array: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(array))


def assert_intermediate(name: str, got: torch.Tensor, want: np.ndarray) -> None:
    got_np = got.detach().cpu().numpy()
    assert got_np.shape == want.shape, name
    np.testing.assert_allclose(
        got_np, want, atol=INTERMEDIATE_TOL, rtol=INTERMEDIATE_TOL, err_msg=name
    )


def assert_audio(name: str, got: torch.Tensor, want: np.ndarray) -> None:
    """Waveforms: atol = 2e-4 x the reference's peak."""
    got_np = got.detach().cpu().numpy()
    assert got_np.shape == want.shape, name
    atol = 2e-4 * float(np.abs(want).max())
    np.testing.assert_allclose(got_np, want, atol=atol, rtol=0, err_msg=name)


def scaled(digits: str) -> float:
    """'05' -> 0.5, '0' -> 0.0, '125' -> 1.25: the fixtures' number-in-name convention."""
    return int(digits) / 10 ** (len(digits) - 1)
