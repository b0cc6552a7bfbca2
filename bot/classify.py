"""`approdo classify`: one message in, one JSON line out, through the running NLU server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from typing import Any

import httpx

from bot.langid import detect_language
from bot.nlu_client import NLUClient
from bot.taxonomy import Taxonomy

CONCURRENCY = 8


def read_messages(raw_lines: Iterable[bytes], *, jsonl: bool) -> list[str]:
    """Decode input lines (invalid UTF-8 is replaced, not fatal); JSONL takes `text`."""
    messages = []
    for raw in raw_lines:
        line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        if jsonl:
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                record = {}
            text = record.get("text") if isinstance(record, dict) else None
            messages.append(text if isinstance(text, str) else "")
        else:
            messages.append(line)
    return messages


async def classify_all(
    messages: list[str], *, rasa_url: str, taxonomy: Taxonomy, timeout: float
) -> list[dict[str, Any]]:
    """Classify messages concurrently, keeping input order. Raises NLUUnavailable."""
    limit = asyncio.Semaphore(CONCURRENCY)
    async with httpx.AsyncClient(timeout=timeout) as http:
        client = NLUClient(http, rasa_url)

        async def one(text: str) -> dict[str, Any]:
            async with limit:
                parse = await client.parse(text)
            return {
                "text": text,
                "language": detect_language(text).language,
                "intent": parse.intent,
                "domain": taxonomy.domain_of(parse.intent),
                "confidence": round(parse.confidence, 4),
            }

        return list(await asyncio.gather(*(one(m) for m in messages)))
