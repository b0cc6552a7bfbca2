"""The bot's HTTP clients, all on aiohttp's connection pool.

Under load every reply is an HTTP call. httpx's own transport (httpcore on anyio) spent
1.7 ms of CPU per Bot API call with 64 in flight, and its pool looks at every pooled
connection to place each request; httpx over aiohttp's pool (httpx-aiohttp) spent
0.56 ms, and python-telegram-bot straight on aiohttp less again: httpx's request
building (URL parsing, cookies, its models) cost about as much as the pool under it
(`python -m bench.http_clients`). So Bot API calls go through `AiohttpRequest`; the Rasa
client and the poller speak httpx over the same kind of pool. The transport holds the
pool: httpx ignores a client's own limits once it has one.
"""

from __future__ import annotations

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

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


class AiohttpRequest(BaseRequest):
    """python-telegram-bot's networking on an aiohttp session.

    Timeouts as PTB's own: connect, read, and waiting for a free pooled connection
    (aiohttp counts that wait within its connect timeout); aiohttp has no write timeout,
    a request body here is a few kilobytes at most.
    """

    def __init__(
        self,
        *,
        read_timeout: float = 5.0,
        connect_timeout: float = 5.0,
        pool_timeout: float = POOL_WAIT_SECONDS,
    ) -> None:
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=POOL_SIZE),
                headers={"User-Agent": self.USER_AGENT},
                cookie_jar=aiohttp.DummyCookieJar(),
            )

    async def shutdown(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None:
            raise RuntimeError("AiohttpRequest used before initialize()")
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = self._connect_timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout
        pool = self._pool_timeout if isinstance(pool_timeout, DefaultValue) else pool_timeout
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=None if connect is None or pool is None else connect + pool,
            sock_connect=connect,
            sock_read=read,
        )
        try:
            async with self._session.request(
                method, url, data=_body(request_data), timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc


def _body(request_data: RequestData | None) -> aiohttp.FormData | dict[str, str] | None:
    """Form fields, or multipart when the call uploads a file (as PTB's HTTPXRequest)."""
    if request_data is None:
        return None
    files = request_data.multipart_data
    if not files:
        return request_data.json_parameters
    form = aiohttp.FormData(request_data.json_parameters)
    for name, (filename, content, mimetype) in files.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form
