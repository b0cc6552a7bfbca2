"""The mediators' desk: cases, transcripts, claims and the outbox, in the database.

No Telegram here: bot.telegram.staff makes the calls the outbox lists. Every change is
one transaction, so a restart in the middle of a case loses nothing.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from babel.dates import format_datetime
from sqlalchemy import Table, bindparam, delete, func, insert, or_, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.core import actions
from bot.core.handoff import OfficeHours
from bot.core.model import OpenCase, Person, Reply
from bot.i18n import Words, babel_locale
from bot.settings import Settings
from bot.store.models import Case, CaseMessage, Mediator, OutboxItem, PersonRow

LOCK_SECONDS = 60
MAX_BACKOFF_SECONDS = 60
MAX_ATTEMPTS = 20
CARD_MESSAGES = 5
OPEN_CASE = select(Case).where(Case.open_key == bindparam("key"))
# Every message a person sends asks this, every relayed one makes two rows, and the
# outbox worker looks for due items many times a second: SQLAlchemy Core statements built
# once, not the ORM's unit of work (py-spy, bench.load).
CASES: Table = Case.__table__  # type: ignore[attr-defined]
OUTBOX: Table = OutboxItem.__table__  # type: ignore[attr-defined]
OPEN_CASE_ID = select(CASES.c.id).where(CASES.c.open_key == bindparam("key"))
ADD_CASE = insert(CASES).returning(CASES.c.id)
ADD_CASE_MESSAGE = insert(CaseMessage.__table__)  # type: ignore[attr-defined]
ADD_OUTBOX_ITEM = insert(OUTBOX)
MARK_DONE = (
    update(OUTBOX)
    .where(OUTBOX.c.id == bindparam("item_id"))
    .values(status="done", done_at=bindparam("done_at"), locked_until=None)
)
DUE_ITEMS = (
    OUTBOX.select()
    .where(OUTBOX.c.status == "pending", OUTBOX.c.not_before <= bindparam("moment"))
    .where(or_(OUTBOX.c.locked_until.is_(None), OUTBOX.c.locked_until < bindparam("moment")))
    .order_by(OUTBOX.c.id)
    .limit(bindparam("candidates"))
)
OLDEST_PENDING = (
    select(OUTBOX.c.case_id, func.min(OUTBOX.c.id))
    .where(OUTBOX.c.status == "pending", OUTBOX.c.case_id.in_(bindparam("case_ids", expanding=True)))
    .group_by(OUTBOX.c.case_id)
)
LEASE = (
    update(OUTBOX)
    .where(OUTBOX.c.id.in_(bindparam("item_ids", expanding=True)))
    .values(locked_until=bindparam("until"))
)
CASE_BY_ID = CASES.select().where(CASES.c.id == bindparam("case_id"))
CASE_OF_TOPIC = (
    CASES.select().where(CASES.c.topic_id == bindparam("topic_id")).order_by(CASES.c.id.desc()).limit(1)
)
CLAIM_IF_FREE = (
    update(CASES)
    .where(CASES.c.id == bindparam("case_id"), CASES.c.claimed_by.is_(None))
    .values(claimed_by=bindparam("mediator_id"), claimed_at=bindparam("moment"))
)
CLOSE_CASE = (
    update(CASES)
    .where(CASES.c.id == bindparam("case_id"), CASES.c.status == "open")
    .values(status="closed", open_key=None, closed_at=bindparam("moment"))
)
CASES_BY_ID = CASES.select().where(CASES.c.id.in_(bindparam("case_ids", expanding=True)))


def now() -> datetime:
    return datetime.now(UTC)


def _outbox_row(case_id: int | None, operation: str, payload: dict[str, Any]) -> dict[str, Any]:
    """A new outbox item's columns, due now."""
    moment = now()
    return {
        "case_id": case_id, "operation": operation, "payload": payload, "status": "pending",
        "attempts": 0, "not_before": moment, "locked_until": None, "created_at": moment, "done_at": None,
    }  # fmt: skip


def _case_message_row(case_id: int, direction: str, text: str | None, **ids: int | None) -> dict[str, Any]:
    """A new transcript line's columns (`ids`: person_message_id, topic_message_id)."""
    return {
        "case_id": case_id, "direction": direction, "text": text, "created_at": now(),
        "person_message_id": ids.get("person_message_id"), "topic_message_id": ids.get("topic_message_id"),
    }  # fmt: skip


