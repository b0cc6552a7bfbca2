"""Degraded-mode understanding when Rasa is down: word statistics of the training data.

A multinomial naive Bayes over the words (and word stems) of nlu/*.yml: crude next to
the real pipeline, but it works in all our languages without the server and keeps
safety intents reachable.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable

from bot.nlu_client import OUT_OF_SCOPE, IntentScore, Parse, clean_text
from bot.nlu_data import Example

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_HAN = re.compile(r"[\u3400-\u9fff]")
STEM = 5
SMOOTHING = 0.1
# Naive Bayes is overconfident; its posterior is damped so that a weak match lands in
# "did you mean" rather than a confident answer.
DAMPING = 0.8


def tokens(text: str) -> list[str]:
    """Lowercase words; runs of Chinese characters become character pairs."""
    result: list[str] = []
    for word in _WORD.findall(text.lower()):
        if _HAN.search(word):
            result += [word[i : i + 2] for i in range(max(1, len(word) - 1))]
        else:
            result.append(word)
    return result


def features(text: str) -> list[str]:
    """Words plus the stems of longer words (so "passaporto" meets "passaporti")."""
    words = tokens(text)
    return words + [f"{w[:STEM]}…" for w in words if len(w) > STEM + 1]


class KeywordClassifier:
    """Counts of features per intent, and the log-probabilities they give."""

    def __init__(self, counts: dict[str, Counter[str]], priors: Counter[str]) -> None:
        self.vocabulary = {f for c in counts.values() for f in c}
        total = sum(priors.values())
        self._log_prior = {i: math.log(n / total) for i, n in priors.items()}
        self._denominator = {
            i: math.log(sum(c.values()) + SMOOTHING * len(self.vocabulary)) for i, c in counts.items()
        }
        self._counts = counts

    @classmethod
    def from_examples(cls, examples: Iterable[Example]) -> KeywordClassifier:
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        priors: Counter[str] = Counter()
        for example in examples:
            counts[example.intent].update(features(example.text))
            priors[example.intent] += 1
        return cls(dict(counts), priors)

    def parse(self, text: str) -> Parse:
        known = [f for f in features(clean_text(text)) if f in self.vocabulary]
        if not known or not self._counts:
            return OUT_OF_SCOPE
        scores = {
            intent: self._log_prior[intent]
            + sum(math.log(counts[f] + SMOOTHING) - self._denominator[intent] for f in known)
            for intent, counts in self._counts.items()
        }
        top = max(scores.values())
        weights = {i: math.exp(s - top) for i, s in scores.items()}
        total = sum(weights.values())
        ranking = tuple(
            IntentScore(i, DAMPING * w / total) for i, w in sorted(weights.items(), key=lambda kv: -kv[1])
        )
        return Parse(ranking[0].intent, ranking[0].confidence, ranking[:10])
