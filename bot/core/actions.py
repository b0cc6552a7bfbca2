"""What a button sends back (Telegram's callback_data, at most 64 bytes)."""

from __future__ import annotations

from dataclasses import dataclass

MAX_BYTES = 64
TOPIC, DOMAIN, LANGUAGE, PROVINCE, HUMAN, FEEDBACK, MENU, SWITCH, RATE = (
    "t",
    "d",
    "l",
    "p",
    "h",
    "f",
    "m",
    "s",
    "r",
)


@dataclass(frozen=True)
class Action:
    kind: str
    value: str = ""
    extra: str = ""


def encode(kind: str, value: str = "", extra: str = "") -> str:
    data = ":".join(part for part in (kind, value, extra) if part)
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
    return data


def decode(data: str) -> Action | None:
    """The action of a button, or None for data this bot never made (old keyboards)."""
    parts = data.split(":")
    if not parts or parts[0] not in (TOPIC, DOMAIN, LANGUAGE, PROVINCE, HUMAN, FEEDBACK, MENU, SWITCH, RATE):
        return None
    return Action(parts[0], parts[1] if len(parts) > 1 else "", parts[2] if len(parts) > 2 else "")
