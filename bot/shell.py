"""`approdo shell`: the terminal chat, through the same conversation as Telegram.

Interactive: a prompt; a number taps the numbered button of the last reply; /start,
/menu, … are commands. Scripted (stdin not a terminal): one message per line, each
reply printed.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO

from bot.core.model import Button, Outcome
from bot.core.render import plain_text
from bot.services import Services
from bot.taxonomy import OTHER_PROVINCE

SHELL_KEY = "shell:local"


class Shell:
    """Reads lines, drives the conversation, prints replies as plain text."""

    def __init__(self, services: Services, *, out: TextIO = sys.stdout, key: str = SHELL_KEY) -> None:
        self.services = services
        self.out = out
        self.key = key
        self.buttons: list[Button] = []

    def preset(self, *, language: str | None, province: str | None) -> None:
        person = self.services.people.get(self.key)
        if language:
            person.language = language
        if province:
            person.province = None if province == OTHER_PROVINCE else province
        if language and province:
            person.onboarded = True
        self.services.people.save(person)

    async def handle(self, line: str) -> None:
        """One typed line: a button number, a command or a message."""
        conversation = self.services.conversation
        text = line.strip()
        if not text:
            return
        if text.isdigit() and 1 <= int(text) <= len(self.buttons):
            outcome = conversation.action(self.key, self.buttons[int(text) - 1].action)
        elif text.startswith("/"):
            outcome = conversation.command(self.key, text[1:].split()[0].lower())
        else:
            outcome = await conversation.text(self.key, text)
        self.show(outcome)

    def show(self, outcome: Outcome) -> None:
        replies = [*outcome.replies, *self.services.carry_out(self.key, 0, outcome.effects)]
        self.buttons = [b for reply in replies[-1:] for row in reply.buttons for b in row]
        for reply in replies:
            self.out.write(plain_text(reply) + "\n\n")
        self.out.flush()


async def run_shell(services: Services, *, read_line: Callable[[], str | None]) -> None:
    """Loop until end of input."""
    shell = Shell(services)
    while (line := read_line()) is not None:
        await shell.handle(line)
