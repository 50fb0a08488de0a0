"""The one redaction step (lpmsync.redact) and the display cleaning of Slack and report text."""

from __future__ import annotations

import base64

import pytest

from lpmsync.notify.blocks import escape
from lpmsync.redact import REDACTED, Redactor, basic_auth_forms, redact_json


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Basic dXNlcjpwYXNz", f"Authorization: {REDACTED}"),
        ('{"Authorization": "Bearer abc.def"}', f'{{"Authorization": "{REDACTED}"}}'),
        ('{\\"authorization\\": \\"Bearer x1\\"}', f'{{\\"authorization\\": \\"{REDACTED}\\"}}'),
        ("Proxy-Authorization: Negotiate YII", f"Proxy-Authorization: {REDACTED}"),
        ("see http://admin:pw@host:8080/x", f"see http://{REDACTED}@host:8080/x"),
        ("postgresql+psycopg://lpm:s3cr3t@db/x", f"postgresql+psycopg://{REDACTED}@db/x"),
        ("mail me at a@b.test, https://host/p?u=a@b", "mail me at a@b.test, https://host/p?u=a@b"),
    ],
)
def test_headers_and_url_user_info_are_removed(text: str, expected: str) -> None:
    assert Redactor()(text) == expected


def test_registered_secrets_and_their_basic_auth_forms_are_removed() -> None:
    forms = basic_auth_forms("bot@example.com", "tok-1234")
    redact = Redactor(["tok-1234", *forms])
    encoded = base64.b64encode(b"bot@example.com:tok-1234").decode()
    assert set(forms) == {encoded, encoded.rstrip("=")}
    assert redact(f"raw tok-1234, wire {encoded}, unpadded {encoded.rstrip('=')}") == (
        f"raw {REDACTED}, wire {REDACTED}, unpadded {REDACTED}"
    )


def test_json_values_keep_their_shape() -> None:
    value = {"a": ["Authorization: Bearer zzz", 3], "b": None}
    assert redact_json(value) == {"a": [f"Authorization: {REDACTED}", 3], "b": None}


def test_slack_text_loses_invisible_and_direction_changing_characters() -> None:
    assert escape("a\u202eb\u200b <!here>\nnext\x00") == "ab &lt;!here&gt;\nnext"
