"""`approdo content …` and `approdo db …`: the editors' and operators' commands."""

from __future__ import annotations

import getpass
import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import Session

from bot.nlu_data import read_folder
from bot.settings import Settings
from bot.store import db
from bot.store.content_check import check_content
from bot.store.content_files import ContentBundle, read_content
from bot.store.content_status import content_status, format_status
from bot.store.sync import sync_content
from bot.store.translation_io import (
    TranslationImportError,
    apply_translations,
    export_csv,
    export_po,
    read_translations,
)
from bot.taxonomy import load_taxonomy

content_app = typer.Typer(help="Check, publish and translate the content.", no_args_is_help=True)
db_app = typer.Typer(help="The database schema.", no_args_is_help=True)


def checked_bundle(settings: Settings, *, quiet: bool = False) -> tuple[ContentBundle, int]:
    """Read and check content/; print the problems; return the bundle and the error count."""
    bundle = read_content(settings.content_dir)
    taxonomy = load_taxonomy(settings.content_dir)
    intents = {ex.intent for ex in read_folder(settings.nlu_dir)}
    problems = check_content(bundle, taxonomy, intents, today=date.today())
    errors = [p for p in problems if p.severity == "error"]
    for problem in problems:
        if not quiet or problem.severity == "error":
            typer.echo(str(problem), err=True)
    return bundle, len(errors)


@content_app.command("check")
def check() -> None:
    """Validate content/: every problem with file, line and field. Exit 1 on errors."""
    bundle, errors = checked_bundle(Settings())
    typer.echo(
        f"{len(bundle.topics)} topics, {len(bundle.services)} services, "
        f"{len(bundle.hotlines)} hotlines: {errors} error(s)"
    )
    if errors:
        raise typer.Exit(1)


@content_app.command("sync")
def sync(
    author: Annotated[str | None, typer.Option(help="Who publishes (default: your user).")] = None,
) -> None:
    """Publish content/ into the database in one transaction; a bad file changes nothing."""
    settings = Settings()
    bundle, errors = checked_bundle(settings, quiet=True)
    if errors:
        typer.echo(f"{errors} error(s): nothing was published. Run `approdo content check`.", err=True)
        raise typer.Exit(1)
    engine = db.make_engine(settings.database_url)
    db.upgrade(settings.database_url)
    with Session(engine) as session:
        report = sync_content(session, bundle, author=author or getpass.getuser())
    if report.unchanged:
        typer.echo("nothing changed")
        return
    for kind in report.added:
        parts = [f"{len(getattr(report, what)[kind])} {what}" for what in ("added", "changed", "removed")]
        typer.echo(f"{kind + 's':9} " + ", ".join(parts))
    typer.echo(f"published as revision {report.revision}")


@content_app.command("status")
def status(
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table.")] = False,
) -> None:
    """Missing, machine-translated and stale answers per language and domain; old services."""
    settings = Settings()
    result = content_status(
        read_content(settings.content_dir), load_taxonomy(settings.content_dir), today=date.today()
    )
    typer.echo(json.dumps(result, indent=2) if as_json else format_status(result))


@content_app.command("export")
def export(
    lang: Annotated[str, typer.Option("--lang", help="The language to translate into.")],
    fmt: Annotated[str, typer.Option("--format", help="po or csv.")] = "po",
    out: Annotated[Path | None, typer.Option(help="File to write (default: stdout).")] = None,
) -> None:
    """Write one language's strings for a translator, as PO or CSV."""
    settings = Settings()
    if lang not in load_taxonomy(settings.content_dir).answer_languages:
        raise typer.BadParameter(f"unknown language {lang!r}", param_hint="--lang")
    bundle = read_content(settings.content_dir)
    if fmt == "po":
        data = export_po(bundle, lang)
    elif fmt == "csv":
        data = export_csv(bundle, lang).encode()
    else:
        raise typer.BadParameter("use po or csv", param_hint="--format")
    if out is None:
        typer.echo(data.decode(), nl=False)
    else:
        out.write_bytes(data)
        typer.echo(f"written: {out}")


@content_app.command("import")
def import_(
    file: Path,
    reviewer: Annotated[
        str | None, typer.Option("--by", help="Who reviewed it (default: your user).")
    ] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="Language, if the file does not say.")] = None,
) -> None:
    """Take a translated PO or CSV file back into content/, marked as reviewed."""
    settings = Settings()
    taxonomy = load_taxonomy(settings.content_dir)
    try:
        language, entries = read_translations(file)
        language = lang or language
        if language not in taxonomy.answer_languages:
            raise TranslationImportError(f"unknown language {language!r}: pass --lang")
        bundle, errors = checked_bundle(settings, quiet=True)
        if errors:
            raise TranslationImportError("content/ has errors; fix them before importing")
        changed = apply_translations(
            bundle, settings.project_root, language, entries, reviewer=reviewer or getpass.getuser()
        )
    except (TranslationImportError, OSError) as exc:
        typer.echo(f"nothing imported: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{len(entries)} strings into {len(changed)} file(s); run `approdo content check` and `sync`")


@db_app.command("upgrade")
def upgrade() -> None:
    """Bring the database to the newest schema (Alembic migrations)."""
    settings = Settings()
    db.upgrade(settings.database_url)
    typer.echo("database schema is up to date")
