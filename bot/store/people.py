"""Reading and writing people, feedback and processed updates."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Table, select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, delete

from bot.core.model import Feedback, Person
from bot.store.db import insert_or_merge, without_waiting_for_disk
from bot.store.models import FeedbackRow, PersonRow, ProcessedUpdate

RECENT_TOPICS = 5
# Every message reads and writes a person and an update id: these go through SQLAlchemy
# Core, one statement each, not the ORM's session and unit of work.
PERSON: Table = PersonRow.__table__  # type: ignore[attr-defined]
PROCESSED: Table = ProcessedUpdate.__table__  # type: ignore[attr-defined]


class People:
    """The person table, behind plain get/save/forget."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, key: str) -> Person:
        with self.engine.connect() as connection:
            row = connection.execute(select(PERSON).where(PERSON.c.key == key)).first()
        if row is None:
            return Person(key=key)
        return Person(
            key=row.key, language=row.language, second_language=row.second_language,
            province=row.province, onboarded=row.onboarded, unsure_count=row.unsure_count,
            recent_topics=list(row.recent_topics), banned=row.banned,
        )  # fmt: skip

    def save(self, person: Person) -> None:
        values = {
            "language": person.language, "second_language": person.second_language,
            "province": person.province, "onboarded": person.onboarded,
            "unsure_count": person.unsure_count, "banned": person.banned,
            "recent_topics": person.recent_topics[-RECENT_TOPICS:], "updated_at": datetime.now(UTC),
        }  # fmt: skip
        statement = insert_or_merge(self.engine, PERSON).values(key=person.key, **values)
        statement = statement.on_conflict_do_update(index_elements=[PERSON.c.key], set_=values)
        with self.engine.begin() as connection:
            without_waiting_for_disk(connection)
            connection.execute(statement)

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

    def already_processed(self, update_id: int) -> bool:
        with self.engine.connect() as connection:
            found = connection.execute(
                select(PROCESSED.c.update_id).where(PROCESSED.c.update_id == update_id)
            )
            return found.first() is not None

    def mark_processed(self, update_id: int) -> None:
        """Remember a handled update (a second mark of the same id is harmless)."""
        statement = insert_or_merge(self.engine, PROCESSED).values(
            update_id=update_id, created_at=datetime.now(UTC)
        )
        with self.engine.begin() as connection:
            without_waiting_for_disk(connection)
            connection.execute(statement.on_conflict_do_nothing(index_elements=[PROCESSED.c.update_id]))
