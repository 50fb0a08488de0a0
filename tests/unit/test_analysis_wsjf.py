"""`wsjf-inversion`: lower-WSJF work started while higher-WSJF work waits."""

from __future__ import annotations

from typing import Any

import pytest

from lpmsync.domain.findings import RuleId
from lpmsync.domain.model import Level, WorkItem
from tests.unit.test_analysis_support import feature, item, keys_of, on, policy, run

WSJF = policy(only=[RuleId.WSJF_INVERSION])


def scored(key: str, state: str, score_inputs: tuple[float | None, ...], **kw: Any) -> WorkItem:
    bv, tc, rr, size = score_inputs
    return item(key, state, wsjf=(bv, tc, rr, size), **kw)


@pytest.mark.parametrize(
    ("started", "waiting", "inverted"),
    [
        ((1, 1, 1, 1), (5, 5, 5, 1), True),  # 3 started while 15 waits
        ((5, 5, 5, 1), (1, 1, 1, 1), False),
        ((3, 3, 3, 3), (1, 1, 1, 1), False),  # 3 vs 3: equal is no inversion
        ((1, 1, 1, 1), (1, 1, 1, 1), False),
        ((1, 1, None, 1), (5, 5, 5, 1), False),  # missing input: takes no part
        ((1, 1, 1, 1), (5, 5, None, 1), False),
        ((1, 1, 1, 0), (5, 5, 5, 1), False),  # a zero job size has no score
        ((0, 0, 0, 1), (5, 5, 5, 1), True),  # zero is a value, not missing
    ],
)
def test_inversion(
    started: tuple[float | None, ...], waiting: tuple[float | None, ...], inverted: bool
) -> None:
    items = [scored("PORT-1", "Implementing", started), scored("PORT-2", "Ready", waiting)]
    assert keys_of(run(items, WSJF), RuleId.WSJF_INVERSION) == (["PORT-1"] if inverted else [])


def test_inversion_compares_within_a_level_only() -> None:
    items = [
        scored("PORT-1", "Implementing", (1, 1, 1, 1)),
        feature("F-1", "Ready", wsjf=(9, 9, 9, 1)),
    ]
    assert run(items, WSJF).findings == ()
    items.append(feature("F-2", "Implementing", wsjf=(1, 1, 1, 3)))
    assert keys_of(run(items, WSJF), RuleId.WSJF_INVERSION) == ["F-2"]


def test_inversion_evidence_names_the_higher_waiting_items() -> None:
    items = [
        scored("PORT-1", "Implementing", (2, 2, 2, 2)),  # 3.0
        scored("PORT-2", "Ready", (6, 6, 6, 2)),  # 9.0
        scored("PORT-3", "Ready", (4, 4, 4, 2)),  # 6.0
        scored("PORT-4", "Ready", (1, 1, 1, 3)),  # 1.0: lower, not named
        scored("500", "Ready", (3, 3, 4, 2), source="ado"),  # 5.0: another scale, not compared
    ]
    (finding,) = run(items, WSJF).findings
    assert finding.message == (
        "Epic PORT-1 (Implementing) has WSJF 3 while PORT-2 waits in Ready with 9 (and 1 more)"
    )
    assert finding.evidence["wsjf_score"] == 3.0
    assert finding.evidence["higher_waiting_count"] == 2
    assert finding.evidence["higher_waiting"] == [
        {"item": "jira:PORT-2", "wsjf_score": 9.0},
        {"item": "jira:PORT-3", "wsjf_score": 6.0},
    ]
    assert finding.evidence["job_size"] == 2


def test_scores_from_another_source_are_never_compared() -> None:
    items = [
        scored("PORT-1", "Implementing", (1, 1, 1, 3)),  # 1.0
        scored("500", "Ready", (9, 9, 9, 1), source="ado"),  # 27.0 on Azure DevOps' own scale
    ]
    assert run(items, WSJF).findings == ()


def test_tuned_states_and_levels() -> None:
    items = [
        scored("PORT-1", "Analyzing", (1, 1, 1, 1)),
        scored("PORT-2", "Reviewing", (5, 5, 5, 1)),
        scored("PORT-3", "Implementing", (1, 1, 1, 1)),
        scored("PORT-4", "Ready", (5, 5, 5, 1)),
    ]
    tuned = policy(
        only=[RuleId.WSJF_INVERSION],
        rules={
            RuleId.WSJF_INVERSION: on(start_state="Analyzing", waiting_state="Reviewing"),
        },
    )
    assert keys_of(run(items, tuned), RuleId.WSJF_INVERSION) == ["PORT-1"]
    features_only = policy(
        only=[RuleId.WSJF_INVERSION],
        rules={RuleId.WSJF_INVERSION: on(levels=(Level.FEATURE,))},
    )
    assert run(items, features_only).findings == ()
