"""Load settings from one YAML file plus `LPMSYNC_*` overrides, with operator-grade errors.

Every failure becomes one `ConfigError` whose message names the file, the line where it can be
known, the key path and what was expected. Secret values never appear in a message.
"""

from __future__ import annotations

import os
import re
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
        raise _config_error(exc, file, root, os.environ if environ is None else environ) from None
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
        root, document = _parse(text)
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


# libyaml's parser when PyYAML was built with it (the wheels are): 10x faster start-up.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _parse(text: str) -> tuple[yaml.Node | None, Any]:
    """The document and its node tree (whose marks give error messages their line), from one
    parse."""
    loader = _SAFE_LOADER(text)
    try:
        root = loader.get_single_node()
        return root, (loader.construct_document(root) if root is not None else None)
    finally:
        loader.dispose()


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


_UNION_MEMBER = re.compile(r"^(int|float|str|bool|none|\w+\[.*\]|[\w-]+\[.*)$")


def _config_error(
    exc: ValidationError, file: Path, root: yaml.Node | None, environ: Mapping[str, str]
) -> ConfigError:
    """Every problem of the file at once: one line each, naming where it is (the YAML line, or
    the environment variable that overrode the key), the key and what was expected."""
    lines: dict[str, str] = {}
    for error in exc.errors(include_url=False):
        # pydantic names the member of a union it tried (`wip_limit.int`): not a key to the user.
        loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and _UNION_MEMBER.match(p)))
        key = _key_path(loc)
        if key in lines:
            continue  # one line per key: the first reason is the one to fix
        env_var = _env_override(loc, environ)
        if env_var is not None:
            where = f"environment variable {env_var}"
        else:
            line = _line_of(root, loc)
            where = f"{file}:{line}" if line else str(file)
        for message in _messages(error, loc):
            lines.setdefault(key, "")
            here = where if key or env_var else _where_named(message, file, root)
            lines[key] += ("\n" if lines[key] else "") + _located(here, key, message)
    found = [text for block in lines.values() for text in block.split("\n")]
    if len(found) == 1:
        return ConfigError(found[0])
    listed = "\n".join(f"  {text}" for text in found)
    return ConfigError(f"{len(found)} problems:\n{listed}", file=str(file))


def _located(where: str, key: str, message: str) -> str:
    # A cross-section problem names its own key at the start of its message.
    if not key and ": " in message:
        return f"{where}: {message}"
    return ": ".join(part for part in (where, key, message) if part)


def _where_named(message: str, file: Path, root: yaml.Node | None) -> str:
    """The YAML line of the key a cross-section problem starts with (`themes[0].owner: …`)."""
    key = message.partition(": ")[0]
    loc = tuple(
        int(part[1:-1]) if part.startswith("[") else part
        for part in re.findall(r"\[\d+\]|[^.\[\]]+", key)
    )
    line = _line_of(root, loc) if loc else None
    return f"{file}:{line}" if line else str(file)


def _messages(error: Any, loc: tuple[int | str, ...]) -> list[str]:
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        return [f"unknown key {loc[-1]!r}{_suggest(loc)}"]
    if error["type"] == "missing":
        return ["required key is missing"]
    if "input" in error and not isinstance(error["input"], dict | list):
        shown = repr(error["input"])
        if shown[:60] not in message:  # some messages quote the input already
            message = f"{message} (got {shown[:60]})"
    return message.split("\n")


def _env_override(loc: tuple[int | str, ...], environ: Mapping[str, str]) -> str | None:
    """The `LPMSYNC_…` variable that set the key at `loc`, if one did."""
    names = {name.upper(): name for name in environ}
    parts: list[str] = []
    for part in loc:
        if not isinstance(part, str):
            break
        parts.append(part)
    for size in range(len(parts), 0, -1):
        wanted = "LPMSYNC_" + "__".join(parts[:size]).upper()
        if wanted in names:
            return names[wanted]
    return None


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
