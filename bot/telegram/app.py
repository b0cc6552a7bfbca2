"""The Telegram application: every handler wired here, in order."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import Callable
from typing import Any

import uvloop
from telegram import BotCommand, Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.core.labels import COMMANDS
from bot.http_clients import AiohttpRequest, client
from bot.i18n import Words
from bot.logs import configure_logging
from bot.services import Services, build_services
from bot.settings import Settings
from bot.store.db import run_blocking
from bot.telegram import handlers
from bot.telegram.context import BotContext, BotData
from bot.telegram.poller import poll
from bot.telegram.staff import Staff

log = logging.getLogger(__name__)

CONTENT_REFRESH_SECONDS = 30.0
UPDATE_MARKS_PURGE_SECONDS = 3600.0
CONCURRENT_UPDATES = 64
BotApplication = Application[Any, BotContext, dict[Any, Any], dict[Any, Any], BotData, Any]


class ApprodoApplication(Application):  # type: ignore[type-arg]
    """Processes each Telegram update at most once, even across restarts.

    An update is marked done only after its handlers ran (and committed what they
    wrote), so one that was received but not finished when the process died is handled
    again after a restart (from polling's inbox, or redelivered to the webhook); the
    relay ignores a message it already has.
    """

    async def process_update(self, update: object) -> None:
        services = self.bot_data.services
        if not isinstance(update, Update) or services is None:
            await super().process_update(update)
            return
        updates = services.updates
        if await run_blocking(updates.engine, updates.already_processed, update.update_id):
            log.info("update %s already processed: skipped", update.update_id)
            return
        await super().process_update(update)
        await run_blocking(updates.engine, updates.finish, update.update_id)


def build_application(settings: Settings, services: Services) -> BotApplication:
    """The application with every handler; `settings.telegram_api_url` points it at
    another Bot API server (a self-hosted one, or the tests' double)."""
    assert settings.telegram_bot_token is not None
    builder = (
        Application.builder()
        .token(settings.telegram_bot_token.get_secret_value())
        .application_class(ApprodoApplication)
        .context_types(ContextTypes(context=BotContext, bot_data=BotData))
        .concurrent_updates(CONCURRENT_UPDATES)
        .request(AiohttpRequest())
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
    )
    if settings.telegram_max_rate > 0:
        limiter = AIORateLimiter(overall_max_rate=settings.telegram_max_rate, max_retries=5)
        builder = builder.rate_limiter(limiter)  # type: ignore[arg-type]  # PTB's generics: limiter args type
    if settings.telegram_api_url:
        base = settings.telegram_api_url.rstrip("/")
        builder = builder.base_url(f"{base}/bot").base_file_url(f"{base}/file/bot")
    application: BotApplication = builder.build()
    application.bot_data.services = services
    staff = Staff(services.handoff)
    application.bot_data.staff = staff
    private = filters.ChatType.PRIVATE

    # Group 0: the mediators' group, /stop, ratings, and the relay of a person's messages
    # while their case is open (each of these stops the update).
    staff.add_handlers(application)
    # Group 1, the conversation: commands of a private chat, then any other command
    # (answered as unknown).
    application.add_handler(CommandHandler(list(COMMANDS), handlers.command, filters=private), group=1)
    application.add_handler(MessageHandler(private & filters.COMMAND, handlers.command), group=1)
    # Free text, new or edited.
    application.add_handler(MessageHandler(private & filters.TEXT & ~filters.COMMAND, handlers.text), group=1)
    # A shared location, then everything the bot cannot read.
    application.add_handler(MessageHandler(private & filters.LOCATION, handlers.location), group=1)
    media = (
        filters.VOICE
        | filters.AUDIO
        | filters.PHOTO
        | filters.VIDEO
        | filters.VIDEO_NOTE
        | filters.Document.ALL
        | filters.Sticker.ALL
    )
    application.add_handler(MessageHandler(private & media, handlers.media), group=1)
    # Buttons.
    application.add_handler(CallbackQueryHandler(handlers.button), group=1)
    application.add_error_handler(handlers.on_error)
    return application


async def _post_init(application: BotApplication) -> None:
    services = application.bot_data.services
    assert services is not None
    await set_commands(application, services)
    tasks = [
        asyncio.create_task(
            _every(CONTENT_REFRESH_SECONDS, lambda: _refresh_content(services), "content refresh")
        ),
        # Keeps the processed-update marks from growing forever.
        asyncio.create_task(
            _every(UPDATE_MARKS_PURGE_SECONDS, services.updates.forget_old, "update marks purge")
        ),
    ]
    staff = application.bot_data.staff
    assert staff is not None
    tasks += staff.start_background(application.bot)
    application.bot_data.__dict__["tasks"] = tasks
    # Everything loaded so far (the language models among it: build_services warms them
    # up) lives as long as the process: out of the collector's sight,
    # a full collection no longer walks it (it was a 110–135 ms pause each, under load).
    gc.freeze()


async def _post_shutdown(application: BotApplication) -> None:
    for task in application.bot_data.__dict__.get("tasks", []):
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    if application.bot_data.http is not None:
        await application.bot_data.http.aclose()


async def set_commands(application: BotApplication, services: Services) -> None:
    """The command menu in every language (and English as Telegram's default)."""
    for language in (None, *services.taxonomy.answer_languages):
        words = Words(language or "en")
        commands = [BotCommand(name, words(key)) for name, key in COMMANDS.items()]
        await application.bot.set_my_commands(commands, language_code=language)


async def _every(seconds: float, job: Callable[[], object], name: str) -> None:
    """Run a blocking job in a thread every `seconds`, forever; a failure (a busy
    database) is logged and the loop goes on."""
    while True:
        await asyncio.sleep(seconds)
        try:
            await asyncio.to_thread(job)
        except Exception as exc:
            log.warning("%s failed: %s", name, type(exc).__name__)


def _refresh_content(services: Services) -> None:
    """Serve a `content sync` within a minute, without a restart."""
    if services.refresh_content():
        log.info("content refreshed to revision %s", services.content.snapshot.revision)


def run_application(settings: Settings) -> None:
    """Polling when WEBHOOK_URL is unset, a webhook (secret token checked) otherwise."""
    configure_logging()
    # libuv's event loop, lighter per socket operation than asyncio's own.
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    http = client(settings.rasa_timeout_seconds)
    services = build_services(settings, http=http)
    application = build_application(settings, services)
    application.bot_data.http = http  # closed by _post_shutdown, in the loop that used it
    if settings.webhook_url:
        application.run_webhook(
            listen=settings.webhook_listen,
            port=settings.webhook_port,
            url_path="telegram",
            webhook_url=settings.webhook_url,
            secret_token=settings.webhook_secret.get_secret_value() if settings.webhook_secret else None,
            allowed_updates=Update.ALL_TYPES,
        )
    else:
        asyncio.run(_run_polling(application, services))


async def _run_polling(application: BotApplication, services: Services) -> None:
    """Start, poll with bot.telegram.poller until SIGINT/SIGTERM, stop cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with application:
        await application.bot.delete_webhook()
        await _post_init(application)
        await application.start()
        poller = asyncio.create_task(poll(application, services.updates, stop=stop))
        await stop.wait()
        poller.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await poller
        await application.stop()
        await _post_shutdown(application)
