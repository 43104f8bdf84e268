"""Import and export through the `medmask` CLI: pack from other formats, export, convert.

Expected values come from nibabel, slicerio, pynrrd, numpy and tests/data/compat/expected.json,
never from medmask itself. The binary is $MEDMASK_CLI, else build/cli/medmask.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from cli_support import REPO, SAMPLE, assert_error, require_cli, run

GEOMETRY = REPO / "tests" / "data" / "geometry"
COMPAT = REPO / "tests" / "data" / "compat"

require_cli()

LPS = np.diag([-1.0, -1.0, 1.0, 1.0])  # RAS <-> LPS (its own inverse)
AFFINE_TOL = 1e-5


def ok(*args: str | Path) -> subprocess.CompletedProcess[str]:
    result = run(*args)
    assert result.returncode == 0, (args, result.stdout, result.stderr)
    return result


def info(archive: Path) -> dict:
    return json.loads(ok("info", archive, "--json").stdout)


def load(path: Path) -> nib.Nifti1Image:
    img = nib.load(str(path))
    assert isinstance(img, nib.Nifti1Image), path
    return img


def xyz(path: Path) -> np.ndarray:
    return np.asanyarray(load(path).dataobj)


def check_written_nifti(path: Path, expected_affine: np.ndarray, tol: float = AFFINE_TOL) -> None:
    """sform and qform both set (code 1), consistent, and equal to the expected affine."""
    img = load(path)
    header = img.header
    assert int(header["sform_code"]) == 1 and int(header["qform_code"]) == 1, path
    np.testing.assert_allclose(img.get_sform(), expected_affine, atol=tol, rtol=0)
    np.testing.assert_allclose(img.get_qform(), img.get_sform(), atol=1e-4, rtol=0)


def label_extensions(path: Path) -> tuple[dict[str, int], dict[str, int]]:
    """name -> value from the Caret XML (ecode 0) and from MedMask's JSON (ecode 6)."""
    caret: dict[str, int] = {}
    medmask: dict[str, int] = {}
    for ext in load(path).header.extensions:
        content = ext.get_content()
        text = (content if isinstance(content, bytes) else str(content).encode()).rstrip(b"\0")
        if ext.get_code() == 0 and b"CaretExtension" in text:
            for label in ET.fromstring(text).iter("Label"):
                caret[str(label.text)] = int(label.get("Key", "-1"))
        if ext.get_code() == 6 and text.startswith(b"{"):
            data = json.loads(text)
            assert data.get("medmask_labels") == 1
            medmask = {item["name"]: item["value"] for item in data["labels"]}
    return caret, medmask


# --- the sample case: NIfTI folder -> mska -> NIfTI ----------------------------------------------

# Voxel counts of the sample's files, measured with nibabel (tests/data/make_s0000_expected.py).
SAMPLE_COUNTS = {
    name.removesuffix(".nii.gz"): int(sum(n for v, n in f["value_counts"].items() if v != "0"))
    for name, f in json.loads((REPO / "tests/data/s0000_expected.json").read_text())[
        "files"
    ].items()
}
NON_EMPTY = sorted(name for name, count in SAMPLE_COUNTS.items() if count > 0)


@pytest.fixture(scope="module")
def sample_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    archive = tmp_path_factory.mktemp("sample") / "s0000.mska"
    ok("pack", SAMPLE, "-o", archive, "-q")
    return archive


def test_sample_nifti_dir_roundtrip(sample_archive: Path, tmp_path: Path) -> None:
    # Every non-empty structure and a few empty ones: writing and decompressing all 117 files
    # would take most of this test's time and add little.
    names = NON_EMPTY + ["liver", "brain", "rib_left_1"]
    assert len(NON_EMPTY) == 21
    out = tmp_path / "dir"
    ok("export", sample_archive, "--to", "nifti-dir", "-o", out, "-q", "--names", ",".join(names))
    assert sorted(p.name for p in out.glob("*.nii.gz")) == sorted(f"{n}.nii.gz" for n in names)
    first = load(sorted(SAMPLE.glob("*.nii.gz"))[0])
    for name in names:
        written, source = out / f"{name}.nii.gz", SAMPLE / f"{name}.nii.gz"
        assert np.array_equal(xyz(written), xyz(source)), name
        assert load(written).get_data_dtype() == np.uint8
        # Everything is stored on the first file's grid; the others lie within float32 rounding
        # of it (pack's tolerance), so they are compared with the grid they were stored on.
        check_written_nifti(written, first.affine)
        assert np.abs(load(written).affine - load(source).affine).max() < 0.06
    caret, medmask = label_extensions(out / "liver.nii.gz")
    assert caret == {"liver": 1} and medmask == {"liver": 1}
    sidecar = json.loads((out / "labels.json").read_text())
    assert [s["file"] for s in sidecar["structures"]] == [f"{n}.nii.gz" for n in names]


