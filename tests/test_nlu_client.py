import asyncio
import json

import httpx
import pytest

from bot.errors import NLUBadResponse, NLUUnavailable
from bot.http_clients import client as bot_client
from bot.nlu_client import MAX_TEXT_CHARS, NLUClient, clean_text, is_up


def client_with(handler: httpx.MockTransport) -> NLUClient:
    return NLUClient(httpx.AsyncClient(transport=handler), "http://rasa.test")


async def test_parse_reads_intent_and_ranking() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert json.loads(request.content) == {"text": "ciao"}
        return httpx.Response(
            200,
            json={
                "intent": {"name": "greet", "confidence": 0.9},
                "intent_ranking": [
                    {"name": "greet", "confidence": 0.9},
                    {"name": "thanks", "confidence": 0.1},
                ],
            },
        )

    parse = await client_with(httpx.MockTransport(handler)).parse("ciao")
    assert (parse.intent, parse.confidence) == ("greet", 0.9)
    assert [s.intent for s in parse.ranking] == ["greet", "thanks"]
    assert parse.calibrated == ()


async def test_parse_reads_the_calibrated_ranking_beside_the_served_one() -> None:
    body = {
        "intent": {"name": "legal_asylum", "confidence": 0.7},
        "intent_ranking": [{"name": "legal_asylum", "confidence": 0.7}],
        "calibrated_intent_ranking": [
            {"name": "legal_asylum", "confidence": 0.5},
            {"name": "trafficking_protection_programme", "confidence": 0.4},
        ],
    }
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=body))
    parse = await client_with(transport).parse("asilo")
    assert [(s.intent, s.confidence) for s in parse.calibrated] == [
        ("legal_asylum", 0.5),
        ("trafficking_protection_programme", 0.4),
    ]


@pytest.mark.parametrize("text", ["", "   ", "🙂🙂", "\x00\x01\x02", "!!!???"])
async def test_wordless_text_is_out_of_scope_without_a_request(text: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError("no request expected")

    parse = await client_with(httpx.MockTransport(handler)).parse(text)
    assert parse.intent == "out_of_scope" and parse.confidence == 0.0


async def test_server_errors_become_nlu_unavailable() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(503))
    with pytest.raises(NLUUnavailable):
        await client_with(transport).parse("hello")


async def test_connection_refused_becomes_nlu_unavailable() -> None:
    async with bot_client(5) as http:
        with pytest.raises(NLUUnavailable):
            await NLUClient(http, "http://127.0.0.1:9").parse("hello")


async def test_a_server_that_never_answers_becomes_nlu_unavailable() -> None:
    """A hung Rasa: the bot's client gives up at its timeout with an httpx error, which
    the NLU client turns into NLUUnavailable (degraded mode), never a crash."""
    accepted: list[asyncio.StreamWriter] = []

    async def hold(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)  # read nothing, answer nothing

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with bot_client(0.3) as http:
            with pytest.raises(NLUUnavailable):
                await NLUClient(http, f"http://127.0.0.1:{port}").parse("hello")
        assert accepted  # it did connect: this was a read timeout, not a refusal
    finally:
        for writer in accepted:
            writer.close()
        server.close()
        await server.wait_closed()


async def test_garbage_body_becomes_bad_response() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, text="<html>"))
    with pytest.raises(NLUBadResponse):
        await client_with(transport).parse("hello")


def test_clean_text_strips_controls_and_caps_length() -> None:
    assert clean_text("ciao\x00\x07 mondo\n\tok") == "ciao mondo ok"
    assert len(clean_text("a" * 10_000)) == MAX_TEXT_CHARS


@pytest.mark.rasa
class TestAgainstRealRasa:
    async def test_status(self, rasa_url: str) -> None:
        async with httpx.AsyncClient() as http:
            assert await is_up(http, rasa_url)

    @pytest.mark.parametrize(
        ("text", "intent"),
        [
            ("ciao", "greet"),
            ("il mio capo mi ha preso il passaporto e non posso andare via", "trafficking_forced_labour"),
            ("where can i sleep tonight", "housing_shelter_tonight"),
        ],
    )
    async def test_classifies(self, rasa_url: str, text: str, intent: str) -> None:
        async with httpx.AsyncClient(timeout=10) as http:
            parse = await NLUClient(http, rasa_url).parse(text)
        assert parse.intent == intent
        assert 0.0 < parse.confidence <= 1.0 and parse.ranking

    @pytest.mark.parametrize("text", ["x" * 10_000, "🙂" * 500 + "?", "ok\x00\x01\x1b[31m", "\ud800broken"])
    async def test_bad_input_never_crashes(self, rasa_url: str, text: str) -> None:
        async with httpx.AsyncClient(timeout=10) as http:
            parse = await NLUClient(http, rasa_url).parse(text)
        assert parse.intent and 0.0 <= parse.confidence <= 1.0
