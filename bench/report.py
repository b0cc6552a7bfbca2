"""Writing benchmark results into docs/performance.md, one section per benchmark."""

from __future__ import annotations

import json
import platform
import re
from pathlib import Path
from typing import Any

import psutil

from bot.settings import PROJECT_ROOT

DOCS = PROJECT_ROOT / "docs"
RESULTS = DOCS / "bench"


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def machine() -> str:
    memory = psutil.virtual_memory().total / 2**30
    return f"{platform.processor() or platform.machine()}, {psutil.cpu_count()} cores, {memory:.0f} GiB, Python {platform.python_version()}, {platform.system()} {platform.release()}"


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB."""
    process = psutil.Process(pid)
    total = process.memory_info().rss
    for child in process.children(recursive=True):
        try:
            total += child.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total / 2**20


def save_json(name: str, data: Any) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path


def write_section(name: str, body: str) -> None:
    """Replace (or add) the section between <!-- name --> markers in docs/performance.md."""
    path = DOCS / "performance.md"
    text = (
        path.read_text()
        if path.exists()
        else "# Performance\n\nMeasured numbers only; each section says how to reproduce it.\n"
    )
    start, end = f"<!-- {name} -->", f"<!-- /{name} -->"
    block = f"{start}\n{body.strip()}\n{end}"
    if start in text:
        text = re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text)
