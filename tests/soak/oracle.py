"""What the rules call for, from the scenario script alone: never from the bot's tables, never through
bot/alerts/rules.py. Re-derived from the rules as the README and the issues state them:

- a subscription matches a milestone by kind (``what``) and by a text found case-insensitively in the provider,
  rocket, station, mission or event name;
- an alert (lead L) is owed when its fire instant (time - L) comes while that time is current upstream, after
  the subscription was made and after the time became current, for a Go (or scheduled) event at Minute
  precision that is still listed; once per (recipient, milestone, lead, time);
- those already alerted get one notice per slip ("moved from .. to .."; the alerts it replaces are superseded),
  one when the launch goes on hold, one when it is scrubbed to TBD, one with the outcome; nothing for a
  withdrawal;
- a daily digest goes out once per local day at its local time, in its owner's zone (a channel digest: its
  server's), across DST changes; a weekly one on its weekday only;
- "Alert me" subscribes its presser to that one item's liftoff, docking and coverage start at 1 h and 10 min;
- a muted user is owed no alert whose fire instant comes while muted (not on Unmute either), and no notice
  whose change the bot learns while they are muted (README "Alerts": Mute all is silence; the notice is
  closed, not sent on Unmute); one learnt from a change made just before a mute or an Unmute may come or not;
- the bot down: an alert whose fire instant passed meanwhile goes out when it is back, marked late, if its
  milestone is not over (a minute past) by then, else it is recorded missed and never sent; a digest slot
  passed meanwhile goes out if under 2 hours old, marked late if over 5 minutes;
- Discord failing: nothing given up; an alert goes out once Discord answers, marked late if that is more than
  a minute after its fire instant.

Keys are what a delivered message says (``tests/soak/runner.py`` parses the same keys from the fake's ledger).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.soak.scenario import (
    BEFORE_MARGIN,
    COVERAGE_KIND,
    DAY,
    FAR_MARGIN,
    FOCUS,
    GO,
    HOLD,
    LIFTOFF_KIND,
    MIN,
    MISSION_KINDS,
    NEAR_MARGIN,
    SCHEDULED,
    SUCCESS,
    TBD,
    Item,
    Scenario,
    Version,
    Window,
)

Key = tuple[object, ...]
NOTICE_WINDOW = 3 * DAY
# Notices of changes this close to the end may still be on their way (an outcome waits for a detail request):
# they must not be duplicated, but are not required.
NOTICE_SLACK = 8 * 3_600
ALERT_SLACK = 2 * MIN
_KINDS = {
    "liftoff": {LIFTOFF_KIND},
    "docking": {"docking"},
    "spacewalk": {"spacewalk"},
    "coverage": {COVERAGE_KIND},
    "all": {LIFTOFF_KIND, "docking", "spacewalk", COVERAGE_KIND},
    "mission": set(MISSION_KINDS),
}
# An alert sent more than this after its fire instant says it is late; its milestone is over (an unsent alert
# missed) this long after its time; a digest is late after 5 minutes and caught up at start-up within 2 hours.
LATE_AFTER = MIN
OVER_AFTER = MIN
DIGEST_LATE_AFTER = 5 * MIN
DIGEST_CATCH_UP = 2 * 3_600


@dataclass(frozen=True)
class Recipient:
    """A DM subscriber's subscription or a channel alert, as the oracle needs it."""

    target: str  # "user:<id>" or "channel:<id>"
    what: str
    match: str | None
    leads: tuple[int, ...]
    created_at: int
    item: str | None = None  # "Alert me": this item only (its source key)
    quiet: tuple[tuple[int, int], ...] = ()  # [muted, unmuted) of its user

    def matches(self, item: Item, kind: str) -> bool:
        """Does this subscription ask about the ``kind`` milestone of ``item``?"""
        if kind not in _KINDS[self.what]:
            return False
        if self.item is not None and item.source_key != self.item:
            return False
        if self.match is None:
            return True
        needle = self.match.casefold()
        return any(needle in f.casefold() for f in item.haystack())

    def muted(self, t: int) -> bool:
        return any(a <= t < b for a, b in self.quiet)

    def silenced(self, lo: int, hi: int) -> bool | None:
        """Muted all through [lo, hi] (True), not at all (False), or muted or unmuted in between (None)?"""
        spans = [(a, b) for a, b in self.quiet if a <= hi and lo < b]
        if not spans:
            return False
        return True if any(a <= lo and hi < b for a, b in spans) else None


