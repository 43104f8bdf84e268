#!/usr/bin/env python3
"""The founding notebook (../shared/seeds/002_*), step by step, with medmask 0.1.3 and with this
package, in one run; prints a markdown table of seconds per step and the ratio.

Usage: bench/seed_notebook.py [CASE_DIR] [--peers PYTHON] [--ours PYTHON] [--runs N]
  CASE_DIR: a folder of NIfTI masks (default examples/data/s0000)
  --peers: a Python with medmask 0.1.3 (default .venv-peers/bin/python, bench/setup_bench_venv.sh)
  --ours: a Python with this package (default .venv/bin/python)
Each side runs in its own process (both packages are imported as `medmask`); the notebook's code
is used as written, except that spacetransformer's renamed Space.from_nifty is from_nifti, and
that medmask 0.1.3 needs the Space in the order of the arrays it is given (nibabel's).
"""

from __future__ import annotations

import argparse
import json
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
STEPS = [
    ("write1", "approach 1: 117 SegmentationMask + add_mask into one archive"),
    ("write2", "approach 2: lazy_init + 117 add_label, one add_mask"),
    ("read1", "read approach 1: 117 x load_mask + get_all_masks"),
    ("read2", "read approach 2: one load_mask + 117 x get_mask_by_names"),
]


def worker(case_dir: str, out_dir: str) -> None:
    """The notebook's cells, timed (runs inside the venv being measured)."""
    import time
    import warnings

    import nibabel as nib
    import numpy as np
    from spacetransformer import Space

    import medmask
    from medmask import MaskArchive, SegmentationMask

    old = medmask.__version__.startswith("0.1.")
    data_dir = pathlib.Path(case_dir)
    out = pathlib.Path(out_dir)
    all_files = sorted(data_dir.glob("*.nii.gz"))
    first_file = nib.load(all_files[0])
    space = Space.from_nifti(first_file)
    if not old:  # the notebook's line; 0.1.3 asserts array shape == space shape instead
        space = space.reverse_axis_order()
    times = {}

    # "lib" times: the medmask calls of a step only (the rest is nibabel and numpy, the same code
    # on both sides).
    lib = {"write1": 0.0, "write2": 0.0}

    all_mask_data = {f: np.array(nib.load(f).dataobj) for f in all_files}
    start = time.perf_counter()
    call = time.perf_counter()
    archive1 = MaskArchive(str(out / "organs_individual.maska"), mode="w", space=space)
    lib["write1"] += time.perf_counter() - call
    for organ_file in all_files:
        organ_name = organ_file.stem.replace(".nii", "")
        array = all_mask_data[organ_file].astype(np.uint8)
        call = time.perf_counter()
        mask = SegmentationMask(mask_array=array, mapping={organ_name: 1}, space=space)
        if old:
            archive1.add_segmask(mask, organ_name)
        else:
            archive1.add_mask(mask, organ_name)
        lib["write1"] += time.perf_counter() - call
    times["write1"] = time.perf_counter() - start

    start = time.perf_counter()
    call = time.perf_counter()
    archive2 = MaskArchive(str(out / "organs_combined.maska"), mode="w", space=space)
    combined_mask = SegmentationMask.lazy_init(bit_depth=8, space=space)
    lib["write2"] += time.perf_counter() - call
    all_keys = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ours warns about the 6 voxels femur/gluteus share
        for i, organ_file in enumerate(all_files):
            mask_data = nib.load(organ_file).get_fdata() > 0
            organ_name = organ_file.stem.replace(".nii", "")
            all_keys.append(organ_name)
            call = time.perf_counter()
            combined_mask.add_label(mask_data, i + 1, organ_name)
            lib["write2"] += time.perf_counter() - call
    call = time.perf_counter()
    if old:
        archive2.add_segmask(combined_mask, "all_organs_combined")
    else:
        archive2.add_mask(combined_mask, "all_organs_combined")
    lib["write2"] += time.perf_counter() - call
    times["write2"] = time.perf_counter() - start

    start = time.perf_counter()
    archive1_read = MaskArchive(str(out / "organs_individual.maska"), mode="r")
    for organ in all_keys:
        if old:  # 0.1.3 has neither load_mask on the archive nor get_all_masks
            data = archive1_read.load_segmask(organ).data
        else:
            data = archive1_read.load_mask(organ).get_all_masks()
    times["read1"] = time.perf_counter() - start

    start = time.perf_counter()
    archive2_read = MaskArchive(str(out / "organs_combined.maska"), mode="r")
    if old:
        all_organs = archive2_read.load_segmask("all_organs_combined")
    else:
        all_organs = archive2_read.load_mask("all_organs_combined")
    for organ in all_keys:
        if old:
            data = all_organs.get_binary_mask_by_names(organ)
        else:
            data = all_organs.get_mask_by_names(organ)
    times["read2"] = time.perf_counter() - start
    del data
    times["write1_lib"] = lib["write1"]
    times["write2_lib"] = lib["write2"]
    times["bytes1"] = (out / "organs_individual.maska").stat().st_size
    times["bytes2"] = (out / "organs_combined.maska").stat().st_size
    times["files"] = len(all_files)
    print(json.dumps(times))


def run_side(python: str, case_dir: str) -> dict:
    with tempfile.TemporaryDirectory() as out_dir:
        result = subprocess.run(
            [python, __file__, "--worker", case_dir, out_dir],
            capture_output=True,
            text=True,
            cwd=out_dir,
        )
    if result.returncode != 0:
        sys.exit(f"{python}: the notebook failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def best(runs: list, key: str) -> float:
    return min(run[key] for run in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("case_dir", nargs="?", default=str(ROOT / "examples/data/s0000"))
    parser.add_argument("--peers", default=str(ROOT / ".venv-peers/bin/python"))
    parser.add_argument("--ours", default=str(ROOT / ".venv/bin/python"))
    parser.add_argument("--runs", type=int, default=3, help="runs of each side, alternating")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    old, new = [], []
    for _ in range(args.runs):  # alternating, so that a change in the machine's load hits both
        old.append(run_side(args.peers, args.case_dir))
        new.append(run_side(args.ours, args.case_dir))
    print(f"{new[0]['files']} masks of {args.case_dir}; best of {args.runs} runs per side\n")
    print("| the notebook's step | medmask 0.1.3 s | MedMask s | MedMask / 0.1.3 | target |")
    print("|---|---:|---:|---:|---|")
    for key, label in STEPS:
        o, n = best(old, key), best(new, key)
        target = "<= 0.5x" if key.startswith("write") else ">= 5x faster (<= 0.2x)"
        print(f"| {label} | {o:.3f} | {n:.3f} | {n / o:.2f}x | {target} |")
        if key.startswith("write"):
            o, n = best(old, key + "_lib"), best(new, key + "_lib")
            print(
                f"| ... its medmask calls only (no nibabel/numpy) | {o:.3f} | {n:.3f} | "
                f"{n / o:.2f}x | <= 0.5x |"
            )
    print(
        f"\nbytes: approach 1 {old[0]['bytes1']:,} (0.1.3) / {new[0]['bytes1']:,} (MedMask); "
        f"approach 2 {old[0]['bytes2']:,} / {new[0]['bytes2']:,}"
    )


if __name__ == "__main__":
    main()
