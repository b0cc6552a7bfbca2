"""Degraded-mode understanding when Rasa is down: distinctive words of the training data.

Every intent's examples in every language give away a few words that occur (almost)
only there ("questura", "ኣሰርሕ", "permesso"); counting them is crude but answers in all
our languages without the server, and keeps safety intents reachable.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable

from bot.nlu_client import OUT_OF_SCOPE, IntentScore, Parse, clean_text
from bot.nlu_data import Example

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_HAN = re.compile(r"[\u3400-\u9fff]")
MIN_COUNT = 2
MIN_SHARE = 0.7


def tokens(text: str) -> list[str]:
    """Lowercase words; runs of Chinese characters become character pairs."""
    result: list[str] = []
    for word in _WORD.findall(text.lower()):
        if _HAN.search(word):
            result += [word[i : i + 2] for i in range(max(1, len(word) - 1))]
        else:
            result.append(word)
    return result


class KeywordClassifier:
    """Maps distinctive words to the intent they give away."""

    def __init__(self, keywords: dict[str, str]) -> None:
        self.keywords = keywords

    @classmethod
    def from_examples(cls, examples: Iterable[Example]) -> KeywordClassifier:
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        for example in examples:
            for token in set(tokens(example.text)):
                counts[token][example.intent] += 1
        keywords = {}
        for token, per_intent in counts.items():
            intent, count = per_intent.most_common(1)[0]
            if count >= MIN_COUNT and count / sum(per_intent.values()) >= MIN_SHARE and len(token) > 1:
                keywords[token] = intent
        return cls(keywords)

    def parse(self, text: str) -> Parse:
        hits = Counter(self.keywords[t] for t in tokens(clean_text(text)) if t in self.keywords)
        if not hits:
            return OUT_OF_SCOPE
        total = sum(hits.values())
        ranking = tuple(IntentScore(intent, n / total) for intent, n in hits.most_common())
        best = ranking[0]
        # A single hit is weak evidence: report it as "did you mean", not as certain.
        confidence = best.confidence * min(1.0, hits[best.intent] / 2)
        return Parse(best.intent, confidence, ranking)