def test_sample_multilabel_overlap_is_an_error_and_split_keeps_it(
    sample_archive: Path, tmp_path: Path
) -> None:
    target = tmp_path / "ml.nii.gz"
    line = assert_error(
        run("export", sample_archive, "--to", "nifti-multilabel", "-o", target),
        str(target),
        "overlap",
        "--split-layers",
    )
    # The two structures the error names do overlap, by nibabel.
    a, b = line.split("structures '")[1].split("' and '")
    b = b.split("'")[0]
    overlap = np.count_nonzero(xyz(SAMPLE / f"{a}.nii.gz") & xyz(SAMPLE / f"{b}.nii.gz"))
    assert overlap > 0 and f"{overlap} voxels" in line
    assert not target.exists()

    ok("export", sample_archive, "--to", "nifti-multilabel", "-o", target, "--split-layers", "-q")
    layers = sorted(tmp_path.glob("ml_layer*.nii.gz"))
    assert len(layers) >= 2
    rebuilt: dict[str, np.ndarray] = {}
    counts: dict[str, int] = {}
    for layer in layers:
        sidecar = json.loads(layer.with_name(layer.name.replace(".nii.gz", ".json")).read_text())
        data = xyz(layer)
        assert data.dtype == np.uint8
        per_value = np.bincount(data.ravel(), minlength=256)
        for item in sidecar["labels"]:
            name, value = item["name"], item["value"]
            counts[name] = counts.get(name, 0) + int(per_value[value])
            if SAMPLE_COUNTS[name] > 0:
                rebuilt[name] = rebuilt.get(name, False) | (data == value)
        _, medmask = label_extensions(layer)
        assert medmask == {item["name"]: item["value"] for item in sidecar["labels"]}
    assert sorted(counts) == sorted(SAMPLE_COUNTS)
    assert all(counts[name] == 0 for name, n in SAMPLE_COUNTS.items() if n == 0)
    for name in NON_EMPTY:
        assert np.array_equal(rebuilt[name], xyz(SAMPLE / f"{name}.nii.gz").astype(bool)), name


# --- synthetic geometry: every signed axis permutation, oblique, qform-only ----------------------

GEOMETRY_FILES = sorted(GEOMETRY.glob("perm*.nii.gz")) + [
    GEOMETRY / name
    for name in (
        "oblique_sform_and_qform.nii.gz",
        "oblique_qform_only.nii.gz",
        "left_handed_oblique_sform.nii.gz",
        "left_handed_qfac_minus1.nii.gz",
    )
]


@pytest.mark.parametrize("source", GEOMETRY_FILES, ids=lambda p: p.name.split(".")[0])
def test_label_nifti_roundtrip_geometry(source: Path, tmp_path: Path) -> None:
    archive = tmp_path / "a.mska"
    out = tmp_path / "out.nii.gz"
    ok("pack", source, "-o", archive, "-q")
    ok("export", archive, "--to", "nifti-multilabel", "-o", out, "-q")
    original = load(source)
    assert np.array_equal(xyz(out), xyz(source))
    check_written_nifti(out, original.affine)
    values = {v for v in np.unique(xyz(source)) if v}
    sidecar = json.loads(out.with_name("out.json").read_text())
    assert {item["value"] for item in sidecar["labels"]} == values
    assert {item["name"] for item in sidecar["labels"]} == {f"label_{v}" for v in values}


def _synthetic(path: Path, affine_ras: np.ndarray, shape=(6, 5, 4), qform_only=False) -> Path:
    rng = np.random.default_rng(7)
    data = rng.integers(0, 4, size=shape).astype(np.uint8)
    img = nib.Nifti1Image(data, None)
    if qform_only:
        img.set_qform(affine_ras, code=1)
        img.set_sform(None, code=0)
    else:
        img.set_sform(affine_ras, code=2)
    nib.save(img, str(path))
    return path


