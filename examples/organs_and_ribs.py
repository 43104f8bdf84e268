"""117 TotalSegmentator organs in one file, three ways, and the ribs as groups.

The scenario of the original medmask notebook ("MedMask 库优越性展示"), on the bundled case
examples/data/s0000 (117 .nii.gz masks of one CT):

1. each organ as its own mask (117 entries, medmask 0.1.x's "independent masks");
2. all organs in one label map (SegmentationMask.lazy_init + add_label, 0.1.x's "combined");
3. each organ as a structure (MaskArchive.add: overlaps kept, packed into few label maps),
   plus the ribs as groups (left, right, upper 1-6, lower 7-12, all) that cost no voxels;

then reads everything back, checks it against the NIfTI files and prints sizes and timings.

    python examples/organs_and_ribs.py [--data DIR] [--out DIR]
"""

from __future__ import annotations

import argparse
import pathlib
import re
import tempfile
import time

import numpy as np

import medmask

HERE = pathlib.Path(__file__).resolve().parent


def load_case(data: pathlib.Path) -> tuple[dict[str, np.ndarray], medmask.Space, int]:
    """Every <name>.nii.gz of data as a (z, y, x) array, the grid, and the bytes read."""
    files = sorted(data.glob("*.nii.gz"))
    if not files:
        raise SystemExit(f"{data}: no .nii.gz files")
    arrays = {}
    for path in files:
        array, space = medmask.read_nifti(path)
        arrays[path.name[: -len(".nii.gz")]] = array
    return arrays, medmask.Space.from_nifti(files[0]), sum(p.stat().st_size for p in files)


def timed(fn, repeat: int = 1):
    """(result, best seconds of repeat runs) of fn()."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return result, best


def rib_groups(names: list[str]) -> dict[str, list[str]]:
    """The rib groups of the notebook: left, right, upper (1-6), lower (7-12)."""
    ribs = [n for n in names if re.fullmatch(r"rib_(left|right)_\d+", n)]
    number = {n: int(n.rsplit("_", 1)[1]) for n in ribs}
    return {
        "ribs_left": [n for n in ribs if "_left_" in n],
        "ribs_right": [n for n in ribs if "_right_" in n],
        "ribs_upper": [n for n in ribs if number[n] <= 6],
        "ribs_lower": [n for n in ribs if number[n] >= 7],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=pathlib.Path, default=HERE / "data" / "s0000")
    parser.add_argument("--out", type=pathlib.Path, default=None, help="default: a temp folder")
    args = parser.parse_args()
    out = args.out or pathlib.Path(tempfile.mkdtemp(prefix="medmask-organs-"))
    out.mkdir(parents=True, exist_ok=True)

    (arrays, space, nifti_bytes), read_nifti_s = timed(lambda: load_case(args.data))
    names = list(arrays)
    print(
        f"{len(names)} masks on {space.shape} voxels, {nifti_bytes:,} bytes as .nii.gz, "
        f"read in {read_nifti_s:.2f} s"
    )

    # 1. One entry per organ (medmask 0.1.x: archive.add_mask(SegmentationMask(...), name)).
    def write_individual() -> None:
        with medmask.MaskArchive(out / "individual.mska", "w", space=space) as archive:
            for name, array in arrays.items():
                archive.add_mask(medmask.SegmentationMask(array, {name: 1}, space), name)

    # 2. One label map (mutually exclusive organs only, as in 0.1.x). The notebook painted it
    # with lazy_init + add_label; numpy builds the same map in one pass per organ.
    def write_combined() -> None:
        label_map = np.zeros(space.shape_zyx, np.uint8)
        for value, array in enumerate(arrays.values(), start=1):
            # A label map cannot hold overlap: a later organ keeps only the still free voxels.
            label_map[(array != 0) & (label_map == 0)] = value
        mapping = {name: value for value, name in enumerate(names, start=1)}
        combined = medmask.SegmentationMask(label_map, mapping, space)
        with medmask.MaskArchive(out / "combined.mska", "w", space=space) as archive:
            archive.add_mask(combined, "all_organs_combined")

    # 3. Structures and rib groups: overlaps exact, groups stored as definitions.
    groups = rib_groups(names)

    def write_structures() -> None:
        with medmask.MaskArchive(out / "structures.mska", "w", space=space) as archive:
            for name, array in arrays.items():
                archive.add(name, array)
            for group, members in groups.items():
                archive.add_group(group, members)
            archive.add_group("ribs", ["ribs_left", "ribs_right"])

    print("\nread all: every structure as its own bool array (best of 3); read one: femur_left")
    print("layout       entries  structures     bytes   ratio   write s  read all s  read one s")
    for label, write in [
        ("individual", write_individual),
        ("combined", write_combined),
        ("structures", write_structures),
    ]:
        _, write_s = timed(write)
        path = out / f"{label}.mska"
        with medmask.open(path) as archive:
            entries = len(archive.entry_names())
            count = len(archive)
            each, read_all_s = timed(archive.read_each, repeat=3)
            one, read_one_s = timed(lambda: archive["femur_left"], repeat=3)
            # Everything read back equals the NIfTI voxels (the combined map loses overlaps).
            if label != "combined":
                for name, array in arrays.items():
                    assert np.array_equal(each[name], array != 0), name
            assert np.array_equal(one, arrays["femur_left"] != 0)
        size = path.stat().st_size
        print(
            f"{label:<11} {entries:>8} {count:>11} {size:>9,} {nifti_bytes / size:>6.0f}:1 "
            f"{write_s:>9.2f} {read_all_s:>11.3f} {read_one_s:>11.4f}"
        )

    with medmask.open(out / "structures.mska") as archive:
        print("\nrib groups (no voxels stored for them):")
        for group in [*groups, "ribs"]:
            info = archive.structure(group)
            members = archive.expand(group)
            union = np.zeros(space.shape_zyx, bool)
            for member in members:
                union |= arrays[member] != 0
            assert np.array_equal(archive[group], union), group
            print(
                f"  {group:<11} {len(members):>2} ribs, {info.voxels:>6} voxels, "
                f"{info.volume_mm3 / 1000:8.2f} ml"
            )
        shared = archive.overlapping("rib_right_12")
        print(f"rib_right_12 shares voxels with: {shared}")
    print(
        f"\nfiles in {out}; nibabel-free reading of all {len(names)} NIfTI took "
        f"{read_nifti_s:.2f} s"
    )


if __name__ == "__main__":
    main()
