from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from bot.store import models  # noqa: F401  (registers the tables)


def test_migrations_match_the_models(engine: Engine) -> None:
    """`approdo db upgrade` builds exactly the schema the code expects."""
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert differences == []
