"""Configuration: every bad input gets one clear message naming file, key and expectation."""

from __future__ import annotations

from pathlib import Path

import pytest

from lpmsync.domain.model import Level
from lpmsync.errors import ConfigError
from lpmsync.settings import load_settings, to_policy

EXAMPLE = Path(__file__).parents[2] / "config" / "lpmsync.example.yaml"
SECRETS = {
    "JIRA_EMAIL": "ada@example.test",
    "JIRA_API_TOKEN": "canary-jira-4f1d",
    "ADO_PAT": "canary-ado-77aa",
    "SLACK_BOT_TOKEN": "xoxb-canary-slack",
    "SLACK_APP_TOKEN": "xapp-canary-app-5c2e",
}

MINIMAL = """\
portfolio:
  name: Acme
  timezone: Europe/Berlin
themes:
  - key: cx
    name: Customer Experience
    target_share: 0.4
    match: {labels: [cx]}
sources:
  - kind: jira
    name: jira-cloud
    url: https://acme.atlassian.net
    email_env: JIRA_EMAIL
    token_env: JIRA_API_TOKEN
    jql: project = PORT
    statuses: {In Progress: Implementing, Done: Done}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "lpmsync.yaml"
    path.write_text(text)
    return path


def error_for(tmp_path: Path, text: str, environ: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, text), SECRETS if environ is None else environ)
    return str(caught.value)


def test_the_documented_example_is_valid() -> None:
    settings = load_settings(EXAMPLE, SECRETS)
    assert [s.name for s in settings.sources] == ["jira-cloud", "ado"]
    policy = to_policy(settings)
    assert policy.active_states == ("Reviewing", "Analyzing", "Ready", "Implementing")
    implementing = next(s for s in policy.states if s.name == "Implementing")
    assert {(lim.level, lim.max, lim.min, lim.value_stream) for lim in implementing.limits} == {
        (Level.EPIC, 8, 2, None),
        (Level.FEATURE, 60, None, None),
        (Level.FEATURE, 15, None, "Payments"),
    }
    assert policy.rule("allocation-drift").tolerance == 0.10


def test_minimal_config_gets_sensible_defaults(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, MINIMAL), SECRETS)
    assert settings.portfolio.state_names[0] == "Funnel"
    assert settings.schedule.digest == "0 9 * * mon"
    assert settings.store.effective_url.endswith("data/lpmsync.db")


def test_requests_in_flight_default_to_8_and_to_4_on_jira_data_center(tmp_path: Path) -> None:
    data_center = MINIMAL.replace("    statuses:", "    deployment: datacenter\n    statuses:")
    set_explicitly = data_center.replace("    statuses:", "    parallelism: 6\n    statuses:")
    found = [
        load_settings(write(tmp_path, text), SECRETS).sources[0].parallelism
        for text in (MINIMAL, data_center, set_explicitly)
    ]
    assert found == [8, 4, 6]


def test_env_overrides_yaml_with_nesting(tmp_path: Path) -> None:
    env = {**SECRETS, "LPMSYNC_PORTFOLIO__TIMEZONE": "UTC", "LPMSYNC_STORE__URL": "sqlite:///x.db"}
    settings = load_settings(write(tmp_path, MINIMAL), env)
    assert settings.portfolio.timezone == "UTC"
    assert settings.store.effective_url == "sqlite:///x.db"


def test_config_path_falls_back_to_env(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL)
    settings = load_settings(None, {**SECRETS, "LPMSYNC_CONFIG": str(path)})
    assert settings.portfolio.name == "Acme"


@pytest.mark.parametrize(
    ("label", "edit", "expected"),
    [
        (
            "unknown key",
            lambda t: t.replace("  timezone:", "  timezon:"),
            ["portfolio.timezon", "unknown key 'timezon'", "did you mean 'timezone'?", ":3"],
        ),
        (
            "wrong type",
            lambda t: t.replace("target_share: 0.4", "target_share: lots"),
            ["themes[0].target_share", "valid number", "'lots'"],
        ),
        (
            "unknown time zone",
            lambda t: t.replace("Europe/Berlin", "Europe/Berlinn"),
            ["portfolio.timezone", "unknown time zone", "did you mean 'Europe/Berlin'?"],
        ),
        (
            "invalid cron",
            lambda t: t + "schedule:\n  sync: '*/15 * * *'\n",
            ["schedule.sync", "expected 5 crontab fields"],
        ),
        (
            "numeric weekday",
            lambda t: t + "schedule:\n  digest: '0 9 * * 1'\n",
            ["schedule.digest", "use names such as mon"],
        ),
        (
            "state not on the Kanban",
            lambda t: t.replace("Done: Done", "Done: Finished"),
            ["sources[0].statuses.Done", "'Finished' is not a Kanban state"],
        ),
        (
            "duplicate theme",
            lambda t: t.replace("sources:", "  - {key: cx, name: Again}\nsources:"),
            ["themes[1]", "duplicate theme key 'cx'"],
        ),
        (
            "duplicate source",
            lambda t: t + t[t.index("  - kind: jira") :],
            ["sources[1]", "duplicate source name 'jira-cloud'"],
        ),
        (
            "shares over 1.0",
            lambda t: t.replace(
                "sources:", "  - {key: ops, name: Ops, target_share: 0.7}\nsources:"
            ),
            ["target_share values sum to 1.10", "at most 1.0"],
        ),
        (
            "unknown rule",
            lambda t: t + "rules:\n  wip-breech: {}\n",
            ["rules.wip-breech", "did you mean 'wip-breach'?"],
        ),
        (
            "unknown source kind",
            lambda t: t.replace("kind: jira", "kind: trello"),
            ["sources[0]", "'trello'", "'jira', 'azure_devops'"],
        ),
        (
            "secret in YAML",
            lambda t: t.replace("token_env: JIRA_API_TOKEN", "token_env: 'xyz-123:abc'"),
            ["sources[0].token_env", "NAME of an environment variable"],
        ),
        (
            "missing required key",
            lambda t: t.replace("    jql: project = PORT\n", ""),
            ["sources[0].jql", "required key is missing"],
        ),
    ],
)
def test_bad_input_names_file_key_and_expectation(
    tmp_path: Path, label: str, edit: object, expected: list[str]
) -> None:
    message = error_for(tmp_path, edit(MINIMAL))  # type: ignore[operator]
    assert str(tmp_path / "lpmsync.yaml") in message, label
    for fragment in expected:
        assert fragment in message, f"{label}: {fragment!r} not in {message!r}"
    assert "Traceback" not in message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "absent.yaml", SECRETS)


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    message = error_for(tmp_path, MINIMAL.replace("  name: Acme", "  name: [Acme"))
    assert "YAML syntax error" in message and "lpmsync.yaml:" in message


def test_missing_secret_names_the_variable_never_a_value(tmp_path: Path) -> None:
    environ = {k: v for k, v in SECRETS.items() if k != "JIRA_API_TOKEN"}
    message = error_for(tmp_path, MINIMAL, environ)
    assert "JIRA_API_TOKEN is not set" in message and "sources[0].token_env" in message
    assert not any(secret in message for secret in SECRETS.values())


def test_secret_check_can_be_skipped_for_offline_commands(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, MINIMAL), {}, check_secrets=False)
    assert settings.sources[0].name == "jira-cloud"
