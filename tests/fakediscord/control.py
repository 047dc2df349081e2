"""The control interface: JSON endpoints under /_control/ for driving a fake that runs in another process.

Every endpoint answers JSON; ids are strings (snowflakes). See README.md beside this file for the list.
Nothing here is Discord's API, so nothing here is spec-checked; a bad control request answers 400 with
{"error": "..."} and is not a violation.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .faults import TIMEOUT
from .interactions import InteractionResult
from .ratelimit import Limit
from .scene import Scene, build_scene
from .world import GUILD_TEXT, Channel, Guild, User

if TYPE_CHECKING:
    from .server import FakeDiscord

PREFIX = "/_control"


class SettableClock:
    """A clock the control interface can set and move (the tests' clock lives in another process)."""

    def __init__(self, now: datetime) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        """Jump to when (never backwards)."""
        if when < self._now:
            raise ValueError(f"the clock cannot go back from {self._now.isoformat()} to {when.isoformat()}")
        self._now = when


class ControlError(Exception):
    """A control request the fake cannot carry out (answered 400)."""


def _ok(data: Any = None, status: int = 200) -> web.Response:
    return web.json_response({"ok": True} if data is None else data, status=status)


def _scene_ids(scene: Scene, fake: FakeDiscord) -> dict[str, str]:
    ids = {name: str(getattr(scene, name).id) for name in scene.__dataclass_fields__}
    ids["owner"] = str(fake.world.owner.id)
    ids["bot"] = str(fake.world.bot_user.id)
    return ids


def result_dict(result: InteractionResult) -> dict[str, Any]:
    """An interaction's outcome as JSON: the callback, the original response and the follow-ups."""
    return {
        "id": str(result.id),
        "type": result.type,
        "callback": result.callback,
        "deferred": result.deferred,
        "ephemeral": result.ephemeral,
        "content": result.content,
        "embeds": result.embeds,
        "components": result.components,
        "message": result.message,
        "followups": result.followups,
        "modal": result.modal,
        "choices": result.choices,
    }


class Control:
    """Adds the /_control/ routes to a FakeDiscord's aiohttp application."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.scene: Scene | None = None
        # Results of interactions started through the control interface, so a test can read them again.
        self.results: dict[str, InteractionResult] = {}

    def routes(self) -> list[web.RouteDef]:
        """Every control route."""
        handlers = {
            ("GET", "/info"): self.info,
            ("POST", "/scene"): self.make_scene,
            ("POST", "/guilds"): self.create_guild,
            ("POST", "/channels"): self.create_channel,
            ("POST", "/users"): self.create_users,
            ("PATCH", "/users/{user_id}"): self.edit_user,
            ("POST", "/dms"): self.open_dm,
            ("GET", "/commands"): self.commands,
            ("POST", "/slash"): self.slash,
            ("POST", "/button"): self.button,
            ("GET", "/interactions/{interaction_id}"): self.interaction,
            ("GET", "/messages/{channel_id}"): self.messages,
            ("GET", "/ledger"): self.ledger,
            ("GET", "/violations"): self.violations,
            ("POST", "/violations/take"): self.take_violations,
            ("GET", "/requests"): self.requests,
            ("GET", "/traffic"): self.traffic,
            ("GET", "/faults"): self.faults,
            ("POST", "/faults"): self.add_fault,
            ("DELETE", "/faults"): self.clear_faults,
            ("PUT", "/ratelimits"): self.set_rate_limits,
            ("POST", "/ratelimits/force429"): self.force_429,
            ("GET", "/gateway"): self.gateway,
            ("GET", "/clock"): self.get_clock,
            ("PUT", "/clock"): self.set_clock,
            ("POST", "/clock/advance"): self.advance_clock,
        }
        return [
            web.route(method, PREFIX + path, self._guarded(handler)) for (method, path), handler in handlers.items()
        ]

    @staticmethod
    def _guarded(handler: Any) -> Any:
        async def run(request: web.Request) -> web.StreamResponse:
            try:
                response: web.StreamResponse = await handler(request)
            except (ControlError, KeyError, ValueError, TypeError) as error:
                return web.json_response({"error": f"{type(error).__name__}: {error}"}, status=400)
            except AssertionError as error:
                # The bot did not answer as a person would need (the helpers' own failure messages).
                return web.json_response({"error": f"AssertionError: {error}"}, status=409)
            return response

        return run

    # Helpers ------------------------------------------------------------------------------------

    @staticmethod
    async def _body(request: web.Request) -> dict[str, Any]:
        if not request.body_exists:
            return {}
        data = json.loads(await request.read())
        if not isinstance(data, dict):
            raise ControlError("the body must be a JSON object")
        return data

    def _user(self, value: Any) -> User:
        user = self.fake.world.users.get(int(value))
        if user is None:
            raise ControlError(f"no user {value}")
        return user

    def _guild(self, value: Any) -> Guild:
        guild = self.fake.world.guilds.get(int(value))
        if guild is None:
            raise ControlError(f"no guild {value}")
        return guild

    def _channel(self, value: Any) -> Channel:
        channel = self.fake.world.channels.get(int(value))
        if channel is None:
            raise ControlError(f"no channel {value}")
        return channel

    def _option_value(self, value: Any, guild: Guild | None) -> Any:
        """{"user": id}, {"channel": id} and {"role": id} name world objects; anything else is sent as is."""
        if isinstance(value, dict) and len(value) == 1:
            ((kind, ident),) = value.items()
            if kind == "user":
                return self._user(ident)
            if kind == "channel":
                return self._channel(ident)
            if kind == "role" and guild is not None:
                return guild.roles[int(ident)]
        return value

    def _where(self, body: dict[str, Any]) -> tuple[User, Guild | None, Channel | None]:
        user = self._user(body["user_id"])
        guild = self._guild(body["guild_id"]) if body.get("guild_id") else None
        channel = self._channel(body["channel_id"]) if body.get("channel_id") else None
        return user, guild, channel

    # World ----------------------------------------------------------------------------------------

    async def info(self, request: web.Request) -> web.Response:
        fake = self.fake
        return _ok(
            {
                "base_url": fake.base_url,
                "gateway_url": str(fake.gateway_url),
                "token": fake.token,
                "application_id": str(fake.world.application_id),
                "bot_user_id": str(fake.world.bot_user.id),
                "scene": _scene_ids(self.scene, fake) if self.scene else None,
            }
        )

    async def make_scene(self, request: web.Request) -> web.Response:
        if self.scene is None:
            self.scene = build_scene(self.fake.world)
        return _ok(_scene_ids(self.scene, self.fake))

    async def create_guild(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        guild = self.fake.world.create_guild(str(body.get("name", "Test Guild")))
        await self.fake.gateway.dispatch("GUILD_CREATE", guild.gateway_dict())
        return _ok({"id": str(guild.id)})

    async def create_channel(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        guild = self._guild(body["guild_id"])
        channel = self.fake.world.create_channel(guild, str(body["name"]), type=int(body.get("type", GUILD_TEXT)))
        await self.fake.gateway.dispatch("CHANNEL_CREATE", channel.to_dict())
        return _ok({"id": str(channel.id)})

    async def create_users(self, request: web.Request) -> web.Response:
        """{"username", "count"?: n (names username0..n-1), "dms_open"?: bool, "guild_id"?: id} -> {"ids": [...]}."""
        body = await self._body(request)
        world = self.fake.world
        count = int(body.get("count", 1))
        name = str(body.get("username", "user"))
        guild = self._guild(body["guild_id"]) if body.get("guild_id") else None
        names = [f"{name}{i}" for i in range(count)] if "count" in body else [name]
        users = [world.create_user(n, dms_open=bool(body.get("dms_open", True))) for n in names]
        if guild is not None:
            for user in users:
                world.add_member(guild, user)
        return _ok({"ids": [str(u.id) for u in users]})

    async def edit_user(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        user = self._user(request.match_info["user_id"])
        if "dms_open" in body:
            user.dms_open = bool(body["dms_open"])
        return _ok({"id": str(user.id), "dms_open": user.dms_open})

    async def open_dm(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        return _ok({"id": str(self.fake.world.dm_channel(self._user(body["user_id"])).id)})

    async def messages(self, request: web.Request) -> web.Response:
        return _ok(self.fake.world.channel_messages(self._channel(request.match_info["channel_id"])))

    # Interactions ---------------------------------------------------------------------------------

    async def commands(self, request: web.Request) -> web.Response:
        return _ok(self.fake.commands)

    async def slash(self, request: web.Request) -> web.Response:
        """{"command": "event add", "user_id", "guild_id"?, "channel_id"?, "options"?, "timeout_s"?} -> the result."""
        body = await self._body(request)
        user, guild, channel = self._where(body)
        options = {k: self._option_value(v, guild) for k, v in (body.get("options") or {}).items()}
        result = await self.fake.slash(
            str(body["command"]),
            user=user,
            guild=guild,
            channel=channel,
            options=options,
            locale=str(body.get("locale", "en-US")),
            timeout_s=float(body.get("timeout_s", 5.0)),
        )
        self.results[str(result.id)] = result
        return _ok(result_dict(result))

    async def button(self, request: web.Request) -> web.Response:
        """{"channel_id", "message_id", "custom_id", "user_id", "values"?, "component_type"?} -> the result."""
        body = await self._body(request)
        channel = self._channel(body["channel_id"])
        message = self.fake.world.messages.get(channel.id, {}).get(int(body["message_id"]))
        if message is None:
            raise ControlError(f"no message {body['message_id']} in channel {channel.id}")
        result = await self.fake.press_button(
            message,
            str(body["custom_id"]),
            user=self._user(body["user_id"]),
            values=body.get("values"),
            component_type=int(body.get("component_type", 2)),
            timeout_s=float(body.get("timeout_s", 5.0)),
        )
        self.results[str(result.id)] = result
        return _ok(result_dict(result))

    async def interaction(self, request: web.Request) -> web.Response:
        result = self.results.get(request.match_info["interaction_id"])
        if result is None:
            raise ControlError(f"no interaction {request.match_info['interaction_id']} was started here")
        return _ok(result_dict(result))

    # Observing ------------------------------------------------------------------------------------

    async def ledger(self, request: web.Request) -> web.Response:
        """The summary; ?deliveries=1 adds every delivery (large for a big fan-out)."""
        ledger = self.fake.ledger
        data = ledger.summary()
        if request.query.get("deliveries") in ("1", "true"):
            data["entries"] = [d.to_dict() for d in ledger.deliveries]
            data["replayed"] = [d.to_dict() for d in ledger.replays]
        return _ok(data)

    async def violations(self, request: web.Request) -> web.Response:
        return _ok([_violation(v) for v in self.fake.violations])

    async def take_violations(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        taken = self.fake.take_violations(body.get("kind"), body.get("match"))
        return _ok([_violation(v) for v in taken])

    async def requests(self, request: web.Request) -> web.Response:
        """?method=POST&template=/channels/{channel_id}/messages filters; bodies are left out."""
        method, template = request.query.get("method"), request.query.get("template")
        chosen = [
            r
            for r in self.fake.requests
            if (method is None or r.method == method.upper()) and (template is None or r.template == template)
        ]
        return _ok(
            [
                {
                    "method": r.method,
                    "path": r.path,
                    "template": r.template,
                    "status": r.status,
                    "fault": r.fault,
                    "at": r.at,
                    "rate_limit_scope": r.rate_limit_scope,
                }
                for r in chosen
            ]
        )

    async def traffic(self, request: web.Request) -> web.Response:
        since = request.query.get("since")
        return _ok(self.fake.traffic(float(since) if since else None).to_dict())

    async def gateway(self, request: web.Request) -> web.Response:
        gateway = self.fake.gateway
        return _ok(
            {
                "identifies": gateway.identifies,
                "resumes": gateway.resumes,
                "live_sessions": len(gateway.live_sessions),
            }
        )

    # Faults and limits ----------------------------------------------------------------------------

    async def faults(self, request: web.Request) -> web.Response:
        return _ok([f.to_dict() for f in self.fake.faults.faults])

    async def add_fault(self, request: web.Request) -> web.Response:
        """{"method", "template", "status"?: 500|502|503|504|"timeout", "after"?, "times"?, "for_s"?, "hold_s"?,
        "params"?} -> the fault (see FakeDiscord.fail)."""
        body = await self._body(request)
        status = body.get("status", 500)
        fault = self.fake.fail(
            str(body["method"]),
            str(body["template"]),
            status=TIMEOUT if status == "timeout" else int(status),
            after=bool(body.get("after", False)),
            times=None if body.get("times", 1) is None else int(body.get("times", 1)),
            for_s=None if body.get("for_s") is None else float(body["for_s"]),
            hold_s=None if body.get("hold_s") is None else float(body["hold_s"]),
            params=body.get("params"),
        )
        return _ok(fault.to_dict(), status=201)

    async def clear_faults(self, request: web.Request) -> web.Response:
        self.fake.faults.clear()
        return _ok()

    async def set_rate_limits(self, request: web.Request) -> web.Response:
        """{"global"?: {"limit", "per"}, "default"?: {...}, "routes"?: [{"method", "template", "limit", "per"}]}."""
        body = await self._body(request)

        def limit(value: Any) -> Limit | None:
            return None if value is None else Limit(int(value["limit"]), float(value.get("per", 1.0)))

        routes = body.get("routes")
        self.fake.set_rate_limits(
            global_limit=limit(body.get("global")),
            default_limit=limit(body.get("default")),
            routes=None
            if routes is None
            else {
                (str(r["method"]), str(r["template"])): Limit(int(r["limit"]), float(r.get("per", 1.0))) for r in routes
            },
        )
        config = self.fake.ratelimiter.config
        return _ok(
            {
                "global": vars(config.global_limit),
                "default": vars(config.default_limit),
                "routes": [{"method": m, "template": t, **vars(v)} for (m, t), v in config.routes.items()],
            }
        )

    async def force_429(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        self.fake.ratelimiter.force_429(
            str(body["method"]),
            str(body["template"]),
            retry_after=float(body.get("retry_after", 0.05)),
            scope=body.get("scope"),
        )
        return _ok()

    # Clock ------------------------------------------------------------------------------------------

    async def get_clock(self, request: web.Request) -> web.Response:
        return _ok({"now": self.fake.clock.now().isoformat(), "now_s": self.fake.now_s()})

    async def set_clock(self, request: web.Request) -> web.Response:
        """{"now": ISO-8601 with offset}: from now on the fake's windows follow a clock only this interface moves."""
        body = await self._body(request)
        when = datetime.fromisoformat(str(body["now"]))
        if when.tzinfo is None:
            raise ControlError("the time needs an offset, e.g. 2026-11-30T12:00:00+00:00")
        if isinstance(self.fake.clock, SettableClock):
            self.fake.clock.set(when)
        else:
            self.fake.clock = SettableClock(when)
        return await self.get_clock(request)

    async def advance_clock(self, request: web.Request) -> web.Response:
        """{"seconds": s}: move the settable clock forward (PUT /_control/clock first)."""
        body = await self._body(request)
        clock = self.fake.clock
        if not isinstance(clock, SettableClock):
            raise ControlError("the fake runs on real time; PUT /_control/clock first")
        clock.set(clock.now() + timedelta(seconds=float(body["seconds"])))
        return await self.get_clock(request)


def _violation(violation: Any) -> dict[str, Any]:
    return {"kind": violation.kind, "method": violation.method, "path": violation.path, "errors": violation.errors}
