"""Hand-off to mediators, end to end through the Bot API double."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.core import actions
from bot.i18n import Words
from bot.settings import Settings
from bot.store.models import Case, CaseMessage, OutboxItem
from tests.helpers.bot_api import BotAPIDouble, button_tap, group_message, private_message
from tests.telegram.conftest import DEAD_RASA, GROUP_ID, Harness, make_harness

MEDIATOR_A, MEDIATOR_B, OUTSIDER = 9001, 9002, 9666
STAFF = Words("it")


@pytest.fixture
async def desk(settings: Settings, bot_api: BotAPIDouble, published: Engine) -> AsyncIterator[Harness]:
    bot_api.members.update({MEDIATOR_A: "member", MEDIATOR_B: "administrator"})
    h, http = await make_harness(settings, bot_api, published, rasa_url=DEAD_RASA)
    yield h
    await h.app.shutdown()
    await http.aclose()


def cases(h: Harness) -> list[Case]:
    with Session(h.services.engine) as session:
        return list(session.exec(select(Case).order_by(Case.id)).all())  # type: ignore[arg-type]


async def open_case(h: Harness, chat: int, language: str = "it", province: str = "milano") -> int:
    await h.send(button_tap(chat, actions.encode(actions.LANGUAGE, language)))
    await h.send(button_tap(chat, actions.encode(actions.PROVINCE, province)))
    await h.send(button_tap(chat, actions.encode(actions.HUMAN)))
    case = next(c for c in cases(h) if c.chat_id == chat and c.status == "open")
    assert case.topic_id is not None
    return case.topic_id


def copies_to(h: Harness, chat_id: int) -> list[dict]:  # type: ignore[type-arg]
    return [c.params for c in h.api.sent("copyMessage", chat_id)]


async def test_a_case_from_opening_to_rating(desk: Harness) -> None:
    h, chat = desk, 5001
    thread = await open_case(h, chat)
    title = h.api.topics[thread]
    assert title == "#1 · it · milano · general"
    assert Words("it")("case.opened") in h.texts_to(chat)
    card = h.api.sent("sendMessage", GROUP_ID)[0].params
    assert card["message_thread_id"] == thread and STAFF("staff.card_title", case=1) in card["text"]
    assert h.api.sent("pinChatMessage")

    before = len(h.texts_to(chat))
    await h.send(private_message(chat, "ho un problema con il padrone di casa"))
    copied = copies_to(h, GROUP_ID)
    assert (
        len(copied) == 1
        and int(copied[0]["from_chat_id"]) == chat
        and copied[0]["message_thread_id"] == thread
    )
    assert len(h.texts_to(chat)) == before  # the bot itself did not answer

    await h.send(group_message(GROUP_ID, thread, OUTSIDER, "/claim"))
    assert h.api.sent("sendMessage", GROUP_ID)[-1].params["text"] == STAFF("staff.not_member")
    await h.send(group_message(GROUP_ID, thread, OUTSIDER, "I am not staff"))
    assert copies_to(h, chat) == []

    await h.send(group_message(GROUP_ID, thread, MEDIATOR_A, "/claim"))
    assert h.api.sent("sendMessage", GROUP_ID)[-1].params["text"] == STAFF("staff.claimed", case=1)
    await h.send(group_message(GROUP_ID, thread, MEDIATOR_A, "Ciao, sono qui per aiutarti."))
    to_person = copies_to(h, chat)
    assert len(to_person) == 1 and int(to_person[0]["from_chat_id"]) == GROUP_ID
    await h.send(group_message(GROUP_ID, thread, MEDIATOR_A, "/note sembra un caso di sfratto"))
    assert len(copies_to(h, chat)) == 1
    with Session(h.services.engine) as session:
        notes = session.exec(select(CaseMessage).where(CaseMessage.direction == "note")).all()
    assert [n.text for n in notes] == ["sembra un caso di sfratto"]

    await h.send(group_message(GROUP_ID, thread, MEDIATOR_A, "/close"))
    closing = h.api.sent("sendMessage", chat)[-1].params
    assert closing["text"] == Words("it")("case.closed")
    rating_buttons = [b["callback_data"] for row in closing["reply_markup"]["inline_keyboard"] for b in row]
    assert rating_buttons == [f"r:1:{n}" for n in range(1, 6)]
    assert h.api.sent("closeForumTopic")
    await h.send(button_tap(chat, "r:1:5"))
    assert h.texts_to(chat)[-1] == Words("it")("case.rating_thanks")
    assert cases(h)[0].rating == 5 and cases(h)[0].status == "closed"

    await h.send(private_message(chat, "dove posso dormire stanotte"))
    assert len(copies_to(h, GROUP_ID)) == 1  # no longer relayed: the bot answers again
    assert "Sammartini" in h.texts_to(chat)[-1]


async def test_one_open_case_per_person(desk: Harness) -> None:
    h, chat = desk, 5002
    await open_case(h, chat)
    await h.send(button_tap(chat, actions.encode(actions.HUMAN)))
    assert h.texts_to(chat)[-1] == Words("it")("case.already_open")
    assert len(cases(h)) == 1 and len(h.api.sent("createForumTopic")) == 1


async def test_the_bot_restarted_mid_case_still_reaches_the_same_topic(
    desk: Harness, settings: Settings, bot_api: BotAPIDouble, published: Engine
) -> None:
    chat = 5003
    thread = await open_case(desk, chat)
    await desk.app.shutdown()
    again, http = await make_harness(settings, bot_api, published, rasa_url=DEAD_RASA)
    try:
        await again.send(private_message(chat, "ci sei ancora?"))
        copied = copies_to(again, GROUP_ID)
        assert copied and copied[-1]["message_thread_id"] == thread
        assert len(bot_api.sent("createForumTopic")) == 1
    finally:
        await again.app.shutdown()
        await http.aclose()


async def test_a_429_storm_delays_but_loses_and_doubles_nothing(desk: Harness) -> None:
    h, chat = desk, 5004
    thread = await open_case(h, chat)
    for _ in range(3):
        h.api.fail_next("copyMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    await h.send(private_message(chat, "messaggio importante"))
    await h.staff.drain(h.app.bot, timeout=20)
    copied = [c for c in copies_to(h, GROUP_ID) if c["message_thread_id"] == thread]
    assert len(copied) == 1
    assert len([c for c in h.api.rejected if c.method == "copyMessage"]) == 3


async def test_a_slow_send_for_one_case_does_not_hold_up_another(desk: Harness) -> None:
    h = desk
    slow, quick = await open_case(h, 5011), await open_case(h, 5012)
    for chat, text in ((5011, "prima"), (5012, "seconda")):  # both queued before the outbox runs
        await h.send(private_message(chat, text), drain=False)
    h.api.delay_next("copyMessage", 1.0)  # the first copy out, the slow case's, answers late
    await h.staff.drain(h.app.bot)
    threads = [c["message_thread_id"] for c in copies_to(h, GROUP_ID)]
    assert threads == [quick, slow]  # finished in this order: the quick one did not wait


async def test_the_outbox_worker_sends_new_items_while_a_slow_one_is_on_its_way(desk: Harness) -> None:
    h = desk
    slow, quick = await open_case(h, 5013), await open_case(h, 5014)
    worker = asyncio.create_task(h.staff.work(h.app.bot))
    try:
        h.api.delay_next("copyMessage", 1.5)
        await h.send(private_message(5013, "prima"), drain=False)
        await asyncio.sleep(0.3)  # the worker has taken it: its copy is on the way, slowly
        await h.send(private_message(5014, "seconda"), drain=False)
        await h.api.wait_for(lambda: copies_to(h, GROUP_ID), timeout=1.0)
        assert [c["message_thread_id"] for c in copies_to(h, GROUP_ID)] == [quick]
        await h.api.wait_for(lambda: len(copies_to(h, GROUP_ID)) == 2, timeout=3.0)
        assert [c["message_thread_id"] for c in copies_to(h, GROUP_ID)] == [quick, slow]
        # Its last look at the outbox (in a thread, on PostgreSQL) ends before it is stopped:
        # a thread cannot be cancelled, and its connection would outlive the test's engine.
        await asyncio.sleep(0.2)
    finally:
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)


async def test_a_5xx_from_telegram_is_retried_from_the_outbox(desk: Harness) -> None:
    h, chat = desk, 5005
    await open_case(h, chat)
    for _ in range(3):  # the rate limiter does not retry 5xx: the outbox does, with a backoff
        h.api.fail_next("copyMessage", 502, "Bad Gateway")
    await h.send(private_message(chat, "ciao"))
    assert copies_to(h, GROUP_ID) == []
    for _ in range(5):
        if copies_to(h, GROUP_ID):
            break
        with Session(h.services.engine) as session:
            item = session.exec(select(OutboxItem).where(OutboxItem.operation == "copy_to_topic")).one()
            assert item.status == "pending" and item.attempts >= 1
            item.not_before = datetime.now(UTC) - timedelta(seconds=1)  # skip the backoff wait
            session.add(item)
            session.commit()
        await h.staff.drain(h.app.bot)
    assert len(copies_to(h, GROUP_ID)) == 1


async def test_a_deleted_topic_is_recreated(desk: Harness) -> None:
    h, chat = desk, 5006
    thread = await open_case(h, chat)
    h.api.delete_topic(thread)
    await h.send(private_message(chat, "pronto?"))
    await h.staff.drain(h.app.bot)
    new_thread = cases(h)[0].topic_id
    assert new_thread is not None and new_thread != thread
    assert copies_to(h, GROUP_ID)[-1]["message_thread_id"] == new_thread
    assert len(h.api.sent("createForumTopic")) == 2


async def test_forget_during_a_case(desk: Harness) -> None:
    h, chat = desk, 5007
    thread = await open_case(h, chat)
    await h.send(private_message(chat, "il mio nome è segreto"))
    await h.send(private_message(chat, "/forget"))
    assert cases(h) == []
    with Session(h.services.engine) as session:
        assert session.exec(select(CaseMessage)).all() == []
    staff_texts = [
        c.params["text"]
        for c in h.api.sent("sendMessage", GROUP_ID)
        if c.params.get("message_thread_id") == thread
    ]
    assert STAFF("staff.forgotten") in staff_texts


async def test_two_mediators_and_two_people(desk: Harness) -> None:
    h = desk
    t1 = await open_case(h, 5101, language="ar", province="bergamo")
    t2 = await open_case(h, 5102, language="uk", province="varese")
    await h.send(group_message(GROUP_ID, t1, MEDIATOR_A, "/claim"))
    await h.send(group_message(GROUP_ID, t2, MEDIATOR_B, "/claim"))
    await h.send(group_message(GROUP_ID, t1, MEDIATOR_B, "/claim"))
    assert h.api.sent("sendMessage", GROUP_ID)[-1].params["text"] == STAFF("staff.claimed_by_other", case=1)
    await h.send(group_message(GROUP_ID, t1, MEDIATOR_A, "مرحبا"))
    await h.send(group_message(GROUP_ID, t2, MEDIATOR_B, "Привіт"))
    assert len(copies_to(h, 5101)) == 1 and len(copies_to(h, 5102)) == 1
    await h.send(group_message(GROUP_ID, None, MEDIATOR_A, "/queue"))
    queue = h.api.sent("sendMessage", GROUP_ID)[-1].params["text"]
    assert "#1" in queue and "#2" in queue
    assert [c.claimed_by for c in cases(h)] == [MEDIATOR_A, MEDIATOR_B]


async def test_matching_mediators_are_mentioned_on_the_card(desk: Harness) -> None:
    h = desk
    await h.send(group_message(GROUP_ID, None, MEDIATOR_B, "/iam ar fr bergamo"))
    assert "ar fr" in h.api.sent("sendMessage", GROUP_ID)[-1].params["text"]
    thread = await open_case(h, 5201, language="ar", province="bergamo")
    card = next(
        c.params["text"]
        for c in h.api.sent("sendMessage", GROUP_ID)
        if c.params.get("message_thread_id") == thread
    )
    assert f"tg://user?id={MEDIATOR_B}" in card


async def test_unclaimed_cases_get_a_reminder(
    settings: Settings, bot_api: BotAPIDouble, published: Engine
) -> None:
    h, http = await make_harness(settings, bot_api, published, rasa_url=DEAD_RASA, claim_reminder_minutes=0)
    try:
        await open_case(h, 5301)
        await h.staff.remind_and_purge()
        await h.staff.drain(h.app.bot)
        texts = [c.params["text"] for c in bot_api.sent("sendMessage", GROUP_ID)]
        assert STAFF("staff.reminder", case=1, minutes=0) in texts
        await h.staff.remind_and_purge()
        await h.staff.drain(h.app.bot)
        assert [c.params["text"] for c in bot_api.sent("sendMessage", GROUP_ID)].count(
            STAFF("staff.reminder", case=1, minutes=0)
        ) == 1
    finally:
        await h.app.shutdown()
        await http.aclose()


async def test_out_of_hours_the_person_is_told_when(
    settings: Settings, bot_api: BotAPIDouble, published: Engine
) -> None:
    today = datetime.now(UTC).date()
    holidays = ",".join(str(today + timedelta(days=d)) for d in range(-1, 2))
    h, http = await make_harness(
        settings,
        bot_api,
        published,
        rasa_url=DEAD_RASA,
        office_hours="mon-sun 09:00-17:00",
        holidays=holidays,
    )
    try:
        await open_case(h, 5401)
        told = h.texts_to(5401)[-1]
        prefix = Words("it")("case.out_of_hours", when="").split("{when}")[0][:20]
        assert told.startswith(prefix) and told != Words("it")("case.opened")
        assert cases(h)[0].status == "open"  # the case waits
    finally:
        await h.app.shutdown()
        await http.aclose()


async def test_ban_closes_and_silences(desk: Harness) -> None:
    h, chat = desk, 5501
    thread = await open_case(h, chat)
    await h.send(group_message(GROUP_ID, thread, MEDIATOR_A, "/ban"))
    assert cases(h)[0].status == "closed"
    before = len(h.texts_to(chat))
    await h.send(private_message(chat, "ciao"))
    assert len(h.texts_to(chat)) == before


async def test_person_can_stop_the_case(desk: Harness) -> None:
    h, chat = desk, 5601
    await open_case(h, chat)
    await h.send(private_message(chat, "/stop"))
    assert h.texts_to(chat)[-1] == Words("it")("case.stopped")
    assert cases(h)[0].status == "closed"


async def test_closed_transcripts_are_deleted_after_retention(desk: Harness) -> None:
    h, chat = desk, 5701
    thread = await open_case(h, chat)
    await h.send(private_message(chat, "testo da cancellare"))
    await h.send(group_message(GROUP_ID, thread, MEDIATOR_A, "/close"))
    with Session(h.services.engine) as session:
        case = session.exec(select(Case)).one()
        case.closed_at = datetime.now(UTC) - timedelta(days=31)
        session.add(case)
        session.commit()
    with Session(h.services.engine) as session:
        for item in session.exec(select(OutboxItem)).all():  # the relayed words among them
            item.created_at = datetime.now(UTC) - timedelta(days=31)
            session.add(item)
        session.commit()
    h.services.handoff.enqueue(None, "send_to_group", {"text": "ancora da mandare"})
    assert h.services.handoff.purge_transcripts() == 1
    with Session(h.services.engine) as session:
        assert session.exec(select(CaseMessage)).all() == []
        assert [i.payload for i in session.exec(select(OutboxItem)).all()] == [{"text": "ancora da mandare"}]
