"""A complete base-model set with tiny random weights, for tests and demos.

Every base model the app needs (S1, S2 generator and discriminator, HuBERT, BERT) is written
in exactly the layout the hub registry installs a real download in, and marked
``source: "tiny"`` in its ``model.json`` so the app labels it "for tests and demos only".
The set lets the whole product run end to end on any machine in seconds; the voice it makes
is noise, not speech.

Sizes that other models fix stay real (HuBERT's 768 channels at 50 Hz, BERT's 1024 features,
the 732 phone symbols, the 1024-code codebook, 32 kHz output), so everything that reads or
writes these files is exercised as with the real ones.
"""

from __future__ import annotations

import functools
import io
from collections import OrderedDict
from pathlib import Path

import torch

from voicestudio.errors import UserInputError
from voicestudio.hub.catalogue import required_ids
from voicestudio.hub.install import staged_install
from voicestudio.hub.layout import install_dir
from voicestudio.hub.marker import InstalledModel, read_marker
from voicestudio.hub.status import model_state
from voicestudio.jobs import CancelToken, ProgressCallback, ProgressTracker
from voicestudio.models.s1 import random_s1_model, save_s1_checkpoint, tiny_s1_config
from voicestudio.models.s2 import write_tiny_s2_base_model
from voicestudio.models.ssl import SSL_SAMPLE_RATE, write_tiny_hubert
from voicestudio.models.sv import write_tiny_sv_model
from voicestudio.project.atomic import atomic_write_bytes
from voicestudio.project.settings import base_models_dir

TINY_BERT_HIDDEN = 1024  # S1's bert_proj reads 1024 features, as from chinese-roberta-large
# The feature S1 uses is hidden_states[-3]; with one layer there is no third-from-last state.
TINY_BERT_LAYERS = 2
# A random S1 almost never picks EOS, so every sentence would run to the length cap. Scaling
# the EOS row of the output head makes random sentences end after about 0.5-1.2 s, like the
# sentences of a trained model, so tests and demos see normal lengths.
TINY_S1_EOS_SCALE = 2.0
_SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")


def tiny_bert_vocabulary() -> list[str]:
    """Special tokens, printable ASCII, common CJK punctuation and the 3,755 level-1 GB2312
    characters (the everyday hanzi): one token per character of normalised Chinese text.
    """
    ascii_chars = [chr(c) for c in range(0x21, 0x7F)]
    cjk_punctuation = list("，。！？、；：“”‘’（）《》【】…—～·")
    hanzi = []
    for high in range(0xB0, 0xD8):
        for low in range(0xA1, 0xFF):
            try:
                hanzi.append(bytes((high, low)).decode("gb2312"))
            except UnicodeDecodeError:
                continue  # the few unassigned code points at the end of row 0xD7
    return list(dict.fromkeys([*_SPECIAL_TOKENS, *ascii_chars, *cjk_punctuation, *hanzi]))


def write_tiny_bert(folder: Path, seed: int = 0) -> None:
    """A random 2-layer BERT with 1024 features and a character vocabulary, saved with
    ``save_pretrained`` (model and fast tokenizer) like chinese-roberta-wwm-ext-large.
    """
    from transformers import BertConfig, BertForMaskedLM, BertTokenizerFast
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    vocab = tiny_bert_vocabulary()
    vocab_file = folder / "vocab.txt"
    vocab_file.write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = BertTokenizerFast(vocab_file=str(vocab_file), do_lower_case=False)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=TINY_BERT_HIDDEN,
        num_hidden_layers=TINY_BERT_LAYERS,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=512,
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = BertForMaskedLM(config).eval()
    # fp16 on disk, like the published roberta file; the extractor computes in fp32 on CPU.
    model.half().save_pretrained(str(folder))
    tokenizer.save_pretrained(str(folder))


def write_tiny_hubert_folder(folder: Path, seed: int = 0) -> None:
    """The tiny HuBERT plus the ``preprocessor_config.json`` that chinese-hubert-base ships."""
    from transformers import Wav2Vec2FeatureExtractor

    write_tiny_hubert(Path(folder), seed)
    Wav2Vec2FeatureExtractor(
        feature_size=1,
        sampling_rate=SSL_SAMPLE_RATE,
        padding_value=0.0,
        do_normalize=True,
        return_attention_mask=False,
    ).save_pretrained(str(folder))


