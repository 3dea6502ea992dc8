"""The full-size v2 generator has exactly the keys, shapes and order of the released files.

Built on the meta device (no memory, no init cost) from the full-size hparams listing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from voicestudio.models.s2 import S2Config, SoVITSGenerator, v2_s2_config

pytestmark = pytest.mark.fixtures


@pytest.fixture(scope="module")
def full_size_layout(fixtures_dir: Path) -> dict[str, list[int]]:
    hparams = json.loads((fixtures_dir / "full_size" / "configs_full.json").read_text())["s2"]
    config = S2Config.from_hparams(hparams)
    assert config == v2_s2_config()
    with torch.device("meta"):
        generator = SoVITSGenerator(config)
    return {k: list(v.shape) for k, v in generator.state_dict().items()}


def _listing(path: Path) -> dict[str, list[int]]:
    entries = json.loads(path.read_text())["weight"]
    return {key: shape for key, (shape, _dtype) in entries.items()}


def test_training_state_dict_matches_listing(full_size_layout, fixtures_dir: Path) -> None:
    want = _listing(fixtures_dir / "full_size" / "s2G_v2_train_state_dict_keys.json")
    assert list(full_size_layout) == list(want)
    for key, shape in want.items():
        assert full_size_layout[key] == shape, key


def test_inference_export_matches_listing(full_size_layout, fixtures_dir: Path) -> None:
    listing = json.loads(
        (fixtures_dir / "full_size" / "s2G_v2_inference_ckpt_keys.json").read_text()
    )
    excluded = listing.get("excluded_substring", "enc_q")
    want = _listing(fixtures_dir / "full_size" / "s2G_v2_inference_ckpt_keys.json")
    ours = {k: v for k, v in full_size_layout.items() if excluded not in k}
    assert list(ours) == list(want)
    for key, shape in want.items():
        assert ours[key] == shape, key
    assert all(dtype == "float16" for _shape, dtype in listing["weight"].values())


@pytest.mark.slow
def test_full_size_generator_round_trips_and_decodes(fixtures_dir: Path, tmp_path: Path) -> None:
    """Real-size file: ~85 MB of fp16 weights, as upstream's v2 exports (42.4M parameters)."""
    from voicestudio.models.s2 import load_s2_checkpoint, random_s2_generator, save_s2_checkpoint

    path = tmp_path / "full.pth"
    save_s2_checkpoint(path, random_s2_generator(v2_s2_config(), seed=0))
    listing = _listing(fixtures_dir / "full_size" / "s2G_v2_inference_ckpt_keys.json")
    n_params = sum(torch.Size(shape).numel() for shape in listing.values())
    assert 2 * n_params < path.stat().st_size < 2 * n_params + 1_000_000
    loaded = load_s2_checkpoint(path)
    assert loaded.config == v2_s2_config() and not loaded.has_posterior
    codes = torch.randint(0, 1024, (1, 1, 25))
    audio = loaded.generator.decode(codes, torch.randint(0, 732, (1, 12)), torch.rand(1, 1025, 50))
    assert audio.shape == (1, 1, 25 * 2 * 640)
