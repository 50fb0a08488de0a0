"""Owners looked up in Slack by email: cached, and failures only mean no mention."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from lpmsync.notify.slack_people import SlackPeople

T0 = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)


def refusal(error: str) -> SlackApiError:
    response = SlackResponse(
        client=None,
        http_verb="POST",
        api_url="https://slack.example/api/users.lookupByEmail",
        req_args={},
        data={"ok": False, "error": error},
        headers={},
        status_code=200,
    )
    return SlackApiError(error, response)


class FakeSlack:
    """users.lookupByEmail over a directory; `error` makes every call fail that way."""

    def __init__(self, directory: dict[str, str], error: str | None = None) -> None:
        self.directory = directory
        self.error = error
        self.asked: list[str] = []

    def users_lookupByEmail(self, *, email: str) -> Any:
        self.asked.append(email)
        if self.error is not None:
            raise refusal(self.error)
        if email not in self.directory:
            raise refusal("users_not_found")
        return {"ok": True, "user": {"id": self.directory[email], "deleted": False}}


def test_known_emails_map_to_ids_and_answers_are_cached_for_a_day() -> None:
    slack = FakeSlack({"ada@acme.example": "U0ADA"})
    now = T0
    people = SlackPeople(slack, clock=lambda: now)
    assert people.lookup(["Ada@Acme.example", "nobody@acme.example", "Just A Name"]) == {
        "ada@acme.example": "U0ADA"
    }
    assert slack.asked == ["ada@acme.example", "nobody@acme.example"]
    assert people.lookup(["ada@acme.example", "nobody@acme.example"]) == {
        "ada@acme.example": "U0ADA"
    }
    assert len(slack.asked) == 2  # both answers, the unknown one too, came from the cache
    now = T0 + timedelta(hours=24)
    people.lookup(["ada@acme.example"])
    assert len(slack.asked) == 3


def test_a_missing_scope_stops_the_lookups_for_the_run_without_failing() -> None:
    slack = FakeSlack({}, error="missing_scope")
    people = SlackPeople(slack, clock=lambda: T0)
    assert people.lookup(["a@acme.example", "b@acme.example"]) == {}
    assert slack.asked == ["a@acme.example"]  # one warning, not one failure per owner
