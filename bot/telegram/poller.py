"""Long polling that acknowledges an update only once it has been processed.

python-telegram-bot's own poller confirms a batch (by asking for the next offset) as
soon as it has queued it, so a process killed mid-batch loses those updates, and one
update it cannot parse makes it fetch the same batch forever. Here the offset moves
past an update only when the application has finished it (or it was malformed): after
a crash Telegram delivers the unfinished ones again, and `ApprodoApplication` skips
those already done.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import httpx
from telegram import Update

log = logging.getLogger(__name__)

POLL_TIMEOUT = 10
BATCH = 100
MAX_BACKOFF = 30.0
# Telegram answers at once while unfinished updates are still pending: when a batch
# brought nothing new, ask again as soon as one of them finishes (the offset can move),
# or after this long. (A fixed 0.1 s wait put polling's p95 near 200 ms at 50 people.)
BUSY_WAIT = 0.1


def next_offset(in_flight: set[int], highest: int) -> int:
    """The first update id Telegram should still send: the oldest unfinished one."""
    return min(in_flight) if in_flight else highest + 1


async def poll(application: Any, *, stop: asyncio.Event) -> None:
    """Feed the application's update queue until `stop` is set."""
    in_flight: set[int] = application.in_flight
    queued: set[int] = set()  # ids handed over and not yet below the offset
    highest, backoff = 0, 1.0
    url = f"{application.bot.base_url}/getUpdates"
    async with httpx.AsyncClient(timeout=POLL_TIMEOUT + 10) as http:
        while not stop.is_set():
            offset = next_offset(in_flight, highest)
            queued = {update_id for update_id in queued if update_id >= offset}
            application.finished.clear()
            try:
                batch = await _fetch(http, url, offset)
            except (httpx.HTTPError, ValueError) as exc:
                log.warning("getUpdates failed (%s): retrying in %.0f s", type(exc).__name__, backoff)
                await asyncio.sleep(backoff)
                backoff = min(MAX_BACKOFF, backoff * 2)
                continue
            backoff = 1.0
            highest, fresh = await _queue(application, batch, highest, queued)
            if batch and not fresh:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(application.finished.wait(), BUSY_WAIT)


async def _fetch(http: httpx.AsyncClient, url: str, offset: int) -> list[Any]:
    """One getUpdates call, as raw JSON (python-telegram-bot would choke on a malformed update)."""
    body = {
        "offset": offset,
        "timeout": POLL_TIMEOUT,
        "limit": BATCH,
        "allowed_updates": list(Update.ALL_TYPES),
    }
    response = await http.post(url, json=body)
    data = response.json()
    if not data.get("ok"):
        raise httpx.HTTPStatusError(
            f"getUpdates answered {response.status_code}", request=response.request, response=response
        )
    result = data.get("result")
    return result if isinstance(result, list) else []


async def _queue(application: Any, batch: list[Any], highest: int, queued: set[int]) -> tuple[int, int]:
    """Queue the batch's new updates; returns the highest id seen and how many were new."""
    in_flight: set[int] = application.in_flight
    fresh = 0
    for raw in batch:
        update_id = raw.get("update_id") if isinstance(raw, dict) else None
        if not isinstance(update_id, int) or update_id in queued:
            continue
        highest = max(highest, update_id)
        queued.add(update_id)
        try:
            update = Update.de_json(raw, application.bot)
        except Exception as exc:  # whatever a malformed update raises, it must not block the rest
            log.warning("update %s could not be read (%s): skipped", update_id, type(exc).__name__)
            continue
        in_flight.add(update_id)
        fresh += 1
        await application.update_queue.put(update)
    return highest, fresh
