"""The bot for migrants, driven with real Updates through the Bot API double."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from bot.core import actions
from bot.i18n import Words
from bot.logs import configure_logging
from bot.store.models import FeedbackRow, PersonRow, ProcessedUpdate
from bot.telegram.app import set_commands
from bot.telegram.poller import poll
from tests.helpers.bot_api import button_tap, private_message
from tests.telegram.conftest import Harness

pytestmark = pytest.mark.rasa


def person(h: Harness, chat_id: int) -> PersonRow | None:
    with Session(h.services.engine) as session:
        return session.get(PersonRow, f"telegram:{chat_id}")


async def test_onboarding_in_the_telegram_language(harness: Harness) -> None:
    chat = 1001
    await harness.send(private_message(chat, "/start", language="ar"))
    ar = Words("ar")
    texts = harness.texts_to(chat)
    assert texts[0] == ar("start.welcome") and texts[1] == ar("start.choose_language")
    picker = harness.api.sent("sendMessage", chat)[1].params["reply_markup"]["inline_keyboard"]
    labels = [b["text"] for row in picker for b in row]
    assert "العربية" in labels and "ትግርኛ" in labels and "Українська" in labels

    await harness.send(button_tap(chat, actions.encode(actions.LANGUAGE, "ti"), language="ar"))
    ti = Words("ti")
    assert harness.texts_to(chat)[-1] == ti("start.choose_province")
    await harness.send(button_tap(chat, actions.encode(actions.PROVINCE, "bergamo")))
    texts = harness.texts_to(chat)
    assert ti("privacy.note") in texts and texts[-1] == ti("menu.title")
    row = person(harness, chat)
    assert row is not None and (row.language, row.province, row.onboarded) == ("ti", "bergamo", True)


@pytest.mark.parametrize(
    ("language", "text", "topic"),
    [
        ("it", "dove posso dormire stanotte? sono alla stazione centrale", "housing_shelter_tonight"),
        ("en", "i have no documents and i need to see a doctor", "health_stp_eni"),
        ("ar", "أحتاج إلى طبيب ولكن ليس لدي أوراق إقامة", "health_stp_eni"),
        ("uk", "як продовжити permesso di soggiorno?", "legal_permit_renewal"),
        ("zh", "老板拿走了我的护照，我不能离开", "trafficking_forced_labour"),
        ("ti", "ዝድቅሰሉ ቦታ የብለይን ሎሚ ለይቲ", "housing_shelter_tonight"),
    ],
)
async def test_free_text_is_answered_in_the_persons_language(
    harness: Harness, language: str, text: str, topic: str
) -> None:
    chat = 2000 + len(text)
    await harness.send(private_message(chat, "/start", language=language))
    await harness.send(button_tap(chat, actions.encode(actions.LANGUAGE, language)))
    await harness.send(button_tap(chat, actions.encode(actions.PROVINCE, "milano")))
    before = len(harness.texts_to(chat))
    await harness.send(private_message(chat, text, language=language))
    reply = harness.api.sent("sendMessage", chat)[before]
    snapshot = harness.services.content.snapshot
    answer = snapshot.answer_for(topic, language, "milano")
    assert answer is not None
    assert answer.title.split()[0] in reply.params["text"], (topic, reply.params["text"][:200])
    assert reply.params["parse_mode"] == "HTML"
    buttons = [b["callback_data"] for row in reply.params["reply_markup"]["inline_keyboard"] for b in row]
    assert actions.encode(actions.HUMAN) in buttons
    assert actions.encode(actions.FEEDBACK, "1", topic) in buttons


async def test_trafficking_puts_hotlines_first_and_opens_a_priority_case(harness: Harness) -> None:
    chat = 3001
    await harness.send(
        private_message(
            chat, "il mio capo mi ha preso il passaporto e non mi lascia andare via", language="it"
        )
    )
    answer = harness.texts_to(chat)[0]
    assert (
        answer.index("112") < answer.index("800 290 290") < answer.index("<b>", answer.index("800 290 290"))
    )
    topics = harness.api.sent("createForumTopic")
    assert topics and topics[0].params["name"].startswith("🔴 #")
    assert Words("it")("case.opened_priority") in harness.texts_to(chat)


async def test_unclear_message_asks_then_offers_a_mediator(harness: Harness) -> None:
    chat = 3002
    await harness.send(private_message(chat, "/start"))
    await harness.send(button_tap(chat, actions.encode(actions.LANGUAGE, "it")))
    for _ in range(2):
        await harness.send(private_message(chat, "zxq vlorp ghent", language="it"))
    it = Words("it")
    texts = harness.texts_to(chat)
    assert it("unsure") in texts
    assert it("unsure.handover") in texts
    assert harness.api.sent("createForumTopic")


async def test_location_lists_the_nearest_services(harness: Harness) -> None:
    chat = 3003
    await harness.send(private_message(chat, None, location={"latitude": 45.4861, "longitude": 9.2046}))
    text = harness.texts_to(chat)[0]
    assert Words("it")("location.nearest") in text and "km" in text and "Sammartini" in text


@pytest.mark.parametrize("kind", ["voice", "sticker", "photo"])
async def test_voice_stickers_and_photos_get_a_kind_reply(harness: Harness, kind: str) -> None:
    chat = 3004
    payload = {
        "voice": {"file_id": "v", "file_unique_id": "v", "duration": 3},
        "sticker": {
            "file_id": "s",
            "file_unique_id": "s",
            "type": "regular",
            "width": 1,
            "height": 1,
            "is_animated": False,
            "is_video": False,
        },
        "photo": [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}],
    }[kind]
    await harness.send(private_message(chat, None, **{kind: payload}))
    assert harness.texts_to(chat) == [Words("it")("media.received")]


async def test_forget_erases_the_person(harness: Harness) -> None:
    chat = 3005
    await harness.send(private_message(chat, "/start"))
    await harness.send(button_tap(chat, actions.encode(actions.LANGUAGE, "fr")))
    assert person(harness, chat) is not None
    await harness.send(private_message(chat, "/forget"))
    assert harness.texts_to(chat)[-1] == Words("fr")("forget.done")
    assert person(harness, chat) is None


async def test_a_redelivered_update_is_answered_once(harness: Harness) -> None:
    chat = 3006
    update = private_message(chat, "ciao")
    update_id = harness.api.push(update)
    from telegram import Update

    for _ in range(2):
        await harness.app.process_update(Update.de_json({"update_id": update_id, **update}, harness.app.bot))
    assert len(harness.texts_to(chat)) == 1


async def test_old_buttons_and_unknown_commands(harness: Harness) -> None:
    chat = 3007
    await harness.send(button_tap(chat, "zz:from-an-old-version"))
    await harness.send(private_message(chat, "/weather"))
    it = Words("it")
    assert harness.texts_to(chat) == [it("stale_button"), it("unknown_command")]


@pytest.mark.parametrize(
    "text",
    [
        "ا" * 4096,
        "🙂🙏🏽🙂",
        "مرحبا، رقمي هو 800 290 290؟",
        "\x00\x07ciao\x1b[31m",
        "/start@approdo_bot extra words",
    ],
)
async def test_bad_input_gets_a_sensible_reply(harness: Harness, text: str) -> None:
    chat = 3008
    await harness.send(private_message(chat, text))
    texts = harness.texts_to(chat)
    assert texts and all(0 < len(t) <= 4096 for t in texts)
    assert not harness.api.rejected


async def test_flooding_gets_one_notice(harness: Harness) -> None:
    chat = 3009
    for i in range(12):
        await harness.send(private_message(chat, f"ciao {i}"))
    assert harness.texts_to(chat).count(Words("it")("flood.notice")) == 1


async def test_feedback_is_stored_without_text(harness: Harness) -> None:
    chat = 3010
    await harness.send(button_tap(chat, actions.encode(actions.FEEDBACK, "1", "health_mental")))
    with Session(harness.services.engine) as session:
        rows = session.exec(select(FeedbackRow)).all()
    assert [(r.topic, r.useful) for r in rows] == [("health_mental", True)]
    assert set(FeedbackRow.model_fields) == {"id", "topic", "language", "useful", "created_at"}


async def test_commands_are_registered_in_every_language(harness: Harness) -> None:
    await set_commands(harness.app, harness.services)
    calls = harness.api.sent("setMyCommands")
    languages = {c.params.get("language_code") for c in calls}
    assert set(harness.services.taxonomy.answer_languages) <= languages
    tigrinya = next(c for c in calls if c.params.get("language_code") == "ti")
    assert {c["command"] for c in tigrinya.params["commands"]} == {
        "start",
        "menu",
        "language",
        "province",
        "help",
        "forget",
    }


async def test_logs_carry_no_message_text(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    configure_logging()
    caplog.set_level(logging.DEBUG, logger="bot")
    caplog.set_level(logging.INFO)
    secret = "segreto-personale-Amina-3471234567"
    await harness.send(private_message(3011, f"mi chiamo {secret} e ho bisogno di aiuto"))
    await harness.send(private_message(3011, "aiuto, voglio parlare con una persona vera"))
    assert harness.texts_to(3011)
    assert secret not in caplog.text and "Amina" not in caplog.text


async def test_rasa_down_answers_with_keyword_rules_and_logs_once(
    offline_harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    h = offline_harness
    caplog.set_level(logging.WARNING)
    await h.send(private_message(4001, "dove posso dormire stanotte"))
    await h.send(private_message(4001, "il mio capo ha preso il mio passaporto"))
    texts = h.texts_to(4001)
    shelter = h.services.content.snapshot.answer_for("housing_shelter_tonight", "it", None)
    assert shelter is not None and shelter.title in texts[0]
    assert "800 290 290" in texts[1]
    assert caplog.text.count("NLU unavailable") == 1


async def test_edited_message_is_answered_as_new_text(harness: Harness) -> None:
    chat = 3012
    update = private_message(chat, "dove posso dormire stanotte")
    await harness.send({"edited_message": {**update["message"], "edit_date": update["message"]["date"]}})
    assert harness.texts_to(chat) and "Sammartini" in harness.texts_to(chat)[0]


@contextlib.asynccontextmanager
async def polling(harness: Harness) -> AsyncIterator[None]:
    """The real loop: getUpdates long polling over HTTP, for the length of the block."""
    app = harness.app
    stop = asyncio.Event()
    await app.start()
    poller = asyncio.create_task(poll(app, harness.services.updates, stop=stop))
    try:
        yield
    finally:
        stop.set()
        poller.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await poller
        await app.stop()


async def test_polling_end_to_end_survives_a_malformed_update(harness: Harness) -> None:
    """An update that cannot be read is skipped instead of blocking the ones after it;
    one delivered twice in a batch is answered once."""
    api = harness.api
    async with polling(harness):
        api.updates.append({"update_id": next(api.update_ids), "message": {"message_id": 1}})
        twice = private_message(3018, "/help")
        api.delay_next("sendMessage", 0.5)  # the first copy is still in hand when the second comes
        api.updates.append({"update_id": api.push(twice), **twice})
        api.push(private_message(3013, "/start", language="uk"))
        first = await api.wait_for(lambda: harness.texts_to(3013))
        assert first[0] == Words("uk")("start.welcome")
        api.push(private_message(3018, "/help"))
        await api.wait_for(lambda: len(harness.texts_to(3018)) >= 2)
    assert harness.texts_to(3018) == [Words("it")("help.text")] * 2


async def test_polling_fetches_each_update_once_even_while_it_is_being_handled(harness: Harness) -> None:
    api = harness.api
    delivered: Counter[int] = Counter()
    get_updates = api.api_getUpdates

    async def counting(params: dict[str, Any]) -> list[dict[str, Any]]:
        batch = await get_updates(params)
        delivered.update(u["update_id"] for u in batch)
        return batch

    api.api_getUpdates = counting  # type: ignore[method-assign]
    api.delay_next("sendMessage", 0.5)  # the first answer is slow: its update stays in hand
    async with polling(harness):
        for chat in (3014, 3015, 3016):
            api.push(private_message(chat, "/help"))
        await api.wait_for(lambda: all(harness.texts_to(chat) for chat in (3014, 3015, 3016)))
    assert len(delivered) == 3 and set(delivered.values()) == {1}


async def test_a_batch_the_inbox_could_not_keep_is_fetched_again(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    updates = harness.services.updates
    receive, failures = updates.receive, [OperationalError("INSERT", {}, Exception("database is locked"))]

    def flaky(batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if failures:
            raise failures.pop()
        return receive(batch)

    monkeypatch.setattr(updates, "receive", flaky)
    async with polling(harness):
        harness.api.push(private_message(3019, "/help"))
        await harness.api.wait_for(lambda: harness.texts_to(3019), timeout=5.0)
    assert harness.texts_to(3019) == [Words("it")("help.text")] and not failures


async def test_an_update_received_before_a_restart_is_handled_after_it(harness: Harness) -> None:
    """Fetched (so confirmed to Telegram by the next request) but not handled when the
    process died: the inbox has it, the double no longer does."""
    updates = harness.services.updates
    updates.receive([{"update_id": 990_001, **private_message(3017, "/help")}])
    async with polling(harness):
        await harness.api.wait_for(lambda: harness.texts_to(3017))
        await harness.api.wait_for(lambda: not updates.unfinished())
    assert harness.texts_to(3017) == [Words("it")("help.text")]
    assert updates.already_processed(990_001)


async def test_a_429_on_a_reply_is_retried_after_retry_after(offline_harness: Harness) -> None:
    h = offline_harness
    h.api.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    await h.send(private_message(4002, "/help"))
    assert h.texts_to(4002) == [Words("it")("help.text")]
    assert [c.method for c in h.api.rejected] == ["sendMessage"]


async def test_old_processed_marks_are_forgotten(harness: Harness) -> None:
    updates = harness.services.updates
    for update_id in (880_001, 880_002):
        updates.finish(update_id)
    with Session(harness.services.engine) as session:
        old = session.get(ProcessedUpdate, 880_001)
        assert old is not None
        old.created_at = datetime.now(UTC) - timedelta(days=3)
        session.add(old)
        session.commit()
    assert updates.forget_old() == 1
    assert not updates.already_processed(880_001) and updates.already_processed(880_002)
