"""A parser for the flat-query subset of WIQL that the sandbox answers.

    SELECT [f], ... FROM WorkItems [WHERE condition] [ORDER BY [f] [ASC|DESC], ...]

Conditions combine with AND, OR, NOT and parentheses; comparisons are `= <> > >= < <=`,
`[NOT] IN (...)`, `[NOT] UNDER`, `[NOT] CONTAINS`; values are strings, numbers and the macros
`@project` and `@today` (with `+ N` / `- N` days). Anything else is a `WiqlError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lpmsync.sandbox.azure_devops.common import AdoError

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<field>\[[^\]]+\])
      | (?P<string>'(?:[^']|'')*'|"(?:[^"]|"")*")
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<macro>@[A-Za-z]+)
      | (?P<op><>|!=|>=|<=|=|>|<|\(|\)|,|\+|-)
      | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
    )""",
    re.VERBOSE,
)
_KEYWORDS = {"AND", "OR", "NOT", "IN", "UNDER", "CONTAINS", "ASC", "DESC", "EVER"}


class WiqlError(AdoError):
    def __init__(self, message: str) -> None:
        super().__init__(400, message, "ArgumentException")


@dataclass(frozen=True)
class Token:
    kind: str  # field | string | number | macro | op | word
    text: str


@dataclass(frozen=True)
class Value:
    kind: str  # string | number | macro
    text: str
    offset_days: int = 0


@dataclass(frozen=True)
class Comparison:
    field: str
    operator: str  # = <> > >= < <= in under contains (negated by `negated`)
    values: tuple[Value, ...]
    negated: bool = False


@dataclass(frozen=True)
class Logical:
    operator: str  # and | or | not
    operands: tuple[Condition, ...]


Condition = Comparison | Logical


@dataclass(frozen=True)
class SortKey:
    field: str
    descending: bool


@dataclass(frozen=True)
class Query:
    columns: tuple[str, ...]
    where: Condition | None
    order: tuple[SortKey, ...]


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise WiqlError(f"Unsupported WIQL near «{text[position : position + 30].strip()}».")
        kind = match.lastgroup or ""
        tokens.append(Token(kind, match.group(kind)))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self._tokens = tokens
        self._index = 0

    def peek(self) -> Token | None:
        return self._tokens[self._index] if self._index < len(self._tokens) else None

    def next(self) -> Token:
        token = self.peek()
        if token is None:
            raise WiqlError("The WIQL query ends unexpectedly.")
        self._index += 1
        return token

    def at_word(self, *words: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == "word" and token.text.upper() in words

    def at_op(self, *ops: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == "op" and token.text in ops

    def expect_word(self, word: str) -> None:
        if not self.at_word(word):
            found = self.peek()
            raise WiqlError(f"Expecting {word} but found «{found.text if found else 'end'}».")
        self._index += 1

    def expect_op(self, op: str) -> None:
        if not self.at_op(op):
            found = self.peek()
            raise WiqlError(f"Expecting «{op}» but found «{found.text if found else 'end'}».")
        self._index += 1

    def done(self) -> bool:
        return self.peek() is None

    def field(self) -> str:
        token = self.next()
        if token.kind == "field":
            return token.text[1:-1].strip()
        if token.kind == "word" and token.text.upper() not in _KEYWORDS:
            return token.text
        raise WiqlError(f"Expecting a field name but found «{token.text}».")


def parse(text: str) -> Query:
    """Parse one WIQL statement; raises `WiqlError` on anything outside the subset."""
    parser = _Parser(tokenize(text))
    parser.expect_word("SELECT")
    columns = [parser.field()]
    while parser.at_op(","):
        parser.next()
        columns.append(parser.field())
    parser.expect_word("FROM")
    source = parser.next()
    if source.text.upper() != "WORKITEMS":
        raise WiqlError(f"Only flat queries FROM WorkItems are supported, not «{source.text}».")
    where = None
    if parser.at_word("WHERE"):
        parser.next()
        where = _or(parser)
    order: list[SortKey] = []
    if parser.at_word("ORDER"):
        parser.next()
        parser.expect_word("BY")
        order.append(_sort_key(parser))
        while parser.at_op(","):
            parser.next()
            order.append(_sort_key(parser))
    if not parser.done():
        raise WiqlError(f"Unsupported WIQL near «{parser.next().text}».")
    return Query(tuple(columns), where, tuple(order))


def _sort_key(parser: _Parser) -> SortKey:
    field = parser.field()
    if parser.at_word("ASC", "DESC"):
        return SortKey(field, parser.next().text.upper() == "DESC")
    return SortKey(field, False)


def _or(parser: _Parser) -> Condition:
    operands = [_and(parser)]
    while parser.at_word("OR"):
        parser.next()
        operands.append(_and(parser))
    return operands[0] if len(operands) == 1 else Logical("or", tuple(operands))


def _and(parser: _Parser) -> Condition:
    operands = [_not(parser)]
    while parser.at_word("AND"):
        parser.next()
        operands.append(_not(parser))
    return operands[0] if len(operands) == 1 else Logical("and", tuple(operands))


def _not(parser: _Parser) -> Condition:
    if parser.at_word("NOT"):
        parser.next()
        return Logical("not", (_not(parser),))
    if parser.at_op("("):
        parser.next()
        inner = _or(parser)
        parser.expect_op(")")
        return inner
    return _comparison(parser)


def _comparison(parser: _Parser) -> Comparison:
    field = parser.field()
    negated = False
    if parser.at_word("NOT"):
        parser.next()
        negated = True
    if parser.at_word("IN"):
        parser.next()
        parser.expect_op("(")
        values = [_value(parser)]
        while parser.at_op(","):
            parser.next()
            values.append(_value(parser))
        parser.expect_op(")")
        return Comparison(field, "in", tuple(values), negated)
    if parser.at_word("UNDER", "CONTAINS"):
        return Comparison(field, parser.next().text.lower(), (_value(parser),), negated)
    if negated or not parser.at_op("=", "<>", "!=", ">", ">=", "<", "<="):
        found = parser.peek()
        raise WiqlError(f"Unsupported operator «{found.text if found else 'end'}» after [{field}].")
    operator = parser.next().text
    return Comparison(field, "<>" if operator == "!=" else operator, (_value(parser),))


def _value(parser: _Parser) -> Value:
    token = parser.next()
    if token.kind == "string":
        quote = token.text[0]
        return Value("string", token.text[1:-1].replace(quote * 2, quote))
    if token.kind == "number":
        return Value("number", token.text)
    if token.kind == "macro":
        offset = 0
        following = parser.peek()
        if following is not None and following.kind == "number" and following.text[0] == "-":
            offset = int(float(parser.next().text))  # "@today-30" lexes as a negative number
        elif parser.at_op("+", "-"):
            sign = -1 if parser.next().text == "-" else 1
            amount = parser.next()
            if amount.kind != "number":
                raise WiqlError(f"Expecting a number of days after {token.text}.")
            offset = sign * int(float(amount.text))
        return Value("macro", token.text.lower(), offset)
    raise WiqlError(f"Expecting a value but found «{token.text}».")
