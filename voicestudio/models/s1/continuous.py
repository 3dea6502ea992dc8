"""Continuous batching for S1: a chapter's sentences stream through a fixed number of rows.

``decode_batch`` runs a batch until its slowest row ends, so rows that finished early sit idle
and every batch restarts the pipeline. Here each of ``batch_size`` rows ("slots") holds one
sentence at a time; when its sentence ends, the next sentence in the queue is prefilled on its
own and takes over that row while the others keep decoding. Every step advances every row by
one token through one shared, pre-allocated key/value buffer.

How rows that started at different times share one buffer: all rows write their newest key at
the same column, so a row that joins places its prefix (text + prompt) in the columns just
before that write column, and a per-row key mask hides everything left of its own start
(positions live in the embeddings, not in the columns, so a row's keys may sit anywhere). When
the write column reaches the end of the buffer, every row's live span is shifted left in one
copy. Sentences are queued longest first, so a joining row's prefix always fits.

Each sentence draws from its own random stream (its seed), so its tokens are those it gets
decoded alone with that seed (up to float rounding at exact ties).
"""

from __future__ import annotations

import secrets
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from voicestudio.errors import UserInputError
from voicestudio.jobs import CancelToken
from voicestudio.models.memory import release_freed_memory
from voicestudio.models.s1.decoding import (
    NO_EOS_STEPS,
    DecodeResult,
    StopReason,
    _check_inputs,
    _stop_reason,
)
from voicestudio.models.s1.model import KVCache, Text2SemanticModel
from voicestudio.models.s1.packed import PackedS1, WeightFormat, packed_for
from voicestudio.models.s1.sampling import SamplingParams, draw_tokens, penalize_repeats


