"""The generated stubs (medmask/_core.pyi + py.typed) type-check user code with mypy."""

from __future__ import annotations

import pathlib
import textwrap

import pytest

import medmask

mypy_api = pytest.importorskip("mypy.api")

GOOD = """
    import numpy as np
    import numpy.typing as npt
    import medmask

    space: medmask.Space = medmask.Space((4, 3, 2), (0.0, 0.0, 0.0), (1.0, 1.0, 1.0))
    shape: tuple[int, int, int] = space.shape_zyx
    affine: npt.NDArray[np.float64] = space.to_affine_ras()
    mask = medmask.SegmentationMask(np.zeros(shape, np.uint8), {"a": 1}, space)
    mapping: dict[str, int] = mask.mapping
    binary: npt.NDArray[np.bool_] = mask.get_binary_mask_by_names(["a"])
    with medmask.open("case.mska") as archive:
        liver: npt.NDArray[np.bool_] = archive["liver"]
        names: list[str] = archive.names()
    error: type[ValueError] = medmask.FormatError
"""

BAD = """
    import medmask

    space = medmask.Space((4, 3, 2), (0.0, 0.0, 0.0), (1.0, 1.0, 1.0))
    text: str = space.voxel_volume_mm3
"""


def run_mypy(tmp_path: pathlib.Path, source: str) -> tuple[str, int]:
    snippet = tmp_path / "snippet.py"
    snippet.write_text(textwrap.dedent(source))
    stdout, stderr, status = mypy_api.run(
        [str(snippet), "--no-incremental", "--cache-dir", str(tmp_path / "cache"),
         "--disallow-untyped-calls", "--warn-unused-ignores"]
    )
    return stdout + stderr, status


def test_package_ships_stubs():
    package = pathlib.Path(medmask.__file__).parent
    assert (package / "py.typed").is_file()
    assert (package / "_core.pyi").is_file()


def test_correct_code_passes(tmp_path):
    output, status = run_mypy(tmp_path, GOOD)
    assert status == 0, output


def test_type_error_is_caught(tmp_path):
    output, status = run_mypy(tmp_path, BAD)
    assert status == 1, output
    assert 'Incompatible types in assignment (expression has type "float"' in output
