"""The NLU data itself: complete, consistent with the taxonomy, held-out split kept apart."""

import re

import pytest

from bot.nlu_data import read_examples, read_folder
from bot.settings import PROJECT_ROOT
from bot.taxonomy import load_taxonomy

TAXONOMY = load_taxonomy(PROJECT_ROOT / "content")
NLU = PROJECT_ROOT / "nlu"
BIG = ("it", "en", "fr", "ar")


def grams(text: str) -> set[str]:
    flat = " ".join(re.findall(r"\w+", text.lower()))
    return {flat[i : i + 3] for i in range(max(1, len(flat) - 2))}


@pytest.mark.parametrize("language", TAXONOMY.languages)
def test_every_language_has_every_intent_with_enough_examples(language: str) -> None:
    examples = read_examples(NLU / f"{language}.yml")
    counts = {intent: sum(e.intent == intent for e in examples) for intent in TAXONOMY.intents}
    minimum = 20 if language in BIG else 8
    assert min(counts.values()) >= minimum, {k: v for k, v in counts.items() if v < minimum}
    assert {e.intent for e in examples} <= set(TAXONOMY.intents)


@pytest.mark.parametrize("language", TAXONOMY.languages)
def test_held_out_split_exists_and_does_not_leak_into_training(language: str) -> None:
    tests = read_examples(NLU / "tests" / f"{language}.yml")
    assert len(tests) >= 10
    training = [grams(e.text) for e in read_examples(NLU / f"{language}.yml")]
    for example in tests:
        g = grams(example.text)
        close = [t for t in training if len(g & t) / max(1, len(g | t)) >= 0.5]
        assert not close, f"{language}: held-out {example.text!r} has a near copy in training"


def test_training_reads_only_the_top_level_files() -> None:
    from bot.rasa_server import training_files

    files = training_files(NLU)
    assert files and all(f.parent == NLU for f in files)
    assert len(read_folder(NLU)) > len(read_folder(NLU / "tests"))
