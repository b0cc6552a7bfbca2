"""The Telegram adapter."""

import os

# Opt in to python-telegram-bot's next behaviour now: time spans (retry_after) as timedelta.
os.environ.setdefault("PTB_TIMEDELTA", "1")