@dataclass(frozen=True)
class Digest:
    target: str
    zone: str
    local_time: str
    created_at: int
    cadence: str = "daily"
    weekday: int | None = None


@dataclass
class Owed:
    """Every message owed: key -> the instant by which it must have gone out (None: may go out, need not)."""

    required: dict[Key, int] = field(default_factory=dict)
    optional: set[Key] = field(default_factory=set)
    # Alerts the rules record as missed (the bot was down until their milestone was over): never sent, so a
    # delivery of one is "not owed". Kept to count them and to prove a run had some.
    missed: set[Key] = field(default_factory=set)
    # Notices a muted user is not sent (closed unsent, never sent on Unmute): a delivery of one is "not owed".
    silenced: set[Key] = field(default_factory=set)

    def tell(self, key: Key, at: int, cutoff: int, silenced: bool | None) -> None:
        """A notice: owed unless its user was muted all the while the bot may have learnt its change; either
        way if they muted or unmuted meanwhile (it must not come twice)."""
        if silenced is None:
            self.required.pop(key, None)
            self.optional.add(key)
        elif silenced:
            self.silenced.add(key)
        else:
            self.add(key, at, cutoff)

    def add(self, key: Key, at: int, cutoff: int) -> None:
        if key in self.required or key in self.optional:
            return
        if at <= cutoff:
            self.required[key] = at
        else:
            self.optional.add(key)


def alive(v: Version) -> bool:
    """May a version's time fire alerts?"""
    return v.status in (GO, SCHEDULED) and v.precise and v.listed and not v.over


def owed_alerts(item: Item, r: Recipient, until: int, kind: str | None = None) -> list[tuple[int, int, int]]:
    """(fire instant, lead, time) of every alert of ``item``'s ``kind`` milestone (default: its first) owed to
    ``r`` up to ``until``."""
    out: dict[tuple[int, int], int] = {}
    for i, v in enumerate(item.versions):
        if not alive(v):
            continue
        ends = item.versions[i + 1].since if i + 1 < len(item.versions) else 2**62
        for mkind, at in item.milestones(v):
            if mkind != (kind or item.milestones(v)[0][0]) or not r.matches(item, mkind):
                continue
            for lead in r.leads:
                fire = at - lead
                if v.since <= fire < ends and fire >= r.created_at and fire <= until and not r.muted(fire):
                    out.setdefault((lead, at), fire)
    return sorted((fire, lead, at) for (lead, at), fire in out.items())


def kinds_of(item: Item) -> list[str]:
    """The milestone kinds an item has."""
    return [kind for kind, _ in item.milestones(item.versions[0])]


def lateness(scenario: Scenario, fire: int, at: int) -> bool | None:
    """An owed alert's fate: sent on time (False), sent marked late (True), or missed (None)."""
    for w in scenario.downtimes:
        if w.start < fire < w.end:
            # Found by the reconcile at start-up: sent if its milestone is not over by then.
            return True if w.end < at + OVER_AFTER else None
    for w in scenario.faults:
        # Discord answers again at the window's end: the retries send it then (the scenario keeps every fire
        # instant inside more than a minute before the end, so it is late).
        if w.start <= fire < w.end:
            return True if w.end < at + OVER_AFTER else None
    return False


