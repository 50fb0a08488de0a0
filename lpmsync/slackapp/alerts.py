"""The buttons and menus on alert messages: Acknowledge, Snooze (1 day, 1 week, a date), and
the per-item overflow menu. Each answers the person ephemerally; the message edit goes through
the outbox (see `lpmsync.services.actions`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from lpmsync.notify.render_actions import ACK_ACTION, ITEM_ACTION, OPEN_ACTION, SNOOZE_ACTION
from lpmsync.services.actions import ActionOutcome, ActionRequest, acknowledge, snooze
from lpmsync.slackapp.context import NOT_ALLOWED, AppContext, log_unusable

SNOOZE_MODAL = "lpm_snooze_modal"
DATE_BLOCK, DATE_ACTION = "lpm_snooze_date", "lpm_snooze_date_pick"
DURATIONS = {"1d": timedelta(days=1), "1w": timedelta(weeks=1)}


def register(app: App, ctx: AppContext) -> None:
    @app.action(ACK_ACTION)
    def on_acknowledge(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        _act(ctx, body, respond, "group", "ack")

    @app.action(SNOOZE_ACTION)
    def on_snooze(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        ack()
        scope, _, choice = _selected(body).partition(":")
        _choose(ctx, body, respond, client, target=scope, choice=choice)

    @app.action(ITEM_ACTION)
    def on_item(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        ack()
        choice, _, fingerprint = _selected(body).partition(":")
        if choice != "open":  # "Open in tracker" is a link: the browser does the work
            _choose(ctx, body, respond, client, target=fingerprint, choice=choice)

    @app.action(OPEN_ACTION)
    def on_open(ack: Ack) -> None:
        ack()  # a link button: Slack opens the URL and still tells the app

    @app.view(SNOOZE_MODAL)
    def on_snooze_date(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        _submit_date(ctx, ack, body, client)


def _choose(
    ctx: AppContext,
    body: dict[str, Any],
    respond: Respond,
    client: WebClient,
    *,
    target: str,
    choice: str,
) -> None:
    if choice == "date":
        _open_date_modal(ctx, body, respond, client, target)
    elif choice in DURATIONS or choice == "ack":
        _act(ctx, body, respond, target, choice)
    else:
        log_unusable("block_actions", body)
        respond(text="lpmsync did not understand that choice; nothing was changed.")


def _act(ctx: AppContext, body: dict[str, Any], respond: Respond, target: str, choice: str) -> None:
    """`target`: "group" (every alert of the message) or one alert's fingerprint."""
    user, channel, ts = _where(body)
    if not user or not channel or not ts:
        log_unusable("block_actions", body)
        return
    if not ctx.access.may_act(user):
        respond(text=NOT_ALLOWED, response_type="ephemeral", replace_original=False)
        return
    request = _request(ctx, user, channel, ts, target)
    now = ctx.clock()
    if choice == "ack":
        outcome = acknowledge(ctx.store, request, ctx.policy, now)
    else:
        outcome = snooze(ctx.store, request, now + DURATIONS[choice], ctx.policy, now)
    _answer(ctx, outcome, lambda text: respond(text=text, replace_original=False))


def _answer(ctx: AppContext, outcome: ActionOutcome, say: Callable[[str], object]) -> None:
    if outcome.edits:
        ctx.send_edits()
    say(outcome.answer(ZoneInfo(ctx.settings.portfolio.timezone)))


def _request(ctx: AppContext, user: str, channel: str, ts: str, target: str) -> ActionRequest:
    if target == "group":
        fingerprints = tuple(s.fingerprint for s in ctx.store.alerts.on_message(channel, ts))
    else:
        fingerprints = (target,)
    return ActionRequest(user, fingerprints, "slack", channel, ts)


def _open_date_modal(
    ctx: AppContext, body: dict[str, Any], respond: Respond, client: WebClient, target: str
) -> None:
    user, channel, ts = _where(body)
    if not ctx.access.may_act(user):
        respond(text=NOT_ALLOWED, response_type="ephemeral", replace_original=False)
        return
    zone = ZoneInfo(ctx.settings.portfolio.timezone)
    tomorrow = (ctx.clock().astimezone(zone) + timedelta(days=1)).date()
    metadata = json.dumps({"channel": channel, "ts": ts, "target": target})
    client.views_open(trigger_id=body["trigger_id"], view=date_modal(tomorrow, metadata))


def date_modal(initial: date, metadata: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": SNOOZE_MODAL,
        "private_metadata": metadata,
        "title": {"type": "plain_text", "text": "Snooze until…"},
        "submit": {"type": "plain_text", "text": "Snooze"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "input",
                "block_id": DATE_BLOCK,
                "label": {"type": "plain_text", "text": "Quiet through the end of"},
                "element": {
                    "type": "datepicker",
                    "action_id": DATE_ACTION,
                    "initial_date": initial.isoformat(),
                },
            }
        ],
    }


def _submit_date(ctx: AppContext, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
    view, user = body.get("view") or {}, (body.get("user") or {}).get("id", "")
    try:
        where = json.loads(view["private_metadata"])
        picked = view["state"]["values"][DATE_BLOCK][DATE_ACTION]["selected_date"]
        day = date.fromisoformat(picked)
    except (KeyError, TypeError, ValueError):
        log_unusable("view_submission", body)
        ack()
        return
    zone = ZoneInfo(ctx.settings.portfolio.timezone)
    until = datetime.combine(day + timedelta(days=1), time(), zone)  # through that whole day
    now = ctx.clock()
    if until <= now:
        ack(response_action="errors", errors={DATE_BLOCK: "Pick today or a later day."})
        return
    ack()
    if not ctx.access.may_act(user):
        client.chat_postEphemeral(channel=where["channel"], user=user, text=NOT_ALLOWED)
        return
    request = _request(ctx, user, where["channel"], where["ts"], where["target"])
    outcome = snooze(ctx.store, request, until, ctx.policy, now)

    def say(text: str) -> None:
        client.chat_postEphemeral(channel=where["channel"], user=user, text=text)

    _answer(ctx, outcome, say)


def _selected(body: dict[str, Any]) -> str:
    actions = body.get("actions") or [{}]
    return str((actions[0].get("selected_option") or {}).get("value") or "")


def _where(body: dict[str, Any]) -> tuple[str, str, str]:
    container = body.get("container") or {}
    user = (body.get("user") or {}).get("id", "")
    return str(user), str(container.get("channel_id") or ""), str(container.get("message_ts") or "")
