"""The fake gateway: HELLO, IDENTIFY/READY, heartbeats, RESUME with replay, and server-side disruptions."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from .world import PRIVILEGED_INTENTS

if TYPE_CHECKING:
    from .world import World

HELLO, IDENTIFY, RESUME, HEARTBEAT, HEARTBEAT_ACK = 10, 2, 6, 1, 11
DISPATCH, RECONNECT, INVALID_SESSION, REQUEST_GUILD_MEMBERS = 0, 7, 9, 8
# Long enough that the client's own heartbeat timer never matters during a test.
HEARTBEAT_INTERVAL_MS = 41_250


POLL_S = 0.01


@dataclass
class Session:
    """A gateway session; it outlives its socket so that RESUME can replay what was missed."""

    id: str
    intents: int
    shard: list[int] | None
    seq: int = 0
    # Every dispatch sent in this session, as (seq, frame), so a RESUME can replay the tail.
    sent: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    ws: web.WebSocketResponse | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send (or, while disconnected, store for replay) one dispatch with the next sequence number."""
        async with self.lock:
            self.seq += 1
            frame = {"op": DISPATCH, "t": event, "s": self.seq, "d": data}
            self.sent.append((self.seq, frame))
            if self.ws is not None and not self.ws.closed:
                try:
                    await self.ws.send_str(json.dumps(frame))
                except ConnectionError:
                    # The client went away mid-send; the frame stays in `sent` for the RESUME.
                    self.ws = None


