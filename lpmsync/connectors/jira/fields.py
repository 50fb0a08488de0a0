"""Configured field names -> Jira field ids, through the site's field list (`GET /field`).

Operators write what they see in Jira ("Strategic Theme", "Story Points"); requests and issue
JSON use ids (`customfield_10042`). A name that matches no field, or several, stops the source
with a message that lists what to write instead: two custom fields called "Story Points" are a
classic Jira trap, and guessing would map the wrong numbers silently.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

from lpmsync.connectors.jira.mapping import FieldIds
from lpmsync.errors import FatalConnectorError
from lpmsync.settings.sources import JiraSource

log = logging.getLogger("lpmsync.connectors.jira")

_CUSTOM_ID = re.compile(r"^customfield_\d+$")
_SYSTEM_IDS = frozenset(
    {"assignee", "reporter", "creator", "labels", "components", "summary", "parent", "duedate"}
)


def _configured(config: JiraSource) -> dict[str, str]:
    """Every field the config names, by the config key that names it."""
    fields = config.fields
    named = {
        "fields.theme": fields.theme,
        "fields.estimate": fields.estimate,
        "fields.wsjf.business_value": fields.wsjf.business_value,
        "fields.wsjf.time_criticality": fields.wsjf.time_criticality,
        "fields.wsjf.risk_reduction": fields.wsjf.risk_reduction,
        "fields.wsjf.job_size": fields.wsjf.job_size,
        "fields.owner": fields.owner,
        "fields.parent_link": fields.parent_link,
        "fields.due_date": fields.due_date,
    }
    if fields.value_stream.source == "field":
        named["fields.value_stream.field"] = fields.value_stream.field
    if config.deployment == "datacenter":
        named["fields.epic_link"] = fields.epic_link
    return {key: value for key, value in named.items() if value}


def _is_id(name: str) -> bool:
    return bool(_CUSTOM_ID.match(name)) or name in _SYSTEM_IDS


def needs_field_list(config: JiraSource) -> bool:
    """Whether any configured field is given by name (ids need no lookup)."""
    return not all(_is_id(name) for name in _configured(config).values())


def resolve(config: JiraSource, catalogue: Sequence[Any]) -> FieldIds:
    """The field ids for `config`, looked up in `catalogue` (the `/field` answer)."""
    if config.fields.value_stream.source == "field" and not config.fields.value_stream.field:
        raise FatalConnectorError(
            "fields.value_stream.source is 'field' but fields.value_stream.field is not set",
            source=config.name,
        )
    ids = {key: _lookup(config, key, name, catalogue) for key, name in _configured(config).items()}
    epic_link, parent_link = ids.get("fields.epic_link"), ids.get("fields.parent_link")
    # Cloud: `parent` is the epic of a feature (and, with Plans, the parent of an epic);
    # Data Center: the Epic Link first; there `parent` only points at a sub-task's issue.
    parents = (
        ["parent", parent_link]
        if config.deployment == "cloud"
        else [epic_link, parent_link, "parent"]
    )
    return FieldIds(
        theme=ids.get("fields.theme"),
        estimate=ids.get("fields.estimate"),
        business_value=ids.get("fields.wsjf.business_value"),
        time_criticality=ids.get("fields.wsjf.time_criticality"),
        risk_reduction=ids.get("fields.wsjf.risk_reduction"),
        job_size=ids.get("fields.wsjf.job_size"),
        value_stream=ids.get("fields.value_stream.field"),
        owner=ids.get("fields.owner") or "assignee",
        parents=tuple(one for one in parents if one),
        due_date=ids.get("fields.due_date"),
    )


def _lookup(config: JiraSource, key: str, name: str, catalogue: Sequence[Any]) -> str | None:
    if _is_id(name):
        return name
    entries = [entry for entry in catalogue if isinstance(entry, Mapping)]
    by_id = [entry for entry in entries if entry.get("id") == name]
    matches = by_id or [
        entry
        for entry in entries
        if isinstance(entry.get("name"), str) and entry["name"].casefold() == name.casefold()
    ]
    ids = sorted({str(entry.get("id")) for entry in matches})
    if len(ids) == 1:
        return ids[0]
    if not ids and key == "fields.epic_link":  # Jira without Software: features have no epic
        log.warning("source %s: no field named %r; features get no parent", config.name, name)
        return None
    problem = f"several fields are called {name!r} ({', '.join(ids)})" if ids else None
    raise FatalConnectorError(
        f"{key}: {problem or f'no field called {name!r} on {config.url}'}; "
        "write the field id (customfield_NNNNN) instead",
        source=config.name,
    )
