import pytest

from bot.core.decide import Decision, decide
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


def test_likely_enough_anti_trafficking_is_answered_as_such_even_below_the_top() -> None:
    d = run(
        parse(
            "legal_asylum",
            0.5,
            ("trafficking_protection_programme", 0.2),
            ("trafficking_forced_labour", 0.15),
            ("legal_free_legal_aid", 0.15),
        )
    )
    assert d == Decision("answer", "trafficking_protection_programme")
    assert (
        run(parse("legal_asylum", 0.85, ("trafficking_protection_programme", 0.15))).intent == "legal_asylum"
    )


def test_the_safety_mass_is_read_from_the_calibrated_ranking_when_there_is_one() -> None:
    """The served ranking mixes in naive Bayes, whose extreme probabilities hide a real
    anti-trafficking share; the regression's own ranking shows it, and a safety intent
    on top of it is acted on."""
    mixed = (IntentScore("work_undeclared_report", 0.8), IntentScore("trafficking_forced_labour", 0.1))
    calibrated = (IntentScore("work_undeclared_report", 0.55), IntentScore("trafficking_forced_labour", 0.35))
    assert run(Parse("work_undeclared_report", 0.8, mixed, calibrated)) == Decision(
        "answer", "trafficking_forced_labour"
    )
    unsure = (
        IntentScore("emergency", 0.22),
        IntentScore("work_undeclared_report", 0.2),
        IntentScore("housing_shelter_tonight", 0.2),
    )
    assert run(Parse("work_undeclared_report", 0.7, mixed, unsure)) == Decision("answer", "emergency")
    alarmed = (IntentScore("work_undeclared_report", 0.6), IntentScore("trafficking_forced_labour", 0.4))
    calm = (IntentScore("work_undeclared_report", 0.9), IntentScore("trafficking_forced_labour", 0.1))
    assert run(Parse("work_undeclared_report", 0.6, alarmed, calm)) == Decision(
        "answer", "work_undeclared_report"
    )
