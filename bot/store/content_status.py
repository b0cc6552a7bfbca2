"""What editors need to see: missing, machine-translated and stale answers; old services."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.store.content_check import STALE_AFTER
from bot.store.content_files import ContentBundle, TopicRecord
from bot.taxonomy import Taxonomy


def answer_state(topic: TopicRecord, language: str) -> str:
    """complete, missing, machine_translated or stale — for one topic in one language."""
    answers = {a.language: a for a in topic.answers}
    answer = answers.get(language)
    if answer is None:
        return "missing"
    source = answers.get(topic.source_language)
    if language != topic.source_language and source is not None:
        if (source.revision or 0) > (answer.translated_from_revision or 0):
            return "stale"
    if answer.machine_translated:
        return "machine_translated"
    return "complete"


def content_status(bundle: ContentBundle, taxonomy: Taxonomy, *, today: date) -> dict[str, Any]:
    """Counts per language × domain, and services per province with how many are old."""
    topics = {t.id: t for t in bundle.topics}
    languages: dict[str, dict[str, dict[str, int]]] = {}
    for language in taxonomy.answer_languages:
        per_domain: dict[str, dict[str, int]] = {}
        for topic_id in taxonomy.content_topics():
            domain = taxonomy.domain_of(topic_id)
            counts = per_domain.setdefault(
                domain, {"complete": 0, "missing": 0, "machine_translated": 0, "stale": 0}
            )
            topic = topics.get(topic_id)
            counts["missing" if topic is None else answer_state(topic, language)] += 1
        languages[language] = per_domain
    provinces: dict[str, dict[str, int]] = {
        p: {"services": 0, "past_verification": 0} for p in (*taxonomy.provinces, taxonomy.region)
    }
    for service in bundle.services:
        row = provinces.setdefault(service.province, {"services": 0, "past_verification": 0})
        row["services"] += 1
        if today - service.verified_on > STALE_AFTER:
            row["past_verification"] += 1
    return {"languages": languages, "provinces": provinces}


def format_status(status: dict[str, Any]) -> str:
    """A table an editor can read: one row per language × domain."""
    lines = [f"{'language':9} {'domain':17} {'complete':>8} {'missing':>8} {'machine':>8} {'stale':>6}"]
    for language, per_domain in status["languages"].items():
        for domain, c in per_domain.items():
            lines.append(
                f"{language:9} {domain:17} {c['complete']:>8} {c['missing']:>8} "
                f"{c['machine_translated']:>8} {c['stale']:>6}"
            )
    lines += ["", f"{'province':15} {'services':>8} {'past verification':>18}"]
    for province, row in status["provinces"].items():
        lines.append(f"{province:15} {row['services']:>8} {row['past_verification']:>18}")
    return "\n".join(lines)
