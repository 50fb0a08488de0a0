"""A store that cannot be opened is one line naming the file or URL (password hidden) and what
to do, with exit code 1 (2 for a URL lpmsync does not support): never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.cli_helpers import run_cli


def config(tmp_path: Path, store: str) -> Path:
    path = tmp_path / "lpmsync.yaml"
    path.write_text(f"portfolio: {{name: T}}\nstore: {store}\n", encoding="utf-8")
    return path


def one_line_error(result_stderr: str) -> str:
    # Log lines (JSON outside a terminal) may precede it; the answer itself is one line.
    lines = [line for line in result_stderr.splitlines() if line.strip() and line[0] != "{"]
    assert "Traceback" not in result_stderr
    assert len(lines) == 1, result_stderr
    return lines[0]


def test_a_data_dir_that_cannot_be_created(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    path = config(tmp_path, f"{{data_dir: '{tmp_path / 'a-file' / 'data'}'}}")
    result = run_cli("status", "--config", str(path))
    assert result.returncode == 1
    line = one_line_error(result.stderr)
    assert str(tmp_path / "a-file" / "data") in line and "store.data_dir" in line


def test_a_read_only_database_file(tmp_path: Path) -> None:
    writable = config(tmp_path, f"{{data_dir: '{tmp_path}'}}")
    assert run_cli("db", "upgrade", "--config", str(writable)).returncode == 0
    # Opened read-only (chmod does not stop root, who runs CI containers).
    url = f"sqlite:///file:{tmp_path / 'lpmsync.db'}?mode=ro&uri=true"
    read_only = config(tmp_path, f"{{url: '{url}'}}")
    # cwd: the job locks of a URI filename are made relative to it (see store/locks.py)
    args = ("silence", "add", "--rule", "aging", "--until", "1h", "--config", str(read_only))
    result = run_cli(*args, cwd=tmp_path)
    assert result.returncode == 1
    line = one_line_error(result.stderr)
    assert "lpmsync.db" in line and "readonly" in line and "writable" in line


@pytest.mark.parametrize("command", [("config", "validate"), ("status",)])
def test_an_unsupported_url_scheme_names_the_supported_ones(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    path = config(tmp_path, "{url: 'mysql://root:hunter2pw@localhost/lpm'}")
    args = [*command, str(path)] if command[0] == "config" else [*command, "--config", str(path)]
    result = run_cli(*args)
    assert result.returncode == 2
    line = one_line_error(result.stderr)
    assert "store.url" in line and "mysql://" in line and "hunter2pw" not in line
    assert "postgresql+psycopg://" in line and "lpmsync[postgres]" in line


def test_an_unreachable_postgresql_hides_the_password(tmp_path: Path) -> None:
    path = config(tmp_path, "{url: 'postgresql://lpm:hunter2pw@127.0.0.1:1/lpm'}")
    result = run_cli("status", "--config", str(path))
    assert result.returncode == 1
    line = one_line_error(result.stderr)
    assert "127.0.0.1:1" in line and "hunter2pw" not in line and "server is up" in line


def test_digest_preview_into_an_unwritable_folder(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    path = config(tmp_path, f"{{data_dir: '{tmp_path / 'data'}'}}")
    out = tmp_path / "a-file" / "preview"
    result = run_cli("digest", "--dry-run", "--out", str(out), "--config", str(path))
    assert result.returncode == 1
    line = one_line_error(result.stderr)
    assert str(out) in line and "--out" in line
