"""Logging for operators: one line per event, never message text, names or the token."""

from __future__ import annotations

import logging

# Libraries whose debug/info lines carry request parameters (message text) or URLs
# with the bot token: only their warnings and errors reach the log.
QUIET = ("telegram", "httpx", "httpcore", "aiohttp", "apscheduler", "hpack", "tornado")


def configure_logging(level: int = logging.INFO) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
