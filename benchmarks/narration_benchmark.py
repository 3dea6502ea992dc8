"""Narration: throughput with full-size models, memory over a long book, planning cost.

* throughput: seconds of audio per second of compute for the real pipeline
  (``Synthesizer.render_sentences``) with full-size random S1/S2 weights (tiny HuBERT and
  BERT: their cost per sentence is small), sentences in one batch versus one at a time. A
  random S1 rarely ends a sentence, so each is pinned to ``--tokens`` sound tokens;
* memory: resident set size while the engine renders, checks, caches and saves a
  ``--book-sentences`` book, at sentence 100 and at the last one. The renderer here makes
  noise of a speech-like length, so the figure is the engine's own (project, cache, checks),
  which is what grows with the book; the models' memory does not depend on the book;
* planning: splitting that book and looking up every sentence's cache key.

    .venv/bin/python benchmarks/narration_benchmark.py [--device cpu|cuda] [--sentences 8]

The figures are the last lines, ``name: value unit``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def full_size_data_dir(folder: Path) -> Path:
    """Tiny base models with the S1 and S2 files replaced by full-size random ones."""
    from voicestudio.hub.install import staged_install
    from voicestudio.hub.status import require_file
    from voicestudio.models.s1 import S1Config, random_s1_model, save_s1_checkpoint
    from voicestudio.models.s2 import random_s2_generator, save_s2_checkpoint, v2_s2_config
    from voicestudio.synthesis.tiny_models import install_tiny_base_models

    install_tiny_base_models(folder)
    s1_name = require_file(folder, "s1-v2").name
    s2_name = require_file(folder, "s2g-v2").name
    with staged_install(folder, "s1-v2", "import") as staging:
        save_s1_checkpoint(staging / s1_name, random_s1_model(S1Config()))
    with staged_install(folder, "s2g-v2", "import") as staging:
        save_s2_checkpoint(staging / s2_name, random_s2_generator(v2_s2_config()))
    return folder


def throughput(device: str, sentences: int, tokens: int, folder: Path) -> dict[str, tuple]:
    import soundfile as sf

    from voicestudio.models.s1 import SamplingParams
    from voicestudio.synthesis.pipeline import (
        ModelFiles,
        SentenceSpec,
        SynthesisRequest,
        Synthesizer,
    )

    prefix = "" if device == "cpu" else f"{device}_"
    reference = folder / "reference.wav"
    rng = np.random.default_rng(0)
    sf.write(reference, (0.1 * rng.standard_normal(32000 * 4)).astype(np.float32), 32000)
    synth = Synthesizer(ModelFiles.base(folder), device)
    sampling = SamplingParams(max_new_tokens=tokens, min_token_cap=tokens)
    settings = SynthesisRequest(text="-", reference=reference,
                                reference_text="One two three, four five.", lang="en",
                                sampling=sampling, retries=0, batch_size=sentences)
    texts = [f"This is sentence number {i + 1}, read in a steady voice." for i in range(sentences)]
    specs = [SentenceSpec(text, seed=i) for i, text in enumerate(texts)]
    synth.render_sentences(settings, specs[:1])  # warm-up: models, reference, G2P
    print(f"[{device}] {sentences} sentences in one batch ...", file=sys.stderr)
    start = time.perf_counter()
    batched = synth.render_sentences(settings, specs)
    batched_s = time.perf_counter() - start
    print(f"[{device}] the same one at a time ...", file=sys.stderr)
    start = time.perf_counter()
    single = [synth.render_sentences(settings, [spec])[0] for spec in specs]
    single_s = time.perf_counter() - start
    audio_s = sum(item.audio.size for item in batched) / 32000
    same = all(np.array_equal(a.audio, b.audio) for a, b in zip(batched, single, strict=True))
    return {
        f"{prefix}narration_audio_seconds": (round(audio_s, 1), "s"),
        f"{prefix}narration_batched_throughput": (round(audio_s / batched_s, 3),
                                                  "audio s per compute s"),
        f"{prefix}narration_single_throughput": (round(audio_s / single_s, 3),
                                                 "audio s per compute s"),
        f"{prefix}narration_batched_equals_single": (int(same), "bool"),
    }


class _NoiseRenderer:
    """Speech-length noise, so only the engine's own costs are measured."""

    identity = "benchmark-noise"
    sample_rate = 32000

    def parameters(self) -> dict:
        return {}

    def render(self, sentences, lexicon, progress=None, cancel=None):
        from voicestudio.synthesis.pipeline import RenderedSentence
        from voicestudio.text.sentences import spoken_length

        out = []
        for spec in sentences:
            rng = np.random.default_rng(spec.seed % 2**32)
            seconds = 0.22 * max(spoken_length(spec.text), 2.0)
            n = int(seconds * self.sample_rate)
            envelope = 0.5 + 0.5 * np.sin(np.arange(n) / self.sample_rate * 2 * np.pi * 4)
            audio = (0.2 * envelope * rng.standard_normal(n)).astype(np.float32)
            out.append(RenderedSentence(audio, 10, 10, spec.seed, 1, ""))
        return out


