"""The typed context handlers receive: services as attributes, not dict lookups."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx
from telegram.ext import Application, CallbackContext, ExtBot

from bot.conversation import Conversation
from bot.services import Services

if TYPE_CHECKING:
    from bot.telegram.staff import Staff


class BotData:
    """What the application shares between handlers (set once by build_application)."""

    def __init__(self) -> None:
        self.services: Services | None = None
        self.staff: Staff | None = None
        self.http: httpx.AsyncClient | None = None  # the Rasa client, closed at shutdown


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]):
    """CallbackContext with `.services` and `.conversation`."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)

    @property
    def services(self) -> Services:
        services = self.bot_data.services
        if services is None:
            raise RuntimeError("build_application() did not set the services")
        return services

    @property
    def staff(self) -> Staff | None:
        return self.bot_data.staff

    @property
    def conversation(self) -> Conversation:
        return self.services.conversation
