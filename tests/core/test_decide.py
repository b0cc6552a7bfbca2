import pytest

from bot.core.decide import decide
from bot.nlu_client import IntentScore, Parse
from bot.settings import PROJECT_ROOT
from bot.taxonomy import load_taxonomy

TAXONOMY = load_taxonomy(PROJECT_ROOT / "content")


def parse(intent: str, confidence: float, *others: tuple[str, float]) -> Parse:
    ranking = (IntentScore(intent, confidence), *(IntentScore(i, c) for i, c in others))
    return Parse(intent, confidence, ranking)


def run(p: Parse, unsure: int = 0):  # type: ignore[no-untyped-def]
    return decide(p, taxonomy=TAXONOMY, unsure_count=unsure, answer_threshold=0.55, unsure_threshold=0.25)


@pytest.mark.parametrize("intent", ["trafficking_forced_labour", "trafficking_someone_else", "emergency"])
def test_safety_is_answered_whatever_the_confidence(intent: str) -> None:
    decision = run(parse(intent, 0.05, ("greet", 0.04)))
    assert decision.kind == "answer" and decision.intent == intent


def test_confident_topic_is_answered() -> None:
    assert run(parse("health_stp_eni", 0.8)).kind == "answer"


def test_middle_confidence_asks_did_you_mean_with_top_topics() -> None:
    d = run(
        parse(
            "legal_asylum",
            0.4,
            ("greet", 0.2),
            ("legal_permit_renewal", 0.2),
            ("housing_reception_system", 0.1),
            ("work_job_search", 0.05),
        )
    )
    assert d.kind == "did_you_mean"
    assert d.candidates == ("legal_asylum", "legal_permit_renewal", "housing_reception_system")


def test_low_confidence_is_unsure_and_twice_hands_over() -> None:
    first = run(parse("legal_asylum", 0.1), unsure=0)
    assert first.kind == "unsure" and not first.hand_over
    assert run(parse("legal_asylum", 0.1), unsure=1).hand_over


def test_general_intents() -> None:
    assert run(parse("greet", 0.6)).kind == "general"
    assert run(parse("ask_human", 0.3)).kind == "general"
    assert run(parse("out_of_scope", 0.9)).kind == "general"
    assert run(parse("out_of_scope", 0.0)).kind == "unsure"
