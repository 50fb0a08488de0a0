"""Fixtures shared by the integration tests that talk to the sandbox Slack server.

A test module provides a module-scoped `shared_sandbox` (a `SlackWorkspace` served by a
`SandboxServer`); these give each test a clean workspace and the server behind it.
"""

from __future__ import annotations

import pytest

from lpmsync.sandbox.http import SandboxServer
from lpmsync.sandbox.knobs import Knobs
from lpmsync.sandbox.slack import SlackWorkspace


@pytest.fixture
def workspace(shared_sandbox: tuple[SlackWorkspace, SandboxServer]) -> SlackWorkspace:
    """The module's workspace, emptied, with the server's log cleared and its faults off."""
    workspace, server = shared_sandbox
    workspace.reset()
    server.log.clear()
    server.knobs = Knobs()
    return workspace


@pytest.fixture
def server(
    shared_sandbox: tuple[SlackWorkspace, SandboxServer], workspace: SlackWorkspace
) -> SandboxServer:
    return shared_sandbox[1]
