"""Handing one language to a translator (PO or CSV) and taking it back into content/."""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from babel.messages.catalog import Catalog
from babel.messages.pofile import PoFileError, read_po, write_po

from bot.store.content_files import ContentBundle, TopicRecord
from bot.store.content_status import answer_state

FIELDS = ("title", "answer")
CSV_COLUMNS = ("context", "source_revision", "source", "translation")


@dataclass(frozen=True)
class Unit:
    """One string to translate: `<topic>.<field>` with its source text and revision."""

    context: str
    source_revision: int
    source: str
    translation: str
    needs_review: bool


def units(bundle: ContentBundle, language: str) -> list[Unit]:
    result = []
    for topic in sorted(bundle.topics, key=lambda t: t.id):
        answers = {a.language: a for a in topic.answers}
        source = answers.get(topic.source_language)
        if source is None or language == topic.source_language:
            continue
        target = answers.get(language)
        review = answer_state(topic, language) != "complete"
        for name in FIELDS:
            text = source.title if name == "title" else source.text
            done = "" if target is None else (target.title if name == "title" else target.text)
            result.append(Unit(f"{topic.id}.{name}", source.revision or 0, text, done, review))
    return result


def export_po(bundle: ContentBundle, language: str) -> bytes:
    catalog = Catalog(locale=None, project="Approdo content", fuzzy=False)
    catalog.language_team = language
    for unit in units(bundle, language):
        catalog.add(
            unit.source, unit.translation, context=unit.context,
            auto_comments=[f"source revision: {unit.source_revision}"],
            flags=("fuzzy",) if unit.needs_review and unit.translation else (),
        )  # fmt: skip
    out = io.BytesIO()
    write_po(out, catalog, width=0, include_previous=False)
    header = f"# Approdo content for translation. Language: {language}\n".encode()
    return header + out.getvalue()


def export_csv(bundle: ContentBundle, language: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for unit in units(bundle, language):
        writer.writerow([unit.context, unit.source_revision, unit.source, unit.translation])
    return out.getvalue()


class TranslationImportError(ValueError):
    """The translation file cannot be imported; nothing was written."""


def read_translations(path: Path) -> tuple[str, dict[str, tuple[int, str]]]:
    """(language, {context: (source revision, translation)}) from a PO or CSV file."""
    raw = path.read_bytes()
    if path.suffix == ".po":
        first = raw.split(b"\n", 1)[0].decode("utf-8", "replace")
        language = first.rsplit("Language:", 1)[-1].strip() if "Language:" in first else ""
        try:
            catalog = read_po(io.BytesIO(raw), abort_invalid=True)
        except (PoFileError, ValueError, UnicodeDecodeError) as exc:
            raise TranslationImportError(f"{path}: not a readable PO file ({exc})") from exc
        entries = {}
        for message in catalog:
            if not message.id or not message.context or not message.string or message.fuzzy:
                continue
            revision = next(
                (int(c.split(":")[1]) for c in message.auto_comments if c.startswith("source revision:")),
                0,
            )
            entries[message.context] = (revision, str(message.string))
        return language, entries
    if path.suffix == ".csv":
        language = path.stem.rsplit(".", 1)[-1]
        try:
            rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8"))))
        except (UnicodeDecodeError, csv.Error) as exc:
            raise TranslationImportError(f"{path}: not a readable CSV file ({exc})") from exc
        if rows and set(CSV_COLUMNS) - set(rows[0]):
            raise TranslationImportError(f"{path}: the columns must be {', '.join(CSV_COLUMNS)}")
        return language, {
            r["context"]: (int(r["source_revision"] or 0), r["translation"])
            for r in rows
            if r["translation"].strip()
        }
    raise TranslationImportError(f"{path}: use a .po or .csv file")


class _LiteralDumper(yaml.SafeDumper):
    pass


def _str_presenter(dumper: yaml.SafeDumper, value: str) -> Any:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_LiteralDumper.add_representer(str, _str_presenter)


def apply_translations(
    bundle: ContentBundle,
    content_root: Path,
    language: str,
    entries: dict[str, tuple[int, str]],
    *,
    reviewer: str,
) -> list[str]:
    """Write the translations into the topic files, marked as reviewed by `reviewer`.

    All files are prepared first and written only if every entry matched a topic.
    Returns the files changed.
    """
    topics: dict[str, TopicRecord] = {t.id: t for t in bundle.topics}
    updates: dict[str, dict[str, str | int]] = {}
    for context, (revision, text) in entries.items():
        topic_id, _, field = context.rpartition(".")
        if topic_id not in topics or field not in FIELDS:
            raise TranslationImportError(f"unknown entry {context!r}: no such topic or field")
        update = updates.setdefault(topic_id, {})
        update[field] = text.strip() + ("\n" if field == "answer" else "")
        update["revision"] = revision
    pending: dict[Path, str] = {}
    for topic_id, update in updates.items():
        path = content_root / topics[topic_id].file
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        answer = data["answers"].setdefault(language, {})
        if "title" in update:
            answer["title"] = update["title"]
        if "answer" in update:
            answer["answer"] = update["answer"]
        if "title" not in answer or "answer" not in answer:
            raise TranslationImportError(f"{topic_id}: a new translation needs both title and answer")
        answer["translated_from_revision"] = update["revision"]
        answer["machine_translated"] = False
        answer["reviewed_by"] = reviewer
        pending[path] = yaml.dump(data, Dumper=_LiteralDumper, allow_unicode=True, sort_keys=False, width=100)
    for path, text in pending.items():
        tmp = path.with_suffix(".yml.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    return sorted(str(p.relative_to(content_root)) for p in pending)
