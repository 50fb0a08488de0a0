"""Commands imported when they run, so `lpmsync --version`, `status` and `report` never pay for
matplotlib, the tracker SDKs, Slack, the scheduler or the sandbox.

Each command is named by "module:attribute": a function becomes a command, a `typer.Typer` a group.
`lpmsync --help` lists every command and so imports them all; running one imports only its module.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping
from typing import Any

import typer
import typer.main
from typer.core import TyperGroup

LAZY_COMMANDS_KEY = "lpmsync_lazy_commands"


def lazy_typer(commands: Mapping[str, str], **options: Any) -> typer.Typer:
    """A Typer app whose subcommands, given as name -> "module:attribute", load on first use."""
    group_class = type("LazyGroup", (LazyGroup,), {"lazy_commands": dict(commands)})
    return typer.Typer(cls=group_class, **options)


class LazyGroup(TyperGroup):
    """A Typer group that resolves its subcommands from `lazy_commands` when asked for them."""

    lazy_commands: dict[str, str] = {}  # noqa: RUF012 (set per subclass by lazy_typer)

    def list_commands(self, ctx: Any) -> list[str]:
        return [*self.commands, *(name for name in self.lazy_commands if name not in self.commands)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands and cmd_name in self.lazy_commands:
            self.commands[cmd_name] = load_command(cmd_name, self.lazy_commands[cmd_name])
        return self.commands.get(cmd_name)


def load_command(name: str, target: str) -> Any:
    """The click command for "module:attribute" (a command function or a Typer group)."""
    module_name, _, attribute = target.partition(":")
    value = getattr(importlib.import_module(module_name), attribute)
    command: Any
    if isinstance(value, typer.Typer):
        command = typer.main.get_group(value)
        command.name = name
    else:
        single = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
        single.command(name)(value)
        command = typer.main.get_command(single)
    command.short_help = summary_line(command.help or "")
    return command


def summary_line(help_text: str) -> str:
    """The first sentence of a command's help, on one line: the `--help` listing would keep the
    docstring's line breaks mid-sentence otherwise, and list every caveat of every command."""
    paragraph = " ".join(help_text.strip().split("\n\n", 1)[0].split())
    return _SENTENCE_END.split(paragraph, maxsplit=1)[0].rstrip(".") + "."


_SENTENCE_END = re.compile(r"(?<=[a-z)])\.\s+(?=[A-Z])")
