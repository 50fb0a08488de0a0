"""The board's view model: filters from the query string, columns with their WIP limits, lanes
of cards (pure: built from a `Snapshot` per request, in one pass over its cards)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from lpmsync.domain.report import WipRow
from lpmsync.web.snapshot import UNALIGNED, Card, Snapshot

CARDS_PER_CELL = 40  # beyond this a cell says "N more" and links to the unabridged board
CARDS_PER_LANE_CELL = 15  # swimlanes are for the overview: fewer cards per cell
LANE_KINDS = ("", "value_stream", "theme")
NO_VALUE_STREAM = "no value stream"


@dataclass(frozen=True, slots=True)
class BoardFilters:
    theme: str = ""
    value_stream: str = ""
    source: str = ""
    level: str = ""
    flagged: bool = False
    lanes: str = ""  # "", "value_stream" or "theme"
    all: bool = False  # every card, no per-cell cap

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> BoardFilters:
        lanes = query.get("lanes", "")
        return cls(
            theme=query.get("theme", ""),
            value_stream=query.get("value_stream", ""),
            source=query.get("source", ""),
            level=query.get("level", ""),
            flagged=query.get("flagged", "") in ("1", "true", "on"),
            lanes=lanes if lanes in LANE_KINDS else "",
            all=query.get("all", "") in ("1", "true"),
        )

    def query(self, **changes: object) -> str:
        """This board's query string with `changes` applied ("" when nothing is set)."""
        wanted = replace(self, **changes)  # type: ignore[arg-type]
        pairs = [
            (name, "1" if value is True else value)
            for name, value in (
                ("theme", wanted.theme),
                ("value_stream", wanted.value_stream),
                ("source", wanted.source),
                ("level", wanted.level),
                ("flagged", wanted.flagged),
                ("lanes", wanted.lanes),
                ("all", wanted.all),
            )
            if value
        ]
        return "?" + urlencode(pairs) if pairs else ""

    @property
    def active(self) -> bool:
        return bool(self.theme or self.value_stream or self.source or self.level or self.flagged)

    def keeps(self, card: Card) -> bool:
        return (
            card.on_board
            and (not self.theme or card.theme == self.theme)
            and (not self.value_stream or card.value_stream == self.value_stream)
            and (not self.source or card.source == self.source)
            and (not self.level or card.level == self.level)
            and (not self.flagged or bool(card.badges))
        )


@dataclass(frozen=True, slots=True)
class LimitView:
    level: str
    count: int
    limit: int | None
    min: int | None

    @property
    def status(self) -> str:
        if self.limit is not None and self.count > self.limit:
            return "breached"
        if self.min is not None and self.count < self.min:
            return "starved"
        return "ok"


@dataclass(frozen=True, slots=True)
class Column:
    state: str
    count: int  # cards shown under the current filters
    flagged: int  # of them, cards with an open finding
    limits: tuple[LimitView, ...]
    max_age_days: int | None
    note: str = ""

    @property
    def status(self) -> str:
        statuses = {limit.status for limit in self.limits}
        return next((s for s in ("breached", "starved") if s in statuses), "ok")


@dataclass(frozen=True, slots=True)
class Cell:
    cards: tuple[Card, ...]
    hidden: int


@dataclass(frozen=True, slots=True)
class Lane:
    name: str
    colour: str | None
    count: int
    cells: tuple[Cell, ...]


@dataclass(frozen=True, slots=True)
class Option:
    value: str
    label: str


@dataclass(frozen=True, slots=True)
class Board:
    filters: BoardFilters
    columns: tuple[Column, ...]
    lanes: tuple[Lane, ...]
    shown: int
    flagged: int
    themes: tuple[Option, ...]
    value_streams: tuple[str, ...]
    sources: tuple[str, ...]
    unmapped: int


