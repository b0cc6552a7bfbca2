"""`make bench` (fault runs): the real bot process under faults, counting what was lost,
what was sent twice, and how long recovery took.

Runs: kill -9 and restart of the bot in the middle of hand-offs under load; Rasa stopped
for 30 s; the Bot API answering 429 / 502 / timeouts for a while; malformed and
duplicate updates; two webhook workers sharing PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import signal
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.harness import GROUP_ID, MEDIATOR, prepare_database, start_bot, start_rasa, stop, wait_ready
from bench.report import machine, save_json, write_section
from bot import rasa_server
from bot.core import actions
from bot.nlu_eval_run import free_port
from bot.settings import Settings
from tests.helpers.bot_api import BotAPIDouble, button_tap, group_message, private_message

PEOPLE = 20
MESSAGES = 15
INTERVAL_S = 0.3
SETTLE_S = 90.0


class Ledger:
    """Which relayed messages arrived, and how many times."""

    def __init__(self, api: BotAPIDouble) -> None:
        self.api = api
        self.expected: list[tuple[int, int]] = []  # (from chat, message id)

    def copies(self) -> dict[tuple[int, int], int]:
        counts: dict[tuple[int, int], int] = {}
        for call in self.api.calls:
            if call.method == "copyMessage":
                key = (int(call.params["from_chat_id"]), int(call.params["message_id"]))
                counts[key] = counts.get(key, 0) + 1
        return counts

    def lost_and_doubled(self) -> tuple[int, int]:
        counts = self.copies()
        lost = sum(1 for key in self.expected if counts.get(key, 0) == 0)
        doubled = sum(1 for key in self.expected if counts.get(key, 0) > 1)
        return lost, doubled

    async def settle(self, timeout: float = SETTLE_S) -> float:
        start = time.monotonic()
        while time.monotonic() - start < timeout and self.lost_and_doubled()[0]:
            await asyncio.sleep(0.2)
        return time.monotonic() - start


async def open_cases(api: BotAPIDouble, deliver: Any, chats: list[int]) -> dict[int, int]:
    """Every chat asks for a mediator; returns chat → topic thread."""
    for chat in chats:
        await deliver(button_tap(chat, actions.encode(actions.LANGUAGE, "it")))
        await deliver(button_tap(chat, actions.encode(actions.HUMAN)))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(api.topics) < len(chats):
        await asyncio.sleep(0.2)
    threads = sorted(api.topics)
    return dict(zip(chats, threads, strict=False))


async def relay_traffic(
    api: BotAPIDouble, ledger: Ledger, deliver: Any, threads: dict[int, int], *, during: Any = None
) -> None:
    """Each person writes MESSAGES times, the mediator answers every third; `during` runs meanwhile."""

    async def person(chat: int) -> None:
        for n in range(MESSAGES):
            update = private_message(chat, f"messaggio {n} da {chat}")
            ledger.expected.append((chat, update["message"]["message_id"]))
            await deliver(update)
            if n % 3 == 0 and chat in threads:
                reply = group_message(GROUP_ID, threads[chat], MEDIATOR, f"risposta {n}")
                ledger.expected.append((GROUP_ID, reply["message"]["message_id"]))
                await deliver(reply)
            await asyncio.sleep(INTERVAL_S)

    tasks = [person(chat) for chat in threads]
    if during is not None:
        tasks.append(during())
    await asyncio.gather(*tasks)


def polling(api: BotAPIDouble) -> Any:
    async def deliver(update: dict[str, Any]) -> None:
        api.push(update)

    return deliver


async def kill_and_restart(api: BotAPIDouble, rasa_url: str, url: str, workdir: Path) -> dict[str, Any]:
    log = workdir / "kill.log"
    bot = start_bot(api, rasa_url, url, log)
    await wait_ready(api, webhook=False)
    deliver = polling(api)
    chats = list(range(20_000, 20_000 + PEOPLE))
    threads = await open_cases(api, deliver, chats)
    ledger = Ledger(api)
    timing: dict[str, float] = {}

    async def killer() -> None:
        nonlocal bot
        await asyncio.sleep(2.0)
        os.kill(bot.pid, signal.SIGKILL)
        bot.wait()
        timing["killed"] = time.monotonic()
        bot = start_bot(api, rasa_url, url, log)
        await wait_ready(api, webhook=False, since=timing["killed"])
        timing["ready"] = time.monotonic()

    await relay_traffic(api, ledger, deliver, threads, during=killer)
    waited = await ledger.settle()
    delivered_after = [c.at for c in api.calls if c.method == "copyMessage" and c.at > timing["killed"]]
    lost, doubled = ledger.lost_and_doubled()
    stop(bot)
    return {
        "run": "kill -9 the bot mid hand-offs, restart at once",
        "relayed_messages": len(ledger.expected), "lost": lost, "duplicated": doubled,
        "recovery_s": round((min(delivered_after) - timing["killed"]) if delivered_after else float("nan"), 1),
        "restart_to_ready_s": round(timing["ready"] - timing["killed"], 1), "settled_after_s": round(waited, 1),
    }  # fmt: skip


async def telegram_errors(api: BotAPIDouble, rasa_url: str, url: str, workdir: Path) -> dict[str, Any]:
    bot = start_bot(api, rasa_url, url, workdir / "telegram.log")
    await wait_ready(api, webhook=False)
    deliver = polling(api)
    threads = await open_cases(api, deliver, list(range(21_000, 21_000 + PEOPLE)))
    ledger = Ledger(api)

    async def storm() -> None:
        await asyncio.sleep(1.0)
        for status, text, retry in itertools.islice(
            itertools.cycle(
                [
                    (429, "Too Many Requests: retry after 2", 2),
                    (502, "Bad Gateway", None),
                    (504, "Gateway Timeout", None),
                ]
            ),
            60,
        ):
            api.fail_next("copyMessage", status, text, retry_after=retry)

    start = time.monotonic()
    await relay_traffic(api, ledger, deliver, threads, during=storm)
    waited = await ledger.settle()
    lost, doubled = ledger.lost_and_doubled()
    rejected = sum(1 for c in api.rejected if c.method == "copyMessage")
    stop(bot)
    return {
        "run": "Bot API answering 429 (retry_after 2), 502, 504 for 60 calls", "relayed_messages": len(ledger.expected),
        "rejected_calls": rejected, "lost": lost, "duplicated": doubled, "settled_after_s": round(waited, 1),
        "total_s": round(time.monotonic() - start, 1),
    }  # fmt: skip


async def rasa_down(api: BotAPIDouble, settings: Settings, url: str, workdir: Path) -> dict[str, Any]:
    rasa, rasa_url = start_rasa(settings)
    bot = start_bot(api, rasa_url, url, workdir / "rasa.log")
    await wait_ready(api, webhook=False)
    deliver = polling(api)
    stop(rasa)
    # 30 people, one message each every 3 s: under the per-person flood limit (8 in
    # 10 s), so every message should get an answer from the keyword rules.
    asked = 0
    chats = list(range(22_000, 22_030))
    end = time.monotonic() + 30
    while time.monotonic() < end:
        for chat in chats:
            await deliver(private_message(chat, "dove posso dormire stanotte a milano"))
            asked += 1
        await asyncio.sleep(3.0)
    await asyncio.sleep(10.0)  # time for the last round's answers
    answered = sum(len(api.sent("sendMessage", chat)) for chat in chats)
    port = rasa_server.port_of(rasa_url)
    rasa = rasa_server.start_server(
        settings.model_copy(update={"rasa_url": rasa_url}), rasa_server.model_path(settings), port
    )
    back = time.monotonic()
    rasa_server.wait_until_up(rasa_url, rasa)
    recovery = time.monotonic() - back
    stop(bot)
    stop(rasa)
    return {
        "run": "Rasa stopped for 30 s (degraded mode: menus and keyword rules)", "messages": asked,
        "answered": min(answered, asked), "unanswered": max(0, asked - answered), "rasa_restart_s": round(recovery, 1),
    }  # fmt: skip


async def malformed_and_duplicates(
    api: BotAPIDouble, rasa_url: str, url: str, workdir: Path
) -> dict[str, Any]:
    bot = start_bot(api, rasa_url, url, workdir / "malformed.log")
    await wait_ready(api, webhook=False)
    good = private_message(23_000, "ciao")
    update_id = api.push(good)
    api.updates.append({"update_id": update_id, **good})  # the same update delivered twice
    for junk in (
        {"message": {"message_id": 1}},
        {"callback_query": {"id": "x"}},
        {"edited_message": None},
        {"unknown_kind": 1},
    ):
        api.updates.append({"update_id": next(api.update_ids), **junk})
    api.push(private_message(23_000, "dove posso dormire stanotte"))
    await asyncio.sleep(5.0)
    replies = len(api.sent("sendMessage", 23_000))
    alive = bot.poll() is None
    stop(bot)
    return {
        "run": "malformed updates and one update delivered twice",
        "replies_to_two_messages": replies,
        "bot_alive": alive,
    }


async def two_webhook_workers(
    api: BotAPIDouble, rasa_url: str, postgres: str | None, workdir: Path
) -> dict[str, Any]:
    url = prepare_database("postgresql", workdir, postgres)
    if url is None:
        return {"run": "two webhook workers on PostgreSQL", "skipped": "no PostgreSQL"}
    ports = [free_port(), free_port()]
    bots = [
        start_bot(api, rasa_url, url, workdir / f"worker{i}.log", webhook_port=p) for i, p in enumerate(ports)
    ]
    await asyncio.sleep(1.0)
    await wait_ready(api, webhook=True)
    await asyncio.sleep(5.0)  # both workers up
    http = httpx.AsyncClient(timeout=10)
    counter = itertools.count()

    async def deliver(update: dict[str, Any]) -> None:
        body = {"update_id": next(api.update_ids), **update}
        port = ports[next(counter) % 2]  # a load balancer in front of two workers
        await http.post(
            f"http://127.0.0.1:{port}/telegram",
            json=body,
            headers={"X-Telegram-Bot-Api-Secret-Token": "bench-secret"},
        )

    threads = await open_cases(api, deliver, list(range(24_000, 24_000 + PEOPLE)))
    ledger = Ledger(api)
    await relay_traffic(api, ledger, deliver, threads)
    waited = await ledger.settle()
    lost, doubled = ledger.lost_and_doubled()
    topics = len(api.sent("createForumTopic"))
    await http.aclose()
    for bot in bots:
        stop(bot)
    return {
        "run": "two webhook workers sharing PostgreSQL", "relayed_messages": len(ledger.expected), "lost": lost,
        "duplicated": doubled, "topics_created": topics, "cases": PEOPLE, "settled_after_s": round(waited, 1),
    }  # fmt: skip


async def new_double() -> BotAPIDouble:
    """A double with Telegram's flood limits off (the runs inject their own faults)."""
    api = BotAPIDouble(global_per_second=1_000_000, group_per_minute=0)
    api.members[MEDIATOR] = "member"
    await api.start()
    return api