def write_tiny_s1(path: Path, seed: int = 0) -> None:
    """A tiny random S1 ``.ckpt`` in the upstream format, ending sentences at normal lengths."""
    cfg = tiny_s1_config()
    model = random_s1_model(cfg, seed)
    with torch.no_grad():
        model.ar_predict_layer.weight[cfg.eos] *= TINY_S1_EOS_SCALE
    save_s1_checkpoint(path, model, info="tiny-base")


# The real discriminator is 47 M parameters and costs seconds per step on a CPU, more than the
# tiny generator it judges; 16 times narrower (same periods, same key names), a demo training
# through the Train page takes minutes. The loader reads the width from the file.
TINY_DISCRIMINATOR_NARROW = 16


def write_tiny_s2_discriminator(path: Path, seed: int = 0, version: str = "v2") -> None:
    """A small random discriminator in the ``s2D*.pth`` layout (``{"weight": fp16 state
    dict}``) with the published key names and the version's periods; ``load_discriminator``
    reads it like a real one."""
    from voicestudio.models.s2.discriminator import MultiPeriodDiscriminator, periods_for_version

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        disc = MultiPeriodDiscriminator(periods_for_version(version), TINY_DISCRIMINATOR_NARROW)
    weights = OrderedDict((k, v.detach().to(torch.float16)) for k, v in disc.state_dict().items())
    buffer = io.BytesIO()
    torch.save({"weight": weights}, buffer)
    atomic_write_bytes(Path(path), buffer.getvalue())


def install_tiny_base_models(
    data_dir: Path,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    seed: int = 0,
    force: bool = False,
    family: str = "v2",
) -> list[InstalledModel]:
    """Install the tiny set of model ``family`` under ``<data_dir>/base-models/``, replacing
    earlier tiny ones.

    Real (downloaded or imported) base models are never replaced unless ``force``: they may
    have taken an hour to download. Each model goes through the registry's staged install, so
    a crash leaves every model either fully installed or untouched.
    """
    wanted = required_ids(family)
    real = [spec_id for spec_id in wanted
            if model_state(Path(data_dir), spec_id).state == "installed"]
    if real and not force:
        raise UserInputError(
            f"Real base models are installed in {base_models_dir(Path(data_dir))}"
            f" ({', '.join(real)}); the tiny test models would replace them. Choose another "
            "data folder (--data-dir), or replace them anyway with --force."
        )
    writers = {
        "s1-v2": lambda folder: write_tiny_s1(folder / "s1.ckpt", seed),
        "s2g-v2": lambda folder: write_tiny_s2_base_model(folder / "s2G.pth", seed),
        "s2d-v2": lambda folder: write_tiny_s2_discriminator(folder / "s2D.pth", seed),
        "s1-v2pro": lambda folder: write_tiny_s1(folder / "s1.ckpt", seed),
        "sv": lambda folder: write_tiny_sv_model(folder / "sv.ckpt", seed),
        **{
            f"s2g-{version.lower()}": functools.partial(_tiny_s2g, version=version, seed=seed)
            for version in ("v2Pro", "v2ProPlus")
        },
        **{
            f"s2d-{version.lower()}": functools.partial(_tiny_s2d, version=version, seed=seed)
            for version in ("v2Pro", "v2ProPlus")
        },
        "hubert": lambda folder: write_tiny_hubert_folder(folder, seed),
        "bert": lambda folder: write_tiny_bert(folder, seed),
    }
    missing = set(wanted) - set(writers)
    if missing:  # the registry grew a required model this writer does not know
        raise RuntimeError(f"no tiny writer for required base models {sorted(missing)}")
    tracker = ProgressTracker(progress, cancel)
    installed = []
    for done, spec_id in enumerate(wanted):
        tracker.step(done, len(wanted), f"Writing tiny {spec_id}")
        origin = {"writer": "voicestudio.synthesis.tiny_models", "seed": seed}
        with staged_install(Path(data_dir), spec_id, "tiny", origin=origin) as folder:
            writers[spec_id](folder)
        installed.append(read_marker(install_dir(Path(data_dir), spec_id)))
    tracker.step(1, 1, "Tiny base models installed")
    return installed


def _tiny_s2g(folder: Path, version: str, seed: int) -> None:
    write_tiny_s2_base_model(folder / "s2G.pth", seed, version=version)


def _tiny_s2d(folder: Path, version: str, seed: int) -> None:
    write_tiny_s2_discriminator(folder / "s2D.pth", seed, version=version)
