"""The channel-agnostic conversation: "this person, in this state, sent this" → replies.

The Telegram adapter and `approdo shell` both drive this class. Understanding (language,
NLU) and content lookup happen here; the rules live in bot.core; sending is the
channel's job.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass

from bot.core import actions
from bot.core.decide import Decision, decide, is_safety
from bot.core.flood import FloodGate
from bot.core.keywords import KeywordClassifier
from bot.core.labels import DOMAIN_LABELS, GENERAL_REPLIES, PROVINCE_LABELS
from bot.core.model import Button, Feedback, ForgetPerson, OpenCase, Outcome, Person, Reply
from bot.core.render import answer_text, escape, service_card
from bot.errors import NLUError
from bot.i18n import Words, language_name
from bot.langid import choose_language, reply_language
from bot.nlu_client import NLUClient, Parse, clean_text
from bot.store.db import run_blocking
from bot.store.lookup import ContentStore
from bot.store.people import RECENT_TOPICS, People
from bot.taxonomy import OTHER_PROVINCE, Taxonomy

log = logging.getLogger(__name__)

DEFAULT_LANGUAGE = "en"
RECENT_MESSAGES = 5


@dataclass(frozen=True)
class Thresholds:
    answer: float
    unsure: float


class Conversation:
    """One method per thing a person can do; each returns what to send and do."""

    def __init__(
        self,
        *,
        taxonomy: Taxonomy,
        content: ContentStore,
        people: People,
        nlu: NLUClient | None,
        keywords: KeywordClassifier,
        thresholds: Thresholds,
        flood: FloodGate | None = None,
    ) -> None:
        self.taxonomy = taxonomy
        self.content = content
        self.people = people
        self.nlu = nlu
        self.keywords = keywords
        self.thresholds = thresholds
        self.flood = flood or FloodGate()
        self._nlu_down_logged = False
        # The last few messages per person, in memory only: they go on the case card
        # if the person is handed over, and are never written to the database otherwise.
        self._recent: dict[str, deque[str]] = {}

    # -- what the person does -------------------------------------------------------

    async def text(self, key: str, text: str, *, telegram_language: str | None = None) -> Outcome:
        """Free text: language → NLU → decision → answer."""
        person = await run_blocking(self.people.engine, self.people.get, key)
        if person.banned:
            return Outcome()
        gate = self.flood.check(key)
        if gate != "ok":
            words = self.words(person, telegram_language)
            return Outcome([Reply(escape(words("flood.notice")))] if gate == "warn" else [])
        cleaned = clean_text(text)
        self._recent.setdefault(key, deque(maxlen=RECENT_MESSAGES)).append(cleaned)
        nlu_language, _ = choose_language(
            cleaned,
            chosen=person.language,
            telegram_code=telegram_language,
            supported=self.taxonomy.languages,
        )
        written = reply_language(nlu_language) if nlu_language else None
        language = written if written in self.taxonomy.answer_languages else None
        language = language or self._language(person, telegram_language)
        parse = await self.understand(cleaned)
        decision = decide(
            parse,
            taxonomy=self.taxonomy,
            unsure_count=person.unsure_count,
            answer_threshold=self.thresholds.answer,
            unsure_threshold=self.thresholds.unsure,
        )
        if decision.kind in ("unsure", "did_you_mean"):
            # Not understood: a language guess on such text is no reason to switch.
            language = self._language(person, telegram_language)
        outcome = self._respond(person, decision, Words(language))
        if person.language and language != person.language and decision.kind == "answer":
            words = Words(language)
            offer = Button(
                words("button.switch_language", language=language_name(language)),
                actions.encode(actions.SWITCH, language),
            )
            last = outcome.replies[-1]
            outcome.replies[-1] = Reply(last.text, (*last.buttons, (offer,)))
        await run_blocking(self.people.engine, self.people.save, person)
        return outcome

    def command(self, key: str, name: str, *, telegram_language: str | None = None) -> Outcome:
        """A slash command: start, language, province, menu, help, forget."""
        person = self.people.get(key)
        if person.banned:
            return Outcome()
        words = self.words(person, telegram_language)
        if name == "start":
            if person.language is None and telegram_language in self.taxonomy.answer_languages:
                person.language = telegram_language
            self.people.save(person)
            words = self.words(person, telegram_language)
            return Outcome([Reply(escape(words("start.welcome"))), self.language_picker(words)])
        if name == "language":
            return Outcome([self.language_picker(words)])
        if name == "province":
            return Outcome([self.province_picker(words)])
        if name == "menu":
            return Outcome([self.main_menu(words)])
        if name == "help":
            return Outcome([Reply(escape(words("help.text")), self.main_menu(words).buttons)])
        if name == "forget":
            self.people.forget(key)
            self.forget_recent(key)
            return Outcome([Reply(escape(words("forget.done")))], [ForgetPerson()])
        return Outcome([Reply(escape(words("unknown_command")), self.main_menu(words).buttons)])

    def action(self, key: str, data: str, *, telegram_language: str | None = None) -> Outcome:
        """A tapped button."""
        person = self.people.get(key)
        if person.banned:
            return Outcome()
        words = self.words(person, telegram_language)
        action = actions.decode(data)
        if action is None:
            return Outcome([Reply(escape(words("stale_button")), self.main_menu(words).buttons)])
        outcome = self._on_action(person, action, words)
        self.people.save(person)
        return outcome

    def media(self, key: str, kind: str, *, telegram_language: str | None = None) -> Outcome:
        """A voice note, photo, document or sticker: the bot cannot read it; offer help."""
        person = self.people.get(key)
        if person.banned:
            return Outcome()
        words = self.words(person, telegram_language)
        return Outcome([Reply(escape(words("media.received")), self.main_menu(words).buttons)])

    def location(
        self, key: str, latitude: float, longitude: float, *, telegram_language: str | None = None
    ) -> Outcome:
        """A shared location: the nearest services by distance."""
        person = self.people.get(key)
        if person.banned:
            return Outcome()
        words = self.words(person, telegram_language)
        nearest = self.content.snapshot.nearest_services(latitude, longitude)
        if not nearest:
            return Outcome([Reply(escape(words("location.none")), self.main_menu(words).buttons)])
        cards = [service_card(s, words, distance_km=km) for s, km in nearest]
        heading = escape(words("location.nearest"))
        text = "\n\n".join([f"<b>{heading}</b>", *cards])
        return Outcome([Reply(text, ((self.mediator_button(words),),))])

    def recent_messages(self, key: str) -> list[str]:
        return list(self._recent.get(key, ()))

    def forget_recent(self, key: str) -> None:
        self._recent.pop(key, None)

    # -- understanding ---------------------------------------------------------------

    async def understand(self, text: str) -> Parse:
        """Rasa when it answers; the keyword rules when it does not (logged once)."""
        if self.nlu is not None:
            try:
                parse = await self.nlu.parse(text)
            except NLUError as exc:
                if not self._nlu_down_logged:
                    log.warning("NLU unavailable (%s): answering with keyword rules", type(exc).__name__)
                    self._nlu_down_logged = True
            else:
                if self._nlu_down_logged:
                    log.info("NLU is back")
                    self._nlu_down_logged = False
                return parse
        return self.keywords.parse(text)

    # -- replies ---------------------------------------------------------------------

    def words(self, person: Person, telegram_language: str | None = None) -> Words:
        return Words(self._language(person, telegram_language))

    def _language(self, person: Person, telegram_language: str | None) -> str:
        if person.language:
            return person.language
        if telegram_language in self.taxonomy.answer_languages:
            return telegram_language
        return DEFAULT_LANGUAGE

    def _respond(self, person: Person, decision: Decision, words: Words) -> Outcome:
        if decision.kind == "answer":
            person.unsure_count = 0
            return self.answer(person, decision.intent, words)
        if decision.kind == "general":
            person.unsure_count = 0
            return self._general(decision.intent, words)
        if decision.kind == "did_you_mean":
            buttons = tuple(
                (Button(self.topic_title(t, words), actions.encode(actions.TOPIC, t)),)
                for t in decision.candidates
            )
            return Outcome([Reply(escape(words("did_you_mean")), (*buttons, (self.mediator_button(words),)))])
        person.unsure_count += 1
        if decision.hand_over:
            person.unsure_count = 0
            return Outcome(
                [Reply(escape(words("unsure.handover")))], [OpenCase("unsure", "general", words.language)]
            )
        return Outcome([Reply(escape(words("unsure")), self.main_menu(words).buttons)])

    def _general(self, intent: str, words: Words) -> Outcome:
        if intent == "ask_human":
            return Outcome([], [OpenCase("asked", "general", words.language)])
        if intent == "change_language":
            return Outcome([self.language_picker(words)])
        text = escape(words(GENERAL_REPLIES.get(intent, GENERAL_REPLIES["out_of_scope"])))
        if intent in ("greet", "out_of_scope"):
            return Outcome([Reply(text, self.main_menu(words).buttons)])
        return Outcome([Reply(text)])

    def answer(self, person: Person, topic: str, words: Words) -> Outcome:
        """The answer card for a topic, with buttons, and a case for red topics."""
        snapshot = self.content.snapshot
        found = snapshot.answer_for(
            topic,
            words.language,
            person.province,
            region=self.taxonomy.region,
            second_language=person.second_language,
        )
        if found is None:
            return Outcome([Reply(escape(words("answer.missing")), ((self.mediator_button(words),),))])
        person.recent_topics = [*person.recent_topics, topic][-RECENT_TOPICS:]
        safety = is_safety(topic, self.taxonomy)
        text = answer_text(found, words, safety=safety)
        if found.sensitivity == "yellow":
            text += "\n\n" + escape(words("answer.mediator_offer"))
        related = [
            (Button(self.topic_title(t, words), actions.encode(actions.TOPIC, t)),)
            for t in found.related
            if t in snapshot.topics
        ][:3]
        feedback = (
            Button(words("button.useful"), actions.encode(actions.FEEDBACK, "1", topic)),
            Button(words("button.not_useful"), actions.encode(actions.FEEDBACK, "0", topic)),
        )
        outcome = Outcome([Reply(text, (*related, (self.mediator_button(words),), feedback))])
        if found.sensitivity == "red":
            outcome.effects.append(OpenCase("red_topic", found.domain, words.language, priority=safety))
        return outcome

    def _on_action(self, person: Person, action: actions.Action, words: Words) -> Outcome:
        kind, value = action.kind, action.value
        if kind == actions.TOPIC and value in self.content.snapshot.topics:
            return self.answer(person, value, words)
        if kind == actions.DOMAIN and value in self.taxonomy.domains:
            rows = tuple(
                (Button(self.topic_title(t, words), actions.encode(actions.TOPIC, t)),)
                for t in self.taxonomy.domains[value]
            )
            return Outcome([Reply(escape(words("domain.topics")), (*rows, (self.menu_button(words),)))])
        if kind == actions.MENU:
            return Outcome([self.main_menu(words)])
        if kind == actions.HUMAN:
            return Outcome([], [OpenCase("asked", "general", words.language)])
        if kind in (actions.LANGUAGE, actions.SWITCH) and value in self.taxonomy.answer_languages:
            if person.language != value:
                person.second_language = person.language
            person.language = value
            words = Words(value)
            replies = [Reply(escape(words("language.set", language=language_name(value))))]
            replies.append(
                self.province_picker(words)
                if not person.onboarded and kind == actions.LANGUAGE
                else self.main_menu(words)
            )
            return Outcome(replies)
        if kind == actions.PROVINCE and (value in self.taxonomy.provinces or value == OTHER_PROVINCE):
            person.province = None if value == OTHER_PROVINCE else value
            first_time = not person.onboarded
            person.onboarded = True
            replies = [Reply(escape(words("province.set", province=words(PROVINCE_LABELS[value]))))]
            if first_time:
                replies.append(Reply(escape(words("privacy.note"))))
            replies.append(self.main_menu(words))
            return Outcome(replies)
        if kind == actions.FEEDBACK and action.extra in self.content.snapshot.topics:
            self.people.record_feedback(Feedback(action.extra, words.language, value == "1"))
            return Outcome([Reply(escape(words("feedback.thanks")))])
        return Outcome([Reply(escape(words("stale_button")), self.main_menu(words).buttons)])

    # -- menus -----------------------------------------------------------------------

    def topic_title(self, topic: str, words: Words) -> str:
        found = self.content.snapshot.answer_for(topic, words.language, None, region=self.taxonomy.region)
        return found.title if found else topic

    def mediator_button(self, words: Words) -> Button:
        return Button(words("button.mediator"), actions.encode(actions.HUMAN))

    def menu_button(self, words: Words) -> Button:
        return Button(words("button.menu"), actions.encode(actions.MENU))

    def main_menu(self, words: Words) -> Reply:
        rows = tuple(
            (Button(words(DOMAIN_LABELS[d]), actions.encode(actions.DOMAIN, d)),)
            for d in self.taxonomy.domains
        )
        return Reply(escape(words("menu.title")), (*rows, (self.mediator_button(words),)))

    def language_picker(self, words: Words) -> Reply:
        buttons = [
            Button(language_name(code), actions.encode(actions.LANGUAGE, code))
            for code in self.taxonomy.answer_languages
        ]
        rows = tuple(tuple(buttons[i : i + 3]) for i in range(0, len(buttons), 3))
        return Reply(escape(words("start.choose_language")), rows)

    def province_picker(self, words: Words) -> Reply:
        codes = [*self.taxonomy.provinces, OTHER_PROVINCE]
        buttons = [
            Button(words(PROVINCE_LABELS[code]), actions.encode(actions.PROVINCE, code)) for code in codes
        ]
        rows = tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))
        return Reply(escape(words("start.choose_province")), rows)
