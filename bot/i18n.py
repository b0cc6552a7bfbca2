"""The bot's own words: gettext catalogs in locales/, language names and dates from Babel.

Message ids are keys ("menu.title"); the English catalog holds the English text, so
every word a person reads comes from locales/, English included.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from gettext import NullTranslations
from pathlib import Path

from babel import Locale
from babel.dates import format_date
from babel.support import Translations

from bot.settings import PROJECT_ROOT

DOMAIN = "approdo"
SOURCE_LANGUAGE = "en"
RTL_LANGUAGES = frozenset({"ar", "fa", "ur", "ps"})
# Unicode bidi isolates: keep a phone number or an address in its own direction
# inside right-to-left text.
LRI, PDI = "\u2066", "\u2069"


@cache
def _catalog(locales_dir: Path, language: str) -> NullTranslations:
    chain = [language] if language == SOURCE_LANGUAGE else [language, SOURCE_LANGUAGE]
    return Translations.load(str(locales_dir), chain, domain=DOMAIN)


class Words:
    """The bot's words in one language, falling back to English for a missing entry."""

    def __init__(self, language: str, locales_dir: Path = PROJECT_ROOT / "locales") -> None:
        self.language = language
        self._catalog = _catalog(locales_dir, language)

    def __call__(self, key: str, **values: object) -> str:
        text = self._catalog.gettext(key)
        return text.format(**values) if values else text

    @property
    def rtl(self) -> bool:
        return self.language in RTL_LANGUAGES

    def isolate(self, text: str) -> str:
        """Wrap left-to-right fragments (numbers, addresses) when writing right-to-left."""
        return f"{LRI}{text}{PDI}" if self.rtl else text

    def date(self, day: date) -> str:
        return format_date(day, format="long", locale=babel_locale(self.language))


@cache
def babel_locale(language: str) -> Locale:
    return Locale.parse("fil" if language == "tl" else language)


@cache
def language_name(code: str) -> str:
    """The language's own name for itself: "العربية", "ትግርኛ", "Wolof"."""
    locale = babel_locale(code)
    name = locale.get_language_name(locale) or code
    return name[:1].upper() + name[1:]
