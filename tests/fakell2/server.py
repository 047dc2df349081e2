"""A fake Launch Library 2.3.0 on 127.0.0.1: LL2-shaped lists with paging, a throttle, faults on demand.

It counts requests like LL2 does (``/api-throttle/`` is free) by the injected clock, answers 429 past the
hourly limit and records every request, so a test can prove the bot never went over budget. Every query is
checked against the parameters the vendored 2.3.0 document declares (an unknown filter gets a 400 and is kept
in ``query_errors``: the real API would silently ignore it and answer the unfiltered list).

The launch list implements the filters the bot uses: ``id`` (comma-separated), ``hide_recent_previous`` (hides
launches with a final status; without it they stay listed for 24 h after their NET, as LL2 documents) and
``mode=detailed`` (a listed launch gains its ``vid_urls``, from ``details`` when the test set one). The event
list implements ``id``, ``type__ids`` and ``hide_recent_previous`` (events whose date has passed are hidden;
without it those of the last 24 h stay listed).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web

from tests.fakell2.spec import query_errors

DATA = Path(__file__).resolve().parents[1] / "data" / "ll2"
PREFIX = "/2.3.0"
# LL2 status ids of a launch that is over: Success, Failure, Partial Failure, Payload Deployed.
FINAL_STATUS_IDS = frozenset({3, 4, 7, 9})
RECENT = timedelta(hours=24)


def load_fixture(name: str) -> Any:
    """A fixture file from tests/data/ll2."""
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@dataclass
class Seen:
    """One request the fake received."""

    path: str
    query: dict[str, str]
    authorization: str | None
    at: datetime
    counted: bool
    status: int = 200


@dataclass
class Fault:
    """A canned bad answer for the next request whose path contains ``path`` (any path when empty).

    ``after`` matching requests are answered normally first (e.g. ``after=1``: the second page fails).
    With ``until`` the fault is an outage: it answers every matching request until the clock reaches ``until``.
    """

    status: int = 500
    body: str = "<html><body>502 Bad Gateway</body></html>"
    headers: dict[str, str] = field(default_factory=dict)
    path: str = ""
    content_type: str = "text/html"
    after: int = 0
    until: datetime | None = None


class FakeLL2:
    """The fake server; set ``launches``/``events``/``dockings``/``details`` to what LL2 should say."""

    def __init__(self, clock: Callable[[], datetime], *, limit_per_hour: int = 15) -> None:
        self.clock = clock
        self.limit_per_hour = limit_per_hour
        self.launches: list[dict[str, Any]] = copy.deepcopy(load_fixture("launches.json")["results"])
        self.events: list[dict[str, Any]] = copy.deepcopy(load_fixture("events.json")["results"])
        self.dockings: list[dict[str, Any]] = copy.deepcopy(load_fixture("docking_events.json")["results"])
        self.details: dict[str, dict[str, Any]] = {}
        for path in DATA.glob("launch_detail_*.json"):
            detail = json.loads(path.read_text(encoding="utf-8"))
            self.details[detail["id"]] = detail
        self.max_limit = 100
        self.faults: list[Fault] = []
        self.seen: list[Seen] = []
        self.rate_limited = 0
        self.query_errors: list[str] = []
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    # -- lifecycle -----------------------------------------------------------------------------------------

    async def start(self) -> str:
        """Listen on a random port; returns the base URL (``http://127.0.0.1:PORT/2.3.0``)."""
        app = web.Application()
        app.router.add_get(f"{PREFIX}/api-throttle/", self._throttle)
        app.router.add_get(f"{PREFIX}/launches/upcoming/", self._launches)
        app.router.add_get(f"{PREFIX}/launches/{{id}}/", self._launch_detail)
        app.router.add_get(f"{PREFIX}/events/upcoming/", self._events)
        app.router.add_get(f"{PREFIX}/docking_events/", self._dockings)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}{PREFIX}"
        return self.base_url

    async def close(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()

    # -- helpers for tests ---------------------------------------------------------------------------------

    @property
    def counted(self) -> list[Seen]:
        """Requests that count against the hourly limit."""
        return [s for s in self.seen if s.counted]

    def max_in_any_hour(self) -> int:
        """The most counted requests in any rolling hour [t, t + 1 h)."""
        times = sorted(s.at for s in self.counted)
        best = 0
        for i, start in enumerate(times):
            best = max(best, sum(1 for t in times[i:] if t < start + timedelta(hours=1)))
        return best

    def launch(self, launch_id: str) -> dict[str, Any]:
        """The listed launch with that id (to edit it in place)."""
        return next(x for x in self.launches if x["id"] == launch_id)

    # -- handlers ------------------------------------------------------------------------------------------

    def _used(self, now: datetime) -> list[datetime]:
        return sorted(s.at for s in self.counted if s.at > now - timedelta(hours=1) and s.status != 429)

    def _record(self, request: web.Request, *, counted: bool) -> Seen:
        seen = Seen(request.path, dict(request.query), request.headers.get("Authorization"), self.clock(), counted)
        self.seen.append(seen)
        return seen

    def _gate(self, request: web.Request) -> web.Response | None:
        seen = self._record(request, counted=True)
        route = request.match_info.route.resource
        wrong = query_errors(route.canonical if route is not None else request.path, request.query)
        if wrong:
            self.query_errors.extend(wrong)
            seen.status = 400
            return web.json_response({"detail": "; ".join(wrong)}, status=400)
        used = self._used(seen.at)
        if len(used) > self.limit_per_hour:
            self.rate_limited += 1
            seen.status = 429
            wait = int((used[0] + timedelta(hours=1) - seen.at).total_seconds()) + 1
            return web.json_response(
                {"detail": f"Request was throttled. Expected available in {wait} seconds."},
                status=429,
                headers={"Retry-After": str(wait)},
            )
        self.faults = [f for f in self.faults if f.until is None or seen.at < f.until]
        for i, fault in enumerate(self.faults):
            if fault.path in request.path:
                if fault.after > 0:
                    fault.after -= 1
                    break
                if fault.until is None:
                    del self.faults[i]
                seen.status = fault.status
                return web.Response(
                    status=fault.status, text=fault.body, headers=fault.headers, content_type=fault.content_type
                )
        return None

    async def _throttle(self, request: web.Request) -> web.Response:
        seen = self._record(request, counted=False)
        for fault in self.faults:
            if fault.until is not None and seen.at < fault.until and fault.path in request.path:
                seen.status = fault.status  # an outage takes the throttle endpoint down too
                return web.Response(
                    status=fault.status, text=fault.body, headers=fault.headers, content_type=fault.content_type
                )
        used = self._used(seen.at)
        wait = int((used[0] + timedelta(hours=1) - seen.at).total_seconds()) if len(used) >= self.limit_per_hour else 0
        return web.json_response(
            [
                {
                    "your_request_limit": self.limit_per_hour,
                    "limit_frequency_secs": 3600,
                    "current_use": len(used),
                    "next_use_secs": max(0, wait),
                    "ident": "127.0.0.1",
                }
            ]
        )

    def _paged(self, request: web.Request, items: list[dict[str, Any]]) -> web.Response:
        limit = min(int(request.query.get("limit", "10")), self.max_limit)
        offset = int(request.query.get("offset", "0"))
        page = items[offset : offset + limit]
        nxt = None
        if offset + limit < len(items):
            query = dict(request.query) | {"limit": str(limit), "offset": str(offset + limit)}
            nxt = str(request.url.with_query(query))
        prev = None
        if offset > 0:
            prev = str(request.url.with_query(dict(request.query) | {"offset": str(max(0, offset - limit))}))
        return web.json_response({"count": len(items), "next": nxt, "previous": prev, "results": page})

    async def _launches(self, request: web.Request) -> web.Response:
        if (fault := self._gate(request)) is not None:
            return fault
        query = request.query
        items = self.launches
        if "id" in query:
            wanted = set(query["id"].split(","))
            items = [x for x in items if x["id"] in wanted]
        now = self.clock()
        hide = query.get("hide_recent_previous", "false").lower() == "true"
        items = [x for x in items if _listed(x, now, hide=hide)]
        if query.get("mode") == "detailed":
            items = [self._detailed(x) for x in items]
        # str(): a fault test may put any JSON type in "net".
        return self._paged(request, sorted(items, key=lambda x: str(x.get("net") or "")))

    def _detailed(self, launch: dict[str, Any]) -> dict[str, Any]:
        if "vid_urls" in launch:
            return launch
        detail = self.details.get(launch["id"], {})
        return launch | {"vid_urls": detail.get("vid_urls", [])}

    async def _launch_detail(self, request: web.Request) -> web.Response:
        if (fault := self._gate(request)) is not None:
            return fault
        launch_id = request.match_info["id"]
        detail = self.details.get(launch_id)
        if detail is None:
            listed = [x for x in self.launches if x["id"] == launch_id]
            if not listed:
                self.seen[-1].status = 404
                return web.json_response({"detail": "No Launch matches the given query."}, status=404)
            detail = listed[0]
        return web.json_response(detail)

    async def _events(self, request: web.Request) -> web.Response:
        if (fault := self._gate(request)) is not None:
            return fault
        query = request.query
        items = self.events
        if "id" in query:
            ids = {int(i) for i in query["id"].split(",")}
            items = [e for e in items if e.get("id") in ids]  # .get: a fault test may have removed any field
        if "type__ids" in query:
            wanted = {int(t) for t in query["type__ids"].split(",")}
            items = [e for e in items if isinstance(e.get("type"), dict) and e["type"].get("id") in wanted]
        # Upcoming events: those of the last 24 h too, unless hidden (as LL2 documents the parameter).
        now = self.clock()
        earliest = now if query.get("hide_recent_previous", "false").lower() == "true" else now - RECENT
        items = [e for e in items if e.get("date") is None or _parse(e["date"]) >= earliest]
        return self._paged(request, sorted(items, key=lambda e: e.get("date") or ""))

    async def _dockings(self, request: web.Request) -> web.Response:
        if (fault := self._gate(request)) is not None:
            return fault
        items = self.dockings
        if "docking__gte" in request.query:
            since = _parse(request.query["docking__gte"])
            # One whose date a fault test removed is listed as it is, like a broken launch.
            items = [d for d in items if not isinstance(d.get("docking"), str) or _parse(d["docking"]) >= since]
        return self._paged(request, sorted(items, key=lambda d: str(d.get("docking") or "")))


def _listed(launch: dict[str, Any], now: datetime, *, hide: bool) -> bool:
    """Whether the upcoming list shows a launch; one with fields a fault test broke is shown as it is."""
    try:
        return not _over(launch) or (not hide and _parse(launch["net"]) >= now - RECENT)
    except (AttributeError, TypeError, ValueError, KeyError):
        return True


def _over(launch: dict[str, Any]) -> bool:
    status = launch.get("status") or {}
    return status.get("id") in FINAL_STATUS_IDS


class FakeClock:
    """A settable clock for the bot and the fake server alike."""

    def __init__(self, start: datetime) -> None:
        self.value = start.astimezone(UTC)

    def __call__(self) -> datetime:
        return self.value

    def advance(self, delta: timedelta) -> datetime:
        """Move forward and return the new time."""
        self.value += delta
        return self.value

    def set(self, when: datetime) -> None:
        """Jump to ``when``."""
        self.value = when.astimezone(UTC)
