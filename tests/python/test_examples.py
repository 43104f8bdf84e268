"""The scripts in examples/ run to the end (they check what they read back themselves)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import ROOT

EXAMPLES = ROOT / "examples"


@pytest.mark.parametrize("script", ["organs_and_ribs.py", "lung.py"])
def test_example_runs(tmp_path, script):
    out = tmp_path / ("organs" if script.startswith("organs") else "lung.mska")
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / script), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert out.exists()
    if script == "lung.py":
        assert "27 structures" in result.stdout
        # Structures first, then groups (FORMAT.md 10.2: since 1.3 the lobes, unions of their
        # segments, are recognised at commit and listed by name after the defined groups).
        assert (
            "belongs to: RS5_medial, lesion_1, lesion_2, lesions, right_lung, lung, "
            "right_middle_lobe"
        ) in result.stdout
    else:
        assert "117 masks" in result.stdout
        assert "rib_right_12 shares voxels with: {'sacrum': 13}" in result.stdout
