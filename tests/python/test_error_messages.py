"""The wording of errors (issue 17, "weaker errors to mend"), as a Python user and a CLI user
read them: the structure and shapes named, a transposed array recognised, the output named rather
than its temporary file, no C++ spellings, and command-line flags only from the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

import medmask

from cli_support import assert_error, require_cli, run

require_cli()

AFFINE = np.diag([-1.0, -1.0, 1.0, 1.0])


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    path = tmp_path / "case.mska"
    with medmask.MaskArchive(path, "w", space=medmask.Space((6, 5, 4), (0, 0, 0), (1, 1, 1))) as a:
        a.add("liver", np.ones((4, 5, 6), bool))
    return path


def test_add_of_a_nibabel_image_names_the_structure_and_both_shapes(archive: Path) -> None:
    with medmask.MaskArchive(archive, "a") as a:
        # Made from a (z, y, x) array without transposing.
        image = nib.Nifti1Image(np.zeros((4, 5, 6), np.uint8), AFFINE)
        with pytest.raises(ValueError) as caught:
            a.add("spleen", image)
    message = str(caught.value)
    assert "add 'spleen'" in message, message
    assert "(4, 5, 6) differs from the archive's (6, 5, 4), reversed" in message, message
    assert "array.T" in message and "\n" not in message, message


def test_read_only_archive_speaks_python_not_cpp(archive: Path) -> None:
    with medmask.open(archive) as a:
        with pytest.raises(ValueError) as caught:
            a.add("spleen", np.ones((4, 5, 6), bool))
    assert "reading only" in str(caught.value) and "::" not in str(caught.value)


def test_archive_in_a_missing_folder_names_the_archive(tmp_path: Path) -> None:
    out = tmp_path / "missing" / "case.mska"
    space = medmask.Space((6, 5, 4), (0, 0, 0), (1, 1, 1))
    with pytest.raises(OSError) as caught:
        with medmask.MaskArchive(out, "w", space=space) as a:
            a.add("liver", np.ones((4, 5, 6), bool))
    message = str(caught.value)
    assert f"{out}: cannot write it: folder {out.parent} does not exist" in message, message
    assert ".tmp" not in message, message


def test_python_warnings_name_no_flag_and_the_cli_adds_it(archive: Path, tmp_path: Path) -> None:
    files, warnings = medmask.export_dicom_seg(archive, tmp_path / "seg.dcm")
    assert any("without a reference series" in w for w in warnings), warnings
    assert not any("--" in w for w in warnings), warnings
    result = run("export", archive, "--to", "dicom-seg", "-o", tmp_path / "cli.dcm")
    assert result.returncode == 0, result.stderr
    assert "without a reference series" in result.stderr and "--reference" in result.stderr


def test_cli_adds_flags_to_library_errors(tmp_path: Path) -> None:
    labels = np.zeros((4, 5, 6), np.uint8)
    labels[0, 0, :2] = (2, 7)
    nib.save(nib.Nifti1Image(labels.T.copy(), AFFINE), str(tmp_path / "ml.nii.gz"))
    table = tmp_path / "labels.json"
    table.write_text(json.dumps({"liver": 2}))
    assert_error(
        run("pack", tmp_path / "ml.nii.gz", "--labels", table, "-o", tmp_path / "a.mska"),
        "allow unnamed values",
        "--allow-unnamed",
    )
    np.save(tmp_path / "a.npy", labels)
    assert_error(
        run("pack", tmp_path / "a.npy", "-o", tmp_path / "b.mska"),
        "reference space",
        "--space-from",
    )


@pytest.fixture
def too_big_for_labelmap(tmp_path: Path) -> Path:
    """An archive with label value 70000: more than a LABELMAP SEG holds (<= 65535)."""
    space = medmask.Space((6, 5, 4), (0, 0, 0), (1, 1, 1))
    labels = np.zeros((4, 5, 6), np.uint32)
    labels[0, 0, 0] = 70000
    path = tmp_path / "big.mska"
    with medmask.MaskArchive(path, "w", space=space) as a:
        a.add_segmask(medmask.SegmentationMask(labels, {"liver": 70000}, space), "big")
    return path


def test_cli_adds_its_flag_to_a_labelmap_seg_that_cannot_hold_a_value(
    too_big_for_labelmap: Path, tmp_path: Path
) -> None:
    path = too_big_for_labelmap
    assert_error(
        run("export", path, "--to", "dicom-seg", "--type", "labelmap", "-o", tmp_path / "seg.dcm"),
        "write BINARY instead",
        "; --type binary",
    )


def test_python_errors_carry_the_remedy_by_its_pinned_name(
    too_big_for_labelmap: Path, tmp_path: Path
) -> None:
    path = too_big_for_labelmap
    with pytest.raises(ValueError, match="write BINARY") as caught:
        medmask.export_dicom_seg(path, tmp_path / "seg.dcm", type="labelmap")
    assert caught.value.remedy == "binary_segmentation"
    with medmask.open(path) as a, pytest.raises(KeyError) as unknown:
        a["spleen"]
    assert unknown.value.remedy is None


def test_transposed_numpy_array_in_pack_says_to_transpose(tmp_path: Path) -> None:
    reference = tmp_path / "ref.nii.gz"
    nib.save(nib.Nifti1Image(np.zeros((6, 5, 4), np.uint8), AFFINE), str(reference))
    np.save(tmp_path / "xyz.npy", np.zeros((6, 5, 4), np.uint8))  # nibabel's [i, j, k] order
    assert_error(
        run("pack", tmp_path / "xyz.npy", "--space-from", reference, "-o", tmp_path / "a.mska"),
        "xyz.npy",
        "(6, 5, 4) is the space's (x, y, z) shape",
        "expected (4, 5, 6)",
        "array.T",
    )


def test_folder_file_with_reversed_axes_names_both_shapes(tmp_path: Path) -> None:
    folder = tmp_path / "masks"
    folder.mkdir()
    nib.save(nib.Nifti1Image(np.zeros((6, 5, 4), np.uint8), AFFINE), str(folder / "a.nii.gz"))
    nib.save(nib.Nifti1Image(np.zeros((4, 5, 6), np.uint8), AFFINE), str(folder / "b.nii.gz"))
    assert_error(
        run("pack", folder, "-o", tmp_path / "a.mska"),
        "b.nii.gz: shape (x, y, z) 4 x 5 x 6",
        "a.nii.gz's 6 x 5 x 4, reversed",
        "array.T",
    )


def test_nifti_errors_cite_no_byte_offsets(tmp_path: Path) -> None:
    data = np.zeros((6, 5, 4), np.float32)
    data[1, 2, 3] = 0.5
    nib.save(nib.Nifti1Image(data, AFFINE), str(tmp_path / "half.nii.gz"))
    line = assert_error(
        run("pack", tmp_path / "half.nii.gz", "-o", tmp_path / "a.mska"),
        "half.nii.gz: not a label image: 1 non-integer values",
    )
    assert "at byte" not in line, line


def test_unknown_name_in_a_mask_offers_the_name_differing_in_case() -> None:
    space = medmask.Space((6, 5, 4), (0, 0, 0), (1, 1, 1))
    mask = medmask.SegmentationMask(np.zeros((4, 5, 6), np.uint8), {"liver": 1}, space=space)
    with pytest.raises(KeyError, match=r"unknown structure 'Liver' \(did you mean 'liver'\?\)"):
        mask.get_binary_mask_by_names("Liver")


def test_cli_file_system_errors_name_the_file_first(tmp_path: Path) -> None:
    line = assert_error(run("convert", "/dev/null", "-o", tmp_path / "x.mska"), "/dev/null: ")
    assert "filesystem error" not in line and "[" not in line, line
