"""Run the fake Discord and the bot as real OS processes, so a test can SIGKILL the bot and start it again.

    async with FakeProcess() as fake:                       # python -m tests.fakediscord --scene
        bot = BotProcess(fake, db_path=tmp_path / "t.sqlite3")
        await bot.start()                                   # python -m bot run, pointed at the fake
        await fake.control.slash("about", user_id=fake.scene["member"], guild_id=fake.scene["guild"])
        await bot.kill()                                    # SIGKILL: no clean-up runs
        await bot.start()                                   # same database, a fresh process

The bot's stdout and stderr go to a log file (``bot.log_path``) so a full pipe never blocks it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

import aiohttp

from .__main__ import READY_PREFIX

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 30.0
# An address nothing listens on: the bot's LL2 sync fails fast instead of reaching the real LL2.
NO_LL2 = "http://127.0.0.1:1/2.3.0"


class ControlRequestError(Exception):
    """The control interface refused a request (400) or the bot did not answer an interaction (409)."""


class ControlClient:
    """Async client for a fake's /_control/ endpoints (see README.md beside this file)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def request(self, method: str, path: str, body: Any = None, query: dict[str, Any] | None = None) -> Any:
        """One control call (path below /_control, e.g. "/ledger"); the parsed JSON answer."""
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120))
        params = {k: str(v) for k, v in (query or {}).items() if v is not None}
        async with self._session.request(method, self.base_url + path, json=body, params=params) as response:
            data = await response.json()
            if response.status >= 400:
                raise ControlRequestError(f"{method} {path}: {response.status} {data.get('error', data)}")
            return data

    # Shortcuts for what tests do most ------------------------------------------------------------

    async def slash(
        self,
        command: str,
        *,
        user_id: str | int,
        guild_id: str | int | None = None,
        channel_id: str | int | None = None,
        options: dict[str, Any] | None = None,
        timeout_s: float = 5.0,
    ) -> dict[str, Any]:
        """Run /command as user_id; options name users/channels/roles as {"user": id} etc. The outcome."""
        body = {
            "command": command,
            "user_id": str(user_id),
            "guild_id": None if guild_id is None else str(guild_id),
            "channel_id": None if channel_id is None else str(channel_id),
            "options": options or {},
            "timeout_s": timeout_s,
        }
        result: dict[str, Any] = await self.request("POST", "/slash", body)
        return result

    async def ledger(self, *, deliveries: bool = False) -> dict[str, Any]:
        """The delivery ledger's summary (and every delivery with deliveries=True)."""
        result: dict[str, Any] = await self.request("GET", "/ledger", query={"deliveries": 1 if deliveries else None})
        return result

    async def violations(self) -> list[dict[str, Any]]:
        """Every violation recorded so far."""
        result: list[dict[str, Any]] = await self.request("GET", "/violations")
        return result

    async def take_violations(self, kind: str | None = None, match: str | None = None) -> list[dict[str, Any]]:
        """Remove and return the violations of kind whose text matches the regex match."""
        result: list[dict[str, Any]] = await self.request("POST", "/violations/take", {"kind": kind, "match": match})
        return result

    async def fail(self, method: str, template: str, **fault: Any) -> dict[str, Any]:
        """Arm a fault: status (500/502/503/504 or "timeout"), after, times, for_s, hold_s, params."""
        result: dict[str, Any] = await self.request(
            "POST", "/faults", {"method": method, "template": template, **fault}
        )
        return result

    async def set_rate_limits(self, **limits: Any) -> dict[str, Any]:
        """global={"limit": 50, "per": 1}, default={...}, routes=[{"method", "template", "limit", "per"}]."""
        result: dict[str, Any] = await self.request("PUT", "/ratelimits", limits)
        return result

    async def traffic(self, since: float | None = None) -> dict[str, Any]:
        """Requests by route, peak requests per second, 429s by scope, a per-second timeline."""
        result: dict[str, Any] = await self.request("GET", "/traffic", query={"since": since})
        return result

    async def requests(self, method: str | None = None, template: str | None = None) -> list[dict[str, Any]]:
        """Recorded requests (no bodies): method, path, template, status, fault, at, rate_limit_scope."""
        result: list[dict[str, Any]] = await self.request(
            "GET", "/requests", query={"method": method, "template": template}
        )
        return result

    async def gateway(self) -> dict[str, int]:
        """identifies, resumes and live_sessions."""
        result: dict[str, int] = await self.request("GET", "/gateway")
        return result

    async def wait_for(self, check: Callable[[], Any], timeout_s: float, what: str) -> None:
        """Poll the async check() every 50 ms until it returns true."""
        deadline = time.monotonic() + timeout_s
        while not await check():
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what} within {timeout_s}s")
            await asyncio.sleep(0.05)


