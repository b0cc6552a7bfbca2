"""Telegram updates: which arrived by polling and are not handled yet, which were handled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, delete, select
from sqlalchemy.engine import Engine

from bot.store.db import insert_or_merge, without_waiting_for_disk
from bot.store.models import ProcessedUpdate, ReceivedUpdate

# Telegram keeps an undelivered update for 24 hours: a mark older than this guards nothing.
PROCESSED_KEPT = timedelta(days=2)
# Every update goes through these: SQLAlchemy Core statements, built once.
PROCESSED: Table = ProcessedUpdate.__table__  # type: ignore[attr-defined]
RECEIVED: Table = ReceivedUpdate.__table__  # type: ignore[attr-defined]


class UpdateLog:
    """Each update handled once, none lost to a crash.

    Polling writes a fetched batch here before it asks Telegram for the next one (which
    tells Telegram the batch arrived): an update the process was holding when it died
    is read back on restart. Handling an update marks it processed and takes it out of
    the inbox in one transaction; a redelivered one is recognised and skipped.

    Polling checks a whole batch against the processed marks as it writes it, and this
    object remembers which ids passed: handling those asks the database nothing more.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._seen = select(PROCESSED.c.update_id).where(PROCESSED.c.update_id == bindparam("update_id"))
        self._seen_among = select(PROCESSED.c.update_id).where(
            PROCESSED.c.update_id.in_(bindparam("update_ids", expanding=True))
        )
        self._checked: set[int] = set()  # received by polling, found not processed
        self._mark = insert_or_merge(engine, PROCESSED).on_conflict_do_nothing(
            index_elements=[PROCESSED.c.update_id]
        )
        self._receive = insert_or_merge(engine, RECEIVED).on_conflict_do_nothing(
            index_elements=[RECEIVED.c.update_id]
        )
        self._take_out = delete(RECEIVED).where(RECEIVED.c.update_id == bindparam("update_id"))

    def receive(self, updates: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Keep fetched updates until handled (a normal, durable commit: once Telegram is
        told they arrived, this is their only copy); returns those not processed before,
        the only ones to hand over."""
        if not updates:
            return []
        moment = datetime.now(UTC)
        with self.engine.begin() as connection:
            ids = [u["update_id"] for u in updates]
            processed = set(connection.execute(self._seen_among, {"update_ids": ids}).scalars())
            fresh = [u for u in updates if u["update_id"] not in processed]
            if fresh:
                connection.execute(
                    self._receive,
                    [{"update_id": u["update_id"], "body": u, "received_at": moment} for u in fresh],
                )
        self._checked.update(u["update_id"] for u in fresh)
        return fresh

    def unfinished(self) -> list[dict[str, Any]]:
        """Updates received and not handled, oldest first (after a restart)."""
        with self.engine.connect() as connection:
            rows = connection.execute(select(RECEIVED.c.body).order_by(RECEIVED.c.update_id)).all()
        return [row.body for row in rows]

    def already_processed(self, update_id: int) -> bool:
        if update_id in self._checked:  # just received by polling, checked then
            self._checked.discard(update_id)
            return False
        with self.engine.connect() as connection:
            return connection.execute(self._seen, {"update_id": update_id}).first() is not None

    def finish(self, update_id: int) -> None:
        """A handled update: remembered as such (a second mark is harmless), out of the inbox."""
        with self.engine.begin() as connection:
            without_waiting_for_disk(connection)
            connection.execute(self._mark, {"update_id": update_id, "created_at": datetime.now(UTC)})
            connection.execute(self._take_out, {"update_id": update_id})

    def forget_old(self) -> int:
        """Drop processed marks too old to meet their update again; how many went."""
        with self.engine.begin() as connection:
            result = connection.execute(
                delete(PROCESSED).where(PROCESSED.c.created_at < datetime.now(UTC) - PROCESSED_KEPT)
            )
        return int(result.rowcount)
