"""`/lpm status|why KEY|theme KEY|silences|help`, answered ephemerally; the Expire button."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import Ack, App, Respond

from lpmsync.domain.audit import AuditAction, AuditEntry
from lpmsync.notify.blocks import Block, section
from lpmsync.slackapp import answers
from lpmsync.slackapp.context import NOT_ALLOWED, AppContext, log_unusable

COMMAND = "/lpm"


def register(app: App, ctx: AppContext) -> None:
    @app.command(COMMAND)
    def on_command(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        ack()
        blocks = answer(ctx, str(command.get("text") or ""))
        respond(blocks=blocks, text=_fallback(blocks), response_type="ephemeral")

    @app.action(answers.EXPIRE_ACTION)
    def on_expire(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        user = str((body.get("user") or {}).get("id") or "")
        try:
            silence_id = int(body["actions"][0]["value"])
        except (KeyError, IndexError, TypeError, ValueError):
            log_unusable("block_actions", body)
            return
        respond(text=expire(ctx, user, silence_id), replace_original=False)


def answer(ctx: AppContext, text: str) -> list[Block]:
    verb, _, rest = text.strip().partition(" ")
    verb, rest = verb.lower(), rest.strip()
    if verb == "status":
        return answers.status(ctx)
    if verb in ("why", "theme") and rest:
        return answers.why(ctx, rest) if verb == "why" else answers.theme(ctx, rest)
    if verb == "silences":
        zone = ZoneInfo(ctx.settings.portfolio.timezone)
        return answers.silences(ctx.store.silences.active(ctx.clock()), zone)
    if verb in ("", "help"):
        return [section(answers.HELP)]
    return [section(f"`/lpm {verb}` needs more or is not a command.\n{answers.HELP}")]


def expire(ctx: AppContext, user: str, silence_id: int) -> str:
    if not ctx.access.may_act(user):
        return NOT_ALLOWED
    entry = AuditEntry(
        at=ctx.clock(), actor=user, action=AuditAction.SILENCE_EXPIRE, origin="slack"
    )
    if ctx.store.audit.expire_silence(silence_id, entry):
        return f"Silence #{silence_id} expired: its alerts are announced on the next check."
    return f"Silence #{silence_id} had already ended; nothing changed."


def _fallback(blocks: list[Block]) -> str:
    first = blocks[0].get("text") if blocks else None
    text = first.get("text") if isinstance(first, dict) else None
    return str(text)[:300] if text else "lpmsync"
