"""The frame's size rules, checked so a later change cannot quietly undo them: the composition root stays small,
no module in vssd/ passes 600 lines, no class 300, and the documents are named by their titles."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "vssd"
DOCUMENT_NUMBER = re.compile(r"seeds? ?0[0-9][0-9]", re.IGNORECASE)


def _sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_the_composition_root_is_at_most_300_lines() -> None:
    assert len((PACKAGE / "app.py").read_text().splitlines()) <= 300


def test_no_module_over_600_lines_and_no_class_over_300() -> None:
    too_long = []
    for path in _sources():
        text = path.read_text()
        if len(text.splitlines()) > 600:
            too_long.append(f"{path.relative_to(ROOT)}: {len(text.splitlines())} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ClassDef) and node.end_lineno is not None:
                size = node.end_lineno - node.lineno + 1
                if size > 300:
                    too_long.append(f"{path.relative_to(ROOT)}: class {node.name} {size} lines")
    assert not too_long, too_long


def test_code_and_docs_name_the_documents_by_title() -> None:
    files = [*_sources(), *sorted((ROOT / "docs").rglob("*.md"))]
    hits = [f"{p.relative_to(ROOT)}:{i}" for p in files for i, line in enumerate(p.read_text().splitlines(), 1)
            if DOCUMENT_NUMBER.search(line)]
    assert not hits, hits
