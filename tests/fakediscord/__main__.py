"""Run the fake Discord on its own: ``python -m tests.fakediscord --port 8765 [--scene]``.

The first line starting with ``FAKEDISCORD `` is JSON (base_url, gateway_url, token, control URL, scene ids)
for a launcher to read; the control interface is served under /_control/ on the same port.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal

from .ratelimit import Limit
from .server import FakeDiscord

READY_PREFIX = "FAKEDISCORD "


async def serve(host: str, port: int, *, scene: bool, global_limit: int | None, token: str | None = None) -> None:
    """Serve until SIGTERM or Ctrl-C, printing where to point a client."""
    fake = FakeDiscord() if token is None else FakeDiscord(token=token)
    if global_limit is not None:
        fake.set_rate_limits(global_limit=Limit(global_limit, 1.0))
    await fake.start(host, port)
    ids = None
    if scene:
        from .scene import build_scene

        fake.control.scene = build_scene(fake.world)
        ids = {name: str(getattr(fake.control.scene, name).id) for name in fake.control.scene.__dataclass_fields__}
    print(f"REST    {fake.base_url}")
    print(f"gateway {fake.gateway_url}")
    print(f"control http://{host}:{fake.port}/_control/")
    info = {
        "base_url": fake.base_url,
        "gateway_url": str(fake.gateway_url),
        "control_url": f"http://{host}:{fake.port}/_control",
        "token": fake.token,
        "application_id": str(fake.world.application_id),
        "owner_id": str(fake.world.owner.id),
        "scene": ids,
    }
    print(READY_PREFIX + json.dumps(info), flush=True)
    # SIGTERM (a supervisor, `kill`) ends the server as Ctrl-C does: the violations are printed either way.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    try:
        await stop.wait()
    finally:
        loop.remove_signal_handler(signal.SIGTERM)
        await fake.stop()
        for violation in fake.violations:
            print(f"violation: {violation}", flush=True)


def main() -> None:
    """Parse arguments and serve."""
    parser = argparse.ArgumentParser(description="A local fake Discord (REST under /api/v10, gateway at /gateway).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--scene", action="store_true", help="build the standard test scene (a guild, people)")
    parser.add_argument("--global-limit", type=int, default=None, help="global requests per second (default 50)")
    parser.add_argument("--token", default=None, help="the bot token the fake accepts (default fake-token)")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.host, args.port, scene=args.scene, global_limit=args.global_limit, token=args.token))


if __name__ == "__main__":
    main()
