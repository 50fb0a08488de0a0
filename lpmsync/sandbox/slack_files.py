"""The sandbox Slack's file upload: get an upload URL, POST the bytes to it, complete the upload.

The upload URL points back at the server the client is talking to (taken from the request's
Host header), so the flow works on whatever loopback port the sandbox was given.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from lpmsync.sandbox.http import Request, Response
from lpmsync.sandbox.slack_records import (
    SlackChannel,
    SlackError,
    SlackEvent,
    SlackFile,
    WorkspaceState,
)

ChannelLookup = Callable[[str], SlackChannel]


class FileMethods:
    def __init__(
        self,
        state: WorkspaceState,
        lock: threading.Lock,
        member_channel: ChannelLookup,
        next_id: Callable[[], str],
    ) -> None:
        self._state = state
        self._lock = lock
        self._member_channel = member_channel
        self._next_id = next_id

    def get_upload_url(self, params: dict[str, Any]) -> dict[str, Any]:
        filename = str(params.get("filename") or "")
        try:
            length = int(params.get("length") or 0)
        except (TypeError, ValueError):
            length = 0
        if not filename or length < 1:
            raise SlackError("invalid_arguments")
        with self._lock:
            file_id = self._next_id()
            self._state.files[file_id] = SlackFile(file_id, filename, length)
        upload_url = f"http://{params['_host']}/upload/v1/{file_id}"
        return {"upload_url": upload_url, "file_id": file_id}

    def receive_bytes(self, request: Request) -> Response:
        file_id = request.params["file_id"]
        with self._lock:
            known = self._state.files.get(file_id)
            if known is None or known.completed:
                return Response(404, "not found", content_type="text/plain")
            self._state.files[file_id] = replace(known, content=request.body)
        return Response(200, f"OK - {len(request.body)}", content_type="text/plain")

    def complete_upload(self, params: dict[str, Any]) -> dict[str, Any]:
        wanted = _file_list(params.get("files"))
        channel_id = params.get("channel_id") or None
        thread_ts = params.get("thread_ts") or None
        comment = params.get("initial_comment") or None
        with self._lock:
            channel = self._member_channel(str(channel_id)) if channel_id else None
            found = [self._uploaded(str(item.get("id") or "")) for item in wanted]
            done = []
            for item, file in zip(wanted, found, strict=True):
                title = item.get("title") or file.filename
                shared = replace(
                    file,
                    title=title,
                    channel=channel.id if channel else None,
                    thread_ts=thread_ts,
                    initial_comment=comment,
                    completed=True,
                )
                self._state.files[file.id] = shared
                where = channel.id if channel else ""
                self._state.events.append(SlackEvent("upload", where, file.id, thread_ts))
                done.append({"id": file.id, "title": title, "name": file.filename})
        return {"files": done}

    def _uploaded(self, file_id: str) -> SlackFile:
        file = self._state.files.get(file_id)
        if file is None or file.completed or not file.content:
            raise SlackError("file_not_found")
        if len(file.content) != file.length:
            raise SlackError("invalid_arguments")
        return file


def _file_list(value: Any) -> list[dict[str, Any]]:
    """`files` arrives as a JSON string in form bodies and as a list in JSON bodies."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise SlackError("invalid_arguments") from None
    if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
        raise SlackError("invalid_arguments")
    return value
