"""Responses built by hand, for bodies already serialised."""

from fastapi import Response

# Figures change with every write; a client may keep one copy per login, never stale.
PRIVATE = {"Cache-Control": "private, no-cache", "Vary": "Authorization"}


def private_json(body: bytes | str) -> Response:
    """JSON meant for the caller alone."""
    return Response(body, media_type="application/json", headers=PRIVATE)
