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
- a daily digest goes out once per local day at its local time, in its owner's zone, across DST changes.

Keys are what a delivered message says (``tests/soak/runner.py`` parses the same keys from the fake's ledger).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.soak.scenario import (
    COVERAGE_KIND,
    DAY,
    GO,
    HOLD,
    LIFTOFF_KIND,
    MIN,
    SCHEDULED,
    SUCCESS,
    TBD,
    Item,
    Scenario,
    Version,
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
}


@dataclass(frozen=True)
class Recipient:
    """A DM subscriber's subscription or a channel alert, as the oracle needs it."""

    target: str  # "user:<id>" or "channel:<id>"
    what: str
    match: str | None
    leads: tuple[int, ...]
    created_at: int

    def matches(self, item: Item, kind: str) -> bool:
        """Does this subscription ask about the ``kind`` milestone of ``item``?"""
        if kind not in _KINDS[self.what]:
            return False
        if self.match is None:
            return True
        needle = self.match.casefold()
        return any(needle in f.casefold() for f in item.haystack())


@dataclass(frozen=True)
class Digest:
    target: str
    zone: str
    local_time: str
    created_at: int


@dataclass
class Owed:
    """Every message owed: key -> the instant by which it must have gone out (None: may go out, need not)."""

    required: dict[Key, int] = field(default_factory=dict)
    optional: set[Key] = field(default_factory=set)

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
                if v.since <= fire < ends and fire >= r.created_at and fire <= until:
                    out.setdefault((lead, at), fire)
    return sorted((fire, lead, at) for (lead, at), fire in out.items())


def kinds_of(item: Item) -> list[str]:
    """The milestone kinds an item has."""
    return [kind for kind, _ in item.milestones(item.versions[0])]


def compute(scenario: Scenario, recipients: list[Recipient], digests: list[Digest]) -> Owed:
    """Every alert, notice and digest the rules call for during the run."""
    owed = Owed()
    end = scenario.end
    for item in scenario.items:
        for r in recipients:
            sent: dict[str, list[tuple[int, int, int]]] = {}
            for kind in kinds_of(item):
                sent[kind] = owed_alerts(item, r, end, kind)
                for fire, lead, at in sent[kind]:
                    owed.add(("alert", r.target, item.name, kind, lead, at), fire, end - ALERT_SLACK)
            _notices(owed, item, r, sent, end)
    for d in digests:
        for key, at in digest_slots(d, scenario.start, end):
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
    for v in item.versions[1:]:
        c = v.since
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
                owed.add((reason, r.target, item.name), c, cutoff)
            continue
        if not v.listed or v.over:
            continue  # a withdrawal, or a station event whose time passed: no notice
        now_at = dict(item.milestones(v))
        for kind, alerts in recent.items():
            moved = {at for _, at in alerts if abs(at - now_at[kind]) >= MIN}
            for old in sorted(moved):
                owed.add(("moved", r.target, item.name, kind, old, now_at[kind]), c, cutoff)
            live[kind] = [(s, at) for s, at in live[kind] if at not in moved]


def digest_slots(d: Digest, start: int, end: int) -> list[tuple[Key, int]]:
    """(key, instant) of every daily slot of a digest in [start, end]: its local time on each local day."""
    zone = ZoneInfo(d.zone)
    hour, minute = (int(p) for p in d.local_time.split(":"))
    first = datetime.fromtimestamp(start, tz=zone).date() - timedelta(days=1)
    out: list[tuple[Key, int]] = []
    for n in range((end - start) // DAY + 3):
        day = first + timedelta(days=n)
        local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
        at = int(local.astimezone(UTC).timestamp())
        if d.created_at <= at <= end and at >= start:
            out.append((("digest", d.target, f"{local:%a %d %b}"), at))
    return out


def alert_fire_instants(scenario: Scenario, recipients: list[Recipient], now: int) -> dict[int, set[str]]:
    """Fire instant -> names of the items owing an alert then, for fire instants after ``now`` by the
    versions current at ``now`` (what the bot's alert jobs should be)."""
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
_MOVED = re.compile(r"^🔁 \*\*(.+?)\*\*: ([a-z ]+) moved from <t:(\d+):F> to <t:(\d+):F>")
_HOLD = re.compile(r"^✋ \*\*(.+?)\*\* is on hold")
_TBD = re.compile(r"^🕳️ \*\*(.+?)\*\* was scrubbed")
_OUTCOME = re.compile(r"^🏁 \*\*(.+?)\*\*: ")
_DIGEST = re.compile(r"^🗓️ \*\*Coming up in the next 24 hours\*\* \((\w{3} \d{2} \w{3}), times in [\w/]+\)")
_UNITS = {"d": DAY, "h": 3_600, "m": MIN, "s": 1}


def lead_seconds(label: str) -> int:
    """``"1h 10m"`` -> 4200."""
    return sum(int(part[:-1]) * _UNITS[part[-1]] for part in label.split())


def key_of(target: str, content: str) -> Key | None:
    """The key of a delivered message (None: not a message the oracle knows)."""
    if m := _ALERT.match(content):
        return ("alert", target, m.group(2), m.group(3), lead_seconds(m.group(1)), int(m.group(4)))
    if m := _MOVED.match(content):
        return ("moved", target, m.group(1), m.group(2), int(m.group(3)), int(m.group(4)))
    if m := _HOLD.match(content):
        return ("hold", target, m.group(1))
    if m := _TBD.match(content):
        return ("tbd", target, m.group(1))
    if m := _OUTCOME.match(content):
        return ("outcome", target, m.group(1))
    if m := _DIGEST.match(content):
        return ("digest", target, m.group(1))
    return None
