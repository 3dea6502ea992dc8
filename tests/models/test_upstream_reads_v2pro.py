"""Files we write open in upstream GPT-SoVITS as v2Pro/v2ProPlus and decode the same there.

Needs a GPT-SoVITS checkout (VOICESTUDIO_UPSTREAM=/path/to/GPT-SoVITS) with its Python
dependencies (einops) importable; full size, so it is a `slow` test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


def test_upstream_reads_our_v2pro_files() -> None:
    upstream = os.environ.get("VOICESTUDIO_UPSTREAM")
    if not upstream or not (Path(upstream) / "GPT_SoVITS" / "process_ckpt.py").is_file():
        pytest.skip("set VOICESTUDIO_UPSTREAM to a GPT-SoVITS checkout")
    script = Path(__file__).with_name("upstream_v2pro_check.py")
    done = subprocess.run([sys.executable, str(script), upstream], cwd=upstream, text=True,
                          capture_output=True, timeout=1800,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(
                              filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))})
    if done.returncode and "ModuleNotFoundError" in done.stderr:
        pytest.skip(f"upstream's dependencies are missing: {done.stderr.splitlines()[-1]}")
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert [r["version"] for r in rows] == ["v2Pro", "v2ProPlus"]
    for row in rows:
        assert row["detected"] == ["v2", row["version"], False]  # read by its marker
        assert row["config_class"] == "utils.HParams"
        assert row["missing_not_enc_q"] == [] and row["unexpected"] == []
        assert row["max_diff"] <= 2e-4 * row["peak"]
