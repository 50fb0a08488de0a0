"""Configuration mistakes that used to pass silently and misroute alerts: each is now refused
with the key, what was expected and, where one is close, a did-you-mean."""

from __future__ import annotations

from pathlib import Path

import pytest

from lpmsync.errors import ConfigError
from lpmsync.settings import load_settings

EXAMPLE = Path(__file__).parents[2] / "config" / "lpmsync.example.yaml"


def load_example(tmp_path: Path, *edits: tuple[str, str], env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    text = EXAMPLE.read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "lpmsync.yaml"
    path.write_text(text, encoding="utf-8")
    return load_settings(path, env or {}, check_secrets=False)


def refused(tmp_path: Path, *edits: tuple[str, str], env: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        load_example(tmp_path, *edits, env=env)
    return str(caught.value)


def test_the_example_still_loads(tmp_path: Path) -> None:
    assert load_example(tmp_path).notify.slack is not None


def test_a_route_on_a_misspelt_rule_is_refused(tmp_path: Path) -> None:
    message = refused(tmp_path, ("match: {rule: [wip-breach,", "match: {rule: [wip-breech,"))
    assert "notify.slack.routes[1].match.rule: unknown rule id 'wip-breech'" in message
    assert "did you mean 'wip-breach'?" in message


def test_a_route_on_a_misspelt_theme_or_value_stream_is_refused(tmp_path: Path) -> None:
    message = refused(tmp_path, ("- match: {theme: cx}", "- match: {theme: cxx}"))
    assert "notify.slack.routes[0].match.theme: unknown theme 'cxx' (did you mean 'cx'?)" in message
    message = refused(tmp_path, ("- match: {theme: cx}", "- match: {value_stream: Paymnts}"))
    assert "unknown value stream 'Paymnts' (did you mean 'Payments'?)" in message


def test_slack_ids_are_checked_by_shape(tmp_path: Path) -> None:
    message = refused(tmp_path, ("default_channel: C0PORTFOLIO", "default_channel: '#portfolio'"))
    assert "notify.slack.default_channel: '#portfolio' is not a Slack channel id" in message
    owner = refused(tmp_path, ("owner: U0123CXLEAD", "owner: '@alice'"))
    assert "themes[0].owner: '@alice' is not a Slack user or user-group id" in owner


def test_a_minimum_above_the_limit_is_refused(tmp_path: Path) -> None:
    message = refused(
        tmp_path, ("    - name: Reviewing\n", "    - name: Reviewing\n      min: 10\n")
    )
    assert "min 10 is above wip_limit 8 for epics" in message
    assert "portfolio.states[1]" in message


def test_a_wrong_limit_type_names_the_key_not_the_type(tmp_path: Path) -> None:
    message = refused(tmp_path, ("      wip_limit: 6\n", "      wip_limit: six\n"))
    assert "portfolio.states[2].wip_limit:" in message
    assert "wip_limit.int" not in message and "wip_limit.dict" not in message


def test_an_env_override_error_names_the_variable(tmp_path: Path) -> None:
    message = refused(tmp_path, env={"LPMSYNC_PORTFOLIO__TIMEZONE": "Mars/Base"})
    assert message.startswith("environment variable LPMSYNC_PORTFOLIO__TIMEZONE: ")
    assert "portfolio.timezone: unknown time zone 'Mars/Base'" in message
    assert "lpmsync.yaml:" not in message


def test_every_problem_in_a_file_is_reported_at_once(tmp_path: Path) -> None:
    message = refused(
        tmp_path,
        ("- match: {theme: cx}", "- match: {theme: cxx}"),
        ("default_channel: C0PORTFOLIO", "default_channel: portfolio"),
        ("owner: U0123CXLEAD", "owner: alice"),
    )
    assert message.splitlines()[0].endswith("3 problems:")
    assert "theme 'cxx'" in message and "'portfolio' is not a Slack channel" in message
    assert "'alice' is not a Slack user" in message
    fields = refused(
        tmp_path, ("timezone: Europe/Berlin", "timezone: Mars/Base"), ("top_n: 5", "top_n: 0")
    )
    assert "2 problems:" in fields and "Mars/Base" in fields and "top_n" in fields
