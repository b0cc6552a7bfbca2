from datetime import date
from pathlib import Path

import pytest

from bot.nlu_data import read_folder
from bot.settings import PROJECT_ROOT
from bot.store.content_check import check_content, html_problems
from bot.store.content_files import read_content
from bot.taxonomy import load_taxonomy
from tests.helpers.content import TOPIC, copy_content, small_content

TODAY = date(2026, 11, 22)
TAXONOMY = load_taxonomy(PROJECT_ROOT / "content")
INTENTS = {e.intent for e in read_folder(PROJECT_ROOT / "nlu")}


def problems_of(content: Path, intents: set[str] | None = None) -> list[str]:
    bundle = read_content(content)
    return [
        str(p) for p in check_content(bundle, TAXONOMY, INTENTS if intents is None else intents, today=TODAY)
    ]


def only_topic_file_problems(content: Path) -> list[str]:
    return [p for p in problems_of(content) if "health_stp_eni.yml" in p and "has no content" not in p]


def test_the_real_content_has_no_errors() -> None:
    errors = [p for p in problems_of(PROJECT_ROOT / "content") if p.startswith("error")]
    assert errors == []


def test_a_correct_small_file_has_no_problem_of_its_own(tmp_path: Path) -> None:
    content = small_content(tmp_path)
    assert [p for p in only_topic_file_problems(content) if "missing the required language" not in p] == []


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("id: health_stp_eni", "id: health_unknown", "unknown topic 'health_unknown'"),
        ("domain: health", "domain: housing", "belongs to domain 'health'"),
        ("sensitivity: yellow", "sensitivity: purple", "must be one of green, yellow, red"),
        ("verified_on: 2026-11-01", "verified_on: 2027-01-01", "2027-01-01 is in the future"),
        ("verified_on: 2026-11-01", "verified_on: 2024-01-01", "over 12 months ago"),
        ("verified_on: 2026-11-01", "verified_on: yesterday", "must be a date"),
        ("sources: [https://example.org/stp]", "sources: [not a url]", "not a web address"),
        ("related: [health_urgent_care]", "related: [nope]", "unknown topic 'nope'"),
        (
            "You can get an STP code.",
            "You can <script>alert(1)</script> get it.",
            "tag <script> is not allowed",
        ),
        ("You can get an STP code.", "You can <b>get it.", "<b> is never closed"),
        ("You can get an STP code.", "word " * 250, "250 words; at most 200"),
        ("    translated_from_revision: 2\n", "", "must say which source revision"),
        ("    revision: 2\n", "    revision: two\n", "must be a whole number"),
        ("    machine_translated: true", "    machine_translated: maybe", "must be true or false"),
    ],
)
def test_each_topic_problem_is_named_with_file_and_line(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    assert old in TOPIC
    content = small_content(tmp_path, topic=TOPIC.replace(old, new))
    found = [p for p in problems_of(content) if expected in p]
    assert found, problems_of(content)
    assert "content/topics/health/health_stp_eni.yml:" in found[0]


def test_missing_required_language(tmp_path: Path) -> None:
    content = small_content(tmp_path)
    assert any("missing the required language 'fr'" in p for p in problems_of(content))


def test_duplicate_keys_are_refused(tmp_path: Path) -> None:
    content = small_content(
        tmp_path, topic=TOPIC.replace("domain: health\n", "domain: health\ndomain: legal\n")
    )
    found = [p for p in problems_of(content) if "duplicate key 'domain'" in p]
    assert found and ":3:" in found[0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("id: [unclosed\n", "not valid YAML"),
        ("- just\n- a list\n", "must be a mapping"),
    ],
)
def test_malformed_files(tmp_path: Path, text: str, expected: str) -> None:
    content = small_content(tmp_path, topic=text)
    assert any(expected in p for p in problems_of(content)), problems_of(content)


def test_invalid_utf8_is_named(tmp_path: Path) -> None:
    content = small_content(tmp_path)
    (content / "topics" / "health" / "health_stp_eni.yml").write_bytes(b"id: \xff\xfe\n")
    assert any("not UTF-8 text" in p for p in problems_of(content))


def test_huge_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    content = small_content(tmp_path, topic=TOPIC + "#" * 5_000_000)
    assert any("at most 1000000 are read" in p for p in problems_of(content))


def test_file_names_with_tricks_are_refused(tmp_path: Path) -> None:
    content = small_content(tmp_path)
    (content / "topics" / "health" / "..evil name.yml").write_text(TOPIC)
    (content / "topics" / "health" / "link.yml").symlink_to(content / "hotlines.yml")
    problems = problems_of(content)
    assert sum("file name must be lowercase" in p for p in problems) == 2


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('phone: ["+39 02 1234567"]', 'phone: ["call me maybe"]', "not a phone number"),
        ("coordinates: [45.48, 9.20]", "coordinates: [41.9, 12.5]", "is outside Lombardy"),
        ("source: https://example.org/clinic", "source: example", "not a web address"),
        ("    topics: [health_stp_eni]", "    topics: [cooking]", "unknown topic 'cooking'"),
        ("    municipality: Milano", "    email: not-an-email", "not an e-mail address"),
    ],
)
def test_service_problems(tmp_path: Path, old: str, new: str, expected: str) -> None:
    from tests.helpers.content import SERVICES

    content = small_content(tmp_path, services=SERVICES.replace(old, new))
    found = [p for p in problems_of(content) if expected in p]
    assert found and "content/services/milano.yml:" in found[0], problems_of(content)


def test_duplicate_service_ids(tmp_path: Path) -> None:
    from tests.helpers.content import SERVICES

    doubled = SERVICES + SERVICES.split("services:\n", 1)[1]
    content = small_content(tmp_path, services=doubled)
    assert sum("duplicate service id 'milano-clinic'" in p for p in problems_of(content)) == 2


def test_topics_and_nlu_must_agree(tmp_path: Path) -> None:
    content = copy_content(tmp_path)
    (content / "topics" / "health" / "health_mental.yml").unlink()
    problems = problems_of(content, INTENTS - {"legal_citizenship"} | {"cooking_recipes"})
    assert any("topic 'health_mental' has no content" in p for p in problems)
    assert any("'legal_citizenship' has content but no NLU training examples" in p for p in problems)
    assert any("intent 'cooking_recipes' is not in content/taxonomy.yml" in p for p in problems)


def test_html_rules() -> None:
    assert html_problems("<b>ok</b> and <i>fine</i> and 3 < 4") == []
    assert html_problems("</i>") == ["</i> closes nothing"]