def long_book(folder: Path, n_sentences: int) -> dict[str, tuple]:
    from voicestudio.project.library import VoiceLibrary
    from voicestudio.project.narration import create_narration
    from voicestudio.synthesis.narration import NarrationEngine

    voice = VoiceLibrary(folder / "book-data").create("Reader", ["en"])
    project = create_narration(voice, "Long Book")
    words = "river lantern harbour meadow window garden mountain letter orchard village".split()
    chapters = 10
    per_chapter = n_sentences // chapters
    for number in range(chapters):
        sentences = [f"The {words[i % 10]} number {i} of part {number} lay quiet in the light."
                     for i in range(per_chapter)]
        paragraphs = [" ".join(sentences[i:i + 5]) for i in range(0, per_chapter, 5)]
        chapter = project.add_chapter("Part", "\n\n".join(paragraphs))
        chapter.title = ""  # untitled: exactly n sentences to read
    project.save()
    engine = NarrationEngine(project, _NoiseRenderer())
    rss: dict[int, float] = {}
    done = 0

    def counted(_index: int) -> None:
        nonlocal done
        done += 1
        if done in (100, n_sentences):
            rss[done] = _rss_mb()

    print(f"rendering a {n_sentences}-sentence book with the noise renderer ...",
          file=sys.stderr)
    start = time.perf_counter()
    for chapter in project.chapters:
        engine.render_chapter(chapter.id, on_sentence=counted)
    render_s = time.perf_counter() - start
    start = time.perf_counter()
    stale = 0
    for chapter in project.chapters:
        plan = engine.plan(chapter.id)
        stale += sum(engine.state(plan, i).value != "rendered" for i in range(len(plan.records)))
    plan_s = time.perf_counter() - start
    return {
        "book_rss_at_sentence_100": (round(rss.get(100, float("nan")), 1), "MB"),
        f"book_rss_at_sentence_{n_sentences}": (round(rss.get(n_sentences, float("nan")), 1),
                                               "MB"),
        "book_engine_seconds_per_sentence": (round(render_s / n_sentences, 4), "s"),
        f"plan_{n_sentences}_sentences": (round(plan_s, 3), "s"),
        "plan_sentences_needing_render": (stale, "sentences"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--sentences", type=int, default=8)
    parser.add_argument("--tokens", type=int, default=75, help="sound tokens per sentence")
    parser.add_argument("--book-sentences", type=int, default=1000)
    parser.add_argument("--skip-book", action="store_true")
    parser.add_argument("--skip-throughput", action="store_true")
    args = parser.parse_args(argv)
    figures: dict[str, tuple] = {}
    with tempfile.TemporaryDirectory(prefix="narration-bench-") as tmp:
        folder = Path(tmp)
        if not args.skip_book:
            figures.update(long_book(folder, args.book_sentences))
        if not args.skip_throughput:
            print("writing full-size random S1/S2 ...", file=sys.stderr)
            data = full_size_data_dir(folder / "models")
            figures.update(throughput(args.device, args.sentences, args.tokens, data))
    load = Path("/proc/loadavg").read_text().split()[:3]
    figures["machine_load_1_5_15"] = (" ".join(load), "")
    for name, (value, unit) in figures.items():
        print(f"{name}: {value} {unit}".rstrip())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
