"""Time nibabel loading a folder of NIfTI masks against `medmask pack` of the same folder.

Usage: python bench/bench_pack.py [--cli build/cli/medmask] [--folder examples/data/s0000]
       [--repeat 3]

Both run in this one process's session, alternating, `repeat` times; the medians are reported
with their ratio (pack / nibabel; the target is below 0.5). nibabel decompresses and reads every
voxel (np.asarray(img.dataobj)), the least pack must also do; pack also encodes and writes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import nibabel as nib
import numpy as np

REPO = Path(__file__).resolve().parents[1]


def load_with_nibabel(files: list[Path]) -> int:
    voxels = 0
    for path in files:
        img = nib.load(str(path))
        assert isinstance(img, nib.Nifti1Image), path
        voxels += int(np.count_nonzero(np.asarray(img.dataobj)))
    return voxels


def pack(cli: Path, folder: Path, output: Path) -> None:
    subprocess.run([str(cli), "pack", str(folder), "-o", str(output), "-q"], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cli", type=Path, default=Path(os.environ.get("MEDMASK_CLI", REPO / "build/cli/medmask"))
    )
    parser.add_argument("--folder", type=Path, default=REPO / "examples/data/s0000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    files = sorted(args.folder.glob("*.nii.gz"))
    size_in = sum(p.stat().st_size for p in files)
    print(f"{len(files)} files, {size_in:,} bytes, cores {os.cpu_count()}")
    nibabel_s, pack_s = [], []
    with tempfile.TemporaryDirectory() as scratch:
        output = Path(scratch) / "case.mska"
        for _ in range(args.repeat):
            start = time.perf_counter()
            load_with_nibabel(files)
            nibabel_s.append(time.perf_counter() - start)
            start = time.perf_counter()
            pack(args.cli, args.folder, output)
            pack_s.append(time.perf_counter() - start)
        size = output.stat().st_size
    nib_median, pack_median = statistics.median(nibabel_s), statistics.median(pack_s)
    for label, median, runs in (
        ("nibabel load", nib_median, nibabel_s),
        ("medmask pack", pack_median, pack_s),
    ):
        print(f"{label}  median {median:6.2f} s  runs {', '.join(f'{t:.2f}' for t in runs)}")
    print(f"pack / nibabel = {pack_median / nib_median:.2f} (target < 0.5); archive {size:,} bytes")


if __name__ == "__main__":
    main()