def compute(scenario: Scenario, recipients: list[Recipient], digests: list[Digest]) -> Owed:
    """Every alert, notice and digest the rules call for during the run."""
    owed = Owed()
    end = scenario.end
    for item in scenario.items:
        for r in recipients:
            sent: dict[str, list[tuple[int, int, int]]] = {}
            for kind in kinds_of(item):
                sent[kind] = []
                for fire, lead, at in owed_alerts(item, r, end, kind):
                    late = lateness(scenario, fire, at)
                    if late is None:  # missed: recorded, never sent (and so nobody was alerted by it)
                        owed.missed.add(("alert", r.target, item.name, kind, lead, at, True))
                        continue
                    sent[kind].append((fire, lead, at))
                    owed.add(("alert", r.target, item.name, kind, lead, at, late), fire, end - ALERT_SLACK)
            _notices(owed, item, r, sent, end)
    for d in digests:
        for key, at in digest_slots(d, scenario.start, end, scenario.downtimes, scenario.faults):
            owed.add(key, at, end - ALERT_SLACK)
    return owed


def _notices(owed: Owed, item: Item, r: Recipient, sent: dict[str, list[tuple[int, int, int]]], end: int) -> None:
    """The notices one recipient is owed for one item: walk its versions with the alerts sent before each.

    A hold, a scrub or the outcome: one notice per event (whichever milestones were alerted); a slip: one per
    milestone and old time, and the alerts for the old time are superseded (no further notice for them).
    """
    live: dict[str, list[tuple[int, int]]] = {kind: [] for kind in sent}  # (sent at, time), not superseded
    pending = {kind: list(alerts) for kind, alerts in sent.items()}
    told: set[str] = set()
    cutoff = end - NOTICE_SLACK
    for n, v in enumerate(item.versions[1:]):
        c = v.since
        old_v = item.versions[n]
        near = old_v.precise and old_v.at - FOCUS <= c <= old_v.at + 10 * MIN
        # By when the bot has learnt the change (and written and sent, or closed, its notice): an outcome waits
        # for a detail request, so for it as long as the end's slack.
        learnt = c + (NOTICE_SLACK if v.status == SUCCESS else (NEAR_MARGIN if near else FAR_MARGIN) + BEFORE_MARGIN)
        recent: dict[str, list[tuple[int, int]]] = {}
        for kind in sent:
            while pending[kind] and pending[kind][0][0] < c:
                fire, _, at = pending[kind].pop(0)
                live[kind].append((fire, at))
            recent[kind] = [(s, at) for s, at in live[kind] if s >= c - NOTICE_WINDOW]
        if not any(recent.values()):
            continue
        reason = {HOLD: "hold", TBD: "tbd", SUCCESS: "outcome"}.get(v.status)
        if reason is not None:
            if reason not in told:
                told.add(reason)
                owed.tell((reason, r.target, item.name), c, cutoff, r.silenced(c, learnt))
            continue
        if not v.listed or v.over:
            continue  # a withdrawal, or a station event whose time passed: no notice
        now_at = dict(item.milestones(v))
        for kind, alerts in recent.items():
            moved = {at for _, at in alerts if abs(at - now_at[kind]) >= MIN}
            for old in sorted(moved):
                key = ("moved", r.target, item.name, kind, old, now_at[kind])
                owed.tell(key, c, cutoff, r.silenced(c, learnt))
            live[kind] = [(s, at) for s, at in live[kind] if at not in moved]


