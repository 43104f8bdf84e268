"""DICOM SEG speed and size on the sample case (117 TotalSegmentator structures), one run.

  .venv/bin/python bench/dicom_seg.py [--cli build/release/cli/medmask] [--highdicom-segments 5]

Export: `medmask export --to dicom-seg` of all 117 structures (BINARY, LABELMAP, LABELMAP+RLE),
best of 3 wall times including process start. Sizes against the .mska. Import: `medmask pack`
of the 117-segment BINARY SEG against highdicom's segread + get_volume of each segment;
every segment is timed (--highdicom-segments N times the first N and extrapolates linearly,
printed as such).
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def timed(*command: str) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cli", default=str(REPO / "build/release/cli/medmask"))
    parser.add_argument("--highdicom-segments", type=int, default=0, help="0 = all")
    args = parser.parse_args()
    cli = args.cli
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        archive = tmp_path / "case.mska"
        subprocess.run(
            [cli, "pack", str(REPO / "examples/data/s0000"), "-o", str(archive), "-q"], check=True
        )
        rows = []
        variants = {
            "BINARY": ["--type", "binary"],
            "LABELMAP": ["--type", "labelmap"],
            "LABELMAP + RLE": ["--type", "labelmap", "--rle"],
            "LABELMAP + JPEG-LS": ["--type", "labelmap", "--jpeg-ls"],
        }
        for name, flags in variants.items():
            folder = tmp_path / name.replace(" ", "").replace("+", "_").replace("-", "")
            folder.mkdir()
            out = folder / "seg.dcm"
            seconds = min(
                timed(
                    cli, "export", str(archive), "--to", "dicom-seg", *flags, "-o", str(out), "-q"
                )
                for _ in range(3)
            )
            size = sum(f.stat().st_size for f in folder.iterdir())
            files = len(list(folder.iterdir()))
            rows.append((name, files, size, seconds))
        mska = archive.stat().st_size
        print("| file | files | bytes | x .mska | export s (117 structures) |")
        print("|---|---:|---:|---:|---:|")
        print(f"| .mska (default) | 1 | {mska:,} | 1 | |")
        for name, files, size, seconds in rows:
            print(f"| DICOM SEG {name} | {files} | {size:,} | {size / mska:.0f} | {seconds:.2f} |")

        binary = tmp_path / "BINARY" / "seg.dcm"
        pack_s = min(
            timed(cli, "pack", str(binary), "-o", str(tmp_path / "back.mska"), "-q")
            for _ in range(3)
        )
        import highdicom as hd

        start = time.perf_counter()
        seg = hd.seg.segread(binary)
        read_s = time.perf_counter() - start
        numbers = list(seg.segment_numbers)
        timed_numbers = numbers[: args.highdicom_segments] if args.highdicom_segments else numbers
        start = time.perf_counter()
        for number in timed_numbers:
            seg.get_volume(segment_numbers=[number], combine_segments=False)
        per_segment = (time.perf_counter() - start) / len(timed_numbers)
        highdicom_total = read_s + per_segment * len(numbers)
        print()
        print("| import of the 117-segment BINARY SEG | s |")
        print("|---|---:|")
        print(f"| medmask pack (every segment, into an archive) | {pack_s:.2f} |")
        print(f"| highdicom segread | {read_s:.2f} |")
        print(
            f"| highdicom get_volume, per segment (mean of {len(timed_numbers)}) | "
            f"{per_segment:.2f} |"
        )
        note = " (extrapolated)" if len(timed_numbers) < len(numbers) else ""
        print(
            f"| highdicom segread + get_volume of all {len(numbers)} segments{note} | "
            f"{highdicom_total:.1f} |"
        )
        print(f"\nmedmask is {highdicom_total / pack_s:.0f}x faster")


if __name__ == "__main__":
    main()
