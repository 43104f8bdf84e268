#!/usr/bin/env python3
"""Writes tests/data/s0000_expected.json: what nibabel reads from examples/data/s0000/*.nii.gz.

Per file: shape (x, y, z), the affine nibabel chose (RAS), its codes, the number of voxels per
value, and the LPS world coordinates (nibabel's RAS with x and y negated) of the 8 corner voxels
and the centre. Checked by tests/cpp/test_nifti.cpp; independent of MedMask.

Usage (from the repository root): python3 tests/data/make_s0000_expected.py
"""
import glob
import itertools
import json
import os

import nibabel as nib
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    files = sorted(glob.glob(os.path.join(ROOT, "examples", "data", "s0000", "*.nii.gz")))
    out = {}
    for path in files:
        img = nib.load(path)
        arr = np.asarray(img.dataobj)
        nx, ny, nz = arr.shape
        values, counts = np.unique(arr, return_counts=True)
        voxels = [list(v) for v in itertools.product((0, nx - 1), (0, ny - 1), (0, nz - 1))]
        voxels.append([(nx - 1) / 2, (ny - 1) / 2, (nz - 1) / 2])
        lps = []
        for ijk in voxels:
            ras = img.affine @ np.array([*ijk, 1.0])
            lps.append([-ras[0], -ras[1], ras[2]])
        out[os.path.basename(path)] = {
            "shape_xyz": [nx, ny, nz],
            "disk_dtype": str(arr.dtype),
            "sform_code": int(img.header["sform_code"]),
            "qform_code": int(img.header["qform_code"]),
            "affine_ras": img.affine.tolist(),
            "value_counts": {str(int(v)): int(c) for v, c in zip(values, counts)},
            "voxels_ijk": [[float(x) for x in v] for v in voxels],
            "lps": lps,
        }
    with open(os.path.join(ROOT, "tests", "data", "s0000_expected.json"), "w") as f:
        f.write('{"generator": "tests/data/make_s0000_expected.py", ')
        f.write(f'"nibabel": "{nib.__version__}", "files": {{\n')
        f.write(",\n".join(f" {json.dumps(k)}: {json.dumps(v)}" for k, v in out.items()))
        f.write("\n}}\n")


if __name__ == "__main__":
    main()
