"""The v2Pro / v2ProPlus S2 generator: v2 plus a speaker-verification voice fingerprint.

Upstream GPT-SoVITS (SynthesizerTrn with version v2Pro/v2ProPlus) keeps every v2 module and
adds three: `sv_emb` projects the ERes2NetV2 fingerprint (20480 wide) to the voice width,
it is added to the reference-encoder vector and passed through a per-channel PReLU, and
`ge_to512` maps the fused vector to the fixed 512 width that the text encoder's MRTE adds.
The fused vector (gin wide) conditions the flow, the vocoder and the posterior encoder as
`ge` does in v2. With several references each is fused with its own fingerprint and the
fused vectors are averaged; ge_to512 reads the average. v2Pro and v2ProPlus differ only in
vocoder sizes, which the config carries.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from voicestudio.errors import UserInputError
from voicestudio.models.s2.config import S2Config
from voicestudio.models.s2.generator import SoVITSGenerator, SVInput


class SoVITSProGenerator(SoVITSGenerator):
    def __init__(self, cfg: S2Config, with_posterior: bool = True) -> None:
        if not cfg.uses_sv:
            raise ValueError(f"version {cfg.version} has no speaker-verification input")
        super().__init__(cfg, with_posterior)
        # registered after the v2 modules: upstream's state-dict order
        self.sv_emb = nn.Linear(cfg.sv_dim, cfg.gin_channels)
        self.ge_to512 = nn.Linear(cfg.gin_channels, cfg.sv_text_width)
        self.prelu = nn.PReLU(num_parameters=cfg.gin_channels)

    def fuse_voice(self, ge: torch.Tensor, sv: torch.Tensor | None) -> torch.Tensor:
        """ge (B, gin, 1) + sv (B, sv_dim) -> PReLU(ge + sv_emb(sv)) (B, gin, 1)."""
        if sv is None:
            raise UserInputError(_NEEDS_SV)
        if sv.dim() != 2 or sv.size(0) != ge.size(0) or sv.size(1) != self.config.sv_dim:
            raise UserInputError(
                f"Expected speaker-verification vectors shaped ({ge.size(0)}, "
                f"{self.config.sv_dim}), got {tuple(sv.shape)}; they come from a different "
                "speaker-verification model than this voice model was trained with."
            )
        projected = self.sv_emb(sv.to(self.sv_emb.weight.dtype))  # (B, gin)
        return self.prelu(ge + projected.unsqueeze(-1))

    def text_voice(self, ge: torch.Tensor) -> torch.Tensor:
        """(B, gin, 1) -> (B, 512, 1) for MRTE."""
        return self.ge_to512(ge.transpose(1, 2)).transpose(1, 2)

    def _pair_references(
        self, refer: torch.Tensor | Sequence[torch.Tensor], sv: SVInput
    ) -> list[tuple[torch.Tensor, torch.Tensor | None]]:
        refs = self._references(refer)
        if sv is None:
            raise UserInputError(_NEEDS_SV)
        svs = [sv] if isinstance(sv, torch.Tensor) else list(sv)
        if len(svs) != len(refs):
            raise UserInputError(
                f"{len(refs)} reference recordings but {len(svs)} speaker-verification "
                "vectors; every reference needs its own."
            )
        return list(zip(refs, svs, strict=True))


_NEEDS_SV = (
    "This v2Pro voice model needs the speaker-verification fingerprint of its reference "
    "recording; install the v2Pro base models (they include the speaker-verification model)."
)


def build_s2_generator(cfg: S2Config, with_posterior: bool = True) -> SoVITSGenerator:
    """The generator class the config's version calls for."""
    if cfg.uses_sv:
        return SoVITSProGenerator(cfg, with_posterior)
    return SoVITSGenerator(cfg, with_posterior)
