"""What the analysis says: findings, with the evidence behind each."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from lpmsync.domain.model import Level

JsonValue = None | bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"]


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class RuleId(StrEnum):
    """Rule ids are part of lpmsync's interface: config, routes, silences and reports use them."""

    UNALIGNED = "unaligned"
    RETIRED_THEME = "retired-theme"
    THEME_MISMATCH = "theme-mismatch"
    ORPHAN_FEATURE = "orphan-feature"
    PREMATURE_START = "premature-start"
    ALLOCATION_DRIFT = "allocation-drift"
    WIP_BREACH = "wip-breach"
    WIP_STARVED = "wip-starved"
    AGING = "aging"
    STALE = "stale"
    WSJF_INVERSION = "wsjf-inversion"


@dataclass(frozen=True, slots=True)
class Subject:
    """The tracker item a finding is about."""

    source: str
    key: str
    title: str
    url: str


@dataclass(frozen=True, slots=True)
class Scope:
    """Where a finding applies. Item findings carry their item's theme and value stream here too,
    so that routing can match on them."""

    state: str | None = None
    level: Level | None = None
    value_stream: str | None = None
    theme: str | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    """One condition that needs a portfolio manager's attention.

    `fingerprint` is stable: the same condition yields the same fingerprint across runs and input
    orders, a different subject or scope a different one. `evidence` is JSON-ready.
    """

    rule: str
    severity: Severity
    fingerprint: str
    message: str
    subject: Subject | None = None
    scope: Scope = field(default_factory=Scope)
    evidence: Mapping[str, JsonValue] = field(default_factory=dict)
