"""The board at portfolio scale: one request's server-side render (filters, view model, template)
from the per-sync snapshot, against a naive full-table render that scans items and findings per
card and renders every card."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from benchmarks.core_cases import NOW, demo_policy, sample_items
from benchmarks.harness import Case, Sample, timed
from lpmsync.analysis import analyse
from lpmsync.web.app import templates
from lpmsync.web.snapshot import build_snapshot
from lpmsync.web.views import BoardFilters, build_board

TARGET_SECONDS = 0.300

# What one would write first: one big table, every item in every state, lookups by scanning.
_NAIVE = """<table>{% for state in states %}<tr><th>{{ state }}</th></tr>
{% for item in items %}{% if item.state == state %}<tr><td>{{ item.key }}</td>
<td>{{ item.title }}</td><td>{{ item.source }}</td><td>{{ theme(item) }}</td>
<td>{{ item.owner }}</td><td>{{ (now - (item.entered_state_at or item.updated)).days }}</td>
<td>{% for f in findings if f.subject and f.subject.key == item.key
  and f.subject.source == item.source %}{{ f.rule }} {% endfor %}</td></tr>
{% endif %}{% endfor %}{% endfor %}</table>"""


def board_cases(n: int, runs: int) -> list[Case]:
    policy = demo_policy()
    items, history = sample_items(n)
    started = time.perf_counter()
    analysis = analyse(items, policy, NOW, history)
    snapshot = build_snapshot(items, history, analysis, policy, now=NOW, version="bench")
    per_sync = time.perf_counter() - started
    env = templates()
    page = env.get_template("board.html")

    def render(query: dict[str, str]) -> None:
        board = build_board(snapshot, BoardFilters.from_query(query))
        html = page.render(
            title="bench", nav="board", signed_in=False, board=board, snapshot=snapshot
        )
        assert "<article" in html

    cases = [
        _case(f"board render N={n} (default view)", lambda: render({}), runs, target=True),
        _case(
            f"board render N={n}, theme lanes + filter",
            lambda: render({"lanes": "theme", "source": "jira-cloud"}),
            runs,
            target=True,
        ),
        _case(f"board render N={n}, every card (all=1)", lambda: render({"all": "1"}), runs),
        _naive(n, items, analysis.findings, snapshot, env, runs=runs),
    ]
    cases.append(
        Case("Board", f"snapshot (analysis + cards) N={n}, once per sync", [Sample(per_sync)])
    )
    return cases


def _case(name: str, work: Any, runs: int, *, target: bool = False) -> Case:
    work()  # warm: template compiled, caches filled
    case = Case("Board", name, [timed(work) for _ in range(runs)])
    if target:
        case.target = "< 300 ms"
        case.verdict = "met" if case.median < TARGET_SECONDS else f"MISSED: {case.median:.3f} s"
    return case


def _naive(
    n: int, items: Sequence[Any], findings: Sequence[Any], snapshot: Any, env: Any, *, runs: int
) -> Case:
    assignments = snapshot.analysis.assignments
    template = env.from_string(_NAIVE)
    states = [state.name for state in snapshot.policy.states]

    def theme(item: Any) -> str:
        assigned = assignments.get(item.ref)
        return assigned.primary if assigned and assigned.primary else "unaligned"

    def render() -> None:
        template.render(states=states, items=items, findings=findings, theme=theme, now=NOW)

    runs = min(runs, 1)  # quadratic: one run says enough
    case = Case(
        "Board", f"naive full-table render N={n} (baseline)", [timed(render) for _ in range(runs)]
    )
    case.verdict = "baseline"
    return case
