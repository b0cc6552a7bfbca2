"""Reading and writing people and feedback."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Table, bindparam, select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, delete

from bot.core.model import Feedback, Person
from bot.store.db import insert_or_merge, without_waiting_for_disk
from bot.store.models import FeedbackRow, PersonRow

RECENT_TOPICS = 5
# Every message reads and writes a person: through SQLAlchemy Core, one statement each,
# not the ORM's session and unit of work.
PERSON: Table = PersonRow.__table__  # type: ignore[attr-defined]


PERSON_FIELDS = (
    "language", "second_language", "province", "onboarded", "unsure_count", "banned",
    "recent_topics", "updated_at",
)  # fmt: skip


class People:
    """The person table, behind plain get/save/forget."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # Built once with bound parameters: SQLAlchemy then reuses their cache keys and
        # compiled forms instead of rebuilding them on every message (py-spy, bench.load).
        self._get = select(PERSON).where(PERSON.c.key == bindparam("key"))
        upsert = insert_or_merge(engine, PERSON)
        self._save = upsert.on_conflict_do_update(
            index_elements=[PERSON.c.key], set_={name: upsert.excluded[name] for name in PERSON_FIELDS}
        )

    def get(self, key: str) -> Person:
        with self.engine.connect() as connection:
            row = connection.execute(self._get, {"key": key}).first()
        if row is None:
            return Person(key=key)
        return Person(
            key=row.key, language=row.language, second_language=row.second_language,
            province=row.province, onboarded=row.onboarded, unsure_count=row.unsure_count,
            recent_topics=list(row.recent_topics), banned=row.banned,
        )  # fmt: skip

    def save(self, person: Person) -> None:
        values = {
            "key": person.key, "language": person.language, "second_language": person.second_language,
            "province": person.province, "onboarded": person.onboarded,
            "unsure_count": person.unsure_count, "banned": person.banned,
            "recent_topics": person.recent_topics[-RECENT_TOPICS:], "updated_at": datetime.now(UTC),
        }  # fmt: skip
        with self.engine.begin() as connection:
            without_waiting_for_disk(connection)
            connection.execute(self._save, values)

    def forget(self, key: str) -> None:
        with Session(self.engine) as session:
            session.exec(delete(PersonRow).where(col(PersonRow.key) == key))
            session.commit()

    def record_feedback(self, feedback: Feedback) -> None:
        with Session(self.engine) as session:
            session.add(
                FeedbackRow(
                    topic=feedback.topic,
                    language=feedback.language,
                    useful=feedback.useful,
                    created_at=datetime.now(UTC),
                )
            )
            session.commit()
