"""Hand-off rules without I/O: office hours, topic titles, command parsing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

ROME = ZoneInfo("Europe/Rome")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_TITLE = 128
STAFF_COMMANDS = ("claim", "release", "close", "note", "lang", "province", "ban", "unban", "queue", "iam")
_SLOT = re.compile(
    r"^(?P<days>[a-z]{3}(?:-[a-z]{3})?(?:,[a-z]{3}(?:-[a-z]{3})?)*)\s+(?P<open>\d\d:\d\d)-(?P<close>\d\d:\d\d)$"
)


@dataclass(frozen=True)
class OfficeHours:
    """Opening slots per weekday (Europe/Rome) and closed dates; `always` is 24/7."""

    slots: dict[int, tuple[tuple[time, time], ...]]
    holidays: frozenset[date]
    always: bool = False

    @classmethod
    def parse(cls, spec: str, holidays: str = "") -> OfficeHours:
        """'always', or 'mon-fri 09:00-18:00; sat 09:00-13:00'. Raises ValueError."""
        closed = frozenset(date.fromisoformat(d.strip()) for d in holidays.split(",") if d.strip())
        if spec.strip().lower() == "always":
            return cls({}, closed, always=True)
        slots: dict[int, list[tuple[time, time]]] = {}
        for part in filter(None, (p.strip().lower() for p in spec.split(";"))):
            match = _SLOT.match(part)
            if not match:
                raise ValueError(f"office hours: cannot read {part!r}")
            opening, closing = time.fromisoformat(match["open"]), time.fromisoformat(match["close"])
            for day in _days(match["days"]):
                slots.setdefault(day, []).append((opening, closing))
        return cls({d: tuple(sorted(s)) for d, s in slots.items()}, closed)

    def is_open(self, moment: datetime) -> bool:
        local = moment.astimezone(ROME)
        if local.date() in self.holidays:
            return False
        if self.always:
            return True
        return any(a <= local.time() < b for a, b in self.slots.get(local.weekday(), ()))

    def next_opening(self, moment: datetime) -> datetime | None:
        """When mediators are next at work (None if they are now, or never are)."""
        if self.is_open(moment):
            return None
        local = moment.astimezone(ROME)
        for offset in range(0, 15):
            day = local.date() + timedelta(days=offset)
            if day in self.holidays:
                continue
            if self.always:
                return datetime.combine(day, time(0, 0), ROME)
            for opening, _ in self.slots.get(day.weekday(), ()):
                start = datetime.combine(day, opening, ROME)
                if start > local:
                    return start
        return None


def _days(spec: str) -> list[int]:
    days: list[int] = []
    for part in spec.split(","):
        first, _, last = part.partition("-")
        a, b = DAYS.index(first), DAYS.index(last or first)
        days += list(range(a, b + 1)) if a <= b else [*range(a, 7), *range(0, b + 1)]
    return days


def case_title(case_id: int, language: str, province: str | None, domain: str, *, priority: bool) -> str:
    """The forum topic's name: case number, language, province, domain — never a name."""
    parts = [f"#{case_id}", language, province or "?", domain]
    return (("🔴 " if priority else "") + " · ".join(parts))[:MAX_TITLE]


def parse_command(text: str) -> tuple[str, list[str]] | None:
    """'/claim@approdo_bot x y' → ('claim', ['x', 'y']); None if not a staff command."""
    if not text.startswith("/"):
        return None
    head, *args = text.split()
    name = head[1:].split("@")[0].lower()
    return (name, args) if name in STAFF_COMMANDS else None
