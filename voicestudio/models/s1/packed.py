"""S1 inference with its weights laid out once: the decoder's hot loop without module calls.

Decoding is one pass per token through 24 layers of four linears, so at batch 1 every token
reads every weight (77.6 M numbers for the v2 model) and the step is bound by memory bandwidth
plus the per-call overhead of the small operations around the linears. ``PackedS1`` collects
each layer's tensors once (the fused q/k/v projection as one matrix, as the checkpoint stores
it), writes keys and values straight into the decode's pre-allocated cache and runs the layer
arithmetic as plain tensor calls: no ``nn.Module`` dispatch, no dropout no-ops, no chunking.

The weights can be held in three formats:

* ``fp32``: the model's own tensors, shared (no copy): the same function as
  ``Text2SemanticModel.prefill``/``step`` to float rounding (tests hold it to 1e-5);
* ``bf16``: all four linears of every layer in bf16, laid out once for oneDNN's matrix
  product, and the key/value cache in bf16; the residual stream, the layer norms, the
  embeddings and the output layer stay fp32. On a CPU with native bf16 (AVX512-BF16/AMX) this
  is what "auto" picks (``inference_format``), as upstream runs S1 in fp16 on a GPU. A
  batch-8 step's linears take 10 ms instead of 32, its attention 12 instead of 19 (half the
  cache bytes). Measured on the full-size v2 model, 2 threads, with the row-by-row attention
  a step needs to match its decode alone (``_row_starts``): a 30-sentence chapter's S1 in
  17.6-18.9 s against 28.2 s in fp32; beside upstream, batch 8 2.4x and one sentence 1.25x
  (fp32: 1.6x and 0.96x). Without the oneDNN layout a bf16 product at batch 8 costs twice
  as much, and on CPUs that emulate bf16 it is slower than fp32, so "auto" stays fp32 there;
* ``int8``: both FFN linears of every layer (65 % of the bytes) as weight-only int8 with one
  scale per output row (``models/int8.py``); the attention (fused q/k/v and output
  projections), embeddings, the residual stream, the layer norms and the output layer (which
  decides every arg-max) stay in fp32. int8 attention dropped the teacher-forced top-1
  agreement with fp32 below 99 % (a full-size random model: 0.980 with all four linears int8).
  On a GPU the model itself is fp16 as upstream runs it (``inference_dtype``) and the ``fp32``
  format simply uses the model's own weights.

Reduced formats are optional speed choices; their agreement with fp32 is measured (top-1 token
agreement) rather than assumed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import torch
import torch.nn.functional as F

from voicestudio.errors import UserInputError
from voicestudio.models.devices import cpu_has_native_bf16
from voicestudio.models.int8 import Int8Linear
from voicestudio.models.s1.model import KVCache, Text2SemanticModel, text_audio_mask

MIN_TOP1_AGREEMENT = 0.99  # teacher-forced top-1 agreement with fp32 a reduced format must keep


class WeightFormat(StrEnum):
    FP32 = "fp32"  # the model's own weights: the exact function
    BF16 = "bf16"  # bf16 linears (oneDNN layout) and key/value cache: half the bytes
    INT8 = "int8"  # weight-only int8 FFN (models/int8.py): a quarter of its bytes per token


def weight_format(name: str | WeightFormat) -> WeightFormat:
    """A Settings/CLI spelling -> WeightFormat, with a message a person can act on."""
    try:
        return WeightFormat(str(name).lower())
    except ValueError:
        choices = ", ".join(f.value for f in WeightFormat)
        message = f"Unknown S1 weight format '{name}'. Choose one of: {choices}."
        raise UserInputError(message) from None


class _ExactLinear:
    """The model's own weight and bias, applied as they are."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None) -> None:
        self.weight, self.bias = weight, bias

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight, self.bias)


def inference_format(device: torch.device | str, precision: str = "auto") -> WeightFormat:
    """The weight format S1 decodes in: ``"auto"`` is bf16 on a CPU with native bf16 and fp32
    elsewhere (a GPU runs the model itself in fp16, as upstream does); a named format is used
    as asked, except bf16 on a CPU that would emulate it (slower than fp32, not faster)."""
    if precision == "auto":
        native = torch.device(device).type == "cpu" and cpu_has_native_bf16()
        return WeightFormat.BF16 if native else WeightFormat.FP32
    fmt = weight_format(precision)
    if fmt is WeightFormat.BF16 and torch.device(device).type == "cpu":
        return fmt if cpu_has_native_bf16() else WeightFormat.FP32
    return fmt


PACKED_BATCH_HINT = 8  # the batch oneDNN lays bf16 weights out for: narration's batch size; a
# row's result is the same at any batch (tested), only the blocking is chosen for this one


