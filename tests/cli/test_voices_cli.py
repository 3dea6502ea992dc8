"""The voices CLI: what a person types and what they get back, including exit codes."""

from __future__ import annotations

import json

import pytest

from voicestudio.cli import main
from voicestudio.project.library import VoiceLibrary


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_create_list_rename_delete_restore(tmp_path, capsys):
    data = str(tmp_path / "d")
    assert run(capsys, "--data-dir", data, "voices", "create", "Rose", "--lang", "zh")[0] == 0
    code, out, _ = run(capsys, "--data-dir", data, "voices", "list", "--json")
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert rows[0]["name"] == "Rose" and rows[0]["languages"] == ["zh"]

    assert run(capsys, "--data-dir", data, "voices", "rename", "Rose", "Nana")[0] == 0
    assert run(capsys, "--data-dir", data, "voices", "delete", "Nana")[0] == 0
    assert VoiceLibrary(tmp_path / "d").entries() == []
    code, out, _ = run(capsys, "--data-dir", data, "voices", "trash")
    assert "Nana" in out
    assert run(capsys, "--data-dir", data, "voices", "restore", "Nana")[0] == 0
    assert [v.name for v in VoiceLibrary(tmp_path / "d").voices()] == ["Nana"]


def test_env_data_dir_is_honoured(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("VOICESTUDIO_DATA_DIR", str(tmp_path / "env"))
    assert run(capsys, "voices", "create", "Jim", "--lang", "en")[0] == 0
    assert (tmp_path / "env" / "voices" / "Jim" / "voice.json").exists()


def test_bad_input_prints_one_line_and_exits_2(tmp_path, capsys):
    data = str(tmp_path / "d")
    code, _, err = run(capsys, "--data-dir", data, "voices", "rename", "Nobody", "X")
    assert code == 2
    assert err.strip().count("\n") == 0 and "no voice called" in err
    assert "Traceback" not in err
    run(capsys, "--data-dir", data, "voices", "create", "Rose", "--lang", "zh")
    code, _, err = run(capsys, "--data-dir", data, "voices", "create", "rose", "--lang", "en")
    assert code == 2 and "already exists" in err


def test_corrupt_manifest_listed_not_crashing(tmp_path, capsys):
    data = tmp_path / "d"
    voice = VoiceLibrary(data).create("Rose", ["zh"])
    voice.manifest_path.write_text("{broken")
    code, out, _ = run(capsys, "--data-dir", str(data), "voices", "list")
    assert code == 0 and "DAMAGED" in out
    assert voice.manifest_path.read_text() == "{broken"


def test_accent_defaults_to_keep_and_can_be_changed(tmp_path, capsys):
    data = str(tmp_path / "d")
    run(capsys, "--data-dir", data, "voices", "create", "Rose", "--lang", "zh")
    code, out, _ = run(capsys, "--data-dir", data, "voices", "accent", "Rose")
    assert code == 0 and "Keep the way they speak" in out
    code, out, _ = run(capsys, "--data-dir", data, "voices", "accent", "Rose", "standard")
    assert code == 0 and "Standard pronunciation" in out
    assert VoiceLibrary(tmp_path / "d").find("Rose").manifest.accent == "standard"
    run(capsys, "--data-dir", data, "voices", "create", "Jim", "--lang", "en",
        "--accent", "standard")
    code, out, _ = run(capsys, "--data-dir", data, "voices", "list", "--json")
    accents = {row["name"]: row["accent"] for row in map(json.loads, out.splitlines())}
    assert accents == {"Rose": "standard", "Jim": "standard"}


def test_model_family_follows_settings_until_set_and_is_remembered(tmp_path, capsys):
    data = str(tmp_path / "d")
    run(capsys, "--data-dir", data, "voices", "create", "Rose", "--lang", "zh")
    code, out, _ = run(capsys, "--data-dir", data, "voices", "family", "Rose")
    assert code == 0 and "v2 — smallest and fastest (the family chosen in Settings)" in out
    code, out, _ = run(capsys, "--data-dir", data, "voices", "family", "Rose", "v2Pro")
    assert code == 0 and "v2Pro — better likeness, recommended." in out
    assert VoiceLibrary(tmp_path / "d").find("Rose").manifest.model_family == "v2Pro"
    with pytest.raises(SystemExit):
        run(capsys, "--data-dir", data, "voices", "family", "Rose", "v3")
