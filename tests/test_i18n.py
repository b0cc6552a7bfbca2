"""Translations are code: a missing, empty or fuzzy entry fails here."""

import re
import subprocess
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot.core.labels import COMMANDS, DOMAIN_LABELS, PROVINCE_LABELS
from bot.i18n import Words, language_name
from bot.settings import PROJECT_ROOT
from bot.taxonomy import load_taxonomy

TAXONOMY = load_taxonomy(PROJECT_ROOT / "content")
LOCALES = PROJECT_ROOT / "locales"
STAFF_LANGUAGES = ("en", "it")  # staff.* entries are for mediators only
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def catalog(language: str) -> dict[str, str]:
    with (LOCALES / language / "LC_MESSAGES" / "approdo.po").open("rb") as f:
        po = read_po(f)
    fuzzy = [m.id for m in po if m.id and m.fuzzy]
    assert not fuzzy, f"{language}: fuzzy entries {fuzzy}"
    return {str(m.id): str(m.string) for m in po if m.id}


def keys_in_code(tmp_path: Path) -> set[str]:
    pot = tmp_path / "approdo.pot"
    pybabel = str(PROJECT_ROOT / ".venv" / "bin" / "pybabel")
    keywords = ["-k", "words", "-k", "N_", "--no-default-keywords"]
    command = [pybabel, "extract", "-F", "babel.cfg", *keywords, "--omit-header", "-o", str(pot), "bot"]
    subprocess.run(command, cwd=PROJECT_ROOT, check=True, capture_output=True)
    return set(re.findall(r'^msgid "(.+)"$', pot.read_text(), re.M))


def test_english_has_every_key_the_code_uses(tmp_path: Path) -> None:
    english = catalog("en")
    missing = keys_in_code(tmp_path) - set(english)
    assert not missing, f"keys used in bot/ but not in locales/en: {sorted(missing)}"
    assert all(english.values())


@pytest.mark.parametrize("language", TAXONOMY.answer_languages)
def test_every_language_has_every_entry(language: str) -> None:
    english, translated = catalog("en"), catalog(language)
    needed = {k for k in english if not k.startswith("staff.") or language in STAFF_LANGUAGES}
    missing = sorted(k for k in needed if not translated.get(k, "").strip())
    assert not missing, f"{language}: missing or empty {missing}"
    for key in needed:
        assert set(PLACEHOLDER.findall(translated[key])) == set(PLACEHOLDER.findall(english[key])), (
            language,
            key,
        )


def test_labels_cover_the_taxonomy() -> None:
    assert set(DOMAIN_LABELS) == set(TAXONOMY.domains)
    assert set(PROVINCE_LABELS) == {*TAXONOMY.provinces, "other"}
    assert set(COMMANDS) == {"start", "menu", "language", "province", "help", "forget"}


def test_words_fill_placeholders_and_isolate_in_rtl() -> None:
    assert "Français" in Words("ar")("language.set", language=language_name("fr"))
    assert Words("ar").isolate("+39 02 1234") == "\u2066+39 02 1234\u2069"
    assert Words("it").isolate("+39 02 1234") == "+39 02 1234"


def test_compiled_catalogs_are_used() -> None:
    assert Words("uk")("menu.title") != Words("en")("menu.title")
    assert Words("ti")("button.mediator") != "button.mediator"