class FakeProcess:
    """``python -m tests.fakediscord`` in its own process; ``control`` drives it."""

    def __init__(self, *, scene: bool = True, global_limit: int | None = None, token: str | None = None) -> None:
        self.scene_wanted = scene
        self.global_limit = global_limit
        self.token = token  # a distinctive token lets a test grep logs for it (default: the fake's own)
        self.process: asyncio.subprocess.Process | None = None
        self.info: dict[str, Any] = {}
        self.control = ControlClient("http://127.0.0.1:1/_control")
        self.output = ""

    @property
    def scene(self) -> dict[str, str]:
        """Ids of the standard scene: guild, general, announcements, forum, readonly, member, moderator, admin..."""
        scene: dict[str, str] | None = self.info.get("scene")
        if scene is None:
            raise RuntimeError("the fake was started without --scene")
        return scene

    async def start(self) -> None:
        """Start the process and wait for its ready line."""
        args = [sys.executable, "-m", "tests.fakediscord", "--port", "0"]
        if self.scene_wanted:
            args.append("--scene")
        if self.global_limit is not None:
            args += ["--global-limit", str(self.global_limit)]
        if self.token is not None:
            args += ["--token", self.token]
        self.process = await asyncio.create_subprocess_exec(
            *args, cwd=REPO, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
        assert self.process.stdout is not None
        async with asyncio.timeout(START_TIMEOUT_S):
            while True:
                line = (await self.process.stdout.readline()).decode()
                if not line:
                    raise RuntimeError(f"the fake exited before it was ready:\n{self.output}")
                self.output += line
                if line.startswith(READY_PREFIX):
                    self.info = json.loads(line.removeprefix(READY_PREFIX))
                    break
        self.control = ControlClient(self.info["control_url"])

    async def stop(self) -> str:
        """SIGTERM, then the process's whole output (it prints every violation on the way out)."""
        await self.control.close()
        if self.process is None:
            return self.output
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            out, _ = await asyncio.wait_for(self.process.communicate(), 20)
        except TimeoutError:
            self.process.kill()
            out, _ = await self.process.communicate()
        self.output += out.decode()
        return self.output

    async def __aenter__(self) -> FakeProcess:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()


class BotProcess:
    """``python -m bot run`` as a real OS process pointed at a FakeProcess (token, database, URLs from env)."""

    def __init__(self, fake: FakeProcess, db_path: Path, *, env: dict[str, str] | None = None) -> None:
        self.fake = fake
        self.db_path = db_path
        self.extra_env = env or {}
        self.log_path = db_path.with_suffix(".bot.log")
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0

    def environment(self) -> dict[str, str]:
        """The shell's environment without any T-Minus setting, plus the fake's URLs and token."""
        from tests.cli_env import clean_env

        info = self.fake.info
        defaults = {
            "DISCORD_TOKEN": info["token"],
            "TMINUS_DB_PATH": str(self.db_path),
            "DISCORD_API_URL": info["base_url"],
            "DISCORD_GATEWAY_URL": info["gateway_url"],
            "LL2_BASE_URL": NO_LL2,
            "OWNER_IDS": info["owner_id"],
            "DEFAULT_TIMEZONE": "UTC",
            "LOG_LEVEL": "INFO",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        }
        return clean_env(**(defaults | self.extra_env))  # env= given to the launcher wins over the defaults

    @property
    def running(self) -> bool:
        """Whether the process is alive."""
        return self.process is not None and self.process.returncode is None

    @property
    def log(self) -> str:
        """Everything the bot printed, over every start."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    async def start(self, timeout_s: float = START_TIMEOUT_S) -> None:
        """Start the bot and wait until it has identified on the fake's gateway (a fresh session)."""
        if self.running:
            raise RuntimeError("the bot is already running")
        before = (await self.fake.control.gateway())["identifies"]
        with self.log_path.open("ab") as log:
            log.write(f"--- start {self.starts + 1} ---\n".encode())
            log.flush()
            # cwd is the database's folder, so a developer's .env in the repository is never read.
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "run",
                cwd=self.db_path.parent,
                env=self.environment(),
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
            )
        self.starts += 1

        async def identified() -> bool:
            if not self.running:
                raise RuntimeError(f"the bot exited with {self.returncode} before it was ready:\n{self.log}")
            gateway = await self.fake.control.gateway()
            return gateway["identifies"] > before and gateway["live_sessions"] > 0

        await self.fake.control.wait_for(identified, timeout_s, "the bot did not identify on the fake's gateway")

    @property
    def returncode(self) -> int | None:
        """The exit status once it ended (-9 after kill())."""
        return None if self.process is None else self.process.returncode

    async def kill(self) -> None:
        """SIGKILL: the process dies at once, mid-whatever, with no clean-up."""
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)
            await self.process.wait()

    async def stop(self, timeout_s: float = 10.0) -> None:
        """SIGTERM, then SIGKILL if it lingers."""
        if self.process is None or self.process.returncode is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), timeout_s)
        except TimeoutError:
            await self.kill()

    async def __aenter__(self) -> BotProcess:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        with contextlib.suppress(ProcessLookupError):
            await self.stop()
