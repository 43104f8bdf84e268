"""Running the `medmask` command-line tool in tests: where it is, and how its errors look.

The binary is $MEDMASK_CLI, else build/cli/medmask under the repository root; modules that use it
skip themselves when it is missing.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "examples" / "data" / "s0000"
CLI = Path(os.environ.get("MEDMASK_CLI", REPO / "build" / "cli" / "medmask"))


def require_cli() -> None:
    if not CLI.is_file() or not os.access(CLI, os.X_OK):
        pytest.skip(
            f"medmask CLI not found at {CLI}: build it or set MEDMASK_CLI", allow_module_level=True
        )


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CLI), *map(str, args)], capture_output=True, text=True, timeout=300, check=False
    )


def assert_error(result: subprocess.CompletedProcess[str], *must_name: str) -> str:
    """Exit code 1 and exactly one stderr line `medmask: error: ...` naming each of must_name."""
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("medmask: error: "), lines[0]
    for text in must_name:
        assert text in lines[0], (text, lines[0])
    return lines[0]
