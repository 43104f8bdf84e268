#!/usr/bin/env python3
"""Sizes and decode times of the MedMask codec against its peers, measured in one run.

Peers: crackle (crackle-codec), crackle then zstd-19, zstd-19 of the raw map. Our codec is called
through bench/codec_tool (built with -DMEDMASK_BUILD_BENCH=ON) and decodes with decode_chunks, as
the archive does, on all cores and on one thread. Prints a Markdown table and writes
bench/results/codec_peers.csv. Python packages: bench/requirements-bench.txt.

    python3 bench/codec_peers.py [--tool build/h-codec/bench/codec_tool] [--case s0000|all]

Cases: s0000 (the 117 masks of examples/data/s0000 folded into one uint8 map, label i+1 for the
i-th file in sorted order) and synthetic ones (small lesions, a CT-like multi-label uint16 map,
thin vessels, noise, empty, full, 1x1x1). Times are the minimum of several runs; the machine's
load changes them, so compare within a run only.
"""

import argparse
import csv
import glob
import os
import platform
import subprocess
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NIFTI_BYTES = 5_367_103  # the 117 .nii.gz files of examples/data/s0000


def sample_case():
    import nibabel as nib

    files = sorted(glob.glob(os.path.join(ROOT, "examples/data/s0000/*.nii.gz")))
    out = None
    for i, f in enumerate(files):
        a = np.asanyarray(nib.load(f).dataobj)
        if out is None:
            out = np.zeros(a.shape, np.uint8)
        out[a > 0] = i + 1
    return np.ascontiguousarray(out.transpose(2, 1, 0))  # nibabel (x,y,z) -> numpy (z,y,x)


def ball(shape, centre, radius):
    z, y, x = np.ogrid[: shape[0], : shape[1], : shape[2]]
    return (z - centre[0]) ** 2 + (y - centre[1]) ** 2 + (x - centre[2]) ** 2 <= radius**2


def synthetic_cases(rng):
    cases = {}
    lesions = np.zeros((120, 256, 256), np.uint8)
    for i in range(12):
        c = rng.integers(10, 110), rng.integers(20, 236), rng.integers(20, 236)
        lesions[ball(lesions.shape, c, rng.uniform(1.5, 5))] = 1 + i % 3
    cases["small_lesions"] = lesions
    # CT-like: nested blobs with many uint16 labels >= 1000, 512 x 512.
    ct = np.zeros((48, 512, 512), np.uint16)
    z, y, x = np.ogrid[:48, :512, :512]
    body = ((y - 256) / 200.0) ** 2 + ((x - 256) / 240.0) ** 2 <= 1
    ct[np.broadcast_to(body, ct.shape)] = 1000
    for i in range(60):
        c = (rng.integers(0, 48), rng.integers(100, 412), rng.integers(80, 432))
        r = rng.uniform(6, 40)
        blob = ((z - c[0]) / (r * 0.6)) ** 2 + ((y - c[1]) / r) ** 2 + (
            (x - c[2]) / (r * 1.3)
        ) ** 2 <= 1
        ct[blob & body] = 1001 + i
    cases["ct_multilabel_u16"] = ct
    vessels = np.zeros((96, 192, 192), np.uint8)
    for i in range(20):
        p = np.array([rng.uniform(0, 96), rng.uniform(0, 192), rng.uniform(0, 192)])
        d = rng.normal(size=3)
        for _ in range(300):
            d = d + rng.normal(scale=0.3, size=3)
            d /= np.linalg.norm(d)
            p = np.clip(p + d, 0, [95, 191, 191])
            zi, yi, xi = p.astype(int)
            vessels[zi, max(0, yi - 1) : yi + 1, max(0, xi - 1) : xi + 1] = 1 + i % 2
    cases["thin_vessels"] = vessels
    cases["noise_u8"] = rng.integers(0, 256, size=(32, 128, 128), dtype=np.uint8)
    cases["noise_binary"] = (rng.random((32, 128, 128)) < 0.5).astype(np.uint8)
    cases["empty"] = np.zeros((64, 128, 128), np.uint8)
    cases["full"] = np.full((64, 128, 128), 7, np.uint8)
    cases["one_voxel"] = np.full((1, 1, 1), 5, np.uint8)
    return cases


