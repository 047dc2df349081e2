"""Fields the spec does not define: Discord ignores them silently, the fake accepts the request and fails the test."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from tests.fakediscord.pytest_plugin import FakeDiscordWithScene
from tests.fakediscord.spec import SpecChecker

MESSAGES = "/channels/{channel_id}/messages"
EDIT = "/channels/{channel_id}/messages/{message_id}"
CALLBACK = "/interactions/{interaction_id}/{interaction_token}/callback"
COMMANDS = "/applications/{application_id}/commands"


@pytest.fixture(scope="module")
def spec() -> SpecChecker:
    return SpecChecker()


@pytest.mark.parametrize(
    ("template", "method", "body", "expected"),
    [
        (MESSAGES, "POST", {"content": "x", "nonce": "a", "enforce_nonces": True}, ["enforce_nonces"]),
        (MESSAGES, "POST", {"embeds": [{"titel": "Liftoff"}]}, ["embeds/0/titel"]),
        (MESSAGES, "POST", {"content": "x", "allowed_mentions": {"parse": [], "user": []}}, ["allowed_mentions/user"]),
        (CALLBACK, "POST", {"type": 4, "data": {"contents": "hi"}}, ["data/contents"]),
        (EDIT, "PATCH", {"content": "x", "tts": True}, ["tts"]),
        (COMMANDS, "PUT", [{"name": "about", "description": "d", "descripton": "typo"}], ["0/descripton"]),
    ],
)
def test_undefined_fields_are_named_with_their_path(
    spec: SpecChecker, template: str, method: str, body: Any, expected: list[str]
) -> None:
    assert spec.request_errors(template, method, body) == []  # valid: Discord would answer 200
    found = spec.unknown_fields(template, method, body)
    assert [line.split(":")[0] for line in found] == expected
    assert all("unknown field" in line for line in found)


@pytest.mark.parametrize(
    ("template", "method", "body"),
    [
        (MESSAGES, "POST", {"content": "x", "nonce": "a", "enforce_nonce": True, "tts": False, "flags": 0}),
        (MESSAGES, "POST", {"embeds": [{"title": "t", "flags": 0, "fields": [{"name": "n", "value": "v"}]}]}),
        # discord.py sends tts=False on every edit; Discord defines no tts there but False changes nothing.
        (EDIT, "PATCH", {"content": "x", "tts": False}),
        # Free-form maps (additionalProperties with a schema) take any key.
        (COMMANDS, "PUT", [{"name": "about", "description": "d", "name_localizations": {"de": "ueber"}}]),
        (COMMANDS, "PUT", [{"name": "about", "description": "d", "nsfw": False}]),
        (CALLBACK, "POST", {"type": 8, "data": {"choices": [{"name": "Soyuz", "value": "Soyuz"}]}}),
    ],
)
def test_defined_fields_pass(spec: SpecChecker, template: str, method: str, body: Any) -> None:
    assert spec.request_errors(template, method, body) == []
    assert spec.unknown_fields(template, method, body) == []


async def test_misspelled_enforce_nonce_is_accepted_like_discord_but_fails_the_test(
    fake_discord: FakeDiscordWithScene,
) -> None:
    url = f"{fake_discord.base_url}/channels/{fake_discord.scene.general.id}/messages"
    headers = {"Authorization": f"Bot {fake_discord.token}"}
    body = {"content": "T-10", "nonce": "a1", "enforce_nonces": True}
    async with aiohttp.ClientSession() as session:
        for _ in range(2):
            async with session.post(url, json=body, headers=headers) as response:
                assert response.status == 200
    # Discord ignored the misspelled flag, so the nonce was not enforced: two messages.
    assert len(fake_discord.world.channel_messages(fake_discord.scene.general)) == 2
    violations = fake_discord.take_violations("unknown-field")
    assert len(violations) == 2
    assert violations[0].errors == ["enforce_nonces: unknown field (Discord ignores it silently)"]
