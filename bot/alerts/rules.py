"""How an alert is decided: the one place that says who gets which alert, for which milestone, when.

Pure functions over plain values (no database, no Discord, no clock): the planner loads rows into these
dataclasses and the dispatcher sends what :func:`plan` returns. Every rule of the product is here:

- **Match.** A subscription names milestone kinds (empty = every kind), an optional text matched
  case-insensitively anywhere in the provider, rocket, station, mission or event name, and optionally one
  mission (the "Alert me" button). It covers global events, plus the hand-entered events of the server it was
  made in (none for a subscription made in a DM).
- **Precision.** A lead fires only for a time precise enough for it: Minute or better for every lead, Hour
  for leads of 12 h or more, never Day or coarser.
- **Status.** Nothing fires for an event on hold, back to TBD, or over (success, failure, cancelled...), nor
  for one its source no longer lists: the notices in :func:`status_notice_reason` tell those already alerted.
- **Owed.** An alert is owed when its fire time (milestone - lead) came after both the subscription and the
  milestone's current time existed: subscribing 30 min before a launch owes no "1 h" alert, and a launch
  moved 20 min earlier does not owe a "1 h" alert whose new fire time is already behind us. After a slip the
  milestone has a new time version, so a lead whose fire time is ahead again is owed again (re-armed).
- **Once.** One alert per (recipient, milestone, lead, time version), however many subscriptions match; a
  move of under a minute keeps alerts already sent (it only reschedules the rest).
- **Late and missed.** An owed alert whose fire time passed unsent (the bot was down) is sent at once marked
  late while its milestone is ahead, and recorded as missed, not sent, once the milestone is over.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.models import EventStatus, MilestoneKind, Precision

MINUTE = 60
HOUR = 3_600
DAY = 86_400
MAX_LEAD_SECONDS = 14 * DAY
MAX_LEADS = 6
MAX_SUBSCRIPTIONS = 25
DEFAULT_LEADS = (HOUR, 10 * MINUTE)
# Leads this long may fire on an Hour-precision time: an hour's doubt matters little a day ahead.
HOUR_PRECISION_MIN_LEAD = 12 * HOUR
# A milestone that moves less than this keeps the alerts already sent and gets no notice.
SMALL_MOVE_SECONDS = 60
# An alert sent more than this after its fire time says it is late.
LATE_AFTER_SECONDS = 60
# A milestone is over (its unsent alerts are missed, not sent) this long after its time: an "at the time"
# alert a few seconds behind is still worth sending.
OVER_AFTER_SECONDS = 60

# What `/subscribe what:` offers, and the milestone kinds each means (empty: every kind).
WHAT_KINDS: dict[str, frozenset[MilestoneKind]] = {
    "liftoff": frozenset({MilestoneKind.LIFTOFF}),
    "docking": frozenset({MilestoneKind.DOCKING, MilestoneKind.BERTHING}),
    "undocking": frozenset({MilestoneKind.UNDOCKING, MilestoneKind.UNBERTHING}),
    "spacewalk": frozenset({MilestoneKind.SPACEWALK}),
    "coverage": frozenset({MilestoneKind.COVERAGE_START}),
    "all": frozenset(),
}
# The "Alert me" button: one mission's liftoff, docking and coverage start.
MISSION_KINDS = frozenset({MilestoneKind.LIFTOFF, MilestoneKind.DOCKING, MilestoneKind.COVERAGE_START})

# Statuses whose time is not to be alerted on (see the module docstring).
_SILENT_STATUSES = frozenset({EventStatus.HOLD, EventStatus.TBD}) | frozenset(s for s in EventStatus if s.is_final)


@dataclass(frozen=True, slots=True)
class Subscription:
    """A stored subscription, as the rules need it."""

    id: int
    owner_id: int
    kinds: frozenset[MilestoneKind]  # empty: every kind
    leads: tuple[int, ...]  # seconds before the milestone
    created_at: int  # epoch seconds
    match: str | None = None
    scope_guild_id: int | None = None  # the server it was made in; None when made in a DM
    mission_key: str | None = None  # "Alert me": this mission only ...
    event_id: int | None = None  # ... or this event only, when the event has no mission key


@dataclass(frozen=True, slots=True)
class MilestoneFacts:
    """One milestone with what the rules read of its event."""

    milestone_id: int
    event_id: int
    kind: MilestoneKind
    at: int  # epoch seconds, the current time version
    precision: Precision
    status: EventStatus
    name: str
    since: int  # when the milestone got its current time (epoch seconds)
    guild_id: int | None = None  # None: global; else the server that entered it
    mission_key: str | None = None
    provider: str | None = None
    vehicle: str | None = None
    mission: str | None = None
    station: str | None = None
    gone: bool = False


@dataclass(frozen=True, slots=True)
class PlannedAlert:
    """One alert owed to one recipient."""

    recipient_id: int
    subscription_id: int  # the earliest-made subscription that asks for it
    milestone_id: int
    lead: int
    target_at: int
    subscribed_at: int

    @property
    def fire_at(self) -> int:
        """When the recipient should have it."""
        return self.target_at - self.lead

    @property
    def key(self) -> tuple[int, int, int, int]:
        """(recipient, milestone, lead, time version): one delivery row each."""
        return (self.recipient_id, self.milestone_id, self.lead, self.target_at)


def lead_allowed(precision: Precision, lead: int) -> bool:
    """Is ``precision`` good enough to fire an alert ``lead`` seconds ahead?"""
    if precision.rank <= Precision.MINUTE.rank:
        return True
    return precision is Precision.HOUR and lead >= HOUR_PRECISION_MIN_LEAD


def status_allows(status: EventStatus) -> bool:
    """May an event in ``status`` fire alerts?"""
    return status not in _SILENT_STATUSES


def matches(sub: Subscription, m: MilestoneFacts) -> bool:
    """Does ``sub`` ask about milestone ``m`` (kind, scope, mission, text)?"""
    if not _matches_all_but_text(sub, m):
        return False
    return not sub.match or _text_matches(sub.match.casefold(), _haystack(m))


def _matches_all_but_text(sub: Subscription, m: MilestoneFacts) -> bool:
    if sub.kinds and m.kind not in sub.kinds:
        return False
    if m.guild_id is not None and m.guild_id != sub.scope_guild_id:
        return False
    if sub.mission_key is not None and m.mission_key != sub.mission_key:
        return False
    return sub.event_id is None or m.event_id == sub.event_id


def _haystack(m: MilestoneFacts) -> tuple[str, ...]:
    """The texts a subscription's ``match`` is looked for in (anywhere in any), case-folded."""
    return tuple(f.casefold() for f in (m.provider, m.vehicle, m.station, m.mission, m.name) if f)


