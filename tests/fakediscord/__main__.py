"""Run the fake Discord on its own: ``python -m tests.fakediscord --port 8765``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from .scene import build_scene
from .server import FakeDiscord


async def serve(host: str, port: int) -> None:
    """Serve until cancelled, printing where to point a client."""
    fake = FakeDiscord()
    scene = build_scene(fake.world)
    await fake.start(host, port)
    print(f"REST    {fake.base_url}")
    print(f"gateway {fake.gateway_url}")
    print(f"token   {fake.token}   guild {scene.guild.id}   channel {scene.general.id}", flush=True)
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
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.host, args.port))


if __name__ == "__main__":
    main()
