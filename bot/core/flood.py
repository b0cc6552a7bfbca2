"""A per-person message limit, so one flooding chat cannot starve the others."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

WINDOW_SECONDS = 10.0
MAX_MESSAGES = 8


class FloodGate:
    """Sliding window per key; the first refused message earns one notice."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._seen: dict[str, deque[float]] = {}
        self._warned: set[str] = set()

    def check(self, key: str) -> str:
        """'ok', 'warn' (refused, tell the person once) or 'drop' (refused, already told)."""
        now = self._clock()
        window = self._seen.setdefault(key, deque())
        while window and now - window[0] > WINDOW_SECONDS:
            window.popleft()
        if len(window) < MAX_MESSAGES:
            window.append(now)
            self._warned.discard(key)
            if len(self._seen) > 10_000:  # forget idle chats now and then
                self._seen = {k: v for k, v in self._seen.items() if v and now - v[-1] <= WINDOW_SECONDS}
            return "ok"
        if key in self._warned:
            return "drop"
        self._warned.add(key)
        return "warn"
