"""A bot wired to the local Bot API double, the real database and (when asked) Rasa."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from telegram import Update

from bot.http_clients import client
from bot.services import Services, build_services
from bot.settings import Settings
from bot.telegram.app import BotApplication, build_application
from bot.telegram.staff import Staff
from tests.helpers.bot_api import TOKEN, BotAPIDouble

GROUP_ID = -1001234567890
DEAD_RASA = "http://127.0.0.1:9"


@dataclass
class Harness:
    """The application, its services and the double, with a few shortcuts."""

    app: BotApplication
    services: Services
    api: BotAPIDouble

    @property
    def staff(self) -> Staff:
        staff = self.app.bot_data.staff
        assert staff is not None
        return staff

    async def send(self, update: dict[str, Any], *, drain: bool = True) -> int:
        """Process one update the way polling would, and run the outbox dry (unless a
        test wants several items queued first)."""
        update_id = self.api.push(update)
        body = {"update_id": update_id, **update}
        await self.app.process_update(Update.de_json(body, self.app.bot))
        if drain:
            await self.staff.drain(self.app.bot)
        return update_id

    def texts_to(self, chat_id: int) -> list[str]:
        return [str(c.params["text"]) for c in self.api.sent("sendMessage", chat_id)]


@pytest.fixture
async def bot_api() -> AsyncIterator[BotAPIDouble]:
    api = BotAPIDouble()
    await api.start()
    yield api
    await api.stop()


async def make_harness(
    settings: Settings, api: BotAPIDouble, engine: Engine, **overrides: Any
) -> tuple[Harness, httpx.AsyncClient]:
    values = {
        "telegram_bot_token": SecretStr(TOKEN),
        "telegram_api_url": api.url,
        "mediators_chat_id": GROUP_ID,
        **overrides,
    }
    settings = settings.model_copy(update=values)
    http = client(10)  # the bot's own HTTP client, as `approdo run` builds it
    services = build_services(settings, http=http, engine=engine)
    app = build_application(settings, services)
    await app.initialize()
    return Harness(app, services, api), http


@pytest.fixture
async def harness(
    settings: Settings, bot_api: BotAPIDouble, published: Engine, rasa_url: str
) -> AsyncIterator[Harness]:
    """The bot with the real Rasa server."""
    h, http = await make_harness(settings, bot_api, published, rasa_url=rasa_url)
    yield h
    await h.app.shutdown()
    await http.aclose()


@pytest.fixture
async def offline_harness(
    settings: Settings, bot_api: BotAPIDouble, published: Engine
) -> AsyncIterator[Harness]:
    """The bot with Rasa unreachable: degraded mode (menus and keyword rules)."""
    h, http = await make_harness(settings, bot_api, published, rasa_url=DEAD_RASA)
    yield h
    await h.app.shutdown()
    await http.aclose()
