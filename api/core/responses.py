"""Responses built by hand, for bodies already serialised."""

from fastapi import Response
from pydantic import BaseModel

from api.core.conditional import content_tag

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


def batch_answer(result: BaseModel, any_created: bool) -> Response:
    """A batch's answer: 201 when any item was created now, 200 when every one was a
    replay of an earlier create."""
    return Response(
        result.model_dump_json(),
        status_code=201 if any_created else 200,
        headers=PRIVATE,
        media_type="application/json",
    )
