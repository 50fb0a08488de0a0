"""The one redaction step for every string that leaves the process.

Logs, CLI output, `runs.error` (and so `lpmsync status`) and Slack messages all pass through
`redact()`. It removes:

- the configured secrets (registered by the CLI from the settings with `register_secrets`),
  and their Basic-auth forms (`register_basic_auth`: base64 of `user:secret`, padded or not);
- values of `Authorization:` headers (whole, up to the end of the line or the closing quote);
- URL user-info (`http://admin:pw@host` becomes `http://[REDACTED]@host`);
- common token shapes, whatever holds them: Slack tokens, `Basic`/`Bearer` credentials, Atlassian
  API tokens, Azure DevOps and GitHub PATs, `password=…`-style pairs.

Pure: standard library only, no I/O. The registry is process-wide and thread-safe to extend.
"""

from __future__ import annotations

import base64
import re
import threading
from collections.abc import Iterable, Mapping

REDACTED = "[REDACTED]"
MIN_SECRET_LENGTH = 4  # shorter values would redact ordinary words, and are no real secret

# Each shape with a literal its matches must contain ("" when none), so that the regular
# expression runs only on text that could match: output can be megabytes (report JSON).
_TOKEN_SHAPES = [
    ("xox", re.compile(r"\bxox[abposre]-[A-Za-z0-9-]+")),  # Slack bot/user/app-level tokens
    ("xapp-", re.compile(r"\bxapp-[A-Za-z0-9-]+")),
    ("ATATT", re.compile(r"\bATATT[A-Za-z0-9_\-=]{16,}")),  # Atlassian API tokens
    ("_", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}")),  # GitHub tokens
    ("", re.compile(r"\b[a-z2-7]{52}\b")),  # Azure DevOps PATs (classic, base32)
    ("", re.compile(r"\b[A-Za-z0-9]{84}\b")),  # Azure DevOps PATs (2024 format)
]
_KEY_NAMES = ("token", "pat", "password", "passwd", "secret", "api")
# An Authorization header's whole value: scheme and credential, to the end of line or quote.
_AUTHORIZATION = re.compile(
    r"(?i)\b((?:proxy-)?authorization\\?['\"]?\s*[:=]\s*\\?['\"]?)([^\r\n'\"\\]+)"
)
# The credential after these goes; the scheme or key name stays so the line still reads.
_AUTH_SCHEME = re.compile(r"(?i)\b(basic|bearer)(\s+)([A-Za-z0-9+/=._~\-]{8,})")
_KEY_VALUE = re.compile(
    r"(?i)\b(token|pat|password|passwd|secret|api[_-]?key)"
    r"(['\"]?\s*[:=]\s*['\"]?)([^\s'\",}&]{4,})"
)
_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)([^/\s@?#]+)(@)")


class Redactor:
    """Replaces known secret values and token shapes in text. Thread-safe to extend."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._secrets: tuple[str, ...] = ()
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        """Redact these values from now on (blank and very short values are ignored)."""
        values = {value.strip() for value in secrets if len(value.strip()) >= MIN_SECRET_LENGTH}
        with self._lock:  # longest first, so a secret containing another is removed whole
            merged = set(self._secrets) | values
            self._secrets = tuple(sorted(merged, key=len, reverse=True))

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        for literal, shape in _TOKEN_SHAPES:
            if literal in text:
                text = shape.sub(REDACTED, text)
        lower = text.lower()
        if "authorization" in lower:
            text = _AUTHORIZATION.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
        if "basic" in lower or "bearer" in lower:
            text = _AUTH_SCHEME.sub(_keep_name, text)
        if any(name in lower for name in _KEY_NAMES):
            text = _KEY_VALUE.sub(_keep_name, text)
        if "@" in text and "://" in text:
            text = _URL_USERINFO.sub(lambda m: f"{m.group(1)}{REDACTED}{m.group(3)}", text)
        return text


def _keep_name(match: re.Match[str]) -> str:
    if match.group(3) == REDACTED or match.group(3).startswith("[REDACTED"):
        return match.group(0)
    return f"{match.group(1)}{match.group(2)}{REDACTED}"


_redactor = Redactor()


def redactor() -> Redactor:
    """The process-wide redactor: logs, CLI output, the store's errors and Slack use it."""
    return _redactor


def redact(text: str) -> str:
    """`text` without any registered secret or credential shape."""
    return _redactor(text)


def register_secrets(values: Iterable[str]) -> None:
    """Redact these values everywhere from now on."""
    _redactor.add(values)


def basic_auth_forms(user: str, secret: str) -> list[str]:
    """The base64 forms a `user:secret` Basic credential takes on the wire (and in echoes)."""
    if len(secret.strip()) < MIN_SECRET_LENGTH:
        return []
    encoded = base64.b64encode(f"{user}:{secret}".encode()).decode()
    return [encoded, encoded.rstrip("=")]


def register_basic_auth(user: str, secret: str) -> None:
    """Redact the Basic-auth forms of `user:secret` from now on (Jira Cloud e-mail and token,
    an Azure DevOps PAT sent as `:PAT`)."""
    register_secrets(basic_auth_forms(user, secret))


def redact_json(value: object) -> object:
    """Every string in a JSON-like value (Slack blocks) redacted; the structure is kept."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {key: redact_json(inner) for key, inner in value.items()}
    if isinstance(value, list | tuple):
        return [redact_json(inner) for inner in value]
    return value
