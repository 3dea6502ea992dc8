"""S1: the GPT-SoVITS v2 text -> semantic-token transformer (upstream ``Text2SemanticDecoder``).

A decoder-only transformer over ``[phones ; semantic tokens]``: phones attend to every phone
(bidirectional) and never to audio; each semantic token attends to all phones and to the
semantic tokens before it (causal). Post-norm layers in PyTorch's ``TransformerEncoderLayer``
layout, with the fused ``in_proj`` attention weights of ``nn.MultiheadAttention``.

Module names are chosen so that ``state_dict()`` keys equal the upstream checkpoint keys minus
their ``model.`` prefix (the mapping is spelled out in ``checkpoint.py``). Everything else here
(class names, cache, masks) is our own.

Three ways through the same weights:
* ``teacher_forced``: the whole training sequence at once (upstream ``forward_old``).
* ``prefill`` + ``step``: incremental decoding through a key/value cache, one new token per step,
  without recomputing the prefix.
* ``hidden_states`` with an explicit mask: the plain full recompute, used to check the cache.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from voicestudio.errors import UserInputError
from voicestudio.models.s1.config import S1Config

SINE_TABLE_START = 4000  # positions precomputed up front; grown on demand for longer inputs
TOP_K_ACCURACY = 3  # upstream's training metric: top-3 accuracy ignoring EOS


# --------------------------------------------------------------------------- key/value cache


class LayerCache:
    """Keys and values one attention layer has seen so far, written in place into one buffer.

    Given a ``capacity`` (the decode knows it up front: text + prompt + the length cap), the
    buffer is allocated once at the first write and never copied again: every step writes its
    key/value into the next column. Without one, or past it, the buffer grows in blocks so a
    long decode still does not copy the whole history at every step.
    """

    GROW_BY = 256

    def __init__(self, capacity: int = 0) -> None:
        self.keys: torch.Tensor | None = None  # (B, nh, capacity, hs)
        self.values: torch.Tensor | None = None
        self.length = 0
        self.capacity = capacity

    def extend(self, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Append (B, nh, T, hs) keys/values; return every key/value so far, (B, nh, S, hs)."""
        new_length = self.length + k.shape[2]
        if self.keys is None or new_length > self.keys.shape[2]:
            self._grow(k, new_length)
        assert self.keys is not None and self.values is not None
        self.keys[:, :, self.length : new_length] = k
        self.values[:, :, self.length : new_length] = v
        self.length = new_length
        return self.keys[:, :, :new_length], self.values[:, :, :new_length]

    def _grow(self, like: torch.Tensor, needed: int) -> None:
        batch, heads, _, head_dim = like.shape
        capacity = self.capacity if needed <= self.capacity else needed + self.GROW_BY
        keys = like.new_zeros(batch, heads, capacity, head_dim)
        values = like.new_zeros(batch, heads, capacity, head_dim)
        if self.keys is not None and self.values is not None:
            keys[:, :, : self.length] = self.keys[:, :, : self.length]
            values[:, :, : self.length] = self.values[:, :, : self.length]
        self.keys, self.values = keys, values
        self.capacity = capacity

    def keep_rows(self, rows: torch.Tensor) -> None:
        """Drop finished sentences from a batched decode so they cost nothing further."""
        if self.keys is not None and self.values is not None:
            self.keys = self.keys.index_select(0, rows)
            self.values = self.values.index_select(0, rows)


class KVCache:
    """One ``LayerCache`` per decoder layer, each pre-allocated to ``capacity`` positions."""

    def __init__(self, n_layer: int, capacity: int = 0) -> None:
        self.layers = [LayerCache(capacity) for _ in range(n_layer)]

    @property
    def length(self) -> int:
        return self.layers[0].length

    def keep_rows(self, rows: torch.Tensor) -> None:
        for layer in self.layers:
            layer.keep_rows(rows)


# --------------------------------------------------------------------------- building blocks


