"""The outbox on a real database: what `take_due` hands the worker, in which order."""

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.handoff import HandoffDesk, now
from bot.settings import Settings
from bot.store.models import Case


def _case(engine: Engine, key: str) -> int:
    with Session(engine) as session:
        case = Case(
            person_key=key,
            chat_id=1,
            open_key=key,
            reason="asked",
            language="it",
            domain="legal",
            opened_at=now(),
        )
        session.add(case)
        session.commit()
        assert case.id is not None
        return case.id


def test_one_item_per_case_in_order_and_the_next_only_once_the_first_is_sent(
    engine: Engine, settings: Settings
) -> None:
    desk = HandoffDesk(engine, settings)
    first, second = _case(engine, "p1"), _case(engine, "p2")
    for case_id, text in ((first, "a1"), (first, "a2"), (second, "b1"), (None, "c1"), (None, "c2")):
        desk.enqueue(case_id, "send", {"text": text})

    taken = desk.take_due(limit=10)
    assert [item.payload["text"] for item, _ in taken] == ["a1", "b1", "c1", "c2"]
    assert [case.id if case else None for _, case in taken] == [first, second, None, None]

    assert desk.take_due(limit=10) == []  # all in flight; a2 waits for a1

    desk.done(taken[0][0])
    again = desk.take_due(limit=10)
    assert [item.payload["text"] for item, _ in again] == ["a2"]


def test_the_limit_takes_the_oldest(engine: Engine, settings: Settings) -> None:
    desk = HandoffDesk(engine, settings)
    for n in range(5):
        desk.enqueue(_case(engine, f"p{n}"), "send", {"text": str(n)})
    assert [item.payload["text"] for item, _ in desk.take_due(limit=3)] == ["0", "1", "2"]
    assert [item.payload["text"] for item, _ in desk.take_due(limit=3)] == ["3", "4"]
