"""Reading and writing people, feedback and processed updates."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete

from bot.core.model import Feedback, Person
from bot.store.models import FeedbackRow, PersonRow, ProcessedUpdate

RECENT_TOPICS = 5


class People:
    """The person table, behind plain get/save/forget."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, key: str) -> Person:
        with Session(self.engine) as session:
            row = session.get(PersonRow, key)
        if row is None:
            return Person(key=key)
        return Person(
            key=row.key, language=row.language, second_language=row.second_language,
            province=row.province, onboarded=row.onboarded, unsure_count=row.unsure_count,
            recent_topics=list(row.recent_topics), banned=row.banned,
        )  # fmt: skip

    def save(self, person: Person) -> None:
        with Session(self.engine) as session:
            row = session.get(PersonRow, person.key) or PersonRow(
                key=person.key, updated_at=datetime.now(UTC)
            )
            row.language, row.second_language = person.language, person.second_language
            row.province, row.onboarded = person.province, person.onboarded
            row.unsure_count, row.banned = person.unsure_count, person.banned
            row.recent_topics = person.recent_topics[-RECENT_TOPICS:]
            row.updated_at = datetime.now(UTC)
            session.add(row)
            session.commit()

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
        with Session(self.engine) as session:
            return session.get(ProcessedUpdate, update_id) is not None

    def mark_processed(self, update_id: int) -> None:
        """Remember a handled update (a second mark of the same id is harmless)."""
        with Session(self.engine) as session:
            session.add(ProcessedUpdate(update_id=update_id, created_at=datetime.now(UTC)))
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
