"""How the intent classifier reads a message (no Rasa import: the bot's tests use it too)."""

from __future__ import annotations

import re
import unicodedata

# Accents and Arabic short vowels and tatweel; people type with and without them.
_MARKS = re.compile("[\u0300-\u036f\u064b-\u065f\u0670\u0640]")
# Arabic-script letters written several ways across ar/fa/ur/ps keyboards, folded to one.
_ARABIC_FOLD = str.maketrans(
    {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ی", "ي": "ی", "ك": "ک", "ة": "ه", "ۀ": "ه"}
)
_STRETCHED = re.compile(r"(\w)\1{2,}")  # "pleeeease" reads as "pleease"


def normalise(text: str) -> str:
    """The text as the classifier reads it: lowercase, no accents or vowel marks, one
    spelling of the Arabic-script letters that vary, stretched letters shortened."""
    text = _MARKS.sub("", unicodedata.normalize("NFKD", text.lower()))
    return _STRETCHED.sub(r"\1\1", unicodedata.normalize("NFC", text).translate(_ARABIC_FOLD))
