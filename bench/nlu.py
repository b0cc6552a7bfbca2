"""`make bench-nlu`: Rasa training time, parse latency, throughput and server memory."""

from __future__ import annotations

import asyncio
import os
import time

import httpx

from bench.report import machine, percentile, rss_mb, save_json, write_section
from bot import rasa_server
from bot.nlu_data import read_folder
from bot.nlu_eval_run import free_port
from bot.settings import Settings

SEQUENTIAL = 1000
CONCURRENT = 2000
CONCURRENCY = 16


async def measure(url: str, texts: list[str]) -> dict[str, float]:
    async with httpx.AsyncClient(timeout=30) as http:
        for text in texts[:50]:  # warm-up
            await http.post(f"{url}/model/parse", json={"text": text})
        latencies = []
        for i in range(SEQUENTIAL):
            start = time.perf_counter()
            response = await http.post(f"{url}/model/parse", json={"text": texts[i % len(texts)]})
            latencies.append((time.perf_counter() - start) * 1000)
            response.raise_for_status()
        limit = asyncio.Semaphore(CONCURRENCY)

        async def one(text: str) -> None:
            async with limit:
                (await http.post(f"{url}/model/parse", json={"text": text})).raise_for_status()

        start = time.perf_counter()
        await asyncio.gather(*(one(texts[i % len(texts)]) for i in range(CONCURRENT)))
        elapsed = time.perf_counter() - start
    return {
        "p50_ms": round(percentile(latencies, 50), 2),
        "p95_ms": round(percentile(latencies, 95), 2),
        "p99_ms": round(percentile(latencies, 99), 2),
        "throughput_per_s": round(CONCURRENT / elapsed, 1),
    }


def main() -> None:
    # Rasa would reuse cached components from an earlier training: measure a real one.
    os.environ["RASA_MAX_CACHE_SIZE"] = "0"
    settings = Settings()
    start = time.perf_counter()
    model, _ = rasa_server.train(settings, name="bench-nlu", force=True)
    training_s = time.perf_counter() - start
    texts = [e.text for e in read_folder(settings.nlu_dir / "tests")]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = rasa_server.start_server(settings.model_copy(update={"rasa_url": url}), model, port)
    try:
        start = time.perf_counter()
        rasa_server.wait_until_up(url, process)
        startup_s = time.perf_counter() - start
        numbers = asyncio.run(measure(url, texts))
        numbers["server_rss_mb"] = round(rss_mb(process.pid), 1)
    finally:
        process.terminate()
        process.wait(timeout=30)
    numbers.update(
        training_s=round(training_s, 1),
        startup_s=round(startup_s, 1),
        examples=len(read_folder(settings.nlu_dir)),
    )
    save_json("nlu", numbers)
    write_section(
        "nlu",
        f"""## NLU server (Rasa {rasa_server.MODEL_NAME}, `config.yml`)

Reproduce: `make bench-nlu` (`python -m bench.nlu`). Machine: {machine()}.

| measure | value |
|---|---|
| training time ({numbers["examples"]} examples, `rasa train nlu`) | {numbers["training_s"]} s |
| server start until the model answers | {numbers["startup_s"]} s |
| parse latency, one client, {SEQUENTIAL} requests: p50 / p95 / p99 | {numbers["p50_ms"]} / {numbers["p95_ms"]} / {numbers["p99_ms"]} ms |
| throughput, {CONCURRENCY} concurrent clients, {CONCURRENT} requests | {numbers["throughput_per_s"]} parses/s |
| server RSS after the run | {numbers["server_rss_mb"]} MB |
""",
    )
    print(numbers)


if __name__ == "__main__":
    main()
