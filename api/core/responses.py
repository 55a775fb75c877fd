"""Responses built by hand, for bodies already serialised or streamed."""

import asyncio
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping

from fastapi import Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from starlette.types import Receive, Scope, Send

from api.core.conditional import content_tag

logger = logging.getLogger("toward")

# For what one caller may see and any write may change: no shared cache keeps it, and
# a private one keeps one copy per login and asks again before using it.
PRIVATE = {"Cache-Control": "private, no-cache", "Vary": "Authorization"}


def private_json(body: bytes | str, etag: str | None = None) -> Response:
    """JSON meant for the caller alone; with `etag`, the tag it is known by (else the
    body's own, api/core/representations.py)."""
    headers = PRIVATE if etag is None else {**PRIVATE, "ETag": etag}
    return Response(body, media_type="application/json", headers=headers)


def tagged_json(model: BaseModel) -> Response:
    """A resource's JSON for the caller alone, tagged by its content: the tag a client
    sends back in `If-Match` (compared with `content_tag_of` the current one)."""
    body = model.model_dump_json().encode()
    return private_json(body, etag=content_tag(body))


def batch_answer(result: BaseModel | bytes, any_created: bool) -> Response:
    """A batch's answer (a model, or its JSON already serialised): 201 when any item
    was created now, 200 when every one was a replay of an earlier create."""
    return Response(
        result if isinstance(result, bytes) else result.model_dump_json(),
        status_code=201 if any_created else 200,
        headers=PRIVATE,
        media_type="application/json",
    )


class BoundedStream(StreamingResponse):
    """A streamed body that holds something while it streams (a snapshot of the
    database, say). It is cut off after `seconds`, however slowly its client reads: it
    ends without its last message, so the server drops the connection and the client
    sees a broken answer, never one that looks whole. However it ends (in full, cut
    off, or with the client gone before it began) the body is closed, so that it lets
    go of what it holds, and then `finish` runs."""

    def __init__(
        self,
        body: AsyncGenerator[bytes, None],
        *,
        seconds: float,
        finish: Callable[[], Awaitable[None]],
        media_type: str,
        headers: Mapping[str, str],
    ) -> None:
        super().__init__(body, media_type=media_type, headers=headers)
        self._body = body
        self._seconds = seconds
        self._finish = finish

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        bound = asyncio.timeout(self._seconds)
        try:
            async with bound:
                await super().__call__(scope, receive, send)
        except TimeoutError:
            if not bound.expired():
                raise
            logger.warning("%s cut off after %s seconds", scope["path"], self._seconds)
        finally:
            await self._body.aclose()
            await self._finish()
