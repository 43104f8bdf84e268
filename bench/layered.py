"""What a near-copy of a structure costs: issue #13's layered case, measured.

A second model's aorta, an annotator's correction, a lobe beside a slightly different lobe: a
structure that differs from one already stored in about 1 % of its voxels. For each of a few
structures of the sample case this builds such a variant from the structure itself (its outer
shell added over a run of slices, or its inner shell removed, until about 1 % of its voxels
differ; an exact copy too), and measures, at each level, in whole-file bytes:

- layered: what adding the variant to the full case costs (the original is stored);
- alone: what adding it costs when the original is not in the case (the variant coded by itself);

and the ratio layered / alone (issue #13's target: <= 15 % for a difference of <= 1 %).

    python bench/layered.py [--levels default] [--structures femur_left,colon,hip_left]

Prints a Markdown table and writes bench/results/layered.csv.
"""

from __future__ import annotations

import argparse
import csv
import pathlib
import sys
import tempfile

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from compare import DATA, RESULTS, load_inputs  # noqa: E402

import medmask  # noqa: E402


def neighbours_any(mask: np.ndarray) -> np.ndarray:
    """Voxels with a 6-connected neighbour in mask (the mask itself excluded)."""
    out = np.zeros_like(mask)
    for axis in range(3):
        for shift in (1, -1):
            rolled = np.roll(mask, shift, axis=axis)
            edge = [slice(None)] * 3
            edge[axis] = 0 if shift == 1 else -1
            rolled[tuple(edge)] = False  # np.roll wraps around; the grid does not
            out |= rolled
    return out & ~mask


def variant(mask: np.ndarray, kind: str, fraction: float = 0.01) -> np.ndarray:
    """mask with about fraction of its voxels changed along its surface, over consecutive
    slices from the middle of its extent (a local disagreement, as between two models)."""
    mask = mask.astype(bool)
    if kind == "copy":
        return mask.copy()
    shell = neighbours_any(mask) if kind == "dilated" else neighbours_any(~mask) & mask
    budget = int(round(fraction * mask.sum()))
    slices = np.nonzero(mask.any(axis=(1, 2)))[0]
    middle = int(slices[len(slices) // 2])
    out = mask.copy()
    changed = 0
    for offset in range(len(slices)):
        for z in {middle + offset, middle - offset}:
            if changed >= budget or not 0 <= z < mask.shape[0]:
                continue
            take = np.argwhere(shell[z])[: budget - changed]
            out[z, take[:, 0], take[:, 1]] = kind == "dilated"
            changed += len(take)
    return out


def file_bytes(arrays: dict, space, level: str, workdir: pathlib.Path) -> int:
    path = workdir / "case.mska"
    with medmask.MaskArchive(path, "w", space=space, level=level) as archive:
        for name, array in arrays.items():
            archive.add(name, array)
    return path.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="default")
    parser.add_argument("--structures", default="femur_left,colon,hip_left")
    args = parser.parse_args()
    names, arrays, _, first = load_inputs(DATA)
    space = medmask.Space.from_nifti(first)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = pathlib.Path(tmp)
        for level in args.levels.split(","):
            case = file_bytes(arrays, space, level, workdir)
            for name in args.structures.split(","):
                original = arrays[name] != 0
                without = {n: a for n, a in arrays.items() if n != name}
                case_without = file_bytes(without, space, level, workdir)
                for kind in ("copy", "dilated", "eroded"):
                    v = variant(original, kind)
                    differ = int((v != original).sum())
                    layered = file_bytes({**arrays, "variant": v}, space, level, workdir) - case
                    alone = file_bytes({**without, "variant": v}, space, level, workdir)
                    alone -= case_without
                    rows.append(
                        {
                            "level": level,
                            "structure": name,
                            "variant": kind,
                            "voxels": int(original.sum()),
                            "differing": differ,
                            "differing_pct": round(100 * differ / original.sum(), 2),
                            "layered_bytes": layered,
                            "alone_bytes": alone,
                            "ratio": round(layered / alone, 3) if alone else None,
                        }
                    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    with open(RESULTS / "layered.csv", "w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(
        "| level | structure | variant | voxels | differing | layered bytes | alone bytes | "
        "layered / alone |"
    )
    print("|---|---|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['level']} | {r['structure']} | {r['variant']} | {r['voxels']:,} | "
            f"{r['differing']:,} ({r['differing_pct']} %) | {r['layered_bytes']:,} | "
            f"{r['alone_bytes']:,} | {r['ratio']} |"
        )


if __name__ == "__main__":
    main()
