"""Answering from an in-memory snapshot of the content tables, refreshed after a sync.

A lookup is a few dict reads; the snapshot is rebuilt only when a new content revision
appears in the database, so a running bot serves new content without a restart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, select

from bot.store.models import Answer, ContentRevision, Hotline, Service, Topic

FALLBACK_LANGUAGES = ("en", "it")


@dataclass(frozen=True)
class TopicAnswer:
    """Everything the bot shows for one topic, in one language, for one province."""

    topic: str
    domain: str
    sensitivity: str
    language: str  # the language of `text`
    requested_language: str
    title: str
    text: str
    services: tuple[Service, ...]
    hotlines: tuple[Hotline, ...]
    sources: tuple[str, ...]
    verified_on: date
    related: tuple[str, ...]
    machine_translated: bool

    @property
    def fell_back(self) -> bool:
        """True when the answer is not in the language asked for."""
        return self.language != self.requested_language


class ContentSnapshot:
    """All published content, indexed for lookups."""

    def __init__(
        self,
        topics: list[Topic],
        answers: list[Answer],
        services: list[Service],
        hotlines: list[Hotline],
        revision: int | None,
    ):
        self.revision = revision
        self.topics = {t.id: t for t in topics}
        self.answers = {(a.topic_id, a.language): a for a in answers}
        self.services = services
        self.hotlines = sorted(hotlines, key=lambda h: (h.priority, h.id))
        self._services_by_topic: dict[tuple[str, str], list[Service]] = {}
        for s in services:
            for topic in s.topics:
                self._services_by_topic.setdefault((topic, s.province), []).append(s)

    @classmethod
    def load(cls, session: Session) -> ContentSnapshot:
        return cls(
            list(session.exec(select(Topic)).all()),
            list(session.exec(select(Answer)).all()),
            list(session.exec(select(Service)).all()),
            list(session.exec(select(Hotline)).all()),
            latest_revision(session),
        )

    def languages_for(self, topic: str) -> set[str]:
        return {lang for (t, lang) in self.answers if t == topic}

    def services_for(self, topic: str, province: str | None, region: str) -> tuple[Service, ...]:
        """The province's services for a topic first, then the region-wide ones.

        With no province known, every province's services qualify.
        """
        if province is None:
            local = [s for s in self.services if topic in s.topics and s.province != region]
        else:
            local = self._services_by_topic.get((topic, province), [])
        regional = self._services_by_topic.get((topic, region), [])
        return tuple(local + [s for s in regional if s not in local])

    def hotlines_for(self, topic: str) -> tuple[Hotline, ...]:
        return tuple(h for h in self.hotlines if topic in h.topics)

    def answer_for(
        self,
        topic: str,
        language: str,
        province: str | None,
        *,
        region: str = "lombardia",
        second_language: str | None = None,
    ) -> TopicAnswer | None:
        """The answer with the fallbacks of DESIGN.md, or None for an unknown topic.

        Language: asked → the person's second language → English → Italian.
        Services: the province's first, then Lombardy-wide ones.
        """
        t = self.topics.get(topic)
        if t is None:
            return None
        chain = [language, second_language, *FALLBACK_LANGUAGES, t.source_language]
        answer = next(
            (self.answers[(topic, lang)] for lang in chain if lang and (topic, lang) in self.answers),
            None,
        )
        if answer is None:
            return None
        return TopicAnswer(
            topic=topic, domain=t.domain, sensitivity=t.sensitivity, language=answer.language,
            requested_language=language, title=answer.title, text=answer.text,
            services=self.services_for(topic, province, region), hotlines=self.hotlines_for(topic),
            sources=tuple(t.sources), verified_on=t.verified_on, related=tuple(t.related),
            machine_translated=answer.machine_translated,
        )  # fmt: skip

    def nearest_services(
        self, latitude: float, longitude: float, *, limit: int = 3, topic: str | None = None
    ) -> list[tuple[Service, float]]:
        """Services with coordinates, nearest first, with their distance in km."""
        ranked = [
            (s, distance_km(latitude, longitude, s.latitude, s.longitude))
            for s in self.services
            if s.latitude is not None and s.longitude is not None and (topic is None or topic in s.topics)
        ]
        ranked.sort(key=lambda pair: pair[1])
        return ranked[:limit]


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(a))


def latest_revision(session: Session) -> int | None:
    return session.exec(select(func.max(ContentRevision.id))).one()


class ContentStore:
    """Holds the current snapshot; `refresh` reloads it only if a sync happened since."""

    def __init__(self, snapshot: ContentSnapshot) -> None:
        self.snapshot = snapshot

    def refresh(self, session: Session) -> bool:
        """Reload when the database has a newer revision; True if it did."""
        if latest_revision(session) == self.snapshot.revision:
            return False
        self.snapshot = ContentSnapshot.load(session)
        return True
