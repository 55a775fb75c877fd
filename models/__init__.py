"""Tables and their schemas, one module per resource, and the pure rules over them
(`calendar`, `figures`, `vocabulary`). Importing this package registers every table on
`metadata`."""

from models import (
    activity,
    bid,
    change,
    checkin,
    couple,
    email_code,
    export,
    therapist,
    token,
    trend,
    user,
)
from models.base import metadata

__all__ = [
    "activity",
    "bid",
    "change",
    "checkin",
    "couple",
    "email_code",
    "export",
    "metadata",
    "therapist",
    "token",
    "trend",
    "user",
]
