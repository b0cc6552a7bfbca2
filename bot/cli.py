"""The `approdo` command line."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from bot.content_cli import content_app, db_app
from bot.errors import ApprodoError, NLUUnavailable
from bot.settings import Settings
from bot.taxonomy import OTHER_PROVINCE, load_taxonomy

# No locals in crash reports: they would put people's messages on stderr.
app = typer.Typer(
    help="Approdo, a multilingual helpdesk for migrants in Lombardy.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
nlu_app = typer.Typer(
    help="Train, serve and evaluate the NLU.", no_args_is_help=True, pretty_exceptions_show_locals=False
)
app.add_typer(nlu_app, name="nlu")
app.add_typer(content_app, name="content")
app.add_typer(db_app, name="db")

log = logging.getLogger("approdo")


def _settings() -> Settings:
    return Settings()


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


@nlu_app.command("train")
def nlu_train(
    force: Annotated[bool, typer.Option(help="Train even if data and config are unchanged.")] = False,
) -> None:
    """Train the NLU model from nlu/*.yml and config.yml (skipped when unchanged)."""
    from bot import rasa_server

    try:
        path, trained = rasa_server.train(_settings(), force=force)
    except ApprodoError as exc:
        raise _fail(str(exc)) from exc
    typer.echo(f"{'trained' if trained else 'up to date'}: {path}")


@nlu_app.command("serve")
def nlu_serve(
    port: Annotated[int | None, typer.Option(help="Port (default: from RASA_URL).")] = None,
) -> None:
    """Start the Rasa NLU server in the foreground, training first if there is no model."""
    from bot import rasa_server

    settings = _settings()
    try:
        model, _ = rasa_server.train(settings)
        command = rasa_server.serve_command(settings, model, port or rasa_server.port_of(settings.rasa_url))
    except ApprodoError as exc:
        raise _fail(str(exc)) from exc
    raise typer.Exit(subprocess.call(command, env=rasa_server.rasa_env()))


@nlu_app.command("evaluate")
def nlu_evaluate(
    config: Annotated[Path | None, typer.Option(help="Evaluate another pipeline (trained apart).")] = None,
    out: Annotated[Path, typer.Option(help="Folder for report.json and confusion.png.")] = Path("docs/nlu"),
) -> None:
    """Score the NLU on the held-out nlu/tests/: accuracy, macro-F1, recall, language ID."""
    from bot import rasa_server
    from bot.evaluation import format_report, plot_confusion, score
    from bot.nlu_eval_run import predict_all

    settings = _settings()
    taxonomy = load_taxonomy(settings.content_dir)
    name = rasa_server.MODEL_NAME if config is None else f"candidate-{config.stem}"
    try:
        model, _ = rasa_server.train(settings, config=config, name=name)
        predictions = predict_all(settings, model)
    except ApprodoError as exc:
        raise _fail(str(exc)) from exc
    report = score(predictions, taxonomy)
    report["pipeline"] = str(config or "config.yml")
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    plot_confusion(report, str(out / "confusion.png"))
    typer.echo(format_report(report))
    typer.echo(f"\nwritten: {out / 'report.json'}, {out / 'confusion.png'}")


@app.command()
def classify(
    jsonl: Annotated[bool, typer.Option("--jsonl", help='Input lines are JSON: {"text": …}.')] = False,
) -> None:
    """Classify messages from stdin (one per line) with the NLU server at RASA_URL."""
    from bot.classify import classify_all, read_messages

    settings = _settings()
    messages = read_messages(sys.stdin.buffer, jsonl=jsonl)
    try:
        results = asyncio.run(
            classify_all(
                messages,
                rasa_url=settings.rasa_url,
                taxonomy=load_taxonomy(settings.content_dir),
                timeout=settings.rasa_timeout_seconds,
            )
        )
    except NLUUnavailable:
        raise _fail(
            f"the NLU server at {settings.rasa_url} is unreachable: start it with `approdo nlu serve`",
            2,
        ) from None
    for result in results:
        sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")


def main() -> None:
    app()


@app.command()
def shell(
    lang: Annotated[str | None, typer.Option("--lang", help="Preset the language (e.g. ar).")] = None,
    province: Annotated[str | None, typer.Option(help="Preset the province (e.g. milano).")] = None,
) -> None:
    """The terminal chat: the same conversation as Telegram, buttons as numbers."""
    from bot.runner import run_terminal

    settings = _settings()
    taxonomy = load_taxonomy(settings.content_dir)
    if lang is not None and lang not in taxonomy.answer_languages:
        raise typer.BadParameter(f"one of {', '.join(taxonomy.answer_languages)}", param_hint="--lang")
    if province is not None and province not in (*taxonomy.provinces, OTHER_PROVINCE):
        raise typer.BadParameter(f"one of {', '.join(taxonomy.provinces)}, other", param_hint="--province")
    asyncio.run(run_terminal(settings, language=lang, province=province))


@app.command()
def run() -> None:
    """The Telegram bot: polling, or a webhook when WEBHOOK_URL is set."""
    from bot.runner import run_telegram

    settings = _settings()
    if settings.telegram_bot_token is None:
        raise _fail("TELEGRAM_BOT_TOKEN is not set: use `approdo shell` for the terminal chat")
    run_telegram(settings)


@app.command()
def start() -> None:
    """What `make run` does: schema, content, the NLU server, then the bot or the shell."""
    from bot.runner import start_everything

    try:
        start_everything(_settings())
    except ApprodoError as exc:
        raise _fail(str(exc)) from exc
