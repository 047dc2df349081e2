"""Per-user cooldowns of the slash commands: (uses, per seconds) for each user, per command.

They stop one member (or a script using their account) from making the bot work without pause: parsing pasted
articles, writing rows, building embeds. The limits sit well above what a person does by hand. A user who hits
one gets an ephemeral "Slow down a little: try again in N s." (``bot.errors``). The permission check runs
first, so a refused member spends no uses. New commands add their line here (listed in SECURITY.md).
"""

from __future__ import annotations

COOLDOWNS: dict[str, tuple[int, float]] = {
    "about": (5, 30.0),
    "event add": (30, 60.0),
    "event edit": (30, 60.0),
    "event remove": (30, 60.0),
    "event list": (10, 60.0),
    # Each import runs the extractor over up to 4,000 characters and keeps a review in memory.
    "event import": (5, 60.0),
    # Browsing reads a page of the schedule; paging buttons are not commands and are not counted here.
    "nextlaunch": (30, 60.0),
    "launches": (30, 60.0),
    "nextdocking": (30, 60.0),
    "events": (30, 60.0),
    "launch": (30, 60.0),
    # A calendar file holds every matching milestone: the heaviest read a member can ask for.
    "calendar": (5, 60.0),
    "timezone set": (10, 60.0),
    "timezone server": (10, 60.0),
    "timezone show": (10, 60.0),
    "forget me": (3, 60.0),
    # Subscriptions write rows and make the alert engine reconcile.
    "subscribe": (10, 60.0),
    "subscriptions": (10, 60.0),
    "unsubscribe": (10, 60.0),
    # Server alerts (Manage Server): each change writes rows and makes the engine or the mirror reconcile.
    "alerts add": (10, 60.0),
    "alerts list": (10, 60.0),
    "alerts remove": (10, 60.0),
    # A sample post goes to a channel: few, so a manager cannot make the bot flood one.
    "alerts test": (3, 60.0),
    "alerts timezone": (10, 60.0),
    # Each switch reconciles the guild's Scheduled Events with Discord (several requests).
    "alerts events on": (3, 60.0),
    "alerts events off": (3, 60.0),
    # Digests rebuild the cron jobs.
    "digest daily": (10, 60.0),
    "digest weekly": (10, 60.0),
    "digest off": (10, 60.0),
}
