"""Every complete 200 answer to a GET as a representation a client can hold and ask
about again (RFC 9110, 8.8 and 13; RFC 9111):

- `ETag`: the route's own when it sets one (a resource's version, or the tag a computed
  view keeps with its body); else a strong tag of the body's bytes (`content_tag`),
  which changes exactly when the body does.
- `If-None-Match` naming the current tag (weak comparison) → 304 with the tag and the
  caching headers, and no body.
- gzip for a client that accepts it, when the body is at least GZIP_MIN_BYTES of JSON or
  CSV. The tag names the content, whichever coding carries it (a client compares it in
  `If-None-Match` and sends it back in `If-Match` the same either way), and
  `Vary: Accept-Encoding` keeps caches from mixing the two. Compressed bodies are
  kept by the digest of their content (a year of served trends is compressed once per
  version, not per request), except those marked `no-store`.
- An answer to a request with credentials that says nothing of caching is the
  caller's alone: `Cache-Control: private, no-cache` and `Vary: Authorization`, as the
  routes that set them say (api/core/responses.py).

A stream (its first body message says more is coming), any other method and any other
status pass as they are."""

import gzip

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.core.cache import LRUCache
from api.core.conditional import content_tag, etag_listed
from api.core.responses import PRIVATE

GZIP_MIN_BYTES = 1024
# The level of nginx's default, for bodies made per request: measured on a year of
# trends (40 KB), a bid page (120 KB) and a changes page (300 KB), level 1 takes a
# fifth to a third of the CPU of 6 for 10 to 40% more bytes (a trends read after a
# write: 110 µs against 510, 8.6 KB against 6.2), and level 9 twice that of 6.
GZIP_LEVEL = 1
# Compressed bodies kept per process, by the digest of their content.
GZIPPED_KEPT = 512
_COMPRESSIBLE = ("application/json", "text/csv")
# Headers a 304 repeats (RFC 9110, 15.4.5), beside the ETag.
_NOT_MODIFIED_HEADERS = ("cache-control", "vary", "content-location", "expires")


def _accepts_gzip(header: str | None) -> bool:
    """Whether `Accept-Encoding` takes gzip: an entry for gzip decides, else one for
    `*`; a quality of 0 (or one that is not a number) refuses."""
    if header is None:
        return False
    qualities: dict[str, bool] = {}
    for coding in header.split(","):
        name, *parameters = (part.strip() for part in coding.split(";"))
        accepted = True
        for parameter in parameters:
            key, _, value = parameter.partition("=")
            if key.strip().lower() == "q":
                accepted = _positive(value.strip())
        qualities.setdefault(name.lower(), accepted)
    return qualities.get("gzip", qualities.get("*", False))


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
            body = self._gzip(body, kept="no-store" not in headers.get("cache-control", ""))
            headers["content-encoding"] = "gzip"
            headers["content-length"] = str(len(body))
        await send({**start, "headers": headers.raw})
        await send({"type": "http.response.body", "body": body})

    def _gzip(self, body: bytes, *, kept: bool) -> bytes:
        """The body compressed; kept by its own digest (never a route's tag, which may
        name a version rather than these bytes), unless it may not be stored."""
        if not kept:
            return gzip.compress(body, GZIP_LEVEL, mtime=0)
        key = content_tag(body)
        found = self._gzipped.get(key)
        if found is None:
            found = gzip.compress(body, GZIP_LEVEL, mtime=0)
            self._gzipped.put(key, found)
        return found