@pytest.mark.parametrize("orientation", ["RAS", "LPS", "LAS", "PIR", "ILA", "SRP"], ids=lambda o: o)
@pytest.mark.parametrize("qform_only", [False, True], ids=["sform", "qform"])
def test_oriented_images_roundtrip(orientation: str, qform_only: bool, tmp_path: Path) -> None:
    """Images whose axes point along each orientation code keep voxels and affine."""
    ornt = nib.orientations.axcodes2ornt(tuple(orientation))
    rotation = np.zeros((3, 3))
    for axis, (world, sign) in enumerate(ornt):
        rotation[int(world), axis] = sign
    affine = np.eye(4)
    affine[:3, :3] = rotation @ np.diag([0.7, 1.3, 2.1])
    affine[:3, 3] = [12.5, -40.25, 3.0]
    source = _synthetic(tmp_path / "src.nii.gz", affine, qform_only=qform_only)
    assert "".join(nib.aff2axcodes(load(source).affine)) == orientation
    archive = tmp_path / "a.mska"
    out = tmp_path / "out.nii.gz"
    ok("pack", source, "-o", archive, "-q")
    ok("export", archive, "--to", "nifti-multilabel", "-o", out, "-q")
    assert np.array_equal(xyz(out), xyz(source))
    check_written_nifti(out, load(source).affine)
    space = info(archive)["space"]
    np.testing.assert_allclose(space["origin_lps"], (LPS @ affine)[:3, 3], atol=1e-5)


# --- geometry policy: sform and qform disagree ----------------------------------------------------


def test_sform_qform_disagreement_warns_and_flag_chooses(tmp_path: Path) -> None:
    source = GEOMETRY / "sform_qform_disagree.nii.gz"
    img = load(source)
    for choice, expected in (
        ("auto", img.get_sform()),
        ("sform", img.get_sform()),
        ("qform", img.get_qform()),
    ):
        archive = tmp_path / f"{choice}.mska"
        result = ok("pack", source, "-o", archive, "--nifti-affine", choice)
        warning = [line for line in result.stderr.splitlines() if "disagree" in line]
        assert len(warning) == 1, result.stderr
        assert "sform (RAS)" in warning[0] and "qform (RAS)" in warning[0]
        used = "qform" if choice == "qform" else "sform"
        assert f"using the {used}" in warning[0]
        space = info(archive)["space"]
        np.testing.assert_allclose(space["origin_lps"], (LPS @ expected)[:3, 3], atol=1e-4)


# --- TotalSegmentator --ml output and label table files -----------------------------------------


def _caret_xml(names: dict[int, str]) -> bytes:
    """The extension TotalSegmentator writes (totalsegmentator/nifti_ext_header.py)."""
    labels = "".join(
        f'<Label Key="{k}" Red="0.5" Green="0.25" Blue="1" Alpha="1"><![CDATA[{v}]]></Label>'
        for k, v in names.items()
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><CaretExtension><VolumeInformation>'
        f"<LabelTable>{labels}</LabelTable></VolumeInformation></CaretExtension>"
    ).encode()


def _label_map(path: Path, names: dict[int, str] | None = None) -> tuple[Path, np.ndarray]:
    data = np.zeros((8, 7, 6), dtype=np.uint8)
    data[1:4, 1:3, 1:5] = 1
    data[5:7, 2:6, 0:3] = 3
    data[0, 0, 0] = 7
    img = nib.Nifti1Image(data, np.diag([-1.5, 1.5, 2.0, 1.0]))
    if names is not None:
        img.header.extensions.append(nib.nifti1.Nifti1Extension(0, _caret_xml(names)))
    nib.save(img, str(path))
    return path, data


def test_totalsegmentator_extension_names(tmp_path: Path) -> None:
    names = {1: "spleen", 3: "liver", 7: "aorta", 9: "pancreas"}
    source, data = _label_map(tmp_path / "ml.nii.gz", names)
    archive = tmp_path / "a.mska"
    result = ok("pack", source, "-o", archive)
    assert "pancreas" in result.stderr and "no voxels" in result.stderr  # absent: kept, reported
    structures = {s["name"]: s for s in info(archive)["structures"]}
    assert {n: structures[n]["value"] for n in names.values()} == {v: k for k, v in names.items()}
    assert structures["pancreas"]["voxels"] == 0
    assert structures["liver"]["voxels"] == np.count_nonzero(data == 3)

    out = tmp_path / "out.nii.gz"
    ok("export", archive, "--to", "nifti-multilabel", "-o", out, "-q")
    assert np.array_equal(xyz(out), data)
    caret, medmask = label_extensions(out)
    assert caret == medmask == {v: k for k, v in names.items()}
    # Colours survive: TotalSegmentator's (0.5, 0.25, 1) -> (128, 64, 255).
    sidecar = json.loads((tmp_path / "out.json").read_text())
    assert {tuple(i["color"]) for i in sidecar["labels"]} == {(128, 64, 255)}


