"""The mediators' side on Telegram: commands in the staff group, relay both ways, and
the outbox worker that makes every persisted call (with retries honouring retry_after)."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import ApplicationHandlerStop, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.core import actions
from bot.core.handoff import STAFF_COMMANDS, case_title, parse_command
from bot.handoff import HandoffDesk, minutes_waiting
from bot.i18n import Words
from bot.store.db import run_blocking
from bot.store.models import Case, OutboxItem
from bot.taxonomy import OTHER_PROVINCE
from bot.telegram.context import BotContext
from bot.telegram.send import NO_PREVIEW

log = logging.getLogger(__name__)

MEMBER_STATUSES = ("creator", "administrator", "member", "restricted")
MEMBER_CACHE_SECONDS = 300.0
WORKER_IDLE_SECONDS = 0.5
BATCH = 20
MAX_IN_FLIGHT = 64  # outbox items on their way at once
GATHER_SECONDS = 0.01
HOUSEKEEPING_SECONDS = 60.0


class Staff:
    """Handlers and background work of the hand-off, bound to one mediators' group."""

    def __init__(self, desk: HandoffDesk) -> None:
        self.desk = desk
        self._members: dict[int, tuple[bool, float]] = {}
        self.wake = asyncio.Event()
        self._caseless = asyncio.Lock()  # items of no case go out in the order queued

    @property
    def group_id(self) -> int:
        assert self.desk.group_id is not None
        return self.desk.group_id

    def add_handlers(self, application: Any) -> None:
        """Group 0, ahead of the conversation: staff commands, both relays, /stop, ratings."""
        private = filters.ChatType.PRIVATE
        application.add_handler(CallbackQueryHandler(self.on_rating, pattern=rf"^{actions.RATE}:"))
        application.add_handler(CommandHandler("stop", self.on_stop, filters=private))
        application.add_handler(MessageHandler(private & ~filters.COMMAND, self.from_person))
        if self.desk.group_id is not None:
            group = filters.Chat(self.desk.group_id)
            application.add_handler(CommandHandler(list(STAFF_COMMANDS), self.on_command, filters=group))
            application.add_handler(
                MessageHandler(group & ~filters.COMMAND & ~filters.StatusUpdate.ALL, self.from_mediator)
            )

    # -- handlers --------------------------------------------------------------------

    async def from_person(self, update: Update, context: BotContext) -> None:
        """While a case is open, the person's messages go to the mediators, not the bot."""
        message = update.effective_message
        if message is None:
            return
        case_id = await run_blocking(self.desk.engine, self.desk.open_case_id, f"telegram:{message.chat_id}")
        if case_id is None:
            return  # the conversation answers
        await run_blocking(
            self.desk.engine,
            self.desk.from_person,
            case_id,
            message_id=message.message_id,
            text=message.text or message.caption,
        )
        self.wake.set()
        raise ApplicationHandlerStop

    async def on_stop(self, update: Update, context: BotContext) -> None:
        """/stop: the person ends the conversation with the mediator."""
        message = update.effective_message
        if message is None:
            return
        key = f"telegram:{message.chat_id}"
        person = context.services.people.get(key)
        case = self.desk.open_case_of(key)
        if case is None:
            return  # no case: the conversation answers /stop as an unknown command
        replies = self.desk.stop_by_person(key, person.language or "en")
        if case.topic_id is not None:
            self.desk.enqueue(
                None,
                "send_to_group",
                {"thread_id": case.topic_id, "text": self.desk.staff("staff.person_stopped")},
            )
        for reply in replies:
            await context.bot.send_message(message.chat_id, reply.text, parse_mode=ParseMode.HTML)
        self.wake.set()
        raise ApplicationHandlerStop

    async def on_rating(self, update: Update, context: BotContext) -> None:
        """The 1–5 rating after a case closed."""
        query = update.callback_query
        if query is None or query.message is None:
            return
        await query.answer()
        action = actions.decode(query.data or "")
        chat_id = query.message.chat.id
        person = context.services.people.get(f"telegram:{chat_id}")
        if action and action.value.isdigit() and action.extra.isdigit():
            if self.desk.rate(int(action.value), person.key, int(action.extra)):
                await query.edit_message_reply_markup(reply_markup=None)
                await context.bot.send_message(chat_id, Words(person.language or "en")("case.rating_thanks"))
        raise ApplicationHandlerStop

    async def from_mediator(self, update: Update, context: BotContext) -> None:
        """A mediator's message in a case topic: copied to the person as from the bot."""
        message = update.effective_message
        user = update.effective_user
        if message is None or user is None or user.is_bot or not message.is_topic_message:
            raise ApplicationHandlerStop
        case = self.desk.case_of_topic(message.message_thread_id or 0)
        if case is None or case.status != "open" or not await self.is_member(context.bot, user.id):
            raise ApplicationHandlerStop
        self.desk.to_person(
            case,
            topic_message_id=message.message_id,
            text=message.text or message.caption,
            mediator_id=user.id,
        )
        self.wake.set()
        raise ApplicationHandlerStop

    async def on_command(self, update: Update, context: BotContext) -> None:
        """/claim /release /close /note /lang /province /ban /unban /queue /iam."""
        message = update.effective_message
        user = update.effective_user
        if message is None or user is None or message.text is None:
            raise ApplicationHandlerStop
        parsed = parse_command(message.text)
        if parsed is None:
            raise ApplicationHandlerStop
        name, args = parsed
        w = self.desk.staff
        thread = message.message_thread_id if message.is_topic_message else None
        if not await self.is_member(context.bot, user.id):
            await self.say(context.bot, thread, w("staff.not_member"))
            raise ApplicationHandlerStop
        taxonomy = context.services.taxonomy
        if name == "queue":
            await self.say(context.bot, thread, self.queue_text())
        elif name == "iam":
            row = self.desk.declare(
                user.id,
                [a.lower() for a in args],
                languages=taxonomy.answer_languages,
                provinces=taxonomy.provinces,
            )
            await self.say(
                context.bot,
                thread,
                w(
                    "staff.iam",
                    languages=" ".join(row.languages) or "-",
                    provinces=" ".join(row.provinces) or "-",
                ),
            )
        else:
            case = self.desk.case_of_topic(thread) if thread else None
            if case is None or (case.status != "open" and name not in ("unban",)):
                await self.say(context.bot, thread, w("staff.no_case"))
            else:
                await self.case_command(context, case, name, args, user.id, thread)
        self.wake.set()
        raise ApplicationHandlerStop

    async def case_command(
        self, context: BotContext, case: Case, name: str, args: list[str], user_id: int, thread: int | None
    ) -> None:
        w, taxonomy = self.desk.staff, context.services.taxonomy
        if name == "claim":
            ok = self.desk.claim(case, user_id)
            await self.say(
                context.bot, thread, w("staff.claimed" if ok else "staff.claimed_by_other", case=case.id)
            )
        elif name == "release":
            self.desk.release(case)
            await self.say(context.bot, thread, w("staff.released", case=case.id))
        elif name == "close":
            self.desk.close(case)
            await self.say(context.bot, thread, w("staff.closed", case=case.id))
        elif name == "note":
            self.desk.note(case, " ".join(args))
            await self.say(context.bot, thread, w("staff.note_saved"))
        elif name in ("lang", "province"):
            value = args[0].lower() if args else ""
            allowed = taxonomy.answer_languages if name == "lang" else (*taxonomy.provinces, OTHER_PROVINCE)
            if value not in allowed:
                await self.say(context.bot, thread, w("staff.bad_value", value=value or "-"))
                return
            if name == "lang":
                self.desk.correct(case, language=value)
            else:
                self.desk.correct(case, province=value)
            await self.say(context.bot, thread, w("staff.corrected", case=case.id))
        elif name in ("ban", "unban"):
            self.desk.set_banned(case, name == "ban")
            await self.say(
                context.bot, thread, w("staff.banned" if name == "ban" else "staff.unbanned", case=case.id)
            )

    def queue_text(self) -> str:
        w = self.desk.staff
        cases = self.desk.queue()
        if not cases:
            return w("staff.queue_empty")
        lines = []
        for case in cases:
            minutes = minutes_waiting(case)
            claimed = " ✋" if case.claimed_by else ""
            flag = "🔴 " if case.priority else ""
            lines.append(
                flag
                + w(
                    "staff.queue_line",
                    case=case.id,
                    language=case.language,
                    province=case.province or "?",
                    domain=case.domain,
                    minutes=minutes,
                )
                + claimed
            )
        return "\n".join(lines)

    async def say(self, bot: Bot, thread: int | None, text: str) -> None:
        await bot.send_message(self.group_id, text, message_thread_id=thread)

    async def is_member(self, bot: Bot, user_id: int) -> bool:
        """Whether the user belongs to the mediators' group (cached a few minutes)."""
        cached = self._members.get(user_id)
        if cached and time.monotonic() - cached[1] < MEMBER_CACHE_SECONDS:
            return cached[0]
        try:
            member = await bot.get_chat_member(self.group_id, user_id)
            ok = member.status in MEMBER_STATUSES
        except TelegramError:
            ok = False
        self._members[user_id] = (ok, time.monotonic())
        return ok

    # -- the outbox worker -----------------------------------------------------------

    def start_background(self, bot: Bot) -> list[asyncio.Task[None]]:
        return [asyncio.create_task(self.work(bot)), asyncio.create_task(self.housekeeping(bot))]

    async def work(self, bot: Bot) -> None:
        """Send due outbox items forever. Batches overlap: new items go out while a slow
        one (a topic being created) is still on its way; each finished item wakes the
        loop, since the next item of its case may go now."""
        in_flight: set[asyncio.Task[None]] = set()
        try:
            await self._work(bot, in_flight)
        finally:  # shutdown: what is on its way stops; its leases bring it back later
            for task in in_flight:
                task.cancel()
            await asyncio.gather(*in_flight, return_exceptions=True)

    async def _work(self, bot: Bot, in_flight: set[asyncio.Task[None]]) -> None:
        loop = asyncio.get_running_loop()
        while True:
            # Cleared before looking, so an item queued while we look still wakes us
            # (clearing after an empty look lost such wake-ups: up to a 0.5 s wait).
            self.wake.clear()
            items: list[tuple[OutboxItem, Case | None]] = []
            wanted = min(MAX_IN_FLIGHT - len(in_flight), BATCH)
            last_look = loop.time()
            try:
                if wanted > 0:
                    items = await run_blocking(self.desk.engine, self.desk.take_due, wanted)
            except Exception as exc:  # e.g. the database busy: try again after a pause
                log.error("outbox worker: %s, going on", type(exc).__name__)
            if items:
                task = asyncio.create_task(self.execute_all(bot, items))
                in_flight.add(task)
                task.add_done_callback(in_flight.discard)
                task.add_done_callback(self._batch_done)
                if len(items) == wanted:
                    continue  # there may be more due now
            try:
                await asyncio.wait_for(self.wake.wait(), WORKER_IDLE_SECONDS)
            except TimeoutError:
                continue
            # Under load, wake-ups come by the hundred a second: at most one look per
            # GATHER_SECONDS (a wake-up after a quiet spell is served at once).
            pause = GATHER_SECONDS - (loop.time() - last_look)
            if pause > 0:
                await asyncio.sleep(pause)

    def _batch_done(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("outbox batch: %s, going on", type(task.exception()).__name__)
        self.wake.set()

    async def drain(self, bot: Bot, *, timeout: float = 10.0) -> None:
        """Send everything due now (tests and shutdown)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            items = self.desk.take_due()
            if not items:
                return
            await self.execute_all(bot, items)

    async def execute_all(self, bot: Bot, items: list[tuple[OutboxItem, Case | None]]) -> None:
        """Items of different cases at once (take_due gives at most one per case, so each
        case keeps its order); items of no case one after the other, as queued."""
        caseless = [item for item, _ in items if item.case_id is None]

        async def in_order() -> None:
            async with self._caseless:
                for item in caseless:
                    await self.execute(bot, item, None)

        await asyncio.gather(
            in_order(), *(self.execute(bot, item, case) for item, case in items if item.case_id is not None)
        )

    async def execute(self, bot: Bot, item: OutboxItem, case: Case | None) -> None:
        """One outbox item; its outcome (done, retry later, failed) is written back."""
        try:
            await self._call(bot, item, case)
        except RetryAfter as exc:
            delay = (
                exc.retry_after.total_seconds()
                if isinstance(exc.retry_after, timedelta)
                else float(exc.retry_after)
            )
            log.warning("outbox %s: flood limit, retry in %.0f s", item.id, delay)
            self.desk.retry_later(item, after=delay)
        except BadRequest as exc:
            if case is not None and "thread not found" in exc.message.lower():
                log.warning("outbox %s: topic of case %s is gone: recreating it", item.id, case.id)
                self.desk.forget_topic(case)
                self.desk.retry_later(item, after=0)
            else:
                log.error("outbox %s (%s) refused: %s", item.id, item.operation, type(exc).__name__)
                self.desk.failed(item)
        except Forbidden:
            log.error("outbox %s (%s): the bot may not write there", item.id, item.operation)
            self.desk.failed(item)
        except NetworkError as exc:  # timeouts and 5xx: try again with a backoff
            log.warning("outbox %s: %s, will retry", item.id, type(exc).__name__)
            self.desk.retry_later(item)
        else:
            await run_blocking(self.desk.engine, self.desk.done, item)

    async def _ensure_topic(self, bot: Bot, case: Case) -> int:
        if case.topic_id is not None:
            return case.topic_id
        assert case.id is not None
        title = case_title(case.id, case.language, case.province, case.domain, priority=case.priority)
        topic = await bot.create_forum_topic(self.group_id, title)
        case.topic_id = topic.message_thread_id
        self.desk.set_topic(case, topic.message_thread_id)
        card = await bot.send_message(
            self.group_id,
            self.desk.card(case),
            message_thread_id=case.topic_id,
            parse_mode=ParseMode.HTML,
            link_preview_options=NO_PREVIEW,
        )
        await bot.pin_chat_message(self.group_id, card.message_id, disable_notification=not case.priority)
        return case.topic_id

    async def _call(self, bot: Bot, item: OutboxItem, case: Case | None) -> None:
        op, payload = item.operation, item.payload
        if op == "send_to_group":
            await bot.send_message(self.group_id, payload["text"], message_thread_id=payload.get("thread_id"))
            return
        if case is None:
            return
        if op == "create_topic":
            await self._ensure_topic(bot, case)
            return
        if op == "copy_to_topic":
            thread = await self._ensure_topic(bot, case)
            await bot.copy_message(
                self.group_id, case.chat_id, payload["message_id"], message_thread_id=thread
            )
            return
        if op == "copy_to_person":
            await bot.copy_message(case.chat_id, self.group_id, payload["message_id"])
            return
        if op == "send_to_person":
            rows = payload.get("buttons") or []
            markup = (
                InlineKeyboardMarkup(
                    [
                        [InlineKeyboardButton(b["text"], callback_data=b["callback_data"]) for b in row]
                        for row in rows
                    ]
                )
                if rows
                else None
            )
            await bot.send_message(
                case.chat_id, payload["text"], parse_mode=ParseMode.HTML, reply_markup=markup
            )
            return
        if op == "close_topic" and case.topic_id is not None:
            await bot.close_forum_topic(self.group_id, case.topic_id)

    async def housekeeping(self, bot: Bot) -> None:
        """Reminders for unclaimed cases and transcript retention, once a minute."""
        while True:
            await asyncio.sleep(HOUSEKEEPING_SECONDS)
            try:
                await self.remind_and_purge()
            except Exception as exc:  # a busy database must not stop the loop
                log.warning("housekeeping failed: %s", type(exc).__name__)

    async def remind_and_purge(self) -> None:
        for case in await asyncio.to_thread(self.desk.due_reminders):
            minutes = minutes_waiting(case)
            self.desk.enqueue(
                None,
                "send_to_group",
                {"text": self.desk.staff("staff.reminder", case=case.id, minutes=minutes)},
            )
        purged = await asyncio.to_thread(self.desk.purge_transcripts)
        if purged:
            log.info("transcripts of %s closed case(s) deleted after the retention period", purged)
        self.wake.set()
