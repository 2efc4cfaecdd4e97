"""Text normalisation for comparing a quoted piece of evidence with the answer it came from.

Models quote loosely: they change full-width to half-width punctuation, drop spaces, or answer in
Simplified Chinese about a Traditional-script answer. None of that should count as a fabricated
quote, so both sides are compared after the same normalisation.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc

# Ellipses mark an elided span inside a quote: every fragment must still occur, in order.
_ELLIPSIS = re.compile(r"(?:\.{3,}|…+|⋯+)")
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    return _t2s().convert(text)


@lru_cache(maxsize=1)
def _s2t() -> opencc.OpenCC:
    return opencc.OpenCC("s2t")


def to_traditional(text: str) -> str:
    return _s2t().convert(text)


def normalise(text: str) -> str:
    """NFKC (full/half width), Traditional→Simplified, casefold, and no whitespace or punctuation."""
    text = unicodedata.normalize("NFKC", text).translate(_ZERO_WIDTH)
    text = to_simplified(text).casefold()
    return "".join(ch for ch in text if not _is_space_or_punct(ch))


def _is_space_or_punct(ch: str) -> bool:
    category = unicodedata.category(ch)
    return category[0] in ("Z", "P", "C") or category == "Sk" or ch.isspace()


def quote_occurs(quote: str, answer: str) -> bool:
    """True when every ellipsis-separated fragment of `quote` occurs in `answer`, in order."""
    haystack = normalise(answer)
    fragments = [normalise(f) for f in _ELLIPSIS.split(quote)]
    fragments = [f for f in fragments if f]
    if not fragments:
        return False
    pos = 0
    for fragment in fragments:
        found = haystack.find(fragment, pos)
        if found < 0:
            return False
        pos = found + len(fragment)
    return True


def bigrams(text: str) -> set[str]:
    """The character bigrams of the normalised text (the one-character text itself when shorter):
    the unit the evidence check, the importer and the nearest-answer lookups compare by."""
    text = normalise(text)
    return {text[i : i + 2] for i in range(len(text) - 1)} or ({text} if text else set())