LABEL_FILES = {
    "names.json": '{"spleen": 1, "liver": 3, "aorta": 7}',
    "names.csv": "value,name\n1,spleen\n3,liver\n7,aorta\n",
    "names.txt": (
        '# ITK-SNAP Label Description File\n0 0 0 0 0 0 0 "Clear Label"\n'
        '1 255 0 0 1 1 1 "spleen"\n3 0 255 0 1 1 1 "liver"\n7 0 0 255 1 1 1 "aorta"\n'
    ),
    "names.ctbl": "# Color table file\n0 background 0 0 0 0\n1 spleen 255 0 0 255\n"
    "3 liver 0 255 0 255\n7 aorta 0 0 255 255\n",
}


@pytest.mark.parametrize("table_name", sorted(LABEL_FILES))
def test_labels_option_formats(table_name: str, tmp_path: Path) -> None:
    source, _ = _label_map(tmp_path / "ml.nii.gz")
    table = tmp_path / table_name
    table.write_text(LABEL_FILES[table_name])
    archive = tmp_path / "a.mska"
    ok("pack", source, "--labels", table, "-o", archive, "-q")
    got = {s["name"]: s["value"] for s in info(archive)["structures"]}
    assert got == {"spleen": 1, "liver": 3, "aorta": 7}


def test_labels_missing_a_present_value(tmp_path: Path) -> None:
    source, _ = _label_map(tmp_path / "ml.nii.gz")
    table = tmp_path / "names.json"
    table.write_text('{"spleen": 1, "liver": 3}')
    archive = tmp_path / "a.mska"
    assert_error(
        run("pack", source, "--labels", table, "-o", archive), str(source), "7", "--allow-unnamed"
    )
    assert not archive.exists()
    result = ok("pack", source, "--labels", table, "--allow-unnamed", "-o", archive)
    assert "label_<value>" in result.stderr
    got = {s["name"]: s["value"] for s in info(archive)["structures"]}
    assert got == {"spleen": 1, "liver": 3, "label_7": 7}


# --- Slicer .seg.nrrd ----------------------------------------------------------------------------


def test_seg_nrrd_roundtrip_with_slicerio(tmp_path: Path) -> None:
    slicerio = pytest.importorskip("slicerio")
    nrrd = pytest.importorskip("nrrd")
    shape = (9, 8, 7)  # (i, j, k), as slicerio and pynrrd index
    ijk_to_lps = np.array(
        [[0.0, -1.2, 0.0, 30.0], [0.9, 0.0, 0.0, -12.5], [0.0, 0.0, 2.5, 7.0], [0, 0, 0, 1]]
    )
    layers = np.zeros((2, *shape), dtype=np.uint8)
    layers[0, 1:5, 1:4, 1:3] = 3  # liver
    layers[0, 6:8, 5:7, 4:6] = 9  # kidney
    layers[1, 2:7, 2:6, 2:5] = 2  # tumour overlapping the liver
    segments: list[dict] = [
        {"id": "Segment_1", "name": "liver", "color": [0.8, 0.4, 0.2], "labelValue": 3},
        {"id": "Segment_2", "name": "kidney", "color": [0.2, 0.6, 0.9], "labelValue": 9},
        {"id": "Segment_3", "name": "tumour", "color": [1.0, 1.0, 0.0], "labelValue": 2},
    ]
    for segment, layer in zip(segments, (0, 0, 1)):
        segment["layer"] = layer
    source = tmp_path / "in.seg.nrrd"
    slicerio.write_segmentation(
        str(source), {"voxels": layers, "ijkToLPS": ijk_to_lps, "segments": segments}
    )
    archive = tmp_path / "a.mska"
    ok("pack", source, "-o", archive, "-q")
    out = tmp_path / "out.seg.nrrd"
    ok("export", archive, "--to", "seg.nrrd", "-o", out, "-q")

    back = slicerio.read_segmentation(str(out))
    got = {s["name"]: s for s in back["segments"]}
    assert sorted(got) == ["kidney", "liver", "tumour"]
    for segment in segments:
        g = got[segment["name"]]
        assert g["labelValue"] == segment["labelValue"], segment["name"]
        assert g["layer"] == segment["layer"], segment["name"]
        # MedMask keeps colours as 8-bit RGB.
        np.testing.assert_allclose(g["color"], segment["color"], atol=1 / 255)
        mask_in = layers[segment["layer"]] == segment["labelValue"]
        mask_out = back["voxels"][g["layer"]] == g["labelValue"]
        assert np.array_equal(mask_in, mask_out), segment["name"]
    np.testing.assert_allclose(back["ijkToLPS"], ijk_to_lps, atol=1e-9)

    _, header_in = nrrd.read(str(source))
    _, header_out = nrrd.read(str(out))
    assert header_out["space"] == "left-posterior-superior"
    np.testing.assert_allclose(header_out["space origin"], header_in["space origin"], atol=1e-9)
    np.testing.assert_allclose(
        header_out["space directions"][1:], header_in["space directions"][1:], atol=1e-9
    )
    assert list(header_out["sizes"]) == [2, *shape]


