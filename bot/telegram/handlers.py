"""Handlers: each turns an Update into one call to the conversation and sends the result."""

from __future__ import annotations

import logging

from telegram import Update

from bot.core.model import Outcome
from bot.telegram.context import BotContext
from bot.telegram.send import send_replies

log = logging.getLogger(__name__)

MEDIA_KINDS = ("voice", "audio", "photo", "video", "video_note", "document", "sticker")


def person_key(chat_id: int) -> str:
    return f"telegram:{chat_id}"


def _language(update: Update) -> str | None:
    user = update.effective_user
    return user.language_code.split("-")[0] if user and user.language_code else None


async def carry_out(context: BotContext, chat_id: int, outcome: Outcome) -> None:
    """Send the replies, then carry out the effects (opening a case says so too)."""
    follow_up = context.services.carry_out(person_key(chat_id), chat_id, outcome.effects)
    await send_replies(context, chat_id, [*outcome.replies, *follow_up])
    if outcome.effects and context.staff is not None:
        context.staff.wake.set()


async def command(update: Update, context: BotContext) -> None:
    """A slash command in a private chat (known or not)."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    name = message.text.split()[0].lstrip("/").split("@")[0].lower()
    outcome = context.conversation.command(
        person_key(message.chat_id), name, telegram_language=_language(update)
    )
    await carry_out(context, message.chat_id, outcome)


async def text(update: Update, context: BotContext) -> None:
    """Free text, new or edited: understood and answered."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    outcome = await context.conversation.text(
        person_key(message.chat_id), message.text, telegram_language=_language(update)
    )
    await carry_out(context, message.chat_id, outcome)


async def location(update: Update, context: BotContext) -> None:
    """A shared location: the nearest services."""
    message = update.effective_message
    if message is None or message.location is None:
        return
    outcome = context.conversation.location(
        person_key(message.chat_id),
        message.location.latitude,
        message.location.longitude,
        telegram_language=_language(update),
    )
    await carry_out(context, message.chat_id, outcome)


async def media(update: Update, context: BotContext) -> None:
    """Voice, photo, document, sticker: a kind reply with the menu and a mediator."""
    message = update.effective_message
    if message is None:
        return
    kind = next((k for k in MEDIA_KINDS if getattr(message, k, None)), "document")
    outcome = context.conversation.media(
        person_key(message.chat_id), kind, telegram_language=_language(update)
    )
    await carry_out(context, message.chat_id, outcome)


async def button(update: Update, context: BotContext) -> None:
    """A tapped inline button."""
    query = update.callback_query
    if query is None or query.message is None:
        return
    await query.answer()
    chat_id = query.message.chat.id
    outcome = context.conversation.action(
        person_key(chat_id), query.data or "", telegram_language=_language(update)
    )
    await carry_out(context, chat_id, outcome)


async def on_error(update: object, context: BotContext) -> None:
    """One log line (no message text), and a kind word to the person if there is one."""
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("update %s failed: %s", update_id, type(error).__name__, exc_info=error)
    if isinstance(update, Update) and update.effective_chat and update.effective_chat.type == "private":
        words = context.conversation.words(
            context.services.people.get(person_key(update.effective_chat.id)), _language(update)
        )
        try:
            await context.bot.send_message(update.effective_chat.id, words("error.generic"))
        except Exception:  # the error may be Telegram itself; nothing more to do
            log.error("could not tell chat of update %s about the failure", update_id)
