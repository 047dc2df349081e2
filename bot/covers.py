"""Cover images of mirrored Scheduled Events: LL2's image of the launch, read from LL2's own image hosts.

Discord takes a scheduled event's cover only as the image's bytes (a base64 data URI), never as a link, so the
bot downloads it. The URL comes from upstream data, so a compromised LL2 could name any host: only ``https``
URLs on LL2's image buckets (DigitalOcean Spaces, ``thespacedevs-*`` / ``spacelaunchnow-*``) are read, with no
redirect followed, at most :data:`MAX_BYTES`, and only what the bytes themselves say is a PNG, JPEG, GIF or
WebP. Anything else gives no cover, never an error: the event is made without one. These hosts are LL2's CDN,
not its API, so the reads are outside the API's request budget; a URL that failed is not read again for
:data:`RETRY_AFTER_S`.
"""

from __future__ import annotations

import base64
import logging
import re
import time
from urllib.parse import urlsplit

import aiohttp

log = logging.getLogger(__name__)

# LL2's image buckets, e.g. thespacedevs-prod.nyc3.digitaloceanspaces.com (and its .cdn. form).
LL2_IMAGE_HOSTS = re.compile(
    r"(?:thespacedevs|spacelaunchnow)-[a-z0-9-]+\.[a-z0-9]+\.(?:cdn\.)?digitaloceanspaces\.com"
)
# Keeps one create's body modest (base64 adds a third); a larger image gives no cover.
MAX_BYTES = 3 * 1024 * 1024
TIMEOUT_S = 10.0
RETRY_AFTER_S = 6 * 3_600
# How many failed URLs are remembered (the oldest are forgotten first).
FAILED_MAX = 512
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def image_type(data: bytes) -> str | None:
    """The MIME type the bytes themselves show (PNG, JPEG, GIF, WebP), whatever the server said."""
    for magic, mime in _MAGIC:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


class CoverFetcher:
    """Reads cover images as data URIs from the hosts ``allowed`` matches (LL2's image buckets by default)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        allowed: re.Pattern[str] = LL2_IMAGE_HOSTS,
        schemes: frozenset[str] = frozenset({"https"}),
        max_bytes: int = MAX_BYTES,
    ) -> None:
        self.session = session
        self.allowed = allowed
        self.schemes = schemes
        self.max_bytes = max_bytes
        self._failed: dict[str, float] = {}

    def may_read(self, url: str) -> bool:
        """Whether ``url`` is one the bot may download: an allowed scheme and host, no user or odd port."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            return False
        if parts.scheme not in self.schemes or parts.username is not None or parts.password is not None:
            return False
        if port is not None and parts.scheme == "https" and port != 443:
            return False
        return bool(parts.hostname) and self.allowed.fullmatch(parts.hostname or "") is not None

    async def data_uri(self, url: str) -> str | None:
        """The image at ``url`` as a ``data:`` URI, or None (not allowed, failed lately, too big, not an image)."""
        if not self.may_read(url):
            return None
        failed = self._failed.get(url)
        if failed is not None and time.monotonic() - failed < RETRY_AFTER_S:
            return None
        try:
            data = await self._read(url)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            log.info("no cover image from %s: %s", url, exc or type(exc).__name__)
            data = None
        mime = image_type(data) if data is not None else None
        if data is None or mime is None:
            self._remember_failure(url)
            return None
        return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"

    async def _read(self, url: str) -> bytes:
        timeout = aiohttp.ClientTimeout(total=TIMEOUT_S)
        # No redirect: one would lead to a host nobody checked.
        async with self.session.get(url, allow_redirects=False, timeout=timeout) as response:
            if response.status != 200:
                raise ValueError(f"HTTP {response.status}")
            if (response.content_length or 0) > self.max_bytes:
                raise ValueError(f"{response.content_length} bytes is more than {self.max_bytes}")
            body = bytearray()
            async for chunk in response.content.iter_chunked(65_536):
                body.extend(chunk)
                if len(body) > self.max_bytes:
                    raise ValueError(f"more than {self.max_bytes} bytes")
            return bytes(body)

    def _remember_failure(self, url: str) -> None:
        self._failed[url] = time.monotonic()
        while len(self._failed) > FAILED_MAX:
            del self._failed[next(iter(self._failed))]
