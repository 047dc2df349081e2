"""The text of alert DMs, notices and superseded alerts (Discord markup, no discord.py), and their nonces."""

from __future__ import annotations

import hashlib

from bot.alerts.leads import format_lead
from bot.models import MilestoneKind
from bot.render import inert_name, truncate

MAX_CONTENT = 2_000


def nonce_for(*parts: object) -> str:
    """A deterministic nonce of at most 25 characters for one message to one recipient."""
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=12).hexdigest()
    return digest[:24]


def delivery_nonce(recipient_id: int, milestone_id: int, lead: int, target_at: int) -> str:
    """The nonce of an alert: the same for every retry of it, different for every other alert."""
    return nonce_for("a", recipient_id, milestone_id, lead, target_at)


def notice_nonce(recipient_id: int, milestone_id: int, reason: str, key: str) -> str:
    """The nonce of a notice."""
    return nonce_for("n", recipient_id, milestone_id, reason, key)


def kind_label(kind: MilestoneKind) -> str:
    """``coverage_start`` -> ``coverage start``."""
    return kind.value.replace("_", " ")


def _when(at: int) -> str:
    return f"<t:{at}:F> (<t:{at}:R>)"


def alert_text(name: str, kind: MilestoneKind, lead: int, target_at: int, *, late: bool) -> str:
    """The alert DM."""
    head = "🚀 Now" if lead == 0 else f"⏰ T-{format_lead(lead)}"
    # The name is LL2's (or an admin's): inert and cut, so it can neither format the DM nor push its time out.
    text = f"{head}: **{inert_name(name)}**: {kind_label(kind)} {_when(target_at)}"
    if late:
        text += "\n*Late: I was offline when this alert was due.*"
    return truncate(text, MAX_CONTENT)


def superseded_text(name: str, kind: MilestoneKind, lead: int, target_at: int) -> str:
    """What an earlier alert's message becomes once its time no longer holds."""
    head = "Now" if lead == 0 else f"T-{format_lead(lead)}"
    shown = inert_name(name)
    return truncate(f"~~{head}: **{shown}**: {kind_label(kind)} <t:{target_at}:F>~~\n*Superseded: see below.*", 2_000)


def moved_text(name: str, kind: MilestoneKind, old_at: int, new_at: int) -> str:
    """The one notice after a slip."""
    return truncate(
        f"🔁 **{inert_name(name)}**: {kind_label(kind)} moved from <t:{old_at}:F> to {_when(new_at)}. "
        "Your alerts follow the new time.",
        MAX_CONTENT,
    )


def status_text(name: str, reason: str, status_label: str) -> str:
    """The one notice after a hold, a scrub back to TBD, or the outcome."""
    name = inert_name(name)
    match reason:
        case "hold":
            line = f"✋ **{name}** is on hold. I'll alert you again when there is a new time."
        case "tbd":
            line = f"🕳️ **{name}** was scrubbed: its time is to be determined. I'll alert you when there is a new one."
        case _:
            line = f"🏁 **{name}**: {status_label}."
    return truncate(line, MAX_CONTENT)
