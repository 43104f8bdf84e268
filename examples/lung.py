"""A synthetic lung: 5 lobes, 18 segments, 3 lesions across lobe borders, and the whole lung.

The case of the original medmask notebook's "overlapping and exclusive structures": lobes are
mutually exclusive, segments too but each lies inside a lobe, lesions overlap lobes, segments
and each other, and the whole lung covers everything. A single label map cannot hold this; one
MedMask archive holds it exactly, and every structure is read back by name.

    python examples/lung.py [--out FILE]
"""

from __future__ import annotations

import argparse
import pathlib
import tempfile
import time

import numpy as np

import medmask

# Bronchopulmonary segments per lobe (right lung 10, left lung 8).
SEGMENTS = {
    "right_upper_lobe": ["RS1_apical", "RS2_posterior", "RS3_anterior"],
    "right_middle_lobe": ["RS4_lateral", "RS5_medial"],
    "right_lower_lobe": [
        "RS6_superior",
        "RS7_medial_basal",
        "RS8_anterior_basal",
        "RS9_lateral_basal",
        "RS10_posterior_basal",
    ],
    "left_upper_lobe": [
        "LS1+2_apicoposterior",
        "LS3_anterior",
        "LS4_superior_lingular",
        "LS5_inferior_lingular",
    ],
    "left_lower_lobe": [
        "LS6_superior",
        "LS7+8_anteromedial_basal",
        "LS9_lateral_basal",
        "LS10_posterior_basal",
    ],
}

# A 1.5 mm grid of 200 x 160 x 120 voxels (x, y, z), axial, patient LPS.
SPACE = medmask.Space(
    shape=(200, 160, 120), origin=(-150.0, -120.0, -90.0), spacing=(1.5, 1.5, 1.5)
)


def build_lung() -> dict[str, np.ndarray]:
    """Every structure as a bool (z, y, x) array."""
    z, y, x = np.meshgrid(*(np.arange(n, dtype=np.float32) for n in SPACE.shape_zyx), indexing="ij")
    nz, ny, nx = SPACE.shape_zyx
    zn, yn = z / nz, y / ny  # 0 (inferior, anterior) .. 1 (superior, posterior)
    masks: dict[str, np.ndarray] = {}
    for side, cx in (("right", 0.3 * nx), ("left", 0.7 * nx)):
        lung = ((x - cx) / (0.18 * nx)) ** 2 + ((y - ny / 2) / (0.4 * ny)) ** 2 + (
            (z - nz / 2) / (0.45 * nz)
        ) ** 2 <= 1
        oblique = zn > 0.25 + 0.5 * yn  # above the oblique fissure
        if side == "right":
            horizontal = zn > 0.55
            lobes = {
                "right_upper_lobe": lung & oblique & horizontal,
                "right_middle_lobe": lung & oblique & ~horizontal,
                "right_lower_lobe": lung & ~oblique,
            }
        else:
            lobes = {"left_upper_lobe": lung & oblique, "left_lower_lobe": lung & ~oblique}
        for lobe, lobe_mask in lobes.items():
            masks[lobe] = lobe_mask
            # Segments: equal-volume sectors of the lobe around its own centre.
            zz, yy, xx = np.nonzero(lobe_mask)
            angle = np.arctan2(zz - zz.mean(), (yy - yy.mean()) + (xx - xx.mean()))
            names = SEGMENTS[lobe]
            edges = np.quantile(angle, np.linspace(0, 1, len(names) + 1)[1:-1])
            sector = np.searchsorted(edges, angle)
            for index, name in enumerate(names):
                segment = np.zeros(lobe_mask.shape, bool)
                pick = sector == index
                segment[zz[pick], yy[pick], xx[pick]] = True
                masks[name] = segment
    lung = np.zeros(SPACE.shape_zyx, bool)
    for lobe in SEGMENTS:
        lung |= masks[lobe]
    # Lesions across lobe borders (two on the right, touching each other; one on the left).
    for name, (cz, cy, cx, r) in {
        "lesion_1": (0.55 * nz, 0.3 * ny, 0.3 * nx, 9),
        "lesion_2": (0.62 * nz, 0.4 * ny, 0.3 * nx, 12),
        "lesion_3": (0.52 * nz, 0.55 * ny, 0.7 * nx, 10),
    }.items():
        masks[name] = ((z - cz) ** 2 + (y - cy) ** 2 + (x - cx) ** 2 <= r * r) & lung
    masks["lung"] = lung
    return masks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=pathlib.Path, default=None, help="default: a temp file")
    args = parser.parse_args()
    path = args.out or pathlib.Path(tempfile.mkdtemp(prefix="medmask-lung-")) / "lung.mska"

    masks = build_lung()
    start = time.perf_counter()
    with medmask.MaskArchive(path, "w", space=SPACE) as archive:
        for name, binary in masks.items():
            # The whole lung equals the union of the lobes: the archive stores it as a group.
            archive.add(name, binary)
        archive.add_group("lesions", ["lesion_1", "lesion_2", "lesion_3"])
        archive.add_group("right_lung", [lobe for lobe in SEGMENTS if lobe.startswith("right")])
        archive.add_group("left_lung", [lobe for lobe in SEGMENTS if lobe.startswith("left")])
    write_s = time.perf_counter() - start
    raw = sum(m.size for m in masks.values())
    print(
        f"{len(masks)} structures on {SPACE.shape} voxels: {path.stat().st_size:,} bytes "
        f"({raw:,} bytes as one bool array each), written in {write_s:.2f} s"
    )

    with medmask.open(path) as archive:
        print(f"stored in {len(archive.entry_names())} label maps: {archive.entry_names()}")
        start = time.perf_counter()
        each = archive.read_each()
        print(
            f"read back all {len(each)} structures and groups in "
            f"{time.perf_counter() - start:.3f} s"
        )
        for name, binary in masks.items():
            assert np.array_equal(each[name], binary), name
            assert np.array_equal(archive[name], binary), name
        assert archive.structure("lung").is_group
        assert np.array_equal(
            archive["right_lung"],
            masks["right_upper_lobe"] | masks["right_middle_lobe"] | masks["right_lower_lobe"],
        )

        print("\nstructure                 voxels  volume ml  overlaps")
        for name in [*SEGMENTS, "lesion_1", "lesion_2", "lesion_3", "lung", "lesions"]:
            info = archive.structure(name)
            overlaps = (
                ""
                if info.is_group
                else ", ".join(
                    f"{other} {count}"
                    for other, count in archive.overlapping(name).items()
                    if other.startswith(("lesion", "right_", "left_")) and other != name
                )
            )
            print(f"{name:<22} {info.voxels:>9,} {info.volume_mm3 / 1000:>10.1f}  {overlaps}")
        z, y, x = (int(v) for v in np.argwhere(masks["lesion_2"] & masks["lesion_1"])[0])
        print(f"\nvoxel {(z, y, x)} belongs to: {', '.join(archive.labels_at(z, y, x))}")
    print(f"file: {path}")


if __name__ == "__main__":
    main()
