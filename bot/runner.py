"""Starting things: the terminal chat, the Telegram bot, and `make run`'s whole stack."""

from __future__ import annotations

import getpass
import logging
import sys

import httpx
import typer
from sqlmodel import Session

from bot import rasa_server
from bot.content_cli import checked_bundle
from bot.errors import SetupError
from bot.logs import configure_logging
from bot.services import build_services
from bot.settings import Settings
from bot.shell import Shell
from bot.store import db
from bot.store.sync import sync_content

log = logging.getLogger(__name__)


def _read_line() -> str | None:
    try:
        return input("> ") if sys.stdin.isatty() else (sys.stdin.readline() or None)
    except EOFError:
        return None


async def run_terminal(
    settings: Settings, *, language: str | None = None, province: str | None = None
) -> None:
    """The terminal chat against the NLU server at RASA_URL (keyword rules if it is down)."""
    configure_logging(logging.WARNING)
    db.upgrade(settings.database_url)
    async with httpx.AsyncClient(timeout=settings.rasa_timeout_seconds) as http:
        services = build_services(settings, http=http)
        shell = Shell(services)
        shell.preset(language=language, province=province)
        if sys.stdin.isatty():
            shell.show(services.conversation.command(shell.key, "start" if language is None else "menu"))
        while (line := _read_line()) is not None:
            await shell.handle(line)


def run_telegram(settings: Settings) -> None:
    from bot.telegram.app import run_application

    db.upgrade(settings.database_url)
    run_application(settings)


def publish_content(settings: Settings) -> None:
    """Schema to head and content/ into the database (skipped, with a warning, on errors)."""
    db.upgrade(settings.database_url)
    bundle, errors = checked_bundle(settings, quiet=True)
    if errors:
        typer.echo(f"content/ has {errors} error(s): serving the content already published", err=True)
        return
    engine = db.make_engine(settings.database_url)
    with Session(engine) as session:
        sync_content(session, bundle, author=getpass.getuser())
    engine.dispose()


def start_everything(settings: Settings) -> None:
    """`make run`: database, content, the Rasa server (unless one answers), then the bot."""
    import asyncio

    from bot.nlu_client import is_up

    publish_content(settings)

    async def nlu_up() -> bool:
        async with httpx.AsyncClient() as http:
            return await is_up(http, settings.rasa_url)

    process = None
    if not asyncio.run(nlu_up()):
        model, _ = rasa_server.train(settings)
        typer.echo(f"starting the NLU server at {settings.rasa_url} …", err=True)
        process = rasa_server.start_server(settings, model, rasa_server.port_of(settings.rasa_url))
    try:
        if process is not None:
            rasa_server.wait_until_up(settings.rasa_url, process)
        if settings.telegram_bot_token is None:
            asyncio.run(run_terminal(settings))
        else:
            run_telegram(settings)
    except KeyboardInterrupt:
        pass
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except Exception as exc:  # the server did not stop in time
                process.kill()
                raise SetupError("the NLU server had to be killed") from exc
