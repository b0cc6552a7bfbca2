"""`python -m bench.http_clients`: CPU per Bot API call from python-telegram-bot: over httpx's
own transport, over httpx on aiohttp's pool, and straight on aiohttp as the bot calls
(bot/http_clients.py).

The Bot API double runs in a child process, so only the caller's CPU is counted."""

from __future__ import annotations

import asyncio
import multiprocessing
import resource
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import uvloop
from telegram import Bot
from telegram.request import BaseRequest, HTTPXRequest

from bench.report import machine, save_json, write_section
from bot.http_clients import LIMITS, POOL_SIZE, POOL_WAIT_SECONDS, AiohttpRequest, pooled_transport
from tests.helpers.bot_api import TOKEN, BotAPIDouble

CALLS = 3000
IN_FLIGHT = (1, 64)


def _serve_double(port: Any) -> None:
    async def serve() -> None:
        api = BotAPIDouble(global_per_second=10**9, group_per_minute=0)
        url = await api.start()
        port.value = int(url.rsplit(":", 1)[1])
        await asyncio.Event().wait()

    asyncio.run(serve())


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _measure(call: Callable[[int], Awaitable[object]], in_flight: int) -> dict[str, float]:
    limit = asyncio.Semaphore(in_flight)

    async def one(i: int) -> None:
        async with limit:
            await call(i)

    await asyncio.gather(*(one(i) for i in range(200)))  # warm-up: connections open
    cpu, start = _cpu_seconds(), time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(CALLS)))
    elapsed = time.perf_counter() - start
    return {
        "cpu_us_per_call": round((_cpu_seconds() - cpu) / CALLS * 1e6),
        "calls_per_s": round(CALLS / elapsed),
    }


def _httpx(transport: httpx.AsyncBaseTransport) -> HTTPXRequest:
    return HTTPXRequest(pool_timeout=POOL_WAIT_SECONDS, httpx_kwargs={"transport": transport})


async def main_async(url: str) -> list[dict[str, Any]]:
    requests: dict[str, Callable[[], BaseRequest]] = {
        "httpx (httpcore)": lambda: _httpx(httpx.AsyncHTTPTransport(limits=LIMITS)),
        "httpx over aiohttp": lambda: _httpx(pooled_transport()),
        "aiohttp (the bot's)": AiohttpRequest,
    }
    results = []
    for name, request in requests.items():
        for in_flight in IN_FLIGHT:
            bot = Bot(TOKEN, base_url=f"{url}/bot", request=request())
            await bot.initialize()
            try:
                numbers = await _measure(
                    lambda i, b=bot: b.send_message(100 + i % 50, "<b>ciao</b>"), in_flight
                )
            finally:
                await bot.shutdown()
            results.append({"client": name, "in_flight": in_flight, **numbers})
            print(results[-1], flush=True)
    return results


def main() -> None:
    port = multiprocessing.Value("i", 0)
    double = multiprocessing.Process(target=_serve_double, args=(port,), daemon=True)
    double.start()
    try:
        while port.value == 0:  # type: ignore[attr-defined]
            time.sleep(0.05)
        uvloop.install()
        results = asyncio.run(main_async(f"http://127.0.0.1:{port.value}"))  # type: ignore[attr-defined]
    finally:
        double.terminate()
    save_json("http", results)
    rows = "\n".join(
        f"| {r['client']} | {r['in_flight']} | {r['cpu_us_per_call']} | {r['calls_per_s']} |" for r in results
    )
    write_section(
        "http",
        f"""## HTTP client: CPU per Bot API call

Reproduce: `python -m bench.http_clients` (part of `make bench`). Machine: {machine()}.
python-telegram-bot's `send_message`, {CALLS} calls to the Bot API double (in another
process), a pool of {POOL_SIZE} connections, 1 or 64 calls in flight; CPU of the calling
process only.

| client | in flight | CPU µs per call | calls/s |
|---|---|---|---|
{rows}
""",
    )


if __name__ == "__main__":
    main()
