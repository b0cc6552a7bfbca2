"""Alembic environment: migrations run against the URL set by bot.store.db.alembic_config."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from bot.store import models  # noqa: F401  (registers the tables)
from bot.store.db import make_engine

config = context.config
url = config.get_main_option("sqlalchemy.url") or ""


def run_migrations() -> None:
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=SQLModel.metadata,
            render_as_batch=url.startswith("sqlite"),
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
