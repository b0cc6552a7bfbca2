"""Long polling that loses no update to a crash and does not fetch one twice.

python-telegram-bot's own poller confirms a batch (by asking for the next offset) as
soon as it has queued it, so a process killed mid-batch loses those updates, and one
update it cannot parse makes it fetch the same batch forever. Here each batch is written
to the inbox (`UpdateLog.receive`) before the next request confirms it to Telegram: after
a crash the unfinished ones are read back from there, and `ApprodoApplication` skips
those already done. A malformed update is logged and passed over.

(Leaving unfinished updates unconfirmed instead, as this poller did before, made Telegram
send every one of them again on each request while it was being handled: under load,
six deliveries per update.)
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
from sqlalchemy.exc import SQLAlchemyError
from telegram import Update

from bot.http_clients import client
from bot.store.db import run_blocking
from bot.store.updates import UpdateLog

log = logging.getLogger(__name__)

POLL_TIMEOUT = 10
BATCH = 100
MAX_BACKOFF = 30.0


async def poll(application: Any, updates: UpdateLog, *, stop: asyncio.Event) -> None:
    """Feed the application's update queue until `stop` is set, starting with the updates
    received before a restart and not handled."""
    unfinished = await run_blocking(updates.engine, updates.unfinished)
    # Telegram sends these again if the restart came before they were confirmed.
    replayed = {raw["update_id"] for raw in unfinished}
    await _hand_over(application, _readable(application, unfinished))
    offset, backoff = 0, 1.0  # 0: from the oldest update Telegram has not had confirmed
    url = f"{application.bot.base_url}/getUpdates"
    async with client(POLL_TIMEOUT + 10) as http:
        while not stop.is_set():
            try:
                batch = await _fetch(http, url, offset)
            except (httpx.HTTPError, ValueError) as exc:
                log.warning("getUpdates failed (%s): retrying in %.0f s", type(exc).__name__, backoff)
                await asyncio.sleep(backoff)
                backoff = min(MAX_BACKOFF, backoff * 2)
                continue
            backoff = 1.0
            identified = [(raw, update_id) for raw in batch if (update_id := _update_id(raw)) is not None]
            fresh: dict[int, Any] = {}  # one of each (a batch never repeats an id, but if it did)
            for raw, update_id in identified:
                if update_id not in replayed:
                    fresh.setdefault(update_id, raw)
            readable = _readable(application, list(fresh.values()))
            try:  # kept before the next request tells Telegram this batch arrived
                kept = await run_blocking(updates.engine, updates.receive, [raw for raw, _ in readable])
            except SQLAlchemyError as exc:  # not confirmed: Telegram sends the batch again
                log.warning("inbox write failed (%s): fetching again in %.0f s", type(exc).__name__, backoff)
                await asyncio.sleep(backoff)
                backoff = min(MAX_BACKOFF, backoff * 2)
                continue
            if len(kept) < len(readable):
                log.info("%d updates already processed: skipped", len(readable) - len(kept))
            new_ids = {raw["update_id"] for raw in kept}
            await _hand_over(application, [(raw, u) for raw, u in readable if raw["update_id"] in new_ids])
            offset = max([offset, *(update_id + 1 for _, update_id in identified)])
            replayed = {update_id for update_id in replayed if update_id >= offset}


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


def _update_id(raw: Any) -> int | None:
    update_id = raw.get("update_id") if isinstance(raw, dict) else None
    return update_id if isinstance(update_id, int) else None


def _readable(application: Any, batch: list[Any]) -> list[tuple[dict[str, Any], Update]]:
    """The updates python-telegram-bot can read, with their raw JSON; a malformed one is
    logged and passed over, so it cannot block the rest."""
    readable = []
    for raw in batch:
        try:
            readable.append((raw, Update.de_json(raw, application.bot)))
        except Exception as exc:  # whatever a malformed update raises
            log.warning("update %s could not be read (%s): skipped", _update_id(raw), type(exc).__name__)
    return readable


async def _hand_over(application: Any, readable: list[tuple[dict[str, Any], Update]]) -> None:
    for _, update in readable:
        await application.update_queue.put(update)
