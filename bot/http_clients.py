"""The bot's HTTP clients: httpx's API over aiohttp's connection pool.

Under load every reply is an HTTP call. httpx's own transport (httpcore on anyio) spent
1.3 ms of CPU per Bot API call with 64 in flight, and its pool looks at every pooled
connection to place each request; the same httpx client over aiohttp's pool
(httpx-aiohttp) spent 0.4 ms (`python -m bench.http_clients`). Code keeps speaking
httpx: python-telegram-bot's HTTPXRequest and the Rasa client take these as they are.
The transport holds the pool: httpx ignores a client's own limits once it has one.
"""

from __future__ import annotations

import httpx
from httpx_aiohttp import AiohttpTransport
from telegram.request import HTTPXRequest

# 16 keep-alive connections carry 160 requests/s even at a 100 ms round trip to
# Telegram, beyond its 30 messages/s cap; a request waits for a free one rather than
# failing (POOL_WAIT_SECONDS).
POOL_SIZE = 16
POOL_WAIT_SECONDS = 30.0
LIMITS = httpx.Limits(max_connections=POOL_SIZE, max_keepalive_connections=POOL_SIZE)


def pooled_transport() -> AiohttpTransport:
    """A transport for one client; its aiohttp session opens on the first request, inside
    the event loop that runs it, and must be closed in that same loop."""
    return AiohttpTransport(limits=LIMITS)


def client(timeout: float) -> httpx.AsyncClient:
    """An httpx client for what the bot calls on every message (Rasa, getUpdates)."""
    return httpx.AsyncClient(timeout=timeout, transport=pooled_transport())


def telegram_request(transport: httpx.AsyncBaseTransport | None = None) -> HTTPXRequest:
    """python-telegram-bot's request object on the bot's transport (or on `transport`,
    for bench.http_clients to compare)."""
    return HTTPXRequest(
        pool_timeout=POOL_WAIT_SECONDS,
        httpx_kwargs={"transport": transport or pooled_transport()},
    )