def build_board(snapshot: Snapshot, filters: BoardFilters) -> Board:
    states = [state.name for state in snapshot.policy.states]
    column_of = {name: index for index, name in enumerate(states)}
    lanes: dict[str, list[list[Card]]] = {}
    shown = flagged = 0
    for card in snapshot.cards:
        if not filters.keeps(card):
            continue
        lane = _lane_name(card, filters.lanes)
        cells = lanes.get(lane)
        if cells is None:
            cells = lanes[lane] = [[] for _ in states]
        cells[column_of[card.state]].append(card)
        shown += 1
        flagged += bool(card.badges)
    counts = [sum(len(cells[i]) for cells in lanes.values()) for i in range(len(states))]
    flags = [
        sum(bool(card.badges) for cells in lanes.values() for card in cells[i])
        for i in range(len(states))
    ]
    cap = None if filters.all else CARDS_PER_LANE_CELL if filters.lanes else CARDS_PER_CELL
    return Board(
        filters=filters,
        columns=tuple(
            _column(snapshot, filters, name, counts[i], flags[i]) for i, name in enumerate(states)
        ),
        lanes=tuple(_lanes(snapshot, filters, lanes, cap)),
        shown=shown,
        flagged=flagged,
        themes=(
            *(Option(t.key, t.name) for t in snapshot.policy.themes),
            Option(UNALIGNED, "unaligned"),
        ),
        value_streams=_value_streams(snapshot),
        sources=tuple(sorted({card.source for card in snapshot.cards})),
        unmapped=len(snapshot.analysis.unmapped),
    )


def _lane_name(card: Card, kind: str) -> str:
    if kind == "value_stream":
        return card.value_stream or NO_VALUE_STREAM
    if kind == "theme":
        return card.theme_name
    return ""


def _lanes(
    snapshot: Snapshot,
    filters: BoardFilters,
    lanes: Mapping[str, list[list[Card]]],
    cap: int | None,
) -> list[Lane]:
    order = _lane_order(snapshot, filters.lanes)
    names = sorted(lanes, key=lambda name: (order.get(name, len(order)), name))
    colours = {name: snapshot.theme_colours.get(key) for key, name in snapshot.theme_names.items()}
    return [
        Lane(
            name=name,
            colour=colours.get(name) if filters.lanes == "theme" else None,
            count=sum(len(cell) for cell in lanes[name]),
            cells=tuple(_cell(cell, cap) for cell in lanes[name]),
        )
        for name in names
    ]


def _lane_order(snapshot: Snapshot, kind: str) -> dict[str, int]:
    if kind == "theme":
        names = [theme.name for theme in snapshot.policy.themes]
    else:
        names = list(snapshot.policy.value_streams)
    return {name: index for index, name in enumerate(names)}


def _cell(cards: Sequence[Card], cap: int | None) -> Cell:
    """Flagged cards first, then the longest in the state: what needs a decision comes first."""
    ordered = sorted(cards, key=lambda card: (not card.badges, -card.days))
    if cap is None or len(ordered) <= cap:
        return Cell(tuple(ordered), 0)
    return Cell(tuple(ordered[:cap]), len(ordered) - cap)


def _column(
    snapshot: Snapshot, filters: BoardFilters, state: str, count: int, flagged: int
) -> Column:
    rows = _wip_rows(snapshot.analysis.wip, state, filters.value_stream)
    limits = tuple(
        LimitView(row.level.value, row.count, row.limit, row.min)
        for row in rows
        if row.limit is not None or row.min is not None
    )
    policy_state = next(s for s in snapshot.policy.states if s.name == state)
    done = state == snapshot.policy.done_state
    return Column(
        state=state,
        count=count,
        flagged=flagged,
        limits=limits,
        max_age_days=policy_state.max_age_days,
        note="last 30 days" if done else "",
    )


def _wip_rows(rows: Sequence[WipRow], state: str, value_stream: str) -> list[WipRow]:
    """The value stream's own limits when the board is narrowed to one that has them."""
    mine = [row for row in rows if row.state == state]
    if value_stream:
        narrowed = [row for row in mine if row.value_stream == value_stream]
        if narrowed:
            return narrowed
    return [row for row in mine if row.value_stream is None]


def _value_streams(snapshot: Snapshot) -> tuple[str, ...]:
    seen = {card.value_stream for card in snapshot.cards if card.value_stream}
    configured = [vs for vs in snapshot.policy.value_streams if vs in seen]
    return (*configured, *sorted(seen - set(configured)))
