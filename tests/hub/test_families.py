"""Model families (v2, v2Pro, v2ProPlus): what each needs and how it is installed."""

from __future__ import annotations

import pytest
from fakehub import PRETRAINED, fake_gptsovits, torch_like

from voicestudio.errors import UserInputError
from voicestudio.hub.catalogue import REQUIRED_IDS, SPECS, required_ids
from voicestudio.hub.families import FAMILIES, chosen_family, get_family
from voicestudio.hub.importer import import_gptsovits
from voicestudio.hub.status import installed_summary
from voicestudio.project.settings import Settings


def test_each_family_names_its_models_and_says_what_it_is_for() -> None:
    assert required_ids("v2") == REQUIRED_IDS
    pro, plus = get_family("v2Pro"), get_family("v2ProPlus")
    assert pro.required_ids == ("s1-v2pro", "s2g-v2pro", "s2d-v2pro", "sv", "hubert", "bert")
    assert plus.s1 == pro.s1 and plus.sv == pro.sv == "sv"  # s1v3.ckpt and the SV model shared
    assert plus.s2g != pro.s2g and plus.s2d != pro.s2d
    for family in FAMILIES.values():
        assert all(i in SPECS for i in family.required_ids)
    assert "recommended" in pro.label and "smallest" in get_family("v2").label
    assert "slower" in plus.label
    paths = {SPECS[i].main_file.repo_path for i in plus.required_ids + pro.required_ids}
    assert {"s1v3.ckpt", "v2Pro/s2Gv2Pro.pth", "v2Pro/s2Dv2ProPlus.pth",
            "sv/pretrained_eres2netv2w24s4ep4.ckpt"} <= paths
    with pytest.raises(UserInputError, match="v2Pro — better likeness"):
        get_family("v3")


def test_the_family_chosen_in_settings_decides_what_is_required(isolated_user_dirs) -> None:
    assert chosen_family().id == "v2"
    settings = Settings.load()
    settings.model_family = "v2ProPlus"
    settings.save()
    assert chosen_family().id == "v2ProPlus"
    summary = installed_summary(isolated_user_dirs)
    assert summary.missing == get_family("v2ProPlus").required_ids


def _add_v2pro_files(root, skip=()) -> None:
    for spec_id in get_family("v2Pro").required_ids[:4]:
        for i, f in enumerate(SPECS[spec_id].files):
            if f.repo_path in skip:
                continue
            path = root / PRETRAINED / f.repo_path
            data = torch_like(path, 50 + i)
            if spec_id.startswith("s2g"):
                path.write_bytes(b"05" + data[2:])  # upstream's v2Pro marker over "PK"


def test_import_finds_the_v2pro_set_in_a_gptsovits_folder(tmp_path, isolated_user_dirs) -> None:
    fake_gptsovits(tmp_path / "g")
    _add_v2pro_files(tmp_path / "g")
    report = import_gptsovits(isolated_user_dirs, tmp_path / "g")
    installed = {m.id for m in report.installed}
    assert set(get_family("v2Pro").required_ids) <= installed
    assert set(REQUIRED_IDS) <= installed
    assert report.not_found == {}  # v2ProPlus files are absent, but nobody asked for them
    assert installed_summary(isolated_user_dirs, "v2Pro").ready
    assert not installed_summary(isolated_user_dirs, "v2ProPlus").ready


def test_absent_files_of_the_chosen_family_are_named(tmp_path, isolated_user_dirs) -> None:
    settings = Settings.load()
    settings.model_family = "v2Pro"
    settings.save()
    fake_gptsovits(tmp_path / "g")
    _add_v2pro_files(tmp_path / "g", skip=("sv/pretrained_eres2netv2w24s4ep4.ckpt",))
    report = import_gptsovits(isolated_user_dirs, tmp_path / "g")
    assert report.not_found == {"sv": "sv/pretrained_eres2netv2w24s4ep4.ckpt"}
