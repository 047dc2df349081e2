"""SQL of forum posts: one thread per (forum channel, mission), with the title Discord was last told."""

from __future__ import annotations

import json
from dataclasses import dataclass

import aiosqlite

from bot.db.database import Database


@dataclass(frozen=True, slots=True)
class ForumPost:
    """A mission's post in one forum channel (``thread_id`` None while its create is in flight)."""

    forum_id: int
    mission: str
    guild_id: int
    thread_id: int | None
    title: str
    milestone_id: int
    first_nonce: str


def _post(r: aiosqlite.Row) -> ForumPost:
    return ForumPost(
        r["forum_id"], r["mission"], r["guild_id"], r["thread_id"], r["title"], r["milestone_id"], r["first_nonce"]
    )


async def get_post(db: Database, forum_id: int, mission: str) -> ForumPost | None:
    """The mission's post in that forum, if one was made (or is being made)."""
    row = await db.fetchone("SELECT * FROM forum_posts WHERE forum_id = ? AND mission = ?", (forum_id, mission))
    if row is None:
        return None
    return _post(row)


async def save_post(db: Database, post: ForumPost, now: int) -> None:
    """Record (or update) a forum post."""
    await db.execute(
        "INSERT INTO forum_posts (forum_id, mission, guild_id, thread_id, title, milestone_id, first_nonce, "
        "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (forum_id, mission) DO UPDATE SET "
        "thread_id = excluded.thread_id, title = excluded.title, milestone_id = excluded.milestone_id, "
        "updated_at = excluded.updated_at",
        (
            post.forum_id,
            post.mission,
            post.guild_id,
            post.thread_id,
            post.title,
            post.milestone_id,
            post.first_nonce,
            now,
            now,
        ),
    )


async def forget_post(db: Database, forum_id: int, mission: str) -> None:
    """The post is gone (deleted by a moderator): the next alert makes a new one."""
    await db.execute("DELETE FROM forum_posts WHERE forum_id = ? AND mission = ?", (forum_id, mission))


async def all_posts(db: Database) -> list[ForumPost]:
    """Every forum post made (to retitle them after a slip)."""
    return [_post(r) for r in await db.fetchall("SELECT * FROM forum_posts WHERE thread_id IS NOT NULL")]


@dataclass(frozen=True, slots=True)
class TitleFacts:
    """What a forum post's title shows now."""

    name: str
    at: int
    precision: str


async def title_facts(db: Database, milestone_ids: list[int]) -> dict[int, TitleFacts]:
    """Milestone id -> its event's name and its current time, for these milestones."""
    if not milestone_ids:
        return {}
    rows = await db.fetchall(
        "SELECT m.id, m.at_utc, m.precision, e.name FROM milestones m JOIN events e ON e.id = m.event_id "
        "WHERE m.id IN (SELECT value FROM json_each(?))",
        (json.dumps(milestone_ids),),
    )
    return {int(r["id"]): TitleFacts(r["name"], int(r["at_utc"]), r["precision"]) for r in rows}
