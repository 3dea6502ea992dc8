"""Behaviour of the tiny S2 generator that the fixtures do not pin down."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
import torch

from voicestudio.errors import UserInputError
from voicestudio.models.s2 import S2Config, SoVITSGenerator, random_s2_generator, tiny_s2_config
from voicestudio.models.s2.attention import MultiHeadAttention


@pytest.fixture(scope="module")
def generator() -> SoVITSGenerator:
    return random_s2_generator(seed=0)


def _inputs(n_codes: int = 6, n_phones: int = 5, ref_frames: int = 9, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    codes = torch.randint(0, 1024, (1, 1, n_codes), generator=g)
    text = torch.randint(0, 732, (1, n_phones), generator=g)
    refer = torch.rand(1, 1025, ref_frames, generator=g) * 5
    return codes, text, refer


def test_decode_gives_one_hop_of_audio_per_frame(generator: SoVITSGenerator) -> None:
    codes, text, refer = _inputs()
    audio = generator.decode(codes, text, refer, noise_scale=0.0)
    assert audio.shape == (1, 1, 6 * 2 * 640)
    assert float(audio.abs().max()) <= 1.0
    torch.testing.assert_close(generator.decode(codes, text, refer, noise_scale=0.0), audio)


def test_injected_noise_is_the_prior_sample(generator: SoVITSGenerator) -> None:
    codes, text, refer = _inputs()
    torch.manual_seed(11)
    seeded = generator.decode_with_trace(codes, text, refer, noise_scale=0.7)
    torch.manual_seed(11)
    noise = torch.randn_like(seeded.m_p)
    injected = generator.decode_with_trace(codes, text, refer, noise_scale=0.7, noise=noise)
    torch.testing.assert_close(injected.audio, seeded.audio)
    quiet = generator.decode_with_trace(codes, text, refer, noise_scale=0.0)
    assert not torch.allclose(quiet.z, seeded.z)


def test_several_references_average_their_voice_vectors(generator: SoVITSGenerator) -> None:
    codes, text, refer = _inputs()
    other = _inputs(ref_frames=14, seed=1)[2]
    both = generator.decode_with_trace(codes, text, [refer, other], noise_scale=0.0)
    with torch.no_grad():
        mean = (generator.reference_embedding(refer) + generator.reference_embedding(other)) / 2
    torch.testing.assert_close(both.ge, mean)
    same_twice = generator.decode(codes, text, [refer, refer], noise_scale=0.0)
    torch.testing.assert_close(same_twice, generator.decode(codes, text, refer, noise_scale=0.0))


@pytest.mark.parametrize("speed", [0.8, 1.25, 2.0])
def test_speed_changes_the_number_of_frames(generator: SoVITSGenerator, speed: float) -> None:
    codes, text, refer = _inputs(n_codes=10)
    audio = generator.decode(codes, text, refer, noise_scale=0.0, speed=speed)
    assert audio.shape[-1] == (int(20 / speed) + 1) * 640


def test_flow_is_exactly_invertible() -> None:
    generator = random_s2_generator(seed=2)
    cfg = generator.config
    torch.manual_seed(0)
    for coupling in generator.flow.flows[::2]:  # the fresh model's couplings start as identity
        torch.nn.init.normal_(coupling.post.weight, std=0.1)
    x = torch.randn(2, cfg.inter_channels, 13)
    mask = torch.ones(2, 1, 13)
    mask[1, :, 9:] = 0
    g = torch.randn(2, cfg.gin_channels, 1)
    with torch.no_grad():
        z = generator.flow(x * mask, mask, g)
        back = generator.flow(z, mask, g, reverse=True)
    assert not torch.allclose(z, x * mask)
    torch.testing.assert_close(back, x * mask, atol=1e-5, rtol=1e-5)


def _naive_relative_attention(attn: MultiHeadAttention, x: torch.Tensor) -> torch.Tensor:
    """Definition of VITS relative attention written as loops over frame pairs."""
    B, C, T = x.shape
    nh, hd, w = attn.n_heads, attn.head_dim, attn.window
    q = attn.conv_q(x).view(B, nh, hd, T) / math.sqrt(hd)
    k = attn.conv_k(x).view(B, nh, hd, T)
    v = attn.conv_v(x).view(B, nh, hd, T)
    out = torch.zeros(B, nh, hd, T)
    for i in range(T):
        scores = torch.zeros(B, nh, T)
        for j in range(T):
            scores[..., j] = (q[..., i] * k[..., j]).sum(-1)
            if abs(j - i) <= w:
                scores[..., j] += (q[..., i] * attn.emb_rel_k[0, j - i + w]).sum(-1)
        p = torch.softmax(scores, dim=-1)
        for j in range(T):
            out[..., i] += p[..., j, None] * v[..., j]
            if abs(j - i) <= w:
                out[..., i] += p[..., j, None] * attn.emb_rel_v[0, j - i + w]
    return attn.conv_o(out.reshape(B, C, T))


@pytest.mark.parametrize("frames", [1, 3, 5, 6, 11])
def test_relative_attention_matches_its_definition(frames: int) -> None:
    torch.manual_seed(frames)
    attn = MultiHeadAttention(8, 2, window=4).eval()
    x = torch.randn(1, 8, frames)
    mask = torch.ones(1, 1, frames, frames)
    with torch.no_grad():
        torch.testing.assert_close(
            attn(x, x, mask), _naive_relative_attention(attn, x), atol=1e-5, rtol=1e-5
        )


def _training_batch(cfg: S2Config, lengths=(12, 10)):
    torch.manual_seed(5)
    T = max(lengths)
    spec_lengths = torch.tensor(lengths)
    mask = (torch.arange(T)[None] < spec_lengths[:, None]).float()
    ssl = torch.randn(len(lengths), cfg.ssl_dim, T) * mask[:, None]
    spec = torch.rand(len(lengths), cfg.spec_channels, T) * mask[:, None]
    text = torch.randint(1, 732, (len(lengths), 7))
    return ssl, spec, spec_lengths, text, torch.tensor([7, 5])


def test_training_step_trains_generator_but_not_quantizer() -> None:
    cfg = replace(tiny_s2_config(), p_dropout=0.1, segment_size=8 * 640)  # 8-frame slices
    generator = random_s2_generator(cfg, seed=1).train()
    codebook = generator.quantizer.vq.layers[0]._codebook.embed.clone()
    out = generator(*_training_batch(cfg))
    assert out.y_hat.shape == (2, 1, cfg.segment_size)
    assert out.quantized.shape == (2, cfg.ssl_dim, 12)
    assert float(out.commit_loss) == 0.0
    assert 0 <= int(out.ids_slice[1]) <= 10 - cfg.segment_frames
    loss = out.y_hat.abs().mean() + (out.z_p - out.m_p).pow(2).mean() + out.m_q.pow(2).mean()
    loss.backward()
    for module in (generator.dec, generator.enc_p, generator.enc_q, generator.ref_enc):
        assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in module.parameters())
    assert generator.ssl_proj.weight.grad is None
    assert torch.equal(generator.quantizer.vq.layers[0]._codebook.embed, codebook)


def test_bad_inputs_get_clear_errors(generator: SoVITSGenerator) -> None:
    codes, text, refer = _inputs()
    with pytest.raises(UserInputError, match="0..1023"):
        generator.decode(codes + 1024, text, refer)
    with pytest.raises(UserInputError, match="symbol tables"):
        generator.decode(codes, text + 732, refer)
    with pytest.raises(UserInputError, match="no phones"):
        generator.decode(codes, text[:, :0], refer)
    with pytest.raises(UserInputError, match="reference spectrogram"):
        generator.decode(codes, text, refer[:, :704])
    with pytest.raises(UserInputError, match="At least one"):
        generator.decode(codes, text, [])
    with pytest.raises(UserInputError, match="Speed"):
        generator.decode(codes, text, refer, speed=0)
    with pytest.raises(UserInputError, match="speech features"):
        generator.extract_latent(torch.zeros(1, 512, 10))
    cfg = generator.config
    with pytest.raises(UserInputError, match="shorter than"):
        generator(*_training_batch(cfg, lengths=(40, 20)))
    inference_only = SoVITSGenerator(tiny_s2_config(), with_posterior=False)
    with pytest.raises(UserInputError, match="posterior encoder"):
        inference_only(*_training_batch(cfg, lengths=(40, 34)))


def test_half_precision_model_takes_fp32_inputs() -> None:
    """Upstream runs S2 in fp16 on CUDA; the dtype plumbing is the same on the CPU."""
    codes, text, refer = _inputs()
    want = random_s2_generator(seed=0).decode(codes, text, refer, noise_scale=0.0)
    half = random_s2_generator(seed=0).half()
    got = half.decode(codes, text, refer, noise_scale=0.0)
    assert got.dtype == torch.float16
    torch.testing.assert_close(got.float(), want, atol=1e-2, rtol=0)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        mixed = random_s2_generator(seed=0).decode(codes, text, refer, noise_scale=0.0)
    torch.testing.assert_close(mixed.float(), want, atol=2e-2, rtol=0)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_fp16_autocast_matches_fp32() -> None:
    generator = random_s2_generator(seed=0)
    codes, text, refer = _inputs()
    want = generator.decode(codes, text, refer, noise_scale=0.0)
    gpu = generator.to("cuda")
    with torch.autocast("cuda", dtype=torch.float16):
        got = gpu.decode(codes.cuda(), text.cuda(), refer.cuda(), noise_scale=0.0)
        out = gpu(*[t.cuda() for t in _training_batch(generator.config, lengths=(40, 34))])
    assert out.y_hat.device.type == "cuda"
    torch.testing.assert_close(got.float().cpu(), want, atol=1e-2, rtol=0)
    assert gpu.extract_latent(torch.randn(1, 768, 20, device="cuda")).device.type == "cuda"


@pytest.mark.skipif(
    not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()),
    reason="needs Apple MPS",
)
def test_mps_decode_matches_cpu() -> None:
    generator = random_s2_generator(seed=0)
    codes, text, refer = _inputs()
    want = generator.decode(codes, text, refer, noise_scale=0.0)
    got = generator.to("mps").decode(
        codes.to("mps"), text.to("mps"), refer.to("mps"), noise_scale=0.0
    )
    torch.testing.assert_close(got.cpu(), want, atol=1e-4, rtol=1e-4)


def test_voice_vectors_computed_once_give_the_same_audio(generator: SoVITSGenerator) -> None:
    codes, text, refer = _inputs()
    voice = generator.voice(refer)
    calls = []
    hook = generator.ref_enc.register_forward_hook(lambda *_: calls.append(1))
    try:
        torch.manual_seed(5)
        cached = generator.decode(codes, text, refer, noise_scale=0.6, voice=voice)
        assert not calls  # the reference encoder did not run again
        torch.manual_seed(5)
        uncached = generator.decode(codes, text, refer, noise_scale=0.6)
    finally:
        hook.remove()
    torch.testing.assert_close(cached, uncached, rtol=0, atol=0)
