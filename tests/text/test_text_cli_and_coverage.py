"""`voicestudio phonemes` and coverage units."""

from __future__ import annotations

import io
import json

import pytest

from voicestudio.cli import main
from voicestudio.text.coverage import coverage_units, inventory, missing_units
from voicestudio.text.lexicon import UserLexicon, save_lexicon


def test_phonemes_prints_one_json_object(capsys):
    assert main(["phonemes", "--lang", "zh", "今天天气真不错，我们一起去公园散步吧。"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["norm_text"] == "今天天气真不错,我们一起去公园散步吧."
    assert out["phones"][:4] == ["j", "in1", "t", "ian1"]
    assert len(out["word2ph"]) == len(out["norm_text"])
    assert len(out["phone_ids"]) == len(out["phones"]) == sum(out["word2ph"])


def test_phonemes_jsonl_answers_each_line(capsys, monkeypatch):
    lines = [
        '{"text": "你好世界", "lang": "zh"}',
        "not json",
        '{"text": "Hello there, friend", "lang": "en"}',
    ]
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(lines) + "\n"))
    assert main(["phonemes", "--jsonl"]) == 2  # one bad line
    answers = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert answers[0]["phones"][:2] == ["n", "i2"]
    assert "not JSON" in answers[1]["error"]
    assert answers[2]["word2ph"] is None and answers[2]["phones"][0] == "HH"


def test_phonemes_uses_a_folder_lexicon(capsys, tmp_path):
    save_lexicon(tmp_path, UserLexicon.from_entries({"单": "shan4"}))
    assert main(["phonemes", "--lang", "zh", "--lexicon", str(tmp_path), "他姓单。"]) == 0
    assert json.loads(capsys.readouterr().out)["phones"][4:6] == ["sh", "an4"]


@pytest.mark.parametrize(
    "argv", [["phonemes"], ["phonemes", "  "], ["phonemes", "--lexicon", "/nonexistent", "hi"]]
)
def test_phonemes_bad_input_exits_2(argv, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err and "\n" not in err and "Traceback" not in err


def test_coverage_units_of_a_mixed_sentence():
    units = coverage_units("我爱Python。", "zh")
    assert {"zh-final:o", "zh-tone:3", "zh-final:ai", "zh-tone:4", "en:P", "en:TH"} <= units
    assert "zh-initial:w" not in units  # y/w are not initials a wizard needs to cover
    assert units <= inventory("zh") | inventory("en")


def test_missing_units_shrink_as_prompts_are_added():
    before = missing_units(["你好"], "zh")
    after = missing_units(["你好", "这是四川的石狮子。"], "zh")
    assert after < before
    assert "zh-initial:sh" in before and "zh-initial:sh" not in after
    assert len(inventory("en")) == 39
