import io
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po

from bot.store.content_files import read_content
from bot.store.content_status import answer_state
from bot.store.translation_io import (
    TranslationImportError,
    apply_translations,
    export_csv,
    export_po,
    read_translations,
)
from tests.helpers.content import copy_content


def test_po_round_trip_marks_reviewed(tmp_path: Path) -> None:
    content = copy_content(tmp_path)
    bundle = read_content(content)
    catalog = read_po(io.BytesIO(export_po(bundle, "ti")))
    entry = catalog.get(
        next(m.id for m in catalog if m.context == "legal_citizenship.title"),
        context="legal_citizenship.title",
    )
    assert entry is not None and entry.string == ""  # no Tigrinya answer yet
    entry.string = "ዜግነት ጣልያን"
    body = next(m for m in catalog if m.context == "legal_citizenship.answer")
    body.string = "ናይ ፈተነ መልሲ።"
    po = tmp_path / "ti.po"
    out = io.BytesIO()
    write_po(out, catalog, width=0)
    po.write_bytes(b"# Approdo content for translation. Language: ti\n" + out.getvalue())

    language, entries = read_translations(po)
    assert language == "ti" and set(entries) == {"legal_citizenship.title", "legal_citizenship.answer"}
    changed = apply_translations(bundle, content.parent, language, entries, reviewer="Ms Reviewer")
    assert changed == ["content/topics/legal/legal_citizenship.yml"]

    topic = next(t for t in read_content(content).topics if t.id == "legal_citizenship")
    tigrinya = next(a for a in topic.answers if a.language == "ti")
    assert tigrinya.title == "ዜግነት ጣልያን" and tigrinya.reviewed_by == "Ms Reviewer"
    assert not tigrinya.machine_translated and answer_state(topic, "ti") == "complete"
    assert not read_content(content).problems


def test_csv_export_has_every_topic(tmp_path: Path) -> None:
    bundle = read_content(copy_content(tmp_path))
    rows = export_csv(bundle, "fr").splitlines()
    assert rows[0] == "context,source_revision,source,translation"
    assert sum(1 for r in rows if r.startswith("health_mental.title")) == 1


def test_unknown_entry_writes_nothing(tmp_path: Path) -> None:
    content = copy_content(tmp_path)
    before = {p: p.read_bytes() for p in content.rglob("*.yml")}
    with pytest.raises(TranslationImportError):
        apply_translations(
            read_content(content),
            content.parent,
            "fr",
            {"legal_citizenship.title": (1, "Citoyenneté"), "nope.title": (1, "x")},
            reviewer="r",
        )
    assert {p: p.read_bytes() for p in content.rglob("*.yml")} == before


def test_broken_po_is_refused(tmp_path: Path) -> None:
    po = tmp_path / "x.po"
    po.write_bytes(b'garbage line\nmsgid "a"\nmsgstr "b"\n')
    with pytest.raises(TranslationImportError):
        read_translations(po)
