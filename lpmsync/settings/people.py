"""`people`: who owns an item in the tracker → who to mention in Slack."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from lpmsync.settings.base import StrictModel

SLACK_USER_ID = re.compile(r"[UW][A-Z0-9]{2,20}")


class PeopleConfig(StrictModel):
    """`slack_ids` maps a tracker account id, email or display name to a Slack user id
    (`U…`/`W…`). Owners not found here are named in plain text, never pinged."""

    slack_ids: dict[str, str] = Field(default_factory=dict)
    # Also ask Slack for owners that look like emails (users.lookupByEmail; the bot needs the
    # users:read.email scope). Answers are cached for a day; failures only mean no mention.
    lookup_by_email: bool = False

    @field_validator("slack_ids")
    @classmethod
    def _user_ids(cls, value: dict[str, str]) -> dict[str, str]:
        for person, slack_id in value.items():
            if not SLACK_USER_ID.fullmatch(slack_id):
                raise ValueError(
                    f"{person!r}: {slack_id!r} is not a Slack user id "
                    "(expected U… or W…, e.g. U012AB3CD; find it in the person's Slack profile)"
                )
        return value

    def lookup(self) -> dict[str, str]:
        """Owner → Slack id, also by lower-cased name (emails and names vary in case)."""
        return {**{k.lower(): v for k, v in self.slack_ids.items()}, **self.slack_ids}
