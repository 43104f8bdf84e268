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
        each: dict[str, npt.NDArray[np.bool_]] = archive.read_each()
        first: medmask.Structure = archive.structures[0]
        box: tuple[tuple[int, int, int], tuple[int, int, int]] | None = first.bbox
        color: tuple[int, int, int] | None = first.color
        files: list[str] = archive.to_nifti("out", names=["liver"])
        here: list[str] = archive.labels_at(1, 2, 3)
        part: npt.NDArray[np.bool_] = archive.get(["liver"], z_range=(0, 4))
    error: type[ValueError] = medmask.FormatError

    # medmask 0.1.x names
    old = medmask.Space(shape=(4, 3, 2), spacing=(1.0, 1.0, 2.5)).reverse_axis_order()
    nifti_affine: npt.NDArray[np.float64] = old.to_nifti_affine()
    lazy: medmask.SegmentationMask = medmask.SegmentationMask.lazy_init(8, space=old)
    lazy.add_label(np.ones(old.shape_zyx, bool), label=1, name="a")
    medmask.save_mask(lazy, "a.msk")
    loaded: medmask.SegmentationMask = medmask.SegmentationMask.load("a.msk")
    legacy = medmask.MaskArchive("old.mska", mode="w", space=old)
    legacy.add_segmask(loaded, "a")
    all_names: list[str] = legacy.all_names()
    masks: dict[str, medmask.SegmentationMask] = legacy.read_all_masks()
    mappings: dict[str, dict[str, int]] = legacy.read_all_mapping()
"""

BAD = """
    import medmask

    space = medmask.Space((4, 3, 2), (0.0, 0.0, 0.0), (1.0, 1.0, 1.0))
    text: str = space.voxel_volume_mm3
    with medmask.open("case.mska") as archive:
        voxels: str = archive.structures[0].voxels
"""


def run_mypy(tmp_path: pathlib.Path, source: str) -> tuple[str, int]:
    snippet = tmp_path / "snippet.py"
    snippet.write_text(textwrap.dedent(source))
    stdout, stderr, status = mypy_api.run(
        [
            str(snippet),
            "--no-incremental",
            "--cache-dir",
            str(tmp_path / "cache"),
            "--disallow-untyped-calls",
            "--warn-unused-ignores",
        ]
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
    assert 'Incompatible types in assignment (expression has type "int"' in output
