"""What the analysis says: findings, with the evidence behind each."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

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
    FORECAST_RISK = "forecast-risk"


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


def finding_to_json(finding: Finding) -> dict[str, JsonValue]:
    """`{rule, severity, fingerprint, subject, scope, message, evidence}`: the report's JSON form
    of a finding, which is also how the store keeps one; `finding_from_json` restores it."""
    subject, scope = finding.subject, finding.scope
    return {
        "rule": finding.rule,
        "severity": finding.severity.value,
        "fingerprint": finding.fingerprint,
        "subject": None
        if subject is None
        else {
            "source": subject.source,
            "key": subject.key,
            "title": subject.title,
            "url": subject.url,
        },
        "scope": {
            "state": scope.state,
            "level": scope.level.value if scope.level is not None else None,
            "value_stream": scope.value_stream,
            "theme": scope.theme,
        },
        "message": finding.message,
        "evidence": dict(finding.evidence),
    }


def finding_from_json(data: Mapping[str, Any]) -> Finding:
    subject = data.get("subject")
    scope = data.get("scope") or {}
    level = scope.get("level")
    return Finding(
        rule=data["rule"],
        severity=Severity(data["severity"]),
        fingerprint=data["fingerprint"],
        message=data["message"],
        subject=Subject(**subject) if subject else None,
        scope=Scope(
            state=scope.get("state"),
            level=Level(level) if level is not None else None,
            value_stream=scope.get("value_stream"),
            theme=scope.get("theme"),
        ),
        evidence=dict(data.get("evidence") or {}),
    )
