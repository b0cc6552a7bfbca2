"""The topic → domain map, read from content/taxonomy.yml (the one place it lives)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

GENERAL = "general"
# The province choice "other / I don't know": no province is kept.
OTHER_PROVINCE = "other"


@dataclass(frozen=True)
class Taxonomy:
    """Domains, their topics, the general intents, and the NLU languages."""

    domains: dict[str, tuple[str, ...]]
    general: tuple[str, ...]
    languages: tuple[str, ...]
    answer_languages: tuple[str, ...]
    required_languages: tuple[str, ...]
    every_language_topics: frozenset[str]
    provinces: tuple[str, ...]
    region: str

    @property
    def topics(self) -> tuple[str, ...]:
        """Every domain topic, in file order."""
        return tuple(t for topics in self.domains.values() for t in topics)

    @property
    def intents(self) -> tuple[str, ...]:
        """Every intent the NLU may return: topics and general intents."""
        return self.topics + self.general

    @property
    def domain_names(self) -> tuple[str, ...]:
        return (*self.domains, GENERAL)

    def content_topics(self) -> tuple[str, ...]:
        """Intents that need a topic file: every topic, and general intents answered in
        every language (emergency)."""
        return (*self.topics, *(g for g in self.general if g in self.every_language_topics))

    def languages_required_for(self, topic: str) -> tuple[str, ...]:
        """The answer languages a topic must have."""
        if topic in self.every_language_topics:
            return self.answer_languages
        return self.required_languages

    def domain_of(self, intent: str) -> str:
        """The domain of an intent; unknown intents count as general."""
        for domain, topics in self.domains.items():
            if intent in topics:
                return domain
        return GENERAL


def parse_taxonomy(data: object) -> Taxonomy:
    """Build a Taxonomy from the parsed YAML, refusing a malformed one."""
    if not isinstance(data, dict):
        raise ValueError("taxonomy.yml must be a mapping")
    domains = {str(k): tuple(str(t) for t in v) for k, v in data["domains"].items()}
    return Taxonomy(
        domains=domains,
        general=tuple(str(t) for t in data["general"]),
        languages=tuple(str(code) for code in data["languages"]),
        answer_languages=tuple(str(code) for code in data["answer_languages"]),
        required_languages=tuple(str(code) for code in data["required_languages"]),
        every_language_topics=frozenset(str(t) for t in data["every_language_topics"]),
        provinces=tuple(str(p) for p in data["provinces"]),
        region=str(data["region"]),
    )


@cache
def load_taxonomy(content_dir: Path) -> Taxonomy:
    """Read content/taxonomy.yml once per process."""
    with (content_dir / "taxonomy.yml").open(encoding="utf-8") as f:
        return parse_taxonomy(yaml.safe_load(f))
