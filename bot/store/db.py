"""Engines and sessions: SQLite file by default, PostgreSQL through DATABASE_URL."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Table, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool
from sqlmodel import create_engine

MIGRATIONS = Path(__file__).parent / "migrations"
POOL_SIZE = 20
P = ParamSpec("P")
T = TypeVar("T")


def make_engine(url: str) -> Engine:
    """An engine for url; SQLite gets WAL, a busy timeout and foreign keys."""
    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 15}
        if url in ("sqlite://", "sqlite:///:memory:"):
            kwargs["poolclass"] = StaticPool
        else:
            path = url.removeprefix("sqlite:///")
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    else:
        # Enough pooled connections for the worker threads and the event loop together:
        # with the default 5, connections beyond it were opened and closed per query,
        # and opening one is the most expensive thing PostgreSQL does (py-spy, bench.load).
        kwargs.update(pool_pre_ping=True, pool_size=POOL_SIZE, max_overflow=POOL_SIZE)
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # With WAL, NORMAL syncs at checkpoints only: a crash of the process loses nothing,
    # a power cut may lose the last commits; every commit no longer waits for the disk.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str) -> None:
    """Bring the database at url to the newest schema (Alembic `upgrade head`)."""
    command.upgrade(alembic_config(url), "head")


def insert_or_merge(engine: Engine, table: Table) -> sqlite.Insert | postgresql.Insert:
    """An INSERT that can take ON CONFLICT (SQLite and PostgreSQL both speak it): a write
    in one round trip where the ORM would read the row first."""
    if engine.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def without_waiting_for_disk(connection: Connection) -> None:
    """For a write the bot can redo (a person's settings, an update marked as handled): on
    PostgreSQL its commit does not wait for the disk flush. A crash of the database server
    may lose the last fraction of a second of such writes, never corrupt anything; a crash
    of the bot loses nothing. Messages to relay never take this path. (SQLite already
    commits without a flush: see _sqlite_pragmas.)"""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SET LOCAL synchronous_commit TO OFF"))


async def run_blocking(engine: Engine, call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """A database call from async code. On PostgreSQL it is a network round trip (and a
    disk flush on commit): it runs in a worker thread so the event loop keeps serving
    other people meanwhile. SQLite is a local call, cheaper than the hop to a thread
    (py-spy under `bench.load`): it runs inline."""
    if engine.dialect.name == "postgresql":
        return await asyncio.to_thread(call, *args, **kwargs)
    return call(*args, **kwargs)
