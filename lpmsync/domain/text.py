"""Cleaning tracker text: pure functions, no I/O.

Tracker text is hostile input. Two kinds of characters are removed:

- characters no store can hold or no reader wants: NUL and the other C0/C1 control characters
  (PostgreSQL refuses NUL in text and JSON), and lone surrogates (not encodable as UTF-8);
  tabs and line breaks become one space, since every field lpmsync keeps is one line;
- characters that make text lie about itself when shown: right-to-left and other bidirectional
  overrides and isolates (the "Trojan Source" trick) and zero-width characters.

`clean_text` does both, and truncates at a length with an ellipsis; it is applied to every text
an item carries before the item is stored. `display_text` (the same, keeping line breaks) is
applied again where text leaves for Slack or the report table, so an item stored by an older
version is shown clean too.
"""

from __future__ import annotations

import re

ELLIPSIS = "…"

_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"  # marks, embeddings, overrides, isolates
_ZERO_WIDTH = "\u200b-\u200d\u2060\ufeff"  # zero-width space/non-joiner/joiner, word joiner, BOM
_WHITESPACE_CONTROLS = re.compile(r"[\t\n\r\v\f\x85\u2028\u2029]+")
_REMOVED = re.compile(f"[\x00-\x1f\x7f-\x9f\ud800-\udfff{_BIDI}{_ZERO_WIDTH}]")
_DIRTY = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff{_BIDI}{_ZERO_WIDTH}]")
_HIDDEN = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff{_BIDI}{_ZERO_WIDTH}]")


def clean_text(text: str, limit: int | None = None) -> str:
    """`text` without control, surrogate, bidirectional-override and zero-width characters,
    line breaks and tabs as single spaces, at most `limit` characters (an ellipsis marks a cut)."""
    cleaned = _REMOVED.sub("", _WHITESPACE_CONTROLS.sub(" ", text))
    return truncate(cleaned, limit) if limit is not None else cleaned


def display_text(text: str) -> str:
    """`text` as it may be shown (Slack, the report table): line breaks and tabs kept, every
    other control, surrogate, bidirectional-override and zero-width character removed."""
    return _HIDDEN.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def truncate(text: str, limit: int) -> str:
    """At most `limit` characters; a cut text ends with an ellipsis."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + ELLIPSIS if limit > 0 else ""


def is_clean(text: str) -> bool:
    """True when `clean_text` would leave `text` as it is (ignoring length)."""
    # ASCII text (the usual) is dirty exactly where it is not printable (C0 controls, DEL),
    # which str checks twice as fast as the pattern; anything else asks the pattern.
    if text.isascii() and text.isprintable():
        return True
    return _DIRTY.search(text) is None  # every character either pattern of clean_text matches