class TokenTable(nn.Module):
    """A token embedding; the ``word_embeddings`` level exists because the checkpoint has it."""

    def __init__(self, vocab_size: int, dim: int, dropout: float) -> None:
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab_size, dim)
        self.dropout = nn.Dropout(dropout)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.word_embeddings(ids))


def sine_table(n_positions: int, dim: int) -> torch.Tensor:
    """(n_positions, dim) sinusoids, base 10000, sin on even and cos on odd channels, in fp32
    (upstream computes it in fp32 and casts to the activation dtype when adding it).
    """
    position = torch.arange(n_positions, dtype=torch.float32).unsqueeze(1)
    frequency = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * -(math.log(10000.0) / dim))
    table = torch.zeros(n_positions, dim)
    table[:, 0::2] = torch.sin(position * frequency)
    table[:, 1::2] = torch.cos(position * frequency)
    return table


class ScaledSinePositions(nn.Module):
    """Adds ``alpha * sine_table`` (learned scalar alpha, no sqrt(d) scaling of the input).

    Text and audio each have their own instance, so audio positions restart at 0 at the first
    prompt token. ``left_pad`` shifts each row's positions so that a left-padded row starts at
    position 0 at its first real token (batched inference); training does not pass it, so padded
    training rows start counting at the padding, exactly as upstream trained.
    """

    def __init__(self, dim: int, dropout: float) -> None:
        super().__init__()
        self.alpha = nn.Parameter(torch.ones(1))
        self.dropout = nn.Dropout(dropout)
        self.register_buffer("table", sine_table(SINE_TABLE_START, dim), persistent=False)

    def forward(
        self, x: torch.Tensor, offset: int = 0, left_pad: torch.Tensor | None = None
    ) -> torch.Tensor:
        _, length, dim = x.shape
        if offset + length > self.table.shape[0]:
            # Outside inference mode, so a table grown while decoding can still be used in
            # training (autograd refuses to save inference tensors for alpha's gradient).
            with torch.inference_mode(False):
                grown = sine_table(2 * (offset + length), dim)
                self.table = grown.to(device=self.table.device, dtype=self.table.dtype)
        if left_pad is None:
            pe = self.table[offset : offset + length]  # (T, C)
        else:
            positions = torch.arange(length, device=x.device) + offset - left_pad.unsqueeze(1)
            pe = self.table[positions.clamp(min=0)]  # (B, T, C)
        return self.dropout(x + self.alpha * pe)


class SelfAttention(nn.Module):
    """Multi-head self-attention with ``nn.MultiheadAttention``'s parameter layout:
    one fused ``in_proj_weight`` (q, k, v stacked on dim 0) and an ``out_proj`` Linear.
    """

    def __init__(self, cfg: S1Config) -> None:
        super().__init__()
        dim = cfg.hidden_dim
        self.n_head = cfg.n_head
        self.dropout = cfg.attention_dropout
        self.in_proj_weight = nn.Parameter(torch.empty(3 * dim, dim))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * dim))
        self.out_proj = nn.Linear(dim, dim)
        nn.init.xavier_uniform_(self.in_proj_weight)  # the init nn.MultiheadAttention uses
        nn.init.zeros_(self.out_proj.bias)

    def forward(
        self, x: torch.Tensor, allowed: torch.Tensor | None, cache: LayerCache | None
    ) -> torch.Tensor:
        batch, length, dim = x.shape
        q, k, v = F.linear(x, self.in_proj_weight, self.in_proj_bias).chunk(3, dim=-1)
        q = q.view(batch, length, self.n_head, -1).transpose(1, 2)  # (B, nh, T, hs)
        k = k.view(batch, length, self.n_head, -1).transpose(1, 2)
        v = v.view(batch, length, self.n_head, -1).transpose(1, 2)
        if cache is not None:
            k, v = cache.extend(k, v)  # (B, nh, S, hs), S = everything seen so far
        dropout = self.dropout if self.training else 0.0
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed, dropout_p=dropout)
        y = y.transpose(1, 2).reshape(batch, length, dim)  # (B, T, C)
        return self.out_proj(y)


