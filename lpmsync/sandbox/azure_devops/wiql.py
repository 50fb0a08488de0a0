"""Runs a parsed WIQL query over the sandbox's items, with the real service's limits and errors.

Dates compare at day precision unless the request sets `timePrecision=true`; a literal carrying a
time is then refused, as the real service refuses it. A result of more than 20,000 work items is
the real error VS402337 unless `$top` bounds it.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from lpmsync.sandbox.azure_devops.common import AdoError, parse_date
from lpmsync.sandbox.azure_devops.fields import (
    FieldDef,
    FieldKind,
    ItemView,
    find_field,
    identity_ref,
)
from lpmsync.sandbox.azure_devops.wiql_parse import (
    Comparison,
    Condition,
    Query,
    Value,
    WiqlError,
    parse,
)
from lpmsync.sandbox.dataset import SampleItem

RESULT_LIMIT = 20_000
_LEDGER_FIELDS = {"System.Rev", "Microsoft.VSTS.Common.StateChangeDate"}
_ORDERING = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}

Predicate = Callable[[ItemView], bool]
ViewFactory = Callable[[SampleItem, bool], ItemView]


@dataclass(frozen=True)
class WiqlScope:
    project: str | None  # the project of the route, for @project
    today: date
    time_precision: bool
    path_exists: Callable[[str, str], bool]  # (field reference, path) -> exists


@dataclass(frozen=True)
class WiqlResult:
    columns: list[FieldDef]
    sort: list[tuple[FieldDef, bool]]
    ids: list[int]


def run_wiql(
    text: str,
    items: Iterable[SampleItem],
    make_view: ViewFactory,
    scope: WiqlScope,
    top: int | None,
) -> WiqlResult:
    query = parse(text)
    columns = [_field(name) for name in query.columns]
    sort = [(_field(key.field), key.descending) for key in query.order]
    predicate = compile_condition(query.where, scope) if query.where else None
    full = _needs_ledger(query, sort)
    views = [make_view(item, full) for item in items]
    matching = [view for view in views if predicate is None or predicate(view)]
    for definition, descending in reversed(sort or [(_field("System.Id"), False)]):
        matching.sort(key=_sort_key(definition, scope), reverse=descending)
    if len(matching) > RESULT_LIMIT and (top is None or top > RESULT_LIMIT):
        raise AdoError(
            400,
            f"VS402337: The number of work items returned exceeds the size limit of "
            f"{RESULT_LIMIT}. Change the query to return fewer work items.",
            "WorkItemTrackingQueryResultSizeLimitExceededException",
            "Microsoft.TeamFoundation.WorkItemTracking.Server."
            "WorkItemTrackingQueryResultSizeLimitExceededException, "
            "Microsoft.TeamFoundation.WorkItemTracking.Server",
        )
    if top is not None:
        matching = matching[: max(top, 0)]
    return WiqlResult(columns, sort, [view.item.id for view in matching])


def _needs_ledger(query: Query, sort: list[tuple[FieldDef, bool]]) -> bool:
    names = {definition.reference for definition, _ in sort}
    names |= {definition.reference for definition in _fields_in(query.where)}
    return bool(names & _LEDGER_FIELDS)


def _fields_in(condition: Condition | None) -> list[FieldDef]:
    if condition is None:
        return []
    if isinstance(condition, Comparison):
        return [_field(condition.field)]
    return [found for operand in condition.operands for found in _fields_in(operand)]


def _field(name: str) -> FieldDef:
    definition = find_field(name)
    if definition is None:
        raise WiqlError(
            "TF51005: The query references a field that does not exist. "
            f"The error is caused by «[{name}]»."
        )
    return definition


def compile_condition(condition: Condition, scope: WiqlScope) -> Predicate:
    if isinstance(condition, Comparison):
        return _compile_comparison(condition, scope)
    parts = [compile_condition(operand, scope) for operand in condition.operands]
    if condition.operator == "not":
        return lambda view: not parts[0](view)
    if condition.operator == "and":
        return lambda view: all(part(view) for part in parts)
    return lambda view: any(part(view) for part in parts)


def _compile_comparison(comparison: Comparison, scope: WiqlScope) -> Predicate:
    definition = _field(comparison.field)
    literals = [_literal(definition, value, comparison, scope) for value in comparison.values]
    test = _test(definition, comparison, literals, scope)
    getter = definition.value

    def predicate(view: ItemView) -> bool:
        return test(_normal(definition, getter(view), scope)) != comparison.negated

    return predicate


def _test(
    definition: FieldDef, comparison: Comparison, literals: list[Any], scope: WiqlScope
) -> Callable[[Any], bool]:
    kind, op = definition.kind, comparison.operator
    if op in ("=", "<>", "in"):
        wanted = op != "<>"
        if kind is not FieldKind.IDENTITY:  # plain equality: a set lookup, as _equals would
            members, empty = frozenset(literals), any(lit == "" for lit in literals)
            return lambda value: (empty if value is None else value in members) == wanted
        return lambda value: any(_equals(kind, value, lit) for lit in literals) == wanted
    if op in _ORDERING:
        compare = _ORDERING[op]
        return lambda value: value is not None and bool(compare(value, literals[0]))
    if op == "under" and kind is FieldKind.TREE_PATH:
        path = literals[0]
        if not scope.path_exists(definition.reference, path):
            noun = "area" if definition.reference == "System.AreaPath" else "iteration"
            raise WiqlError(
                f"TF51011: The specified {noun} path does not exist. "
                f"The error is caused by «'{comparison.values[0].text}'»."
            )
        return lambda value: value is not None and (value == path or value.startswith(path + "\\"))
    if op == "contains" and kind in (FieldKind.TAGS, FieldKind.STRING):
        needle = literals[0]
        if kind is FieldKind.TAGS:
            return lambda value: value is not None and needle in _split_tags(value)
        return lambda value: value is not None and needle in value
    raise WiqlError(f"The operator {op.upper()} cannot be used with [{definition.reference}].")


def _equals(kind: FieldKind, value: Any, literal: Any) -> bool:
    if value is None:
        return bool(literal == "")
    if kind is FieldKind.IDENTITY:
        return bool(literal in value)
    return bool(value == literal)


def _split_tags(value: str) -> list[str]:
    return [tag.strip() for tag in value.split(";")]


def _normal(definition: FieldDef, value: object, scope: WiqlScope) -> Any:
    """A field value in the form its literals are compared with."""
    if value is None:
        return None
    kind = definition.kind
    if kind is FieldKind.DATE_TIME and isinstance(value, datetime):
        moment = value.astimezone(UTC)
        return moment if scope.time_precision else moment.date()
    if kind is FieldKind.IDENTITY and isinstance(value, str):
        ref = identity_ref(value)
        display, unique = ref["displayName"], ref["uniqueName"]
        return {display.lower(), unique.lower(), f"{display} <{unique}>".lower()}
    if isinstance(value, str):
        return value.lower()
    return value


def _literal(definition: FieldDef, value: Value, comparison: Comparison, scope: WiqlScope) -> Any:
    text = value.text
    if value.kind == "macro":
        return _macro(definition, value, scope)
    kind = definition.kind
    try:
        if kind is FieldKind.INTEGER:
            return int(float(text))
        if kind is FieldKind.DOUBLE:
            return float(text)
    except ValueError as exc:
        raise WiqlError(f"«{text}» is not a number for [{definition.reference}].") from exc
    if kind is FieldKind.DATE_TIME:
        return _date_literal(definition, text, comparison, scope)
    return text.lower()


def _date_literal(
    definition: FieldDef, text: str, comparison: Comparison, scope: WiqlScope
) -> datetime | date:
    has_time = "T" in text.upper() or ":" in text
    if has_time and not scope.time_precision:
        raise WiqlError(
            "You cannot supply a time with the date when running a query using date precision. "
            f"The error is caused by «[{comparison.field}] {comparison.operator} '{text}'»."
        )
    try:
        moment = parse_date(text)
    except ValueError as exc:
        raise WiqlError(f"«{text}» is not a valid date for [{definition.reference}].") from exc
    return moment if scope.time_precision else moment.date()


def _macro(definition: FieldDef, value: Value, scope: WiqlScope) -> Any:
    if value.text == "@project":
        if scope.project is None:
            raise WiqlError("The @project macro needs a project: query a project's wiql route.")
        return scope.project.lower()
    if value.text == "@today" and definition.kind is FieldKind.DATE_TIME:
        day = scope.today + timedelta(days=value.offset_days)
        return datetime(day.year, day.month, day.day, tzinfo=UTC) if scope.time_precision else day
    raise WiqlError(f"The macro {value.text} is not supported here.")


def _sort_key(definition: FieldDef, scope: WiqlScope) -> Callable[[ItemView], Any]:
    def key(view: ItemView) -> Any:
        value = _normal(definition, definition.value(view), scope)
        if isinstance(value, set):
            value = min(value)
        return (value is not None, value if value is not None else 0)

    return key
