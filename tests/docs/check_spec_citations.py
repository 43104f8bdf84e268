"""Fails when a source file cites a document or a section of one that is not in the repository.

Checked citations (in src/, include/, cli/, python/, fuzz/, tests/, bench/, scripts/):
- `FORMAT.md 4.3.1`, `FORMAT.md A.2`, `MEDMASK_V1.md V1.5`: a numbered heading of that document;
- `IMPORT_EXPORT.md, "DICOM SEG"`: a heading of that document starting with the quoted words;
- any `NAME.md` in capitals: a file of docs/ or of the repository root (PROVENANCE.md: any).

Usage: check_spec_citations.py [repository root]; exit 1 with one line per broken citation.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

SCANNED = ["src", "include", "cli", "python", "fuzz", "tests", "bench", "scripts"]
SUFFIXES = {".cpp", ".hpp", ".in", ".py", ".pyi", ".sh", ".txt", ".cmake"}
DOCUMENT = re.compile(r"\b([A-Z][A-Z0-9_]*\.md)\b")
NUMBERED = re.compile(
    r"\b([A-Z][A-Z0-9_]*\.md),? (?:section )?((?:[0-9]+|[A-Z]|V[0-9]+)(?:\.[0-9]+)*)\b"
)
QUOTED = re.compile(r'\b([A-Z][A-Z0-9_]*\.md),? "([^"]+)"')
HEADING = re.compile(r"^#+ (?:Appendix )?(.+)$", re.M)


def document_path(root: Path, name: str) -> Path | None:
    for folder in (root / "docs", root):
        if (folder / name).is_file():
            return folder / name
    return None


def headings(path: Path) -> list[str]:
    return HEADING.findall(path.read_text(encoding="utf-8"))


def has_numbered(titles: list[str], number: str) -> bool:
    return any(re.match(rf"{re.escape(number)}(\.|\s|$)", title) for title in titles)


def problems(root: Path) -> list[str]:
    found = []
    this_file = Path(__file__).resolve()
    for top in SCANNED:
        for path in sorted((root / top).rglob("*")):
            if path.suffix not in SUFFIXES or not path.is_file() or path.resolve() == this_file:
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            where = path.relative_to(root)
            for name in sorted(set(DOCUMENT.findall(text))):
                if name != "PROVENANCE.md" and document_path(root, name) is None:
                    found.append(f"{where}: cites {name}, which is not in docs/ or the root")
            for name, number in sorted(set(NUMBERED.findall(text))):
                document = document_path(root, name)
                if document is not None and not has_numbered(headings(document), number):
                    found.append(f"{where}: cites {name} {number}, which has no such section")
            for name, words in sorted(set(QUOTED.findall(text))):
                document = document_path(root, name)
                titles = [title.lower() for title in headings(document)] if document else []
                if document is not None and not any(t.startswith(words.lower()) for t in titles):
                    found.append(f'{where}: cites {name} "{words}", which has no such heading')
    return found


def main() -> int:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[2])
    found = problems(root)
    for line in found:
        print(line)
    print(f"spec citations: {len(found)} problem(s)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
