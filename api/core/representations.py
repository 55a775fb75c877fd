"""Every complete 200 answer to a GET as a representation a client can hold and ask
about again (RFC 9110, 8.8 and 13; RFC 9111):

- `ETag`: the route's own when it sets one (a resource's version, or the tag a computed
  view keeps with its body); else a strong tag of the body's bytes (`content_tag`),
  which changes exactly when the body does.
- `If-None-Match` naming the current tag (weak comparison) → 304 with the tag and the
  caching headers, and no body.
- gzip for a client that accepts it, when the body is at least GZIP_MIN_BYTES of JSON or
  CSV. The tag names the content, whichever coding carries it (so an `If-Match` works
  with either), and `Vary: Accept-Encoding` keeps caches from mixing the two. Bodies
  tagged by their content are compressed once and kept (a year of served trends is
  compressed once per version, not per request).

- An answer to a request with credentials that says nothing of caching is the
  caller's alone: `Cache-Control: private, no-cache` and `Vary: Authorization`, as the
  routes that set them say (api/core/responses.py).

A stream (its first body message says more is coming), any other method and any other
status pass as they are."""

import gzip
import hashlib
import re

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.core.cache import LRUCache
from api.core.conditional import etag_listed
from api.core.responses import PRIVATE

GZIP_MIN_BYTES = 1024
# gzip's default level 9 costs about twice the CPU of 6 for a percent or two less.
GZIP_LEVEL = 6
# Compressed bodies kept per process, by content tag.
GZIPPED_KEPT = 512
_COMPRESSIBLE = ("application/json", "text/csv")
# Headers a 304 repeats (RFC 9110, 15.4.5), beside the ETag.
_NOT_MODIFIED_HEADERS = ("cache-control", "vary", "content-location", "expires")
_CONTENT_TAG = re.compile(r'^"c[0-9a-f]{32}"$')


def content_tag(body: bytes) -> str:
    """The strong ETag of a body: a digest of its bytes."""
    return f'"c{hashlib.blake2b(body, digest_size=16).hexdigest()}"'


def _accepts_gzip(header: str | None) -> bool:
    if header is None:
        return False
    for coding in header.split(","):
        name, _, parameters = coding.strip().partition(";")
        if name.strip().lower() in ("gzip", "*"):
            quality = parameters.strip().removeprefix("q=").strip()
            return quality == "" or _positive(quality)
    return False


def _positive(quality: str) -> bool:
    try:
        return float(quality) > 0
    except ValueError:
        return False


class Representations:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._gzipped: LRUCache[str, bytes] = LRUCache(GZIPPED_KEPT)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        request = Headers(scope=scope)
        held = request.get("if-none-match")
        credentials = "authorization" in request
        gzip_accepted = _accepts_gzip(request.get("accept-encoding"))
        start: Message | None = None

        async def answer(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start" and message["status"] == 200:
                start = message  # held until the body says whether it is whole
                return
            if start is not None and message["type"] == "http.response.body":
                first, start = start, None
                if not message.get("more_body", False):
                    body = message.get("body", b"")
                    await self._whole(first, body, held, gzip_accepted, credentials, send)
                    return
                await send(first)
            await send(message)

        await self.app(scope, receive, answer)

    async def _whole(
        self,
        start: Message,
        body: bytes,
        held: str | None,
        gzip_accepted: bool,
        credentials: bool,
        send: Send,
    ) -> None:
        headers = MutableHeaders(raw=list(start["headers"]))
        if credentials and "cache-control" not in headers:
            headers["cache-control"] = PRIVATE["Cache-Control"]
            headers.add_vary_header(PRIVATE["Vary"])
        tag = headers.get("etag") or content_tag(body)
        headers["etag"] = tag
        compressible = len(body) >= GZIP_MIN_BYTES and "content-encoding" not in headers
        compressible = compressible and headers.get("content-type", "").startswith(_COMPRESSIBLE)
        if compressible:
            headers.add_vary_header("Accept-Encoding")
        if held is not None and etag_listed(held, tag, weak=True):
            kept = [
                (name, value)
                for name, value in headers.raw
                if name.decode() in ("etag", *_NOT_MODIFIED_HEADERS)
            ]
            await send({"type": "http.response.start", "status": 304, "headers": kept})
            await send({"type": "http.response.body", "body": b""})
            return
        if compressible and gzip_accepted:
            body = self._gzip(body, tag)
            headers["content-encoding"] = "gzip"
            headers["content-length"] = str(len(body))
        await send({**start, "headers": headers.raw})
        await send({"type": "http.response.body", "body": body})

    def _gzip(self, body: bytes, tag: str) -> bytes:
        if not _CONTENT_TAG.match(tag):
            # A version tag names a resource's version, not these bytes: not a key.
            return gzip.compress(body, GZIP_LEVEL, mtime=0)
        found = self._gzipped.get(tag)
        if found is None:
            found = gzip.compress(body, GZIP_LEVEL, mtime=0)
            self._gzipped.put(tag, found)
        return found
