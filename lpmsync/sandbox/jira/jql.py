"""The subset of JQL the sandbox understands: enough for what lpmsync and the `jira` client send.

Clauses: `project`, `issuetype` (`type`), `status`, `key` (`issuekey`, `id`), `parent`, `labels`
with `=`, `!=`, `in`, `not in`; `updated` and `created` with `=`, `!=`, `>`, `>=`, `<`, `<=`
against "yyyy-MM-dd HH:mm", "yyyy/MM/dd HH:mm" or a bare date (minute precision, UTC here);
combined with AND, OR, NOT and parentheses; then `ORDER BY` key, id, updated or created, each ASC
or DESC. Anything else raises `JqlError`, which the personalities answer with 400, like Jira.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lpmsync.sandbox.dataset import SampleItem

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<op>>=|<=|!=|=|>|<|~|!~)
      | (?P<punct>[(),])
      | (?P<word>[^\s(),=!<>~"']+)
    )""",
    re.VERBOSE,
)
_DATE_FORMATS = ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d")
_FIELD_ALIASES = {"type": "issuetype", "issuekey": "key", "updateddate": "updated"}
_FIELD_ALIASES |= {"createddate": "created"}
_TEXT_FIELDS = frozenset({"project", "issuetype", "status", "key", "id", "parent", "labels"})
_DATE_FIELDS = frozenset({"updated", "created"})
_SORT_FIELDS = frozenset({"key", "id", "updated", "created"})


class JqlError(ValueError):
    """The query is not valid JQL, or not in the sandbox's subset."""


@dataclass(frozen=True)
class Token:
    kind: str  # string | op | punct | word
    text: str

    @property
    def keyword(self) -> str:
        return self.text.upper() if self.kind == "word" else ""


@dataclass(frozen=True)
class Query:
    """A parsed query: `where` is None when the query has no restriction (it is unbounded)."""

    where: Callable[[SampleItem, str], bool] | None
    order_by: tuple[tuple[str, bool], ...]  # (field, descending)

    @property
    def bounded(self) -> bool:
        return self.where is not None

    def run(self, items: Sequence[SampleItem], project: str) -> list[SampleItem]:
        """The matching items of one project, in the query's order (ties by id)."""
        where = self.where
        found = [item for item in items if where(item, project)] if where else list(items)
        for field, descending in reversed(self.order_by):
            found.sort(key=_SORT_KEYS[field], reverse=descending)
        return found


def parse(jql: str) -> Query:
    """Parse `jql`; raises JqlError for syntax errors and for anything outside the subset."""
    parser = _Parser(tokenize(jql))
    where = None if parser.at_end() or parser.at_keyword("ORDER") else parser.expression()
    order_by = parser.order_by() if parser.at_keyword("ORDER") else ()
    if not parser.at_end():
        raise JqlError(f"Error in the JQL Query: unexpected '{parser.peek().text}'.")
    return Query(where, order_by)


def tokenize(jql: str) -> list[Token]:
    tokens, position = [], 0
    text = jql.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise JqlError(f"Error in the JQL Query: cannot read '{text[position:]}'.")
        kind = match.lastgroup or "word"
        value = match.group(kind)
        if kind == "string":
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        tokens.append(Token(kind, value))
        position = match.end()
    return tokens


def _key_sort(item: SampleItem) -> tuple[str, int]:
    project, _, number = item.key.rpartition("-")
    return (project, int(number)) if number.isdigit() else (item.key, item.id)


