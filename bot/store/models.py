"""SQLModel tables of the content store."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel


def _json() -> Any:
    return Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class Topic(SQLModel, table=True):
    id: str = Field(primary_key=True)
    domain: str = Field(index=True)
    sensitivity: str
    source_language: str
    verified_on: date
    sources: list[str] = _json()
    related: list[str] = _json()


class Answer(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("topic_id", "language"),)

    id: int | None = Field(default=None, primary_key=True)
    topic_id: str = Field(foreign_key="topic.id", index=True, ondelete="CASCADE")
    language: str
    title: str
    text: str
    revision: int | None = None  # set on the source language
    translated_from_revision: int | None = None  # set on translations
    machine_translated: bool = False
    reviewed_by: str | None = None


class Service(SQLModel, table=True):
    id: str = Field(primary_key=True)
    province: str = Field(index=True)
    name: str
    organisation: str | None = None
    municipality: str | None = None
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    phones: list[str] = _json()
    email: str | None = None
    web: str | None = None
    hours: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
    appointment_only: bool = False
    languages: list[str] = _json()
    topics: list[str] = _json()
    free: bool = False
    anonymous: bool = False
    no_documents_needed: bool = False
    verified_on: date
    source: str


class Hotline(SQLModel, table=True):
    id: str = Field(primary_key=True)
    number: str
    free: bool = False
    anonymous: bool = False
    always_open: bool = False
    languages: list[str] = _json()
    topics: list[str] = _json()
    priority: int = 100
    names: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    verified_on: date
    source: str


class ContentRevision(SQLModel, table=True):
    """One published sync: who, when, what changed; the checksum makes sync idempotent."""

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime
    author: str
    checksum: str
    summary: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class PersonRow(SQLModel, table=True):
    """A person who wrote to the bot: only what the conversation needs (no names)."""

    __tablename__ = "person"

    key: str = Field(primary_key=True)  # "telegram:<chat id>" or "shell:<n>"
    language: str | None = None
    second_language: str | None = None
    province: str | None = None
    onboarded: bool = False
    unsure_count: int = 0
    recent_topics: list[str] = _json()
    banned: bool = False
    updated_at: datetime


class FeedbackRow(SQLModel, table=True):
    """A 👍/👎 on an answer: which topic, which language, never who or what they wrote."""

    __tablename__ = "feedback"

    id: int | None = Field(default=None, primary_key=True)
    topic: str = Field(index=True)
    language: str
    useful: bool
    created_at: datetime


class ProcessedUpdate(SQLModel, table=True):
    """Telegram update ids already handled, so a redelivered update is not answered twice."""

    __tablename__ = "processed_update"

    update_id: int = Field(primary_key=True)
    created_at: datetime


class ReceivedUpdate(SQLModel, table=True):
    """Polling's inbox: an update fetched from Telegram and not handled yet. Written before
    Telegram is told the update arrived, so a process that dies holding it reads it back
    on restart; deleted when the update is handled."""

    __tablename__ = "received_update"

    update_id: int = Field(primary_key=True)
    body: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    received_at: datetime


class Case(SQLModel, table=True):
    """A conversation handed to the mediators. `open_key` is the person's key while
    the case is open and NULL after: its unique index allows one open case per person."""

    id: int | None = Field(default=None, primary_key=True)
    person_key: str = Field(index=True)
    chat_id: int
    open_key: str | None = Field(default=None, unique=True)
    status: str = "open"  # open, closed
    reason: str  # asked, unsure, red_topic
    language: str
    province: str | None = None
    domain: str
    priority: bool = False
    topic_id: int | None = Field(default=None, index=True)  # the forum topic's message_thread_id
    claimed_by: int | None = None  # a mediator's Telegram user id, never shown to the person
    topics_asked: list[str] = _json()
    rating: int | None = None
    opened_at: datetime
    claimed_at: datetime | None = None
    closed_at: datetime | None = None
    reminded_at: datetime | None = None


class CaseMessage(SQLModel, table=True):
    """One message of a case's transcript, and how it maps between the two chats."""

    __tablename__ = "case_message"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True, ondelete="CASCADE")
    direction: str  # in (from the person), out (from a mediator), note (internal)
    text: str | None = None
    person_message_id: int | None = None
    topic_message_id: int | None = None
    created_at: datetime


class Mediator(SQLModel, table=True):
    """What a mediator declared with /iam: languages and provinces (no names)."""

    user_id: int = Field(primary_key=True)
    languages: list[str] = _json()
    provinces: list[str] = _json()
    opted_in: bool = True
    updated_at: datetime


class OutboxItem(SQLModel, table=True):
    """A Telegram call to make, persisted so that a restart or an error loses nothing."""

    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int | None = Field(default=None, index=True)
    operation: str
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="pending", index=True)  # pending, done, failed
    attempts: int = 0
    not_before: datetime
    locked_until: datetime | None = None
    created_at: datetime
    done_at: datetime | None = None
