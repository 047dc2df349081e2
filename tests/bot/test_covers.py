"""Cover images for mirrored Scheduled Events: only LL2's image hosts, no redirects, bounded, real images only.

The fetches go to a local aiohttp server on an ephemeral port (the fetcher is told that 127.0.0.1 over http is
the allowed host, since LL2's real hosts are https on the internet, which a test never reaches).
"""

from __future__ import annotations

import base64
import re
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
from aiohttp import web

from bot.covers import CoverFetcher, image_type

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
WEBP = b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 64


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://thespacedevs-prod.nyc3.digitaloceanspaces.com/media/images/falcon_9.jpeg", True),
        ("https://spacelaunchnow-prod-east.nyc3.digitaloceanspaces.com/media/launcher_images/soyuz.jpg", True),
        ("https://thespacedevs-prod.nyc3.cdn.digitaloceanspaces.com/media/images/x.png", True),
        ("http://thespacedevs-prod.nyc3.digitaloceanspaces.com/media/images/x.png", False),  # not https
        ("https://attacker.nyc3.digitaloceanspaces.com/x.png", False),  # another bucket
        ("https://thespacedevs-prod.nyc3.digitaloceanspaces.com.evil.example/x.png", False),
        ("https://user@thespacedevs-prod.nyc3.digitaloceanspaces.com/x.png", False),
        ("https://thespacedevs-prod.nyc3.digitaloceanspaces.com:8443/x.png", False),
        ("https://169.254.169.254/latest/meta-data/", False),
        ("https://images.example/f9.jpg", False),
        ("javascript:alert(1)", False),
        ("https://[::1", False),  # not even a URL
        ("", False),
    ],
)
def test_only_https_urls_on_ll2s_image_buckets_may_be_read(url: str, allowed: bool) -> None:
    assert CoverFetcher(None, max_bytes=1).may_read(url) is allowed  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("data", "mime"),
    [
        (PNG, "image/png"),
        (JPEG, "image/jpeg"),
        (b"GIF89a...", "image/gif"),
        (WEBP, "image/webp"),
        (b"<html>not an image</html>", None),
        (b"RIFF\x00\x00\x00\x00WAVE", None),
        (b"", None),
    ],
)
def test_the_bytes_say_what_the_image_is(data: bytes, mime: str | None) -> None:
    assert image_type(data) == mime


@dataclass
class Images:
    base: str
    hits: Counter[str]
    fetcher: CoverFetcher


@pytest.fixture
async def images() -> AsyncIterator[Images]:
    hits: Counter[str] = Counter()

    async def serve(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        hits[name] += 1
        match name:
            case "cover.png":
                return web.Response(body=PNG, content_type="image/png")
            case "page.png":  # says PNG, is HTML
                return web.Response(body=b"<html>hi</html>", content_type="image/png")
            case "big.jpg":
                return web.Response(body=JPEG + b"\x00" * 4096, content_type="image/jpeg")
            case "big-unsized.jpg":  # no Content-Length: the cap must hold while reading
                response = web.StreamResponse(headers={"Content-Type": "image/jpeg"})
                response.enable_chunked_encoding()
                await response.prepare(request)
                for _ in range(8):
                    await response.write(JPEG + b"\x00" * 1024)
                await response.write_eof()
                return response
            case "moved.png":
                raise web.HTTPFound("/img/cover.png")
        raise web.HTTPNotFound()

    app = web.Application()
    app.router.add_get("/img/{name}", serve)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    async with aiohttp.ClientSession() as session:
        fetcher = CoverFetcher(
            session, allowed=re.compile(r"127\.0\.0\.1"), schemes=frozenset({"http"}), max_bytes=2048
        )
        yield Images(f"http://127.0.0.1:{port}/img", hits, fetcher)
    await runner.cleanup()


async def test_an_image_comes_back_as_a_data_uri_of_its_own_type(images: Images) -> None:
    uri = await images.fetcher.data_uri(f"{images.base}/cover.png")
    assert uri is not None
    head, _, payload = uri.partition(",")
    assert head == "data:image/png;base64"
    assert base64.b64decode(payload) == PNG


@pytest.mark.parametrize("name", ["page.png", "big.jpg", "big-unsized.jpg", "missing.png", "moved.png"])
async def test_no_cover_from_what_is_not_an_image_too_big_missing_or_redirected(images: Images, name: str) -> None:
    assert await images.fetcher.data_uri(f"{images.base}/{name}") is None
    assert images.hits["cover.png"] == 0, "a redirect is not followed"


async def test_a_url_that_failed_is_not_read_again_soon(images: Images) -> None:
    for _ in range(3):
        assert await images.fetcher.data_uri(f"{images.base}/page.png") is None
    assert images.hits["page.png"] == 1


async def test_a_host_not_allowed_is_never_asked(images: Images) -> None:
    strict = CoverFetcher(images.fetcher.session)  # LL2's hosts only
    assert await strict.data_uri(f"{images.base}/cover.png") is None
    assert images.hits["cover.png"] == 0
