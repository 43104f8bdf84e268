"""Every README and docs code block a user would run, run as written (issue #17 item 8).

Blocks are taken from the markdown at test time: ```sh blocks made of `medmask` commands run
line by line (the build commands of Quick start and Building by hand are what this suite itself
runs), then every ```python block. They run in a scratch folder that holds the paths the README
names: examples/ (the sample case), masks/ (the same 117 files) and old_medmask_0.1.mska (an
archive of the original medmask)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest

from cli_support import CLI, require_cli

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)

require_cli()


def blocks(language: str) -> list[tuple[str, str]]:
    found = []
    for doc in DOCS:
        for lang, body in BLOCK.findall(doc.read_text(encoding="utf-8")):
            if lang == language:
                found.append((doc.name, body))
    return found


def commands() -> list[str]:
    lines = []
    for _, body in blocks("sh"):
        block = [line.split("#")[0].strip() for line in body.splitlines()]
        block = [line for line in block if line]
        if block and all(line.startswith("medmask ") for line in block):
            lines += block
    return lines


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    folder = tmp_path_factory.mktemp("readme")
    (folder / "examples").symlink_to(ROOT / "examples")
    (folder / "masks").symlink_to(ROOT / "examples" / "data" / "s0000")
    (folder / "old_medmask_0.1.mska").symlink_to(ROOT / "tests" / "data" / "compat" / "ribs.mska")
    return folder


def test_the_readme_has_blocks_to_run():
    assert len(commands()) >= 8 and blocks("python")


def test_command_blocks_run(scratch):
    for line in commands():
        argv = [str(CLI), *shlex.split(line)[1:]]
        result = subprocess.run(
            argv, cwd=scratch, capture_output=True, text=True, timeout=300, check=False
        )
        assert result.returncode == 0, (line, result.stderr)


def test_python_blocks_run(scratch):
    if not (scratch / "case.mska").exists():
        test_command_blocks_run(scratch)
    cwd = os.getcwd()
    os.chdir(scratch)
    try:
        for doc, body in blocks("python"):
            exec(compile(body, doc, "exec"), {"__name__": "__readme__"})  # noqa: S102
    finally:
        os.chdir(cwd)
    assert (scratch / "new.mska").exists() and (scratch / "out" / "colon.nii.gz").exists()
