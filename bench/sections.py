"""REPORT.md holds the ISO report of run.py and sections other benchmarks write between their own
markers (`<!-- NAME:begin -->` ... `<!-- NAME:end -->`): each tool replaces only its own, and
run.py, which writes the report anew, keeps the others."""

from __future__ import annotations

import re
from pathlib import Path

_SECTION = re.compile(r"<!-- ([\w-]+):begin -->.*?<!-- \1:end -->", re.S)


def put_section(report: Path, begin: str, end: str, section: str) -> None:
    """Put ``section`` (which starts with ``begin`` and ends with ``end``) into ``report``,
    replacing an earlier one, else after what is there."""
    text = report.read_text() if report.exists() else ""
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        tail = rest.split(end, 1)[1].lstrip("\n")
        text = head + section + ("\n" + tail if tail else "")
    else:
        text = text.rstrip("\n") + ("\n\n" if text else "") + section
    report.write_text(text if text.endswith("\n") else text + "\n")


def write_keeping_sections(report: Path, text: str) -> None:
    """Write ``text`` as the report, then every marked section the old report held."""
    old = report.read_text() if report.exists() else ""
    report.write_text(text)
    for match in _SECTION.finditer(old):
        name = match.group(1)
        put_section(report, f"<!-- {name}:begin -->", f"<!-- {name}:end -->", match.group(0))
