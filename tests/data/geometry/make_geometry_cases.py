#!/usr/bin/env python3
"""Writes the NIfTI geometry cases (tests/data/geometry) and must-fail files (tests/data/errors/nifti).

Expected values come from nibabel reading back each written file, never from MedMask:
per case, nibabel's chosen affine, world coordinates of the 8 corner voxels and the centre
(converted to LPS: x and y negated), the label dtype (smallest unsigned type holding the maximum)
and the voxels in numpy (z, y, x) C order.

Usage (from the repository root): python3 tests/data/geometry/make_geometry_cases.py
Deterministic: fixed seed, gzip mtime 0.
"""
import gzip
import hashlib
import itertools
import json
import os
import struct

import nibabel as nib
import numpy as np

ROOT = os.path.dirname(os.path.abspath(__file__))
ERRORS = os.path.join(ROOT, "..", "errors", "nifti")
SHAPE = (3, 4, 5)  # (i, j, k) = (x, y, z)
rng = np.random.default_rng(20240611)


def labels(shape=SHAPE, dtype=np.uint8, scale=1):
    """Distinct values 0..n-1 (times scale) in a random order."""
    n = int(np.prod(shape))
    return (rng.permutation(n).reshape(shape) * scale).astype(dtype)


def rotation(axis, degrees):
    axis = np.asarray(axis, float) / np.linalg.norm(axis)
    t = np.radians(degrees)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + np.sin(t) * k + (1 - np.cos(t)) * k @ k


def affine(rot, spacing, origin):
    out = np.eye(4)
    out[:3, :3] = np.asarray(rot) @ np.diag(spacing)
    out[:3, 3] = origin
    return out


def nifti_bytes(data, sform=None, sform_code=0, qform=None, qform_code=0, endianness="<",
                extensions=()):
    hdr = nib.Nifti1Header(endianness=endianness)
    hdr.set_data_shape(data.shape)
    hdr.set_data_dtype(data.dtype)
    hdr.set_sform(sform if sform is not None else np.eye(4), code=sform_code)
    hdr.set_qform(qform if qform is not None else np.eye(4), code=qform_code)
    for code, payload in extensions:
        hdr.extensions.append(nib.nifti1.Nifti1Extension(code, payload))
    # affine None: nibabel keeps the header's sform/qform exactly as set above.
    return bytearray(nib.Nifti1Image(data, None, header=hdr).to_bytes())


def patch(raw, offset, fmt, *values):
    struct.pack_into(fmt, raw, offset, *values)
    return raw


def save(directory, name, raw):
    path = os.path.join(directory, name)
    with open(path, "wb") as f:
        f.write(gzip.compress(bytes(raw), mtime=0) if name.endswith(".gz") else bytes(raw))
    return path


def label_dtype(maximum):
    return "uint8" if maximum <= 0xFF else "uint16" if maximum <= 0xFFFF else "uint32"


def expected_for(path):
    img = nib.load(path)
    hdr = img.header
    arr = np.asarray(img.dataobj)
    if arr.ndim == 4:
        arr = arr[..., 0]
    assert np.all(arr == np.round(arr)) and arr.min() >= 0
    dtype = label_dtype(int(arr.max()))
    zyx = np.ascontiguousarray(arr.transpose(2, 1, 0)).astype(dtype)
    values = [int(v) for v in zyx.ravel()]
    aff = img.affine
    nx, ny, nz = arr.shape
    corners = []
    for k, j, i in itertools.product((0, nz - 1), (0, ny - 1), (0, nx - 1)):
        corners.append([i, j, k])
    corners.append([(nx - 1) / 2, (ny - 1) / 2, (nz - 1) / 2])
    world = []
    for ijk in corners:
        ras = aff @ np.array([*ijk, 1.0])
        world.append([-ras[0], -ras[1], ras[2]])
    sform_code = int(hdr["sform_code"])
    qform_code = int(hdr["qform_code"])
    used = "sform" if sform_code else "qform" if qform_code else "fallback"
    checksum = sum(v * (n + 1) for n, v in enumerate(values)) % (1 << 61)
    return {
        "shape_xyz": [nx, ny, nz],
        "dtype": dtype,
        "affine_used": used,
        "sform_code": sform_code,
        "qform_code": qform_code,
        "affine_ras": aff.tolist(),
        "voxels_ijk": corners,
        "lps": world,
        "voxels_zyx": values,
        "checksum": checksum,
        "sha256_zyx": hashlib.sha256(zyx.astype(zyx.dtype.newbyteorder("<")).tobytes()).hexdigest(),
    }


