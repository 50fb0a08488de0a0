"""`wsjf-inversion`: lower-WSJF work started while higher-WSJF work of the same level waits
in the same source.

Scores are compared within one source: each tracker's teams score on their own scales (a Jira
"Job Size" and an Azure DevOps "Effort" are not the same unit), so a cross-tracker comparison
would flag noise. An item missing any WSJF input (or with a job size of 0) has no score and takes
no part: missing is not zero. Waiting scores are sorted once per source and level, so each
started item is checked with a binary search rather than against every waiting item.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass

from lpmsync.analysis.context import Context, describe
from lpmsync.domain.findings import Finding, JsonValue, RuleId
from lpmsync.domain.model import Level, WorkItem
from lpmsync.domain.policies import RuleConfig

EVIDENCE_WAITING = 5  # how many higher-scored waiting items a finding names


@dataclass(frozen=True, slots=True)
class _Waiting:
    name: str  # source:key
    key: str
    source: str
    score: float


def wsjf_findings(ctx: Context) -> list[Finding]:
    config = ctx.rule(RuleId.WSJF_INVERSION)
    if config is None:
        return []
    findings: list[Finding] = []
    for level in config.levels:
        findings += _level_findings(ctx, config, level)
    return findings


def _level_findings(ctx: Context, config: RuleConfig, level: Level) -> list[Finding]:
    waiting_by_source: dict[str, list[_Waiting]] = {}
    for item in ctx.cell(config.waiting_state, level):
        if (score := item.wsjf.score) is not None:
            entry = _Waiting(f"{item.source}:{item.key}", item.key, item.source, score)
            waiting_by_source.setdefault(item.source, []).append(entry)
    ranked = {
        source: sorted(entries, key=lambda entry: (-entry.score, entry.key))
        for source, entries in waiting_by_source.items()
    }
    negated = {source: [-entry.score for entry in entries] for source, entries in ranked.items()}
    findings = []
    for item in ctx.cell(config.start_state, level):
        score = item.wsjf.score
        if score is None or item.source not in ranked:
            continue
        # Waiting items scoring strictly higher are the prefix whose negated score is lower.
        count = bisect_left(negated[item.source], -score)
        if count:
            top = ranked[item.source][: min(count, EVIDENCE_WAITING)]
            findings.append(_finding(ctx, config, item, score, higher=top, count=count))
    return findings


def _finding(
    ctx: Context,
    config: RuleConfig,
    item: WorkItem,
    score: float,
    *,
    higher: list[_Waiting],
    count: int,
) -> Finding:
    best = higher[0]
    best_name = best.key
    more = f" (and {count - 1} more)" if count > 1 else ""
    message = (
        f"{describe(item)} has WSJF {score:.3g} while {best_name} "
        f"waits in {config.waiting_state} with {best.score:.3g}{more}"
    )
    inputs = item.wsjf
    evidence: dict[str, JsonValue] = {
        "wsjf_score": score,
        "business_value": inputs.business_value,
        "time_criticality": inputs.time_criticality,
        "risk_reduction": inputs.risk_reduction,
        "job_size": inputs.job_size,
        "start_state": config.start_state,
        "waiting_state": config.waiting_state,
        "higher_waiting_count": count,
        "higher_waiting": [{"item": other.name, "wsjf_score": other.score} for other in higher],
    }
    return ctx.item_finding(RuleId.WSJF_INVERSION, config, item, message, evidence)
