"""Export -> pack closes the circle (issue 17, item 5), and `convert` re-codes a current archive
(item 7).

For every export format that can carry a case, `medmask pack` of what `medmask export` wrote
gives back the same structures in the same order, the same groups, values, colours,
descriptions, coded concepts, voxels and geometry. Each archive is described through the CLI:
`info --json` (order, values, groups) and `export --to npz` (labels, voxels of every structure).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from cli_support import SAMPLE, assert_error, require_cli, run

require_cli()


def ok(*args: str | Path) -> subprocess.CompletedProcess[str]:
    result = run(*args)
    assert result.returncode == 0, (args, result.stdout, result.stderr)
    return result


def digest(mask: np.ndarray) -> tuple[int, str]:
    return int(mask.sum()), hashlib.sha256(np.packbits(mask).tobytes()).hexdigest()


def describe(archive: Path, scratch: Path) -> dict:
    """Everything a round trip must keep: order, values, labels, groups, voxels, geometry."""
    info = json.loads(ok("info", archive, "--json").stdout)
    npz = scratch / f"{archive.stem}.described.npz"
    ok("export", archive, "--to", "npz", "-o", npz, "-q")
    with np.load(npz) as z:
        meta = json.loads(str(z["medmask"]))
        # A digest per structure: 117 full masks of the sample case would take 1.2 GB.
        voxels = {
            item["name"]: digest(z[item["array"]] == item["value"]) for item in meta["labels"]
        }
    labels = {
        item["name"]: {k: v for k, v in item.items() if k not in ("array", "value")}
        for item in meta["labels"]
    }
    for group in meta["groups"]:
        labels[group["name"]] = {k: v for k, v in group.items() if k != "members"}
    return {
        "order": [s["name"] for s in info["structures"]],
        "values": {s["name"]: s["value"] for s in info["structures"]},
        "members": {s["name"]: s["members"] for s in info["structures"] if "members" in s},
        "labels": labels,
        "voxels": voxels,
        "space": info["space"],
    }


def assert_same_case(
    got: dict,
    want: dict,
    geometry_tol_mm: float = 0.0,
    without: tuple[str, ...] = (),
    same_values: bool = True,
) -> None:
    """without: label fields the format cannot carry. same_values=False where the files between
    number the structures their own way: a label map numbers the structures of a layer 1..N,
    where a layer per structure (the default layout) gives each the value 1."""
    assert got["order"] == want["order"]
    assert got["members"] == want["members"]
    if same_values:
        assert got["values"] == want["values"]
    for name in want["order"]:
        expected = {k: v for k, v in want["labels"][name].items() if k not in without}
        label = dict(got["labels"][name])
        if "generated_color" in without and "color" not in expected:
            label.pop("color", None)  # the format needs one: a generated colour is written
        assert label == expected, name
        if name not in want["members"]:
            assert got["voxels"][name] == want["voxels"][name], name
    space, expected = got["space"], want["space"]
    assert space["shape_xyz"] == expected["shape_xyz"]
    assert space["handedness"] == expected["handedness"]
    for key in ("spacing_mm", "origin_lps", "direction_columns"):
        np.testing.assert_allclose(
            space[key], expected[key], atol=geometry_tol_mm + 1e-12, rtol=0, err_msg=key
        )


# An oblique grid: NIfTI stores its affine in float32, so geometry comes back within rounding.
NIFTI_TOL_MM = 1e-4


def small_case_files(folder: Path, leave_out: tuple[str, ...] = ()) -> list[Path]:
    """A case with overlapping structures, an empty one, one without a known colour, and a
    group (`both_kidneys`, the union of the kidneys, given last but sorting before them)."""
    folder.mkdir()
    angle = np.deg2rad(10)
    affine = np.array(
        [
            [-0.8 * np.cos(angle), 0.8 * np.sin(angle), 0, 12.5],
            [-0.8 * np.sin(angle), -0.8 * np.cos(angle), 0, -30.25],
            [0, 0, 2.5, 101.0],
            [0, 0, 0, 1],
        ]
    )
    shape = (14, 12, 9)

    def box(x0, x1, y0, y1, z0, z1):
        a = np.zeros(shape, np.uint8)
        a[x0:x1, y0:y1, z0:z1] = 1
        return a

    masks = {
        "liver": box(1, 8, 1, 7, 1, 6),
        "spleen": box(6, 12, 2, 9, 2, 7),  # overlaps the liver
        "kidney_left": box(2, 5, 8, 11, 3, 8),
        "kidney_right": box(9, 13, 8, 11, 0, 4),
        "lesion_1": box(3, 5, 3, 5, 2, 4),  # inside the liver, a name without a known colour
        "brain": np.zeros(shape, np.uint8),  # empty
    }
    masks["both_kidneys"] = masks["kidney_left"] | masks["kidney_right"]
    files = []
    for name, data in masks.items():
        if name in leave_out:
            continue
        files.append(folder / f"{name}.nii.gz")
        nib.save(nib.Nifti1Image(data, affine), str(files[-1]))
    return files


@pytest.fixture(scope="module")
def small_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("small")
    archive = base / "small.mska"
    ok("pack", *small_case_files(base / "masks"), "-o", archive, "-q")
    return archive


@pytest.fixture(scope="module")
def sample_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    archive = tmp_path_factory.mktemp("sample") / "s0000.mska"
    ok("pack", SAMPLE, "-o", archive, "-q")
    return archive


def test_small_case_is_what_the_round_trips_need(small_archive: Path, tmp_path: Path) -> None:
    case = describe(small_archive, tmp_path)
    assert case["members"] == {"both_kidneys": ["kidney_left", "kidney_right"]}
    # Structures overlap: in shared layers they need a second layer.
    shared = tmp_path / "shared.mska"
    masks = tmp_path / "masks"
    ok("pack", *small_case_files(masks), "-o", shared, "--shared-layers", "-q")
    assert len(json.loads(ok("info", shared, "--json").stdout)["entries"]) == 2
    assert "color" in case["labels"]["liver"] and case["voxels"]["brain"][0] == 0


CASES = ["small", "sample"]


def archive_of(request: pytest.FixtureRequest, case: str) -> Path:
    return request.getfixturevalue(f"{case}_archive")


@pytest.mark.parametrize("case", CASES)
def test_nifti_dir_round_trip(case: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    archive = archive_of(request, case)
    ok("export", archive, "--to", "nifti-dir", "-o", tmp_path / "dir", "-q")
    ok("pack", tmp_path / "dir", "-o", tmp_path / "back.mska", "-q")
    assert_same_case(
        describe(tmp_path / "back.mska", tmp_path), describe(archive, tmp_path), NIFTI_TOL_MM
    )


def test_nifti_dir_group_file_edited_is_refused(small_archive: Path, tmp_path: Path) -> None:
    folder = tmp_path / "dir"
    ok("export", small_archive, "--to", "nifti-dir", "-o", folder, "-q")
    group = folder / "both_kidneys.nii.gz"
    img = nib.load(str(group))
    data = np.asanyarray(img.dataobj).copy()
    data[0, 0, 0] = 1  # a voxel neither kidney holds
    nib.save(nib.Nifti1Image(data, img.affine, img.header), str(group))
    assert_error(
        run("pack", folder, "-o", tmp_path / "back.mska"), "both_kidneys.nii.gz", "members"
    )


@pytest.mark.parametrize("case", CASES)
def test_nifti_multilabel_round_trip(
    case: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    archive = archive_of(request, case)
    out = tmp_path / "ml" / "case.nii.gz"
    out.parent.mkdir()
    ok("export", archive, "--to", "nifti-multilabel", "--split-layers", "-o", out, "-q")
    files = sorted(out.parent.glob("case_layer*.nii.gz"))
    assert len(files) >= 2  # both cases overlap
    ok("pack", *files, "-o", tmp_path / "back.mska", "-q")
    assert_same_case(
        describe(tmp_path / "back.mska", tmp_path),
        describe(archive, tmp_path),
        NIFTI_TOL_MM,
        same_values=False,
    )


def test_nifti_multilabel_single_file_round_trip(tmp_path: Path) -> None:
    # Without the liver and spleen nothing overlaps: one label map, the group a definition.
    selected = tmp_path / "selected.mska"
    ok("pack", *small_case_files(tmp_path / "masks", ("liver", "spleen")), "-o", selected, "-q")
    out = tmp_path / "case.nii.gz"
    ok("export", selected, "--to", "nifti-multilabel", "-o", out, "-q")
    ok("pack", out, "-o", tmp_path / "back.mska", "-q")
    assert_same_case(
        describe(tmp_path / "back.mska", tmp_path),
        describe(selected, tmp_path),
        NIFTI_TOL_MM,
        same_values=False,
    )


@pytest.mark.parametrize("case", CASES)
def test_seg_nrrd_round_trip(case: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    archive = archive_of(request, case)
    ok("export", archive, "--to", "seg.nrrd", "-o", tmp_path / "case.seg.nrrd", "-q")
    ok("pack", tmp_path / "case.seg.nrrd", "-o", tmp_path / "back.mska", "-q")
    # Slicer's segment fields hold no coded concept (its terminology tags are not written), and
    # every segment has a colour (generated where the archive has none).
    assert_same_case(
        describe(tmp_path / "back.mska", tmp_path),
        describe(archive, tmp_path),
        1e-9,
        without=("concept", "generated_color"),
        same_values=False,
    )


@pytest.mark.parametrize("case", CASES)
def test_npz_round_trip(case: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    archive = archive_of(request, case)
    ok("export", archive, "--to", "npz", "-o", tmp_path / "case.npz", "-q")
    ok("pack", tmp_path / "case.npz", "-o", tmp_path / "back.mska", "-q")
    assert_same_case(describe(tmp_path / "back.mska", tmp_path), describe(archive, tmp_path), 1e-9)


def test_dicom_seg_round_trip(small_archive: Path, tmp_path: Path) -> None:
    """DICOM SEG has no attribute for a union of segments: MedMask writes a group's members in
    a private element of its segment item and makes it a group again on import; values and
    order are the SEG's segment numbers (docs/IMPORT_EXPORT.md, "Export, then pack")."""
    ok("export", small_archive, "--to", "dicom-seg", "-o", tmp_path / "seg.dcm", "-q")
    ok("pack", tmp_path / "seg.dcm", "-o", tmp_path / "back.mska", "-q")
    got, want = describe(tmp_path / "back.mska", tmp_path), describe(small_archive, tmp_path)
    assert got["members"] == want["members"] == {"both_kidneys": ["kidney_left", "kidney_right"]}
    assert sorted(got["order"]) == sorted(want["order"])
    assert got["voxels"] == want["voxels"]
    # Names, colours, descriptions and concepts; a structure without a concept was written with
    # the SEG's required type SCT 85756007 "Tissue", which comes back as its concept.
    tissue = {"scheme": "SCT", "code": "85756007", "meaning": "Tissue"}
    for label in want["labels"].values():
        label.setdefault("concept", tissue)
    assert got["labels"] == want["labels"]
    # Values are the SEG's segment numbers, 1..N in the order written (the export's first-fit
    # layers one after another); the group's number is not used.
    values = [got["values"][name] for name in got["order"] if name not in got["members"]]
    assert values == sorted(values) and len(set(values)) == len(values)
    assert set(values) < set(range(1, len(got["order"]) + 1))
    space, expected = got["space"], want["space"]
    assert space["shape_xyz"] == expected["shape_xyz"]
    for key in ("spacing_mm", "origin_lps", "direction_columns"):
        np.testing.assert_allclose(space[key], expected[key], atol=1e-6, rtol=0, err_msg=key)


