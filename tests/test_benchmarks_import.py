"""Every benchmark script still imports: they are run by hand, rarely, so a rename in the
package (a module split, a moved class) would otherwise break one unseen until someone needs
its figures."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
# benchmarks/peers/ run inside other engines' own venvs, with their packages, not ours.
SCRIPTS = sorted(p for p in BENCHMARKS.glob("*.py"))


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_the_benchmark_script_imports(script, monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))  # as `python benchmarks/x.py` would see it
    spec = importlib.util.spec_from_file_location(f"bench_{script.stem}", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # top-level code only: each runs its work under __main__
    assert callable(getattr(module, "main", None))