class DecoderLayer(nn.Module):
    """Post-norm layer: ``x = norm1(x + attn(x)); x = norm2(x + ffn(x))``, ReLU FFN of 4 x C."""

    def __init__(self, cfg: S1Config) -> None:
        super().__init__()
        self.self_attn = SelfAttention(cfg)
        self.linear1 = nn.Linear(cfg.hidden_dim, cfg.ffn_dim)
        self.dropout = nn.Dropout(cfg.attention_dropout)
        self.linear2 = nn.Linear(cfg.ffn_dim, cfg.hidden_dim)
        self.norm1 = nn.LayerNorm(cfg.hidden_dim, eps=cfg.layer_norm_eps)
        self.norm2 = nn.LayerNorm(cfg.hidden_dim, eps=cfg.layer_norm_eps)
        self.dropout1 = nn.Dropout(cfg.attention_dropout)
        self.dropout2 = nn.Dropout(cfg.attention_dropout)

    def forward(
        self, x: torch.Tensor, allowed: torch.Tensor | None, cache: LayerCache | None
    ) -> torch.Tensor:
        x = self.norm1(x + self.dropout1(self.self_attn(x, allowed, cache)))
        ffn = self.linear2(self.dropout(F.relu(self.linear1(x))))  # (B, T, 4C) -> (B, T, C)
        return self.norm2(x + self.dropout2(ffn))


class DecoderStack(nn.Module):
    """The layer list; its own module only because the checkpoint keys read ``h.layers.N``."""

    def __init__(self, cfg: S1Config) -> None:
        super().__init__()
        self.layers = nn.ModuleList(DecoderLayer(cfg) for _ in range(cfg.n_layer))

    def forward(
        self, x: torch.Tensor, allowed: torch.Tensor | None, cache: KVCache | None
    ) -> torch.Tensor:
        for index, layer in enumerate(self.layers):
            x = layer(x, allowed, None if cache is None else cache.layers[index])
        return x


def text_audio_mask(text_ok: torch.Tensor, audio_ok: torch.Tensor) -> torch.Tensor:
    """(B, 1, S, S) bool, True where query i may attend to key j (S = Tx + Ty).

    Text queries see all text keys; audio queries see all text keys and audio keys up to
    themselves. ``text_ok`` (B, Tx) / ``audio_ok`` (B, Ty) are False at padding, which no query
    may see (padded queries still see the real text, so no row is empty and softmax stays finite).
    """
    n_text, n_audio = text_ok.shape[1], audio_ok.shape[1]
    device = text_ok.device
    text_rows = F.pad(torch.ones(n_text, n_text, dtype=torch.bool, device=device), (0, n_audio))
    causal = torch.ones(n_audio, n_audio, dtype=torch.bool, device=device).tril()
    audio_rows = F.pad(causal, (n_text, 0), value=True)
    structure = torch.cat([text_rows, audio_rows], dim=0)  # (S, S)
    keys_ok = torch.cat([text_ok, audio_ok], dim=1)  # (B, S)
    return (structure.unsqueeze(0) & keys_ok.unsqueeze(1)).unsqueeze(1)


@dataclass
class TeacherForcedOutput:
    logits: torch.Tensor  # (B, Ty + 1, vocab): predictions from the last phone onwards
    loss: torch.Tensor  # summed cross-entropy over every position (upstream's "sum" reduction)
    accuracy: float  # top-3 accuracy over positions whose target is not EOS


# --------------------------------------------------------------------------- the model


