"""The Azure DevOps sandbox answers current work items from encoded fragments it keeps; the bytes
must be exactly those of the answer rendered whole, before and after the data changes.

The reference is the same batch asked `asOf` a moment after every change: that path renders each
item's view and encodes the whole answer at once, and the revision current then is the latest."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from lpmsync.sandbox.generator import generate
from tests.integration.test_sandbox_ado_helpers import running

BATCH = "/Contoso/_apis/wit/workitemsbatch"
FIELDS = [
    "System.Id",
    "System.Title",
    "System.State",
    "System.Parent",
    "System.AssignedTo",
    "Microsoft.VSTS.Common.StateChangeDate",
    "System.Tags",
    "System.WorkItemType",
]
LATER = "2100-01-01T00:00:00Z"
VARIANTS: list[dict[str, Any]] = [
    {"fields": FIELDS},
    {"fields": FIELDS[::-1]},
    {},
    {"$expand": "All"},
    {"$expand": "Relations"},
]


def _answers(sandbox: Any, ids: list[int], variant: dict[str, Any]) -> tuple[bytes, bytes]:
    body = {"ids": ids, "errorPolicy": "omit", **variant}
    served = sandbox.call("POST", BATCH, json=body)
    reference = sandbox.call("POST", BATCH, json={**body, "asOf": LATER})
    assert served.status_code == reference.status_code == 200
    assert served.headers["Content-Type"] == reference.headers["Content-Type"]
    return served.content, reference.content


def _every_batch(sandbox: Any, ids: list[int]) -> list[bytes]:
    served_all = []
    for variant in VARIANTS:
        for start in range(0, len(ids), 100):
            chunk = [*ids[start : start + 99], 999_999]  # and one missing id: null
            first, reference = _answers(sandbox, chunk, variant)
            again, _ = _answers(sandbox, chunk, variant)
            assert first == again == reference
            served_all.append(first)
    return served_all


def test_cached_items_are_the_bytes_of_the_whole_answer_and_follow_every_change() -> None:
    data = generate(seed=7, size=300).ado
    ids = [sample.id for sample in data]
    with running(data) as sandbox:
        before = _every_batch(sandbox, ids)
        moved = ids[::7]
        for item_id in moved:
            data.change(str(item_id), datetime(2030, 1, 1, tzinfo=UTC), status="Closed")
        parents = {sample.parent_key for sample in data if sample.parent_key}
        for parent in sorted(parents)[:5]:
            data.delete(parent)
        after = _every_batch(sandbox, ids)

    assert all(answer.endswith(b",null]}") for answer in before + after)
    assert before != after  # the reference renders afresh: equal to it, nothing stale was served