# --- NumPy ---------------------------------------------------------------------------------------


def test_npz_with_space_from_reference(tmp_path: Path) -> None:
    reference = SAMPLE / "liver.nii.gz"
    ref = load(reference)
    nx, ny, nz = ref.shape
    labels = np.zeros((nz, ny, nx), dtype=np.uint16)  # numpy (z, y, x)
    labels[50:60, 90:100, 100:120] = 2
    labels[70:75, 20:30, 10:15] = 300
    bladder = np.zeros((nz, ny, nx), dtype=bool)
    bladder[52:58, 95:99, 110:115] = True  # overlaps label 2
    source = tmp_path / "in.npz"
    np.savez_compressed(source, organs=labels, bladder=bladder)

    archive = tmp_path / "a.mska"
    assert_error(run("pack", source, "-o", archive), "--space-from")
    ok("pack", source, "--space-from", reference, "-o", archive, "-q")
    structures = {s["name"] for s in info(archive)["structures"]}
    assert structures == {"organs_2", "organs_300", "bladder"} or structures == {
        "label_2",
        "label_300",
        "bladder",
    }

    out = tmp_path / "dir"
    ok("export", archive, "--to", "nifti-dir", "-o", out, "-q")
    for path in out.glob("*.nii.gz"):
        check_written_nifti(path, ref.affine, tol=1e-4)
    assert np.array_equal(xyz(out / "bladder.nii.gz").transpose(2, 1, 0), bladder)

    exported = tmp_path / "out.npz"
    ok("export", archive, "--to", "npz", "-o", exported, "-q")
    with np.load(exported) as z:
        meta = json.loads(str(z["medmask"]))
        np.testing.assert_allclose(meta["space"]["affine_ras"], ref.affine, atol=1e-4)
        assert meta["space"]["shape_xyz"] == [nx, ny, nz]
        rebuilt = {}
        for item in meta["labels"]:
            rebuilt[item["name"]] = z[item["array"]] == item["value"]
    assert np.array_equal(rebuilt["bladder"], bladder)
    assert np.array_equal(
        rebuilt[sorted(n for n in rebuilt if n.endswith("_300"))[0]], labels == 300
    )
    # MedMask's own .npz carries its space: it packs again without geometry options.
    again = tmp_path / "again.mska"
    ok("pack", exported, "-o", again, "-q")
    assert info(again)["space"] == info(archive)["space"]


def test_npy_with_explicit_geometry(tmp_path: Path) -> None:
    data = np.zeros((4, 5, 6), dtype=np.uint8)  # (z, y, x)
    data[1:3, 2:4, 1:5] = 5
    source = tmp_path / "in.npy"
    np.save(source, data)
    archive = tmp_path / "a.mska"
    angle = np.deg2rad(30)
    direction = np.array(  # columns = x, y, z axis directions in LPS
        [[np.cos(angle), -np.sin(angle), 0], [np.sin(angle), np.cos(angle), 0], [0, 0, 1]]
    )
    ok(
        "pack",
        source,
        "-o",
        archive,
        "-q",
        "--origin",
        "10,-20,30",
        "--spacing",
        "0.5,0.75,2",
        "--direction",
        ",".join(str(v) for v in direction.T.ravel()),
    )
    out = tmp_path / "out.nii.gz"
    ok("export", archive, "--to", "nifti-multilabel", "-o", out, "-q")
    lps = np.eye(4)
    lps[:3, :3] = direction @ np.diag([0.5, 0.75, 2.0])
    lps[:3, 3] = [10, -20, 30]
    check_written_nifti(out, LPS @ lps)
    assert np.array_equal(xyz(out).transpose(2, 1, 0), data)


