"""DICOM SEG export and import, checked by independent readers (highdicom, dciodvfy, nibabel).

Reference CT series are synthesised here with pydicom on the sample case's oblique grid (as
stored, rows flipped, and untidy) and on a small sagittal grid. Every comparison maps voxels
through world (LPS) coordinates, so a wrong affine shows up as wrong voxels.
pydicom-seg is not used: 0.4.1 needs numpy < 2 and imports pydicom._storage_sopclass_uids,
which pydicom 3 (required by highdicom) removed.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from cli_support import SAMPLE, assert_error, require_cli, run

hd = pytest.importorskip("highdicom")
pydicom = pytest.importorskip("pydicom")
nib = pytest.importorskip("nibabel")
from pydicom.dataset import FileMetaDataset  # noqa: E402
from pydicom.uid import ExplicitVRLittleEndian, generate_uid  # noqa: E402

require_cli()

LPS = np.diag([-1.0, -1.0, 1.0, 1.0])
# Two pairs of these overlap (gluteus_medius_right & femur_right, urinary_bladder & hip_left).
STRUCTURES = ["gluteus_medius_right", "femur_right", "urinary_bladder", "hip_left", "spleen"]
EXCLUSIVE = ["femur_left", "urinary_bladder", "spleen"]


def ok(*args: str | Path) -> subprocess.CompletedProcess[str]:
    result = run(*args)
    assert result.returncode == 0, result.stderr
    return result


def nifti(name: str) -> tuple[np.ndarray, np.ndarray]:
    """(zyx bool mask, LPS affine) as nibabel reads the sample file."""
    img = nib.load(SAMPLE / f"{name}.nii.gz")
    return np.asarray(img.dataobj).transpose(2, 1, 0) > 0, LPS @ img.affine


def to_grid(
    array_frc: np.ndarray,
    affine_frc: np.ndarray,
    affine_ijk: np.ndarray,
    shape_zyx: tuple[int, int, int],
) -> np.ndarray:
    """Places a (frame, row, column) array with its affine into the (z, y, x) grid of affine_ijk.

    Voxel centres must coincide (within 0.1 voxel) and every voxel must land inside the grid."""
    m = np.linalg.inv(affine_ijk) @ affine_frc
    assert np.allclose(m[:3, :3], np.round(m[:3, :3]), atol=1e-3), m
    assert np.allclose(m[:3, 3], np.round(m[:3, 3]), atol=0.1), m
    m = np.round(m)
    idx = np.indices(array_frc.shape).reshape(3, -1)
    ijk = (m[:3, :3] @ idx + m[:3, 3:4]).astype(np.int64)
    for axis, extent in zip(range(3), reversed(shape_zyx)):
        assert ijk[axis].min() >= 0 and ijk[axis].max() < extent
    out = np.zeros(shape_zyx, dtype=array_frc.dtype)
    out[ijk[2], ijk[1], ijk[0]] = array_frc.reshape(-1)
    return out


def write_series(
    folder: Path,
    ipp0,
    row_vec,
    col_vec,
    slice_vec,
    rows: int,
    cols: int,
    n: int,
    untidy: bool = False,
) -> list[str]:
    """A CT series: pixel (r, c) of image s is at ipp0 + c*row_vec + r*col_vec + s*slice_vec.

    untidy: SOP UIDs only in the file meta, optional attributes missing, file names in no
    particular order. Returns the SOP instance UIDs in slice order."""
    folder.mkdir(parents=True)
    study, series, frame = generate_uid(), generate_uid(), generate_uid()
    row_vec, col_vec, slice_vec = (np.asarray(v, float) for v in (row_vec, col_vec, slice_vec))
    iop = [*(row_vec / np.linalg.norm(row_vec)), *(col_vec / np.linalg.norm(col_vec))]
    uids = []
    for s in range(n):
        uid = generate_uid()
        uids.append(uid)
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
        meta.MediaStorageSOPInstanceUID = uid
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = pydicom.Dataset()
        ds.file_meta = meta
        if not untidy or s % 2:
            ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, uid
        ds.PatientName, ds.PatientID, ds.PatientSex = "Test^Patient", "P123", "O"
        ds.PatientBirthDate = "" if untidy else "19700101"
        ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.FrameOfReferenceUID = study, series, frame
        ds.StudyDate, ds.StudyTime, ds.StudyID, ds.AccessionNumber = "20260101", "120000", "1", "A1"
        ds.ReferringPhysicianName = ""
        ds.Modality, ds.SeriesNumber, ds.InstanceNumber = "CT", 1, s + 1
        ds.Manufacturer = "Synthetic"
        if not untidy:
            ds.SliceThickness = f"{np.linalg.norm(slice_vec):.6g}"
        ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
        ds.ImagePositionPatient = [f"{v:.6f}" for v in np.asarray(ipp0) + s * slice_vec]
        ds.ImageOrientationPatient = [f"{v:.8f}" for v in iop]
        ds.PixelSpacing = [f"{np.linalg.norm(col_vec):.8g}", f"{np.linalg.norm(row_vec):.8g}"]
        ds.Rows, ds.Columns = rows, cols
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
        ds.RescaleIntercept, ds.RescaleSlope = "0", "1"
        ds.PixelData = bytes(rows * cols)
        name = f"{(s * 7919) % 10007:05d}.dcm" if untidy else f"{s:04d}.dcm"
        ds.save_as(folder / name, enforce_file_format=True)
    return uids


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    """An archive of a few sample structures (two of them overlapping)."""
    root = tmp_path_factory.mktemp("dicom_seg")
    masks = root / "masks"
    masks.mkdir()
    for name in STRUCTURES:
        shutil.copy(SAMPLE / f"{name}.nii.gz", masks)
    ok("pack", masks, "-o", root / "case.mska", "-q")
    exclusive = root / "exclusive"
    exclusive.mkdir()
    for name in EXCLUSIVE:
        shutil.copy(SAMPLE / f"{name}.nii.gz", exclusive)
    ok("pack", exclusive, "-o", root / "exclusive.mska", "-q")
    return root


def sample_series(root: Path, kind: str) -> tuple[Path, list[str]]:
    """The sample grid as a CT series: 'plain', 'flipped' (rows run the other way) or 'untidy'."""
    folder = root / f"ct_{kind}"
    if folder.exists():
        return folder, []
    mask, affine = nifti(STRUCTURES[0])
    nz, ny, nx = mask.shape
    a_i, a_j, a_k, origin = affine[:3, 0], affine[:3, 1], affine[:3, 2], affine[:3, 3]
    if kind == "flipped":
        uids = write_series(folder, origin + (ny - 1) * a_j, a_i, -a_j, a_k, ny, nx, nz)
    else:
        uids = write_series(folder, origin, a_i, a_j, a_k, ny, nx, nz, untidy=kind == "untidy")
    return folder, uids


def assert_dciodvfy_clean(path: Path) -> None:
    if shutil.which("dciodvfy") is None:
        pytest.skip("dciodvfy (Debian dicom3tools) not installed")
    check = subprocess.run(["dciodvfy", str(path)], capture_output=True, text=True, timeout=60)
    errors = [line for line in (check.stdout + check.stderr).splitlines() if "Error" in line]
    assert errors == []


def check_segments(seg_path: Path, names: list[str], compare: list[str]) -> None:
    """The SEG holds names; highdicom reads each of compare as the voxels nibabel reads from the
    source file (a few only: highdicom's get_volume takes seconds per segment on this grid)."""
    seg = hd.seg.segread(seg_path)
    labels = {d.SegmentLabel: d.SegmentNumber for d in seg.SegmentSequence}
    assert sorted(labels) == sorted(names)
    names = compare
    numbers = [labels[name] for name in names]
    volume = seg.get_volume(segment_numbers=numbers, combine_segments=False)
    for channel, name in enumerate(names):
        expected, affine = nifti(name)
        got = to_grid(volume.array[..., channel] > 0, volume.affine, affine, expected.shape)
        assert np.array_equal(got, expected), name


def test_binary_standalone_read_by_highdicom_and_dciodvfy(sample: Path) -> None:
    out = sample / "binary.dcm"
    result = ok("export", sample / "case.mska", "--to", "dicom-seg", "--type", "binary", "-o", out)
    assert "standalone SEG" in result.stderr
    check_segments(out, STRUCTURES, ["femur_right", "gluteus_medius_right"])
    seg = pydicom.dcmread(out)
    assert seg.SegmentationType == "BINARY" and seg.SegmentsOverlap == "YES"
    femur = next(d for d in seg.SegmentSequence if d.SegmentLabel == "femur_right")
    # TotalSegmentator's published code for femur_right: SCT 71341001 Femur, modifier Right.
    assert femur.SegmentedPropertyTypeCodeSequence[0].CodeValue == "71341001"
    assert (
        femur.SegmentedPropertyTypeCodeSequence[0]
        .SegmentedPropertyTypeModifierCodeSequence[0]
        .CodeValue
        == "24028007"
    )
    assert_dciodvfy_clean(out)


def test_auto_overlap_binary_exclusive_labelmap(sample: Path) -> None:
    ok("export", sample / "case.mska", "--to", "dicom-seg", "-o", sample / "auto.dcm", "-q")
    assert pydicom.dcmread(sample / "auto.dcm").SegmentationType == "BINARY"
    out = sample / "labelmap.dcm"
    ok("export", sample / "exclusive.mska", "--to", "dicom-seg", "-o", out, "--rle", "-q")
    seg = pydicom.dcmread(out)
    assert seg.SOPClassUID == "1.2.840.10008.5.1.4.1.1.66.7"
    assert seg.SegmentationType == "LABELMAP"
    check_segments(out, EXCLUSIVE, ["urinary_bladder"])
    jls = sample / "labelmap_jpegls.dcm"
    ok("export", sample / "exclusive.mska", "--to", "dicom-seg", "-o", jls, "--jpeg-ls", "-q")
    assert pydicom.dcmread(jls).file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.4.80"
    check_segments(jls, EXCLUSIVE, ["femur_left"])


@pytest.mark.parametrize("kind", ["untidy", "flipped"])
def test_reference_series(sample: Path, kind: str) -> None:
    series, uids = sample_series(sample, kind)
    out = sample / f"ref_{kind}.dcm"
    result = ok(
        "export", sample / "exclusive.mska", "--to", "dicom-seg", "--reference", series, "-o", out
    )
    if kind == "untidy":
        assert "SOPClassUID taken from the file meta information" in result.stderr
    check_segments(out, EXCLUSIVE, ["urinary_bladder"])
    seg = pydicom.dcmread(out)
    source = pydicom.dcmread(next(series.iterdir()))
    for keyword in ("PatientName", "PatientID", "StudyInstanceUID", "FrameOfReferenceUID"):
        assert seg[keyword].value == source[keyword].value, keyword
    # Each frame references the image at its own position.
    position_of = {}
    for file in series.iterdir():
        ds = pydicom.dcmread(file, stop_before_pixels=True)
        position_of[ds.file_meta.MediaStorageSOPInstanceUID] = np.array(
            ds.ImagePositionPatient, float
        )
    for frame in seg.PerFrameFunctionalGroupsSequence:
        ref = frame.DerivationImageSequence[0].SourceImageSequence[0].ReferencedSOPInstanceUID
        ipp = np.array(frame.PlanePositionSequence[0].ImagePositionPatient, float)
        assert np.allclose(position_of[ref], ipp, atol=1e-4)
    # highdicom's source-image view of the same file agrees.
    assert hd.seg.segread(out).get_source_image_uids()


def test_reference_off_grid_names_a_file(sample: Path) -> None:
    mask, affine = nifti(STRUCTURES[0])
    nz, ny, nx = mask.shape
    a_i, a_j, a_k, origin = affine[:3, 0], affine[:3, 1], affine[:3, 2], affine[:3, 3]
    series = sample / "ct_shifted"
    write_series(series, origin + 0.5 * a_i, a_i, a_j, a_k, ny, nx, 3)
    result = run(
        "export",
        sample / "exclusive.mska",
        "--to",
        "dicom-seg",
        "--reference",
        series,
        "-o",
        sample / "shifted.dcm",
    )
    message = assert_error(result, "voxel centres")
    assert str(series) in message


def test_sagittal_series_other_axis_order(tmp_path: Path) -> None:
    """A mask grid whose axes are the series' columns, slices and rows, one of them reversed."""
    medmask = pytest.importorskip("medmask")
    # Series: sagittal images, rows along -z (head first), columns along y (posterior), slices
    # along x. The mask's i runs along the slices, j along the columns, k against the rows.
    rows, cols, n = 12, 10, 8
    ipp0 = np.array([-20.0, -30.0, 40.0])
    row_vec, col_vec, slice_vec = [0, 1.25, 0], [0, 0, -2.0], [1.5, 0, 0]
    series = tmp_path / "sagittal"
    write_series(series, ipp0, row_vec, col_vec, slice_vec, rows, cols, n)
    origin = ipp0 + (rows - 1) * np.array(col_vec)  # the mask's k runs up
    space = medmask.Space(
        shape=(n, cols, rows),
        origin=tuple(origin),
        spacing=(1.5, 1.25, 2.0),
        x_orientation=(1, 0, 0),
        y_orientation=(0, 1, 0),
        z_orientation=(0, 0, 1),
    )
    rng = np.random.default_rng(7)
    masks = {f"blob{i}": rng.random(space.shape_zyx) < 0.2 for i in range(3)}
    archive = tmp_path / "sag.mska"
    with medmask.MaskArchive(archive, "w", space=space) as a:
        for name, mask in masks.items():
            a.add(name, mask)
    out = tmp_path / "sag.dcm"
    ok(
        "export",
        archive,
        "--to",
        "dicom-seg",
        "--type",
        "binary",
        "--reference",
        series,
        "-o",
        out,
        "-q",
    )
    assert_dciodvfy_clean(out)  # with source image references
    seg = hd.seg.segread(out)
    affine = space.to_affine_lps()
    for d in seg.SegmentSequence:
        volume = seg.get_volume(segment_numbers=[d.SegmentNumber], combine_segments=False)
        got = to_grid(volume.array[..., 0] > 0, volume.affine, affine, space.shape_zyx)
        assert np.array_equal(got, masks[d.SegmentLabel]), d.SegmentLabel
    # And back: pack reads the SEG on the series' grid; compare through world coordinates.
    ok("pack", out, "-o", tmp_path / "back.mska", "-q")
    with medmask.open(tmp_path / "back.mska") as back:
        for name, mask in masks.items():
            got = to_grid(
                back[name].transpose(2, 1, 0), back.space.to_affine_lps(), affine, space.shape_zyx
            )
            assert np.array_equal(got, mask), name


@pytest.mark.parametrize("seg_type", ["BINARY", "LABELMAP"])
def test_import_highdicom_files(tmp_path: Path, seg_type: str) -> None:
    medmask = pytest.importorskip("medmask")
    rows, cols, n = 16, 12, 6
    ipp0, row_vec, col_vec, slice_vec = [10.0, 20.0, -5.0], [0.8, 0, 0], [0, 0.6, 0.6], [0, -1, 1]
    row_vec = np.array(row_vec)
    col_vec = np.array(col_vec) / np.linalg.norm(col_vec) * 0.9
    slice_vec = np.array(slice_vec) / np.linalg.norm(slice_vec) * 2.5
    series = tmp_path / "ct"
    write_series(series, ipp0, row_vec, col_vec, slice_vec, rows, cols, n)
    sources = [pydicom.dcmread(f) for f in sorted(series.iterdir())]
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 4, size=(n, rows, cols), dtype=np.uint8)
    tissue = hd.sr.CodedConcept("85756007", "SCT", "Tissue")
    descriptions = [
        hd.seg.SegmentDescription(
            segment_number=v,
            segment_label=f"part{v}",
            segmented_property_category=tissue,
            segmented_property_type=tissue,
            algorithm_type=hd.seg.SegmentAlgorithmTypeValues.MANUAL,
        )
        for v in (1, 2, 3)
    ]
    seg = hd.seg.Segmentation(
        source_images=sources,
        pixel_array=labels,
        segmentation_type=seg_type,
        segment_descriptions=descriptions,
        series_instance_uid=hd.UID(),
        series_number=2,
        sop_instance_uid=hd.UID(),
        instance_number=1,
        manufacturer="test",
        manufacturer_model_name="test",
        software_versions="1",
        device_serial_number="1",
    )
    seg.save_as(tmp_path / "hd.dcm")
    ok("pack", tmp_path / "hd.dcm", "-o", tmp_path / "hd.mska", "-q")
    affine_series = np.eye(4)
    affine_series[:3, 0], affine_series[:3, 1], affine_series[:3, 2] = slice_vec, col_vec, row_vec
    affine_series[:3, 3] = ipp0  # maps (frame, row, column)
    with medmask.open(tmp_path / "hd.mska") as back:
        for v in (1, 2, 3):
            got = back[f"part{v}"]
            expected = to_grid(labels == v, affine_series, back.space.to_affine_lps(), got.shape)
            assert np.array_equal(got, expected), v


