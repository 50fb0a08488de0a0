"""WIQL text for the id listings (pure).

WIQL returns at most 20,000 ids and has no continuation token, so listings are read in id windows:
`[System.Id] > <last id of the previous window>`, ordered by id, with `$top` = the window size.
"""

from __future__ import annotations

from datetime import UTC, datetime

from lpmsync.settings import AzureDevOpsSource

WINDOW = 20_000  # the service's result cap (VS402337 past it)


def literal(text: str) -> str:
    """A WIQL string literal (single quotes doubled)."""
    return "'" + text.replace("'", "''") + "'"


def wiql_time(moment: datetime) -> str:
    """A UTC timestamp literal; the query runs with timePrecision=true so the time counts."""
    return literal(moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))


def id_query(
    config: AzureDevOpsSource,
    *,
    after_id: int | None = None,
    changed_since: datetime | None = None,
) -> str:
    """The ids of the source's work items, ordered by id, optionally only those above `after_id`
    and those changed at or after `changed_since`."""
    types = ", ".join(literal(name) for name in config.work_item_types)
    conditions = [
        "[System.TeamProject] = @project",
        f"[System.WorkItemType] IN ({types})",
    ]
    if config.wiql_filter:
        conditions.append(f"({config.wiql_filter})")
    if changed_since is not None:
        conditions.append(f"[System.ChangedDate] >= {wiql_time(changed_since)}")
    if after_id is not None:
        conditions.append(f"[System.Id] > {int(after_id)}")
    where = " AND ".join(conditions)
    return f"SELECT [System.Id] FROM WorkItems WHERE {where} ORDER BY [System.Id]"  # noqa: S608 (WIQL; literals escaped)
