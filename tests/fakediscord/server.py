"""The fake Discord: an aiohttp server speaking REST under /api/v10 and the gateway at /gateway."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import re
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

import aiohttp
import discord
import yarl
from aiohttp import web
from discord.ui.view import ViewStore

from . import limits, mentions
from .control import Control
from .faults import TIMEOUT, Fault, Faults, Phase
from .gateway import Gateway
from .interactions import (
    AUTOCOMPLETE,
    DEFERRED_MESSAGE,
    DEFERRED_UPDATE,
    EPHEMERAL,
    MESSAGE,
    MODAL,
    PONG,
    UPDATE_MESSAGE,
    InteractionResult,
    build_command_data,
    modal_submit_components,
    new_token,
)
from .ledger import DeliveryLedger
from .ratelimit import Limit, RateLimitConfig, RateLimiter
from .spec import RouteMatch, SpecChecker
from .traffic import TrafficStats, traffic_stats
from .world import (
    CREATE_EVENTS,
    CREATE_PUBLIC_THREADS,
    DM,
    GUILD_ANNOUNCEMENT,
    GUILD_FORUM,
    MANAGE_CHANNELS,
    MANAGE_EVENTS,
    MANAGE_MESSAGES,
    MANAGE_THREADS,
    PUBLIC_THREAD,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    SEND_MESSAGES_IN_THREADS,
    THREAD_TYPES,
    VIEW_CHANNEL,
    Channel,
    Guild,
    Role,
    User,
    World,
    iso,
)

API_PREFIX = "/api/v10"
LOADING = 1 << 7  # message flag of a deferred ("thinking") response
CROSSPOSTED = 1 << 0
# Guild scheduled events: at most this many scheduled or active per guild; status changes Discord allows
# (SCHEDULED -> ACTIVE or CANCELED, ACTIVE -> COMPLETED; COMPLETED and CANCELED are final).
MAX_SCHEDULED_EVENTS = 100
EVENT_TRANSITIONS = frozenset({(1, 2), (1, 4), (2, 3)})
# Discord documents "the past few minutes" for enforce_nonce; five is the figure client libraries assume.
NONCE_WINDOW_S = 300.0
# Without a client handle (FakeDiscord.clients empty), how long the client gets to process an HTTP
# answer before the next button press or modal submit (a few loop turns).
SETTLE_S = 0.01
# With a client handle: the longest wait for it to register the view or modal a press or submit is for,
# after which the press goes ahead anyway (a test may press a button the bot forgot on purpose).
REGISTER_TIMEOUT_S = 1.0
# Discord's deadline for the first interaction callback, and how long the token then serves edits and follow-ups.
INTERACTION_DEADLINE_S = 3.0
TOKEN_LIFETIME_S = 15 * 60.0
# Gateway intents the fake honours when deciding who receives which dispatch.
GUILD_MESSAGES, DIRECT_MESSAGES, GUILD_SCHEDULED_EVENTS, GUILDS = 1 << 9, 1 << 12, 1 << 16, 1 << 0
# Routes that take an interaction or webhook token instead of the bot's Authorization header.
TOKEN_AUTH_PREFIXES = ("/interactions/", "/webhooks/")
# Message fields a create/edit body may set and a message object then carries.
MESSAGE_FIELDS = ("content", "embeds", "components", "flags", "tts", "poll", "sticker_ids")
# What makes a message non-empty (Discord answers 50006 "Cannot send an empty message" without any).
BODY_CONTENT_FIELDS = ("content", "embeds", "components", "sticker_ids", "poll")
MESSAGE_CONTENT_FIELDS = ("content", "embeds", "components", "attachments", "sticker_items", "sticker_ids", "poll")
# Interaction types.
APPLICATION_COMMAND, MESSAGE_COMPONENT, APPLICATION_COMMAND_AUTOCOMPLETE, MODAL_SUBMIT = 2, 3, 4, 5


POLL_S = 0.01


@dataclass
class RecordedRequest:
    """One REST request the bot made, as the fake received it."""

    method: str
    path: str
    template: str | None
    params: dict[str, str]
    query: dict[str, str]
    body: Any
    files: list[str] = field(default_factory=list)
    # 0 until answered; stays 0 when a TIMEOUT fault held the request and dropped its connection.
    status: int = 0
    # The injected fault that answered it, e.g. "500 after" or "timeout before"; None when it was served normally.
    fault: str | None = None
    # FakeDiscord.now_s() when it arrived.
    at: float = 0.0
    # X-RateLimit-Scope of a 429 answer: "user", "global" or "shared".
    rate_limit_scope: str | None = None


@dataclass
class Violation:
    """A request Discord would have rejected as malformed: unknown route, schema or limit violation."""

    kind: str
    method: str
    path: str
    errors: list[str]
    body: Any = None

    def __str__(self) -> str:
        return f"{self.kind}: {self.method} {self.path}: " + "; ".join(self.errors)


class FakeHTTPError(Exception):
    """An error answer in Discord's JSON error format."""

    def __init__(self, status: int, code: int, message: str, errors: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.errors = status, code, message, errors

    def response(self) -> web.Response:
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors:
            body["errors"] = self.errors
        return json_response(body, status=self.status)


def json_response(data: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """JSON with Content-Type exactly application/json: discord.py parses the body only then."""
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    return web.Response(body=json.dumps(data).encode(), status=status, headers=all_headers)


def _no_content(headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=204, headers=headers)


@dataclass
class Ctx:
    """One request as a handler sees it."""

    request: web.Request
    params: dict[str, str]
    query: dict[str, str]
    body: Any
    files: list[tuple[str, bytes]]

    def id(self, name: str) -> int:
        """A snowflake path parameter."""
        try:
            return int(self.params[name])
        except ValueError:
            raise FakeHTTPError(404, 0, "404: Not Found") from None


Handler = Callable[[Ctx], Awaitable[web.Response]]
# How the app the interaction is for was installed: to the guild (or for the bot's DM), or to the user.
Install = Literal["guild", "user"]
# Interaction context types.
GUILD_CONTEXT, BOT_DM_CONTEXT, PRIVATE_CHANNEL_CONTEXT = 0, 1, 2


class Clock(Protocol):
    """Anything that tells the time as an aware datetime: bot.clock.ManualClock, SystemClock, ..."""

    def now(self) -> datetime: ...


class WallClock:
    """Real time, the default."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class _Dropped(Exception):
    """A TIMEOUT fault held the request and then cut its connection: there is no answer to send."""


class FakeDiscord:
    """A local Discord for the unmodified discord.py client; records every request and judges it."""

    def __init__(
        self,
        *,
        token: str = "fake-token",  # noqa: S107 - the fake's own test token
        ratelimits: RateLimitConfig | None = None,
        interaction_deadline_s: float = INTERACTION_DEADLINE_S,
        clock: Clock | None = None,
    ) -> None:
        self.token = token
        # The fake's time windows (faults' periods, ...) follow this clock: pass the tests' clock to move them.
        self.clock: Clock = clock if clock is not None else WallClock()
        self.faults = Faults()
        # Set by stop(): held (TIMEOUT) requests end at once instead of outliving the server.
        self._released = asyncio.Event()
        # A test whose bot is slow on purpose (or runs under a debugger) loosens this explicitly.
        self.interaction_deadline_s = interaction_deadline_s
        self.token_lifetime_s = TOKEN_LIFETIME_S
        # The discord.py clients connected to this fake (bot_running registers them); the helpers
        # look into their view stores to know when a pressed button's view is registered.
        self.clients: list[discord.Client] = []
        self.world = World()
        self.spec = SpecChecker()
        self.ratelimiter = RateLimiter(ratelimits, now=self.now_s)
        self.gateway = Gateway(self.world, token, lambda: str(self.gateway_url))
        self.requests: list[RecordedRequest] = []
        self.violations: list[Violation] = []
        self.global_commands: list[dict[str, Any]] = []
        self.guild_commands: dict[int, list[dict[str, Any]]] = {}
        self.interactions: dict[int, InteractionResult] = {}
        # The bytes of every uploaded file, by (message id, attachment id): see attachment_bytes().
        self.uploads: dict[tuple[str, str], bytes] = {}
        self._by_token: dict[str, InteractionResult] = {}
        # (author id, nonce) -> (now_s when created, channel id, message id): Discord keys enforce_nonce by author.
        self._nonces: dict[tuple[int, str], tuple[float, int, int]] = {}
        self.nonce_window_s = NONCE_WINDOW_S
        self.ledger = DeliveryLedger()
        self._changed = asyncio.Condition()
        self._in_flight = 0
        self._runner: web.AppRunner | None = None
        self._saved: tuple[str, yarl.URL] | None = None
        self.port = 0
        self._handlers: dict[tuple[str, str], Handler] = self._handler_table()
        self.control = Control(self)

    # Life cycle -----------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The REST base, for discord.http.Route.BASE."""
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    @property
    def gateway_url(self) -> yarl.URL:
        """The gateway URL, for DiscordWebSocket.DEFAULT_GATEWAY."""
        return yarl.URL(f"ws://127.0.0.1:{self.port}/gateway")

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on host:port (port 0 picks a free one)."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/gateway/", self.gateway.handle)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._serve)
        app.add_routes(self.control.routes())
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        assert isinstance(server, asyncio.Server)
        self.port = server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop serving and close every socket."""
        self.uninstall()
        self._released.set()
        for session in self.gateway.live_sessions:
            if session.ws is not None:
                await session.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def install(self) -> None:
        """Point discord.py (REST and gateway) at this fake; uninstall() restores the originals."""
        if self._saved is None:
            self._saved = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
        discord.http.Route.BASE = self.base_url
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = self.gateway_url

    def uninstall(self) -> None:
        """Restore discord.py's real Discord URLs."""
        if self._saved is not None:
            discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = self._saved
            self._saved = None

    def now_s(self) -> float:
        """The fake's clock as epoch seconds; every window of the fake is measured in these."""
        return self.clock.now().timestamp()

    # Faults ---------------------------------------------------------------------------------

    def fail(
        self,
        method: str,
        template: str,
        *,
        status: int = 500,
        after: bool = False,
        times: int | None = 1,
        for_s: float | None = None,
        hold_s: float | None = None,
        params: dict[str, str] | None = None,
    ) -> Fault:
        """Answer the next `times` requests (None: all) for method+template with status, for for_s clock seconds.

        status TIMEOUT (0) holds the request hold_s seconds and then drops its connection without an answer.
        after=True lets Discord act first (the message is created) and only then answers with the fault.
        """
        if template not in self.spec.templates:
            raise KeyError(f"{template!r} is not a route template of the vendored spec")
        fault = Fault(
            method,
            template,
            status=status,
            phase="after" if after else "before",
            times=times,
            until_s=None if for_s is None else self.now_s() + for_s,
            params={k: str(v) for k, v in (params or {}).items()},
        )
        if hold_s is not None:
            fault.hold_s = hold_s
        return self.faults.add(fault)

    async def _apply_fault(
        self, request: web.Request, match: RouteMatch, record: RecordedRequest, phase: Phase
    ) -> web.Response | None:
        fault = self.faults.take(request.method, match.template, match.params, phase, self.now_s())
        if fault is None:
            return None
        fault.hits.append(record.path)
        if fault.status == TIMEOUT:
            record.fault = f"timeout {phase}"
            # Held on real time: the client's patience is real time too.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._released.wait(), fault.hold_s)
            if request.transport is not None:
                request.transport.abort()
            raise _Dropped
        record.fault = f"{fault.status} {phase}"
        return json_response(Faults.body(fault.status), status=fault.status)

    # Rate limits ----------------------------------------------------------------------------

    def set_rate_limits(
        self,
        *,
        global_limit: Limit | None = None,
        default_limit: Limit | None = None,
        routes: dict[tuple[str, str], Limit] | None = None,
    ) -> None:
        """Enforce these limits from now on (only the parts given change); every bucket starts empty."""
        self.ratelimiter.configure(global_limit=global_limit, default_limit=default_limit, routes=routes)

    def traffic(self, since: float | None = None) -> TrafficStats:
        """Requests by route, peak requests per second and 429s by scope, for requests since (now_s() seconds)."""
        return traffic_stats(self.requests, since)

    # Inspecting -----------------------------------------------------------------------------

    def attachment_bytes(self, message: dict[str, Any]) -> dict[str, bytes]:
        """The files attached to message (a channel message, or an interaction's response or follow-up) as it
        stands now, by filename: what a reader would download."""
        return {a["filename"]: self.uploads[(message["id"], a["id"])] for a in message.get("attachments") or []}

    def requests_to(self, method: str, template: str) -> list[RecordedRequest]:
        """Recorded requests for one route, e.g. ("POST", "/channels/{channel_id}/messages")."""
        return [r for r in self.requests if r.method == method.upper() and r.template == template]

    def clear_violations(self) -> list[Violation]:
        """Take every recorded violation; prefer take_violations(kind, match), which leaves the unexpected ones."""
        taken, self.violations = self.violations, []
        return taken

    def take_violations(self, kind: str | None = None, match: str | None = None) -> list[Violation]:
        """Remove and return the violations of kind (any if None) whose text matches the regex match (any if None).

        A test that provokes a violation on purpose takes exactly that one; any other still fails it at teardown.
        """
        pattern = re.compile(match) if match is not None else None

        def wanted(violation: Violation) -> bool:
            return (kind is None or violation.kind == kind) and (
                pattern is None or bool(pattern.search(str(violation)))
            )

        taken = [v for v in self.violations if wanted(v)]
        self.violations = [v for v in self.violations if not wanted(v)]
        return taken

    @property
    def commands(self) -> list[dict[str, Any]]:
        """Every synced command, global first."""
        return [*self.global_commands, *(c for cmds in self.guild_commands.values() for c in cmds)]

    def command(self, name: str, guild: Guild | None = None) -> dict[str, Any]:
        """The synced command called name (guild commands shadow global ones)."""
        candidates = (self.guild_commands.get(guild.id, []) if guild else []) + self.global_commands
        for command in candidates:
            if command["name"] == name and command.get("type", 1) == 1:
                return command
        synced = ", ".join(c["name"] for c in candidates) or "none"
        raise KeyError(f"no synced slash command /{name} (synced: {synced})")

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def role_changed(self, role: Role, *, created: bool = False) -> None:
        """Tell gateway clients that a role was made or changed, as Discord does (world edits are silent)."""
        event = "GUILD_ROLE_CREATE" if created else "GUILD_ROLE_UPDATE"
        await self.gateway.dispatch(event, {"guild_id": str(role.guild_id), "role": role.to_dict()}, intent=GUILDS)

    async def channel_changed(self, channel: Channel) -> None:
        """Tell gateway clients that a channel's settings (permission overwrites...) changed."""
        event = "THREAD_UPDATE" if channel.type in THREAD_TYPES else "CHANNEL_UPDATE"
        await self.gateway.dispatch(event, channel.to_dict(), intent=GUILDS)

    async def wait_for(self, predicate: Callable[[], bool], timeout_s: float = 5.0) -> None:
        """Wait until predicate() holds; it is re-checked after every request."""
        # Re-check on every change and also every few ms: some predicates (bot.is_ready) change
        # on the client's side without any request reaching the fake.
        async with asyncio.timeout(timeout_s):
            while not predicate():
                async with self._changed:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._changed.wait(), POLL_S)

    async def wait_for_request(
        self, method: str, template: str, count: int = 1, timeout_s: float = 5.0
    ) -> RecordedRequest:
        """Wait until at least count requests for the route were answered; return the last."""
        await self.wait_for(lambda: sum(r.status > 0 for r in self.requests_to(method, template)) >= count, timeout_s)
        return self.requests_to(method, template)[-1]

    # Driving the bot like a person ----------------------------------------------------------

    async def slash(
        self,
        command: str,
        *,
        user: User,
        guild: Guild | None = None,
        channel: Channel | None = None,
        options: dict[str, Any] | None = None,
        locale: str = "en-US",
        timeout_s: float = 5.0,
        install: Install = "guild",
    ) -> InteractionResult:
        """Run '/command [group] [sub]' as user (a member of guild, in channel; or in a DM with the bot).

        install="user" runs it as the user's own installation of the app: also in a guild without the bot or
        in a private channel (world.private_channel), if the command allows that install type and context.
        Returns once the bot answered: for a deferred response, once it also edited or followed up.
        """
        name, *path = command.split()
        synced = self.command(name, guild)
        data = build_command_data(synced, path, options or {}, self._member_map(guild))
        return await self._interact(
            2, data, user=user, guild=guild, channel=channel, locale=locale, timeout_s=timeout_s, install=install
        )

    async def autocomplete(
        self,
        command: str,
        focused: str,
        *,
        user: User,
        guild: Guild | None = None,
        channel: Channel | None = None,
        options: dict[str, Any] | None = None,
        locale: str = "en-US",
        timeout_s: float = 5.0,
        install: Install = "guild",
    ) -> list[dict[str, Any]]:
        """Autocomplete option `focused` of '/command' (its partial text is options[focused]); the choices."""
        name, *path = command.split()
        synced = self.command(name, guild)
        opts = dict(options or {})
        opts.setdefault(focused, "")
        data = build_command_data(synced, path, opts, self._member_map(guild), focused=focused)
        result = await self._interact(
            4, data, user=user, guild=guild, channel=channel, locale=locale, timeout_s=timeout_s, install=install
        )
        if result.choices is None:
            raise AssertionError(f"autocomplete answered with callback type {result.type}, not 8")
        return result.choices

    async def press_button(
        self,
        message: dict[str, Any],
        custom_id: str,
        *,
        user: User,
        values: list[str] | None = None,
        component_type: int = 2,
        locale: str = "en-US",
        timeout_s: float = 5.0,
    ) -> InteractionResult:
        """Press the button (or pick values in the select) custom_id on a message the bot sent.

        Like a person, it can only press what the message shows enabled: anything else fails the test here.
        """
        component = _find_component(message.get("components") or [], custom_id)
        if component is not None and component.get("disabled"):
            raise AssertionError(f"component {custom_id!r} ({component.get('label')!r}) is disabled")
        channel = self.world.channels[int(message["channel_id"])]
        guild = self.world.guild_of(channel)
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component_type}
        if values is not None:
            data["values"] = values
        message_id, key = int(message["id"]), (component_type, custom_id)

        def registered(store: ViewStore) -> bool:
            views = store._views
            return (
                key in views.get(message_id, {})
                or key in views.get(None, {})
                or any(pattern.fullmatch(custom_id) for pattern in store._dynamic_items)
            )

        await self._wait_registered(registered)
        # A press counts under the installation that sent the message (Discord keeps it in its metadata).
        owners = (message.get("interaction_metadata") or {}).get("authorizing_integration_owners") or {}
        install: Install = "user" if "1" in owners and "0" not in owners else "guild"
        return await self._interact(
            3,
            data,
            user=user,
            guild=guild,
            channel=channel,
            locale=locale,
            timeout_s=timeout_s,
            message=message,
            install=install,
        )

    async def submit_modal(
        self,
        modal: dict[str, Any] | InteractionResult,
        values: dict[str, str],
        *,
        user: User,
        guild: Guild | None = None,
        channel: Channel | None = None,
        locale: str = "en-US",
        timeout_s: float = 5.0,
    ) -> InteractionResult:
        """Submit a modal the bot opened (the InteractionResult that opened it, or its modal dict).

        A modal opened from a button carries that button's message, as on Discord, so the bot may answer the
        submit by updating the message (callback type 7).
        """
        message: dict[str, Any] | None = None
        if isinstance(modal, InteractionResult):
            if modal.modal is None:
                raise AssertionError(f"the bot answered with callback type {modal.type}, not a modal")
            guild = guild or self._guild_from_payload(modal.payload)
            channel = channel or self.world.channels.get(int(modal.payload["channel_id"]))
            message = modal.payload.get("message")
            modal = modal.modal
        custom_id = modal["custom_id"]
        await self._wait_registered(lambda store: custom_id in store._modals)
        data = {"custom_id": custom_id, "components": modal_submit_components(modal, values)}
        return await self._interact(
            5, data, user=user, guild=guild, channel=channel, locale=locale, timeout_s=timeout_s, message=message
        )

    def _guild_from_payload(self, payload: dict[str, Any]) -> Guild | None:
        return self.world.guilds.get(int(payload["guild_id"])) if payload.get("guild_id") else None

    def _member_map(self, guild: Guild | None) -> dict[int, dict[str, Any]]:
        return {uid: m.to_dict() for uid, m in guild.members.items()} if guild else {}

    async def _interact(
        self,
        kind: int,
        data: dict[str, Any],
        *,
        user: User,
        guild: Guild | None,
        channel: Channel | None,
        locale: str,
        timeout_s: float,
        message: dict[str, Any] | None = None,
        install: Install = "guild",
    ) -> InteractionResult:
        result = await self.start_interaction(
            kind, data, user=user, guild=guild, channel=channel, locale=locale, message=message, install=install
        )
        try:
            await result.wait(lambda r: r.answered, timeout_s)
        except TimeoutError:
            state = "no callback" if result.callback is None else f"callback type {result.type} but no edit/follow-up"
            raise AssertionError(
                f"the bot did not answer interaction {kind} {data} within {timeout_s}s ({state})"
            ) from None
        # Answered requests are counted when their handler returns; wait until none is half done.
        await self.wait_for(lambda: self._in_flight == 0, timeout_s)
        return result

    async def _wait_registered(self, registered: Callable[[ViewStore], bool]) -> None:
        """Wait until a connected client's view store satisfies registered(store), within REGISTER_TIMEOUT_S.

        discord.py registers a view under a message's id only after reading the HTTP answer that created the
        message, so a press straight after the answer could otherwise reach a client that does not know it yet.
        """
        if not self.clients:
            await asyncio.sleep(SETTLE_S)
            return

        def known() -> bool:
            return any(registered(client._connection._view_store) for client in self.clients)

        with contextlib.suppress(TimeoutError):
            await self.wait_for(known, REGISTER_TIMEOUT_S)

    async def start_interaction(
        self,
        kind: int,
        data: dict[str, Any],
        *,
        user: User,
        guild: Guild | None = None,
        channel: Channel | None = None,
        locale: str = "en-US",
        message: dict[str, Any] | None = None,
        install: Install = "guild",
    ) -> InteractionResult:
        """Dispatch an INTERACTION_CREATE of type kind with data and return at once (the helpers wait for the answer).

        For tests of the fake itself, which then answer it with raw requests.
        """
        world = self.world
        if channel is None:
            channel = world.dm_channel(user) if guild is None else next(iter(guild.channels.values()))
        if guild is None:
            guild = world.guild_of(channel)
        interaction_id = world.snowflake()
        payload: dict[str, Any] = {
            "id": str(interaction_id),
            "application_id": str(world.application_id),
            "type": kind,
            "data": data,
            "token": new_token(),
            "version": 1,
            "locale": locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": 10 * 1024 * 1024,
            "app_permissions": str(world.permissions(world.bot_user, channel)),
            "channel_id": str(channel.id),
            "channel": channel.to_dict(),
        }
        context = GUILD_CONTEXT if guild is not None else PRIVATE_CHANNEL_CONTEXT if channel.private else BOT_DM_CONTEXT
        self._check_install(data, kind, install, context, guild)
        # The installation(s) the interaction is authorized under: the guild's (its id; "0" in the bot's DM),
        # or the invoking user's own (their id).
        owners = {"1": str(user.id)} if install == "user" else {"0": str(guild.id) if guild is not None else "0"}
        if guild is not None:
            if user.id not in guild.members:
                raise KeyError(f"{user.username} is not a member of {guild.name}; world.add_member() first")
            member = guild.members[user.id].to_dict()
            member["permissions"] = str(world.permissions(user, channel))
            payload.update(
                guild_id=str(guild.id),
                guild_locale="en-US",
                guild={"id": str(guild.id), "locale": "en-US", "features": []},
                member=member,
                context=context,
                authorizing_integration_owners=owners,
            )
        else:
            payload.update(user=user.to_dict(), context=context, authorizing_integration_owners=owners)
        for resolved_channel in data.get("resolved", {}).get("channels", {}).values():
            target = world.channels[int(resolved_channel["id"])]
            resolved_channel["permissions"] = str(world.permissions(user, target))
        result = InteractionResult(interaction_id, payload["token"], payload)
        if message is not None:
            payload["message"] = message
            result.original = message
        self.interactions[interaction_id] = result
        self._by_token[result.token] = result
        result.created = self.now_s()
        await self.gateway.dispatch("INTERACTION_CREATE", payload)
        return result

    def _check_install(
        self, data: dict[str, Any], kind: int, install: Install, context: int, guild: Guild | None
    ) -> None:
        """Refuse, as Discord's client would never send it, a command used where its installs or contexts
        do not allow, or a guild installation where the bot is not."""
        if install == "guild" and guild is not None and self.world.bot_user.id not in guild.members:
            raise AssertionError(f"the app is not installed in {guild.name}: use install='user'")
        if install == "guild" and context == PRIVATE_CHANNEL_CONTEXT:
            raise AssertionError("a guild installation cannot be used in a private channel: use install='user'")
        if kind not in (2, 4):
            return  # components and modals belong to a message that was allowed already
        synced = next((c for c in self.commands if c["id"] == data["id"]), None)
        if synced is None:
            return
        integration = 1 if install == "user" else 0
        if integration not in (synced.get("integration_types") or [0]):
            raise AssertionError(
                f"/{synced['name']} is not installable to {install}s: {synced.get('integration_types')}"
            )
        contexts = synced.get("contexts")
        if contexts is not None and context not in contexts:
            raise AssertionError(f"/{synced['name']} cannot be used in context {context}: allowed {contexts}")

    # Serving REST ---------------------------------------------------------------------------

    def _violation(self, kind: str, request: web.Request, errors: list[str], body: Any = None) -> None:
        self.violations.append(Violation(kind, request.method, request.path, errors, body))

    async def _serve(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        match = self.spec.match(path)
        record = RecordedRequest(
            request.method,
            path,
            match.template if match else None,
            match.params if match else {},
            dict(request.query),
            None,
            at=self.now_s(),
        )
        self.requests.append(record)
        self._in_flight += 1
        response: web.Response | None
        try:
            record.body, files = await self._read_body(request)
            record.files = [name for name, _ in files]
            response = await self._answer(request, path, match, record, files)
        except _Dropped:
            # The connection is already cut, so this answer reaches no one; the record keeps status 0.
            response = None
        except FakeHTTPError as error:
            response = error.response()
        except Exception as error:
            # A bug in the fake, not in the bot; it must fail the test all the same, with where it happened.
            frames = traceback.extract_tb(error.__traceback__)[-4:]
            where = [f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno} in {frame.name}" for frame in frames]
            self._violation("fake-error", request, [f"{type(error).__name__}: {error}", *where], record.body)
            response = json_response(
                {"message": "500: Internal Server Error (a bug in the fake)", "code": 0}, status=500
            )
        finally:
            self._in_flight -= 1
        if response is None:
            await self._notify()
            return web.Response(status=503)
        record.status = response.status
        await self._notify()
        return response

    async def _answer(
        self,
        request: web.Request,
        path: str,
        match: RouteMatch | None,
        record: RecordedRequest,
        files: list[tuple[str, bytes]],
    ) -> web.Response:
        if match is None or not self.spec.has_method(match.template, request.method):
            self._violation(
                "unknown-route",
                request,
                [f"no {request.method} {path} in the vendored (trimmed) copy of Discord's API spec"],
            )
            raise FakeHTTPError(
                404 if match is None else 405, 0, "404: Not Found" if match is None else "405: Method Not Allowed"
            )
        if (
            not match.template.startswith(TOKEN_AUTH_PREFIXES)
            and request.headers.get("Authorization") != f"Bot {self.token}"
        ):
            raise FakeHTTPError(401, 0, "401: Unauthorized")
        failed = await self._apply_fault(request, match, record, "before")
        if failed is not None:
            return failed
        decision = self.ratelimiter.check(request.method, match.template, match.params)
        if decision.retry_after is not None:
            record.rate_limit_scope = decision.scope
            body = {
                "message": "You are being rate limited.",
                "retry_after": decision.retry_after,
                "global": decision.is_global,
            }
            return json_response(body, status=429, headers=decision.headers)
        errors = self.spec.request_errors(match.template, request.method, record.body)
        if errors:
            self._violation("schema", request, errors, record.body)
            raise FakeHTTPError(
                400, 50035, "Invalid Form Body", {"_errors": [{"code": "SPEC", "message": e} for e in errors]}
            )
        # Discord accepts a body with fields it does not know, so the request goes on; the test fails at teardown.
        unknown = self.spec.unknown_fields(match.template, request.method, record.body)
        if unknown:
            self._violation("unknown-field", request, unknown, record.body)
        handler = self._handlers.get((request.method, match.template))
        if handler is None:
            self._violation(
                "unimplemented", request, [f"the fake does not serve {request.method} {match.template} yet"]
            )
            raise FakeHTTPError(501, 0, "fake Discord does not implement this route")
        response = await handler(Ctx(request, match.params, dict(request.query), record.body, files))
        if 200 <= response.status < 300:
            failed = await self._apply_fault(request, match, record, "after")
            if failed is not None:
                return failed
        response.headers.update(decision.headers)
        return response

    async def _read_body(self, request: web.Request) -> tuple[Any, list[tuple[str, bytes]]]:
        if not request.body_exists:
            return None, []
        if request.content_type == "multipart/form-data":
            body: Any = None
            files: list[tuple[str, bytes]] = []
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(part, aiohttp.BodyPartReader):
                    continue
                content = await part.read()
                if part.name == "payload_json":
                    try:
                        body = json.loads(content)
                    except ValueError as error:
                        self._violation("schema", request, [f"payload_json is not JSON: {error}"])
                        raise FakeHTTPError(400, 50109, "The request body contains invalid JSON.") from None
                else:
                    files.append((part.filename or part.name or "file", bytes(content)))
            return body, files
        raw = await request.read()
        if not raw:
            return None, []
        try:
            return json.loads(raw), []
        except ValueError:
            return raw.decode(errors="replace"), []

    def _check_limits(self, body: dict[str, Any] | None, request: web.Request) -> None:
        if not isinstance(body, dict):
            return
        tree = limits.message_errors(body)
        if tree:
            self._violation("limits", request, limits.flatten(tree), body)
            raise FakeHTTPError(400, 50035, "Invalid Form Body", tree)

    def _check_not_empty(self, message: dict[str, Any], files: list[tuple[str, bytes]], request: web.Request) -> None:
        """50006 unless message (a create body, or a message as an edit would leave it) has something to show."""
        if files or any(message.get(key) for key in MESSAGE_CONTENT_FIELDS):
            return
        self._violation("limits", request, ["Cannot send an empty message"], message)
        raise FakeHTTPError(400, 50006, "Cannot send an empty message")

    def _edited(self, message: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
        """message as ctx's edit would leave it, judged (limits, emptiness) before anything changes."""
        body: dict[str, Any] = ctx.body or {}
        self._check_limits(body, ctx.request)
        candidate = copy.deepcopy(message)
        self._apply_edit(candidate, body, ctx.files)
        self._check_not_empty(candidate, [], ctx.request)
        channel = self.world.channels.get(int(message["channel_id"]))
        if channel is not None and ("content" in body or "allowed_mentions" in body):
            self._mentions(channel, candidate.get("content") or "", body.get("allowed_mentions")).apply(candidate)
        return candidate

    def _mentions(self, channel: Channel, content: str, allowed: dict[str, Any] | None) -> mentions.Mentions:
        """Who a message pings."""
        return mentions.compute(self.world, channel, content, allowed)

    # World access with Discord's errors -----------------------------------------------------

    def _channel(self, channel_id: int) -> Channel:
        channel = self.world.channels.get(channel_id)
        if channel is None:
            raise FakeHTTPError(404, 10003, "Unknown Channel")
        if channel.private:
            raise FakeHTTPError(403, 50001, "Missing Access")  # a DM between two people: not the bot's
        if channel.type != DM and not self.world.permissions(self.world.bot_user, channel) & VIEW_CHANNEL:
            raise FakeHTTPError(403, 50001, "Missing Access")
        return channel

    def _guild(self, guild_id: int) -> Guild:
        guild = self.world.guilds.get(guild_id)
        if guild is None or self.world.bot_user.id not in guild.members:
            raise FakeHTTPError(404, 10004, "Unknown Guild")
        return guild

    def _require(self, channel: Channel, permission: int) -> None:
        if channel.type == DM:
            return
        if self.world.permissions(self.world.bot_user, channel) & permission != permission:
            raise FakeHTTPError(403, 50013, "Missing Permissions")

    def _message(self, channel: Channel, message_id: int) -> dict[str, Any]:
        message = self.world.messages.get(channel.id, {}).get(message_id)
        # An ephemeral message exists only for its interaction's token; channel routes do not know it.
        if message is None or int(message.get("flags") or 0) & EPHEMERAL:
            raise FakeHTTPError(404, 10008, "Unknown Message")
        return message

    def _new_message(
        self,
        channel: Channel,
        body: dict[str, Any],
        files: list[tuple[str, bytes]],
        *,
        message_id: int | None = None,
        webhook_id: int | None = None,
        interaction: InteractionResult | None = None,
        message_type: int = 0,
    ) -> dict[str, Any]:
        world = self.world
        pings = self._mentions(channel, str(body.get("content") or ""), body.get("allowed_mentions"))
        mid = message_id or world.snowflake()
        message: dict[str, Any] = {
            "id": str(mid),
            "channel_id": str(channel.id),
            "author": world.bot_user.to_dict(),
            "content": "",
            "timestamp": iso(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": self._attachments(body, files, str(mid)),
            "embeds": [],
            "components": [],
            "pinned": False,
            "type": message_type,
            "flags": 0,
        }
        for key in MESSAGE_FIELDS:
            if body.get(key) is not None:
                message[key] = body[key]
        message["embeds"] = [{"type": "rich", **e} for e in message["embeds"]]
        pings.apply(message)
        if body.get("nonce") is not None:
            message["nonce"] = body["nonce"]
        if channel.guild_id:
            message["guild_id"] = str(channel.guild_id)
        if webhook_id is not None:
            message["webhook_id"] = str(webhook_id)
            message["application_id"] = str(world.application_id)
        if interaction is not None:
            invoker = interaction.payload.get("member", {}).get("user") or interaction.payload.get("user")
            message["interaction_metadata"] = {
                "id": str(interaction.id),
                "type": interaction.payload["type"],
                "user": invoker,
                "authorizing_integration_owners": interaction.payload["authorizing_integration_owners"],
            }
        world.messages.setdefault(channel.id, {})[mid] = message
        channel.last_message_id = mid
        return message

    def _attachments(
        self, body: dict[str, Any], files: list[tuple[str, bytes]], message_id: str
    ) -> list[dict[str, Any]]:
        described = {int(a["id"]): a for a in body.get("attachments") or [] if str(a.get("id", "")).isdigit()}
        out = []
        for index, (name, content) in enumerate(files):
            meta = described.get(index, {})
            filename = meta.get("filename") or name
            attachment_id = str(self.world.snowflake())
            url = f"https://cdn.discordapp.com/attachments/{message_id}/{attachment_id}/{filename}"
            self.uploads[(message_id, attachment_id)] = content
            out.append({"id": attachment_id, "filename": filename, "size": len(content), "url": url, "proxy_url": url})
        return out

    async def _dispatch_message(self, event: str, channel: Channel, message: dict[str, Any]) -> None:
        if int(message.get("flags") or 0) & EPHEMERAL:
            return
        await self.gateway.dispatch(event, message, intent=DIRECT_MESSAGES if channel.type == DM else GUILD_MESSAGES)

    def _apply_edit(self, message: dict[str, Any], body: dict[str, Any], files: list[tuple[str, bytes]]) -> None:
        for key in ("content", "embeds", "components"):
            if key in body:
                message[key] = body[key] if body[key] is not None else ([] if key != "content" else "")
        message["embeds"] = [{"type": "rich", **e} for e in message["embeds"]]
        if "attachments" in body or files:
            keep = {str(a.get("id")) for a in body.get("attachments") or []}
            message["attachments"] = [a for a in message["attachments"] if a["id"] in keep]
            message["attachments"] += self._attachments(body, files, message["id"])
        if body.get("flags") is not None:
            # Only SUPPRESS_EMBEDS may change on edit; keep ephemeral, drop the loading flag.
            message["flags"] = (int(message.get("flags") or 0) & EPHEMERAL) | (
                int(body["flags"]) & ~EPHEMERAL & ~LOADING
            )
        message["flags"] = int(message.get("flags") or 0) & ~LOADING
        message["edited_timestamp"] = iso()

    # Handlers -------------------------------------------------------------------------------

    def _handler_table(self) -> dict[tuple[str, str], Handler]:
        a, w, c, g = (
            "/applications/{application_id}",
            "/webhooks/{webhook_id}/{webhook_token}",
            "/channels/{channel_id}",
            "/guilds/{guild_id}",
        )
        return {
            ("GET", "/users/@me"): self._get_me,
            ("GET", "/users/{user_id}"): self._get_user,
            ("POST", "/users/@me/channels"): self._create_dm,
            ("GET", "/oauth2/applications/@me"): self._get_application,
            ("GET", "/gateway"): self._get_gateway,
            ("GET", "/gateway/bot"): self._get_gateway_bot,
            ("GET", a + "/commands"): self._list_commands,
            ("PUT", a + "/commands"): self._put_commands,
            ("GET", a + g + "/commands"): self._list_commands,
            ("PUT", a + g + "/commands"): self._put_commands,
            ("POST", "/interactions/{interaction_id}/{interaction_token}/callback"): self._callback,
            ("POST", w): self._followup,
            ("GET", w + "/messages/@original"): self._webhook_get,
            ("PATCH", w + "/messages/@original"): self._webhook_edit,
            ("DELETE", w + "/messages/@original"): self._webhook_delete,
            ("GET", w + "/messages/{message_id}"): self._webhook_get,
            ("PATCH", w + "/messages/{message_id}"): self._webhook_edit,
            ("DELETE", w + "/messages/{message_id}"): self._webhook_delete,
            ("GET", c): self._get_channel,
            ("PATCH", c): self._edit_channel,
            ("GET", c + "/messages"): self._list_messages,
            ("POST", c + "/messages"): self._create_message,
            ("GET", c + "/messages/{message_id}"): self._get_message,
            ("PATCH", c + "/messages/{message_id}"): self._edit_message,
            ("DELETE", c + "/messages/{message_id}"): self._delete_message,
            ("POST", c + "/messages/{message_id}/crosspost"): self._crosspost,
            ("POST", c + "/messages/{message_id}/threads"): self._thread_from_message,
            ("POST", c + "/threads"): self._create_thread,
            ("GET", g): self._get_guild,
            ("GET", g + "/channels"): self._get_guild_channels,
            ("GET", g + "/threads/active"): self._active_threads,
            ("GET", g + "/members/{user_id}"): self._get_member,
            ("GET", g + "/scheduled-events"): self._list_events,
            ("POST", g + "/scheduled-events"): self._create_event,
            ("GET", g + "/scheduled-events/{guild_scheduled_event_id}"): self._get_event,
            ("PATCH", g + "/scheduled-events/{guild_scheduled_event_id}"): self._edit_event,
            ("DELETE", g + "/scheduled-events/{guild_scheduled_event_id}"): self._delete_event,
        }

    async def _get_me(self, ctx: Ctx) -> web.Response:
        return json_response({**self.world.bot_user.to_dict(), "verified": True, "mfa_enabled": False})

    async def _get_user(self, ctx: Ctx) -> web.Response:
        user = self.world.users.get(ctx.id("user_id"))
        if user is None:
            raise FakeHTTPError(404, 10013, "Unknown User")
        return json_response(user.to_dict())

    async def _create_dm(self, ctx: Ctx) -> web.Response:
        user = self.world.users.get(int(ctx.body["recipient_id"]))
        if user is None:
            raise FakeHTTPError(
                400,
                50035,
                "Invalid Form Body",
                {"recipient_id": {"_errors": [{"code": "NUMBER_TYPE_COERCE", "message": "Unknown user"}]}},
            )
        return json_response(self.world.dm_channel(user).to_dict())

    async def _get_application(self, ctx: Ctx) -> web.Response:
        world = self.world
        return json_response(
            {
                "id": str(world.application_id),
                "name": world.bot_user.username,
                "icon": None,
                "description": "",
                "summary": "",
                "type": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "verify_key": "0" * 64,
                "flags": 0,
                "owner": world.owner.to_dict(),
                "team": None,
                "bot": world.bot_user.to_dict(),
                "tags": [],
                "redirect_uris": [],
                "interactions_endpoint_url": None,
                "install_params": None,
                "integration_types_config": {"0": {}},
                "approximate_guild_count": len(world.guilds),
            }
        )

    async def _get_gateway(self, ctx: Ctx) -> web.Response:
        return json_response({"url": str(self.gateway_url)})

    async def _get_gateway_bot(self, ctx: Ctx) -> web.Response:
        limit = {"total": 1000, "remaining": 999, "reset_after": 86_400_000, "max_concurrency": 1}
        return json_response({"url": str(self.gateway_url), "shards": 1, "session_start_limit": limit})

    def _command_list(self, ctx: Ctx) -> tuple[list[dict[str, Any]], int | None]:
        if ctx.id("application_id") != self.world.application_id:
            raise FakeHTTPError(403, 50001, "Missing Access")
        if "guild_id" in ctx.params:
            guild = self._guild(ctx.id("guild_id"))
            return self.guild_commands.setdefault(guild.id, []), guild.id
        return self.global_commands, None

    async def _list_commands(self, ctx: Ctx) -> web.Response:
        commands, _ = self._command_list(ctx)
        return json_response(commands)

    async def _put_commands(self, ctx: Ctx) -> web.Response:
        existing, guild_id = self._command_list(ctx)
        old = {(c["name"], c.get("type", 1)): c for c in existing}
        synced = []
        for body in ctx.body or []:
            kind = body.get("type", 1)
            previous = old.get((body["name"], kind))
            command = {
                "id": previous["id"] if previous else str(self.world.snowflake()),
                "application_id": str(self.world.application_id),
                "version": str(self.world.snowflake()),
                "type": kind,
                "name": body["name"],
                "name_localizations": body.get("name_localizations"),
                "description": body.get("description", ""),
                "description_localizations": body.get("description_localizations"),
                "options": body.get("options") or [],
                "default_member_permissions": body.get("default_member_permissions"),
                "nsfw": body.get("nsfw", False),
                "integration_types": body.get("integration_types", [0]),
                "contexts": body.get("contexts"),
            }
            if guild_id is not None:
                command["guild_id"] = str(guild_id)
            synced.append(command)
        existing[:] = synced
        return json_response(synced)

    def _interaction(self, ctx: Ctx, id_param: str, token_param: str) -> InteractionResult:
        result = self._by_token.get(ctx.params[token_param])
        if result is None or (id_param == "interaction_id" and ctx.id(id_param) != result.id):
            code, message = (
                (10062, "Unknown interaction") if id_param == "interaction_id" else (10015, "Unknown Webhook")
            )
            raise FakeHTTPError(404, code, message)
        if id_param == "webhook_id" and ctx.id(id_param) != self.world.application_id:
            raise FakeHTTPError(404, 10015, "Unknown Webhook")
        if id_param == "webhook_id" and self.now_s() - result.created > self.token_lifetime_s:
            raise FakeHTTPError(401, 50027, "Invalid Webhook Token")
        return result

    @staticmethod
    def _callback_type_problem(kind: int, result: InteractionResult) -> str | None:
        """Why Discord would refuse callback type kind for this interaction (400), or None."""
        interaction_type = result.payload["type"]
        names = {
            APPLICATION_COMMAND: "an application command",
            MESSAGE_COMPONENT: "a component interaction",
            APPLICATION_COMMAND_AUTOCOMPLETE: "an autocomplete interaction",
            MODAL_SUBMIT: "a modal submit",
        }
        what = names.get(interaction_type, f"interaction type {interaction_type}")
        if kind in (MESSAGE, DEFERRED_MESSAGE) and interaction_type == APPLICATION_COMMAND_AUTOCOMPLETE:
            return f"callback type {kind} cannot answer {what} (only 8, choices)"
        if kind in (DEFERRED_UPDATE, UPDATE_MESSAGE) and not (
            interaction_type == MESSAGE_COMPONENT or (interaction_type == MODAL_SUBMIT and "message" in result.payload)
        ):
            return f"callback type {kind} updates a message; {what} has none to update"
        if kind == AUTOCOMPLETE and interaction_type != APPLICATION_COMMAND_AUTOCOMPLETE:
            return f"callback type 8 (choices) answers only autocomplete, not {what}"
        if kind == MODAL and interaction_type in (APPLICATION_COMMAND_AUTOCOMPLETE, MODAL_SUBMIT):
            return f"callback type 9 (modal) cannot answer {what}"
        if kind == PONG:
            return f"callback type 1 (pong) answers only a ping, not {what}"
        return None

    async def _callback(self, ctx: Ctx) -> web.Response:
        result = self._interaction(ctx, "interaction_id", "interaction_token")
        if result.callback is not None:
            raise FakeHTTPError(400, 40060, "Interaction has already been acknowledged.")
        late = self.now_s() - result.created - self.interaction_deadline_s
        if late > 0:
            self._violation(
                "deadline",
                ctx.request,
                [f"first callback {late:.2f}s after the {self.interaction_deadline_s}s deadline (defer sooner)"],
                ctx.body,
            )
            raise FakeHTTPError(404, 10062, "Unknown interaction")
        body: dict[str, Any] = ctx.body
        kind = body["type"]
        data = body.get("data") or {}
        channel = self.world.channels[int(result.payload["channel_id"])]
        problem = self._callback_type_problem(kind, result)
        if problem:
            self._violation("interaction", ctx.request, [problem], body)
            raise FakeHTTPError(
                400,
                50035,
                "Invalid Form Body",
                {"type": {"_errors": [{"code": "INTERACTION_RESPONSE_TYPE_INVALID", "message": problem}]}},
            )
        if kind in (MESSAGE, UPDATE_MESSAGE):
            self._check_limits(data, ctx.request)
        if kind == MESSAGE:
            self._check_not_empty({k: data.get(k) for k in BODY_CONTENT_FIELDS}, ctx.files, ctx.request)
        if kind == AUTOCOMPLETE:
            tree = limits.autocomplete_errors(data)
            if tree:
                self._violation("limits", ctx.request, limits.flatten(tree), body)
                raise FakeHTTPError(400, 50035, "Invalid Form Body", {"data": tree})
        result.callback = body
        message: dict[str, Any] | None = None
        if kind == MESSAGE:
            message = self._new_message(
                channel,
                data,
                ctx.files,
                webhook_id=self.world.application_id,
                interaction=result,
                message_type=20 if result.payload["type"] == 2 else 19,
            )
            result.original = message
            await self._dispatch_message("MESSAGE_CREATE", channel, message)
        elif kind == DEFERRED_MESSAGE:
            flags = (int(data.get("flags") or 0) & EPHEMERAL) | LOADING
            message = self._new_message(
                channel,
                {"flags": flags},
                [],
                webhook_id=self.world.application_id,
                interaction=result,
                message_type=20 if result.payload["type"] == 2 else 19,
            )
            result.original = message
            await self._dispatch_message("MESSAGE_CREATE", channel, message)
        elif kind == UPDATE_MESSAGE and result.original is not None:
            self._apply_edit(result.original, data, ctx.files)
            message = result.original
            await self._dispatch_message("MESSAGE_UPDATE", channel, message)
        elif kind == DEFERRED_UPDATE:
            message = result.original
        result.touch()
        if ctx.query.get("with_response") not in ("1", "true", "True"):
            return _no_content()
        interaction: dict[str, Any] = {"id": str(result.id), "type": result.payload["type"]}
        resource: dict[str, Any] = {"type": kind}
        if message is not None:
            interaction.update(
                response_message_id=message["id"],
                response_message_loading=kind == DEFERRED_MESSAGE,
                response_message_ephemeral=bool(int(message.get("flags") or 0) & EPHEMERAL),
            )
            resource["message"] = message
        return json_response({"interaction": interaction, "resource": resource})

    async def _followup(self, ctx: Ctx) -> web.Response:
        result = self._interaction(ctx, "webhook_id", "webhook_token")
        if result.callback is None:
            raise FakeHTTPError(404, 10015, "Unknown Webhook")
        body: dict[str, Any] = ctx.body or {}
        self._check_limits(body, ctx.request)
        self._check_not_empty({k: body.get(k) for k in BODY_CONTENT_FIELDS}, ctx.files, ctx.request)
        channel = self.world.channels[int(result.payload["channel_id"])]
        if (
            result.type == DEFERRED_MESSAGE
            and result.original is not None
            and result.original["flags"] & LOADING
            and not result.followups
        ):
            # Discord turns the first follow-up after a deferral into the original response: an edit, not a message.
            message = result.original
            self._apply_edit(message, body, ctx.files)
            event = "MESSAGE_UPDATE"
        else:
            message = self._new_message(
                channel, body, ctx.files, webhook_id=self.world.application_id, interaction=result
            )
            event = "MESSAGE_CREATE"
        result.followups.append(message)
        result.touch()
        await self._dispatch_message(event, channel, message)
        if ctx.query.get("wait") in ("1", "true", "True"):
            return json_response(message)
        return _no_content()

    def _webhook_message(self, ctx: Ctx, result: InteractionResult) -> dict[str, Any]:
        if "message_id" not in ctx.params:
            if result.original is None or result.original_deleted:
                raise FakeHTTPError(404, 10008, "Unknown Message")
            return result.original
        wanted = ctx.params["message_id"]
        for message in ([result.original] if result.original else []) + result.followups:
            if message["id"] == wanted:
                return message
        raise FakeHTTPError(404, 10008, "Unknown Message")

    async def _webhook_get(self, ctx: Ctx) -> web.Response:
        result = self._interaction(ctx, "webhook_id", "webhook_token")
        return json_response(self._webhook_message(ctx, result))

    async def _webhook_edit(self, ctx: Ctx) -> web.Response:
        result = self._interaction(ctx, "webhook_id", "webhook_token")
        message = self._webhook_message(ctx, result)
        message.update(self._edited(message, ctx))
        if message is result.original:
            result.edits.append(ctx.body or {})
        result.touch()
        await self._dispatch_message("MESSAGE_UPDATE", self.world.channels[int(message["channel_id"])], message)
        return json_response(message)

    async def _webhook_delete(self, ctx: Ctx) -> web.Response:
        result = self._interaction(ctx, "webhook_id", "webhook_token")
        message = self._webhook_message(ctx, result)
        if message is result.original:
            result.original_deleted = True
        self.world.messages.get(int(message["channel_id"]), {}).pop(int(message["id"]), None)
        result.touch()
        return _no_content()

    async def _get_channel(self, ctx: Ctx) -> web.Response:
        return json_response(self._channel(ctx.id("channel_id")).to_dict())

    async def _edit_channel(self, ctx: Ctx) -> web.Response:
        """Rename (or archive / lock) a thread, or rename / re-topic a guild channel."""
        channel = self._channel(ctx.id("channel_id"))
        body: dict[str, Any] = ctx.body or {}
        if channel.type == DM:
            raise FakeHTTPError(400, 50024, "Cannot execute action on this channel type")
        served = (
            {"name", "archived", "locked", "auto_archive_duration"}
            if channel.type in THREAD_TYPES
            else {"name", "topic"}
        )
        extra = sorted(set(body) - served)
        if extra:
            self._violation(
                "unimplemented", ctx.request, [f"the fake does not apply {extra} on this channel type"], body
            )
        if channel.type in THREAD_TYPES:
            # A thread's owner may edit it; anyone else needs Manage Threads (Discord's rule).
            if channel.owner_id != self.world.bot_user.id:
                self._require(channel, MANAGE_THREADS)
        else:
            self._require(channel, MANAGE_CHANNELS)
        if "name" in body:
            channel.name = body["name"]
        if "topic" in body:
            channel.topic = body["topic"]
        event = "THREAD_UPDATE" if channel.type in THREAD_TYPES else "CHANNEL_UPDATE"
        await self.gateway.dispatch(event, channel.to_dict(), intent=GUILDS)
        return json_response(channel.to_dict())

    async def _list_messages(self, ctx: Ctx) -> web.Response:
        channel = self._channel(ctx.id("channel_id"))
        self._require(channel, READ_MESSAGE_HISTORY)
        limit = int(ctx.query.get("limit", 50))
        visible = [m for m in self.world.channel_messages(channel) if not int(m.get("flags") or 0) & EPHEMERAL]
        return json_response(list(reversed(visible))[:limit])

    async def _create_message(self, ctx: Ctx) -> web.Response:
        channel = self._channel(ctx.id("channel_id"))
        if channel.type == GUILD_FORUM:
            raise FakeHTTPError(400, 50008, "Cannot send messages in a non-text channel")
        self._require(
            channel, VIEW_CHANNEL | (SEND_MESSAGES_IN_THREADS if channel.type in THREAD_TYPES else SEND_MESSAGES)
        )
        if channel.type == DM and channel.recipient is not None and not channel.recipient.dms_open:
            raise FakeHTTPError(403, 50007, "Cannot send messages to this user")
        body: dict[str, Any] = ctx.body or {}
        self._check_not_empty({k: body.get(k) for k in BODY_CONTENT_FIELDS}, ctx.files, ctx.request)
        self._check_limits(body, ctx.request)
        nonce = body.get("nonce")
        recipient = channel.recipient.id if channel.type == DM and channel.recipient is not None else None
        now = self.now_s()
        key = (self.world.bot_user.id, str(nonce))
        if body.get("enforce_nonce") and nonce is not None:
            # As documented: the same author's message with the same nonce in the past few minutes is returned
            # instead of a new one, whichever channel it is in (so a nonce must be unique per recipient).
            seen = self._nonces.get(key)
            if seen is not None and now - seen[0] < self.nonce_window_s:
                existing = self.world.messages.get(seen[1], {}).get(seen[2])
                if existing is not None:
                    self.ledger.record(existing, recipient, now, replay=True)
                    return json_response(existing)
        message = self._new_message(channel, body, ctx.files)
        if body.get("enforce_nonce") and nonce is not None:
            self._nonces[key] = (now, channel.id, int(message["id"]))
        self.ledger.record(message, recipient, now)
        await self._dispatch_message("MESSAGE_CREATE", channel, message)
        return json_response(message)

    async def _get_message(self, ctx: Ctx) -> web.Response:
        channel = self._channel(ctx.id("channel_id"))
        self._require(channel, READ_MESSAGE_HISTORY)
        return json_response(self._message(channel, ctx.id("message_id")))

    async def _edit_message(self, ctx: Ctx) -> web.Response:
        channel = self._channel(ctx.id("channel_id"))
        message = self._message(channel, ctx.id("message_id"))
        if message["author"]["id"] != str(self.world.bot_user.id):
            raise FakeHTTPError(403, 50005, "Cannot edit a message authored by another user")
        message.update(self._edited(message, ctx))
        await self._dispatch_message("MESSAGE_UPDATE", channel, message)
        return json_response(message)

    async def _delete_message(self, ctx: Ctx) -> web.Response:
        channel = self._channel(ctx.id("channel_id"))
        message = self._message(channel, ctx.id("message_id"))
        if message["author"]["id"] != str(self.world.bot_user.id):
            self._require(channel, MANAGE_MESSAGES)
        del self.world.messages[channel.id][int(message["id"])]
        self.ledger.mark_deleted(int(message["id"]))
        event = {"id": message["id"], "channel_id": message["channel_id"]}
        if channel.guild_id:
            event["guild_id"] = str(channel.guild_id)
        await self.gateway.dispatch(
            "MESSAGE_DELETE", event, intent=DIRECT_MESSAGES if channel.type == DM else GUILD_MESSAGES
        )
        return _no_content()

    async def _crosspost(self, ctx: Ctx) -> web.Response:
        channel = self._channel(ctx.id("channel_id"))
        if channel.type != GUILD_ANNOUNCEMENT:
            raise FakeHTTPError(400, 50024, "Cannot execute action on this channel type")
        message = self._message(channel, ctx.id("message_id"))
        if message["author"]["id"] != str(self.world.bot_user.id):
            self._require(channel, MANAGE_MESSAGES)
        if message["flags"] & CROSSPOSTED:
            raise FakeHTTPError(400, 40033, "This message has already been crossposted.")
        message["flags"] |= CROSSPOSTED
        # Discord tells clients holding the Guild Messages intent that the flags changed.
        await self._dispatch_message("MESSAGE_UPDATE", channel, message)
        return json_response(message)

    def _new_thread(self, parent: Channel, name: str, thread_type: int, thread_id: int | None = None) -> Channel:
        guild = self.world.guilds[parent.guild_id or 0]
        thread = Channel(
            thread_id or self.world.snowflake(),
            thread_type,
            name=name,
            guild_id=guild.id,
            parent_id=parent.id,
            owner_id=self.world.bot_user.id,
        )
        guild.channels[thread.id] = thread
        self.world.channels[thread.id] = thread
        self.world.messages[thread.id] = {}
        return thread

    async def _create_thread(self, ctx: Ctx) -> web.Response:
        parent = self._channel(ctx.id("channel_id"))
        if parent.type == DM or parent.type in THREAD_TYPES:
            raise FakeHTTPError(400, 50024, "Cannot execute action on this channel type")
        body: dict[str, Any] = ctx.body
        if parent.type == GUILD_FORUM:
            self._require(parent, SEND_MESSAGES)
            starter_body = body.get("message")
            if not isinstance(starter_body, dict):
                self._violation("limits", ctx.request, ["a forum post needs a starter message"], body)
                raise FakeHTTPError(
                    400,
                    50035,
                    "Invalid Form Body",
                    {"message": {"_errors": [{"code": "BASE_TYPE_REQUIRED", "message": "This field is required"}]}},
                )
            self._check_limits(starter_body, ctx.request)
            thread = self._new_thread(parent, body["name"], PUBLIC_THREAD)
            starter = self._new_message(thread, starter_body, ctx.files, message_id=thread.id)
            # A forum post's first message is a delivered message like any other (the ledger counts it).
            self.ledger.record(starter, None, self.now_s())
            data = {**thread.to_dict(), "message": starter}
        else:
            self._require(parent, CREATE_PUBLIC_THREADS)
            thread = self._new_thread(parent, body["name"], int(body.get("type") or 12))
            data = thread.to_dict()
        await self.gateway.dispatch("THREAD_CREATE", {**thread.to_dict(), "newly_created": True}, intent=GUILDS)
        return json_response(data, status=201)

    async def _thread_from_message(self, ctx: Ctx) -> web.Response:
        parent = self._channel(ctx.id("channel_id"))
        message = self._message(parent, ctx.id("message_id"))
        self._require(parent, CREATE_PUBLIC_THREADS)
        if message.get("thread"):
            raise FakeHTTPError(400, 160004, "A thread has already been created for this message")
        thread_type = 10 if parent.type == GUILD_ANNOUNCEMENT else PUBLIC_THREAD
        thread = self._new_thread(parent, ctx.body["name"], thread_type, thread_id=int(message["id"]))
        message["thread"] = thread.to_dict()
        await self.gateway.dispatch("THREAD_CREATE", {**thread.to_dict(), "newly_created": True}, intent=GUILDS)
        return json_response(thread.to_dict(), status=201)

    async def _get_guild(self, ctx: Ctx) -> web.Response:
        return json_response(self._guild(ctx.id("guild_id")).to_dict())

    async def _get_guild_channels(self, ctx: Ctx) -> web.Response:
        guild = self._guild(ctx.id("guild_id"))
        return json_response([c.to_dict() for c in guild.channels.values() if c.type not in THREAD_TYPES])

    async def _active_threads(self, ctx: Ctx) -> web.Response:
        """Every thread of the guild the bot can see (the fake never archives threads)."""
        guild = self._guild(ctx.id("guild_id"))
        bot = self.world.bot_user
        threads = [
            c.to_dict()
            for c in guild.channels.values()
            if c.type in THREAD_TYPES and self.world.permissions(bot, c) & VIEW_CHANNEL
        ]
        return json_response({"threads": threads, "members": []})

    async def _get_member(self, ctx: Ctx) -> web.Response:
        member = self._guild(ctx.id("guild_id")).members.get(ctx.id("user_id"))
        if member is None:
            raise FakeHTTPError(404, 10007, "Unknown Member")
        return json_response(member.to_dict())

    def _event_guild(self, ctx: Ctx) -> Guild:
        guild = self._guild(ctx.id("guild_id"))
        if not self.world.guild_permissions(self.world.bot_user, guild) & (MANAGE_EVENTS | CREATE_EVENTS):
            raise FakeHTTPError(403, 50013, "Missing Permissions")
        return guild

    def _event(self, ctx: Ctx, guild: Guild) -> dict[str, Any]:
        event = guild.scheduled_events.get(ctx.id("guild_scheduled_event_id"))
        if event is None:
            raise FakeHTTPError(404, 10070, "Unknown Guild Scheduled Event")
        return event

    @staticmethod
    def _form_error(field_name: str, code: str, message: str) -> FakeHTTPError:
        return FakeHTTPError(
            400, 50035, "Invalid Form Body", {field_name: {"_errors": [{"code": code, "message": message}]}}
        )

    def _check_event(self, ctx: Ctx, event: dict[str, Any], before: dict[str, Any] | None = None) -> None:
        """Rules the schema cannot express: external events need a location and an end time; the start is in
        the future (when set or moved) and before the end; status moves only as Discord documents."""
        if event.get("entity_type") == 3:
            missing = []
            if not (event.get("entity_metadata") or {}).get("location"):
                missing.append("entity_metadata.location")
            if not event.get("scheduled_end_time"):
                missing.append("scheduled_end_time")
            if missing:
                self._violation("limits", ctx.request, [f"external events need {', '.join(missing)}"], ctx.body)
                errors = {
                    m.split(".")[0]: {"_errors": [{"code": "BASE_TYPE_REQUIRED", "message": "This field is required"}]}
                    for m in missing
                }
                raise FakeHTTPError(400, 50035, "Invalid Form Body", errors)
        elif event.get("channel_id") is None:
            raise self._form_error("channel_id", "BASE_TYPE_REQUIRED", "This field is required")
        start = datetime.fromisoformat(event["scheduled_start_time"]).timestamp()
        moved = before is None or before["scheduled_start_time"] != event["scheduled_start_time"]
        if moved and event.get("status") == 1 and start <= self.now_s():
            raise self._form_error(
                "scheduled_start_time", "GUILD_SCHEDULED_EVENT_SCHEDULE_PAST", "Cannot schedule event in the past."
            )
        end = event.get("scheduled_end_time")
        if end and datetime.fromisoformat(end).timestamp() <= start:
            raise self._form_error(
                "scheduled_end_time",
                "GUILD_SCHEDULED_EVENT_END_BEFORE_START",
                "Cannot schedule event to end before starting.",
            )
        changed = before is not None and event.get("status") != before["status"]
        if changed and before is not None and (before["status"], event.get("status")) not in EVENT_TRANSITIONS:
            raise self._form_error(
                "status", "GUILD_SCHEDULED_EVENT_INVALID_STATUS_TRANSITION", "Invalid status transition."
            )

    async def _list_events(self, ctx: Ctx) -> web.Response:
        return json_response(list(self._event_guild(ctx).scheduled_events.values()))

    async def _create_event(self, ctx: Ctx) -> web.Response:
        guild = self._event_guild(ctx)
        body: dict[str, Any] = ctx.body
        event_id = self.world.snowflake()
        event = {
            "id": str(event_id),
            "guild_id": str(guild.id),
            "channel_id": str(body["channel_id"]) if body.get("channel_id") else None,
            "creator_id": str(self.world.bot_user.id),
            "creator": self.world.bot_user.to_dict(),
            "name": body["name"],
            "description": body.get("description"),
            "scheduled_start_time": body["scheduled_start_time"],
            "scheduled_end_time": body.get("scheduled_end_time"),
            "privacy_level": body["privacy_level"],
            "status": 1,
            "entity_type": body["entity_type"],
            "entity_id": None,
            "entity_metadata": body.get("entity_metadata"),
            "user_count": 0,
            "image": None,
            "recurrence_rule": body.get("recurrence_rule"),
        }
        self._check_event(ctx, event)
        open_events = sum(1 for e in guild.scheduled_events.values() if e["status"] in (1, 2))
        if open_events >= MAX_SCHEDULED_EVENTS:
            raise FakeHTTPError(
                400, 30038, f"Maximum number of uncompleted guild scheduled events reached ({MAX_SCHEDULED_EVENTS})"
            )
        guild.scheduled_events[event_id] = event
        await self.gateway.dispatch("GUILD_SCHEDULED_EVENT_CREATE", event, intent=GUILD_SCHEDULED_EVENTS)
        return json_response(event)

    async def _get_event(self, ctx: Ctx) -> web.Response:
        return json_response(self._event(ctx, self._event_guild(ctx)))

    async def _edit_event(self, ctx: Ctx) -> web.Response:
        guild = self._event_guild(ctx)
        event = self._event(ctx, guild)
        updated = {**event, **{k: v for k, v in (ctx.body or {}).items() if k != "image"}}
        if updated.get("channel_id") is not None:
            updated["channel_id"] = str(updated["channel_id"])
        self._check_event(ctx, updated, before=event)
        event.update(updated)
        await self.gateway.dispatch("GUILD_SCHEDULED_EVENT_UPDATE", event, intent=GUILD_SCHEDULED_EVENTS)
        return json_response(event)

    async def _delete_event(self, ctx: Ctx) -> web.Response:
        guild = self._event_guild(ctx)
        event = self._event(ctx, guild)
        del guild.scheduled_events[int(event["id"])]
        await self.gateway.dispatch("GUILD_SCHEDULED_EVENT_DELETE", event, intent=GUILD_SCHEDULED_EVENTS)
        return _no_content()


def _find_component(components: list[dict[str, Any]], custom_id: str) -> dict[str, Any] | None:
    """The component with ``custom_id`` anywhere in a message's component tree."""
    for component in components:
        if component.get("custom_id") == custom_id:
            return component
        for key in ("components", "accessory", "component"):
            inner = component.get(key)
            children = inner if isinstance(inner, list) else [inner] if isinstance(inner, dict) else []
            found = _find_component(children, custom_id)
            if found is not None:
                return found
    return None
