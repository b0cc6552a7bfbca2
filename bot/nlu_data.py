"""Reading the Rasa-format NLU files of nlu/ (training) and nlu/tests/ (held out)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml


@dataclass(frozen=True)
class Example:
    language: str
    intent: str
    text: str


def read_examples(path: Path) -> list[Example]:
    """Every example of one NLU file; the language is the file name (nlu/ar-Latn.yml)."""
    with path.open(encoding="utf-8") as f:
        data = yaml.safe_load(f) or {}
    examples: list[Example] = []
    for block in data.get("nlu") or ():
        intent = block.get("intent")
        if not intent:
            continue
        for line in str(block.get("examples") or "").splitlines():
            text = line.strip()
            if text.startswith("- "):
                examples.append(Example(path.stem, str(intent), text[2:].strip()))
    return examples


def read_folder(folder: Path) -> list[Example]:
    """Every example of the top-level *.yml files of a folder, file by file."""
    return [ex for path in sorted(folder.glob("*.yml")) for ex in read_examples(path)]
