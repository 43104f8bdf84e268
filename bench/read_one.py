"""Fresh open + one structure by name, for every non-empty structure, against medmask 0.1.3.

What a training loader or a viewer does: open a case and read one structure. For each non-empty
structure of the case (21 of the 117 in examples/data/s0000) this measures, in one run:

- MedMask (this package): `MaskArchive(file, "r", threads=N)` then `archive[name]`, for each N
  of --threads, on archives written here from the masks at --level in each layout of --layouts:
  `shared` (`layer_per_structure=False`: structures share label maps, the default at level max)
  and `per_structure` (`layer_per_structure=True`: a label map per structure, the default at
  levels fast and default) (or on --archive as given);
- medmask 0.1.3, both layouts of its notebook (117 masks one by one; one label map), written here
  from the same masks: `MaskArchive(file, "r")`, `load_segmask`, `get_binary_mask_by_names`. The
  faster of the two layouts is the reference.

Times are the best of --repeat runs, each in the same worker process (the file is in the page
cache, as for a loader's second epoch): wall time, or with --clock cpu the process's CPU time
(robust to other load on a shared machine; with one thread both measure the same work).
medmask 0.1.3 is imported as `medmask`, like this package, so it runs in the venv of
bench/setup_bench_venv.sh (.venv-peers) and MedMask in this one; each worker is a fresh process
(`--worker`).

    python bench/read_one.py [--repeat 5] [--threads 1,2] [--level default]
                             [--layouts shared,per_structure]
                             [--peers-python .venv-peers/bin/python] [--archive case.mska]

Prints a Markdown table and writes bench/results/read_one.csv.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from compare import DATA, RESULTS, ROOT, load_inputs  # noqa: E402

CLOCK = time.perf_counter


def best_of(repeat: int, fn):
    """(last result, best seconds of CLOCK) of repeat runs of fn()."""
    best, result = float("inf"), None
    for _ in range(repeat):
        result = None  # let the previous result go before the next run
        start = CLOCK()
        result = fn()
        best = min(best, CLOCK() - start)
    return result, best


def medmask_worker(
    workdir: pathlib.Path,
    data: pathlib.Path,
    repeat: int,
    level: str,
    threads: list[int],
    archive: str | None,
    layout: str,
) -> dict:
    import numpy as np

    import medmask

    names, arrays, _, first = load_inputs(data)
    file = pathlib.Path(archive) if archive else workdir / f"medmask-{level}-{layout}.mska"
    write_seconds = None
    if not archive:

        def write():
            with medmask.MaskArchive(
                file,
                "w",
                space=medmask.Space.from_nifti(first),
                level=level,
                layer_per_structure=layout == "per_structure",
            ) as out:
                for name in names:
                    out.add(name, arrays[name])

        _, write_seconds = best_of(3, write)
    wanted = [n for n in names if arrays[n].any()]
    times = {}
    for n_threads in threads:

        def read_one(name):
            with medmask.MaskArchive(file, "r", threads=n_threads) as archive:
                return archive[name]

        def read_all():
            with medmask.MaskArchive(file, "r", threads=n_threads) as archive:
                return archive.read_each(names)

        for name in wanted:
            mask, seconds = best_of(repeat, lambda: read_one(name))
            assert np.array_equal(mask, arrays[name] != 0), name
            times[f"{name}@{n_threads}"] = seconds
        _, times[f"*all*@{n_threads}"] = best_of(repeat, read_all)
    return {
        "bytes": file.stat().st_size,
        "write_seconds": write_seconds,
        "times": times,
        "voxels": {n: int(np.count_nonzero(arrays[n])) for n in wanted},
    }


def v013_worker(workdir: pathlib.Path, data: pathlib.Path, repeat: int) -> dict:
    from spacetransformer import Space

    from medmask import MaskArchive, SegmentationMask

    names, arrays, label_map, first = load_inputs(data)
    values = {name: value for value, name in enumerate(names, start=1)}
    space = Space.from_nifti(first).reverse_axis_order()  # 0.1.x: (z, y, x) order
    files = {
        "individual": workdir / "v013-individual.mska",
        "combined": workdir / "v013-combined.mska",
    }
    for layout, file in files.items():
        file.unlink(missing_ok=True)
        archive = MaskArchive(str(file), mode="w", space=space)
        if layout == "individual":
            for name in names:
                archive.add_segmask(SegmentationMask(arrays[name], {name: 1}, space), name)
        else:
            archive.add_segmask(SegmentationMask(label_map, values, space), "all")
    wanted = [n for n in names if arrays[n].any()]
    times = {}
    for layout, file in files.items():

        def read_one(name):
            archive = MaskArchive(str(file), mode="r")
            mask = archive.load_segmask(name if layout == "individual" else "all")
            return mask.get_binary_mask_by_names(name)

        for name in wanted:
            _, times[f"{name}@{layout}"] = best_of(repeat, lambda: read_one(name))
    return {"times": times, "bytes": {k: f.stat().st_size for k, f in files.items()}}


def run_worker(python: str, args: list[str]) -> dict:
    env = dict(os.environ, PYTHONPATH="")  # the worker imports its own venv's medmask
    done = subprocess.run(
        [python, __file__, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tempfile.gettempdir(),
    )
    if done.returncode != 0:
        raise SystemExit(f"worker {args[:2]} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--level", default="default")
    parser.add_argument("--layouts", default="shared,per_structure")
    parser.add_argument("--layout", default="shared", help=argparse.SUPPRESS)
    parser.add_argument("--data", type=pathlib.Path, default=DATA)
    parser.add_argument("--archive", help="time this .mska instead of writing one")
    parser.add_argument("--peers-python", default=str(ROOT / ".venv-peers" / "bin" / "python"))
    parser.add_argument("--csv", type=pathlib.Path, default=RESULTS / "read_one.csv")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=pathlib.Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    threads = [int(t) for t in args.threads.split(",")]
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    if args.worker == "medmask":
        print(
            json.dumps(
                medmask_worker(
                    args.workdir,
                    args.data,
                    args.repeat,
                    args.level,
                    threads,
                    args.archive,
                    args.layout,
                )
            )
        )
        return
    if args.worker == "v013":
        print(json.dumps(v013_worker(args.workdir, args.data, args.repeat)))
        return

    with tempfile.TemporaryDirectory() as tmp:
        common = [
            "--workdir",
            tmp,
            "--repeat",
            str(args.repeat),
            "--data",
            str(args.data),
            "--clock",
            args.clock,
        ]
        layouts = ["archive"] if args.archive else args.layouts.split(",")
        ours = {
            layout: run_worker(
                sys.executable,
                [
                    "--worker",
                    "medmask",
                    *common,
                    "--level",
                    args.level,
                    "--threads",
                    args.threads,
                    "--layout",
                    layout,
                    *(["--archive", args.archive] if args.archive else []),
                ],
            )
            for layout in layouts
        }
        peer = run_worker(args.peers_python, ["--worker", "v013", *common])
    columns = [(layout, t) for layout in layouts for t in threads]
    rows = []
    for name, voxels in ours[layouts[0]]["voxels"].items():
        old = min(peer["times"][f"{name}@individual"], peer["times"][f"{name}@combined"])
        row = {
            "structure": name,
            "voxels": voxels,
            "v013_ms": old * 1e3,
            "v013_individual_ms": peer["times"][f"{name}@individual"] * 1e3,
            "v013_combined_ms": peer["times"][f"{name}@combined"] * 1e3,
        }
        for layout, t in columns:
            seconds = ours[layout]["times"][f"{name}@{t}"]
            row[f"medmask_{layout}_{t}t_ms"] = seconds * 1e3
            row[f"speedup_{layout}_{t}t"] = old / seconds
        rows.append(row)
    args.csv.parent.mkdir(parents=True, exist_ok=True)
    with open(args.csv, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    sizes = ", ".join(
        f"{layout} {ours[layout]['bytes']:,} B"
        + (
            f" (written in {ours[layout]['write_seconds']:.2f} s, best of 3)"
            if ours[layout]["write_seconds"]
            else ""
        )
        for layout in layouts
    )
    ours_label = args.archive if args.archive else f"MedMask {args.level}"
    print(
        f"{ours_label}: {sizes}; medmask 0.1.3: {peer['bytes']['individual']:,}"
        f" B (117 masks), {peer['bytes']['combined']:,} B (one map); best of {args.repeat}, "
        f"{args.clock} time\n"
    )
    head = " | ".join(f"{layout} {t} thr ms | x 0.1.3" for layout, t in columns)
    print(f"| structure | voxels | 0.1.3 masks ms | 0.1.3 map ms | {head} |")
    print("|---|---:|---:|---:|" + "---:|---:|" * len(columns))
    for r in rows:
        ours_cells = " | ".join(
            f"{r[f'medmask_{layout}_{t}t_ms']:.2f} | {r[f'speedup_{layout}_{t}t']:.2f}"
            for layout, t in columns
        )
        print(
            f"| {r['structure']} | {r['voxels']:,} | {r['v013_individual_ms']:.2f} | "
            f"{r['v013_combined_ms']:.2f} | {ours_cells} |"
        )
    print()
    for layout, t in columns:
        ratios = [r[f"speedup_{layout}_{t}t"] for r in rows]
        all_ms = ours[layout]["times"][f"*all*@{t}"] * 1e3
        print(
            f"{layout}, {t} thread(s): median {statistics.median(ratios):.2f}x 0.1.3's faster "
            f"layout, min {min(ratios):.2f}x, {sum(x >= 1.5 for x in ratios)} of {len(ratios)} "
            f">= 1.5x; read all (every structure, one call): {all_ms:.1f} ms"
        )


if __name__ == "__main__":
    main()
