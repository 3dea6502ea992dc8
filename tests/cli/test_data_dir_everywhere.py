"""``--data-dir`` works after any command, and printed follow-up commands keep it."""

from __future__ import annotations

import argparse
import shlex

from voicestudio.cli import build_parser, main


def _leaf_parsers(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield path, parser
    for sub in subs:
        for name, child in sub.choices.items():
            yield from _leaf_parsers(child, (*path, name))


def test_every_command_accepts_data_dir_after_it():
    leaves = list(_leaf_parsers(build_parser()))
    assert len(leaves) > 10
    missing = [" ".join(path) for path, p in leaves if "--data-dir" not in p._option_string_actions]
    assert missing == []


def test_data_dir_after_the_command_is_used(tmp_path, capsys):
    data = tmp_path / "data"
    assert main(["voices", "create", "Rose", "--lang", "en", "--data-dir", str(data)]) == 0
    assert (data / "voices" / "Rose" / "voice.json").is_file()
    assert main(["--data-dir", str(tmp_path / "other"), "voices", "list",
                 "--data-dir", str(data)]) == 0  # the later one wins
    assert "Rose" in capsys.readouterr().out


def test_a_printed_follow_up_command_works_when_pasted(tmp_path, capsys):
    data = tmp_path / "my data"  # a space, so the folder must be quoted
    assert main(["voices", "create", "Rose Lee", "--lang", "en", "--data-dir", str(data)]) == 0
    assert main(["voices", "delete", "Rose Lee", "--data-dir", str(data)]) == 0
    printed = capsys.readouterr().out.split("Undo with: ", 1)[1].strip()
    words = shlex.split(printed)
    assert words[:3] == ["voicestudio", "--data-dir", str(data)]
    assert main(words[1:]) == 0
    assert (data / "voices" / "Rose-Lee" / "voice.json").is_file()


def test_commands_turn_off_third_party_progress_bars(tmp_path, monkeypatch):
    """transformers draws "Loading weights: 100%|…|" bars while `dataset build` and `train`
    load HuBERT and BERT; they would break our one progress line and flood a piped log."""
    from transformers.utils import logging as hf_logging

    monkeypatch.delenv("HF_HUB_DISABLE_PROGRESS_BARS", raising=False)
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    hf_logging.enable_progress_bar()
    try:
        assert main(["voices", "list", "--data-dir", str(tmp_path)]) == 0
        assert not hf_logging.is_progress_bar_enabled()
        import os

        assert os.environ["TQDM_DISABLE"] == "1"
        assert os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] == "1"
    finally:
        hf_logging.enable_progress_bar()
