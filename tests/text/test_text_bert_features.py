"""BERT features from a tiny random chinese-BERT-shaped model saved in a temp folder."""

from __future__ import annotations

import pytest
import torch

from voicestudio.errors import MissingModelError, UserInputError
from voicestudio.text.bert_features import (
    HIDDEN_LAYER,
    BertFeatureExtractor,
    load_bert_extractor,
)
from voicestudio.text.frontend import get_phones_and_bert

HAN = "今天气真不错我们一起去公园散步吧你好他说了"
PUNCT = ",.!?…-"


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory):
    from transformers import BertConfig, BertForMaskedLM, BertTokenizerFast

    folder = tmp_path_factory.mktemp("tiny-bert")
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *PUNCT, *HAN]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    BertTokenizerFast(vocab_file=str(folder / "vocab.txt")).save_pretrained(folder)
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(vocab), hidden_size=16, num_hidden_layers=4, num_attention_heads=2,
        intermediate_size=32, max_position_embeddings=32,
    )
    BertForMaskedLM(config).eval().save_pretrained(folder)
    return folder


def test_character_features_come_from_the_third_last_layer(tiny_bert):
    from transformers import AutoModelForMaskedLM, AutoTokenizer

    extractor = BertFeatureExtractor(tiny_bert, device="cpu")
    text = "你好,我们去公园."
    features = extractor.character_features(text)
    assert features.shape == (len(text), 16)
    model = AutoModelForMaskedLM.from_pretrained(tiny_bert).eval()
    inputs = AutoTokenizer.from_pretrained(tiny_bert)(text, return_tensors="pt")
    with torch.no_grad():
        expected = model(**inputs, output_hidden_states=True).hidden_states[HIDDEN_LAYER][0, 1:-1]
    torch.testing.assert_close(features, expected)


def test_long_text_is_read_in_windows(tiny_bert, monkeypatch):
    monkeypatch.setattr("voicestudio.text.bert_features.MAX_CHARS", 20)
    extractor = BertFeatureExtractor(tiny_bert, device="cpu")
    text = "你好,我们去公园散步吧." * 5  # 55 characters > 32 positions of the tiny model
    features = extractor.character_features(text)
    assert features.shape == (len(text), 16)
    torch.testing.assert_close(features[:20], extractor.character_features(text[:20]))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_runs_in_half_precision_close_to_cpu(tiny_bert):
    text = "你好,我们去公园."
    gpu = BertFeatureExtractor(tiny_bert, device="cuda")
    assert gpu.dtype == torch.float16
    cpu = BertFeatureExtractor(tiny_bert, device="cpu")
    torch.testing.assert_close(
        gpu.character_features(text), cpu.character_features(text), atol=2e-2, rtol=2e-2
    )


def test_phone_features_repeat_each_character(tiny_bert):
    extractor = load_bert_extractor(tiny_bert, device="cpu")
    assert load_bert_extractor(tiny_bert, device="cpu") is extractor  # kept warm
    chars = extractor.character_features("你好.")
    phones = extractor.phone_features("你好.", [2, 2, 1])
    assert phones.shape == (16, 5)
    torch.testing.assert_close(phones[:, 0], chars[0])
    torch.testing.assert_close(phones[:, 1], chars[0])
    torch.testing.assert_close(phones[:, 4], chars[2])
    with pytest.raises(UserInputError):
        extractor.phone_features("你好.", [2, 2])


def test_mixed_text_gets_zeros_for_english(tiny_bert):
    extractor = load_bert_extractor(tiny_bert, device="cpu")
    result = get_phones_and_bert("你好, hello world, 我们去公园.", "zh", extractor)
    assert result.bert.shape == (16, len(result.phone_ids))
    zh_first, en, zh_last = result.segments
    assert en.lang == "en"
    n1, n2 = len(zh_first.phone_ids), len(en.phone_ids)
    assert torch.count_nonzero(result.bert[:, n1:n1 + n2]) == 0
    assert torch.count_nonzero(result.bert[:, :n1]) > 0
    assert torch.count_nonzero(result.bert[:, n1 + n2:]) > 0


def test_without_model_features_are_zeros_of_v2_size():
    result = get_phones_and_bert("你好，今天天气真不错。", "zh")
    assert result.bert.shape == (1024, len(result.phone_ids))
    assert torch.count_nonzero(result.bert) == 0


def test_text_without_speech_is_refused():
    with pytest.raises(UserInputError, match="Nothing in this text can be read"):
        get_phones_and_bert("こんにちは😀", "zh")


def test_titles_before_chinese_names_are_read():
    result = get_phones_and_bert("Dr. 张来了。", "zh")
    assert result.norm_text.startswith("Doctor")


def test_missing_model_folder_is_reported(tmp_path):
    with pytest.raises(MissingModelError, match="No BERT model"):
        BertFeatureExtractor(tmp_path, device="cpu")


def test_half_precision_overflow_is_retried_in_fp32(tiny_bert, monkeypatch):
    """On CUDA BERT runs in fp16; a NaN there must not reach S1 (simulated on CPU)."""
    extractor = BertFeatureExtractor(tiny_bert, device="cpu")
    text = "你好,我们去公园."
    expected = extractor.character_features(text)
    extractor.model.half()
    extractor.dtype = torch.float16
    real_hidden = extractor._hidden

    def overflowing(inputs):
        if next(extractor.model.parameters()).dtype == torch.float16:
            return torch.full((len(text), 16), float("nan"))
        return real_hidden(inputs)

    monkeypatch.setattr(extractor, "_hidden", overflowing)
    features = extractor.character_features(text)
    assert torch.isfinite(features).all()
    # The fp32 pass runs on fp16-rounded weights, hence fp16-level agreement.
    torch.testing.assert_close(features, expected, atol=1e-2, rtol=1e-2)
    assert next(extractor.model.parameters()).dtype == torch.float16  # back to fast mode
