"""`make bench`: simulated people against the real bot process, through the Bot API double,
with the real Rasa server and database; polling and webhook; SQLite and PostgreSQL."""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import sys
import tempfile
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from bench.harness import (
    GROUP_ID,
    MEDIATOR,
    WEBHOOK_SECRET,
    prepare_database,
    start_bot,
    start_rasa,
    stop,
    wait_ready,
)
from bench.report import RESULTS, machine, percentile, save_json, write_section
from bot.core import actions
from bot.http_clients import client
from bot.nlu_data import read_folder
from bot.nlu_eval_run import free_port
from bot.settings import Settings
from tests.helpers.bot_api import BotAPIDouble, button_tap, group_message, private_message

# 250: the level whose offered load (about 225 updates/s) is just above the 200/s target.
LEVELS = (10, 50, 200, 250, 500)
DURATION_S = 20.0
THINK_S = (0.5, 1.5)
ANSWER_TIMEOUT_S = 10.0
HANDOFF_SHARE = 0.05
# The simulated mediator closes each case this long after answering, and the person is
# back with the bot: without it everyone ends up relaying to mediators, the cheapest path.
CASE_OPEN_S = 10.0


class MeasuringDouble(BotAPIDouble):
    """The double, plus: when each update was handed to the bot, and when it answered."""

    def __init__(self) -> None:
        super().__init__(global_per_second=1_000_000, group_per_minute=0)
        self.handed: dict[int, float] = {}
        self.pending: dict[int, deque[float]] = defaultdict(deque)
        self.answered: dict[int, asyncio.Event] = {}
        self.latencies: list[tuple[float, float]] = []  # (time answered, latency ms)
        self.query_chat: dict[str, int] = {}

    def hand(self, update: dict[str, Any], chat: int) -> None:
        self.pending[chat].append(time.perf_counter())

    def _answer(self, chat: int) -> None:
        if self.pending[chat]:
            handed = self.pending[chat].popleft()
            now = time.perf_counter()
            self.latencies.append((now, (now - handed) * 1000))
            event = self.answered.get(chat)
            if event:
                event.set()

    async def api_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        updates = await super().api_getUpdates(params)
        for u in updates:
            if u["update_id"] not in self.handed:
                self.handed[u["update_id"]] = time.perf_counter()
                self.hand(u, _chat_of(u))
        return updates

    def api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        result = super().api_sendMessage(params)
        # The rating request after a case closes answers no update of the person's.
        if int(params["chat_id"]) > 0 and not _asks_for_rating(params):
            self._answer(int(params["chat_id"]))
        return result

    def api_copyMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        result = super().api_copyMessage(params)
        if int(params["from_chat_id"]) > 0:
            self._answer(int(params["from_chat_id"]))
        return result


def _asks_for_rating(params: dict[str, Any]) -> bool:
    rows = (params.get("reply_markup") or {}).get("inline_keyboard", [])
    return any(str(b.get("callback_data", "")).startswith(f"{actions.RATE}:") for row in rows for b in row)


def _chat_of(update: dict[str, Any]) -> int:
    if "callback_query" in update:
        return int(update["callback_query"]["message"]["chat"]["id"])
    return int(update["message"]["chat"]["id"])


