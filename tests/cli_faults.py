"""Running ``python -m bot`` as an operator would, for fault tests: one-line errors, no traceback, sound files.

``run_cli`` can drop root's power to ignore file permissions (CI runs as root), so that a read-only file or
an unreadable folder is as unreadable to the bot as it would be to an ordinary user.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Result:
    """What a CLI run printed and returned."""

    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        """The non-empty lines on stderr."""
        return [line for line in self.err.splitlines() if line.strip()]


def without_root_override() -> list[str]:
    """A command prefix that makes file permissions apply even when the tests run as root."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    assert setpriv is not None, "running as root needs util-linux's setpriv to drop CAP_DAC_OVERRIDE"
    return [setpriv, "--inh-caps=-all", "--bounding-set=-all"]


def run_cli(
    *args: str, env: dict[str, str], as_user: bool = False, timeout: float = 60, stdin: str | None = None
) -> Result:
    """``python -m bot ARGS`` in the repository; ``as_user``: with file permissions enforced even for root."""
    prefix = without_root_override() if as_user else []
    proc = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [*prefix, sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        input=stdin,
        check=False,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def assert_one_line_error(result: Result, *needles: str) -> str:
    """Exit status 2, exactly one line on stderr starting ``error:``, no traceback; returns the line."""
    assert "Traceback" not in result.err, result.err
    assert result.code == 2, (result.code, result.out, result.err)
    assert len(result.err_lines) == 1, result.err
    line = result.err_lines[0]
    assert line.startswith("error: "), line
    for needle in needles:
        assert needle in line, line
    return line


def integrity_ok(path: Path) -> bool:
    """``PRAGMA integrity_check`` says ok (a file that does not exist is trivially sound)."""
    if not path.exists():
        return True
    with sqlite3.connect(path) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


# A second process that takes the database's write lock and keeps it until its stdin closes.
_HOLD_LOCK = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
conn.execute("INSERT INTO bot_state (key, value) VALUES ('lock-holder', '1') ON CONFLICT (key) DO NOTHING")
print("held", flush=True)
sys.stdin.read()
conn.rollback()
"""


class WriteLockHolder:
    """Another process holding ``BEGIN IMMEDIATE`` on a database, as a running bot or a sync mid-write does."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> WriteLockHolder:
        self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter
            [sys.executable, "-c", _HOLD_LOCK, str(self.path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        assert self.proc.stdout.readline().strip() == "held"
        return self

    def release(self) -> None:
        """Roll back and end the holder."""
        if self.proc is not None and self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            self.proc.wait(timeout=10)

    def __exit__(self, *_: object) -> None:
        self.release()
