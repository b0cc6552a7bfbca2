"""The bot's own python-telegram-bot request object (bot/http_clients.py, AiohttpRequest):
form fields and uploads as Telegram reads them, and network faults as PTB's errors.
Every other Telegram test also goes through it, against the Bot API double."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from telegram import Bot
from telegram.error import NetworkError, TimedOut

from bot.http_clients import AiohttpRequest
from tests.helpers.bot_api import TOKEN

MESSAGE = {"message_id": 7, "date": 0, "chat": {"id": 42, "type": "private"}, "text": "ok"}
ME = {"id": 1, "is_bot": True, "first_name": "Approdo", "username": "approdo_bot"}


@pytest.fixture
async def recorder() -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    """A server answering getMe, and every other Bot API method with a message; what it
    received, by call."""
    received: list[dict[str, Any]] = []

    async def handle(request: web.Request) -> web.Response:
        if request.match_info["method"] == "getMe":
            return web.json_response({"ok": True, "result": ME})
        fields: dict[str, Any] = {"method": request.match_info["method"]}
        if request.content_type == "multipart/form-data":
            async for part in await request.multipart():
                fields[part.name] = (part.filename, await part.read())  # type: ignore[union-attr]
        else:
            fields.update(await request.post())
        received.append(fields)
        return web.json_response({"ok": True, "result": MESSAGE})

    app = web.Application()
    app.router.add_post("/bot{token}/{method}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}/bot", received
    await runner.cleanup()


async def test_a_message_goes_as_form_fields_and_its_answer_comes_back(
    recorder: tuple[str, list[dict[str, Any]]],
) -> None:
    url, received = recorder
    async with Bot(TOKEN, base_url=url, request=AiohttpRequest()) as bot:
        message = await bot.send_message(42, "ciao <b>tutti</b>", parse_mode="HTML")
    assert message.message_id == 7
    assert received[-1] == {
        "method": "sendMessage",
        "chat_id": "42",
        "text": "ciao <b>tutti</b>",
        "parse_mode": "HTML",
    }


async def test_an_upload_goes_as_multipart(recorder: tuple[str, list[dict[str, Any]]]) -> None:
    url, received = recorder
    async with Bot(TOKEN, base_url=url, request=AiohttpRequest()) as bot:
        await bot.send_document(42, b"%PDF-1.4 servizi", filename="servizi.pdf", caption="lista")
    call = received[-1]
    assert call["method"] == "sendDocument" and call["chat_id"] == (None, b"42")
    assert call["caption"] == (None, b"lista")
    assert call["document"] == ("servizi.pdf", b"%PDF-1.4 servizi")


async def test_a_refused_connection_is_a_network_error() -> None:
    request = AiohttpRequest()
    await request.initialize()  # Bot.initialize would call getMe, which fails too
    try:
        with pytest.raises(NetworkError):
            await Bot(TOKEN, base_url="http://127.0.0.1:9/bot", request=request).send_message(42, "ciao")
    finally:
        await request.shutdown()


async def test_a_server_that_never_answers_is_a_timeout() -> None:
    accepted: list[asyncio.StreamWriter] = []

    async def hold(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)  # read nothing, answer nothing

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    bot = Bot(TOKEN, base_url=f"http://127.0.0.1:{port}/bot", request=AiohttpRequest(read_timeout=0.3))
    try:
        await bot.request.initialize()  # Bot.initialize would call getMe, which hangs too
        with pytest.raises(TimedOut):
            await bot.send_message(42, "ciao")
        assert accepted  # it did connect: this was a read timeout, not a refusal
    finally:
        await bot.request.shutdown()
        for writer in accepted:
            writer.close()
        server.close()
        await server.wait_closed()