def minutes_waiting(case: Case) -> int:
    """Whole minutes since the case opened."""
    return int((now() - _aware(case.opened_at)).total_seconds() // 60)


def _aware(moment: datetime) -> datetime:
    """SQLite hands datetimes back naive; they were written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class HandoffDesk:
    """Opens, relays, claims and closes cases; queues the Telegram calls."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.group_id = settings.mediators_chat_id
        self.hours = OfficeHours.parse(settings.office_hours, settings.holidays)
        self.reminder_after = timedelta(minutes=settings.claim_reminder_minutes)
        self.retention = timedelta(days=settings.retention_days)
        self.staff = Words(settings.staff_language)
        # PostgreSQL: two workers skip each other's rows instead of waiting for them.
        postgres = engine.dialect.name == "postgresql"
        self._due_items = DUE_ITEMS.with_for_update(skip_locked=True) if postgres else DUE_ITEMS

    # -- the person's side -----------------------------------------------------------

    def open_case_of(self, person_key: str) -> Case | None:
        """Asked for every message a person sends: the statement is built once (OPEN_CASE)."""
        with Session(self.engine) as session:
            return session.exec(OPEN_CASE, params={"key": person_key}).first()

    def open_case(self, person: Person, chat_id: int, effect: OpenCase, recent: Sequence[str]) -> list[Reply]:
        """Open a case (one per person) and say so to the person, in their language."""
        words = Words(effect.language)
        if self.open_case_id(person.key) is not None:
            return [Reply(html.escape(words("case.already_open")))]
        case = Case(
            person_key=person.key, chat_id=chat_id, open_key=person.key, reason=effect.reason,
            language=effect.language, province=person.province, domain=effect.domain,
            priority=effect.priority, topics_asked=list(person.recent_topics), opened_at=now(),
        )  # fmt: skip
        try:
            with self.engine.begin() as connection:
                case_id = connection.execute(ADD_CASE, case.model_dump(exclude={"id"})).scalar_one()
                lines = [_case_message_row(case_id, "in", text) for text in recent[-CARD_MESSAGES:]]
                if lines:
                    connection.execute(ADD_CASE_MESSAGE, lines)
                if self.group_id is not None:
                    connection.execute(ADD_OUTBOX_ITEM, _outbox_row(case_id, "create_topic", {}))
        except IntegrityError:  # another worker opened one a moment ago
            return [Reply(html.escape(words("case.already_open")))]
        return [self._opened_reply(words, priority=effect.priority)]

    def _opened_reply(self, words: Words, *, priority: bool) -> Reply:
        reopen = self.hours.next_opening(now())
        if reopen is not None and not priority:
            when = format_datetime(
                reopen, "EEEE HH:mm", tzinfo=reopen.tzinfo, locale=babel_locale(words.language)
            )
            return Reply(html.escape(words("case.out_of_hours", when=when)))
        if priority:
            return Reply(html.escape(words("case.opened_priority")))
        return Reply(html.escape(words("case.opened")))

    def open_case_id(self, person_key: str) -> int | None:
        """The person's open case, if any: asked for every message a person sends."""
        with self.engine.connect() as connection:
            return connection.execute(OPEN_CASE_ID, {"key": person_key}).scalar()

    def from_person(self, case_id: int, *, message_id: int, text: str | None) -> None:
        """A person's message during a case: keep it and copy it into the topic."""
        with self.engine.begin() as connection:
            connection.execute(
                ADD_CASE_MESSAGE, _case_message_row(case_id, "in", text, person_message_id=message_id)
            )
            if self.group_id is not None:
                item = _outbox_row(case_id, "copy_to_topic", {"message_id": message_id})
                connection.execute(ADD_OUTBOX_ITEM, item)

    def stop_by_person(self, person_key: str, language: str) -> list[Reply]:
        case = self.open_case_of(person_key)
        if case is None:
            return []
        self._close(case, by_person=True)
        return [Reply(html.escape(Words(language)("case.stopped")))]

    def forget(self, person_key: str) -> None:
        """/forget: the person's cases and transcripts go, an open one is closed first."""
        with Session(self.engine) as session:
            cases = session.exec(select(Case).where(Case.person_key == person_key)).all()
            ids = [c.id for c in cases]
            for case in cases:
                if case.status == "open" and case.topic_id is not None and self.group_id is not None:
                    self._enqueue(
                        session,
                        None,
                        "send_to_group",
                        {"thread_id": case.topic_id, "text": self.staff("staff.forgotten")},
                    )
            if ids:
                session.execute(
                    delete(OutboxItem).where(
                        col(OutboxItem.case_id).in_(ids), col(OutboxItem.status) == "pending"
                    )
                )
                session.execute(delete(CaseMessage).where(col(CaseMessage.case_id).in_(ids)))
                session.execute(delete(Case).where(col(Case.id).in_(ids)))
            session.commit()

    def rate(self, case_id: int, person_key: str, rating: int) -> bool:
        with Session(self.engine) as session:
            case = session.get(Case, case_id)
            if (
                case is None
                or case.person_key != person_key
                or case.status != "closed"
                or not 1 <= rating <= 5
            ):
                return False
            case.rating = rating
            session.add(case)
            session.commit()
        return True

    # -- the mediators' side ---------------------------------------------------------

    def case_of_topic(self, topic_id: int) -> Case | None:
        """The case a topic belongs to: asked for every message in the staff group."""
        with self.engine.connect() as connection:
            row = connection.execute(CASE_OF_TOPIC, {"topic_id": topic_id}).first()
        return Case(**row._mapping) if row is not None else None

    def to_person(self, case: Case, *, topic_message_id: int, text: str | None, mediator_id: int) -> None:
        """A mediator's message in the topic: copied to the person (auto-claims)."""
        with self.engine.begin() as connection:
            fresh = connection.execute(CASE_BY_ID, {"case_id": case.id}).first()
            if fresh is None or fresh.status != "open":
                return
            moment = now()
            connection.execute(
                CLAIM_IF_FREE, {"case_id": fresh.id, "mediator_id": mediator_id, "moment": moment}
            )
            line = _case_message_row(fresh.id, "out", text, topic_message_id=topic_message_id)
            connection.execute(ADD_CASE_MESSAGE, line)
            item = _outbox_row(fresh.id, "copy_to_person", {"message_id": topic_message_id})
            connection.execute(ADD_OUTBOX_ITEM, item)

    def note(self, case: Case, text: str) -> None:
        with Session(self.engine) as session:
            assert case.id is not None
            session.add(CaseMessage(case_id=case.id, direction="note", text=text, created_at=now()))
            session.commit()

    def claim(self, case: Case, mediator_id: int) -> bool:
        """Claim an unclaimed case; False if someone else has it."""
        with Session(self.engine) as session:
            result = session.execute(
                update(Case)
                .where(
                    col(Case.id) == case.id,
                    col(Case.status) == "open",
                    or_(col(Case.claimed_by).is_(None), col(Case.claimed_by) == mediator_id),
                )
                .values(claimed_by=mediator_id, claimed_at=now())
            )
            session.commit()
            return bool(getattr(result, "rowcount", 0))

    def release(self, case: Case) -> None:
        self._update(case, claimed_by=None, claimed_at=None)

    def correct(self, case: Case, *, language: str | None = None, province: str | None = None) -> None:
        values = {k: v for k, v in (("language", language), ("province", province)) if v}
        self._update(case, **values)
        with Session(self.engine) as session:
            row = session.get(PersonRow, case.person_key)
            if row is not None:
                for key, value in values.items():
                    setattr(row, key, value)
                session.add(row)
                session.commit()

    def set_banned(self, case: Case, banned: bool) -> None:
        with Session(self.engine) as session:
            row = session.get(PersonRow, case.person_key)
            if row is not None:
                row.banned = banned
                session.add(row)
                session.commit()
        if banned:
            self._close(case, by_person=True)

    def close(self, case: Case) -> None:
        self._close(case, by_person=False)

    def _close(self, case: Case, *, by_person: bool) -> None:
        with self.engine.begin() as connection:
            fresh = connection.execute(CASE_BY_ID, {"case_id": case.id}).first()
            closed = connection.execute(CLOSE_CASE, {"case_id": case.id, "moment": now()}).rowcount
            if fresh is None or not closed:  # gone, or closed already
                return
            items = []
            if not by_person:
                words = Words(fresh.language)
                buttons = [
                    [
                        {"text": str(n), "callback_data": actions.encode(actions.RATE, str(fresh.id), str(n))}
                        for n in range(1, 6)
                    ]
                ]
                text = html.escape(words("case.closed"))
                items.append(_outbox_row(fresh.id, "send_to_person", {"text": text, "buttons": buttons}))
            if self.group_id is not None and fresh.topic_id is not None:
                items.append(_outbox_row(fresh.id, "close_topic", {}))
            if items:
                connection.execute(ADD_OUTBOX_ITEM, items)

    def queue(self) -> list[Case]:
        """Open cases, priority first, then longest waiting."""
        with Session(self.engine) as session:
            cases = session.exec(select(Case).where(Case.status == "open")).all()
        return sorted(cases, key=lambda c: (not c.priority, c.opened_at))

    def declare(
        self, mediator_id: int, words: list[str], *, languages: Sequence[str], provinces: Sequence[str]
    ) -> Mediator:
        """/iam ar fr bergamo — languages and provinces are told apart by the known lists."""
        with Session(self.engine) as session:
            row = session.get(Mediator, mediator_id) or Mediator(user_id=mediator_id, updated_at=now())
            row.languages = [w for w in words if w in languages]
            row.provinces = [w for w in words if w in provinces]
            row.opted_in = "off" not in words
            row.updated_at = now()
            session.add(row)
            session.commit()
            session.refresh(row)
            return row

    def matching_mediators(self, case: Case) -> list[int]:
        with Session(self.engine) as session:
            rows = session.exec(select(Mediator).where(Mediator.opted_in == True)).all()  # noqa: E712
        return [
            m.user_id
            for m in rows
            if case.language in m.languages and (not m.provinces or case.province in m.provinces)
        ]

    def card(self, case: Case) -> str:
        """The case card for the topic: everything a mediator needs, nothing identifying."""
        with Session(self.engine) as session:
            messages = session.exec(
                select(CaseMessage)
                .where(CaseMessage.case_id == case.id, CaseMessage.direction == "in")
                .order_by(col(CaseMessage.id))
            ).all()
        w = self.staff
        lines = [
            f"<b>{html.escape(w('staff.card_title', case=case.id))}</b>" + (" 🔴" if case.priority else ""),
            html.escape(w("staff.card_language", language=case.language)),
            html.escape(w("staff.card_province", province=case.province or "?")),
            html.escape(w("staff.card_reason", reason=case.reason, domain=case.domain)),
            html.escape(w("staff.card_topics", topics=", ".join(case.topics_asked) or "-")),
            html.escape(
                w(
                    "staff.card_waiting",
                    since=format_datetime(_aware(case.opened_at), "d MMM HH:mm", locale=w.language),
                )
            ),
        ]
        recent = [m.text for m in messages if m.text][-CARD_MESSAGES:]
        if recent:
            lines.append(html.escape(w("staff.card_messages")))
            lines += [f"<blockquote>{html.escape(text)}</blockquote>" for text in recent]
        matching = self.matching_mediators(case)
        if matching:
            mentions = " ".join(f'<a href="tg://user?id={uid}">👤</a>' for uid in matching)
            lines.append(html.escape(w("staff.card_matching")) + " " + mentions)
        lines.append(html.escape(w("staff.card_help")))
        return "\n".join(lines)

    # -- time-based work -------------------------------------------------------------

    def due_reminders(self) -> list[Case]:
        """Unclaimed open cases waiting longer than the reminder delay; marks them reminded."""
        cutoff = now() - self.reminder_after
        with Session(self.engine) as session:
            cases = session.exec(
                select(Case).where(
                    Case.status == "open",
                    col(Case.claimed_by).is_(None),
                    col(Case.reminded_at).is_(None),
                    Case.opened_at <= cutoff,
                )
            ).all()
            for case in cases:
                case.reminded_at = now()
                session.add(case)
            session.commit()
            for case in cases:
                session.refresh(case)
        return list(cases)

    def purge_transcripts(self) -> int:
        """Delete transcripts of cases closed longer ago than the retention period, and
        outbox items (whose payloads can hold words) finished as long ago."""
        cutoff = now() - self.retention
        with Session(self.engine) as session:
            old = session.exec(
                select(Case.id).where(Case.status == "closed", col(Case.closed_at) <= cutoff)
            ).all()
            if old:
                session.execute(delete(CaseMessage).where(col(CaseMessage.case_id).in_(old)))
            session.execute(
                delete(OutboxItem).where(
                    col(OutboxItem.status) != "pending", col(OutboxItem.created_at) <= cutoff
                )
            )
            session.commit()
        return len(old)

    # -- the outbox ------------------------------------------------------------------

    def _enqueue(
        self, session: Session, case_id: int | None, operation: str, payload: dict[str, Any]
    ) -> None:
        session.add(OutboxItem(**_outbox_row(case_id, operation, payload)))

    def enqueue(self, case_id: int | None, operation: str, payload: dict[str, Any]) -> None:
        with Session(self.engine) as session:
            self._enqueue(session, case_id, operation, payload)
            session.commit()

    def take_due(self, limit: int = 20) -> list[tuple[OutboxItem, Case | None]]:
        """Lock and return due items, oldest first, one per case (keeps each case in order),
        each with its case as it is now.

        On PostgreSQL two workers skip each other's rows (FOR UPDATE SKIP LOCKED); the
        lease (`locked_until`) lets a crashed worker's items be taken again. An item in
        flight is still pending, so the next one of its case waits for it.
        """
        moment = now()
        with self.engine.begin() as connection:
            candidates = connection.execute(
                self._due_items, {"moment": moment, "candidates": limit * 5}
            ).all()
            case_ids = {row.case_id for row in candidates if row.case_id is not None}
            oldest: dict[int, int] = (
                dict(connection.execute(OLDEST_PENDING, {"case_ids": list(case_ids)}).all())
                if case_ids
                else {}
            )
            taken = [row for row in candidates if row.case_id is None or oldest.get(row.case_id) == row.id][
                :limit
            ]
            if not taken:
                return []
            until = moment + timedelta(seconds=LOCK_SECONDS)
            connection.execute(LEASE, {"item_ids": [row.id for row in taken], "until": until})
            taken_cases = list({row.case_id for row in taken if row.case_id is not None})
            cases = (
                {
                    row.id: Case(**row._mapping)
                    for row in connection.execute(CASES_BY_ID, {"case_ids": taken_cases})
                }
                if taken_cases
                else {}
            )
        items = [OutboxItem(**{**row._mapping, "locked_until": until}) for row in taken]
        return [(item, cases.get(item.case_id) if item.case_id is not None else None) for item in items]

    def done(self, item: OutboxItem) -> None:
        """Mark an item sent: one statement, built once (this runs for every relay)."""
        with self.engine.begin() as connection:
            connection.execute(MARK_DONE, {"item_id": item.id, "done_at": now()})

    def retry_later(self, item: OutboxItem, *, after: float | None = None) -> None:
        """Try again after `after` seconds (Telegram's retry_after) or an exponential backoff."""
        with Session(self.engine) as session:
            fresh = session.get(OutboxItem, item.id)
            if fresh is None:
                return
            fresh.attempts += 1
            delay = after if after is not None else min(MAX_BACKOFF_SECONDS, 2 ** min(fresh.attempts, 6))
            fresh.not_before, fresh.locked_until = now() + timedelta(seconds=delay), None
            if fresh.attempts >= MAX_ATTEMPTS and after is None:
                fresh.status = "failed"
            session.add(fresh)
            session.commit()

    def failed(self, item: OutboxItem) -> None:
        with Session(self.engine) as session:
            fresh = session.get(OutboxItem, item.id)
            if fresh is not None:
                fresh.status, fresh.locked_until = "failed", None
                session.add(fresh)
                session.commit()

    def forget_topic(self, case: Case) -> None:
        """The topic was deleted in the group: the next item of the case recreates it."""
        self._update(case, topic_id=None)

    def set_topic(self, case: Case, topic_id: int) -> None:
        self._update(case, topic_id=topic_id)

    def _update(self, case: Case, **values: Any) -> None:
        with self.engine.begin() as connection:
            connection.execute(update(CASES).where(CASES.c.id == case.id).values(**values))
