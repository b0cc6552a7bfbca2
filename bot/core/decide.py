"""The decision rules of DESIGN.md: answer, ask "did you mean", or hand over."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.nlu_client import Parse
from bot.taxonomy import Taxonomy

SAFETY_DOMAIN = "anti_trafficking"
EMERGENCY = "emergency"
UNSURE_LIMIT = 2
# When anti-trafficking intents together hold this much probability, the bot treats the
# message as anti-trafficking even if another intent is on top (docs/nlu.md: measured
# on nlu/tests/, it raises recall without lowering domain accuracy).
SAFETY_MASS = 0.3
DID_YOU_MEAN = 3

Kind = Literal["answer", "did_you_mean", "unsure", "general"]


@dataclass(frozen=True)
class Decision:
    kind: Kind
    intent: str
    candidates: tuple[str, ...] = ()
    hand_over: bool = False  # open a case now


def is_safety(intent: str, taxonomy: Taxonomy) -> bool:
    return intent == EMERGENCY or taxonomy.domain_of(intent) == SAFETY_DOMAIN


def route(parse: Parse, taxonomy: Taxonomy) -> str:
    """The intent the bot acts on: the top one, or the top anti-trafficking one when
    anti-trafficking intents together are likely enough."""
    if is_safety(parse.intent, taxonomy):
        return parse.intent
    safety = [s for s in parse.ranking if taxonomy.domain_of(s.intent) == SAFETY_DOMAIN]
    if safety and sum(s.confidence for s in safety) >= SAFETY_MASS:
        return max(safety, key=lambda s: s.confidence).intent
    return parse.intent


def decide(
    parse: Parse,
    *,
    taxonomy: Taxonomy,
    unsure_count: int,
    answer_threshold: float,
    unsure_threshold: float,
) -> Decision:
    """What to do with one understood message.

    Emergency and anti-trafficking are answered whatever the confidence: missing a
    victim is the worst error the product can make.
    """
    intent = route(parse, taxonomy)
    if is_safety(intent, taxonomy):
        return Decision("answer", intent)
    topics = [s.intent for s in parse.ranking if s.intent in taxonomy.topics]
    if intent in taxonomy.general and intent != "out_of_scope" and parse.confidence >= unsure_threshold:
        return Decision("general", intent)
    if intent in taxonomy.topics and parse.confidence >= answer_threshold:
        return Decision("answer", intent)
    if intent != "out_of_scope" and parse.confidence >= unsure_threshold and topics:
        return Decision("did_you_mean", intent, tuple(topics[:DID_YOU_MEAN]))
    if intent == "out_of_scope" and parse.confidence >= answer_threshold:
        return Decision("general", intent)
    return Decision(
        "unsure", intent, tuple(topics[:DID_YOU_MEAN]), hand_over=unsure_count + 1 >= UNSURE_LIMIT
    )
