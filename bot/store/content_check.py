"""Semantic checks of content/ against the taxonomy, the NLU data and common sense."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Literal
from urllib.parse import urlsplit

from bot.store.content_files import ContentBundle, Problem, ServiceRecord, TopicRecord
from bot.taxonomy import Taxonomy

MAX_ANSWER_WORDS = 120
HARD_MAX_ANSWER_WORDS = 200
STALE_AFTER = timedelta(days=365)
# Lombardy's bounding box, with a little margin.
LAT_RANGE, LON_RANGE = (44.6, 46.7), (8.4, 11.5)

_PHONE = re.compile(r"^\+?[0-9][0-9 ]{1,20}$")
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[a-z]{2,}$", re.IGNORECASE)
_TAG = re.compile(r"<\s*(/?)\s*([a-zA-Z][a-zA-Z0-9]*)\b[^>]*>")
ALLOWED_TAGS = ("b", "i")
_SCRIPTS_WITHOUT_SPACES = ("zh",)


def answer_words(text: str, language: str) -> int:
    """A word count that is fair to scripts written without spaces."""
    if language in _SCRIPTS_WITHOUT_SPACES:
        return len("".join(text.split())) // 2
    return len(text.split())


def html_problems(text: str) -> list[str]:
    """What is wrong with the markup of an answer: unknown tags or unbalanced ones."""
    found, stack = [], []
    for match in _TAG.finditer(text):
        closing, tag = match.group(1) == "/", match.group(2).lower()
        if tag not in ALLOWED_TAGS:
            found.append(f"tag <{tag}> is not allowed (only <b> and <i>)")
            continue
        if not closing:
            stack.append(tag)
        elif not stack or stack.pop() != tag:
            found.append(f"</{tag}> closes nothing")
    found += [f"<{tag}> is never closed" for tag in stack]
    return found


def valid_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and "." in parts.netloc and " " not in url


def valid_phone(phone: str) -> bool:
    digits = sum(ch.isdigit() for ch in phone)
    return bool(_PHONE.match(phone)) and 3 <= digits <= 15


def _dated(problems: list[Problem], file: str, line: int | None, field: str, day: date, today: date) -> None:
    if day > today:
        problems.append(Problem(file, line, field, f"{day} is in the future"))
    elif today - day > STALE_AFTER:
        problems.append(Problem(file, line, field, f"last verified {day}, over 12 months ago", "warning"))


def _check_topic(t: TopicRecord, taxonomy: Taxonomy, today: date, problems: list[Problem]) -> None:
    def add(field: str, message: str, severity: Literal["error", "warning"] = "error") -> None:
        problems.append(Problem(t.file, t.line_of.get(field.split(".")[0]), field, message, severity))

    expected = taxonomy.domain_of(t.id)
    if t.id not in taxonomy.content_topics():
        add("id", f"unknown topic {t.id!r}: add it to content/taxonomy.yml and nlu/ first")
    elif t.domain != expected:
        add("domain", f"topic {t.id!r} belongs to domain {expected!r}")
    if t.domain != t.folder_domain:
        add("domain", f"the file is in topics/{t.folder_domain}/ but says domain {t.domain!r}")
    if t.file.rsplit("/", 1)[-1] != f"{t.id}.yml":
        add("id", f"the file must be named {t.id}.yml")
    for related in t.related:
        if related not in taxonomy.content_topics():
            add("related", f"unknown topic {related!r}")
    for url in t.sources:
        if not valid_url(url):
            add("sources", f"not a web address: {url!r}")
    if not t.sources:
        add("sources", "every topic needs at least one source")
    _dated(problems, t.file, t.line_of.get("verified_on"), "verified_on", t.verified_on, today)

    languages = {a.language for a in t.answers}
    for missing in [lang for lang in taxonomy.languages_required_for(t.id) if lang not in languages]:
        add("answers", f"missing the required language {missing!r}")
    source = next((a for a in t.answers if a.language == t.source_language), None)
    if source is None:
        add("source_language", f"no answer in the source language {t.source_language!r}")
    elif source.revision is None:
        problems.append(
            Problem(
                t.file,
                source.line,
                f"answers.{source.language}.revision",
                "the source answer needs a revision number",
            )
        )
    for a in t.answers:
        where = f"answers.{a.language}"
        if a.language not in taxonomy.answer_languages:
            problems.append(Problem(t.file, a.line, where, f"unknown answer language {a.language!r}"))
        words = answer_words(a.text, a.language)
        if words > HARD_MAX_ANSWER_WORDS:
            problems.append(
                Problem(
                    t.file,
                    a.line,
                    where + ".answer",
                    f"{words} words; at most {HARD_MAX_ANSWER_WORDS}",
                )
            )
        elif words > MAX_ANSWER_WORDS:
            problems.append(
                Problem(
                    t.file,
                    a.line,
                    where + ".answer",
                    f"{words} words; keep it under {MAX_ANSWER_WORDS}",
                    "warning",
                )
            )
        for message in html_problems(a.text) + html_problems(a.title):
            problems.append(Problem(t.file, a.line, where, message))
        if a.language != t.source_language and a.translated_from_revision is None:
            problems.append(
                Problem(
                    t.file,
                    a.line,
                    where + ".translated_from_revision",
                    "a translation must say which source revision it was made from",
                )
            )


def _check_service(s: ServiceRecord, taxonomy: Taxonomy, today: date, problems: list[Problem]) -> None:
    def add(field: str, message: str, severity: Literal["error", "warning"] = "error") -> None:
        problems.append(
            Problem(
                s.file,
                s.line_of.get(field, s.line_of.get("")),
                f"services[{s.id}].{field}",
                message,
                severity,
            )
        )

    for phone in s.phones:
        if not valid_phone(phone):
            add("phone", f"not a phone number: {phone!r}")
    if s.email and not _EMAIL.match(s.email):
        add("email", f"not an e-mail address: {s.email!r}")
    for field, url in (("web", s.web), ("source", s.source)):
        if url and not valid_url(url):
            add(field, f"not a web address: {url!r}")
    if s.coordinates:
        lat, lon = s.coordinates
        if not (LAT_RANGE[0] <= lat <= LAT_RANGE[1] and LON_RANGE[0] <= lon <= LON_RANGE[1]):
            add("coordinates", f"{lat}, {lon} is outside Lombardy")
    if not (s.phones or s.email or s.web or s.address):
        add("name", "a service needs at least a phone, e-mail, web address or address")
    for topic in s.topics:
        if topic not in taxonomy.content_topics():
            add("topics", f"unknown topic {topic!r}")
    for language in s.languages:
        if language not in taxonomy.answer_languages:
            add("languages", f"unknown language {language!r}")
    _dated(
        problems,
        s.file,
        s.line_of.get("verified_on"),
        f"services[{s.id}].verified_on",
        s.verified_on,
        today,
    )


def _duplicates(kind: str, items: Iterable[tuple[str, str, int | None]], problems: list[Problem]) -> None:
    items = list(items)
    counts = Counter(i for i, _, _ in items)
    for item_id, file, line in items:
        if counts[item_id] > 1:
            problems.append(Problem(file, line, "id", f"duplicate {kind} id {item_id!r}"))


def check_content(
    bundle: ContentBundle, taxonomy: Taxonomy, nlu_intents: set[str], *, today: date
) -> list[Problem]:
    """Every problem of the bundle: those met while reading plus the semantic ones."""
    problems = list(bundle.problems)
    for topic in bundle.topics:
        _check_topic(topic, taxonomy, today, problems)
    for service in bundle.services:
        _check_service(service, taxonomy, today, problems)
    for hotline in bundle.hotlines:
        if not valid_phone(hotline.number):
            problems.append(
                Problem(
                    hotline.file,
                    hotline.line_of.get("number"),
                    f"hotlines[{hotline.id}].number",
                    f"not a phone number: {hotline.number!r}",
                )
            )
        for hotline_topic in hotline.topics:
            if hotline_topic not in taxonomy.content_topics():
                problems.append(
                    Problem(
                        hotline.file,
                        hotline.line_of.get("topics"),
                        f"hotlines[{hotline.id}].topics",
                        f"unknown topic {hotline_topic!r}",
                    )
                )
        if not valid_url(hotline.source):
            problems.append(
                Problem(
                    hotline.file,
                    hotline.line_of.get("source"),
                    f"hotlines[{hotline.id}].source",
                    f"not a web address: {hotline.source!r}",
                )
            )
        _dated(
            problems,
            hotline.file,
            hotline.line_of.get("verified_on"),
            f"hotlines[{hotline.id}].verified_on",
            hotline.verified_on,
            today,
        )
    _duplicates("topic", ((t.id, t.file, t.line_of.get("id")) for t in bundle.topics), problems)
    _duplicates("service", ((s.id, s.file, s.line_of.get("id")) for s in bundle.services), problems)
    _duplicates("hotline", ((h.id, h.file, h.line_of.get("id")) for h in bundle.hotlines), problems)

    with_content = {t.id for t in bundle.topics}
    for topic_id in taxonomy.content_topics():
        if topic_id not in with_content:
            problems.append(
                Problem(
                    f"content/topics/{taxonomy.domain_of(topic_id)}/{topic_id}.yml",
                    None,
                    "file",
                    f"topic {topic_id!r} has no content",
                )
            )
        if topic_id not in nlu_intents:
            problems.append(
                Problem(
                    "nlu/",
                    None,
                    "intent",
                    f"topic {topic_id!r} has content but no NLU training examples",
                )
            )
    for intent in sorted(nlu_intents - set(taxonomy.intents)):
        problems.append(Problem("nlu/", None, "intent", f"intent {intent!r} is not in content/taxonomy.yml"))
    return problems
