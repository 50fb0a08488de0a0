"""Azure DevOps work item endpoints: WIQL, `workitemsbatch` and `workitems?ids=`."""

from __future__ import annotations

from functools import partial
from typing import Any

from lpmsync.sandbox.azure_devops.common import (
    AdoError,
    ado_date,
    bad_request,
    json_body,
    parse_date,
    query_list,
    require_api_version,
)
from lpmsync.sandbox.azure_devops.fields import FieldDef, ItemView, render_fields, require_fields
from lpmsync.sandbox.azure_devops.rendered import batch_body
from lpmsync.sandbox.azure_devops.revisions import Revision
from lpmsync.sandbox.azure_devops.state import AdoState
from lpmsync.sandbox.azure_devops.wiql import WiqlScope, run_wiql
from lpmsync.sandbox.dataset import SampleItem
from lpmsync.sandbox.http import Request, Response

MAX_IDS = 200
_EXPANDS = {"none", "relations", "fields", "links", "all"}
_POLICIES = {"fail", "omit"}


def query_by_wiql(state: AdoState, request: Request) -> Response:
    require_api_version(request)
    project = state.project(request)
    body = json_body(request)
    text = body.get("query") if isinstance(body, dict) else None
    if not isinstance(text, str) or not text.strip():
        raise bad_request('The WIQL query is missing: send {"query": "SELECT ..."}.')
    scope = WiqlScope(
        project=project,
        today=state.clock().date(),
        time_precision=(request.arg("timePrecision") or "false").lower() == "true",
        path_exists=state.path_exists,
    )
    result = run_wiql(text, state.dataset, state.view, scope, _int_arg(request, "$top"))
    org = state.org_url(request)
    items = f"{org}/_apis/wit/workItems/"  # state.item_url's prefix, worked out once
    answer = {
        "queryType": "flat",
        "queryResultType": "workItem",
        "asOf": ado_date(state.clock()),
        "columns": [_field_ref(org, definition) for definition in result.columns],
        "sortColumns": [
            {"field": _field_ref(org, definition), "descending": descending}
            for definition, descending in result.sort
        ],
        "workItems": [{"id": item_id, "url": f"{items}{item_id}"} for item_id in result.ids],
    }
    return Response(200, answer, content_type="application/json; charset=utf-8")


def get_work_items_batch(state: AdoState, request: Request) -> Response:
    require_api_version(request)
    state.project(request)
    body = json_body(request)
    if not isinstance(body, dict):
        raise bad_request("The request body must be a WorkItemBatchGetRequest object.")
    fields = body.get("fields")
    if fields is not None and not (
        isinstance(fields, list) and all(isinstance(name, str) for name in fields)
    ):
        raise bad_request("fields must be a list of field reference names.")
    return _work_items(
        state,
        request,
        ids=body.get("ids"),
        fields=fields,
        expand=body.get("$expand"),
        policy=body.get("errorPolicy"),
        as_of=body.get("asOf"),
    )


def list_work_items(state: AdoState, request: Request) -> Response:
    require_api_version(request)
    state.project(request)
    raw_ids = query_list(request, "ids")
    if not raw_ids:
        raise bad_request("The ids parameter is required: ids=1,2,3.")
    try:
        ids: list[Any] = [int(text) for text in raw_ids]
    except ValueError as exc:
        raise bad_request(f"The ids parameter must list integers: {exc}") from exc
    return _work_items(
        state,
        request,
        ids=ids,
        fields=query_list(request, "fields"),
        expand=request.arg("$expand"),
        policy=request.arg("errorPolicy"),
        as_of=request.arg("asOf"),
    )


def get_work_item(state: AdoState, request: Request) -> Response:
    """`GET .../_apis/wit/workitems/{id}`: one work item, not wrapped in a collection."""
    require_api_version(request)
    state.project(request)
    item_id = int(request.params["id"])
    fields = query_list(request, "fields")
    expand = _choice("$expand", request.arg("$expand"), _EXPANDS, "none")
    if fields and expand != "none":
        raise bad_request("The expand parameter can not be used with the fields parameter.")
    item = state.dataset.get(str(item_id))
    view = _view(state, item, _moment(request.arg("asOf")))
    if view is None:
        raise _missing(item_id)
    answer = _work_item(state, request, view, require_fields(fields) if fields else None, expand)
    return Response(200, answer, content_type="application/json; charset=utf-8")


def _work_items(
    state: AdoState,
    request: Request,
    *,
    ids: object,
    fields: list[str] | None,
    expand: object,
    policy: object,
    as_of: object,
) -> Response:
    wanted_ids = _ids(ids)
    expand_mode = _choice("$expand", expand, _EXPANDS, "none")
    policy_mode = _choice("errorPolicy", policy, _POLICIES, "fail")
    if fields and expand_mode != "none":
        raise bad_request("The expand parameter can not be used with the fields parameter.")
    wanted = require_fields(fields) if fields else None
    moment = _moment(as_of)
    if moment is None:
        current = _current_items(
            state, request, wanted_ids, wanted, expand=expand_mode, policy=policy_mode
        )
        if current is not None:
            return Response(200, current, content_type="application/json; charset=utf-8")
    value: list[dict[str, Any] | None] = []
    for item_id in wanted_ids:
        item = state.dataset.get(str(item_id))  # Azure DevOps keys are the id as text
        view = _view(state, item, moment)
        if view is None:
            if policy_mode == "fail":
                raise _missing(item_id)
            value.append(None)
            continue
        value.append(_work_item(state, request, view, wanted, expand_mode))
    answer = {"count": len(value), "value": value}
    return Response(200, answer, content_type="application/json; charset=utf-8")


