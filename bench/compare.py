"""MedMask against what users do today, on the bundled 117-structure case.

Stores the 117 TotalSegmentator masks of examples/data/s0000 in each way and measures bytes,
ratio to the 117 .nii.gz files, write time, time to read every structure as its own bool array,
time to read one structure (spleen, which is empty in this case, and femur_left, which spans
163 of 179 slices), and the peak memory added by reading everything:

- nibabel: the 117 .nii.gz files themselves (written again with nibabel to time writing);
- medmask 0.1.3, both layouts of its notebook: 117 masks stored one by one, and one label map;
- crackle-codec, crackle + zstd-19, zstd-19 of the raw map and numpy .npz (savez_compressed),
  each of the one label map (a label map cannot hold overlap: it drops the 13 voxels
  rib_right_12 shares with sacrum, a later structure keeping only free voxels);
- MedMask (this package) at levels fast, default and max, every structure added with
  MaskArchive.add (overlap kept exactly) in the writer's default layout (a layer per structure
  at fast and default, shared layers at max), and at level default in shared layers
  (layer_per_structure=False).

medmask 0.1.3 is imported as `medmask`, like this package, so it and the other peers run in the
venv made by bench/setup_bench_venv.sh (.venv-peers); every measurement runs in a fresh process
of the right interpreter (`--worker`). Times are the best of several repetitions; peak memory is
measured in a process of its own that only reads everything once (peak RSS minus RSS before).

    python bench/compare.py [--repeat 5] [--peers-python .venv-peers/bin/python]

Prints a Markdown table, writes bench/results/compare.csv and bench/results/compare.png.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import pathlib
import resource
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
DATA = ROOT / "examples" / "data" / "s0000"
RESULTS = ROOT / "bench" / "results"
ONE_EMPTY = "spleen"
ONE_FULL = "femur_left"

# (method, interpreter: "main" = the venv with this package, "peers" = .venv-peers, label)
METHODS = [
    ("nibabel", "peers", "117 .nii.gz (nibabel)"),
    ("v013-individual", "peers", "medmask 0.1.3, 117 masks"),
    ("v013-combined", "peers", "medmask 0.1.3, one map"),
    ("crackle", "peers", "crackle (one map)"),
    ("crackle-zstd", "peers", "crackle + zstd-19 (one map)"),
    ("zstd", "peers", "zstd-19 raw map"),
    ("npz", "peers", ".npz (one map)"),
    ("medmask-fast", "main", "MedMask fast"),
    ("medmask-default", "main", "MedMask default"),
    ("medmask-max", "main", "MedMask max"),
    ("medmask-default-shared", "main", "MedMask default, shared layers"),
]


# ---------------------------------------------------------------- worker (runs in either venv)


def best_of(repeat: int, fn):
    """(last result, best seconds) of repeat runs of fn()."""
    best = float("inf")
    result = None
    for _ in range(repeat):
        result = None  # let the previous result go before the next run
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return result, best


def load_inputs(data: pathlib.Path):
    """names, {name: (z, y, x) uint8 array}, one exclusive label map, nibabel's first image."""
    import nibabel as nib
    import numpy as np

    files = sorted(data.glob("*.nii.gz"))
    names = [f.name[: -len(".nii.gz")] for f in files]
    arrays = {n: np.asarray(nib.load(str(f)).dataobj).T for n, f in zip(names, files)}
    label_map = np.zeros(next(iter(arrays.values())).shape, np.uint8)
    for value, name in enumerate(names, start=1):
        label_map[(arrays[name] != 0) & (label_map == 0)] = value
    return names, arrays, label_map, nib.load(str(files[0]))


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def worker(
    method: str, workdir: pathlib.Path, data: pathlib.Path, repeat: int, memory_only: bool
) -> dict:
    """Writes (unless memory_only), reads back, and returns the measurements of one method."""
    import numpy as np

    names, arrays, label_map, first = (None, None, None, None)
    if not memory_only:
        names, arrays, label_map, first = load_inputs(data)
    else:
        names = sorted(f.name[: -len(".nii.gz")] for f in data.glob("*.nii.gz"))
    values = {name: value for value, name in enumerate(names, start=1)}
    path = workdir / method
    write = read_all = read_one = None

    if method == "nibabel":
        import nibabel as nib

        def write():
            path.mkdir(exist_ok=True)
            for name in names:
                img = nib.Nifti1Image(arrays[name].T, first.affine, first.header)
                nib.save(img, str(path / f"{name}.nii.gz"))

        def read_all():
            # .T: nibabel indexes (x, y, z); the transpose is the (z, y, x) view, no copy.
            return {
                n: np.asarray(nib.load(str(data / f"{n}.nii.gz")).dataobj).T != 0 for n in names
            }

        def read_one(name):
            return np.asarray(nib.load(str(data / f"{name}.nii.gz")).dataobj).T != 0

        def size():
            return sum((data / f"{n}.nii.gz").stat().st_size for n in names)

    elif method.startswith("v013"):
        from spacetransformer import Space

        from medmask import MaskArchive, SegmentationMask

        individual = method.endswith("individual")
        file = path.with_suffix(".mska")

        def write():
            space = Space.from_nifti(first).reverse_axis_order()  # 0.1.x: (z, y, x) order
            if file.exists():
                file.unlink()
            archive = MaskArchive(str(file), mode="w", space=space)
            if individual:
                for name in names:
                    archive.add_segmask(SegmentationMask(arrays[name], {name: 1}, space), name)
            else:
                archive.add_segmask(SegmentationMask(label_map, values, space), "all")

        def read_all():
            archive = MaskArchive(str(file), mode="r")
            if individual:
                return {
                    n: archive.load_segmask(n).get_binary_mask_by_names(n)
                    for n in archive.all_names()
                }
            mask = archive.load_segmask("all")
            return {n: mask.get_binary_mask_by_names(n) for n in names}

        def read_one(name):
            archive = MaskArchive(str(file), mode="r")
            mask = archive.load_segmask(name if individual else "all")
            return mask.get_binary_mask_by_names(name)

        def size():
            return file.stat().st_size

    elif method in ("crackle", "crackle-zstd", "zstd", "npz"):
        file = path.with_suffix({"npz": ".npz"}.get(method, ".bin"))
        shape = (179, 192, 294)

        if method == "npz":

            def encode():
                np.savez_compressed(file, labels=label_map)

            def decode():
                return np.load(file)["labels"]
        else:
            import zstandard

            def encode():
                if method == "zstd":
                    blob = zstandard.ZstdCompressor(level=19).compress(label_map.tobytes())
                else:
                    import crackle

                    blob = crackle.compress(label_map)
                    if method == "crackle-zstd":
                        blob = zstandard.ZstdCompressor(level=19).compress(blob)
                file.write_bytes(blob)

            def crackle_bytes():
                blob = file.read_bytes()
                if method == "crackle-zstd":
                    blob = zstandard.ZstdDecompressor().decompress(blob)
                return blob

            def decode():
                if method == "zstd":
                    raw = zstandard.ZstdDecompressor().decompress(file.read_bytes())
                    return np.frombuffer(raw, np.uint8).reshape(shape)
                import crackle

                return crackle.decompress(crackle_bytes())

        write = encode

        def read_all():
            labels = decode()
            return {n: labels == values[n] for n in names}

        def read_one(name):
            if method.startswith("crackle"):
                import crackle

                return crackle.decompress(crackle_bytes(), label=values[name]) != 0
            return decode() == values[name]

        def size():
            return file.stat().st_size

    elif method.startswith("medmask-"):
        import medmask

        level, _, layout = method.removeprefix("medmask-").partition("-")
        file = path.with_suffix(".mska")

        def write():
            space = medmask.Space.from_nifti(first)
            with medmask.MaskArchive(
                file,
                "w",
                space=space,
                level=level,
                layer_per_structure=False if layout == "shared" else None,
            ) as archive:
                for name in names:
                    archive.add(name, arrays[name])

        def read_all():
            with medmask.open(file) as archive:
                return archive.read_each(names)

        def read_one(name):
            with medmask.open(file) as archive:
                return archive[name]

        def size():
            return file.stat().st_size
    else:
        raise SystemExit(f"unknown method {method}")

    if memory_only:
        before = rss_mb()
        result = read_all()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        assert len(result) == len(names)
        return {"method": method, "peak_read_all_mb": round(max(peak - before, 0.0), 1)}

    _, write_s = best_of(max(1, repeat // 2), write)
    everything, read_all_s = best_of(repeat, read_all)
    # What was read is what was stored (a label map loses the overlapping voxels).
    mismatched = [n for n in names if not np.array_equal(everything[n], arrays[n] != 0)]
    del everything
    empty, read_empty_s = best_of(repeat, lambda: read_one(ONE_EMPTY))
    full, read_full_s = best_of(repeat, lambda: read_one(ONE_FULL))
    assert not empty.any() and np.array_equal(full, arrays[ONE_FULL] != 0)
    return {
        "method": method,
        "bytes": size(),
        "write_s": write_s,
        "read_all_s": read_all_s,
        "read_one_empty_s": read_empty_s,
        "read_one_full_s": read_full_s,
        "mismatched": mismatched,
    }


# ---------------------------------------------------------------- orchestration (any python)


def run_worker(
    python: str, method: str, workdir: pathlib.Path, repeat: int, memory_only: bool = False
) -> dict:
    command = [
        python,
        __file__,
        "--worker",
        method,
        "--workdir",
        str(workdir),
        "--repeat",
        str(repeat),
    ]
    if memory_only:
        command.append("--memory-only")
    env = dict(os.environ, PYTHONPATH="")  # the worker imports its own venv's medmask
    done = subprocess.run(
        command, capture_output=True, text=True, env=env, cwd=tempfile.gettempdir()
    )
    if done.returncode != 0:
        raise SystemExit(f"{method} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def plot(csv_path: pathlib.Path, png_path: pathlib.Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with open(csv_path) as f:
        rows = list(csv.DictReader(f))
    labels = [r["label"] for r in rows]
    panels = [
        ("ratio", "ratio to the 117 .nii.gz (higher is better)", False),
        ("read_all_s", "read all 117 as bool arrays, s (log)", True),
        ("read_one_full_s", f"read one ({ONE_FULL}), s (log)", True),
        ("write_s", "write, s (log)", True),
    ]
    fig, axes = plt.subplots(1, len(panels), figsize=(19, 5.5), sharey=True)
    colors = ["#1f77b4" if r["label"].startswith("MedMask") else "#999999" for r in rows]
    for ax, (key, title, log) in zip(axes, panels):
        ax.barh(labels, [float(r[key]) for r in rows], color=colors)
        ax.set_title(title, fontsize=10)
        if log:
            ax.set_xscale("log")
        ax.invert_yaxis() if ax is axes[0] else None
    fig.suptitle("examples/data/s0000: 117 TotalSegmentator masks, 294 x 192 x 179 voxels")
    fig.tight_layout()
    fig.savefig(png_path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="repetitions of each read")
    parser.add_argument("--peers-python", default=str(ROOT / ".venv-peers" / "bin" / "python"))
    parser.add_argument("--main-python", default=sys.executable)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=pathlib.Path, help=argparse.SUPPRESS)
    parser.add_argument("--memory-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--plot", nargs=2, type=pathlib.Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        print(json.dumps(worker(args.worker, args.workdir, DATA, args.repeat, args.memory_only)))
        return
    if args.plot:
        plot(*args.plot)
        return
    if not pathlib.Path(args.peers_python).exists():
        raise SystemExit(f"{args.peers_python} missing: run bench/setup_bench_venv.sh first")

    pythons = {"main": args.main_python, "peers": args.peers_python}
    rows = []
    with tempfile.TemporaryDirectory(prefix="medmask-compare-") as tmp:
        workdir = pathlib.Path(tmp)
        for method, venv, label in METHODS:
            print(f"measuring {label} ...", file=sys.stderr, flush=True)
            row = run_worker(pythons[venv], method, workdir, args.repeat)
            row.update(run_worker(pythons[venv], method, workdir, 1, memory_only=True))
            row["label"] = label
            rows.append(row)

    nifti_bytes = rows[0]["bytes"]
    for row in rows:
        row["ratio"] = nifti_bytes / row["bytes"]
    RESULTS.mkdir(parents=True, exist_ok=True)
    fields = [
        "label",
        "method",
        "bytes",
        "ratio",
        "write_s",
        "read_all_s",
        "read_one_empty_s",
        "read_one_full_s",
        "peak_read_all_mb",
        "mismatched",
    ]
    csv_path = RESULTS / "compare.csv"
    with open(csv_path, "w", newline="") as f:
        out = csv.DictWriter(f, fieldnames=fields)
        out.writeheader()
        for row in rows:
            out.writerow({**{k: row[k] for k in fields}, "mismatched": " ".join(row["mismatched"])})
    subprocess.run(
        [args.peers_python, __file__, "--plot", str(csv_path), str(RESULTS / "compare.png")],
        check=True,
    )

    print(
        f"\n117 masks of examples/data/s0000, best of {args.repeat} reads "
        f"({max(1, args.repeat // 2)} writes)\n"
    )
    print(
        f"| storage | bytes | ratio | write s | read all s | read {ONE_EMPTY} s | "
        f"read {ONE_FULL} s | read-all peak MB | exact |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        exact = "yes" if not r["mismatched"] else f"no ({', '.join(r['mismatched'])})"
        print(
            f"| {r['label']} | {r['bytes']:,} | {r['ratio']:.1f}:1 | {r['write_s']:.2f} | "
            f"{r['read_all_s']:.3f} | {r['read_one_empty_s']:.4f} | "
            f"{r['read_one_full_s']:.4f} | {r['peak_read_all_mb']:.0f} | {exact} |"
        )

    by = {r["method"]: r for r in rows}
    ours = by["medmask-default"]
    print("\nTargets (MedMask default):")
    checks = [
        (
            "read all vs medmask 0.1.3 one map",
            by["v013-combined"]["read_all_s"],
            ours["read_all_s"],
            5,
        ),
        ("read all vs nibabel", by["nibabel"]["read_all_s"], ours["read_all_s"], 100),
    ]
    for layout in ("v013-individual", "v013-combined"):
        for key, name in (("read_one_empty_s", ONE_EMPTY), ("read_one_full_s", ONE_FULL)):
            checks.append((f"read {name} vs {by[layout]['label']}", by[layout][key], ours[key], 3))
    for what, theirs, mine, target in checks:
        speedup = theirs / mine
        verdict = "met" if speedup >= target else "NOT met"
        print(f"- {what}: {speedup:.1f}x (target >= {target}x: {verdict})")


if __name__ == "__main__":
    main()