@dataclass
class Run:
    mode: str
    database: str
    people: int
    workers: int = 1
    updates: int = 0
    unanswered: int = 0
    cases: int = 0  # opened during the run (a forum topic each)
    latencies: list[float] = field(default_factory=list)
    duration: float = 0.0
    bot_rss_mb: float = 0.0
    rasa_rss_mb: float = 0.0
    bot_errors: int = 0
    bot_cpu: list[float] = field(default_factory=list)
    rasa_cpu: list[float] = field(default_factory=list)
    generator_cpu: list[float] = field(default_factory=list)  # this process: people + the double

    def summary(self) -> dict[str, Any]:
        return {
            "mode": self.mode, "workers": self.workers, "database": self.database, "people": self.people, "updates": self.updates,
            "updates_per_s": round(self.updates / self.duration, 1) if self.duration else 0,
            "p50_ms": round(percentile(self.latencies, 50), 1), "p95_ms": round(percentile(self.latencies, 95), 1),
            "p99_ms": round(percentile(self.latencies, 99), 1), "unanswered": self.unanswered, "cases": self.cases,
            "bot_errors": self.bot_errors, "bot_rss_mb": round(self.bot_rss_mb, 1), "rasa_rss_mb": round(self.rasa_rss_mb, 1),
            "bot_cpu_pct": round(sum(self.bot_cpu) / len(self.bot_cpu), 0) if self.bot_cpu else None,
            "rasa_cpu_pct": round(sum(self.rasa_cpu) / len(self.rasa_cpu), 0) if self.rasa_cpu else None,
            "generator_cpu_pct": round(sum(self.generator_cpu) / len(self.generator_cpu), 0) if self.generator_cpu else None,
        }  # fmt: skip


async def person(
    api: MeasuringDouble, chat: int, language: str, texts: list[str], run: Run, stop_at: float, deliver: Any
) -> None:
    """One simulated person: onboarding, free text, menus, sometimes a mediator."""
    rng = random.Random(chat)
    script: list[dict[str, Any]] = [
        private_message(chat, "/start", language=language),
        button_tap(chat, actions.encode(actions.LANGUAGE, language), language=language),
        button_tap(
            chat,
            actions.encode(actions.PROVINCE, rng.choice(["milano", "bergamo", "brescia", "other"])),
            language=language,
        ),
    ]
    event = api.answered.setdefault(chat, asyncio.Event())
    step = 0
    # People arrive spread over one thinking time, not all in the same millisecond.
    await asyncio.sleep(rng.uniform(0, THINK_S[1]))
    while time.perf_counter() < stop_at:
        if step < len(script):
            update = script[step]
        elif rng.random() < 0.2:
            update = button_tap(chat, actions.encode(actions.MENU), language=language)
        elif rng.random() < HANDOFF_SHARE:
            update = button_tap(chat, actions.encode(actions.HUMAN), language=language)
        else:
            update = private_message(chat, rng.choice(texts), language=language)
        step += 1
        event.clear()
        await deliver(update, chat)
        run.updates += 1
        try:
            await asyncio.wait_for(event.wait(), ANSWER_TIMEOUT_S)
        except TimeoutError:
            run.unanswered += 1
            api.pending[chat].clear()
        await asyncio.sleep(rng.uniform(*THINK_S))


async def mediator(api: MeasuringDouble, stop_at: float, deliver: Any) -> None:
    """Answers in every new case topic once, and closes the case CASE_OPEN_S later."""
    answered: dict[int, float] = {}
    closed: set[int] = set()
    while time.perf_counter() < stop_at:
        now = time.perf_counter()
        for thread in list(api.topics):
            if thread not in answered:
                answered[thread] = now
                await deliver(group_message(GROUP_ID, thread, MEDIATOR, "Ciao, sono una mediatrice."), 0)
            elif thread not in closed and now - answered[thread] >= CASE_OPEN_S:
                closed.add(thread)
                await deliver(group_message(GROUP_ID, thread, MEDIATOR, "/close"), 0)
        await asyncio.sleep(0.5)


