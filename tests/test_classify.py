import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import PROJECT_ROOT

APPRODO = str(Path(sys.executable).parent / "approdo")
DOMAINS = {"housing", "work", "legal", "health", "anti_trafficking", "general"}


def classify(stdin: bytes, rasa_url: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = dict(os.environ, RASA_URL=rasa_url)
    return subprocess.run(
        [APPRODO, "classify", *args], input=stdin, capture_output=True, env=env, cwd=PROJECT_ROOT, timeout=120
    )


@pytest.mark.rasa
def test_one_json_object_per_input_line(rasa_url: str) -> None:
    lines = ["dove posso dormire stanotte", "أحتاج إلى طبيب وليس لدي أوراق", "", "🙂🙂", "ስራ እደሊ ኣለኹ"]
    result = classify("\n".join(lines).encode() + b"\n", rasa_url)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert [r["text"] for r in rows] == lines
    for row in rows:
        assert set(row) == {"text", "language", "intent", "domain", "confidence"}
        assert row["domain"] in DOMAINS and 0.0 <= row["confidence"] <= 1.0
    assert rows[0]["domain"] == "housing" and rows[0]["language"] == "it"
    assert rows[1]["domain"] == "health" and rows[1]["language"] == "ar"
    assert rows[2]["intent"] == "out_of_scope" and rows[3]["intent"] == "out_of_scope"
    assert rows[4]["language"] == "ti"


@pytest.mark.rasa
def test_jsonl_input_and_bad_records(rasa_url: str) -> None:
    stdin = b'{"text": "i need a lawyer for free"}\nnot json\n{"other": 1}\n'
    result = classify(stdin, rasa_url, "--jsonl")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert len(rows) == 3
    assert rows[0]["domain"] == "legal"
    assert rows[1]["intent"] == rows[2]["intent"] == "out_of_scope"


@pytest.mark.rasa
def test_invalid_utf8_and_control_characters(rasa_url: str) -> None:
    result = classify(b"ciao \xff\xfe mondo\n\x00\x01\x02\n" + b"x" * 10_000 + b"\n", rasa_url)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert len(rows) == 3
    assert rows[1]["intent"] == "out_of_scope"


def test_unreachable_server_says_so_in_one_line_and_exits_2() -> None:
    result = classify(b"hello\n", "http://127.0.0.1:9")
    assert result.returncode == 2
    assert result.stdout == b""
    assert len(result.stderr.decode().strip().splitlines()) == 1
    assert "unreachable" in result.stderr.decode()
