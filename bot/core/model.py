"""The values the core takes and returns."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Button:
    """A tappable choice; `action` is what comes back when tapped (≤ 64 bytes)."""

    label: str
    action: str


@dataclass(frozen=True)
class Reply:
    """One message to the person: HTML-escaped text (only <b>, <i>, <a>) and button rows."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()


@dataclass
class Person:
    """What the bot keeps about a person: as little as it needs."""

    key: str
    language: str | None = None
    second_language: str | None = None
    province: str | None = None
    onboarded: bool = False
    unsure_count: int = 0
    recent_topics: list[str] = field(default_factory=list)
    banned: bool = False


@dataclass(frozen=True)
class OpenCase:
    """Ask the hand-off to open a case (or keep the open one) for this person."""

    reason: str  # asked, unsure, red_topic
    domain: str
    language: str  # the language the person was answered in
    priority: bool = False


@dataclass(frozen=True)
class Feedback:
    topic: str
    language: str
    useful: bool


@dataclass(frozen=True)
class ForgetPerson:
    """Erase everything kept about this person (and close their case)."""


Effect = OpenCase | ForgetPerson


@dataclass
class Outcome:
    """What the core decided: replies to send and effects for the edges to carry out."""

    replies: list[Reply] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)
