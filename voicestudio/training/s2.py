"""S2 (SoVITS) fine-tuning: the GPT-SoVITS v2 recipe (``s2_train.py`` + ``configs/s2.json``).

One step trains the discriminator, then the generator, on one random 20480-sample slice per
clip:

    D: LSGAN  (1 - D(y))^2 + D(G(x))^2
    G: LSGAN (1 - D(G(x)))^2 + feature matching + 45 x mel L1 + 1 x KL + commitment

with AdamW (lr 1e-4, betas 0.8/0.99, eps 1e-9) for both networks, the text side of the
generator (phone embedding, text encoder, MRTE) at 0.4 x the rate, the learning rate decayed
by 0.999875 per epoch, and the codebook frozen. On CUDA the forward passes run under fp16
autocast with a gradient scaler, as upstream's ``fp16_run``. The numbers are upstream's
because the pretrained G and D were balanced under exactly them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from voicestudio.models.s2 import SoVITSGenerator, save_s2_checkpoint
from voicestudio.models.s2.losses import discriminator_loss, feature_loss, generator_loss, kl_loss
from voicestudio.models.spectrogram import SpectrogramConfig, mel_spectrogram, spec_to_mel
from voicestudio.training.batches import S2Example, collate_s2

TEXT_SIDE_MODULES = ("enc_p.text_embedding", "enc_p.encoder_text", "enc_p.mrte")


@dataclass(frozen=True)
class S2Recipe:
    learning_rate: float = 1e-4
    betas: tuple[float, float] = (0.8, 0.99)
    eps: float = 1e-9
    lr_decay: float = 0.999875  # per epoch
    text_low_lr_rate: float = 0.4
    c_mel: float = 45.0
    c_kl: float = 1.0
    n_mels: int = 128


def spectrogram_config(generator: SoVITSGenerator, n_mels: int = 128) -> SpectrogramConfig:
    cfg = generator.config
    return SpectrogramConfig(
        sample_rate=cfg.sampling_rate,
        n_fft=cfg.filter_length,
        hop_length=cfg.hop_length,
        win_length=cfg.filter_length,
        n_mels=n_mels,
    )


def slice_segments(x: torch.Tensor, starts: torch.Tensor, length: int) -> torch.Tensor:
    """(B, C, T) -> (B, C, length): row b from ``starts[b]``."""
    return torch.stack([x[b, :, int(s) : int(s) + length] for b, s in enumerate(starts)])


def generator_param_groups(generator: SoVITSGenerator, recipe: S2Recipe) -> list[dict[str, Any]]:
    """Base parameters at the full rate; the text side slower, so one minute of speech does
    not wear off what the text encoder learned from thousands of hours."""
    text_side, base = [], []
    for name, param in generator.named_parameters():
        if not param.requires_grad:
            continue  # the frozen codebook
        (text_side if name.startswith(TEXT_SIDE_MODULES) else base).append(param)
    low = recipe.learning_rate * recipe.text_low_lr_rate
    return [
        {"params": base, "lr": recipe.learning_rate, "initial_lr": recipe.learning_rate},
        {"params": text_side, "lr": low, "initial_lr": low},
    ]


class S2FineTuner:
    """Holds G, D, their optimisers and the scaler; ``train_step`` is one GAN step."""

    name = "s2"

    def __init__(
        self,
        generator: SoVITSGenerator,
        discriminator: nn.Module,
        examples: Sequence[S2Example],
        device: torch.device,
        hparams: dict[str, Any],
        use_amp: bool = False,
        recipe: S2Recipe = S2Recipe(),
    ) -> None:
        generator.attach_posterior_encoder()
        self.generator = generator.to(device).train()
        self.generator.quantizer.eval()  # frozen codebook: no EMA updates
        self.discriminator = discriminator.to(device).train()
        self.examples = list(examples)
        self.n_examples = len(self.examples)
        self.device = device
        self.hparams = hparams
        self.recipe = recipe
        self.use_amp = use_amp
        self.spec_cfg = spectrogram_config(generator, recipe.n_mels)
        self.optim_g = torch.optim.AdamW(
            generator_param_groups(self.generator, recipe),
            recipe.learning_rate, betas=recipe.betas, eps=recipe.eps,
        )
        self.optim_d = torch.optim.AdamW(
            [{"params": list(self.discriminator.parameters()), "initial_lr": recipe.learning_rate}],
            recipe.learning_rate, betas=recipe.betas, eps=recipe.eps,
        )
        self.scaler = torch.amp.GradScaler(device.type, enabled=use_amp)

    def begin_epoch(self, epoch: int) -> None:
        """Upstream's ExponentialLR is stepped once before epoch 1 and after every epoch, so
        epoch e trains at initial x decay^e; the schedule's whole state is the epoch number."""
        for optim in (self.optim_g, self.optim_d):
            for group in optim.param_groups:
                group["lr"] = group["initial_lr"] * self.recipe.lr_decay**epoch

    def _autocast(self) -> torch.autocast:
        return torch.autocast(self.device.type, dtype=torch.float16, enabled=self.use_amp)

    def train_step(self, indices: list[int], batch_index: int) -> dict[str, float]:
        cfg, recipe = self.generator.config, self.recipe
        batch = collate_s2([self.examples[i] for i in indices], cfg.hop_length).to(self.device)
        G, D = self.generator, self.discriminator

        with self._autocast():
            out = G(batch.ssl, batch.spec, batch.spec_lengths, batch.text, batch.text_lengths,
                    sv=batch.sv)
            y_mel = slice_segments(spec_to_mel(batch.spec, self.spec_cfg), out.ids_slice,
                                   cfg.segment_frames)  # (B, n_mels, seg)
            y_hat_mel = mel_spectrogram(out.y_hat.squeeze(1), self.spec_cfg)
            y = slice_segments(batch.wav, out.ids_slice * cfg.hop_length, cfg.segment_size)
            real, fake, _, _ = D(y, out.y_hat.detach())
            loss_d = discriminator_loss(real, fake)
        self.optim_d.zero_grad(set_to_none=True)
        self.scaler.scale(loss_d).backward()
        self.scaler.step(self.optim_d)

        with self._autocast():
            _, fake, fmap_real, fmap_fake = D(y, out.y_hat)
            loss_mel = F.l1_loss(y_mel.float(), y_hat_mel.float()) * recipe.c_mel
            loss_kl = kl_loss(out.z_p, out.logs_q, out.m_p, out.logs_p, out.y_mask) * recipe.c_kl
            loss_fm = feature_loss(fmap_real, fmap_fake)
            loss_gen = generator_loss(fake)
            loss_g = loss_gen + loss_fm + loss_mel + out.commit_loss.float() + loss_kl
        self.optim_g.zero_grad(set_to_none=True)
        self.scaler.scale(loss_g).backward()
        self.scaler.step(self.optim_g)
        self.scaler.update()

        return {
            "d": loss_d.item(),
            "g": loss_g.item(),
            "gen": loss_gen.item(),
            "fm": loss_fm.item(),
            "mel": loss_mel.item(),
            "kl": loss_kl.item(),
        }

    def after_oom(self) -> None:
        self.optim_g.zero_grad(set_to_none=True)
        self.optim_d.zero_grad(set_to_none=True)

    def export(self, path: Path, epoch: int, step: int) -> None:
        """The official inference ``.pth`` (fp16, no ``enc_q``), loadable by GPT-SoVITS."""
        save_s2_checkpoint(path, self.generator, self.hparams, info=f"{epoch}epoch_{step}iteration")

    def state_dict(self) -> dict[str, Any]:
        return {
            "generator": self.generator.state_dict(),
            "discriminator": self.discriminator.state_dict(),
            "optim_g": self.optim_g.state_dict(),
            "optim_d": self.optim_d.state_dict(),
            "scaler": self.scaler.state_dict(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.generator.load_state_dict(state["generator"])
        self.discriminator.load_state_dict(state["discriminator"])
        self.optim_g.load_state_dict(state["optim_g"])
        self.optim_d.load_state_dict(state["optim_d"])
        if state["scaler"]:
            self.scaler.load_state_dict(state["scaler"])
