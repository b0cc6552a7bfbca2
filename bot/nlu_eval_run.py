"""Running the held-out split through a Rasa server started for the purpose."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import httpx

from bot import rasa_server
from bot.core.decide import route
from bot.evaluation import Prediction
from bot.langid import detect_language
from bot.nlu_client import NLUClient
from bot.nlu_data import Example, read_folder
from bot.settings import Settings
from bot.taxonomy import Taxonomy, load_taxonomy


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _predict(url: str, examples: list[Example], taxonomy: Taxonomy) -> list[Prediction]:
    limit = asyncio.Semaphore(8)
    async with httpx.AsyncClient(timeout=30.0) as http:
        client = NLUClient(http, url)

        async def one(ex: Example) -> Prediction:
            async with limit:
                parse = await client.parse(ex.text)
            return Prediction(
                ex.language,
                ex.intent,
                parse.intent,
                parse.confidence,
                detect_language(ex.text).language,
                route(parse, taxonomy),
            )

        return list(await asyncio.gather(*(one(ex) for ex in examples)))


def predict_all(settings: Settings, model: Path) -> list[Prediction]:
    """Start a Rasa server for `model`, classify every example of nlu/tests/, stop it."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = rasa_server.start_server(settings.model_copy(update={"rasa_url": url}), model, port)
    try:
        rasa_server.wait_until_up(url, process)
        taxonomy = load_taxonomy(settings.content_dir)
        return asyncio.run(_predict(url, read_folder(settings.nlu_dir / "tests"), taxonomy))
    finally:
        process.terminate()
        process.wait(timeout=30)
