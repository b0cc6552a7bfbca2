"""The exceptions Approdo raises, drawn once:

    ApprodoError
    ├── NLUError
    │   ├── NLUUnavailable      the Rasa server cannot be reached or answered 5xx
    │   └── NLUBadResponse      the server answered something that is not a parse result
    ├── ContentError            content/ files do not validate (carries the problems)
    └── SetupError              something the machine needs is missing (Rasa venv, model)

Library errors (httpx, yaml, sqlalchemy) are translated at the boundary with
``raise X(...) from exc``; nothing above the boundary catches library exceptions.
"""

from __future__ import annotations


class ApprodoError(Exception):
    """Base of every error Approdo raises on purpose."""


class NLUError(ApprodoError):
    """The NLU server could not classify a message."""


class NLUUnavailable(NLUError):
    """The Rasa server is down, unreachable or overloaded."""


class NLUBadResponse(NLUError):
    """The Rasa server answered with something that is not a parse result."""


class SetupError(ApprodoError):
    """Something the machine needs is missing; the message says how to fix it."""
