"""slack/manifest.yaml is valid YAML and asks for exactly the scopes the code uses."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from lpmsync.sandbox.slack import DEFAULT_SCOPES

ROOT = Path(__file__).resolve().parents[2]
# Web API methods lpmsync calls, and the bot scope each needs (none: views.*, auth.test).
SCOPES = {
    "chat_postMessage": "chat:write",
    "chat_update": "chat:write",
    "chat_postEphemeral": "chat:write",
    "files_upload_v2": "files:write",
    "files_getUploadURLExternal": "files:write",
    "conversations_info": "channels:read",
    "usergroups_users_list": "usergroups:read",
    "conversations_history": "channels:history",
    "conversations_replies": "channels:history",
    "users_lookupByEmail": "users:read.email",
}
# Asked for only by an option (people.lookup_by_email); the sandbox Slack does not serve it.
OPTIONAL = {"users:read.email"}


def test_manifest_scopes_are_exactly_those_used() -> None:
    manifest = yaml.safe_load((ROOT / "slack" / "manifest.yaml").read_text(encoding="utf-8"))
    bot = set(manifest["oauth_config"]["scopes"]["bot"])
    code = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "lpmsync").rglob("*.py"))
    called = {method for method in SCOPES if re.search(rf"\.{method}\b", code)}
    used = {SCOPES[method] for method in called}
    used.add("groups:read")  # conversations.info on a private channel
    if "channels:history" in used:
        used.add("groups:history")  # the same look-up in a private channel
    if "@app.command(" in code or "app.command(COMMAND)" in code:
        used.add("commands")
    assert bot == used
    assert bot - OPTIONAL == set(DEFAULT_SCOPES)  # the sandbox grants the same
    commands = [c["command"] for c in manifest["features"]["slash_commands"]]
    assert commands == ["/lpm"]
    assert manifest["settings"]["event_subscriptions"]["bot_events"] == ["app_home_opened"]
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
