# Letters of other scripts and full-width forms on purpose: they are what the fold is about.
# ruff: noqa: RUF001, RUF002, RUF003
"""The one fold that name searches compare: case, accents and compatibility forms set aside.

A reader types ``electron`` for *Électron*, ``ariane`` for *ARIANE 6*, ``lodz`` for *Łódź*, ``STRASSE`` for
*Straße*, ``Ｆａｌｃｏｎ`` (full-width) for *Falcon*. The stored key of a name (``events.name_key``) and what was
typed go through the same :func:`search_key`, so a contains-test on the two finds the name.

Only the diacritics of Latin, Greek and Cyrillic letters are dropped (the Combining Diacritical Marks blocks).
Marks that make another letter or sound elsewhere are kept: Japanese が is not か, Devanagari vowel signs stay,
and Hangul, Han and kana come out as they went in (NFC). Cyrillic ё and й fold to е and и, as Russian readers
often type them anyway; a search then finds a little more, never less.
"""

from __future__ import annotations

import unicodedata

# Latin letters with a stroke or a ligature have no decomposition to drop a mark from, yet readers type them
# without it: Łódź as lodz, Ørsted as orsted, Işık as isik (dotless ı after casefold), Æolus as aeolus.
_PLAIN_LATIN = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ð": "d", "ħ": "h", "ı": "i", "æ": "ae", "œ": "oe"})


def _is_diacritic(char: str) -> bool:
    code = ord(char)
    return (
        0x0300 <= code <= 0x036F  # Combining Diacritical Marks
        or 0x1AB0 <= code <= 0x1AFF  # ... Extended
        or 0x1DC0 <= code <= 0x1DFF  # ... Supplement
        or 0x20D0 <= code <= 0x20FF  # ... for Symbols
        or 0xFE20 <= code <= 0xFE2F  # Combining Half Marks
    )


def search_key(text: str) -> str:
    """``text`` folded for searching: compatibility forms unified (NFKD), case folded, Latin/Greek/Cyrillic
    diacritics dropped, then recomposed (NFC). Idempotent; a precomposed letter and its combining sequence fold
    alike."""
    # NFKD before casefold splits İ into I + dot; NFKD again after it splits what casefold produced (ǰ stays
    # j + caron otherwise), as Unicode's compatibility caseless match does.
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    bare = "".join(char for char in folded if not _is_diacritic(char)).translate(_PLAIN_LATIN)
    return unicodedata.normalize("NFC", bare)