# --- original medmask 0.1.x --------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(p.name for p in COMPAT.glob("*.ms*")))
def test_convert_v1_bit_exact(name: str, tmp_path: Path) -> None:
    expected = json.loads((COMPAT / "expected.json").read_text())
    entries = expected["files"][name]
    if "dtype" in entries:  # a .msk: one mask, entry named after the file
        entries = {name.split(".")[0]: entries}
    converted = tmp_path / "new.mska"
    ok("convert", COMPAT / name, "-o", converted, "-q")
    exported = tmp_path / "out.npz"
    ok("export", converted, "--to", "npz", "-o", exported, "-q")
    with np.load(exported) as z:
        meta = json.loads(str(z["medmask"]))
        for entry, want in entries.items():
            array = z[entry]
            assert str(array.dtype) == want["dtype"], entry
            assert list(array.shape) == want["shape_zyx"], entry
            assert hashlib.sha256(array.tobytes()).hexdigest() == want["sha256"], entry
            got = {i["name"]: i["value"] for i in meta["labels"] if i["array"] == entry}
            assert got == want["mapping"], entry
    space = expected["space_xyz"]
    assert meta["space"]["shape_xyz"] == space["shape"]
    np.testing.assert_allclose(meta["space"]["origin_lps"], space["origin"], atol=1e-9)
    np.testing.assert_allclose(meta["space"]["spacing_mm"], space["spacing"], atol=1e-9)
    directions = np.array(meta["space"]["direction_lps"])
    for column, key in enumerate(("x_orientation", "y_orientation", "z_orientation")):
        np.testing.assert_allclose(directions[:, column], space[key], atol=1e-9)


def test_convert_refuses_other_files(tmp_path: Path) -> None:
    # A current archive is coded again (tests/python/test_round_trip.py); other files are refused.
    other = tmp_path / "notes.txt"
    other.write_text("not an archive")
    assert_error(run("convert", other, "-o", tmp_path / "x.mska"), str(other), "0.1.x")


# --- bad input -----------------------------------------------------------------------------------


def test_folder_with_a_different_shape(tmp_path: Path) -> None:
    affine = np.diag([-1.0, -1.0, 1.0, 1.0])
    nib.save(nib.Nifti1Image(np.zeros((4, 5, 6), np.uint8), affine), str(tmp_path / "a.nii.gz"))
    nib.save(nib.Nifti1Image(np.zeros((4, 5, 7), np.uint8), affine), str(tmp_path / "b.nii.gz"))
    assert_error(run("pack", tmp_path, "-o", tmp_path / "x.mska"), "b.nii.gz", "shape")


@pytest.mark.parametrize(
    "data, problem",
    [
        (np.full((3, 3, 3), 0.5, np.float32), "non-integer"),
        (np.full((3, 3, 3), -1, np.int16), "negative"),
        (np.zeros((3, 3, 3, 2), np.uint8), "4-D"),
    ],
    ids=["float", "negative", "4d"],
)
def test_bad_masks_name_the_problem(data: np.ndarray, problem: str, tmp_path: Path) -> None:
    source = tmp_path / "bad.nii.gz"
    nib.save(nib.Nifti1Image(data, np.eye(4)), str(source))
    line = assert_error(run("pack", source, "-o", tmp_path / "x.mska"), str(source))
    assert problem.lower() in line.lower(), line


def test_export_unknown_name_and_bad_paths(sample_archive: Path, tmp_path: Path) -> None:
    assert_error(
        run("export", sample_archive, "--to", "npz", "-o", tmp_path / "x.npz", "--names", "nope"),
        "nope",
    )
    assert_error(
        run("export", sample_archive, "--to", "nifti-multilabel", "-o", tmp_path / "x.nrrd"),
        ".nii.gz",
    )
