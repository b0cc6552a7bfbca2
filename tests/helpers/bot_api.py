"""A local Bot API double over HTTP on 127.0.0.1 that behaves like Telegram where it
matters to us: its limits (text ≤ 4096, callback_data ≤ 64 bytes, topic names ≤ 128),
flood control answered with 429 and retry_after, forum topics, copyMessage,
getUpdates long polling and a webhook push."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "123456:TEST-token"
BOT_ID = 123456
MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64
INTEGER_FIELDS = {"chat_id", "from_chat_id", "message_id", "message_thread_id", "user_id", "offset", "limit"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


class BotAPIDouble:
    def __init__(
        self, *, global_per_second: int = 30, group_per_minute: int = 20, private_per_second: float = 0
    ) -> None:
        self.global_per_second = global_per_second
        self.group_per_minute = group_per_minute
        self.private_per_second = private_per_second
        self.calls: list[Call] = []
        self.updates: deque[dict[str, Any]] = deque()
        self.update_ids = itertools.count(1)
        self.message_ids = itertools.count(1000)
        self.thread_ids = itertools.count(500)
        self.topics: dict[int, str] = {}
        self.deleted_topics: set[int] = set()
        self.members: dict[int, str] = {}
        self.failures: deque[tuple[str, int, dict[str, Any]]] = deque()
        self.delays: deque[tuple[str, float]] = deque()
        self.rejected: list[Call] = []
        self.webhook: tuple[str, str | None] | None = None
        self._sent_times: deque[float] = deque()
        self._chat_times: dict[int, deque[float]] = defaultdict(deque)
        self._new_update = asyncio.Event()
        self._new_call = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.url = ""

    # -- server ------------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != TOKEN:
            return self._error(401, "Unauthorized")
        method = request.match_info["method"]
        params: dict[str, Any] = {}
        if request.content_type == "application/json":
            params = await request.json()
        elif request.can_read_body:
            form = await request.post()
            params = {k: _maybe_json(str(v)) for k, v in form.items()}
        params.update({k: _maybe_json(v) for k, v in request.query.items()})
        for key in INTEGER_FIELDS & params.keys():
            params[key] = int(params[key])
        call = Call(method, params)
        if self.delays and self.delays[0][0] == method:
            await asyncio.sleep(self.delays.popleft()[1])  # a slow answer, like a far data centre
        if self.failures and self.failures[0][0] in (method, "*"):
            _, status, body = self.failures.popleft()
            self.rejected.append(call)
            return web.json_response(body, status=status)
        handler = getattr(self, f"api_{method}", None)
        if handler is None:
            return self._error(404, "Not Found: method not found")
        if method not in ("getUpdates", "getMe", "deleteWebhook", "getChatMember", "answerCallbackQuery"):
            limited = self._flood(params)
            if limited is not None:
                self.rejected.append(call)
                return limited
        try:
            result = await handler(params) if asyncio.iscoroutinefunction(handler) else handler(params)
        except BadRequest as exc:
            self.rejected.append(call)
            return self._error(400, f"Bad Request: {exc}")
        self.calls.append(call)
        self._new_call.set()
        return web.json_response({"ok": True, "result": result})

    def _error(self, code: int, description: str, retry_after: int | None = None) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        return web.json_response(body, status=code)

    def _flood(self, params: dict[str, Any]) -> web.Response | None:
        now = time.monotonic()
        while self._sent_times and now - self._sent_times[0] > 1.0:
            self._sent_times.popleft()
        if len(self._sent_times) >= self.global_per_second:
            return self._error(429, "Too Many Requests: retry after 1", retry_after=1)
        chat_id = int(params.get("chat_id") or 0)
        window, limit = (60.0, self.group_per_minute) if chat_id < 0 else (1.0, self.private_per_second)
        if limit:
            times = self._chat_times[chat_id]
            while times and now - times[0] > window:
                times.popleft()
            if len(times) >= limit:
                retry = max(1, int(window - (now - times[0])) + 1)
                return self._error(429, f"Too Many Requests: retry after {retry}", retry_after=retry)
            times.append(now)
        self._sent_times.append(now)
        return None

    # -- what tests do ------------------------------------------------------------------

    def push(self, update: dict[str, Any]) -> int:
        update_id = next(self.update_ids)
        self.updates.append({"update_id": update_id, **update})
        self._new_update.set()
        return update_id

    def fail_next(self, method: str, status: int, description: str, retry_after: int | None = None) -> None:
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        self.failures.append((method, status, body))

    def delay_next(self, method: str, seconds: float) -> None:
        self.delays.append((method, seconds))

    def sent(self, method: str = "sendMessage", chat_id: int | None = None) -> list[Call]:
        return [
            c
            for c in self.calls
            if c.method == method and (chat_id is None or int(c.params.get("chat_id", 0)) == chat_id)
        ]

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 15.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            self._new_call.clear()
            try:
                await asyncio.wait_for(self._new_call.wait(), 0.1)
            except TimeoutError:
                pass
        raise AssertionError("the bot did not make the expected call in time")

    # -- the API ------------------------------------------------------------------------

    def api_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "Approdo",
            "username": "approdo_bot",
            "can_join_groups": True,
        }

    def api_deleteWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = None
        return True

    def api_setWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = (str(params.get("url") or ""), params.get("secret_token"))
        return True

    def api_setMyCommands(self, params: dict[str, Any]) -> bool:
        for command in params.get("commands") or []:
            if not 1 <= len(command["description"]) <= 256:
                raise BadRequest("command description must be 1-256 characters")
        return True

    async def api_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        while self.updates and self.updates[0]["update_id"] < offset:
            self.updates.popleft()
        timeout = float(params.get("timeout") or 0)
        if not self.updates and timeout:
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), timeout)
            except TimeoutError:
                pass
        return [u for u in self.updates if u["update_id"] >= offset][: int(params.get("limit") or 100)]

    def _message(self, chat_id: int, text: str | None = None, thread: int | None = None) -> dict[str, Any]:
        chat = {
            "id": chat_id,
            "type": "supergroup" if chat_id < 0 else "private",
            **({"is_forum": True} if chat_id < 0 else {"first_name": "x"}),
        }
        message: dict[str, Any] = {
            "message_id": next(self.message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": self.api_getMe({}),
        }
        if text is not None:
            message["text"] = text
        if thread is not None:
            message["message_thread_id"], message["is_topic_message"] = thread, True
        return message

    def _check_markup(self, params: dict[str, Any]) -> None:
        markup = params.get("reply_markup") or {}
        for row in markup.get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA:
                    raise BadRequest("BUTTON_DATA_INVALID")

    def _check_thread(self, params: dict[str, Any]) -> int | None:
        thread = params.get("message_thread_id")
        if thread is not None and (int(thread) in self.deleted_topics or int(thread) not in self.topics):
            raise BadRequest("message thread not found")
        return int(thread) if thread is not None else None

    def api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        text = str(params.get("text") or "")
        if not text.strip():
            raise BadRequest("message text is empty")
        if len(text) > MAX_TEXT:
            raise BadRequest("message is too long")
        self._check_markup(params)
        thread = self._check_thread(params)
        return self._message(int(params["chat_id"]), text, thread)

    def api_editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:
        if len(str(params.get("text") or "")) > MAX_TEXT:
            raise BadRequest("MESSAGE_TOO_LONG")
        self._check_markup(params)
        return self._message(int(params["chat_id"]), params.get("text"))

    def api_editMessageReplyMarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        self._check_markup(params)
        return self._message(int(params["chat_id"]))

    def api_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        return True

    def api_createForumTopic(self, params: dict[str, Any]) -> dict[str, Any]:
        name = str(params.get("name") or "")
        if not 1 <= len(name) <= 128:
            raise BadRequest("TOPIC_NAME_INVALID")
        thread = next(self.thread_ids)
        self.topics[thread] = name
        return {"message_thread_id": thread, "name": name, "icon_color": 7322096}

    def api_closeForumTopic(self, params: dict[str, Any]) -> bool:
        self._check_thread(params)
        return True

    def api_pinChatMessage(self, params: dict[str, Any]) -> bool:
        return True

    def api_copyMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        self._check_thread(params)
        return {"message_id": next(self.message_ids)}

    def api_getChatMember(self, params: dict[str, Any]) -> dict[str, Any]:
        user_id = int(params["user_id"])
        status = self.members.get(user_id, "left")
        extra: dict[str, Any] = {}
        if status == "kicked":
            extra = {"until_date": 0}
        elif status == "creator":
            extra = {"is_anonymous": False}
        elif status == "administrator":
            rights = (
                "can_be_edited",
                "is_anonymous",
                "can_manage_chat",
                "can_delete_messages",
                "can_manage_video_chats",
                "can_restrict_members",
                "can_promote_members",
                "can_change_info",
                "can_invite_users",
                "can_post_stories",
                "can_edit_stories",
                "can_delete_stories",
            )
            extra = dict.fromkeys(rights, False)
        return {"status": status, "user": {"id": user_id, "is_bot": False, "first_name": "m"}, **extra}

    def delete_topic(self, thread: int) -> None:
        """What a mediator does by mistake."""
        self.deleted_topics.add(thread)


class BadRequest(Exception):
    pass


def _maybe_json(value: str) -> Any:
    if value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


# -- updates as Telegram sends them ----------------------------------------------------

_message_ids = itertools.count(1)


def user(user_id: int, language: str | None = "it") -> dict[str, Any]:
    return {
        "id": user_id,
        "is_bot": False,
        "first_name": "Person",
        **({"language_code": language} if language else {}),
    }


def private_message(
    chat_id: int, text: str | None = None, *, language: str | None = "it", **extra: Any
) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": next(_message_ids),
        "date": int(time.time()),
        "chat": {"id": chat_id, "type": "private", "first_name": "Person"},
        "from": user(chat_id, language),
        **extra,
    }
    if text is not None:
        message["text"] = text
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return {"message": message}


def group_message(group_id: int, thread: int | None, user_id: int, text: str) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": next(_message_ids),
        "date": int(time.time()),
        "chat": {"id": group_id, "type": "supergroup", "title": "Mediators", "is_forum": True},
        "from": user(user_id, "it"),
        "text": text,
    }
    if thread is not None:
        message["message_thread_id"], message["is_topic_message"] = thread, True
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return {"message": message}


def button_tap(chat_id: int, data: str, *, language: str | None = "it") -> dict[str, Any]:
    message = private_message(chat_id, "…")["message"]
    message["from"] = {"id": BOT_ID, "is_bot": True, "first_name": "Approdo"}
    return {
        "callback_query": {
            "id": str(next(_message_ids)),
            "from": user(chat_id, language),
            "chat_instance": "ci",
            "data": data,
            "message": message,
        }
    }
