"""Shared fixtures: real databases (SQLite, and PostgreSQL when TEST_POSTGRES_URL is set),
published content, and one real Rasa server for the whole session."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot import rasa_server
from bot.nlu_eval_run import free_port
from bot.settings import PROJECT_ROOT, Settings
from bot.store import db
from bot.store.content_files import read_content
from bot.store.sync import sync_content

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL")
DATABASES = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


def pytest_sessionstart(session: pytest.Session) -> None:
    """Compile the catalogs if setup has not (the bot reads .mo files)."""
    if not (PROJECT_ROOT / "locales" / "en" / "LC_MESSAGES" / "approdo.mo").exists():
        subprocess.run(
            [str(PROJECT_ROOT / ".venv" / "bin" / "pybabel"), "compile", "-d", "locales", "-D", "approdo"],
            cwd=PROJECT_ROOT,
            check=True,
            capture_output=True,
        )


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database per test: a SQLite file, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'approdo.db'}"
        db.upgrade(url)
        yield url
        return
    assert POSTGRES_URL
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = db.make_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in POSTGRES_URL else "?"
    url = f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
    db.upgrade(url)
    yield url
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = db.make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, telegram_bot_token=None)


@pytest.fixture
def published(engine: Engine) -> Engine:
    """The database with content/ published."""
    bundle = read_content(PROJECT_ROOT / "content")
    assert not bundle.errors, bundle.errors
    with Session(engine) as session:
        sync_content(session, bundle, author="test")
    return engine


@pytest.fixture(scope="session")
def rasa_url() -> Iterator[str]:
    """One real Rasa server for the session, serving the trained model."""
    settings = Settings()
    model, _ = rasa_server.train(settings)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = rasa_server.start_server(settings.model_copy(update={"rasa_url": url}), model, port)
    try:
        rasa_server.wait_until_up(url, process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
