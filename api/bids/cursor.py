"""Opaque cursors for the bid list: the position (occurred_at, id) of the last item."""

import base64
import binascii
import json
import uuid
from datetime import UTC, datetime


def encode(occurred_at: datetime, bid_id: uuid.UUID) -> str:
    raw = json.dumps([occurred_at.isoformat(), str(bid_id)], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(cursor: str) -> tuple[datetime, uuid.UUID] | None:
    """The position, or None for anything this module did not encode."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        occurred_at, bid_id = json.loads(raw)
        if not isinstance(occurred_at, str) or not isinstance(bid_id, str):
            return None
        moment = datetime.fromisoformat(occurred_at)
        if moment.tzinfo is None:
            return None
        return moment.astimezone(UTC), uuid.UUID(bid_id)
    except (binascii.Error, ValueError, TypeError, OverflowError):
        return None
