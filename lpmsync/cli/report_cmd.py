"""`lpmsync report` and `lpmsync check`: the current findings and aggregates from the store."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import Annotated, Literal

import typer

from lpmsync.bootstrap import open_configured_store
from lpmsync.cli.common import ConfigOption, console, err_console, load, show
from lpmsync.cli.report_filter import FindingFilter, findings_csv
from lpmsync.cli.report_flow import render_flow
from lpmsync.cli.report_view import NEVER_SYNCED, findings_table, render
from lpmsync.domain.findings import Finding, Severity, finding_to_json
from lpmsync.notify.wording import Names
from lpmsync.services.clock import utc_now
from lpmsync.services.report import Report, build_report, unknown_rule
from lpmsync.settings import Settings
from lpmsync.settings.checks import unknown


def _rule_ids(values: list[str] | None) -> list[str] | None:
    for value in values or []:
        problem = unknown_rule(value)
        if problem is not None:
            raise typer.BadParameter(problem)
    return values


def _many(flag: str, help_text: str) -> object:
    return typer.Option(flag, help=help_text + " (repeatable).", show_default=False)


RuleOption = Annotated[
    list[str] | None,
    typer.Option(
        "--rule",
        "-r",
        help="Only findings of this rule id (repeatable).",
        callback=_rule_ids,
        show_default=False,
    ),
]
SeverityOption = Annotated[list[Severity] | None, _many("--severity", "Only this severity")]
ThemeOption = Annotated[list[str] | None, _many("--theme", "Only this theme key")]
SourceOption = Annotated[list[str] | None, _many("--source", "Only items of this source")]
OwnerOption = Annotated[list[str] | None, _many("--owner", "Only items of this owner")]
StateOption = Annotated[list[str] | None, _many("--state", "Only findings in this state")]


def report(  # noqa: PLR0917 (typer passes one argument per documented option)
    config: ConfigOption = None,
    output: Annotated[
        Literal["table", "json", "csv"],
        typer.Option("--format", "-f", help="table (default), json (docs/report.md) or csv."),
    ] = "table",
    rule: RuleOption = None,
    severity: SeverityOption = None,
    theme: ThemeOption = None,
    source: SourceOption = None,
    owner: OwnerOption = None,
    state: StateOption = None,
    flow: Annotated[
        bool,
        typer.Option("--flow", help="Flow metrics and forecasts (with json: the flow section)."),
    ] = False,
) -> None:
    """Print the current findings, most severe first, and the aggregates: allocation, WIP,
    oldest and unmapped items. Filters narrow the findings; the aggregates stay whole."""
    settings = load(config, check_secrets=False)
    wanted = FindingFilter(
        rules=rule,
        severities=[s.value for s in severity] if severity else None,
        themes=_known("--theme", "theme", theme, [t.key for t in settings.themes]),
        sources=_known("--source", "source", source, [s.name for s in settings.sources]),
        owners=[name.lower() for name in owner] if owner else None,
        states=_known("--state", "state", state, settings.portfolio.state_names),
    )
    result = _report(settings)
    findings = wanted.apply(result.analysis.findings)
    if result.analysis.items_count == 0:
        err_console.print(f"[bold yellow]note:[/] {NEVER_SYNCED}", highlight=False)
    names = Names(themes={t.key: t.name for t in settings.themes})
    if flow:  # the flow view (lpmsync/cli/report_flow.py)
        _flow(result, output)
    elif output == "json":
        document = result.as_json()  # its findings keep the documented order (rule, fingerprint)
        kept = [f for f in result.analysis.findings if wanted.keeps(f)]
        document["findings"] = [finding_to_json(f) for f in kept]
        typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
    elif output == "csv":
        typer.echo(findings_csv(findings, names), nl=False)
    else:
        show(render(result, findings, names, sources=len(settings.sources) > 1))


def _flow(result: Report, output: str) -> None:
    if output == "json":
        flow_json = result.as_json()["flow"]
        typer.echo(json.dumps({"flow": flow_json}, indent=2, ensure_ascii=False))
    else:
        console.print(render_flow(result.analysis.flow, result.generated_at))


def check(
    config: ConfigOption = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Show what would be sent to Slack; write nothing."),
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Also list every finding.")
    ] = False,
) -> None:
    """Evaluate the rules, print a summary and alert Slack (--dry-run: show, send nothing).

    Alerts go through the lifecycle (fire, repeat after repeat_interval, resolve) and the outbox.
    """
    from lpmsync.cli.check_notify import notify_check  # noqa: PLC0415 (Slack: start-up of report)

    settings = load(config, check_secrets=False)
    result = _report(settings)
    findings = FindingFilter().apply(result.analysis.findings)
    if result.analysis.items_count == 0:
        err_console.print(f"[bold yellow]note:[/] {NEVER_SYNCED}", highlight=False)
    if verbose:
        names = Names(themes={t.key: t.name for t in settings.themes})
        show(findings_table(findings, names, sources=len(settings.sources) > 1))
    console.print(summary_line(findings), highlight=False, soft_wrap=True)
    notify_check(settings, result.analysis.findings, result.generated_at, dry_run=dry_run)


def summary_line(findings: Sequence[Finding]) -> str:
    """`44 findings: 5 critical, 35 warning, 4 info · wip-breach 1, premature-start 4, …`."""
    if not findings:
        return "0 findings"
    severities = Counter(f.severity.value for f in findings)
    by_severity = ", ".join(
        f"{severities[s.value]} {s.value}" for s in reversed(Severity) if severities[s.value]
    )
    rules = ", ".join(
        f"{rule} {count}" for rule, count in Counter(f.rule for f in findings).items()
    )
    return f"{len(findings)} findings: {by_severity} · {rules} (-v lists them)"


def _known(flag: str, what: str, values: list[str] | None, choices: list[str]) -> list[str] | None:
    for value in values or []:
        if choices and value not in choices:
            raise typer.BadParameter(unknown(flag, what, value, choices).partition(": ")[2])
    return values


def _report(settings: Settings) -> Report:
    store = open_configured_store(settings)
    try:
        return build_report(settings, store.items, utc_now)
    finally:
        store.close()