def best_time(fn, repeats):
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def run_tool(tool, path, repeats, threads, depth):
    out = subprocess.run(
        [tool, path, "all", str(depth), str(threads), str(repeats)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    rows = {}
    for line in out.splitlines():
        fields = dict(item.split("=") for item in line.split())
        rows[int(fields["level"])] = fields
    return rows


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"


def default_tool():
    for build in ("build/bench", "build/release", "build"):
        path = os.path.join(ROOT, build, "bench/codec_tool")
        if os.path.exists(path):
            return path
    return os.path.join(ROOT, "build/release/bench/codec_tool")


def fmt(value, spec):
    return "" if value == "" else format(value, spec)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tool", default=default_tool())
    ap.add_argument("--case", default="all")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument(
        "--threads",
        type=int,
        default=os.cpu_count() or 1,
        help="threads for decode_chunks / crackle (default: all cores)",
    )
    ap.add_argument(
        "--depth",
        type=int,
        default=0,
        help="slices per chunk; 0 (default): each level's as the archive writes it",
    )
    args = ap.parse_args()
    import crackle
    import zstandard

    cases = {"s0000": sample_case()}
    if args.case == "all":
        cases.update(synthetic_cases(np.random.default_rng(7)))
    elif args.case != "s0000":
        cases = {
            k: v for k, v in synthetic_cases(np.random.default_rng(7)).items() if k == args.case
        }
    rows = []
    names = {0: "medmask fast", 1: "medmask default", 2: "medmask max"}
    with tempfile.TemporaryDirectory() as tmp:
        for name, arr in cases.items():
            path = os.path.join(tmp, name + ".npy")
            np.save(path, arr)
            raw = arr.tobytes()
            # The sample case is compared with the 117 .nii.gz files it comes from, the synthetic
            # ones with their raw size.
            reference = NIFTI_BYTES if name == "s0000" else len(raw)
            zc = zstandard.ZstdCompressor(level=19)
            zd = zstandard.ZstdDecompressor()
            t0 = time.perf_counter()
            ck = crackle.compress(arr)
            e_ck = time.perf_counter() - t0
            t0 = time.perf_counter()
            ckz = zc.compress(ck)
            e_ckz = e_ck + time.perf_counter() - t0
            t0 = time.perf_counter()
            z = zc.compress(raw)
            e_z = time.perf_counter() - t0

            def crackle_times():
                return (
                    best_time(lambda: crackle.decompress(ck, parallel=args.threads), args.repeats),
                    best_time(lambda: crackle.decompress(ck, parallel=1), args.repeats),
                )

            # crackle before and after ours, keeping the faster: the machine's load drifts.
            t_ck, t_ck1 = crackle_times()
            ours = run_tool(args.tool, path, args.repeats, args.threads, args.depth)
            ours1 = run_tool(args.tool, path, args.repeats, 1, args.depth)
            t_ck, t_ck1 = (min(a, b) for a, b in zip((t_ck, t_ck1), crackle_times()))
            t_ckz = best_time(
                lambda: crackle.decompress(zd.decompress(ckz), parallel=args.threads), args.repeats
            )
            t_z = best_time(lambda: zd.decompress(z), args.repeats)
            base = dict(
                case=name,
                shape="x".join(map(str, arr.shape)),
                dtype=str(arr.dtype),
                reference_bytes=reference,
            )
            found = [
                {
                    **base,
                    "method": "crackle",
                    "bytes": len(ck),
                    "encode_s": e_ck,
                    "decode_s": t_ck,
                    "decode_1t_s": t_ck1,
                    "ok": 1,
                },
                {
                    **base,
                    "method": "crackle+zstd19",
                    "bytes": len(ckz),
                    "encode_s": e_ckz,
                    "decode_s": t_ckz,
                    "decode_1t_s": "",
                    "ok": 1,
                },
                {
                    **base,
                    "method": "zstd19 raw",
                    "bytes": len(z),
                    "encode_s": e_z,
                    "decode_s": t_z,
                    "decode_1t_s": "",
                    "ok": 1,
                },
            ]
            for level in sorted(ours):
                f, f1 = ours[level], ours1[level]
                found.append(
                    {
                        **base,
                        "method": names[level],
                        "bytes": int(f["bytes"]),
                        "encode_s": float(f["encode_s"]),
                        "decode_s": float(f["decode_s"]),
                        "decode_1t_s": float(f1["decode_s"]),
                        "chunk_depth": int(f["depth"]),
                        "ok": int(f["ok"]) * int(f1["ok"]),
                    }
                )
            for r in found:
                r["ratio"] = reference / r["bytes"]
                r["decode_vs_crackle"] = r["decode_s"] / t_ck if t_ck > 0 else ""
                r["decode_1t_vs_crackle_1t"] = (
                    r["decode_1t_s"] / t_ck1 if r["decode_1t_s"] != "" and t_ck1 > 0 else ""
                )
            rows.extend(found)
    stamp = time.strftime("%Y-%m-%d %H:%M %Z")
    host = machine()
    os.makedirs(os.path.join(ROOT, "bench/results"), exist_ok=True)
    out_csv = os.path.join(ROOT, "bench/results/codec_peers.csv")
    keys = [
        "case",
        "shape",
        "dtype",
        "method",
        "bytes",
        "reference_bytes",
        "ratio",
        "encode_s",
        "decode_s",
        "decode_vs_crackle",
        "decode_1t_s",
        "decode_1t_vs_crackle_1t",
        "ok",
        "threads",
        "chunk_depth",
        "date",
        "machine",
    ]
    with open(out_csv, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys)
        w.writeheader()
        for r in rows:
            w.writerow(
                {"chunk_depth": "", **r, "threads": args.threads, "date": stamp, "machine": host}
            )
    depth = args.depth or "per level (fast 24, default and max 64)"
    print(
        f"Measured {stamp} on {host}; decode with {args.threads} threads (crackle parallel="
        f"{args.threads}) and with 1; chunk depth {depth}; best of {args.repeats}."
    )
    print("Ratio: to the 117 .nii.gz files (5,367,103 B) for s0000, to the raw size otherwise.\n")
    print(
        "| case | method | bytes | ratio | encode ms | decode ms | x crackle | decode 1 thread ms "
        "| x crackle 1 thread | ok |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        enc = fmt(r["encode_s"] * 1e3 if r["encode_s"] != "" else "", ".2f")
        dec1 = fmt(r["decode_1t_s"] * 1e3 if r["decode_1t_s"] != "" else "", ".2f")
        print(
            f"| {r['case']} | {r['method']} | {r['bytes']:,} | {r['ratio']:.1f} | {enc} | "
            f"{r['decode_s'] * 1e3:.2f} | {fmt(r['decode_vs_crackle'], '.2f')} | {dec1} | "
            f"{fmt(r['decode_1t_vs_crackle_1t'], '.2f')} | {'yes' if r['ok'] else 'NO'} |"
        )
    print(f"\nCSV: {out_csv}")


if __name__ == "__main__":
    main()