def _text_matches(needle: str, haystack: tuple[str, ...]) -> bool:
    return any(needle in f for f in haystack)


def owed(sub: Subscription, m: MilestoneFacts, lead: int) -> bool:
    """Is the alert ``lead`` ahead of ``m`` owed to ``sub``'s owner (see "Owed" in the module docstring)?"""
    fire_at = m.at - lead
    return fire_at >= sub.created_at and fire_at >= m.since


def plan(
    subscriptions: Iterable[Subscription],
    milestones: Sequence[MilestoneFacts],
    *,
    silenced: Iterable[int] = (),
    fire_from: int | None = None,
    fire_until: int | None = None,
) -> list[PlannedAlert]:
    """Every alert owed: subscriptions x milestones x leads, one per (recipient, milestone, lead, version).

    ``silenced`` are users who muted their alerts or whose DMs are closed: they are owed nothing. Only alerts
    firing in [``fire_from``, ``fire_until``] are made (a reconcile looks at a window, not at all time). The
    result is sorted by fire time, then earliest-subscribed first, so a fan-out serves in that order.
    """
    quiet = set(silenced)
    subs = [s for s in subscriptions if s.owner_id not in quiet]
    all_leads = {lead for s in subs for lead in s.leads}
    # Subscriptions by the milestone kind they ask for (None: every kind), so a milestone is checked against
    # those that could match it, not all of them (100,000 at full size). The result does not depend on order.
    by_kind: dict[MilestoneKind | None, list[Subscription]] = {None: []}
    for s in subs:
        for kind in s.kinds or (None,):
            by_kind.setdefault(kind, []).append(s)
    low = fire_from if fire_from is not None else -(2**62)
    high = fire_until if fire_until is not None else 2**62
    best: dict[tuple[int, int, int, int], PlannedAlert] = {}
    for m in milestones:
        if m.gone or not status_allows(m.status):
            continue
        # Which leads fire inside the window and are precise enough: most milestones have none, and are
        # skipped before any subscription is looked at.
        leads = {lead for lead in all_leads if low <= m.at - lead <= high and lead_allowed(m.precision, lead)}
        if not leads:
            continue
        # Whether each text is in this milestone's texts, looked up once per text, not once per subscription.
        haystack = _haystack(m)
        found: dict[str, bool] = {}
        for sub in (*by_kind.get(m.kind, ()), *by_kind[None]):
            if sub.match:
                hit = found.get(sub.match)
                if hit is None:
                    hit = found[sub.match] = _text_matches(sub.match.casefold(), haystack)
                if not hit:
                    continue
            if not _matches_all_but_text(sub, m):
                continue
            wanted = [lead for lead in sub.leads if lead in leads and owed(sub, m, lead)]
            if not wanted:
                continue
            for lead in wanted:
                alert = PlannedAlert(sub.owner_id, sub.id, m.milestone_id, lead, m.at, sub.created_at)
                kept = best.get(alert.key)
                if kept is None or (alert.subscribed_at, alert.subscription_id) < (
                    kept.subscribed_at,
                    kept.subscription_id,
                ):
                    best[alert.key] = alert
    return sorted(best.values(), key=lambda a: (a.fire_at, a.subscribed_at, a.recipient_id, a.milestone_id, a.lead))


def already_covered(alert: PlannedAlert, sent_targets: Iterable[int]) -> bool:
    """True when an alert for the same recipient, milestone and lead went out for a time within a minute."""
    return any(abs(alert.target_at - t) < SMALL_MOVE_SECONDS for t in sent_targets)


def is_small_move(old_at: int, new_at: int) -> bool:
    """A move that only reschedules: no notice, no edit, no second alert."""
    return abs(new_at - old_at) < SMALL_MOVE_SECONDS


def is_over(target_at: int, now: int) -> bool:
    """Is the milestone at ``target_at`` over, so that an unsent alert for it is missed rather than sent?"""
    return now >= target_at + OVER_AFTER_SECONDS


def is_late(fire_at: int, now: int) -> bool:
    """Does an alert sent at ``now`` say it is late?"""
    return now > fire_at + LATE_AFTER_SECONDS


def status_notice_reason(status: EventStatus) -> str | None:
    """The notice owed to those already alerted when an event reaches ``status``, if any."""
    if status is EventStatus.HOLD:
        return "hold"
    if status is EventStatus.TBD:
        return "tbd"
    if status.is_final:
        return "outcome"
    return None