async def one_run(
    mode: str,
    kind: str,
    people: int,
    duration: float,
    url: str,
    rasa_url: str,
    rasa_pid: int,
    examples: dict[str, list[str]],
    workdir: Path,
    workers: int = 1,
) -> Run:
    """One level of load. Webhook mode may run several bot processes: the generator plays
    the load balancer in front of them, taking turns (they share the database)."""
    if workers > 1 and mode != "webhook":
        raise ValueError("several workers need webhook mode: getUpdates has one reader")
    api = MeasuringDouble()
    api.members[MEDIATOR] = "member"
    await api.start()
    ports = [free_port() for _ in range(workers)] if mode == "webhook" else [None]
    logs = [workdir / f"bot-{mode}-{kind}-{people}-{workers}-{i}.log" for i in range(len(ports))]
    bots = [
        start_bot(api, rasa_url, url, log, webhook_port=port) for log, port in zip(logs, ports, strict=True)
    ]
    run = Run(mode, kind, people, workers=workers)
    http = client(timeout=10)  # the generator's own CPU shares the machine: the light transport
    turns = itertools.cycle(ports)
    try:
        await wait_ready(api, webhook=mode == "webhook", count=len(bots))

        async def deliver(update: dict[str, Any], chat: int) -> None:
            if mode == "polling":
                api.push(update)  # handed over (and timed) when getUpdates returns it
                return
            body = {"update_id": next(api.update_ids), **update}
            if chat:
                api.hand(body, chat)
            secret = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
            await http.post(f"http://127.0.0.1:{next(turns)}/telegram", json=body, headers=secret)

        languages = list(examples)
        stop_at = time.perf_counter() + duration
        sampler = asyncio.create_task(_sample_rss(run, [b.pid for b in bots], rasa_pid, stop_at))
        start = time.perf_counter()
        tasks = [
            person(
                api,
                10_000 + i,
                languages[i % len(languages)],
                examples[languages[i % len(languages)]],
                run,
                stop_at,
                deliver,
            )
            for i in range(people)
        ]
        await asyncio.gather(*tasks, mediator(api, stop_at, deliver))
        run.duration = time.perf_counter() - start
        await sampler
        run.latencies = [ms for _, ms in api.latencies]
        run.cases = len(api.topics)
    finally:
        before_shutdown = [log.stat().st_size for log in logs]
        await http.aclose()
        for bot in bots:
            stop(bot)
        await api.stop()
    # Errors while under load; PTB's last getUpdates at shutdown is not the bot's doing.
    errors = [
        line
        for log, size in zip(logs, before_shutdown, strict=True)
        for line in log.read_text()[:size].splitlines()
        if " ERROR " in line
    ]
    run.bot_errors = len(errors)
    for line in errors[:5]:
        print(f"  bot: {line}", file=sys.stderr)
    return run


async def _sample_rss(run: Run, bot_pids: list[int], rasa_pid: int, stop_at: float) -> None:
    """Peak memory (of the largest bot process) and mean CPU (% of one core, all bot
    processes together) of the bot, of Rasa and of this generator."""
    from bench.report import rss_mb

    try:
        bots = [psutil.Process(pid) for pid in bot_pids]
        rasa, generator = psutil.Process(rasa_pid), psutil.Process()
        for process in (*bots, rasa, generator):
            process.cpu_percent()
        while time.perf_counter() < stop_at:
            await asyncio.sleep(0.5)
            run.bot_rss_mb = max(run.bot_rss_mb, *(rss_mb(pid) for pid in bot_pids))
            run.rasa_rss_mb = max(run.rasa_rss_mb, rss_mb(rasa_pid))
            run.bot_cpu.append(sum(bot.cpu_percent() for bot in bots))
            run.rasa_cpu.append(rasa.cpu_percent())
            run.generator_cpu.append(generator.cpu_percent())
    except psutil.NoSuchProcess:
        return


