"""Reconcile: from the rows (subscriptions, milestones, outbox) to the outbox rows due now and the fire times ahead.

Idempotent and derived from the database alone, so running it at start-up, after every sync, on every
ChangeBus hint and on a timer gives one plan: a hint lost in a crash is never an alert lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass, field

from bot.alerts import rules
from bot.alerts.messages import delivery_nonce, moved_text, notice_nonce, status_text
from bot.db import alerts as store
from bot.db import channel_alerts as channel_store
from bot.db.database import Database
from bot.models import EventStatus, MilestoneKind

log = logging.getLogger(__name__)

# Owed alerts whose milestone is further back than this are not looked at any more (nor recorded as missed).
LOOKBACK_SECONDS = 7 * rules.DAY
# Slips and status changes are told to those alerted in the last this-long.
NOTICE_WINDOW_SECONDS = 3 * rules.DAY
# Jobs exist for fire times up to this far ahead; the reconcile timer (every 10 minutes) moves the horizon on.
HORIZON_SECONDS = 6 * rules.HOUR
# Every alert firing before this instant was looked at by a reconcile that ran after it: one that found it
# not owed (muted, on hold, subscribed later) never owes it later, so the next reconcile starts here. The
# slack covers a reconcile that ran between a subscription's commit and its hint.
WATERMARK_KEY = "alerts.reconciled_until"
WATERMARK_SLACK_SECONDS = 60


@dataclass
class Reconciled:
    """What a reconcile found and wrote."""

    planned: list[rules.PlannedAlert]
    # Fire times still ahead -> request cost of their fan-out (a DM whose channel is not cached costs two).
    fire_times: dict[int, int] = field(default_factory=dict)
    written: int = 0  # outbox rows written for alerts due now
    missed: int = 0
    dropped: int = 0
    notices: int = 0
    supersede: list[store.SentAlert] = field(default_factory=list)
    held: int = 0  # late alerts of LL2 milestones not written yet: they wait for the first LL2 sync


async def compute_plan(db: Database, now: int, *, until: int | None = None) -> list[rules.PlannedAlert]:
    """Every alert owed (firing by ``until``, if given), from the rows (pure rules over what is stored)."""
    subs = await store.active_subscriptions(db)
    longest = max((lead for s in subs for lead in s.leads), default=0)
    facts = await store.milestone_facts(
        db, not_before=now - LOOKBACK_SECONDS, not_after=None if until is None else until + longest
    )
    return await asyncio.to_thread(rules.plan, subs, facts, silenced=await store.silenced_users(db), fire_until=until)


@dataclass(frozen=True)
class PlanLine:
    """One alert of the plan: a milestone, a lead, and how many would get it now."""

    name: str
    milestone: MilestoneKind
    milestone_at: int
    lead: int
    fire_at: int
    recipients: int


async def plan_lines(db: Database, now: int, *, until: int | None = None) -> list[PlanLine]:
    """The alerts still to fire (by ``until``, if given), one line per (milestone, lead, time), soonest first
    (for ``python -m bot plan``)."""
    last = None if until is None else until + rules.MAX_LEAD_SECONDS  # no lead reaches further
    facts = {
        f.milestone_id: f for f in await store.milestone_facts(db, not_before=now - LOOKBACK_SECONDS, not_after=last)
    }
    planned = await compute_plan(db, now, until=until)
    targets = await store.delivery_targets(db, {a.milestone_id for a in planned})
    counts: dict[tuple[int, int, int], int] = defaultdict(int)
    for a in planned:
        rows = targets.get((a.recipient_id, a.milestone_id, a.lead), {})
        if a.fire_at >= now and a.target_at not in rows:
            counts[(a.fire_at, a.milestone_id, a.lead)] += 1
    return [
        PlanLine(facts[mid].name, facts[mid].kind, facts[mid].at, lead, fire_at, n)
        for (fire_at, mid, lead), n in sorted(counts.items())
    ]


async def window(db: Database, *, now: int, due_by: int) -> tuple[int, int]:
    """The fire times a reconcile looks at: from the watermark (or a week back) to the horizon."""
    mark = await db.get_state(WATERMARK_KEY)
    start = now - LOOKBACK_SECONDS
    if mark is not None:
        start = max(start, int(mark) - WATERMARK_SLACK_SECONDS)
    return start, max(now, due_by) + HORIZON_SECONDS


async def reconcile(db: Database, *, now: int, due_by: int, hold_before: int | None = None) -> Reconciled:
    """Write outbox rows for owed alerts due by ``due_by`` and notices owed now; return the fire times ahead.

    ``hold_before`` (the engine's start-up, until the first LL2 sync is over): alerts of LL2 milestones that fired
    before it and have no row yet are neither written nor recorded missed, and the watermark stays before them, so
    the reconcile after the sync decides them on the synced times. Rows already written are not held.
    """
    fire_from, fire_until = await window(db, now=now, due_by=due_by)
    subs = await store.active_subscriptions(db)
    # Only milestones that a lead can bring into the window (not the years of schedule beyond it).
    longest = max((lead for s in subs for lead in s.leads), default=0)
    facts = await store.milestone_facts(db, not_before=fire_from, not_after=fire_until + longest)
    by_id = {f.milestone_id: f for f in facts}
    # Pure CPU work (seconds at 100,000 subscriptions): in a worker thread, so the event loop keeps answering
    # commands and the gateway while it runs.
    planned = await asyncio.to_thread(
        rules.plan, subs, facts, silenced=await store.silenced_users(db), fire_from=fire_from, fire_until=fire_until
    )
    targets = await store.delivery_targets(db, by_id)
    result = Reconciled(planned)
    due, ahead = await asyncio.to_thread(_sort_out, planned, targets, by_id, now=now, due_by=due_by)
    held: list[store.NewDelivery] = []
    if hold_before is not None:
        late = {d.alert.milestone_id for d in due if d.alert.fire_at < hold_before}
        hold = await store.ll2_milestone_ids(db, late) if late else set()
        held = [d for d in due if d.alert.fire_at < hold_before and d.alert.milestone_id in hold]
        due = [d for d in due if not (d.alert.fire_at < hold_before and d.alert.milestone_id in hold)]
        result.held = len(held)
    if due:
        result.written = await store.insert_deliveries(db, due, now)
        result.missed = sum(1 for d in due if d.state == "missed")
    result.dropped = await store.drop_unplanned(db, (a.key for a in planned), fire_from, fire_until)
    cached = await store.dm_channels(db, {a.recipient_id for a in ahead})
    channel_ids = await channel_store.alert_channel_ids(db)  # a channel alert opens no DM
    costs: dict[int, int] = defaultdict(int)
    for alert in ahead:
        costs[alert.fire_at] += 1 if alert.recipient_id in cached or alert.recipient_id in channel_ids else 2
    result.fire_times = dict(costs)
    await _notices(db, now, result)
    mark = await db.get_state(WATERMARK_KEY)
    # Held alerts were not decided: the next reconcile's window must still reach them.
    reached = min([now, *(d.alert.fire_at for d in held)])
    await db.set_state(WATERMARK_KEY, str(max(reached, int(mark) if mark is not None else reached)))
    return result


async def forgo_while_muted(db: Database, user_id: int, *, now: int) -> int:
    """Before an Unmute: record as missed the user's alerts that fired while they were muted and that a reconcile
    could still find (its window reaches back past the watermark by a slack), so Unmute does not send them late.

    Returns how many rows were written. Call it while the user is still muted, then unmute.
    """
    fire_from, _ = await window(db, now=now, due_by=now)
    subs = [s for s in await store.active_subscriptions(db) if s.owner_id == user_id]
    if not subs:
        return 0
    longest = max(lead for s in subs for lead in s.leads)
    facts = await store.milestone_facts(db, not_before=fire_from, not_after=now + longest)
    planned = rules.plan(subs, facts, fire_from=fire_from, fire_until=now - 1)
    targets = await store.delivery_targets(db, {a.milestone_id for a in planned})
    missed = [
        store.NewDelivery(a, delivery_nonce(*a.key), "missed", late=True)
        for a in planned
        if a.target_at not in targets.get((a.recipient_id, a.milestone_id, a.lead), {})
    ]
    return await store.insert_deliveries(db, missed, now) if missed else 0


def _sort_out(
    planned: list[rules.PlannedAlert],
    targets: dict[tuple[int, int, int], dict[int, str]],
    by_id: dict[int, rules.MilestoneFacts],
    *,
    now: int,
    due_by: int,
) -> tuple[list[store.NewDelivery], list[rules.PlannedAlert]]:
    """The planned alerts without a row yet: rows to write for those due by ``due_by``, and those still ahead.

    Plain CPU work over every planned alert (tens of thousands at full size): the caller runs it in a thread.
    """
    due: list[store.NewDelivery] = []
    ahead: list[rules.PlannedAlert] = []
    for alert in planned:
        rows = targets.get((alert.recipient_id, alert.milestone_id, alert.lead), {})
        if alert.target_at in rows:
            if rows[alert.target_at] == "pending" and alert.fire_at > due_by:
                # Written by a fan-out that started early and was cut short (a crash before the due time):
                # still owed, so its fire time keeps a job.
                ahead.append(alert)
            continue
        if rules.already_covered(alert, [t for t, state in rows.items() if state == "sent"]):
            continue
        if alert.fire_at > due_by:
            ahead.append(alert)
            continue
        over = rules.is_over(by_id[alert.milestone_id].at, now)
        due.append(
            store.NewDelivery(
                alert,
                delivery_nonce(*alert.key),
                "missed" if over else "pending",
                late=rules.is_late(alert.fire_at, now),
            )
        )
    return due, ahead


async def _notices(db: Database, now: int, result: Reconciled) -> None:
    """One notice per recipient for a slip of an alert already sent, a hold, a scrub to TBD, or the outcome."""
    sent = await store.sent_alerts(db, sent_since=now - NOTICE_WINDOW_SECONDS)
    notices: dict[tuple[int, int, str, str], store.NewNotice] = {}
    told_events: set[tuple[int, int, str]] = set()
    for s in sent:
        reason = rules.status_notice_reason(s.status)
        if reason is not None:
            # One notice per recipient and event, whichever of its milestones they were alerted for (a launch's
            # liftoff and coverage start have different times, and their alerts leave the notice window at
            # different moments): keyed by the event's first milestone, so every reconcile writes the same row.
            # (store.sent_alerts skips alerts whose notice has this key already: change both together.)
            key = s.status.value if reason == "outcome" else f"{s.status.value}@{s.first_at}"
            if (s.recipient_id, s.event_id, reason) in told_events:
                continue
            told_events.add((s.recipient_id, s.event_id, reason))
            body = status_text(s.event_name, reason, EventStatus(s.status).label)
            nk = (s.recipient_id, s.first_milestone_id, reason, key)
            notices[nk] = store.NewNotice(*nk, body, notice_nonce(*nk))
            continue
        if rules.is_small_move(s.target_at, s.current_at):
            continue
        key = f"{s.target_at}>{s.current_at}"
        nk = (s.recipient_id, s.milestone_id, "moved", key)
        if nk not in notices:
            body = moved_text(s.event_name, s.kind, s.target_at, s.current_at)
            notices[nk] = store.NewNotice(*nk, body, notice_nonce(*nk))
        result.supersede.append(s)
    result.notices = await store.insert_notices(db, list(notices.values()), now)
