"""The only module that speaks to the Rasa NLU server (POST /model/parse)."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from bot.errors import NLUBadResponse, NLUUnavailable

# Rasa tokenises and featurises the whole text; a chat message longer than this is
# cut, which keeps one pasted document from stalling the server.
MAX_TEXT_CHARS = 2000


@dataclass(frozen=True)
class IntentScore:
    intent: str
    confidence: float


@dataclass(frozen=True)
class Parse:
    """What the NLU understood: the best intent and the ranking behind it.

    ``calibrated`` is the logistic regression's own ranking when the server's ranking
    mixes in naive Bayes (whose probabilities are too extreme to be summed); empty when
    the server sends one ranking only.
    """

    intent: str
    confidence: float
    ranking: tuple[IntentScore, ...]
    calibrated: tuple[IntentScore, ...] = ()


OUT_OF_SCOPE = Parse("out_of_scope", 0.0, ())


def clean_text(text: str) -> str:
    """Drop control characters and surrogates; keep newlines as spaces."""
    kept = (
        " " if ch in "\n\r\t" else ch
        for ch in text
        if ch in "\n\r\t" or (ch.isprintable() and not 0xD800 <= ord(ch) <= 0xDFFF)
    )
    return " ".join("".join(kept).split())[:MAX_TEXT_CHARS]


def has_words(text: str) -> bool:
    """True when the text has at least one letter or digit to classify."""
    return any(ch.isalnum() for ch in text)


class NLUClient:
    """Classifies messages with a Rasa server; raises NLUUnavailable when it is down."""

    def __init__(self, http: httpx.AsyncClient, base_url: str) -> None:
        self._http = http
        self._url = base_url.rstrip("/") + "/model/parse"

    async def parse(self, text: str) -> Parse:
        """The intent ranking for one message; empty or wordless text is out_of_scope."""
        cleaned = clean_text(text)
        if not has_words(cleaned):
            return OUT_OF_SCOPE
        try:
            response = await self._http.post(self._url, json={"text": cleaned})
        except httpx.HTTPError as exc:
            raise NLUUnavailable(f"Rasa at {self._url} unreachable: {type(exc).__name__}") from exc
        if response.status_code >= 500 or response.status_code in (408, 429):
            raise NLUUnavailable(f"Rasa at {self._url} answered {response.status_code}")
        if response.status_code != 200:
            raise NLUBadResponse(f"Rasa at {self._url} answered {response.status_code}")
        return _parse_result(response)


def _parse_result(response: httpx.Response) -> Parse:
    try:
        body = response.json()
        intent = body["intent"]
        ranking = _ranking(body.get("intent_ranking"))
        calibrated = _ranking(body.get("calibrated_intent_ranking"))
        name, confidence = intent.get("name"), float(intent.get("confidence") or 0.0)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise NLUBadResponse("Rasa answered a body that is not a parse result") from exc
    if not name:
        return OUT_OF_SCOPE
    return Parse(str(name), confidence, ranking, calibrated)


def _ranking(items: list[dict[str, object]] | None) -> tuple[IntentScore, ...]:
    return tuple(IntentScore(str(item["name"]), float(item["confidence"])) for item in items or ())  # type: ignore[arg-type]


async def is_up(http: httpx.AsyncClient, base_url: str) -> bool:
    """True when a Rasa server answers with a loaded model at base_url."""
    try:
        response = await http.get(base_url.rstrip("/") + "/status", timeout=2.0)
    except httpx.HTTPError:
        return False
    if response.status_code != 200:
        return False
    try:
        return bool(response.json().get("model_file"))
    except ValueError:
        return False
