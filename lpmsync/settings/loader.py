"""Load settings from one YAML file plus `LPMSYNC_*` overrides, with operator-grade errors.

Every failure becomes one `ConfigError` whose message names the file, the line where it can be
known, the key path and what was expected. Secret values never appear in a message.
"""

from __future__ import annotations

import os
import types
import typing
from collections.abc import Mapping
from difflib import get_close_matches
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from lpmsync.errors import ConfigError
from lpmsync.settings.base import read_secret
from lpmsync.settings.model import Settings

DEFAULT_CONFIG_PATH = Path("config/lpmsync.yaml")


def config_path(explicit: str | Path | None, environ: Mapping[str, str] | None = None) -> Path:
    """`--config`, else `LPMSYNC_CONFIG`, else `config/lpmsync.yaml`."""
    env = os.environ if environ is None else environ
    return Path(explicit or env.get("LPMSYNC_CONFIG") or DEFAULT_CONFIG_PATH)


def load_settings(
    path: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    check_secrets: bool = True,
) -> Settings:
    """Read, validate and (by default) check that every named secret variable is set."""
    file = config_path(path, environ)
    document, root = _read_yaml(file)
    try:
        settings = _validate(document, environ)
    except ValidationError as exc:
        raise _config_error(exc, file, root) from None
    if check_secrets:
        _check_secrets(settings, file, environ)
    return settings


def _read_yaml(file: Path) -> tuple[dict[str, Any], yaml.Node | None]:
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            "config file not found (pass --config PATH or set LPMSYNC_CONFIG)", file=str(file)
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file: {exc.strerror}", file=str(file)) from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{file}:{mark.line + 1}" if mark else str(file)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"YAML syntax error: {problem}", file=where) from None
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise ConfigError("expected a mapping of sections at the top level", file=str(file))
    return document, root


def _validate(document: dict[str, Any], environ: Mapping[str, str] | None) -> Settings:
    if environ is None:
        return Settings(**document)
    saved = dict(os.environ)
    try:  # pydantic-settings reads os.environ; tests pass their own environment
        os.environ.clear()
        os.environ.update(environ)
        return Settings(**document)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _config_error(exc: ValidationError, file: Path, root: yaml.Node | None) -> ConfigError:
    error = exc.errors(include_url=False)[0]
    loc = tuple(error["loc"])
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = f"unknown key {loc[-1]!r}{_suggest(loc)}"
    elif error["type"] == "missing":
        message = "required key is missing"
    elif "input" in error and not isinstance(error["input"], dict | list):
        shown = repr(error["input"])
        message = f"{message} (got {shown[:60]})"
    line = _line_of(root, loc)
    where = f"{file}:{line}" if line else str(file)
    return ConfigError(message, file=where, key=_key_path(loc) or None)


def _key_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part in ("jira", "azure_devops") and path.endswith("]"):
            continue  # pydantic names the union member; the operator knows it as `kind`
        else:
            path += f".{part}" if path else str(part)
    return path


def _line_of(root: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    node, line = root, None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = [v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == part]
            if not match:
                keys = [k for k, _ in node.value if getattr(k, "value", None) == part]
                return keys[0].start_mark.line + 1 if keys else line
            node = match[0]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return line
            node = node.value[part]
        else:
            continue
        line = node.start_mark.line + 1
    return line


def _suggest(loc: tuple[int | str, ...]) -> str:
    choices = sorted(_fields_at(Settings, loc[:-1]))
    close = get_close_matches(str(loc[-1]), choices, n=1)
    if close:
        return f" (did you mean {close[0]!r}?)"
    return f"; expected one of: {', '.join(choices)}" if choices else ""


def _fields_at(annotation: Any, loc: tuple[int | str, ...]) -> set[str]:
    """The field names valid at `loc`, walking the settings models' type annotations."""
    candidates = [annotation]
    for part in loc:
        candidates = [t for c in candidates for t in _step(c, part)]
    return {name for c in candidates for name in _model_fields(c)}


def _step(annotation: Any, part: int | str) -> list[Any]:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return _step(args[0], part)
    if origin in (typing.Union, types.UnionType):
        return [t for arg in args for t in _step(arg, part)]
    if origin is list and isinstance(part, int):
        return [args[0]]
    if origin is dict and isinstance(part, str):
        return [args[1]]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        field = annotation.model_fields.get(str(part))
        return [field.annotation] if field else []
    return []


def _model_fields(annotation: Any) -> set[str]:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType, typing.Annotated):
        return {name for arg in args for name in _model_fields(arg)}
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return set(annotation.model_fields)
    return set()


def _check_secrets(settings: Settings, file: Path, environ: Mapping[str, str] | None) -> None:
    holders: list[tuple[str, Any]] = [
        (f"sources[{index}]", source) for index, source in enumerate(settings.sources)
    ]
    if settings.notify.slack is not None:
        holders.append(("notify.slack", settings.notify.slack))
    for prefix, holder in holders:
        for key, env_var in holder.secret_env_vars().items():
            try:
                read_secret(env_var, environ, key=f"{prefix}.{key}")
            except ConfigError as exc:
                raise ConfigError(
                    f"environment variable {env_var} is not set (expected the secret)",
                    file=str(file),
                    key=exc.key,
                ) from None
