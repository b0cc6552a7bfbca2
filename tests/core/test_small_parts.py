import pytest

from bot.core import actions
from bot.core.flood import MAX_MESSAGES, FloodGate
from bot.core.keywords import KeywordClassifier, tokens
from bot.core.model import Button, Reply
from bot.core.render import content_html, plain_text
from bot.nlu_data import Example, read_folder
from bot.settings import PROJECT_ROOT


def test_actions_round_trip_and_limit() -> None:
    data = actions.encode(actions.FEEDBACK, "1", "trafficking_protection_programme")
    assert actions.decode(data) == actions.Action("f", "1", "trafficking_protection_programme")
    assert actions.decode("zz:whatever") is None
    with pytest.raises(ValueError):
        actions.encode(actions.TOPIC, "x" * 70)


def test_flood_gate_warns_once_then_drops_then_recovers() -> None:
    now = [0.0]
    gate = FloodGate(clock=lambda: now[0])
    assert [gate.check("a") for _ in range(MAX_MESSAGES)] == ["ok"] * MAX_MESSAGES
    assert gate.check("a") == "warn"
    assert gate.check("a") == "drop"
    assert gate.check("b") == "ok"
    now[0] = 60.0
    assert gate.check("a") == "ok"


def test_keywords_learn_distinctive_words() -> None:
    classifier = KeywordClassifier.from_examples(
        [
            Example("it", "legal_permit_renewal", "rinnovo permesso questura"),
            Example("it", "legal_permit_renewal", "permesso scaduto questura"),
            Example("it", "greet", "ciao"),
        ]
    )
    parse = classifier.parse("devo andare in questura per il permesso")
    assert parse.intent == "legal_permit_renewal" and parse.confidence > 0.5
    assert classifier.parse("banana").intent == "out_of_scope"


@pytest.mark.parametrize(
    ("text", "intents"),
    [
        ("il mio capo mi ha preso il passaporto", {"trafficking_forced_labour"}),
        ("我没有证件可以看医生吗", {"health_stp_eni", "health_urgent_care"}),
    ],
)
def test_keywords_from_the_real_training_data(text: str, intents: set[str]) -> None:
    classifier = KeywordClassifier.from_examples(read_folder(PROJECT_ROOT / "nlu"))
    assert classifier.parse(text).intent in intents


def test_degraded_mode_still_sorts_most_held_out_messages() -> None:
    """A floor, not the target: the keyword rules only stand in while Rasa is down."""
    from bot.taxonomy import load_taxonomy

    taxonomy = load_taxonomy(PROJECT_ROOT / "content")
    classifier = KeywordClassifier.from_examples(read_folder(PROJECT_ROOT / "nlu"))
    test = read_folder(PROJECT_ROOT / "nlu" / "tests")
    right = sum(
        taxonomy.domain_of(classifier.parse(e.text).intent) == taxonomy.domain_of(e.intent) for e in test
    )
    assert right / len(test) >= 0.6


def test_tokens_split_chinese_into_pairs() -> None:
    assert tokens("我需要工作 ok") == ["我需", "需要", "要工", "工作", "ok"]


def test_content_html_escapes_all_but_b_and_i() -> None:
    assert (
        content_html("<b>a</b> <script>x</script> & <i>c</i>")
        == "<b>a</b> &lt;script&gt;x&lt;/script&gt; &amp; <i>c</i>"
    )


def test_plain_text_numbers_buttons() -> None:
    reply = Reply("<b>Hi</b> &amp; bye", ((Button("one", "m"), Button("two", "h")),))
    assert plain_text(reply) == "Hi & bye\n  [1] one\n  [2] two"
