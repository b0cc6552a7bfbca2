"""What the load and fault runs share: the database, the Rasa server, the bot process."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from bot import rasa_server
from bot.nlu_eval_run import free_port
from bot.settings import PROJECT_ROOT, Settings
from bot.store import db
from bot.store.content_files import read_content
from bot.store.sync import sync_content
from tests.helpers.bot_api import TOKEN, BotAPIDouble

GROUP_ID = -1009999
MEDIATOR = 777
WEBHOOK_SECRET = "bench-secret"


def prepare_database(kind: str, workdir: Path, postgres: str | None) -> str | None:
    """A new, migrated database with content/ published; None if PostgreSQL is missing."""
    if kind == "sqlite":
        url = f"sqlite:///{workdir / f'bench-{uuid.uuid4().hex[:6]}.db'}"
    elif postgres is None:
        return None
    else:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        engine = db.make_engine(postgres)
        with engine.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        engine.dispose()
        url = f"{postgres}{'&' if '?' in postgres else '?'}options=-csearch_path%3D{schema}"
    db.upgrade(url)
    engine = db.make_engine(url)
    with Session(engine) as session:
        sync_content(session, read_content(PROJECT_ROOT / "content"), author="bench")
    engine.dispose()
    return url


def start_rasa(settings: Settings) -> tuple[subprocess.Popen[bytes], str]:
    model, _ = rasa_server.train(settings)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = rasa_server.start_server(settings.model_copy(update={"rasa_url": url}), model, port)
    rasa_server.wait_until_up(url, process)
    return process, url


def start_bot(
    api: BotAPIDouble, rasa_url: str, database_url: str, log: Path, *, webhook_port: int | None = None
) -> subprocess.Popen[bytes]:
    """`approdo run` as its own process, against the double; a webhook when a port is given."""
    env: dict[str, Any] = {
        **os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": api.url, "RASA_URL": rasa_url,
        "DATABASE_URL": database_url, "MEDIATORS_CHAT_ID": str(GROUP_ID), "TELEGRAM_MAX_RATE": "0",
    }  # fmt: skip
    if webhook_port is not None:
        env.update(
            WEBHOOK_URL=f"http://127.0.0.1:{webhook_port}/telegram",
            WEBHOOK_PORT=str(webhook_port),
            WEBHOOK_SECRET=WEBHOOK_SECRET,
        )
    out = log.open("a")
    return subprocess.Popen(
        [str(PROJECT_ROOT / ".venv" / "bin" / "approdo"), "run"],
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
        cwd=PROJECT_ROOT,
    )


async def wait_ready(
    api: BotAPIDouble, *, webhook: bool, since: float = 0.0, timeout: float = 60.0, count: int = 1
) -> None:
    """Until `count` bot processes poll (or have set their webhook) after `since`
    (time.monotonic())."""
    deadline = time.monotonic() + timeout
    ready = "setWebhook" if webhook else "getUpdates"
    while time.monotonic() < deadline:
        methods = Counter(c.method for c in api.calls if c.at >= since)
        if methods[ready] >= count and methods["setMyCommands"] >= count:
            await asyncio.sleep(0.3)
            return
        await asyncio.sleep(0.1)
    raise RuntimeError("the bot did not start")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
