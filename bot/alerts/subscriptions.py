"""What /subscribe, /subscriptions, /unsubscribe and the "Alert me" button do (no Discord here)."""

from __future__ import annotations

from bot.alerts import rules
from bot.alerts.leads import format_lead, parse_leads
from bot.alerts.planner import forgo_while_muted
from bot.db import alerts as store
from bot.db.database import Database
from bot.exceptions import InputError

MAX_MATCH_LENGTH = 100


async def subscribe(
    db: Database,
    *,
    owner_id: int,
    what: str,
    match: str | None,
    leads: str | None,
    guild_id: int | None,
    now: int,
) -> store.StoredSubscription:
    """Store a subscription; :class:`InputError` tells the user what to type instead."""
    kinds = rules.WHAT_KINDS.get(what)
    if kinds is None:
        raise InputError(f"Pick what to be alerted about from the list: {', '.join(rules.WHAT_KINDS)}.")
    text = " ".join((match or "").split()) or None
    if text is not None and len(text) > MAX_MATCH_LENGTH:
        raise InputError(f"Keep `match` under {MAX_MATCH_LENGTH} characters: a provider, rocket or mission name.")
    seconds = parse_leads(leads) if leads is not None and leads.strip() else rules.DEFAULT_LEADS
    return await store.add_subscription(
        db, owner_id=owner_id, what=what, kinds=kinds, leads=seconds, now=now, match=text, scope_guild_id=guild_id
    )


async def subscribe_mission(
    db: Database, *, owner_id: int, event_id: int, guild_id: int | None, now: int
) -> store.StoredSubscription:
    """The "Alert me" button: this mission's liftoff, docking and coverage start, with the default leads."""
    stored = await store.event_by_id(db, event_id)
    if stored is None or (stored.event.guild_id is not None and stored.event.guild_id != guild_id):
        raise InputError("That mission is not in my list any more; pick another with `/nextlaunch`.")
    event = stored.event
    for sub in await store.list_subscriptions(db, owner_id):
        same = (event.mission_key is not None and sub.rule.mission_key == event.mission_key) or (
            event.mission_key is None and sub.rule.event_id == event_id
        )
        if same:
            raise InputError(f"You already get alerts for {event.name}; see `/subscriptions`.")
    return await store.add_subscription(
        db,
        owner_id=owner_id,
        what="mission",
        kinds=rules.MISSION_KINDS,
        leads=rules.DEFAULT_LEADS,
        now=now,
        scope_guild_id=guild_id,
        mission_key=event.mission_key,
        event_id=None if event.mission_key else event_id,
        label=event.name,
    )


async def set_muted(db: Database, *, owner_id: int, muted: bool, now: int) -> None:
    """Mute all / Unmute. An alert that fired while muted is not sent on Unmute, however soon after its fire time
    the Unmute comes (README "Alerts")."""
    state = await store.recipient_state(db, owner_id)
    if not muted and (state.muted or state.paused_reason):
        await forgo_while_muted(db, owner_id, now=now)
    await store.set_muted(db, owner_id, muted, now)


def describe(sub: store.StoredSubscription) -> str:
    """One line: what, which, when; as /subscriptions and /unsubscribe show it."""
    rule = sub.rule
    what = f"mission {sub.label}" if sub.what == "mission" else sub.what
    parts = [f"#{rule.id} {what}"]
    if rule.match:
        parts.append(f'matching "{rule.match}"')
    parts.append(", ".join(format_lead(s) for s in rule.leads))
    if rule.scope_guild_id is not None:
        parts.append("+ its server's own events")
    return " · ".join(parts)
