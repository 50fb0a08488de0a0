"""Acknowledge and snooze against the store (SQLite and PostgreSQL): re-checked when applied,
audited in the same transaction, the message edit queued in the outbox; `lpmsync audit`."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lpmsync.cli import app, common
from lpmsync.domain.alerts import AlertState, AlertStatus, MessageKind
from lpmsync.domain.audit import AuditAction
from lpmsync.domain.routing import RoutingPolicy
from lpmsync.services.actions import ActionRequest, acknowledge, snooze
from lpmsync.services.notify import notify_findings
from lpmsync.store import SqlStore, open_store
from tests.unit.notify_fixtures import finding

POLICY = RoutingPolicy(default_channel="C0PORTFOLIO", timezone="Europe/Berlin")


def announced(store: SqlStore, now: datetime, *keys: str) -> list[AlertState]:
    """Fire alerts for `keys` and pretend their one message was sent as ts 100.1."""
    findings = [finding(key) for key in keys]
    notify_findings(store, findings, POLICY, now)
    store.alerts.set_message([f.fingerprint for f in findings], "C0PORTFOLIO", "100.1")
    return store.alerts.load_all()


def test_acknowledge_marks_audits_and_queues_the_edit(store: SqlStore, now: datetime) -> None:
    states = announced(store, now, "P-1", "P-2")
    request = ActionRequest(
        "U0PM", tuple(s.fingerprint for s in states), "slack", "C0PORTFOLIO", "100.1"
    )
    outcome = acknowledge(store, request, POLICY, now)
    assert [s.fingerprint for s in outcome.applied] == [s.fingerprint for s in states]
    assert outcome.edits == 1 and outcome.answer() == "Acknowledged P-1, P-2."
    assert {s.acknowledged_by for s in store.alerts.load_all()} == {"U0PM"}
    [entry] = store.audit.since()
    assert (entry.action, entry.actor, entry.channel, entry.message_ts) == (
        AuditAction.ACKNOWLEDGE, "U0PM", "C0PORTFOLIO", "100.1",
    )  # fmt: skip
    [edit] = [e for e in store.outbox.entries() if e.message.kind is MessageKind.UPDATE]
    assert edit.message.target_ts == "100.1"
    assert "Acknowledged by <@U0PM> at 2026-" in json.dumps(edit.message.blocks)
    assert "(all 2 alerts)" in json.dumps(edit.message.blocks)
    # The next check does not repeat them, even a day later.
    later = notify_findings(
        store, [finding("P-1"), finding("P-2")], POLICY, now + timedelta(days=2)
    )
    assert later.messages == ()


def test_snooze_creates_a_silence_for_exactly_those_alerts(store: SqlStore, now: datetime) -> None:
    states = announced(store, now, "P-1", "P-2")
    one = states[0].fingerprint
    until = now + timedelta(days=7)
    outcome = snooze(store, ActionRequest("U0PM", (one,)), until, POLICY, now)
    [silence] = store.silences.active(now)
    assert outcome.silence_ids == (silence.id,)
    assert (silence.fingerprints, silence.author, silence.until) == (
        frozenset({one}),
        "U0PM",
        until,
    )
    [entry] = store.audit.since()
    assert entry.action is AuditAction.SNOOZE and entry.detail["silence"] == silence.id
    later = notify_findings(
        store, [finding("P-1"), finding("P-2")], POLICY, now + timedelta(days=2)
    )
    assert [m.alert_fingerprints for m in later.messages] == [(states[1].fingerprint,)]


def test_a_resolved_alert_is_reported_and_left_alone(store: SqlStore, now: datetime) -> None:
    [state] = announced(store, now, "P-1")
    notify_findings(store, [], POLICY, now + timedelta(hours=1))  # it resolves
    assert store.alerts.load_all()[0].status is AlertStatus.RESOLVED
    depth = len(store.outbox.entries())
    request = ActionRequest("U0PM", (state.fingerprint, "gone"))
    acked = acknowledge(store, request, POLICY, now + timedelta(hours=2))
    snoozed = snooze(store, request, now + timedelta(days=1), POLICY, now + timedelta(hours=2))
    for outcome in (acked, snoozed):
        assert outcome.applied == () and len(outcome.resolved) == 1
        assert "Already resolved, left as is: P-1." in outcome.answer()
        assert "1 alert(s) are no longer known" in outcome.answer()
    assert store.silences.list_all() == [] and store.audit.since() == []
    assert len(store.outbox.entries()) == depth
    assert store.alerts.load_all()[0].acknowledged_at is None


# --- the CLI -----------------------------------------------------------------------------------


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(common.console, "width", 200)
    path = tmp_path / "lpmsync.yaml"
    path.write_text(
        "portfolio: {name: Acme, timezone: Europe/Berlin}\n"
        f"store: {{data_dir: {tmp_path / 'data'}}}\n"
    )
    return path


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.stdout + result.stderr


def test_snooze_and_cli_silences_show_in_silence_list_and_audit(
    config: Path, now: datetime
) -> None:
    store = open_store(f"sqlite:///{config.parent / 'data' / 'lpmsync.db'}")
    [state] = announced(store, now, "P-9")
    snooze(
        store, ActionRequest("U0PM", (state.fingerprint,)), now + timedelta(days=400), POLICY, now
    )
    store.close()
    assert (
        cli("silence", "add", "--rule", "aging", "--until", "3d", "--config", str(config))[0] == 0
    )
    assert cli("silence", "expire", "2", "--config", str(config))[0] == 0
    code, listed = cli("silence", "list", "--config", str(config))
    assert code == 0 and "1 alert snoozed by U0PM" in listed and "P-9" in listed
    code, table = cli("audit", "--config", str(config))
    assert code == 0
    assert [w for w in ("snooze", "silence-add", "silence-expire") if w in table] == [
        "snooze", "silence-add", "silence-expire",
    ]  # fmt: skip
    code, text = cli("audit", "--format", "json", "--config", str(config))
    records = json.loads(text)
    assert [r["action"] for r in records] == ["snooze", "silence-add", "silence-expire"]
    assert records[0]["alerts"] == [state.fingerprint] and records[1]["actor"].startswith("cli:")
    code, text = cli("audit", "--format", "csv", "--since", "1d", "--config", str(config))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["action"] for r in rows] == ["silence-add", "silence-expire"]  # the snooze: at `now`
    code, text = cli("audit", "--since", "2099-01-01", "--config", str(config))
    assert code == 0 and "no actions recorded since 2099-01-01" in text
    code, text = cli("audit", "--since", "last tuesday", "--config", str(config))
    assert code == 2 and "expected a date" in text