def digest_slots(
    d: Digest, start: int, end: int, downtimes: Sequence[Window] = (), faults: Sequence[Window] = ()
) -> list[tuple[Key, int]]:
    """(key, instant) of every slot of a digest in [start, end]: its local time on each local day (a weekly
    one: on its weekday), late if the bot was down or Discord failing then, dropped if caught up too late."""
    zone = ZoneInfo(d.zone)
    hour, minute = (int(p) for p in d.local_time.split(":"))
    first = datetime.fromtimestamp(start, tz=zone).date() - timedelta(days=1)
    span = "24 hours" if d.cadence == "daily" else "7 days"
    out: list[tuple[Key, int]] = []
    for n in range((end - start) // DAY + 3):
        day = first + timedelta(days=n)
        if d.cadence == "weekly" and day.weekday() != d.weekday:
            continue
        local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
        at = int(local.astimezone(UTC).timestamp())
        if not (d.created_at <= at <= end and at >= start):
            continue
        sent = at
        for w in (*downtimes, *faults):
            if w.start < at < w.end:
                sent = w.end
        if sent - at >= DIGEST_CATCH_UP:
            continue  # the bot was down too long: that slot is not sent
        out.append((("digest", d.target, span, f"{local:%a %d %b}", sent - at > DIGEST_LATE_AFTER), at))
    return out


def alert_fire_instants(scenario: Scenario, recipients: list[Recipient], now: int) -> dict[int, set[str]]:
    """Fire instant -> names of the items owing an alert then, for fire instants after ``now`` by the
    versions current at ``now`` and the users not muted at ``now`` (what the bot's alert jobs should be)."""
    recipients = [r for r in recipients if not r.muted(now) and r.created_at <= now]
    out: dict[int, set[str]] = defaultdict(set)
    for item in scenario.items:
        v = item.version_at(now)
        if v is None or not alive(v):
            continue
        for kind, at in item.milestones(v):
            for r in recipients:
                if not r.matches(item, kind):
                    continue
                for lead in r.leads:
                    fire = at - lead
                    if fire > now and fire >= v.since and fire >= r.created_at:
                        out[fire].add(item.name)
    return out


# -- reading delivered messages ------------------------------------------------------------------------

_ALERT = re.compile(r"^(?:<@&\d+>\n)?⏰ T-([0-9dhms ]+): \*\*(.+?)\*\*: ([a-z ]+) <t:(\d+):F>")
_ALERT_LATE = "\n*Late: I was offline when this alert was due.*"
_DIGEST_LATE = "\n*Late: I was offline at the usual time.*"
_MOVED = re.compile(r"^🔁 \*\*(.+?)\*\*: ([a-z ]+) moved from <t:(\d+):F> to <t:(\d+):F>")
_HOLD = re.compile(r"^✋ \*\*(.+?)\*\* is on hold")
_TBD = re.compile(r"^🕳️ \*\*(.+?)\*\* was scrubbed")
_OUTCOME = re.compile(r"^🏁 \*\*(.+?)\*\*: ")
_DIGEST = re.compile(r"^🗓️ \*\*Coming up in the next (24 hours|7 days)\*\* \((\w{3} \d{2} \w{3}), times in [\w/]+\)")
_UNITS = {"d": DAY, "h": 3_600, "m": MIN, "s": 1}


def lead_seconds(label: str) -> int:
    """``"1h 10m"`` -> 4200."""
    return sum(int(part[:-1]) * _UNITS[part[-1]] for part in label.split())


def key_of(target: str, content: str) -> Key | None:
    """The key of a delivered message (None: not a message the oracle knows)."""
    if m := _ALERT.match(content):
        late = content.endswith(_ALERT_LATE)
        return ("alert", target, m.group(2), m.group(3), lead_seconds(m.group(1)), int(m.group(4)), late)
    if m := _MOVED.match(content):
        return ("moved", target, m.group(1), m.group(2), int(m.group(3)), int(m.group(4)))
    if m := _HOLD.match(content):
        return ("hold", target, m.group(1))
    if m := _TBD.match(content):
        return ("tbd", target, m.group(1))
    if m := _OUTCOME.match(content):
        return ("outcome", target, m.group(1))
    if m := _DIGEST.match(content):
        return ("digest", target, m.group(1), m.group(2), content.endswith(_DIGEST_LATE))
    return None