def _current_items(
    state: AdoState,
    request: Request,
    ids: list[int],
    wanted: list[FieldDef] | None,
    *,
    expand: str,
    policy: str,
) -> bytes | None:
    """The answer for the items' current revisions, encoded, from the rendered-items cache
    (the same bytes as rendering it whole); None when an item cannot be encoded that way."""
    org = state.org_url(request)
    fields = None if wanted is None else tuple(definition.reference for definition in wanted)

    def render(item: SampleItem, revision: Revision) -> dict[str, Any]:
        return _work_item(state, request, state.view_at(revision, item), wanted, expand)

    fragments: list[bytes | None] = []
    for item_id in ids:
        item = state.dataset.get(str(item_id))
        if item is None:
            if policy == "fail":
                raise _missing(item_id)
            fragments.append(None)
            continue
        revision = state.ledger.latest(item)
        parent = state.dataset.get(item.parent_key) if item.parent_key is not None else None
        fragment = state.rendered.fragment(
            (item.key, org, fields, expand),
            (item, revision, parent),
            partial(render, item, revision),
        )
        if fragment is None:
            return None
        fragments.append(fragment)
    return batch_body(fragments)


def _view(state: AdoState, item: SampleItem | None, moment: Any) -> ItemView | None:
    if item is None:
        return None
    return state.view(item) if moment is None else state.view_as_of(item, moment)


def _work_item(
    state: AdoState, request: Request, view: ItemView, wanted: list[FieldDef] | None, expand: str
) -> dict[str, Any]:
    item_id = view.item.id
    url = state.item_url(request, item_id)
    rendered: dict[str, Any] = {"id": item_id, "rev": view.rev}
    rendered["fields"] = render_fields(view, wanted)
    if expand in ("relations", "all"):
        rendered["relations"] = _relations(state, request, view)
    if expand in ("links", "all"):
        rendered["_links"] = {
            "self": {"href": url},
            "workItemUpdates": {"href": f"{url}/updates"},
            "workItemRevisions": {"href": f"{url}/revisions"},
            "fields": {"href": f"{state.org_url(request)}/_apis/wit/fields"},
        }
    rendered["url"] = url
    return rendered


def _relations(state: AdoState, request: Request, view: ItemView) -> list[dict[str, Any]]:
    # The parent link only: finding children would scan the whole dataset for each item.
    parent = view.item.parent_key
    parent_item = state.dataset.get(parent) if parent is not None else None
    if parent_item is None:
        return []
    return [
        {
            "rel": "System.LinkTypes.Hierarchy-Reverse",
            "url": state.item_url(request, parent_item.id),
            "attributes": {"isLocked": False, "name": "Parent"},
        }
    ]


def _ids(ids: object) -> list[int]:
    if not isinstance(ids, list) or not ids:
        raise bad_request("The ids parameter cannot be null or empty.")
    if not all(isinstance(item_id, int) and not isinstance(item_id, bool) for item_id in ids):
        raise bad_request("ids must be work item ids (integers).")
    if len(ids) > MAX_IDS:
        raise bad_request(
            f"The number of work item ids requested ({len(ids)}) exceeds the limit of "
            f"{MAX_IDS} per request."
        )
    return ids


def _choice(name: str, value: object, allowed: set[str], default: str) -> str:
    if value is None:
        return default
    if isinstance(value, str) and value.lower() in allowed:
        return value.lower()
    raise bad_request(f"The value '{value}' is not valid for {name}.")


def _moment(as_of: object) -> Any:
    if as_of is None:
        return None
    try:
        return parse_date(str(as_of))
    except ValueError as exc:
        raise bad_request(f"asOf is not a valid date-time: {as_of}") from exc


def _missing(item_id: int) -> AdoError:
    return AdoError(
        404,
        f"TF401232: Work item {item_id} does not exist, or you do not have permissions to read it.",
        "WorkItemUnauthorizedAccessException",
        "Microsoft.TeamFoundation.WorkItemTracking.Server.WorkItemUnauthorizedAccessException, "
        "Microsoft.TeamFoundation.WorkItemTracking.Server",
    )


def _field_ref(org_url: str, definition: FieldDef) -> dict[str, str]:
    return {
        "referenceName": definition.reference,
        "name": definition.name,
        "url": f"{org_url}/_apis/wit/fields/{definition.reference}",
    }


def _int_arg(request: Request, name: str) -> int | None:
    text = request.arg(name)
    if text is None:
        return None
    try:
        return int(text)
    except ValueError as exc:
        raise bad_request(f"{name} must be an integer, not '{text}'.") from exc
