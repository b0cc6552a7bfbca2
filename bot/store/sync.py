"""Publishing content/ into the database in one transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, SQLModel, col, select

from bot.store.content_files import ContentBundle
from bot.store.models import Answer, ContentRevision, Hotline, Service, Topic


@dataclass
class SyncReport:
    """What a sync changed, per kind: ids added, changed and removed."""

    added: dict[str, list[str]] = field(default_factory=dict)
    changed: dict[str, list[str]] = field(default_factory=dict)
    removed: dict[str, list[str]] = field(default_factory=dict)
    revision: int | None = None

    @property
    def unchanged(self) -> bool:
        return not any(ids for group in (self.added, self.changed, self.removed) for ids in group.values())

    def as_dict(self) -> dict[str, Any]:
        return {"added": self.added, "changed": self.changed, "removed": self.removed}


def _rows(bundle: ContentBundle) -> dict[str, dict[str, SQLModel]]:
    topics: dict[str, SQLModel] = {}
    answers: dict[str, SQLModel] = {}
    for t in bundle.topics:
        topics[t.id] = Topic(
            id=t.id, domain=t.domain, sensitivity=t.sensitivity, source_language=t.source_language,
            verified_on=t.verified_on, sources=list(t.sources), related=list(t.related),
        )  # fmt: skip
        for a in t.answers:
            answers[f"{t.id}/{a.language}"] = Answer(
                topic_id=t.id, language=a.language, title=a.title, text=a.text,
                revision=a.revision, translated_from_revision=a.translated_from_revision,
                machine_translated=a.machine_translated, reviewed_by=a.reviewed_by,
            )  # fmt: skip
    services: dict[str, SQLModel] = {
        s.id: Service(
            id=s.id,
            province=s.province,
            name=s.name,
            organisation=s.organisation,
            municipality=s.municipality,
            address=s.address,
            latitude=s.coordinates[0] if s.coordinates else None,
            longitude=s.coordinates[1] if s.coordinates else None,
            phones=list(s.phones),
            email=s.email,
            web=s.web,
            hours=s.hours,
            appointment_only=s.appointment_only,
            languages=list(s.languages),
            topics=list(s.topics),
            free=s.free,
            anonymous=s.anonymous,
            no_documents_needed=s.no_documents_needed,
            verified_on=s.verified_on,
            source=s.source,
        )  # fmt: skip
        for s in bundle.services
    }
    hotlines: dict[str, SQLModel] = {
        h.id: Hotline(
            id=h.id,
            number=h.number,
            free=h.free,
            anonymous=h.anonymous,
            always_open=h.always_open,
            languages=list(h.languages),
            topics=list(h.topics),
            priority=h.priority,
            names=dict(h.names),
            verified_on=h.verified_on,
            source=h.source,
        )  # fmt: skip
        for h in bundle.hotlines
    }
    return {"topic": topics, "answer": answers, "service": services, "hotline": hotlines}


def _key(kind: str, row: Any) -> str:
    return f"{row.topic_id}/{row.language}" if kind == "answer" else str(row.id)


def _values(row: SQLModel) -> dict[str, Any]:
    """A row's fields without its id: rows are matched by key already."""
    return {k: v for k, v in row.model_dump().items() if k != "id"}


_TABLES: dict[str, type[SQLModel]] = {
    "topic": Topic,
    "answer": Answer,
    "service": Service,
    "hotline": Hotline,
}


def sync_content(session: Session, bundle: ContentBundle, *, author: str) -> SyncReport:
    """Make the database hold exactly the bundle, in the caller's transaction.

    The caller must have checked the bundle has no errors; this commits once at the end
    (or not at all when nothing changed), so a failure leaves the database untouched.
    """
    wanted = _rows(bundle)
    report = SyncReport()
    for kind in ("topic", "answer", "service", "hotline"):
        table = _TABLES[kind]
        existing = {_key(kind, row): row for row in session.exec(select(table)).all()}
        added = sorted(set(wanted[kind]) - set(existing))
        removed = sorted(set(existing) - set(wanted[kind]))
        changed = sorted(
            k for k in set(wanted[kind]) & set(existing) if _values(wanted[kind][k]) != _values(existing[k])
        )
        for k in changed:
            for name, value in _values(wanted[kind][k]).items():
                setattr(existing[k], name, value)
            session.add(existing[k])
        for k in added:
            session.add(wanted[kind][k])
        report.added[kind], report.changed[kind], report.removed[kind] = added, changed, removed
        # Topics go last, once their answers (absent from the bundle too) are gone.
        if removed and kind != "topic":
            for k in removed:
                session.delete(existing[k])
        session.flush()
    if report.removed["topic"]:
        session.execute(delete(Topic).where(col(Topic.id).in_(report.removed["topic"])))
    if report.unchanged:
        session.rollback()
        return report
    revision = ContentRevision(
        created_at=datetime.now(UTC),
        author=author,
        checksum=bundle.checksum,
        summary=report.as_dict(),
    )
    session.add(revision)
    session.commit()
    report.revision = revision.id
    return report
