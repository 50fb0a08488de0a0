"""Wording of the rules about flow and investment: WIP, aging, staleness, WSJF order, allocation,
and the generic wording of a rule that has none of its own."""

from __future__ import annotations

from lpmsync.domain.findings import Finding, RuleId
from lpmsync.notify.wording.base import RULE_WHY, Facts, Wording, days, iso_day, plural


def _cell(facts: Facts) -> str:
    stream = facts.finding.scope.value_stream
    return facts.state + (f" ({stream} value stream)" if stream else "")


def wip_breach(finding: Finding, facts: Facts) -> Wording:
    count, limit = facts.number("count"), facts.number("limit")
    over = facts.number("over_by") or ((count or 0) - (limit or 0))
    kind = facts.kind
    return Wording(
        headline=f"{_cell(facts)}: {plural(count or 0, kind)}, limit {limit:g}"
        if limit is not None
        else f"{_cell(facts)} is over its WIP limit",
        why=RULE_WHY[RuleId.WIP_BREACH],
        facts=f"{plural(count or 0, kind)} in {_cell(facts)} against a limit of "
        f"{limit if limit is not None else 'its limit'}: {over:g} over.",
        next_step=f"Stop starting: finish or move back {plural(over, kind)} before pulling "
        "more, or raise `wip_limit` in `portfolio.states`.",
        related=facts.refs("items"),
    )


def wip_starved(finding: Finding, facts: Facts) -> Wording:
    count, minimum = facts.number("count") or 0, facts.number("min")
    under = facts.number("under_by") or ((minimum or 0) - count)
    kind = facts.kind
    return Wording(
        headline=f"{_cell(facts)}: {plural(count, kind)}, minimum {minimum or 0:g}",
        why=RULE_WHY[RuleId.WIP_STARVED],
        facts=f"{plural(count, kind)} in {_cell(facts)} against a minimum of "
        f"{minimum or 0:g}: {under:g} short.",
        next_step=f"Pull {plural(under, kind)} into {facts.state} from the state before it, "
        "or lower `min` in `portfolio.states`.",
        related=facts.refs("items"),
    )


def aging(finding: Finding, facts: Facts) -> Wording:
    age, limit = facts.number("days_in_state"), facts.number("max_age_days")
    since = iso_day(facts.text("entered_state_at"))
    said = f"{days(age)} in {facts.state}; the limit is {days(limit)}."
    if since:
        said += f" It entered {facts.state} on {since}."
    return Wording(
        headline=f"{days(age)} in {facts.state} (limit {days(limit)})",
        why=RULE_WHY[RuleId.AGING],
        facts=said,
        next_step="Move it on, split it, or raise the state's `max_age_days` in "
        "`portfolio.states`.",
    )


def stale(finding: Finding, facts: Facts) -> Wording:
    idle, threshold = facts.number("days_since_update"), facts.number("stale_after_days")
    updated = iso_day(facts.text("updated"))
    said = f"Last updated {updated}, {days(idle)} ago" if updated else f"{days(idle)} idle"
    return Wording(
        headline=f"No update for {days(idle)}",
        why=RULE_WHY[RuleId.STALE],
        facts=f"{said}; items go stale after {days(threshold)}.",
        next_step="Ask the owner for a status update, or close it if it has been abandoned.",
    )


def wsjf_inversion(finding: Finding, facts: Facts) -> Wording:
    score = facts.number("wsjf_score")
    waiting = facts.records("higher_waiting")
    count = facts.number("higher_waiting_count") or len(waiting)
    where = facts.text("waiting_state") or "the backlog"
    best = waiting[0] if waiting else {}
    best_ref = best.get("item")
    best_score = best.get("wsjf_score")
    said = f"Its WSJF is {score:.3g}" if score is not None else "Its WSJF is lower"
    if isinstance(best_ref, str) and isinstance(best_score, int | float):
        said += f"; {facts.names.item(best_ref)} waits in {where} with {best_score:.3g}"
        if count > 1:
            said += f" (and {plural(count - 1, 'more item')})"
    return Wording(
        headline=f"Started ahead of {plural(count, 'higher-WSJF item')} waiting in {where}",
        why=RULE_WHY[RuleId.WSJF_INVERSION],
        facts=said + ".",
        next_step="Review the sequence at the next portfolio sync: pull the higher-WSJF work "
        "first, or correct the WSJF inputs if they are out of date.",
        related=tuple(r for r in (w.get("item") for w in waiting) if isinstance(r, str)),
        related_label="Waiting",
    )


def allocation_drift(finding: Finding, facts: Facts) -> Wording:
    theme = finding.scope.theme or facts.text("theme") or "this theme"
    name = facts.text("name") or facts.names.theme(theme)
    actual = facts.number("actual_share") or 0.0
    target = facts.number("target_share") or 0.0
    tolerance = facts.number("tolerance") or 0.0
    level = facts.text("level") or "epic"
    served, active = facts.number("theme_items"), facts.number("active_items")
    said = f"{name} holds {actual:.0%} of active {level} work; the guardrail is "
    said += f"{max(target - tolerance, 0):.0%}–{min(target + tolerance, 1):.0%}."
    if served is not None and active:
        said += f" {plural(served, level)} of {active:g} serve it."
    missing = facts.number("missing_estimate_count")
    if missing:
        said += f" {plural(missing, 'item')} without an estimate counted as zero."
    over = actual > target
    return Wording(
        headline=f"{name}: {actual:.0%} of {level} work, target {target:.0%} ± {tolerance:.0%}",
        why=RULE_WHY[RuleId.ALLOCATION_DRIFT],
        facts=said,
        next_step=(
            f"Stop starting new {name} work until it is back in its band, or raise its "
            "`target_share` in `themes`."
            if over
            else f"Pull the next {name} work from the backlog, or lower its `target_share` "
            "in `themes`."
        ),
    )


def generic(finding: Finding, facts: Facts) -> Wording:
    """A rule without wording of its own: its message, and where to look."""
    return Wording(
        headline=finding.message,
        why=RULE_WHY.get(finding.rule, "It needs a portfolio decision."),
        facts=finding.message.rstrip(".") + ".",
        next_step=f"Review it with `lpmsync report --rule {finding.rule}` and decide with "
        "its owner.",
    )


def forecast_risk(finding: Finding, facts: Facts) -> Wording:
    p85, target, p50 = facts.text("p85"), facts.text("target_date"), facts.text("p50")
    remaining = facts.number("remaining")
    late = facts.number("days_late")
    left = plural(remaining, "feature") if remaining is not None else "Features"
    said = f"{left} still to finish. At the recent pace it is 85% likely done by {p85}"
    said += f" (50%: {p50})" if p50 else ""
    said += f"; the target date is {target}."
    return Wording(
        headline=f"85% forecast {p85} is {days(late)} after its target {target}",
        why=RULE_WHY[RuleId.FORECAST_RISK],
        facts=said,
        next_step="Cut scope, add capacity to its value stream, or agree a new target date "
        "with its stakeholders.",
    )
