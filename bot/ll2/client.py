"""HTTP client for Launch Library 2 (2.3.0): list endpoints with paging, one launch's detail, the throttle.

The bot owns one shared ``aiohttp.ClientSession``; the client borrows it. Every request except
``/api-throttle/`` is granted by the :class:`RequestBudget` first and logged there, so the hourly limit holds
whatever the caller does.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Generic
from urllib.parse import urlsplit, urlunsplit

import aiohttp

from bot.ll2 import records as r
from bot.ll2.budget import RequestBudget
from bot.ll2.records import BadResponseError, RecordT

log = logging.getLogger(__name__)

# LL2's largest page: one request for up to 100 records.
PAGE_LIMIT = 100
DEFAULT_TIMEOUT = aiohttp.ClientTimeout(total=30, connect=10)


class LL2Error(Exception):
    """LL2 could not be used this time."""


class LL2UnavailableError(LL2Error):
    """No answer, a timeout, or a 5xx: LL2 is down or overloaded."""


class LL2RateLimitedError(LL2Error):
    """A 429; ``retry_after`` seconds from LL2's ``Retry-After`` header when it sent one."""

    def __init__(self, message: str, retry_after: float | None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class LL2NotFoundError(LL2Error):
    """A 404 (e.g. a launch that LL2 deleted)."""


class BudgetExhaustedError(LL2Error):
    """Our own hourly budget has no request left; nothing was sent."""


@dataclass(frozen=True, slots=True)
class Throttle:
    """The ``/api-throttle/`` answer."""

    limit: int
    current_use: int
    next_use_secs: int
    frequency_secs: int


@dataclass(slots=True)
class ListResult(Generic[RecordT]):
    """The records of a list endpoint, possibly cut short.

    ``complete`` is True when the last page was reached; otherwise later records exist that were not read
    (page cap, budget, or a failure on a later page, kept in ``error``).
    """

    records: list[RecordT] = field(default_factory=list)
    seen_ids: set[str] = field(default_factory=set)
    complete: bool = True
    pages: int = 0
    skipped: int = 0
    error: LL2Error | None = None
    count: int | None = None  # LL2's own total for the list (first page's ``count``)
    received: int = 0  # results received, valid or not

    @property
    def clean(self) -> bool:
        """Read to the end with no failure, no bad record, and as many results as LL2 said the list has.

        Only such a list is trusted to say that many stored events are gone at once.
        """
        return (
            self.complete
            and self.error is None
            and self.skipped == 0
            and (self.count is None or self.count == self.received)
        )


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


class LL2Client:
    """Talks to one LL2 base URL (e.g. ``https://ll.thespacedevs.com/2.3.0``)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        *,
        budget: RequestBudget,
        now: Callable[[], datetime],
        api_key: str | None = None,
        timeout: aiohttp.ClientTimeout = DEFAULT_TIMEOUT,
    ) -> None:
        self.session = session
        self.base_url = base_url.rstrip("/")
        parts = urlsplit(self.base_url)
        self._origin = (parts.scheme, parts.netloc)
        self.budget = budget
        self._now = now
        self._api_key = api_key
        self._timeout = timeout

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Token {self._api_key}"
        return headers

    def _follow(self, next_url: str) -> str:
        # LL2 writes absolute "next" links; only their path and query are used, against our own base, so a
        # proxy's idea of the host (http vs https, another name) cannot send the key elsewhere.
        parts = urlsplit(next_url)
        return urlunsplit((*self._origin, parts.path, parts.query, ""))

    async def _get(self, url: str, params: Mapping[str, str] | None, *, counted: bool) -> Any:
        endpoint = urlsplit(url).path.removeprefix(urlsplit(self.base_url).path) or "/"
        row_id: int | None = None
        if counted:
            row_id = await self.budget.acquire(self._now(), endpoint)
            if row_id is None:
                raise BudgetExhaustedError(f"LL2 budget of {self.budget.per_hour}/h spent; {endpoint} not requested")
        status: int | None = None
        try:
            async with self.session.get(
                url, params=params, headers=self._headers(), timeout=self._timeout, allow_redirects=True
            ) as resp:
                status = resp.status
                body = await resp.read()
                retry_after = resp.headers.get("Retry-After")
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise LL2UnavailableError(f"{endpoint}: {type(exc).__name__}: {exc}") from None
        finally:
            if row_id is not None:
                await self.budget.record_status(row_id, status)
        if status == 429:
            raise LL2RateLimitedError(f"{endpoint}: 429 Too Many Requests", parse_retry_after(retry_after, self._now()))
        if status == 404:
            raise LL2NotFoundError(f"{endpoint}: 404")
        if status >= 500:
            raise LL2UnavailableError(f"{endpoint}: HTTP {status}")
        if status != 200:
            raise LL2Error(f"{endpoint}: HTTP {status}")
        try:
            return json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise BadResponseError(f"{endpoint}: response is not JSON") from None
        except RecursionError:
            raise BadResponseError(f"{endpoint}: response nested too deeply to be LL2 JSON") from None

    async def throttle(self) -> Throttle:
        """LL2's view of our budget; this request does not count against it."""
        payload = await self._get(f"{self.base_url}/api-throttle/", None, counted=False)
        item = payload[0] if isinstance(payload, list) and payload else payload
        try:
            return Throttle(
                limit=int(item["your_request_limit"]),
                current_use=int(item["current_use"]),
                next_use_secs=int(item["next_use_secs"]),
                frequency_secs=int(item.get("limit_frequency_secs", 3600)),
            )
        except (KeyError, TypeError, ValueError):
            raise BadResponseError("/api-throttle/: unexpected shape") from None

    async def fetch_list(
        self,
        path: str,
        params: Mapping[str, str],
        model: type[RecordT],
        *,
        max_pages: int,
        what: str,
    ) -> ListResult[RecordT]:
        """Read a list endpoint, following ``next`` for up to ``max_pages`` pages.

        A failure on the first page raises; a failure on a later page keeps what was read and sets ``error``.
        """
        result: ListResult[RecordT] = ListResult()
        url: str | None = f"{self.base_url}{path}"
        query: Mapping[str, str] | None = {"limit": str(PAGE_LIMIT), **params}
        while url is not None:
            if result.pages >= max_pages:
                result.complete = False
                break
            try:
                page = r.parse_page(await self._get(url, query, counted=True), model, what=what)
            except LL2Error as exc:
                if result.pages == 0:
                    raise
                result.complete, result.error = False, exc
                break
            except BadResponseError as exc:
                if result.pages == 0:
                    raise
                result.complete, result.error = False, LL2Error(str(exc))
                break
            if result.pages == 0:
                result.count = page.count
            result.pages += 1
            result.received += page.received
            result.records.extend(page.records)
            result.seen_ids |= page.seen_ids
            result.skipped += page.skipped
            url, query = (self._follow(page.next_url), None) if page.next_url else (None, None)
        return result

    async def launch_detail(self, launch_id: str) -> r.Launch | None:
        """One launch from ``/launches/<id>/`` (None when LL2 no longer has it)."""
        try:
            payload = await self._get(f"{self.base_url}/launches/{launch_id}/", {"mode": "detailed"}, counted=True)
        except LL2NotFoundError:
            return None
        return r.parse_record(payload, r.Launch, what=f"launch {launch_id}")