def plot(results: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5))
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in results:
        processes = f" · {r['workers']} processes" if r.get("workers", 1) > 1 else ""
        groups[f"{r['mode']} · {r['database']}{processes}"].append(r)
    for label, rows in groups.items():
        rows.sort(key=lambda r: r["people"])
        ax.plot(
            [r["updates_per_s"] for r in rows], [r["p95_ms"] for r in rows], marker="o", label=f"p95 {label}"
        )
        ax.plot(
            [r["updates_per_s"] for r in rows],
            [r["p50_ms"] for r in rows],
            marker=".",
            linestyle="--",
            label=f"p50 {label}",
        )
    ax.axvline(30, color="grey", linestyle=":", label="Telegram's cap (~30 msg/s)")
    ax.set_xlabel("updates per second handled")
    ax.set_ylabel("latency, update handed → first reply call (ms)")
    ax.set_yscale("log")
    ax.legend(fontsize=8)
    ax.set_title("Approdo bot under load (2 cores)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


async def main_async(args: argparse.Namespace) -> None:
    settings = Settings()
    rasa, rasa_url = start_rasa(settings)
    examples: dict[str, list[str]] = defaultdict(list)
    for e in read_folder(settings.nlu_dir / "tests"):
        if e.language in settings_languages(settings):
            examples[e.language].append(e.text)
    results = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            for kind in args.databases:
                for mode in args.modes:
                    # Several processes: webhook mode on PostgreSQL (SQLite is the one-process setup).
                    several = mode == "webhook" and kind == "postgresql"
                    for workers in args.workers if several else [1]:
                        for people in args.levels:
                            url = prepare_database(kind, workdir, args.postgres)
                            if url is None:
                                print(f"skip {kind}: no PostgreSQL (set BENCH_POSTGRES_URL)", file=sys.stderr)
                                continue
                            run = await one_run(
                                mode, kind, people, args.duration, url, rasa_url, rasa.pid, examples, workdir,
                                workers=workers,
                            )  # fmt: skip
                            results.append(run.summary())
                            print(run.summary(), flush=True)
    finally:
        stop(rasa)
    save_json("load", results)
    RESULTS.mkdir(parents=True, exist_ok=True)
    plot(results, RESULTS / "load.png")
    rows = "\n".join(
        f"| {r['mode']} | {r['workers']} | {r['database']} | {r['people']} | {r['updates_per_s']} | {r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} | {r['unanswered']} | {r['cases']} | {r['bot_errors']} | {r['bot_rss_mb']} | {r['rasa_rss_mb']} | {r['bot_cpu_pct']} | {r['rasa_cpu_pct']} | {r['generator_cpu_pct']} |"
        for r in results
    )
    write_section(
        "load",
        f"""## The whole bot under load

Reproduce: `make bench` (`python -m bench.load`). Machine: {machine()}.
Each run: N simulated people for {args.duration:.0f} s, arriving at random moments over the first
{THINK_S[1]} s, each waiting for the bot's answer, then
thinking {THINK_S[0]}–{THINK_S[1]} s; scripts mix onboarding, free text from `nlu/tests/` in all
languages, menus, and hand-offs answered by a simulated mediator, who closes
each case {CASE_OPEN_S:.0f} s after answering (the person is then back with the bot). A case
opens when a person taps "talk to a person" ({HANDOFF_SHARE:.0%} of steps) and whenever the bot reads a
message as anti-trafficking (a priority case): about a third of the `nlu/tests/` lines are, so
many more cases open than in real traffic (column "cases"); while a case is open, the person's
messages are relayed to its topic. The bot is the
real process (`approdo run`) against the Bot API double with its flood limits off and the
bot's own 30 msg/s limiter off (`TELEGRAM_MAX_RATE=0`), so that these numbers are the bot's,
not Telegram's. Latency: from the update handed to the bot (getUpdates answer or webhook
POST) to its first reply call for that chat. RSS: peak, sampled every 0.5 s.

| mode | bot processes | database | people | updates/s | p50 ms | p95 ms | p99 ms | unanswered | cases | bot errors | bot RSS MB | Rasa RSS MB | bot CPU % | Rasa CPU % | generator CPU % |
|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|
{rows}

![latency against load](bench/load.png)

Telegram itself lets a bot send about 30 messages per second in all; the rows above show
how far the bot's own capacity is from that cap.
""",
    )


def settings_languages(settings: Settings) -> tuple[str, ...]:
    from bot.taxonomy import load_taxonomy

    return load_taxonomy(settings.content_dir).languages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--levels", type=int, nargs="+", default=list(LEVELS))
    parser.add_argument("--duration", type=float, default=DURATION_S)
    parser.add_argument("--modes", nargs="+", default=["polling", "webhook"])
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument(
        "--workers", type=int, nargs="+", default=[1, 2], help="bot processes (webhook on PostgreSQL)"
    )
    parser.add_argument(
        "--postgres", default=os.environ.get("BENCH_POSTGRES_URL") or os.environ.get("TEST_POSTGRES_URL")
    )
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
