"""``voicestudio models …``: what a person types, what they read, and the exit codes."""

from __future__ import annotations

import json

import pytest
from fakehub import fake_gptsovits, fake_whisper, host

from voicestudio.cli import main
from voicestudio.hub.status import installed_summary


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_on_a_fresh_data_dir(capsys, tmp_path):
    code, out, _ = run(capsys, "--data-dir", str(tmp_path), "models", "list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("s1-v2") and "missing" in lines[0] and "~155.0 MB" in lines[0]
    assert "voicestudio models download" in lines[-1]

    code, out, _ = run(capsys, "--data-dir", str(tmp_path), "models", "list", "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert {r["id"] for r in rows} >= {"s1-v2", "hubert", "whisper-base"}
    assert all(r["state"] == "missing" for r in rows)


def test_download_bad_input_exits_2_with_one_line(capsys, tmp_path):
    code, _, err = run(capsys, "--data-dir", str(tmp_path), "models", "download", "s9")
    assert code == 2 and err.startswith("error: Unknown base model “s9”")
    assert len(err.strip().splitlines()) == 1

    code, _, err = run(capsys, "--data-dir", str(tmp_path), "models", "download",
                       "--endpoint", "ftp:/nowhere")
    assert code == 2 and "is not a web address" in err


def test_download_offline_exits_2(capsys, tmp_path, unused_endpoint):
    code, _, err = run(capsys, "--data-dir", str(tmp_path), "models", "download", "s1-v2",
                       "--endpoint", unused_endpoint)
    assert code == 2 and "You seem to be offline" in err


def test_download_then_list_and_verify(capsys, tmp_path, fake_hub):
    served = host(fake_hub, "whisper-tiny", size=20_000)
    code, out, err = run(capsys, "--data-dir", str(tmp_path), "models", "download",
                         "whisper-tiny", "--endpoint", fake_hub.url)
    assert code == 0, err
    assert "Installed whisper-tiny" in out and "100.0%" in err
    model_bin = tmp_path / "base-models" / "whisper-tiny" / "model.bin"
    assert model_bin.read_bytes() == served["model.bin"]

    code, out, _ = run(capsys, "--data-dir", str(tmp_path), "models", "list", "--json")
    row = next(json.loads(x) for x in out.splitlines() if '"whisper-tiny"' in x)
    assert row["state"] == "installed" and row["source"] == "download"

    assert run(capsys, "--data-dir", str(tmp_path), "models", "verify")[0] == 0
    model_bin.write_bytes(bytes(len(served["model.bin"])))
    code, _, err = run(capsys, "--data-dir", str(tmp_path), "models", "verify", "whisper-tiny")
    assert code == 2 and "checksum" in err


def test_import_commands(capsys, tmp_path):
    data = str(tmp_path / "data")
    fake_gptsovits(tmp_path / "GPT-SoVITS",
                   skip=("chinese-roberta-wwm-ext-large/tokenizer.json",))
    code, out, _ = run(capsys, "--data-dir", data, "models", "import",
                       str(tmp_path / "GPT-SoVITS"), "--copy")
    assert code == 0
    assert "Imported s1-v2" in out and "Not found: bert" in out
    assert f"voicestudio --data-dir {data} models download bert" in out
    assert installed_summary(tmp_path / "data").missing == ("bert",)

    code, _, err = run(capsys, "--data-dir", data, "models", "import", str(tmp_path / "none"))
    assert code == 2 and "No folder at" in err

    code, out, _ = run(capsys, "--data-dir", data, "models", "import-asr",
                       str(fake_whisper(tmp_path / "fw")), "--name", "base")
    assert code == 0 and "whisper-base" in out

    code, _, err = run(capsys, "--data-dir", data, "models", "import-asr",
                       str(tmp_path / "missing"), "--name", "base")
    assert code == 2 and "No folder at" in err


def test_import_asr_requires_a_name(capsys, tmp_path):
    with pytest.raises(SystemExit) as info:
        main(["--data-dir", str(tmp_path), "models", "import-asr", str(tmp_path)])
    assert info.value.code == 2
    assert "--name" in capsys.readouterr().err