def test_round_trip_keeps_names_colours_codes(sample: Path) -> None:
    medmask = pytest.importorskip("medmask")
    out = sample / "rt.dcm"
    ok("export", sample / "case.mska", "--to", "dicom-seg", "--type", "binary", "-o", out, "-q")
    ok("pack", out, "-o", sample / "rt.mska", "-q")
    ok("verify", sample / "rt.mska", "--against", sample / "masks")
    with medmask.open(sample / "case.mska") as a, medmask.open(sample / "rt.mska") as b:
        for name in STRUCTURES:
            assert np.array_equal(a[name], b[name]), name
            if a.structure(name).color is not None:
                assert b.structure(name).color == a.structure(name).color, name


def test_import_errors_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.dcm"
    ds = pydicom.Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.66.4"
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.Modality = "SEG"
    ds.SegmentationType = "BINARY"
    ds.save_as(bad, enforce_file_format=True)
    assert_error(run("pack", bad, "-o", tmp_path / "x.mska"), str(bad))


def test_python_functions(sample: Path, tmp_path: Path) -> None:
    medmask = pytest.importorskip("medmask")
    files, warnings = medmask.export_dicom_seg(sample / "exclusive.mska", tmp_path / "lm.dcm")
    assert files == [str(tmp_path / "lm.dcm")] and any("standalone" in w for w in warnings)
    assert medmask.import_dicom_seg(tmp_path / "lm.dcm", tmp_path / "back.mska") == []
    with medmask.open(sample / "exclusive.mska") as a, medmask.open(tmp_path / "back.mska") as b:
        for name in EXCLUSIVE:
            assert np.array_equal(a[name], b[name]), name