def _onednn_layout(weight: torch.Tensor) -> torch.Tensor | None:
    """``weight`` (bf16) laid out for oneDNN's matrix product, or None where this build or
    device has no such product or it does not give this weight's result."""
    reorder = getattr(torch.ops.mkldnn, "_reorder_linear_weight", None)
    if weight.device.type != "cpu" or reorder is None or not torch.backends.mkldnn.is_available():
        return None
    try:
        packed = reorder(weight, PACKED_BATCH_HINT)
        probe = torch.linspace(-1, 1, 3 * weight.shape[1]).view(3, -1).to(torch.bfloat16)
        got = torch.ops.mkldnn._linear_pointwise(probe, packed, None, "none", [], "").float()
    except (RuntimeError, NotImplementedError):
        return None
    want = probe.float() @ weight.float().t()
    return packed if bool((got - want).abs().max() <= 0.02 * want.abs().max() + 1e-3) else None


class _Bf16Linear:
    """A bf16 copy of a linear; its activations come in and go out in bf16."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None) -> None:
        weight = weight.detach().to(torch.bfloat16).contiguous()
        self.bias = None if bias is None else bias.detach().to(torch.bfloat16)
        self.packed = _onednn_layout(weight)
        self.weight = weight if self.packed is None else None  # one copy, not two

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if self.packed is None:
            return F.linear(x, self.weight, self.bias)
        return torch.ops.mkldnn._linear_pointwise(x, self.packed, self.bias, "none", [], "")


def _int8_linear(weight: torch.Tensor, bias: torch.Tensor | None):
    return Int8Linear(weight, bias).forward  # the bound forward: no module dispatch per call


_LINEARS = {WeightFormat.FP32: _ExactLinear, WeightFormat.BF16: _Bf16Linear,
            WeightFormat.INT8: _int8_linear}


@dataclass
class _PackedLayer:
    qkv: object  # fused q/k/v projection, (3C, C)
    out: object
    ffn_in: object
    ffn_out: object
    norm1: tuple[torch.Tensor, torch.Tensor]
    norm2: tuple[torch.Tensor, torch.Tensor]


class PackedS1:
    """The inference half of a ``Text2SemanticModel``: prefill and cached steps.

    Build with ``packed_for(model, fmt)``, which keeps one per model and format and rebuilds it
    when the model's weights were replaced or trained since.
    """

    def __init__(self, model: Text2SemanticModel, fmt: WeightFormat = WeightFormat.FP32) -> None:
        cfg = model.config
        make = _LINEARS[fmt]
        self.model = model
        self.format = fmt
        self.n_head = cfg.n_head
        self.dim = cfg.hidden_dim
        self.eps = cfg.layer_norm_eps
        # What each layer's attention and FFN input is cast to; the residual stream stays in
        # the model's dtype. Keys and values (and so the cache) come out in it.
        model_dtype = model.ar_predict_layer.weight.dtype
        self.activation_dtype = torch.bfloat16 if fmt is WeightFormat.BF16 else model_dtype
        attention = _Bf16Linear if fmt is WeightFormat.BF16 else _ExactLinear
        self.layers = [
            _PackedLayer(
                qkv=attention(layer.self_attn.in_proj_weight, layer.self_attn.in_proj_bias),
                out=attention(layer.self_attn.out_proj.weight, layer.self_attn.out_proj.bias),
                ffn_in=make(layer.linear1.weight, layer.linear1.bias),
                ffn_out=make(layer.linear2.weight, layer.linear2.bias),
                norm1=(layer.norm1.weight, layer.norm1.bias),
                norm2=(layer.norm2.weight, layer.norm2.bias),
            )
            for layer in model.h.layers
        ]
        # The output layer is 0.7 % of the bytes but decides every arg-max: it stays exact.
        self.predict = _ExactLinear(model.ar_predict_layer.weight, None)
        self.audio_table = model.ar_audio_embedding.word_embeddings.weight
        self._positions = self._scaled_positions()

    def _scaled_positions(self) -> torch.Tensor:
        module = self.model.ar_audio_position
        return module.alpha * module.table  # (N, C): alpha * sine table, added per token

    def hidden_states(
        self, x: torch.Tensor, allowed: torch.Tensor | None, cache: KVCache | None
    ) -> torch.Tensor:
        """(B, T, C) -> (B, T, C) through every layer; with a cache, keys/values land in it."""
        batch, length, dim = x.shape
        shape, dtype = (dim,), self.activation_dtype
        starts = self._row_starts(allowed, length)
        for index, layer in enumerate(self.layers):
            qkv = layer.qkv(x.to(dtype)).view(batch, length, 3, self.n_head, -1)
            qkv = qkv.permute(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]  # (B, nh, T, hs) each, views of one product
            if cache is not None:
                k, v = cache.layers[index].extend(k, v)
            if starts is None:
                y = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed)
            else:
                y = torch.cat([F.scaled_dot_product_attention(
                    q[row : row + 1], k[row : row + 1, :, start:], v[row : row + 1, :, start:])
                    for row, start in enumerate(starts)])
            y = y.transpose(1, 2).reshape(batch, length, dim)
            x = F.layer_norm(x + layer.out(y), shape, *layer.norm1, self.eps)
            ffn = layer.ffn_out(F.relu(layer.ffn_in(x.to(dtype))))
            x = F.layer_norm(x + ffn, shape, *layer.norm2, self.eps)
        return x

    def _row_starts(self, allowed: torch.Tensor | None, length: int) -> list[int] | None:
        """Where each row's own keys begin, when a bf16 step attends row by row; else None.

        Attention sums over a row's keys in blocks that start where its keys start. In a
        shared buffer a row's keys start after other rows' columns (masked), so the blocks
        fall elsewhere than when it decodes alone, and the rounding differs. In fp32 that
        is ~1e-7 and never changed a token (12 of 12 sentences equal alone); in bf16 each
        product is rounded to 8 bits again and 5 of 12 sentences of a full-size chapter came
        out different from their decode alone. Attending each row over exactly its own keys
        makes a row's step the same computation as alone, as a narration needs (re-rendering
        one sentence must give the take it got in the chapter).
        """
        if self.format is not WeightFormat.BF16 or allowed is None or length != 1:
            return None
        # (B, 1, 1, S) masks are True from each row's first own key to the end
        return allowed[:, 0, 0].int().argmax(dim=-1).tolist()

    def logits(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.predict(hidden)

    def prefill(
        self,
        phone_ids: torch.Tensor,
        bert: torch.Tensor,
        text_ok: torch.Tensor,
        prompt: torch.Tensor | None,
        cache: KVCache,
    ) -> torch.Tensor:
        """As ``Text2SemanticModel.prefill``: fills ``cache``, returns (B, vocab) logits."""
        xy, allowed = self.model.prefill_inputs(phone_ids, bert, text_ok, prompt)
        hidden = self.hidden_states(xy, allowed, cache)
        return self.logits(hidden[:, -1])

    def step(
        self,
        last_tokens: torch.Tensor,
        audio_position: int | torch.Tensor,
        keys_ok: torch.Tensor | None,
        cache: KVCache,
    ) -> torch.Tensor:
        """As ``Text2SemanticModel.step``: (B, 1) newest tokens -> (B, vocab) logits.

        ``audio_position`` is one position for every row, or a (B,) tensor of each row's own
        (continuous batching: rows joined the batch at different times).
        """
        last = int(audio_position if isinstance(audio_position, int) else audio_position.max())
        if last >= self._positions.shape[0]:
            self.model.embed_audio(last_tokens, offset=last)  # grows the sine table
            self._positions = self._scaled_positions()
        position = self._positions[audio_position]  # (C,) or (B, C)
        if position.dim() == 2:
            position = position.unsqueeze(1)  # (B, 1, C)
        x = F.embedding(last_tokens, self.audio_table) + position
        allowed = None if keys_ok is None else keys_ok[:, None, None, :]  # (B, 1, 1, S)
        hidden = self.hidden_states(x, allowed, cache)  # (B, 1, C)
        return self.logits(hidden[:, -1])

    def teacher_forced_logits(
        self, phone_ids: torch.Tensor, bert: torch.Tensor, semantic_ids: torch.Tensor
    ) -> torch.Tensor:
        """(B, Ty + 1, vocab) next-token logits over a whole unpadded sequence at once: what
        the agreement check compares between formats."""
        model = self.model
        xy = torch.cat([model.embed_text(phone_ids, bert), model.embed_audio(semantic_ids)], 1)
        text_ok = torch.ones_like(phone_ids, dtype=torch.bool)
        audio_ok = torch.ones_like(semantic_ids, dtype=torch.bool)
        hidden = self.hidden_states(xy, text_audio_mask(text_ok, audio_ok), None)
        return self.logits(hidden[:, phone_ids.shape[1] - 1 :])


def _weights_signature(model: Text2SemanticModel) -> tuple:
    """Changes whenever a parameter is replaced or modified in place (training, loading)."""
    return tuple((p.data_ptr(), p._version, p.dtype, p.device) for p in model.parameters())


def packed_for(model: Text2SemanticModel, fmt: WeightFormat | str = WeightFormat.FP32) -> PackedS1:
    """The model's packed form in ``fmt``, built once and reused while its weights stay."""
    fmt = weight_format(fmt)
    store: dict[WeightFormat, tuple[tuple, PackedS1]] = model.__dict__.setdefault("_packed", {})
    signature = _weights_signature(model)
    held = store.get(fmt)
    if held is None or held[0] != signature:
        with torch.no_grad():
            held = (signature, PackedS1(model, fmt))
        store[fmt] = held
    return held[1]


@torch.inference_mode()
def top1_agreement(
    model: Text2SemanticModel,
    fmt: WeightFormat | str,
    cases: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]],
) -> float:
    """Share of teacher-forced positions whose arg-max token in ``fmt`` equals fp32's.

    ``cases`` are (phone_ids (Tx,), bert (bert_dim, Tx), semantic_ids (Ty,)) sequences.
    """
    exact, reduced = packed_for(model, WeightFormat.FP32), packed_for(model, fmt)
    agree = total = 0
    for phones, bert, semantic in cases:
        args = (phones[None], bert[None].to(model.ar_predict_layer.weight), semantic[None])
        want = exact.teacher_forced_logits(*args).argmax(dim=-1)
        got = reduced.teacher_forced_logits(*args).argmax(dim=-1)
        agree += int((want == got).sum())
        total += want.numel()
    return agree / total if total else 1.0