def _shift_slack(longest: int) -> int:
    """Columns beyond the longest sentence's span: the buffer is shifted left once per this
    many steps. No row spans more than ``longest`` columns, so the buffer never needs more;
    with a quarter more, a shift (copying at most ``longest`` columns) comes every
    ``longest / 4`` steps, a few per cent of what the steps' attention reads meanwhile, and
    the buffer (layers x keys and values x rows x columns: the chapter's largest allocation)
    is 5/8 of the twice-the-span it used to be."""
    return max(MIN_SHIFT_SLACK, longest // 4)


MIN_SHIFT_SLACK = 16


class _SlotLayer:
    """One layer's keys/values for every row; ``extend`` writes a step at the shared column
    and returns the columns any live row still reads."""

    def __init__(self, shared: _Slots, keys: torch.Tensor, values: torch.Tensor) -> None:
        self.shared, self.keys, self.values = shared, keys, values

    def extend(self, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        column, first = self.shared.column, self.shared.first_live
        self.keys[:, :, column : column + 1] = k
        self.values[:, :, column : column + 1] = v
        return self.keys[:, :, first : column + 1], self.values[:, :, first : column + 1]


class _Slots:
    """The shared buffer (``layers`` quacks like ``KVCache.layers``) and where rows begin."""

    def __init__(self, packed: PackedS1, rows: int, capacity: int) -> None:
        cfg = packed.model.config
        shape = (rows, cfg.n_head, capacity, cfg.hidden_dim // cfg.n_head)
        device = packed.model.ar_predict_layer.weight.device
        like = torch.empty(0, dtype=packed.activation_dtype, device=device)  # keys' dtype
        self.layers = [_SlotLayer(self, like.new_zeros(shape), like.new_zeros(shape))
                       for _ in range(cfg.n_layer)]
        self.capacity = capacity
        self.column = 0  # where the next step's keys go
        self.starts = [0] * rows  # first column of each row's sentence

    @property
    def first_live(self) -> int:
        return min(self.starts) if self.starts else 0

    def place(self, row: int, prefix: KVCache) -> None:
        """Copy a sentence's prefilled keys/values into ``row``, ending at the write column."""
        length = prefix.length
        start = self.column - length
        assert start >= 0, "sentences are queued longest first, so a prefix always fits"
        for mine, theirs in zip(self.layers, prefix.layers, strict=True):
            assert theirs.keys is not None and theirs.values is not None
            mine.keys[row, :, start : self.column] = theirs.keys[0, :, :length]
            mine.values[row, :, start : self.column] = theirs.values[0, :, :length]
        self.starts[row] = start

    def make_room(self) -> None:
        """Shift every row's live columns to the left edge when the buffer is full."""
        if self.column < self.capacity:
            return
        first = self.first_live
        live = self.column - first
        for layer in self.layers:
            layer.keys[:, :, :live] = layer.keys[:, :, first : self.column].clone()
            layer.values[:, :, :live] = layer.values[:, :, first : self.column].clone()
        self.column -= first
        self.starts = [start - first for start in self.starts]

    def keep_rows(self, rows: list[int]) -> None:
        index = torch.tensor(rows, dtype=torch.long, device=self.layers[0].keys.device)
        for layer in self.layers:
            layer.keys = layer.keys.index_select(0, index)
            layer.values = layer.values.index_select(0, index)
        self.starts = [self.starts[row] for row in rows]

    def keys_ok(self) -> torch.Tensor:
        """(B, S) True where a row may attend: its own columns up to the write column."""
        first = self.first_live
        columns = torch.arange(first, self.column + 1, device=self.layers[0].keys.device)
        starts = torch.tensor(self.starts, device=columns.device)
        return columns >= starts[:, None]


@dataclass
class _Row:
    sentence: int
    history: list[int]  # prompt + tokens so far
    stream: torch.Generator
    logits: torch.Tensor | None  # (V,) waiting to be sampled, or None once a token was drawn
    n_new: int = 0


def decode_continuous(
    model: Text2SemanticModel,
    phone_ids: Sequence[torch.Tensor],
    bert: Sequence[torch.Tensor],
    prompt_tokens: torch.Tensor | None,
    params: SamplingParams | None = None,
    seeds: Sequence[int] | None = None,
    batch_size: int = 8,
    cancel: CancelToken | None = None,
    weights: WeightFormat | str = WeightFormat.FP32,
    on_result: Callable[[int, DecodeResult], None] | None = None,
) -> list[DecodeResult]:
    """Every sentence's semantic tokens, in input order, decoded ``batch_size`` at a time with
    finished rows refilled at once. ``seeds``: one per sentence (None: fresh ones).
    ``on_result(index, result)`` is called as each sentence finishes (e.g. to start S2)."""
    params = params or SamplingParams()
    params.validate()
    if batch_size < 1:
        raise UserInputError("The batch size must be at least 1.")
    if seeds is None:
        seeds = [secrets.randbelow(2**62) for _ in phone_ids]
    if len(seeds) != len(phone_ids):
        raise ValueError("give one seed per sentence")
    prompt = _check_inputs(model, phone_ids, bert, prompt_tokens)
    release_freed_memory()  # what the last job (S2, features) freed: the cache goes there
    was_training = model.training
    model.eval()
    try:
        packed = packed_for(model, weights)
        with torch.inference_mode():
            return _Decoder(packed, phone_ids, bert, prompt, params, seeds, cancel,
                            on_result).run(batch_size)
    finally:
        model.train(was_training)
        release_freed_memory()  # the shared key/value buffer


class _Decoder:
    def __init__(self, packed: PackedS1, phone_ids, bert, prompt, params, seeds, cancel,
                 on_result) -> None:
        self.packed, self.model = packed, packed.model
        self.phone_ids, self.bert, self.params = phone_ids, bert, params
        self.seeds, self.cancel, self.on_result = [int(s) for s in seeds], cancel, on_result
        self.device = self.model.ar_predict_layer.weight.device
        self.prompt = None if prompt is None else prompt.to(self.device)
        self.prompt_len = 0 if prompt is None else prompt.numel()
        self.caps = [params.token_cap(ids.numel()) for ids in phone_ids]
        self.results: list[DecodeResult | None] = [None] * len(phone_ids)

    def run(self, batch_size: int) -> list[DecodeResult]:
        order = sorted(range(len(self.phone_ids)), key=lambda i: (-self.phone_ids[i].numel(), i))
        queue = deque(order)
        longest = self.phone_ids[order[0]].numel() + self.prompt_len + max(self.caps)
        n_rows = min(batch_size, len(order))
        self.slots = _Slots(self.packed, n_rows, capacity=longest + _shift_slack(longest))
        self.slots.column = self.phone_ids[order[0]].numel() + self.prompt_len
        rows: list[_Row] = [self._join(row, queue.popleft()) for row in range(n_rows)]
        while rows:
            if self.cancel is not None:
                self.cancel.raise_if_cancelled()
            rows = self._sample_all(rows, queue)
            if not rows:
                break
            self.slots.make_room()
            newest = torch.tensor([[r.history[-1]] for r in rows], device=self.device)
            positions = torch.tensor([self.prompt_len + r.n_new - 1 for r in rows],
                                     device=self.device)
            logits = self.packed.step(newest, positions, self.slots.keys_ok(), self.slots)
            self.slots.column += 1
            for row, row_logits in zip(rows, logits, strict=True):
                row.logits = row_logits
        finished = [result for result in self.results if result is not None]
        assert len(finished) == len(self.results), "every sentence stops by its cap"
        return finished

    def _join(self, row: int, sentence: int) -> _Row:
        """Prefill ``sentence`` alone and place it in ``row`` of the shared buffer."""
        ids, feats = self.phone_ids[sentence], self.bert[sentence]
        weight = self.model.ar_predict_layer.weight
        prefix = KVCache(self.model.config.n_layer, capacity=ids.numel() + self.prompt_len)
        prompt = None if self.prompt is None else self.prompt[None]
        logits = self.packed.prefill(
            ids.to(self.device)[None], feats.to(device=self.device, dtype=weight.dtype)[None],
            torch.ones(1, ids.numel(), dtype=torch.bool, device=self.device), prompt, prefix)
        self.slots.place(row, prefix)
        stream = torch.Generator(device=self.device).manual_seed(self.seeds[sentence])
        history = [] if self.prompt is None else self.prompt.tolist()
        return _Row(sentence, history, stream, logits[0])

    def _sample_all(self, rows: list[_Row], queue: deque) -> list[_Row]:
        """Draw a token for every row waiting for one; finished rows take the next sentence
        (which is sampled in turn) or leave the batch when the queue is empty."""
        while True:
            waiting = [i for i, r in enumerate(rows) if r.logits is not None]
            if not waiting:
                return rows
            done = self._draw(rows, waiting)
            if not done:
                continue
            keep = []
            for i in range(len(rows)):
                if i not in done:
                    keep.append(i)
                elif queue:
                    rows[i] = self._join(i, queue.popleft())
                    keep.append(i)
            if len(keep) < len(rows):
                self.slots.keep_rows(keep)
                rows = [rows[i] for i in keep]

    def _draw(self, rows: list[_Row], waiting: list[int]) -> set[int]:
        """Sample the waiting rows (each on its own stream, as if alone); return those done."""
        eos, params = self.model.config.eos, self.params
        done: set[int] = set()
        early = [i for i in waiting if rows[i].n_new < NO_EOS_STEPS]
        late = [i for i in waiting if rows[i].n_new >= NO_EOS_STEPS]
        for group, columns in ((early, eos), (late, None)):
            if not group:
                continue
            logits = torch.stack([rows[i].logits for i in group]).float()
            if columns is not None:
                logits = logits[:, :columns].contiguous()  # EOS cannot be chosen yet
            for k, i in enumerate(group):
                history = rows[i].history
                if history:
                    ids = torch.tensor([history], device=self.device)
                    penalize_repeats(logits[k : k + 1], ids, params.repetition_penalty)
            greedy = logits.argmax(dim=-1).tolist()
            tokens = draw_tokens(logits, params, [rows[i].stream for i in group]).tolist()
            for k, i in enumerate(group):
                if self._advance(rows[i], tokens[k], tokens[k] == eos or greedy[k] == eos):
                    done.add(i)
        return done

    def _advance(self, row: _Row, token: int, said_eos: bool) -> bool:
        row.history.append(token)
        row.n_new += 1
        row.logits = None
        cap = self.caps[row.sentence]
        reason = _stop_reason(said_eos, row.n_new, cap, self.params.early_stop_num)
        if reason is None:
            return False
        end = len(row.history) - (1 if reason is StopReason.EOS else 0)
        tokens = torch.tensor(row.history[self.prompt_len : end], dtype=torch.long,
                              device=self.device)
        result = DecodeResult(tokens, reason, row.n_new - 1, cap, self.seeds[row.sentence])
        self.results[row.sentence] = result
        if self.on_result is not None:
            self.on_result(row.sentence, result)
        return True
