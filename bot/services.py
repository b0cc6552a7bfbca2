"""Building the conversation and what it needs from settings: the one wiring place
shared by the Telegram adapter and the terminal chat."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.conversation import Conversation, Thresholds
from bot.core.keywords import KeywordClassifier
from bot.core.model import Effect, ForgetPerson, OpenCase, Reply
from bot.handoff import HandoffDesk
from bot.langid import detect_language
from bot.nlu_client import NLUClient
from bot.nlu_data import read_folder
from bot.settings import Settings
from bot.store import db
from bot.store.lookup import ContentSnapshot, ContentStore
from bot.store.people import People
from bot.store.updates import UpdateLog
from bot.taxonomy import Taxonomy, load_taxonomy


@dataclass
class Services:
    settings: Settings
    engine: Engine
    taxonomy: Taxonomy
    people: People
    updates: UpdateLog
    content: ContentStore
    conversation: Conversation
    handoff: HandoffDesk

    def refresh_content(self) -> bool:
        """Pick up a `content sync` made since the last look; True if it did."""
        with Session(self.engine) as session:
            return self.content.refresh(session)

    def carry_out(self, person_key: str, chat_id: int, effects: list[Effect]) -> list[Reply]:
        """Do what the conversation asked (open a case, forget a person); the replies
        to send the person in return."""
        replies: list[Reply] = []
        for effect in effects:
            if isinstance(effect, OpenCase):
                person = self.people.get(person_key)
                recent = self.conversation.recent_messages(person_key)
                replies += self.handoff.open_case(person, chat_id, effect, recent)
            elif isinstance(effect, ForgetPerson):
                self.handoff.forget(person_key)
        return replies


def build_services(
    settings: Settings, *, http: httpx.AsyncClient | None, engine: Engine | None = None
) -> Services:
    """Everything the conversation needs; `http=None` runs without Rasa (keyword rules)."""
    engine = engine or db.make_engine(settings.database_url)
    taxonomy = load_taxonomy(settings.content_dir)
    with Session(engine) as session:
        content = ContentStore(ContentSnapshot.load(session))
    people = People(engine)
    conversation = Conversation(
        taxonomy=taxonomy,
        content=content,
        people=people,
        nlu=NLUClient(http, settings.rasa_url) if http is not None else None,
        keywords=KeywordClassifier.from_examples(read_folder(settings.nlu_dir)),
        thresholds=Thresholds(answer=settings.answer_threshold, unsure=settings.unsure_threshold),
    )
    # Load the language models now, not on the first person's message.
    detect_language("warm up")
    handoff = HandoffDesk(engine, settings)
    return Services(settings, engine, taxonomy, people, UpdateLog(engine), content, conversation, handoff)
