"""When to ask LL2 next: often where a slip would make an alert wrong, rarely elsewhere, never over budget.

Two kinds of refresh share the rolling-hour budget (``LL2_REQUESTS_PER_HOUR``):

- a **regular sync** reads one page of each list (launches, dockings, events: 3 requests) and may spend
  spare requests on launch details;
- a **focused poll** reads only the *imminent* items of one feed, in one request (the launches by their ids,
  the station events by their ids, or the docking list), while a timed milestone (Minute/Hour precision or
  finer) lies within ``FOCUS_AHEAD`` ahead or ``FOCUS_AFTER`` past (``HOLD_AFTER`` while on Hold: a new T-0 is
  coming) and its launch is not yet In Flight or final.

The window is chosen by the first row of :data:`WINDOWS` that applies; its shares of the hourly budget give
the intervals (``cost * 3600 s / (share * per_hour)``). At the free 15 requests/hour:

=============================================  ============  ============  ================  ===============
window (first row that applies)                regular share focused share regular (3 req)   focused (1 req)
=============================================  ============  ============  ================  ===============
focused: timed, 2 h ahead .. 10 min past (*)   20 %          80 %          60 min            5 min
soon: a milestone within 2 h (or just passed)  60 %          --            20 min            --
today: a milestone within 24 h                 20 %          --            60 min            --
idle: later, or nothing                        10 %          --            120 min           --
=============================================  ============  ============  ================  ===============

(*) 1 h past while the launch is on Hold. Precisions coarser than Day do not count as a milestone here;
"focused" also applies to the regular share from an hour before a focus starts, so that a burst of
regular syncs does not take the slots its polls need. A regular sync reads the launch list too, so it
takes the place of one focused poll: near T-0 an hour holds about 11 polls and one regular sync (14
requests), which leaves one for a launch detail or a retry; other details wait until no focus needs the
budget. The budget itself (``RequestBudget``) is the hard limit; these shares only decide where the
requests go. With an API key (a higher limit) the same shares give proportionally shorter intervals,
never below ``MIN_INTERVAL`` / ``MIN_FOCUS_INTERVAL``.

**Several feeds imminent at once** (a launch and a spacewalk, an undocking and a docking) share the focus
share: polls stay one request every focus interval (5 min at 15/hour, the budget of a launch alone), and each
poll reads the feed whose read is due first (:func:`pick_feed`). A feed is due one interval after its last
read while one of its imminent items is within ``URGENT`` (30 min) of T-0 or past it, ``RELAXED_POLLS``
intervals after it otherwise (its T-0 further out), ``RIDER_POLLS`` when it only carries launches past T-0
riding along; ties go to the feed with an imminent item, then the nearest milestone. So the polls alternate
(each feed every 10 min) while both are far; the item closest to T-0 gets three polls of four (gaps of 5, 5,
5, 10 min) while the other's is further out (every 20 min); two items both within 30 min alternate again.
In the terminal count (``TERMINAL``: the last 10 min before T-0, and for a launch the 10 min after it until
it is In Flight) a feed takes every poll, so a last-minute slip is seen, and a liftoff confirmed, within 5
min; the other feed waits (up to 25 min: a launch's 20-minute terminal count and a poll) unless it is in its
terminal count too (then they alternate).
A station event whose time has passed is resolved (happened) at its feed's next turn.
A regular sync reads every feed, so it counts as a read of each. Spending one request a slot, rather than
one request per feed in one cycle at a longer interval, keeps a lone imminent item at 5 minutes and gives the
item nearest its T-0, where a slip most often makes an alert wrong, most of the slots.

The loop also wakes early: a focused poll is due the moment a timed milestone enters the focused window, and
a regular sync the moment a coarser one enters the 2 h window. Failures back off 1, 2, 4 ... 60 minutes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

SOON = timedelta(hours=2)
TODAY = timedelta(hours=24)
FOCUS_AHEAD = SOON
# A few minutes past T-0 still count: a hold or a late status at liftoff is when an alert can be wrong.
FOCUS_AFTER = timedelta(minutes=10)
# A launch held at T-0 gets its new T-0 any minute: it stays in focus longer (not for ever: LL2 may lag).
HOLD_AFTER = timedelta(hours=1)
MIN_INTERVAL = timedelta(minutes=2)
MAX_INTERVAL = timedelta(hours=6)
MIN_FOCUS_INTERVAL = timedelta(minutes=1)
# With several feeds imminent: an item this close to T-0 (or past it) wants its feed read every poll ...
URGENT = timedelta(minutes=30)
# ... and one within this of its T-0, either side, is read at every poll before any other feed (a liftoff is
# confirmed, or a last-minute slip seen, only in these minutes).
TERMINAL = FOCUS_AFTER
RELAXED_POLLS = 3  # ... one further out every third poll at least
RIDER_POLLS = 6  # ... and launches past T-0 riding along (no imminent item of the feed) every sixth
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Window:
    """One row of the schedule: when it applies, and the shares of the hourly budget it gives each refresh."""

    name: str
    ahead: timedelta | None  # the next milestone is at most this far ahead (None: always applies)
    regular_share: float
    focused_share: float = 0.0


FOCUSED = Window("focused", FOCUS_AHEAD, regular_share=0.2, focused_share=0.8)
WINDOWS = (
    FOCUSED,
    Window("soon", SOON, regular_share=0.6),
    Window("today", TODAY, regular_share=0.2),
    Window("idle", None, regular_share=0.1),
)


def window_for(next_at: datetime | None, now: datetime, *, focused: bool = False) -> Window:
    """The row that applies: ``focused`` when imminent timed items exist, else by the next milestone
    (``None``: nothing known; a milestone already passed counts as now)."""
    if focused:
        return FOCUSED
    ahead = None if next_at is None else max(next_at - now, timedelta(0))
    for window in WINDOWS[1:]:
        if window.ahead is None or (ahead is not None and ahead <= window.ahead):
            return window
    raise AssertionError("the last window applies always")  # pragma: no cover


def _spread(cost: int, share: float, per_hour: int) -> timedelta:
    return timedelta(seconds=cost * 3600 / (share * per_hour))


def interval_for(
    next_at: datetime | None, now: datetime, *, per_hour: int, cost: int, focused: bool = False
) -> timedelta:
    """The interval between regular syncs."""
    window = window_for(next_at, now, focused=focused)
    return min(MAX_INTERVAL, max(MIN_INTERVAL, _spread(cost, window.regular_share, per_hour)))


def focus_interval(*, per_hour: int, cost: int) -> timedelta:
    """The interval between focused polls that cost ``cost`` requests each."""
    return min(MAX_INTERVAL, max(MIN_FOCUS_INTERVAL, _spread(cost, FOCUSED.focused_share, per_hour)))


def next_sync_at(
    next_at: datetime | None,
    now: datetime,
    *,
    per_hour: int,
    cost: int,
    focused: bool = False,
    next_timed: datetime | None = None,
) -> datetime:
    """The next regular sync: one interval ahead, or earlier when a coarse milestone enters the 2 h window.

    A timed milestone (``next_timed``) entering the window needs no early regular sync: the focused poll
    wakes for it.
    """
    due = now + interval_for(next_at, now, per_hour=per_hour, cost=cost, focused=focused)
    timed_first = next_timed is not None and next_timed == next_at
    if next_at is not None and next_at - SOON > now and not timed_first:
        due = min(due, max(now + MIN_INTERVAL, next_at - SOON))
    return due


def focus_starts_at(next_timed: datetime | None) -> datetime | None:
    """When the next timed milestone enters the focused window (the early wake); None: none is known."""
    return None if next_timed is None else next_timed - FOCUS_AHEAD


def in_focus(at: datetime, now: datetime, *, on_hold: bool = False) -> bool:
    """Whether a timed milestone at ``at`` is imminent: at most ``FOCUS_AHEAD`` ahead, ``FOCUS_AFTER`` past
    (``HOLD_AFTER`` when its launch is on Hold)."""
    return now - (HOLD_AFTER if on_hold else FOCUS_AFTER) <= at <= now + FOCUS_AHEAD


def next_focus_at(last_read: datetime | None, now: datetime, *, per_hour: int, cost: int, failures: int) -> datetime:
    """The next focused poll: one focus interval after the imminent items were last read (by a poll or a
    regular sync), later after failures."""
    interval = focus_interval(per_hour=per_hour, cost=cost)
    due = now if last_read is None else max(now, last_read + interval)
    if failures > 0:
        due = max(due, now + backoff(failures))
    return due


@dataclass(frozen=True, slots=True)
class FocusFeed:
    """One feed a focused poll could read: when it was last read, and its nearest imminent milestone."""

    name: str
    last_read: datetime | None
    nearest: datetime | None  # None: no imminent item, only launches past T-0 riding along


def feed_due(feed: FocusFeed, now: datetime, *, per_hour: int) -> datetime:
    """When ``feed`` wants its next read (see the module docstring); never read: at once."""
    if feed.last_read is None:
        return datetime.min.replace(tzinfo=now.tzinfo)
    polls = RELAXED_POLLS
    if feed.nearest is None:
        polls = RIDER_POLLS
    elif feed.nearest - now <= URGENT:
        polls = 1
    interval: timedelta = focus_interval(per_hour=per_hour, cost=1) * polls
    return feed.last_read + interval


def terminal(feed: FocusFeed, now: datetime) -> bool:
    """Whether ``feed`` holds an item in its terminal count: at most ``TERMINAL`` before its T-0, or (a launch
    not yet known to fly) at most ``TERMINAL`` past it."""
    if feed.nearest is None:
        return False
    after = TERMINAL if feed.name == "launches" else timedelta(0)
    return -after <= feed.nearest - now <= TERMINAL


def pick_feed(feeds: Sequence[FocusFeed], now: datetime, *, per_hour: int) -> FocusFeed:
    """The feed the next focused poll reads: one in its terminal count first, else the one due first; ties go
    to a feed with an imminent item, then to the nearest milestone, then to the order given (launches first)."""
    never = datetime.max.replace(tzinfo=now.tzinfo)

    def key(indexed: tuple[int, FocusFeed]) -> tuple[bool, datetime, bool, datetime, int]:
        index, feed = indexed
        due = feed_due(feed, now, per_hour=per_hour)
        return (not terminal(feed, now), due, feed.nearest is None, feed.nearest or never, index)

    return min(enumerate(feeds), key=key)[1]


def backoff(failures: int) -> timedelta:
    """Wait after ``failures`` consecutive failed refreshes: 1, 2, 4 ... minutes, at most an hour."""
    if failures <= 0:
        return timedelta(0)
    step: timedelta = BACKOFF_BASE * (2 ** min(failures - 1, 16))
    return min(BACKOFF_MAX, step)