class Gateway:
    """Serves /gateway; tests use it to disrupt the connection and to wait for the bot to come back."""

    def __init__(self, world: World, token: str, resume_url: Callable[[], str]) -> None:
        self.world = world
        self.token = token
        self._resume_url = resume_url
        self.sessions: dict[str, Session] = {}
        self.identifies = 0
        self.resumes = 0
        self.frames_received: list[dict[str, Any]] = []
        self._changed = asyncio.Condition()

    # Driving --------------------------------------------------------------------------------

    @property
    def live_sessions(self) -> list[Session]:
        """Sessions with an open socket."""
        return [s for s in self.sessions.values() if s.ws is not None and not s.ws.closed]

    async def dispatch(self, event: str, data: dict[str, Any], *, intent: int | None = None) -> None:
        """Send a dispatch to every session (connected or awaiting RESUME) whose intents include intent."""
        for session in list(self.sessions.values()):
            if intent is None or session.intents & intent:
                await session.dispatch(event, data)

    async def send_reconnect(self) -> None:
        """op 7: ask the client to reconnect and RESUME."""
        await self._send_op(RECONNECT, None)

    async def invalidate_session(self, *, resumable: bool = False) -> None:
        """op 9: the session is gone (unless resumable); the client must IDENTIFY again."""
        if not resumable:
            live = self.live_sessions
            for session in live:
                self.sessions.pop(session.id, None)
            for session in live:
                await self._send_to(session, INVALID_SESSION, False)
            return
        await self._send_op(INVALID_SESSION, True)

    async def close_abruptly(self, *, code: int = 4000) -> None:
        """Close every socket with a close code Discord uses for 'unknown error; reconnect'."""
        for session in self.live_sessions:
            ws, session.ws = session.ws, None
            assert ws is not None
            await ws.close(code=code)

    def drop_connections(self) -> None:
        """Kill the TCP connections without a close frame, like a network failure."""
        for session in self.live_sessions:
            ws, session.ws = session.ws, None
            assert ws is not None
            transport = ws._req.transport if ws._req is not None else None
            if transport is not None:
                transport.abort()

    async def wait_for(self, predicate: Callable[[], bool], timeout_s: float = 5.0) -> None:
        """Wait until predicate() holds after some gateway change."""
        # Re-check on every change and also every few ms: some predicates (bot.is_ready) change
        # on the client's side without any request reaching the fake.
        async with asyncio.timeout(timeout_s):
            while not predicate():
                async with self._changed:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._changed.wait(), POLL_S)

    async def wait_resumed(self, after: int, timeout_s: float = 5.0) -> None:
        """Wait until more than `after` RESUMEs have completed and a socket is live."""
        await self.wait_for(lambda: self.resumes > after and bool(self.live_sessions), timeout_s)

    async def wait_identified(self, after: int, timeout_s: float = 5.0) -> None:
        """Wait until more than `after` IDENTIFYs have been answered with READY and a socket is live."""
        await self.wait_for(lambda: self.identifies > after and bool(self.live_sessions), timeout_s)

    # Serving --------------------------------------------------------------------------------

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def _send_op(self, op: int, data: Any) -> None:
        for session in self.live_sessions:
            await self._send_to(session, op, data)

    async def _send_to(self, session: Session, op: int, data: Any) -> None:
        async with session.lock:
            if session.ws is not None and not session.ws.closed:
                await session.ws.send_str(json.dumps({"op": op, "d": data, "s": None, "t": None}))

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """One client connection, from HELLO to close."""
        ws = web.WebSocketResponse(heartbeat=None, max_msg_size=0)
        await ws.prepare(request)
        await ws.send_str(json.dumps({"op": HELLO, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}}))
        session: Session | None = None
        try:
            async for message in ws:
                if message.type is not WSMsgType.TEXT:
                    continue
                frame = json.loads(message.data)
                self.frames_received.append(frame)
                op, data = frame.get("op"), frame.get("d")
                if op == HEARTBEAT:
                    await ws.send_str(json.dumps({"op": HEARTBEAT_ACK}))
                elif op == IDENTIFY:
                    if data.get("token") != self.token:
                        await ws.close(code=4004, message=b"Authentication failed.")
                        break
                    if int(data.get("intents", 0)) & PRIVILEGED_INTENTS & ~self.world.allowed_privileged_intents:
                        await ws.close(code=4014, message=b"Disallowed intent(s).")
                        break
                    session = await self._identify(ws, data)
                elif op == RESUME:
                    session = await self._resume(ws, data)
                elif op == REQUEST_GUILD_MEMBERS and session is not None:
                    await self._members_chunk(session, data)
        finally:
            if session is not None and session.ws is ws:
                session.ws = None
            await self._notify()
        return ws

    async def _identify(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> Session:
        session = Session(secrets.token_hex(16), int(data.get("intents", 0)), data.get("shard"), ws=ws)
        self.sessions[session.id] = session
        shard_id, shard_count = session.shard or [0, 1]
        guilds = [
            g
            for g in self.world.guilds.values()
            if self.world.bot_user.id in g.members and (g.id >> 22) % shard_count == shard_id
        ]
        ready: dict[str, Any] = {
            "v": 10,
            "user": {**self.world.bot_user.to_dict(), "verified": True, "mfa_enabled": False},
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self._resume_url(),
            "application": {"id": str(self.world.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "user_settings": {},
        }
        if session.shard is not None:
            ready["shard"] = session.shard
        await session.dispatch("READY", ready)
        for guild in guilds:
            await session.dispatch("GUILD_CREATE", guild.gateway_dict())
        self.identifies += 1
        await self._notify()
        return session

    async def _resume(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> Session | None:
        session = self.sessions.get(str(data.get("session_id")))
        if session is None or data.get("token") != self.token:
            await ws.send_str(json.dumps({"op": INVALID_SESSION, "d": False}))
            return None
        seq = int(data.get("seq") or 0)
        async with session.lock:
            session.ws = ws
            for number, frame in session.sent:
                if number > seq:
                    await ws.send_str(json.dumps(frame))
        await session.dispatch("RESUMED", {})
        self.resumes += 1
        await self._notify()
        return session

    async def _members_chunk(self, session: Session, data: dict[str, Any]) -> None:
        guild = self.world.guilds.get(int(data["guild_id"]))
        if guild is None:
            return
        await session.dispatch(
            "GUILD_MEMBERS_CHUNK",
            {
                "guild_id": str(guild.id),
                "members": [m.to_dict() for m in guild.members.values()],
                "chunk_index": 0,
                "chunk_count": 1,
                "nonce": data.get("nonce"),
            },
        )
