"""Stable finding fingerprints."""

from __future__ import annotations

import hashlib

_SEPARATOR = "\x1f"  # ASCII unit separator: cannot occur in keys, state names or theme keys


def fingerprint(rule: str, *identity: str) -> str:
    """sha256 (hex) of the rule id and the identity of what the finding is about.

    The identity is the subject (source, key) or the scope (state, level, value stream, theme);
    never counts or dates, which change while the condition persists. The same condition thus
    keeps its fingerprint across runs and input orders, and a different scope gets another one.
    """
    return hashlib.sha256(_SEPARATOR.join((rule, *identity)).encode("utf-8")).hexdigest()