def main():
    cases = {}  # name -> (raw bytes, what it exercises)

    # 48 signed permutations (every axis order and flip, both handednesses), once as sform
    # (qform unset) and once as qform only, over a few spacings and origins.
    spacings = [(1.0, 1.0, 1.0), (0.5, 0.75, 2.0), (2.5, 1.25, 0.8)]
    origins = [(0.0, 0.0, 0.0), (-120.5, 33.25, 7.75)]
    index = 0
    for perm in itertools.permutations(range(3)):
        for signs in itertools.product((1, -1), repeat=3):
            rot = np.zeros((3, 3))
            for col, row in enumerate(perm):
                rot[row, col] = signs[col]
            a = affine(rot, spacings[index % 3], origins[index % 2])
            decoy = affine(np.eye(3), (9, 9, 9), (50, 50, 50))  # must be ignored (code 0)
            cases[f"perm{index:02d}_sform.nii.gz"] = (
                nifti_bytes(labels(), sform=a, sform_code=1, qform=decoy, qform_code=0),
                f"signed permutation {perm} signs {signs} (det {int(round(np.linalg.det(rot)))}), sform only")
            cases[f"perm{index:02d}_qform.nii.gz"] = (
                nifti_bytes(labels(), sform=decoy, sform_code=0, qform=a, qform_code=1),
                f"signed permutation {perm} signs {signs}, qform only (quaternion, qfac = det)")
            index += 1

    oblique = affine(rotation((0.3, -0.5, 0.8), 37.0), (0.7, 0.8, 2.5), (-90.25, 112.5, -40.0))
    left = affine(rotation((1, 2, 3), 123.0) @ np.diag([1, 1, -1]), (1.5, 0.9, 3.0),
                  (10.0, -20.0, 30.0))
    near_180 = affine(rotation((0.2, 1.0, -0.4), 179.5), (1.0, 2.0, 1.5), (5.0, 6.0, 7.0))
    cases["oblique_sform_and_qform.nii.gz"] = (
        nifti_bytes(labels(), sform=oblique, sform_code=1, qform=oblique, qform_code=1),
        "oblique (37 deg about a skew axis), sform and qform agree")
    cases["oblique_qform_only.nii.gz"] = (
        nifti_bytes(labels(), qform=oblique, qform_code=1),
        "oblique, qform only")
    cases["left_handed_oblique_sform.nii.gz"] = (
        nifti_bytes(labels(), sform=left, sform_code=2),
        "left-handed oblique grid, sform only (code 2, aligned)")
    cases["left_handed_qfac_minus1.nii.gz"] = (
        nifti_bytes(labels(), qform=left, qform_code=1),
        "left-handed oblique grid, qform only: pixdim[0] = qfac = -1")
    cases["near_180_deg_qform.nii.gz"] = (
        nifti_bytes(labels(), qform=near_180, qform_code=1),
        "qform of a rotation near 180 deg (quaternion a close to 0)")
    cases["neither_fallback.nii.gz"] = (
        patch(nifti_bytes(labels(), sform=oblique, sform_code=0, qform=oblique, qform_code=0),
              76, "<4f", 1.0, 1.5, 2.0, 3.0),
        "sform_code = qform_code = 0: nibabel's fallback (x flipped, origin at the centre)")
    disagree_q = oblique.copy()
    disagree_q[:3, 3] += (5.0, 0.0, 0.0)
    cases["sform_qform_disagree.nii.gz"] = (
        nifti_bytes(labels(), sform=oblique, sform_code=1, qform=disagree_q, qform_code=1),
        "sform and qform both coded but 5 mm apart: sform wins, a warning is expected")
    cases["qfac_zero_qform.nii.gz"] = (
        patch(nifti_bytes(labels(), qform=oblique, qform_code=1), 76, "<f", 0.0),
        "pixdim[0] = 0 (invalid qfac): nibabel takes +1")
    cases["invalid_sform_code_7.nii.gz"] = (
        patch(nifti_bytes(labels(), sform=oblique, sform_code=1, qform=left, qform_code=1),
              254, "<h", 7),
        "sform_code 7 is invalid: nibabel treats it as 0 and takes the qform")
    cases["float32_integers.nii.gz"] = (
        nifti_bytes(labels(dtype=np.float32), sform=oblique, sform_code=1),
        "float32 voxels holding integer values")
    cases["float64_integers.nii"] = (
        nifti_bytes(labels(dtype=np.float64), sform=left, sform_code=1),
        "float64 voxels holding integers, uncompressed .nii")
    cases["int16.nii.gz"] = (
        nifti_bytes(labels(dtype=np.int16), sform=oblique, sform_code=1),
        "int16 voxels")
    cases["int16_big_endian.nii.gz"] = (
        nifti_bytes(labels(dtype=np.dtype(">i2"), scale=500), sform=oblique, sform_code=1,
                    qform=oblique, qform_code=1, endianness=">"),
        "big-endian header and int16 data, labels up to 29500 (uint16 result)")
    cases["uint32_large_labels.nii.gz"] = (
        nifti_bytes(labels(dtype=np.uint32, scale=100000), sform=left, sform_code=1),
        "uint32 voxels up to 5,900,000 (uint32 result)")
    cases["int64.nii.gz"] = (
        nifti_bytes(labels(dtype=np.int64), qform=oblique, qform_code=1),
        "int64 voxels")
    cases["uint16_small_values.nii.gz"] = (
        nifti_bytes(labels(dtype=np.uint16), sform=oblique, sform_code=1),
        "uint16 voxels whose maximum fits uint8 (uint8 result)")
    cases["four_d_singleton.nii.gz"] = (
        nifti_bytes(labels(shape=SHAPE + (1,)), sform=oblique, sform_code=1),
        "4-D image with dim[4] = 1")
    cases["scl_slope_2.nii.gz"] = (
        patch(nifti_bytes(labels(), sform=oblique, sform_code=1), 112, "<2f", 2.0, 1.0),
        "uint8 data with scl_slope = 2, scl_inter = 1 (values 2x+1)")
    cases["binary_mask.nii.gz"] = (
        nifti_bytes((labels() % 2).astype(np.uint8), sform=oblique, sform_code=1),
        "a 0/1 mask")
    cases["with_extension.nii.gz"] = (
        nifti_bytes(labels(), sform=oblique, sform_code=1,
                    extensions=[(6, b"MedMask test comment"), (0, b"<xml/>")]),
        "two extensions (ecode 6 comment, ecode 0)")

    expected = {}
    provenance = []
    for name, (raw, what) in cases.items():
        path = save(ROOT, name, raw)
        entry = expected_for(path)
        entry["exercises"] = what
        expected[name] = entry
        provenance.append((name, what, hashlib.sha256(open(path, "rb").read()).hexdigest()))

    # Sanity checks that each special case is what it claims to be (in nibabel's eyes).
    assert expected["sform_qform_disagree.nii.gz"]["affine_used"] == "sform"
    assert expected["neither_fallback.nii.gz"]["affine_used"] == "fallback"
    assert expected["invalid_sform_code_7.nii.gz"]["affine_used"] == "qform"
    assert nib.load(os.path.join(ROOT, "left_handed_qfac_minus1.nii.gz")).header["pixdim"][0] == -1
    assert expected["int16_big_endian.nii.gz"]["dtype"] == "uint16"
    assert expected["uint32_large_labels.nii.gz"]["dtype"] == "uint32"
    assert expected["uint16_small_values.nii.gz"]["dtype"] == "uint8"

    with open(os.path.join(ROOT, "expected.json"), "w") as f:
        # One line per case keeps the file small and its diffs readable.
        f.write('{"generator": "tests/data/geometry/make_geometry_cases.py",\n')
        f.write(f' "nibabel": "{nib.__version__}", "numpy": "{np.__version__}",\n')
        f.write(' "cases": {\n')
        f.write(",\n".join(f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in expected.items()))
        f.write("\n }\n}\n")

    errors = make_error_files(oblique)
    write_provenance(provenance, errors)


