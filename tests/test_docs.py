"""The repository stands alone: no file points outside it, and every link to a docs/ section resolves."""
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Spelled in two parts so that this file does not match itself.
OUTSIDE = [b"../" + b"shared", b"CONT" + b"RACT"]
DOC_LINK = re.compile(r"(?:docs/|\()(\w+)\.md#([\w-]+)")


def tracked_files() -> list[Path]:
    """Every file in the repository (what a fresh clone holds)."""
    names = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True).stdout
    return [ROOT / name for name in names.decode().split("\0") if name and (ROOT / name).is_file()]


def anchors(markdown: Path) -> set[str]:
    """The anchors of a Markdown file's headings, as GitHub makes them."""
    found = set()
    for line in markdown.read_text().splitlines():
        if line.startswith("#"):
            heading = line.lstrip("#").strip().lower()
            found.add(re.sub(r"[^\w\- ]", "", heading).replace(" ", "-"))
    return found


def test_no_file_refers_to_anything_outside_the_repository():
    offenders = [f"{path.relative_to(ROOT)}: {word.decode()}" for path in tracked_files()
                 for word in OUTSIDE if word in path.read_bytes()]
    assert offenders == []


def test_every_link_to_a_docs_section_finds_its_heading():
    docs = ROOT / "docs"
    broken = []
    for path in tracked_files():
        if path.suffix not in {".py", ".md"}:
            continue
        for page, anchor in DOC_LINK.findall(path.read_text()):
            target = docs / f"{page}.md"
            if target.is_file() and anchor not in anchors(target):
                broken.append(f"{path.relative_to(ROOT)}: docs/{page}.md#{anchor}")
    assert broken == []
