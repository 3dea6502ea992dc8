"""v2Pro / v2ProPlus S2 generators vs the upstream reference run (fixture README 1, 3, 4, 5).

Versions come from model_fixtures_meta.json (`s2`), decode cases from the `<ver>_*_audio`
arrays, their settings from the case name (ns05 = noise 0.5, speed125 = 1.25, two_refs =
every `refer_spec*` with its `sv_emb*`), so another folder of the same format works unchanged.
Intermediates that the generator does not return (the reference-encoder vector, the SV
projection, the PReLU fusion, the 512-wide MRTE input and MRTE's output) are taken with
forward hooks on the modules that compute them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
import torch
from fixture_checks import as_tensor as _t
from fixture_checks import assert_audio, assert_intermediate, scaled

from voicestudio.models.checkpoint_format import detect_checkpoint_version
from voicestudio.models.s2 import load_generator_weights, load_s2_checkpoint
from voicestudio.models.s2.config import S2Config
from voicestudio.models.s2.discriminator import MultiPeriodDiscriminator, periods_for_version
from voicestudio.models.s2.pro_generator import SoVITSProGenerator, build_s2_generator

pytestmark = pytest.mark.fixtures

HOOKED = {  # fixture name -> module whose output it is
    "ge_refenc": "ref_enc",
    "sv_proj": "sv_emb",
    "ge_prelu": "prelu",
    "ge512": "ge_to512",
    "mrte_out": "enc_p.mrte",
}


def _meta(folder: Path) -> dict:
    return json.loads((folder / "model_fixtures_meta.json").read_text())


def _versions(folder: Path) -> list[str]:
    versions = sorted(_meta(folder)["s2"])
    assert versions, "no generators listed in model_fixtures_meta.json"
    return versions


@contextmanager
def recorded(generator: torch.nn.Module) -> Iterator[dict[str, list[torch.Tensor]]]:
    """Collect every output of the HOOKED modules during the block."""
    seen: dict[str, list[torch.Tensor]] = {name: [] for name in HOOKED}
    handles = []
    for name, module_name in HOOKED.items():
        module = generator.get_submodule(module_name)
        handles.append(
            module.register_forward_hook(lambda _m, _i, out, n=name: seen[n].append(out))
        )
    try:
        yield seen
    finally:
        for handle in handles:
            handle.remove()


def _check_hooked(prefix: str, seen: dict[str, list[torch.Tensor]], data) -> None:
    for name, outputs in seen.items():
        key = f"{prefix}{name}"
        if key not in data.files:
            continue
        want = data[key]
        if name == "ge512":  # the Linear works on (B, 1, gin); the generator transposes back
            outputs = [o.transpose(1, 2) for o in outputs]
        got = outputs[0] if len(outputs) == 1 else torch.stack(outputs)
        assert_intermediate(key, got, want)


def test_every_file_has_its_marker_version_and_weights(v2pro_fixtures_dir: Path) -> None:
    for version in _versions(v2pro_fixtures_dir):
        meta = _meta(v2pro_fixtures_dir)["s2"][version]
        path = v2pro_fixtures_dir / meta["file"]
        assert path.read_bytes()[:2] == meta["header_bytes"].encode("ascii")
        kind = detect_checkpoint_version(path)
        assert (kind.version, kind.detected_by, kind.supported) == (version, "tag", True)
        loaded = load_s2_checkpoint(path)
        assert isinstance(loaded.generator, SoVITSProGenerator)
        assert loaded.config.version == version and not loaded.has_posterior
        assert len(loaded.generator.state_dict()) == meta["num_weights_inference"]
        section = loaded.config.model_section()
        assert {k: section[k] for k in meta["config_model"]} == meta["config_model"]


_LOADED: dict[tuple[Path, str], object] = {}


def _loaded(folder: Path, version: str):
    """Each fixture generator is opened once per session (the file check has its own test)."""
    key = (folder, version)
    if key not in _LOADED:
        _LOADED[key] = load_s2_checkpoint(folder / _meta(folder)["s2"][version]["file"])
    return _LOADED[key]


def test_every_decode_case_of_every_version(v2pro_fixtures_dir: Path) -> None:
    data = np.load(v2pro_fixtures_dir / "s2pro_decode.npz")
    refs = [k for k in sorted(data.files) if re.fullmatch(r"refer_spec\d*", k)]
    svs = [k for k in sorted(data.files) if re.fullmatch(r"sv_emb\d*", k)]
    assert len(refs) == len(svs) >= 1
    for version in _versions(v2pro_fixtures_dir):
        generator = _loaded(v2pro_fixtures_dir, version).generator
        prefix = version.lower() + "_"
        cases = sorted(
            k[len(prefix) : -len("_audio")]
            for k in data.files
            if k.startswith(prefix) and k.endswith("_audio")
        )
        assert cases, f"no decode cases for {version}"
        for case in cases:
            noise_match = re.search(r"ns(\d+)", case)
            speed_match = re.search(r"speed(\d+)", case)
            noise_scale = scaled(noise_match.group(1)) if noise_match else 0.5
            speed = scaled(speed_match.group(1)) if speed_match else 1.0
            several = case.startswith("two_refs")
            refer = [_t(data[k]) for k in refs] if several else _t(data[refs[0]])
            sv = [_t(data[k]) for k in svs] if several else _t(data[svs[0]])
            key = f"{prefix}{case}_"
            noise = _t(data[f"{key}noise"]) if f"{key}noise" in data.files else None
            if noise is None and noise_scale != 0:
                pytest.fail(f"case {case} uses noise but the fixture has no {key}noise")
            with recorded(generator) as seen:
                trace = generator.decode_with_trace(
                    _t(data["codes"]), _t(data["text"]), refer, noise_scale, speed, noise, sv
                )
            assert_audio(f"{key}audio", trace.audio, data[f"{key}audio"])
            for name in ("ge", "enc_p_x", "m_p", "logs_p", "y_mask", "z"):
                if f"{key}{name}" in data.files:
                    assert_intermediate(f"{key}{name}", getattr(trace, name), data[f"{key}{name}"])
            _check_hooked(key, seen, data)


def test_training_forward_of_every_version(v2pro_fixtures_dir: Path) -> None:
    data = np.load(v2pro_fixtures_dir / "s2pro_train_forward.npz")
    for version in _versions(v2pro_fixtures_dir):
        meta = _meta(v2pro_fixtures_dir)["s2"][version]
        loaded = _loaded(v2pro_fixtures_dir, version)
        weights = dict(loaded.generator.state_dict())
        enc_q = np.load(v2pro_fixtures_dir / meta["file"].replace(".pth", "_enc_q.npz"))
        weights.update({k: _t(enc_q[k]) for k in enc_q.files})
        generator = build_s2_generator(loaded.config, with_posterior=True)
        load_generator_weights(generator, weights, source=f"{meta['file']} + enc_q")
        generator.eval()
        listing = json.loads(
            (
                v2pro_fixtures_dir / meta["file"].replace(".pth", "_train_state_dict_keys.json")
            ).read_text()
        )
        layout = {k: list(v.shape) for k, v in generator.state_dict().items()}
        assert layout == {k: shape for k, (shape, _dtype) in listing.items()}
        assert list(layout) == list(listing)

        p = version.lower() + "_"
        with torch.no_grad(), recorded(generator) as seen:
            out = generator(
                _t(data["ssl"]),
                _t(data["spec"]),
                _t(data["spec_lengths"]),
                _t(data["text"]),
                _t(data["text_lengths"]),
                posterior_noise=_t(data[f"{p}enc_q_noise"]),
                slice_rand=_t(data[f"{p}slice_rand"]),
                sv=_t(data["sv_emb"]),
            )
        np.testing.assert_array_equal(out.ids_slice.numpy(), data[f"{p}ids_slice"])
        assert_audio(f"{p}y_hat", out.y_hat, data[f"{p}y_hat"])
        np.testing.assert_allclose(
            float(out.commit_loss), float(np.asarray(data[f"{p}commit_loss"]).sum()), atol=1e-6
        )
        for name in ("y_mask", "z", "z_p", "m_p", "logs_p", "m_q", "logs_q", "quantized", "ge"):
            assert_intermediate(f"{p}{name}", getattr(out, name), data[f"{p}{name}"])
        _check_hooked(p, seen, data)


def _listing(path: Path) -> dict[str, list[int]]:
    return {k: shape for k, (shape, _dtype) in json.loads(path.read_text())["weight"].items()}


def test_full_size_generators_and_discriminators_match_listings(v2pro_fixtures_dir: Path) -> None:
    folder = v2pro_fixtures_dir / "full_size"
    configs = json.loads((folder / "configs_full.json").read_text())
    versions = sorted(k[len("s2_") :] for k in configs if k.startswith("s2_"))
    assert versions
    for version in versions:
        config = S2Config.from_hparams(configs[f"s2_{version}"])
        assert config.version == version and config.uses_sv
        with torch.device("meta"):
            generator = build_s2_generator(config)
            discriminator = MultiPeriodDiscriminator(periods_for_version(version))
        ours = {k: list(v.shape) for k, v in generator.state_dict().items()}
        train = _listing(folder / f"s2G_{version}_train_state_dict_keys.json")
        assert list(ours) == list(train) and ours == train, version
        inference = json.loads((folder / f"s2G_{version}_inference_ckpt_keys.json").read_text())
        excluded = inference.get("excluded_substring", "enc_q")
        exported = {k: v for k, v in ours.items() if excluded not in k}
        assert exported == _listing(folder / f"s2G_{version}_inference_ckpt_keys.json")
        assert all(d == "float16" for _s, d in inference["weight"].values())
        d_layout = {k: list(v.shape) for k, v in discriminator.state_dict().items()}
        assert d_layout == _listing(folder / f"s2D_{version}_state_dict_keys.json"), version