def make_error_files(oblique):
    os.makedirs(ERRORS, exist_ok=True)
    good = nifti_bytes(labels(), sform=oblique, sform_code=1)
    n = len(good)
    four_d = nifti_bytes(labels(shape=SHAPE + (3,)), sform=oblique, sform_code=1)
    non_integer = nifti_bytes(labels(dtype=np.float32) + np.float32(0.5), sform=oblique, sform_code=1)
    negative = nifti_bytes(labels(dtype=np.int16) - 3, sform=oblique, sform_code=1)
    nan = nifti_bytes(labels(dtype=np.float32), sform=oblique, sform_code=1)
    struct.pack_into("<f", nan, 352 + 4 * 7, float("nan"))
    huge = nifti_bytes(labels(dtype=np.int64), sform=oblique, sform_code=1)
    struct.pack_into("<q", huge, 352 + 8 * 11, 1 << 33)
    sheared = oblique.copy()
    sheared[0, 1] += 0.3
    gz = bytearray(gzip.compress(bytes(good), mtime=0))
    gz[len(gz) // 2] ^= 0xFF
    errors = {
        "truncated_header.nii.gz": (good[:200], "FormatError", "header cut at 200 of 348 bytes"),
        "truncated_data.nii.gz": (good[: n - 10], "FormatError", "last 10 voxel bytes missing"),
        "bad_sizeof_hdr.nii.gz": (patch(bytearray(good), 0, "<i", 300), "FormatError",
                                  "sizeof_hdr 300"),
        "dim0_is_9.nii.gz": (patch(bytearray(good), 40, "<h", 9), "FormatError", "dim[0] = 9"),
        "negative_dim.nii.gz": (patch(bytearray(good), 44, "<h", -4), "FormatError",
                                "dim[2] = -4"),
        "four_d_three_volumes.nii.gz": (four_d, "UnsupportedError", "4-D with dim[4] = 3"),
        "float_non_integer.nii.gz": (non_integer, "ArgumentError", "float32 values x.5"),
        "negative_values.nii.gz": (negative, "ArgumentError", "int16 values down to -3"),
        "float_nan.nii.gz": (nan, "ArgumentError", "a NaN voxel in float32 data"),
        "int64_too_large.nii.gz": (huge, "ArgumentError", "an int64 voxel of 2^33"),
        "corrupt_gzip.nii.gz": (gz, "FormatError", "one byte flipped inside the deflate stream"),
        "bad_magic.nii.gz": (patch(bytearray(good), 344, "4s", b"xyz\0"), "FormatError",
                             "magic xyz"),
        "pair_magic_ni1.nii.gz": (patch(bytearray(good), 344, "4s", b"ni1\0"), "UnsupportedError",
                                  "magic ni1 (header/image pair) in a single file"),
        "nifti2_sizeof_540.nii.gz": (patch(bytearray(good), 0, "<i", 540), "UnsupportedError",
                                     "sizeof_hdr 540 (NIfTI-2)"),
        "complex64_datatype.nii.gz": (patch(bytearray(good), 70, "<2h", 32, 64),
                                      "UnsupportedError", "datatype 32 (complex64)"),
        "unknown_datatype.nii.gz": (patch(bytearray(good), 70, "<h", 77), "FormatError",
                                    "datatype 77"),
        "vox_offset_too_small.nii.gz": (patch(bytearray(good), 108, "<f", 100.0), "FormatError",
                                        "vox_offset 100"),
        "extension_overrun.nii.gz": (
            patch(nifti_bytes(labels(), sform=oblique, sform_code=1, extensions=[(6, b"abc")]),
                  352, "<i", 4000), "FormatError", "extension esize 4000 past the voxel data"),
        "sheared_sform_only.nii.gz": (nifti_bytes(labels(), sform=sheared, sform_code=1),
                                      "UnsupportedError", "sheared sform, no qform"),
    }
    kinds = {}
    for name, (raw, kind, what) in errors.items():
        path = os.path.join(ERRORS, name)
        with open(path, "wb") as f:
            f.write(bytes(raw) if name == "corrupt_gzip.nii.gz" else gzip.compress(bytes(raw), mtime=0))
        kinds[name] = {"error": kind, "defect": what}
    with open(os.path.join(ERRORS, "expected_errors.json"), "w") as f:
        json.dump(kinds, f, indent=1)
        f.write("\n")
    return errors


def write_provenance(provenance, errors):
    lines = [
        "# tests/data/geometry: NIfTI geometry cases",
        "",
        f"Made by `python3 tests/data/geometry/make_geometry_cases.py` (run from the repository root)",
        f"with nibabel {nib.__version__} and numpy {np.__version__}; fixed seed, gzip mtime 0, so the",
        "files are reproducible. Every file holds 3x4x5 voxels (x, y, z) of distinct labels (except",
        "where noted). `expected.json` holds, per file, what nibabel reads back: the affine it chose",
        "(`affine_used` follows nibabel's precedence), the LPS world coordinates (nibabel's RAS with x",
        "and y negated) of the 8 corner voxels and the centre, the label dtype (smallest unsigned type",
        "holding the maximum), every voxel in numpy (z, y, x) C order (`voxels_zyx`), a checksum",
        "sum(value * (index + 1)) mod 2^61 over that order and the SHA-256 of the little-endian bytes.",
        "Checked by tests/cpp/test_nifti.cpp.",
        "",
        "| file | exercises | sha256 |",
        "|---|---|---|",
    ]
    for name, what, digest in provenance:
        lines.append(f"| `{name}` | {what} | `{digest}` |")
    with open(os.path.join(ROOT, "PROVENANCE.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    lines = [
        "# tests/data/errors/nifti: must-fail NIfTI files",
        "",
        "Made by `python3 tests/data/geometry/make_geometry_cases.py` from a valid oblique case;",
        "`expected_errors.json` names the error kind each must raise (asserted by",
        "tests/cpp/test_nifti.cpp).",
        "",
        "| file | defect | error |",
        "|---|---|---|",
    ]
    for name, (_, kind, what) in errors.items():
        lines.append(f"| `{name}` | {what} | {kind} |")
    with open(os.path.join(ERRORS, "PROVENANCE.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
