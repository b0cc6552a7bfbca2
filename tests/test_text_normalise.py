"""How the intent classifier reads a message: spellings people mix are read as one."""

import pytest

from bot.rasa_components.text import normalise


@pytest.mark.parametrize(
    ("typed", "plain"),
    [
        ("Perché NON ho il permesso", "perche non ho il permesso"),
        ("مَرْحَبًا", "مرحبا"),  # short vowels
        ("أنا في إيطاليا", "انا في ايطاليا"),  # hamza forms of alef
        ("كيف", "کیف"),  # Arabic and Persian kaf and yeh
        ("مستشفى", "مستشفی"),  # alef maqsura
        ("مـــرحبا", "مرحبا"),  # tatweel
        ("helpppp pleeeease", "helpp pleease"),
    ],
)
def test_variant_spellings_read_the_same(typed: str, plain: str) -> None:
    assert normalise(typed) == normalise(plain)


@pytest.mark.parametrize("text", ["ক্লান্ত", "ਅੱਜ ਰਾਤ", "हिंदी", "ትግርኛ", "我需要工作"])
def test_scripts_whose_marks_carry_meaning_are_left_alone(text: str) -> None:
    assert normalise(text) == text


def test_distinct_words_stay_distinct() -> None:
    assert normalise("casa") != normalise("cassa")
    assert normalise("lavoro") != normalise("lavoro nero")