async def on_new_double(run: Any, *args: Any) -> dict[str, Any]:
    """One fault run against its own double (stopped whatever happens); its result printed."""
    api = await new_double()
    try:
        result: dict[str, Any] = await run(api, *args)
    finally:
        await api.stop()
    print(result, flush=True)
    return result


async def main_async(postgres: str | None) -> list[dict[str, Any]]:
    settings = Settings()
    rasa, rasa_url = start_rasa(settings)
    results = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)

            def sqlite_url() -> str:
                url = prepare_database("sqlite", workdir, None)
                assert url is not None
                return url

            for run in (kill_and_restart, telegram_errors, malformed_and_duplicates):
                results.append(await on_new_double(run, rasa_url, sqlite_url(), workdir))
            results.append(await on_new_double(two_webhook_workers, rasa_url, postgres, workdir))
            stop(rasa)
            results.append(await on_new_double(rasa_down, settings, sqlite_url(), workdir))
    finally:
        stop(rasa)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--postgres", default=os.environ.get("BENCH_POSTGRES_URL") or os.environ.get("TEST_POSTGRES_URL")
    )
    results = asyncio.run(main_async(parser.parse_args().postgres))
    save_json("faults", results)
    lines = []
    for r in results:
        details = ", ".join(f"{k}: {v}" for k, v in r.items() if k != "run")
        lines.append(f"| {r['run']} | {details} |")
    write_section(
        "faults",
        f"""## Fault runs

Reproduce: `make bench` (`python -m bench.faults`). Machine: {machine()}.
{PEOPLE} people in open hand-offs each send {MESSAGES} messages {INTERVAL_S} s apart while a
simulated mediator answers every third; "lost" counts relayed messages that never reached
the other side, "duplicated" those that arrived more than once.

| run | result |
|---|---|
"""
        + "\n".join(lines),
    )


if __name__ == "__main__":
    main()