def test_dicom_seg_group_whose_voxels_are_not_its_members_union_stays_a_structure(
    small_archive: Path, tmp_path: Path
) -> None:
    pydicom = pytest.importorskip("pydicom")
    ok("export", small_archive, "--to", "dicom-seg", "-o", tmp_path / "seg.dcm", "-q")
    seg = pydicom.dcmread(tmp_path / "seg.dcm")
    (group,) = [item for item in seg.SegmentSequence if (0x0071, 0x1001) in item]
    assert group.SegmentLabel == "both_kidneys"
    group[0x0071, 0x1001].value = '["kidney_left"]'  # no longer the union of its members
    seg.save_as(tmp_path / "edited.dcm")
    result = ok("pack", tmp_path / "edited.dcm", "-o", tmp_path / "back.mska")
    assert "segment 'both_kidneys' names group members but its voxels are not their union" in (
        result.stderr
    )
    info = json.loads(ok("info", tmp_path / "back.mska", "--json").stdout)
    (kidneys,) = [s for s in info["structures"] if s["name"] == "both_kidneys"]
    assert "members" not in kidneys and kidneys["voxels"] == 93


# --- item 7: `convert` codes a current archive again -------------------------------------------


@pytest.mark.parametrize("case", CASES)
def test_convert_recodes_a_current_archive(
    case: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    archive = archive_of(request, case)
    out = tmp_path / "max.mska"
    ok("convert", archive, "-o", out, "--level", "max", "-q")
    info = json.loads(ok("info", out, "--json").stdout)
    assert {e["level"] for e in info["entry_details"]} == {"max"}
    before = json.loads(ok("info", archive, "--json").stdout)
    assert info["entries"] == before["entries"]
    assert info["structures"] == before["structures"]  # parts, values, groups, boxes
    assert_same_case(describe(out, tmp_path), describe(archive, tmp_path))
    if case == "sample":
        assert out.stat().st_size < archive.stat().st_size
    # In place, back to fast.
    copy = tmp_path / "copy.mska"
    copy.write_bytes(archive.read_bytes())
    ok("convert", copy, "-o", copy, "--level", "fast", "-q")
    info = json.loads(ok("info", copy, "--json").stdout)
    assert {e["level"] for e in info["entry_details"]} == {"fast"}
    assert_same_case(describe(copy, tmp_path), describe(archive, tmp_path))
    assert not list(tmp_path.glob("*.tmp*"))  # the library's temporaries


def test_convert_refuses_other_files(tmp_path: Path) -> None:
    other = tmp_path / "liver.nii.gz"
    nib.save(nib.Nifti1Image(np.zeros((2, 2, 2), np.uint8), np.eye(4)), str(other))
    assert_error(run("convert", other, "-o", tmp_path / "x.mska"), str(other), "0.1.x")
    assert not (tmp_path / "x.mska").exists()


# --- weaker errors: an output in a missing folder is named, not its temporary file ------------


@pytest.mark.parametrize("command", ["pack", "convert", "export"])
def test_output_in_a_missing_folder_names_the_output(
    command: str, small_archive: Path, tmp_path: Path
) -> None:
    out = tmp_path / "missing" / ("case.npz" if command == "export" else "case.mska")
    args = {
        "pack": ("pack", SAMPLE / "liver.nii.gz", "-o", out),
        "convert": ("convert", small_archive, "-o", out),
        "export": ("export", small_archive, "--to", "npz", "-o", out),
    }[command]
    line = assert_error(run(*args), str(out), "does not exist")
    assert ".tmp" not in line