class Text2SemanticModel(nn.Module):
    """Phones (+ BERT features) and a semantic prompt in, next-semantic-token logits out."""

    def __init__(self, cfg: S1Config) -> None:
        super().__init__()
        cfg.validate()
        self.config = cfg
        dim = cfg.embedding_dim
        self.bert_proj = nn.Linear(cfg.bert_dim, dim)
        self.ar_text_embedding = TokenTable(cfg.phoneme_vocab_size, dim, cfg.token_dropout)
        self.ar_text_position = ScaledSinePositions(dim, cfg.positional_dropout)
        self.ar_audio_embedding = TokenTable(cfg.vocab_size, dim, cfg.token_dropout)
        self.ar_audio_position = ScaledSinePositions(dim, cfg.positional_dropout)
        self.h = DecoderStack(cfg)
        self.ar_predict_layer = nn.Linear(cfg.hidden_dim, cfg.vocab_size, bias=False)

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    # ---- the pieces every path shares

    def embed_text(
        self, phone_ids: torch.Tensor, bert: torch.Tensor, left_pad: torch.Tensor | None = None
    ) -> torch.Tensor:
        """(B, Tx) phone ids + (B, bert_dim, Tx) BERT features -> (B, Tx, C); BERT is added."""
        x = self.ar_text_embedding(phone_ids)  # (B, Tx, C)
        x = x + self.bert_proj(bert.transpose(1, 2))  # (B, Tx, bert_dim) -> (B, Tx, C)
        return self.ar_text_position(x, left_pad=left_pad)

    def embed_audio(self, tokens: torch.Tensor, offset: int = 0) -> torch.Tensor:
        """(B, Ty) semantic tokens at audio positions offset.. -> (B, Ty, C)."""
        return self.ar_audio_position(self.ar_audio_embedding(tokens), offset=offset)

    def hidden_states(
        self, xy: torch.Tensor, allowed: torch.Tensor | None, cache: KVCache | None = None
    ) -> torch.Tensor:
        """Run the decoder stack: (B, T, C) -> (B, T, C); ``allowed`` is (B, 1, T, S) or None."""
        return self.h(xy, allowed, cache)

    # ---- training

    def teacher_forced(
        self,
        phone_ids: torch.Tensor,
        phone_lens: torch.Tensor,
        semantic_ids: torch.Tensor,
        semantic_lens: torch.Tensor,
        bert: torch.Tensor,
    ) -> TeacherForcedOutput:
        """The fine-tuning forward (upstream ``forward_old``).

        ``phone_ids`` (B, Tx) are LEFT padded, ``semantic_ids`` (B, Ty) RIGHT padded, ``bert``
        (B, bert_dim, Tx). The inputs are the semantic ids with EOS at the padding; the targets
        are those ids followed by EOS, so every row learns to stop. The loss is summed over all
        positions, padding included (targets there are EOS), because that is what upstream
        optimises and what its learning rate was tuned for. Dropout follows ``self.training``.
        """
        _check_training_batch(phone_ids, phone_lens, semantic_ids, semantic_lens, bert)
        n_text, n_audio = phone_ids.shape[1], semantic_ids.shape[1]
        device = phone_ids.device
        text_ok = torch.arange(n_text, device=device) >= (n_text - phone_lens).unsqueeze(1)
        audio_ok = torch.arange(n_audio, device=device) < semantic_lens.unsqueeze(1)
        eos = self.config.eos
        inputs = semantic_ids.long().masked_fill(~audio_ok, eos)  # (B, Ty)
        targets = F.pad(inputs, (0, 1), value=eos)  # (B, Ty + 1)

        xy = torch.cat([self.embed_text(phone_ids, bert), self.embed_audio(inputs)], dim=1)
        hidden = self.hidden_states(xy, text_audio_mask(text_ok, audio_ok))  # (B, Tx + Ty, C)
        logits = self.ar_predict_layer(hidden[:, n_text - 1 :])  # (B, Ty + 1, vocab)

        loss = F.cross_entropy(logits.transpose(1, 2), targets, reduction="sum")
        return TeacherForcedOutput(logits, loss, top_k_accuracy(logits.detach(), targets, eos))

    # ---- incremental decoding

    def prefill(
        self,
        phone_ids: torch.Tensor,
        bert: torch.Tensor,
        text_ok: torch.Tensor,
        prompt: torch.Tensor | None,
        cache: KVCache,
    ) -> torch.Tensor:
        """First decoding step over ``[text ; prompt]``; fills ``cache``; returns (B, vocab)
        logits for the first new token. ``text_ok`` (B, Tx) is False at left padding.
        """
        xy, allowed = self.prefill_inputs(phone_ids, bert, text_ok, prompt)
        hidden = self.hidden_states(xy, allowed, cache)
        return self.ar_predict_layer(hidden[:, -1])  # (B, vocab)

    def prefill_inputs(
        self,
        phone_ids: torch.Tensor,
        bert: torch.Tensor,
        text_ok: torch.Tensor,
        prompt: torch.Tensor | None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The prefill's embedded ``[text ; prompt]`` (B, Tx + P, C) and its attention mask."""
        left_pad = (~text_ok).sum(dim=1)
        xy = self.embed_text(phone_ids, bert, left_pad=left_pad)  # (B, Tx, C)
        audio_ok = text_ok.new_ones(text_ok.shape[0], 0)
        if prompt is not None:
            xy = torch.cat([xy, self.embed_audio(prompt)], dim=1)  # (B, Tx + P, C)
            audio_ok = torch.ones_like(prompt, dtype=torch.bool)
        return xy, text_audio_mask(text_ok, audio_ok)

    def step(
        self,
        last_tokens: torch.Tensor,
        audio_position: int,
        keys_ok: torch.Tensor | None,
        cache: KVCache,
    ) -> torch.Tensor:
        """One cached step: (B, 1) newest tokens at ``audio_position`` -> (B, vocab) logits.
        ``keys_ok`` (B, S) masks left padding of the text (None when there is none).
        """
        x = self.embed_audio(last_tokens, offset=audio_position)  # (B, 1, C)
        allowed = None if keys_ok is None else keys_ok[:, None, None, :]  # (B, 1, 1, S)
        hidden = self.hidden_states(x, allowed, cache)  # (B, 1, C)
        return self.ar_predict_layer(hidden[:, -1])


def top_k_accuracy(logits: torch.Tensor, targets: torch.Tensor, ignore: int) -> float:
    """Share of non-ignored positions whose target is among the top-3 logits (0 if none)."""
    k = min(TOP_K_ACCURACY, logits.shape[-1])
    hits = (logits.topk(k, dim=-1).indices == targets.unsqueeze(-1)).any(dim=-1)
    counted = targets != ignore
    n_counted = int(counted.sum())
    return float((hits & counted).sum()) / n_counted if n_counted else 0.0


def _check_training_batch(
    phone_ids: torch.Tensor,
    phone_lens: torch.Tensor,
    semantic_ids: torch.Tensor,
    semantic_lens: torch.Tensor,
    bert: torch.Tensor,
) -> None:
    """Shape errors here come from a broken dataset; say which part is inconsistent."""
    batch, n_text = phone_ids.shape
    problems = []
    if bert.shape[0] != batch or bert.shape[2] != n_text:
        problems.append(f"BERT features {tuple(bert.shape)} do not match phones {(batch, n_text)}")
    if semantic_ids.shape[0] != batch:
        problems.append("phones and semantic tokens have different batch sizes")
    if phone_lens.numel() != batch or semantic_lens.numel() != batch:
        problems.append("length vectors do not match the batch size")
    elif int(phone_lens.max()) != n_text or int(semantic_lens.max()) != semantic_ids.shape[1]:
        problems.append("the longest item does not fill the padded width")
    elif int(phone_lens.min()) < 1:
        problems.append("an item has no phones")
    if problems:
        raise UserInputError("A GPT training batch is malformed: " + "; ".join(problems) + ".")
