"""One version: include/medmask/version.hpp is its only home (CMakeLists.txt and pyproject.toml
read MEDMASK_VERSION_STRING from it); the numbers beside it and everything built from it agree."""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

import medmask

REPO = Path(__file__).resolve().parents[2]


def header_define(name: str) -> str:
    header = (REPO / "include/medmask/version.hpp").read_text()
    return re.search(rf"^#define {name} (\S+)$", header, re.M).group(1)


def test_version_numbers_spell_the_version_string():
    numbers = [header_define(f"MEDMASK_VERSION_{part}") for part in ("MAJOR", "MINOR", "PATCH")]
    assert header_define("MEDMASK_VERSION_STRING") == '"' + ".".join(numbers) + '"'


def test_module_and_package_metadata_carry_the_header_version():
    version = header_define("MEDMASK_VERSION_STRING").strip('"')
    assert medmask.__version__ == version
    assert importlib.metadata.version("medmask") == version


def test_cmake_and_pyproject_read_the_header():
    cmake = (REPO / "CMakeLists.txt").read_text()
    assert "include/medmask/version.hpp" in cmake
    assert re.search(r"project\(medmask VERSION \$\{MEDMASK_VERSION\}", cmake)
    pyproject = (REPO / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in pyproject
    assert 'input = "include/medmask/version.hpp"' in pyproject
