"""SoVITSGenerator: the GPT-SoVITS v2 S2 synthesizer (upstream `SynthesizerTrn`).

Three entry points:
* `extract_latent(ssl)` - HuBERT features -> semantic codes (the S1 prompt and training target);
* `decode(codes, phones, refer)` - codes + phones + reference spectrogram(s) -> 32 kHz audio;
* `forward(...)` - the training step: posterior z from the real spectrogram, flow to the prior,
  and audio for one random 32-frame slice (the GAN losses live elsewhere).

Randomness (prior noise, posterior noise, slice positions) can be passed in so a recorded
reference run can be reproduced exactly. Module names are the checkpoint keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from voicestudio.errors import UserInputError
from voicestudio.models.s2.attention import sequence_mask
from voicestudio.models.s2.config import S2Config
from voicestudio.models.s2.quantizer import ResidualVectorQuantizer
from voicestudio.models.s2.style_encoder import MelStyleEncoder
from voicestudio.models.s2.text_encoder import TextEncoder
from voicestudio.models.s2.vocoder import HiFiGANGenerator
from voicestudio.models.s2.wavenet import CouplingFlow, PosteriorEncoder

SVInput = torch.Tensor | Sequence[torch.Tensor] | None  # one (1, sv_dim) vector per reference


@dataclass
class DecodeTrace:
    """Everything `decode` computed, for tests and for streaming/caching callers."""

    audio: torch.Tensor  # (1, 1, T * hop)
    ge: torch.Tensor  # (1, gin, 1)
    enc_p_x: torch.Tensor  # (1, hidden, T)
    m_p: torch.Tensor  # (1, inter, T)
    logs_p: torch.Tensor
    y_mask: torch.Tensor  # (1, 1, T)
    z: torch.Tensor  # flow(z_p, reverse) (1, inter, T)


@dataclass
class TrainStepOutput:
    y_hat: torch.Tensor  # (B, 1, segment_size) audio of the sliced latents
    commit_loss: torch.Tensor  # scalar; 0 with the frozen quantizer
    ids_slice: torch.Tensor  # (B,) first frame of each slice
    y_mask: torch.Tensor  # (B, 1, T)
    z: torch.Tensor  # posterior sample (B, inter, T)
    z_p: torch.Tensor  # flow(z)
    m_p: torch.Tensor  # prior
    logs_p: torch.Tensor
    m_q: torch.Tensor  # posterior
    logs_q: torch.Tensor
    quantized: torch.Tensor  # (B, 768, T) quantized SSL after the x2 upsampling
    ge: torch.Tensor  # (B, gin, 1)


class SoVITSGenerator(nn.Module):
    def __init__(self, cfg: S2Config, with_posterior: bool = True) -> None:
        super().__init__()
        self.config = cfg
        # registration order = upstream state-dict order
        self.enc_p = TextEncoder(cfg)
        self.dec = HiFiGANGenerator(cfg)
        # registered even when absent so an attached encoder keeps its place in the key order
        self.register_module("enc_q", self._new_posterior() if with_posterior else None)
        self.flow = CouplingFlow(
            cfg.inter_channels,
            cfg.hidden_channels,
            cfg.wavenet_kernel_size,
            cfg.flow_layers,
            cfg.n_flows,
            cfg.gin_channels,
        )
        self.ref_enc = MelStyleEncoder(
            cfg.ref_enc_bins,
            cfg.gin_channels,
            cfg.style_hidden,
            cfg.style_kernel_size,
            cfg.style_heads,
        )
        ssl_kernel = 2 if cfg.semantic_frame_rate == "25hz" else 1
        self.ssl_proj = nn.Conv1d(cfg.ssl_dim, cfg.ssl_dim, ssl_kernel, stride=ssl_kernel)
        self.quantizer = ResidualVectorQuantizer(cfg.ssl_dim, cfg.codebook_size, cfg.n_codebooks)
        self.quantizer.requires_grad_(False)

    def _new_posterior(self) -> PosteriorEncoder:
        cfg = self.config
        return PosteriorEncoder(
            cfg.spec_channels,
            cfg.inter_channels,
            cfg.hidden_channels,
            cfg.wavenet_kernel_size,
            cfg.posterior_layers,
            cfg.gin_channels,
        )

    @property
    def weight_dtype(self) -> torch.dtype:
        """fp32 normally, fp16 after .half() (upstream's CUDA inference mode)."""
        return self.dec.conv_pre.weight.dtype

    def attach_posterior_encoder(self) -> None:
        """Give an inference export (no `enc_q`) a fresh posterior encoder so it can train.

        Upstream does the same implicitly (its loader leaves enc_q randomly initialised).
        """
        if self.enc_q is None:
            device = self.ssl_proj.weight.device
            self.enc_q = self._new_posterior().to(device)

    # Semantic codes ------------------------------------------------------------------------
    def _quantize(self, ssl: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """ssl (B, 768, T50) -> codes (n_q, B, T25), quantized (B, 768, T25); always fp32."""
        with torch.autocast(ssl.device.type, enabled=False):
            x = F.conv1d(
                ssl.float(),
                self.ssl_proj.weight.float(),
                self.ssl_proj.bias.float(),
                stride=self.ssl_proj.stride,
            )
            codes = self.quantizer.encode(x)
            return codes, self.quantizer.decode(codes)

    @torch.no_grad()
    def extract_latent(self, ssl: torch.Tensor) -> torch.Tensor:
        """HuBERT features (B, 768, T) at 50 Hz -> codes (B, n_q=1, T // 2) at 25 Hz."""
        if ssl.dim() != 3 or ssl.size(1) != self.config.ssl_dim:
            raise UserInputError(
                f"Expected speech features shaped (batch, {self.config.ssl_dim}, frames), "
                f"got {tuple(ssl.shape)}."
            )
        codes, _ = self._quantize(ssl)
        return codes.transpose(0, 1)

    def _upsample_codes(self, quantized: torch.Tensor) -> torch.Tensor:
        if self.config.semantic_frame_rate == "25hz":
            return F.interpolate(quantized, size=quantized.shape[-1] * 2, mode="nearest")
        return quantized

    # Voice embedding -----------------------------------------------------------------------
    def reference_embedding(
        self, spec: torch.Tensor, lengths: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Linear spectrogram (B, 1025, T) -> ge (B, gin, 1)."""
        if spec.dim() != 3 or spec.size(1) != self.config.spec_channels:
            raise UserInputError(
                f"Expected a reference spectrogram shaped (batch, {self.config.spec_channels}, "
                f"frames), got {tuple(spec.shape)}."
            )
        if lengths is None:
            lengths = torch.full((spec.size(0),), spec.size(2), device=spec.device)
        spec = spec.to(self.weight_dtype)  # spectrograms arrive fp32; a half model wants fp16
        mask = sequence_mask(lengths, spec.size(2), spec.dtype)
        return self.ref_enc(spec, mask)

    def fuse_voice(self, ge: torch.Tensor, sv: torch.Tensor | None) -> torch.Tensor:
        """Combine a reference-encoder vector with a speaker-verification vector (v2Pro);
        v2 has none and keeps `ge` as it is."""
        return ge

    def text_voice(self, ge: torch.Tensor) -> torch.Tensor:
        """The voice vector the text encoder's MRTE adds (v2: `ge` itself)."""
        return ge

    @staticmethod
    def _references(refer: torch.Tensor | Sequence[torch.Tensor]) -> list[torch.Tensor]:
        refs = [refer] if isinstance(refer, torch.Tensor) else list(refer)
        if not refs:
            raise UserInputError("At least one reference recording is needed to set the voice.")
        return refs

    def _pair_references(
        self, refer: torch.Tensor | Sequence[torch.Tensor], sv: SVInput
    ) -> list[tuple[torch.Tensor, torch.Tensor | None]]:
        # v2 has no use for speaker-verification vectors
        return [(r, None) for r in self._references(refer)]

    def voice(
        self, refer: torch.Tensor | Sequence[torch.Tensor], sv: SVInput = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Reference spectrogram(s) -> (ge for flow and vocoder, voice vector for MRTE).

        Several references are fused one by one and their vectors averaged.
        """
        ges = [
            self.fuse_voice(self.reference_embedding(r), s)
            for r, s in self._pair_references(refer, sv)
        ]
        ge = ges[0] if len(ges) == 1 else torch.stack(ges).mean(0)
        return ge, self.text_voice(ge)

    # Synthesis -----------------------------------------------------------------------------
    @torch.no_grad()
    def decode_with_trace(
        self,
        codes: torch.Tensor,
        text: torch.Tensor,
        refer: torch.Tensor | Sequence[torch.Tensor],
        noise_scale: float = 0.5,
        speed: float = 1.0,
        noise: torch.Tensor | None = None,
        sv: SVInput = None,
        voice: tuple[torch.Tensor, torch.Tensor] | None = None,
    ) -> DecodeTrace:
        """codes (n_q, 1, Tc) from S1, text (1, Tt) phone ids, refer (1, 1025, Tr) or a list.

        `noise` (1, inter, T') replaces the standard-normal prior sample. `sv`: the
        speaker-verification vector (1, sv_dim) of each reference (v2Pro/v2ProPlus only).
        `voice`: what `self.voice(refer, sv)` returned for these references, computed once
        per reference by a caller that decodes many sentences in one voice (refer and sv
        are then not read again).
        """
        self._check_decode_inputs(codes, text, speed)
        ge, ge_text = voice if voice is not None else self.voice(refer, sv)
        quantized = self._upsample_codes(self.quantizer.decode(codes))  # (1, 768, 2*Tc)
        y_lengths = torch.tensor([quantized.size(2)], device=codes.device)
        text_lengths = torch.tensor([text.size(-1)], device=text.device)
        x, m_p, logs_p, y_mask = self.enc_p(
            quantized, y_lengths, text, text_lengths, ge_text, speed
        )
        if noise is None:
            noise = torch.randn_like(m_p)
        z_p = m_p + noise.to(m_p) * torch.exp(logs_p) * noise_scale
        z = self.flow(z_p, y_mask, g=ge, reverse=True)
        audio = self.dec(z * y_mask, g=ge)
        return DecodeTrace(audio, ge, x, m_p, logs_p, y_mask, z)

    def decode(
        self,
        codes: torch.Tensor,
        text: torch.Tensor,
        refer: torch.Tensor | Sequence[torch.Tensor],
        noise_scale: float = 0.5,
        speed: float = 1.0,
        noise: torch.Tensor | None = None,
        sv: SVInput = None,
        voice: tuple[torch.Tensor, torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """Semantic codes + phones in the voice of `refer` -> audio (1, 1, samples) at 32 kHz."""
        return self.decode_with_trace(codes, text, refer, noise_scale, speed, noise, sv,
                                      voice).audio

    def _check_decode_inputs(self, codes: torch.Tensor, text: torch.Tensor, speed: float) -> None:
        if codes.dim() != 3 or codes.size(2) == 0:
            raise UserInputError(
                f"Expected semantic codes shaped (1, 1, frames), got {tuple(codes.shape)}."
            )
        if text.dim() != 2 or text.size(1) == 0:
            raise UserInputError("There are no phones to speak; enter some text.")
        if codes.min() < 0 or codes.max() >= self.config.codebook_size:
            raise UserInputError(
                f"Semantic codes must lie in 0..{self.config.codebook_size - 1}; these come "
                "from a different or broken text-to-semantic model."
            )
        if text.min() < 0 or text.max() >= self.config.n_symbols:
            raise UserInputError(
                f"Phone ids must lie in 0..{self.config.n_symbols - 1}; the text front end and "
                "this voice model use different symbol tables."
            )
        if not 0.25 <= speed <= 4.0:
            raise UserInputError(f"Speed {speed} is out of range; choose 0.25 to 4.")

    # Training ------------------------------------------------------------------------------
    def forward(
        self,
        ssl: torch.Tensor,
        spec: torch.Tensor,
        spec_lengths: torch.Tensor,
        text: torch.Tensor,
        text_lengths: torch.Tensor,
        posterior_noise: torch.Tensor | None = None,
        slice_rand: torch.Tensor | None = None,
        sv: torch.Tensor | None = None,
    ) -> TrainStepOutput:
        """One training step's generator pass.

        ssl (B, 768, T) at 50 Hz, spec (B, 1025, T) linear magnitude, text (B, Tt).
        `posterior_noise` (B, inter, T) and `slice_rand` (B,) uniform in [0, 1) replace the
        random draws; slice start = floor(slice_rand * (length - segment_frames + 1)).
        `sv` (B, sv_dim): each clip's speaker-verification vector (v2Pro/v2ProPlus only).
        """
        if self.enc_q is None:
            raise UserInputError(
                "This SoVITS file is an inference export without the posterior encoder; "
                "start training from a base model (s2G...pth) or attach a new encoder first."
            )
        seg = self.config.segment_frames
        if int(spec_lengths.min()) < seg:
            raise UserInputError(
                f"A training clip is shorter than {seg} frames "
                f"({seg * self.config.hop_length / self.config.sampling_rate:.2f} s); "
                "remove very short clips from the dataset."
            )
        spec = spec.to(self.weight_dtype)
        y_mask = sequence_mask(spec_lengths, spec.size(2), spec.dtype)
        ge = self.fuse_voice(self.ref_enc(spec, y_mask), sv)  # (B, gin, 1)

        _, quantized = self._quantize(ssl)  # frozen: no gradient, no codebook update
        commit_loss = quantized.new_zeros(())
        quantized = self._upsample_codes(quantized)  # (B, 768, T)

        _, m_p, logs_p, y_mask = self.enc_p(
            quantized, spec_lengths, text, text_lengths, self.text_voice(ge)
        )
        z, m_q, logs_q, y_mask = self.enc_q(spec, spec_lengths, g=ge, noise=posterior_noise)
        z_p = self.flow(z, y_mask, g=ge)

        if slice_rand is None:
            slice_rand = torch.rand(spec.size(0), device=spec.device)
        ids_slice = (slice_rand.to(spec.device) * (spec_lengths - seg + 1)).long()
        frames = ids_slice.unsqueeze(1) + torch.arange(seg, device=z.device)  # (B, seg)
        z_slice = torch.gather(z, 2, frames.unsqueeze(1).expand(-1, z.size(1), -1))
        y_hat = self.dec(z_slice, g=ge)
        return TrainStepOutput(
            y_hat, commit_loss, ids_slice, y_mask, z, z_p, m_p, logs_p, m_q, logs_q, quantized, ge
        )
