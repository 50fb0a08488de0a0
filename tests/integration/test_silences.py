"""Silences: the repository on SQLite and PostgreSQL, and the `lpmsync silence` commands."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lpmsync.cli import app, common
from lpmsync.domain.alerts import Silence
from lpmsync.store import SqlStore, open_store


def silence(**changes: object) -> Silence:
    fields: dict[str, object] = {
        "id": None,
        "rule": "aging",
        "matchers": {"theme": "cx", "level": "epic"},
        "until": datetime(2026, 11, 20, tzinfo=UTC),
        "comment": "known: waiting for budget",
        "created_at": datetime(2026, 11, 16, 9, tzinfo=UTC),
    }
    fields.update(changes)
    return Silence(**fields)  # type: ignore[arg-type]


def test_add_and_list_round_trip(store: SqlStore) -> None:
    first = store.silences.add(silence())
    second = store.silences.add(silence(rule="stale", matchers={}, comment=""))
    assert second > first
    listed = store.silences.list_all()
    assert [s.id for s in listed] == [second, first]
    assert listed[1] == silence(id=first)
    assert store.silences.get(first) == silence(id=first)
    assert store.silences.get(9999) is None


def test_active_means_not_expired_and_until_ahead(store: SqlStore, now: datetime) -> None:
    running = store.silences.add(silence(until=now + timedelta(hours=1)))
    store.silences.add(silence(until=now))  # ends exactly now: no longer active
    store.silences.add(silence(until=now + timedelta(days=1), expired_at=now))
    assert [s.id for s in store.silences.active(now)] == [running]
    assert store.silences.active(now + timedelta(hours=1)) == []


def test_expire_ends_a_silence_once(store: SqlStore, now: datetime) -> None:
    silence_id = store.silences.add(silence(until=now + timedelta(days=3)))
    assert store.silences.expire(silence_id, now) is True
    assert store.silences.active(now) == []
    assert store.silences.expire(silence_id, now) is False
    assert store.silences.expire(424242, now) is False
    expired = store.silences.get(silence_id)
    assert expired is not None and expired.expired_at == now


def test_a_silence_must_say_when_it_was_created(store: SqlStore) -> None:
    with pytest.raises(ValueError, match="created_at"):
        store.silences.add(silence(created_at=None))


# --- the CLI -----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables at a known width, whatever terminal (or none) the tests run in."""
    monkeypatch.setattr(common.console, "width", 200)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "lpmsync.yaml"
    path.write_text(
        "portfolio: {name: Acme, timezone: Europe/Berlin, value_streams: [Payments, Mobile]}\n"
        "themes:\n"
        "  - {key: cx, name: Customer Experience}\n"
        "  - {key: legacy, name: Legacy Retirement}\n"
        f"store: {{data_dir: {tmp_path / 'data'}}}\n"
    )
    return path


def cli(*args: str) -> tuple[int, str]:
    """Exit code and everything printed (stdout, then stderr where usage errors go)."""
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.stdout + result.stderr


def test_add_list_expire(config: Path) -> None:
    code, output = cli(
        "silence", "add", "--rule", "aging", "--match", "theme=cx", "--match", "level=epic",
        "--until", "3d", "--comment", "budget freeze", "--config", str(config),
    )  # fmt: skip
    assert code == 0, output
    assert re.search(r"silence 1 added: rule aging where level=epic, theme=cx until \d{4}", output)
    assert "CET" in output or "CEST" in output  # shown in the portfolio's zone
    code, output = cli(
        "silence", "add", "--rule", "wip-breach", "--until", "2h", "--config", str(config)
    )
    assert code == 0, output
    code, output = cli("silence", "list", "--config", str(config))
    assert code == 0, output
    assert "Europe/Berlin" in output and "budget freeze" in output and "every alert" in output
    assert output.count("active") == 2
    code, output = cli("silence", "expire", "1", "--config", str(config))
    assert code == 0 and "silence 1 expired" in output
    code, output = cli("silence", "list", "--config", str(config))
    assert output.count("active") == 1 and output.count("expired") == 1
    code, output = cli("silence", "expire", "1", "--config", str(config))
    assert code == 0 and "silence 1 had already ended" in output
    store = open_store(f"sqlite:///{config.parent / 'data' / 'lpmsync.db'}")
    [wip, aging] = store.silences.list_all()
    store.close()
    assert (aging.rule, dict(aging.matchers), aging.comment) == (
        "aging",
        {"theme": "cx", "level": "epic"},
        "budget freeze",
    )
    assert wip.until - wip.created_at == timedelta(hours=2)  # type: ignore[operator]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rule", "agin", "--until", "3d"], "did you mean 'aging'"),
        (["--rule", "aging", "--until", "3d", "--match", "colour=red"], "unknown matcher key"),
        (["--rule", "aging", "--until", "3d", "--match", "theme=cxx"], "did you mean 'cx'"),
        (["--rule", "aging", "--until", "2020-01-01"], "not in the future"),
        (["--rule", "aging", "--until", "soon"], "expected a duration"),
        (["--rule", "aging", "--until", "99999d"], "silences last at most 90 days"),
        (["--rule", "aging", "--until", "91d"], "silences last at most 90 days"),
        (
            ["--rule", "aging", "--until", "3d", "--match", "value_stream=Paymnts"],
            "did you mean 'Payments'",
        ),
        (["--rule", "aging"], "Missing option '--until'"),
    ],
)
def test_bad_arguments_exit_2_and_store_nothing(
    config: Path, args: list[str], message: str
) -> None:
    code, output = cli("silence", "add", *args, "--config", str(config))
    assert code == 2
    assert message in " ".join(output.split())  # Rich wraps long lines
    _, listed = cli("silence", "list", "--config", str(config))
    assert "no silences" in listed


def test_expiring_an_unknown_silence_exits_1(config: Path) -> None:
    result = CliRunner().invoke(app, ["silence", "expire", "7", "--config", str(config)])
    assert result.exit_code == 1


def test_a_silence_that_matches_nothing_open_is_added_with_a_warning(config: Path) -> None:
    code, output = cli(
        "silence", "add", "--rule", "aging", "--match", "key=NOPE-1", "--until", "3d",
        "--config", str(config),
    )  # fmt: skip
    assert code == 0, output
    assert "silence 1 added" in output
    assert "warning: no item 'NOPE-1' is in the store: this silence matches nothing" in output
    code, output = cli(
        "silence", "add", "--rule", "stale", "--until", "3d", "--config", str(config)
    )
    assert code == 0 and "matches none of the 0 open stale alerts" in " ".join(output.split())
