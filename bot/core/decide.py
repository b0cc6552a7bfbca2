"""The decision rules of DESIGN.md: answer, ask "did you mean", or hand over."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.nlu_client import Parse
from bot.taxonomy import Taxonomy

SAFETY_DOMAIN = "anti_trafficking"
EMERGENCY = "emergency"
UNSURE_LIMIT = 2
# When anti-trafficking intents together hold this much of the calibrated probability,
# the bot treats the message as anti-trafficking even if another intent is on top.
# Chosen on 3-fold cross-validation of the training data, not on nlu/tests/: lowered
# while each victim more that it finds costs fewer than 10 other questions answered as
# anti-trafficking (docs/nlu.md).
SAFETY_MASS = 0.2
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


def route(parse: Parse, taxonomy: Taxonomy, *, safety_mass: float = SAFETY_MASS) -> str:
    """The intent the bot acts on: the top one, unless the calibrated ranking points to
    safety (its top intent is one, or anti-trafficking intents together are likely
    enough): then that safety intent."""
    if is_safety(parse.intent, taxonomy):
        return parse.intent
    calibrated = parse.calibrated or parse.ranking
    if calibrated and is_safety(calibrated[0].intent, taxonomy):
        return calibrated[0].intent
    safety = [s for s in calibrated if taxonomy.domain_of(s.intent) == SAFETY_DOMAIN]
    if safety and sum(s.confidence for s in safety) >= safety_mass:
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