_SORT_KEYS: dict[str, Callable[[SampleItem], Any]] = {
    "key": _key_sort,
    "id": lambda item: item.id,
    "updated": lambda item: item.updated,
    "created": lambda item: item.created,
}


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens, self.position = tokens, 0

    def peek(self) -> Token:
        if self.at_end():
            raise JqlError("Error in the JQL Query: the query ends too early.")
        return self.tokens[self.position]

    def take(self) -> Token:
        token = self.peek()
        self.position += 1
        return token

    def at_end(self) -> bool:
        return self.position >= len(self.tokens)

    def at_keyword(self, *keywords: str) -> bool:
        return not self.at_end() and self.tokens[self.position].keyword in keywords

    def expect_punct(self, text: str) -> None:
        token = self.take()
        if token.kind != "punct" or token.text != text:
            raise JqlError(f"Error in the JQL Query: expecting '{text}' but got '{token.text}'.")

    def expression(self) -> Callable[[SampleItem, str], bool]:
        terms = [self.term()]
        while self.at_keyword("OR"):
            self.take()
            terms.append(self.term())
        if len(terms) == 1:
            return terms[0]
        return lambda item, project: any(term(item, project) for term in terms)

    def term(self) -> Callable[[SampleItem, str], bool]:
        factors = [self.factor()]
        while self.at_keyword("AND"):
            self.take()
            factors.append(self.factor())
        if len(factors) == 1:
            return factors[0]
        return lambda item, project: all(factor(item, project) for factor in factors)

    def factor(self) -> Callable[[SampleItem, str], bool]:
        if self.at_keyword("NOT"):
            self.take()
            inner = self.factor()
            return lambda item, project: not inner(item, project)
        token = self.peek()
        if token.kind == "punct" and token.text == "(":
            self.take()
            inner = self.expression()
            self.expect_punct(")")
            return inner
        return self.clause()

    def clause(self) -> Callable[[SampleItem, str], bool]:
        token = self.take()
        if token.kind not in ("word", "string"):
            raise JqlError(
                f"Error in the JQL Query: expecting a field name but got '{token.text}'."
            )
        field = _FIELD_ALIASES.get(token.text.lower(), token.text.lower())
        if field not in _TEXT_FIELDS | _DATE_FIELDS:
            raise JqlError(
                f"Field '{token.text}' does not exist or you do not have permission to view it "
                "(the sandbox knows project, issuetype, status, key, parent, labels, updated, "
                "created)."
            )
        operator = self.operator()
        if field in _DATE_FIELDS:
            return _date_clause(field, operator, self.date_value())
        values = self.values() if operator in ("IN", "NOT IN") else [self.value()]
        return _text_clause(field, operator, values)

    def operator(self) -> str:
        token = self.take()
        if token.kind == "op" and token.text in ("=", "!=", ">", ">=", "<", "<="):
            return token.text
        if token.keyword == "IN":
            return "IN"
        if token.keyword == "NOT" and self.at_keyword("IN"):
            self.take()
            return "NOT IN"
        raise JqlError(f"Error in the JQL Query: unsupported operator '{token.text}'.")

    def value(self) -> str:
        token = self.take()
        if token.kind not in ("word", "string"):
            raise JqlError(f"Error in the JQL Query: expecting a value but got '{token.text}'.")
        if token.kind == "word" and self.at_end() is False and self.peek().text == "(":
            raise JqlError(f"Error in the JQL Query: function '{token.text}' is not supported.")
        return token.text

    def values(self) -> list[str]:
        self.expect_punct("(")
        values = [self.value()]
        while self.peek().text == ",":
            self.take()
            values.append(self.value())
        self.expect_punct(")")
        return values

    def date_value(self) -> datetime:
        text = self.value()
        for pattern in _DATE_FORMATS:
            try:
                return datetime.strptime(text, pattern).replace(tzinfo=UTC)
            except ValueError:
                continue
        raise JqlError(
            f"Date value '{text}' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', "
            "'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd' (relative dates are not supported "
            "by the sandbox)."
        )

    def order_by(self) -> tuple[tuple[str, bool], ...]:
        self.take()
        if not self.at_keyword("BY"):
            raise JqlError("Error in the JQL Query: expecting 'BY' after 'ORDER'.")
        self.take()
        order = [self.sort_key()]
        while not self.at_end() and self.peek().text == ",":
            self.take()
            order.append(self.sort_key())
        return tuple(order)

    def sort_key(self) -> tuple[str, bool]:
        name = self.take().text
        field = _FIELD_ALIASES.get(name.lower(), name.lower())
        if field not in _SORT_FIELDS:
            raise JqlError(f"The sandbox cannot order by '{name}' (key, id, updated, created).")
        descending = False
        if self.at_keyword("ASC", "DESC"):
            descending = self.take().keyword == "DESC"
        return field, descending


def _text_clause(field: str, operator: str, values: list[str]) -> Callable[[SampleItem, str], bool]:
    if operator not in ("=", "!=", "IN", "NOT IN"):
        raise JqlError(f"The operator '{operator}' is not supported by the '{field}' field.")
    wanted = {value.lower() for value in values}
    read = _TEXT_READERS[field]
    negate = operator in ("!=", "NOT IN")
    return lambda item, project: bool(wanted & read(item, project)) != negate


_TEXT_READERS: dict[str, Callable[[SampleItem, str], set[str]]] = {
    "project": lambda item, project: {project.lower()},
    "issuetype": lambda item, project: {item.kind.lower()},
    "status": lambda item, project: {item.status.lower()},
    "key": lambda item, project: {item.key.lower(), str(item.id)},
    "id": lambda item, project: {item.key.lower(), str(item.id)},
    "parent": lambda item, project: {item.parent_key.lower()} if item.parent_key else set(),
    "labels": lambda item, project: {label.lower() for label in item.labels},
}

_COMPARE: dict[str, Callable[[datetime, datetime], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
}


def _date_clause(field: str, operator: str, when: datetime) -> Callable[[SampleItem, str], bool]:
    if operator not in _COMPARE:
        raise JqlError(f"The operator '{operator}' is not supported by the '{field}' field.")
    compare = _COMPARE[operator]
    if field == "updated":
        return lambda item, project: compare(item.updated, when)
    return lambda item, project: compare(item.created, when)
