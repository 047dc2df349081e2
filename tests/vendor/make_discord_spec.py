"""Write tests/vendor/discord/openapi-trimmed.json from the full Discord OpenAPI spec in ../shared.

Run from the project root: ``python tests/vendor/make_discord_spec.py [path/to/openapi.json]``.
Only the routes the bot and the fake Discord use are kept, plus every component they reference,
so the repository carries a few hundred kilobytes instead of the whole 1.2 MB document.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_SOURCE = HERE.parents[2] / "shared" / "discord-api-spec" / "openapi.json"
TARGET_DIR = HERE / "discord"

# (path template, methods) served by tests/fakediscord; keep in step with its handler table.
ROUTES: dict[str, tuple[str, ...]] = {
    "/users/@me": ("get",),
    "/users/{user_id}": ("get",),
    "/users/@me/channels": ("post",),
    "/oauth2/applications/@me": ("get",),
    "/gateway": ("get",),
    "/gateway/bot": ("get",),
    "/applications/{application_id}/commands": ("get", "put"),
    "/applications/{application_id}/guilds/{guild_id}/commands": ("get", "put"),
    "/interactions/{interaction_id}/{interaction_token}/callback": ("post",),
    "/webhooks/{webhook_id}/{webhook_token}": ("post",),
    "/webhooks/{webhook_id}/{webhook_token}/messages/@original": ("get", "patch", "delete"),
    "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}": ("get", "patch", "delete"),
    "/channels/{channel_id}": ("get", "patch"),
    "/channels/{channel_id}/messages": ("get", "post"),
    "/channels/{channel_id}/messages/{message_id}": ("get", "patch", "delete"),
    "/channels/{channel_id}/messages/{message_id}/crosspost": ("post",),
    "/channels/{channel_id}/messages/{message_id}/threads": ("post",),
    "/channels/{channel_id}/threads": ("post",),
    "/guilds/{guild_id}": ("get",),
    "/guilds/{guild_id}/channels": ("get",),
    "/guilds/{guild_id}/threads/active": ("get",),
    "/guilds/{guild_id}/members/{user_id}": ("get",),
    "/guilds/{guild_id}/scheduled-events": ("get", "post"),
    "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}": ("get", "patch", "delete"),
}

REF_PREFIX = "#/components/"


def _refs(node: Any) -> set[str]:
    """Every ``#/components/...`` reference anywhere under node."""
    found: set[str] = set()
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str) and ref.startswith(REF_PREFIX):
                found.add(ref)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def trim(spec: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of spec with only ROUTES and the components they reach."""
    paths: dict[str, Any] = {}
    for template, methods in ROUTES.items():
        full = spec["paths"][template]
        kept = {key: value for key, value in full.items() if key in methods or key == "parameters"}
        missing = [method for method in methods if method not in full]
        if missing:
            raise SystemExit(f"{template} has no {missing} in the source spec")
        paths[template] = kept

    components: dict[str, dict[str, Any]] = {}
    pending = _refs(paths)
    seen: set[str] = set()
    while pending:
        ref = pending.pop()
        if ref in seen:
            continue
        seen.add(ref)
        section, name = ref.removeprefix(REF_PREFIX).split("/", 1)
        value = spec["components"][section][name]
        components.setdefault(section, {})[name] = value
        pending |= _refs(value) - seen

    # The security scheme is referenced by name, not by $ref, so carry it over whole.
    if "securitySchemes" in spec["components"]:
        components["securitySchemes"] = spec["components"]["securitySchemes"]
    trimmed = {key: spec[key] for key in ("openapi", "info", "externalDocs", "servers") if key in spec}
    trimmed["paths"] = paths
    trimmed["components"] = {section: dict(sorted(items.items())) for section, items in components.items()}
    return trimmed


def main(argv: list[str]) -> None:
    """Read the full spec, write the trimmed copy and the licence beside it."""
    source = Path(argv[1]) if len(argv) > 1 else DEFAULT_SOURCE
    spec = json.loads(source.read_text(encoding="utf-8"))
    TARGET_DIR.mkdir(parents=True, exist_ok=True)
    out = TARGET_DIR / "openapi-trimmed.json"
    out.write_text(json.dumps(trim(spec), indent=1, sort_keys=False) + "\n", encoding="utf-8")
    shutil.copyfile(source.parent / "LICENSE", TARGET_DIR / "LICENSE")
    print(f"wrote {out} ({out.stat().st_size} bytes)")


if __name__ == "__main__":
    main(sys.argv)
