"""`notify.slack.interactive`: the Slack app people act through (buttons, `/lpm`, App Home).

Present means enabled. `allowed` lists who may acknowledge, snooze and expire: Slack user ids
(`U…`, `W…`), user group ids (`S…`, resolved with `usergroups.users.list`) or `"*"` for anyone
in the workspace. Reading (`/lpm status`, the App Home) is open to everyone in the workspace.
"""

from __future__ import annotations

import re
from enum import StrEnum

from pydantic import Field, field_validator

from lpmsync.settings.base import StrictModel, empty_list

_ID = re.compile(r"^([UWS][A-Z0-9]{2,20}|\*)$")


class ConnectionMode(StrEnum):
    SOCKET = "socket"  # Socket Mode: no public endpoint; needs the app-level token
    HTTP = "http"  # Slack POSTs to us; needs the signing secret and a public URL


class HttpListen(StrictModel):
    host: str = "127.0.0.1"
    port: int = Field(default=3000, ge=0, le=65535)
    path: str = "/slack/events"


class InteractiveConfig(StrictModel):
    mode: ConnectionMode = ConnectionMode.SOCKET
    allowed: list[str] = Field(default_factory=empty_list)
    http: HttpListen = Field(default_factory=HttpListen)

    @field_validator("allowed")
    @classmethod
    def _ids(cls, values: list[str]) -> list[str]:
        for value in values:
            if not _ID.match(value):
                raise ValueError(
                    f"{value!r} is not a Slack user id (U…, W…), user group id (S…) or '*'"
                )
        return values
