from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from bot.settings import PROJECT_ROOT
from bot.store.content_files import read_content
from bot.store.models import Answer, ContentRevision, Service, Topic
from bot.store.sync import sync_content
from tests.helpers.content import copy_content


def counts(engine: Engine) -> tuple[int, int, int, int]:
    with Session(engine) as s:
        return tuple(
            s.exec(select(func.count()).select_from(t)).one()
            for t in (Topic, Answer, Service, ContentRevision)
        )  # type: ignore[return-value]


def test_sync_loads_everything_then_is_idempotent(engine: Engine) -> None:
    bundle = read_content(PROJECT_ROOT / "content")
    with Session(engine) as session:
        first = sync_content(session, bundle, author="editor")
    assert first.revision == 1 and len(first.added["topic"]) == len(bundle.topics)
    before = counts(engine)
    assert before[0] == len(bundle.topics) and before[2] == len(bundle.services)
    with Session(engine) as session:
        second = sync_content(session, read_content(PROJECT_ROOT / "content"), author="editor")
    assert second.unchanged and second.revision is None
    assert counts(engine) == before


def test_sync_reports_changes_and_removals(engine: Engine, tmp_path: Path) -> None:
    content = copy_content(tmp_path)
    with Session(engine) as session:
        sync_content(session, read_content(content), author="editor")
    topic_file = content / "topics" / "health" / "health_mental.yml"
    topic_file.write_text(topic_file.read_text().replace("sensitivity: yellow", "sensitivity: red"))
    (content / "topics" / "legal" / "legal_citizenship.yml").unlink()
    with Session(engine) as session:
        report = sync_content(session, read_content(content), author="editor")
    assert report.changed["topic"] == ["health_mental"]
    assert report.removed["topic"] == ["legal_citizenship"]
    assert all(k.startswith("legal_citizenship/") for k in report.removed["answer"])
    with Session(engine) as session:
        assert session.get(Topic, "legal_citizenship") is None
        assert session.get(Topic, "health_mental").sensitivity == "red"  # type: ignore[union-attr]
        assert session.exec(select(ContentRevision)).all()[-1].summary["removed"]["topic"] == [
            "legal_citizenship"
        ]


def test_a_failure_in_the_middle_changes_nothing(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Session(engine) as session:
        sync_content(session, read_content(PROJECT_ROOT / "content"), author="editor")
    before = counts(engine)
    content = copy_content(tmp_path)
    (content / "topics" / "legal" / "legal_citizenship.yml").unlink()
    bundle = read_content(content)
    calls = {"n": 0}
    original = Session.flush

    def failing_flush(self: Session, *args: object, **kwargs: object) -> None:
        calls["n"] += 1
        if calls["n"] == 3:  # after topics and answers were written, before services
            raise RuntimeError("disk full")
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Session, "flush", failing_flush)
    with pytest.raises(RuntimeError), Session(engine) as session:
        sync_content(session, bundle, author="editor")
    monkeypatch.undo()
    assert counts(engine) == before
    with Session(engine) as session:
        assert session.get(Topic, "legal_citizenship") is not None
