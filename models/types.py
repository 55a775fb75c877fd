"""Validated field types that several schemas share."""

import zoneinfo
from functools import cache
from typing import Annotated, Any

from pydantic import AfterValidator, ConfigDict, StringConstraints, field_validator

# Request bodies refuse unknown fields (OWASP API3: no mass assignment).
STRICT_BODY = ConfigDict(extra="forbid")


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _check_zone(name: str) -> str:
    if name not in _zone_names():
        raise ValueError("must be an IANA time zone name, such as Europe/Paris")
    return name


TimeZoneName = Annotated[str, AfterValidator(_check_zone)]
DisplayName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


def _reject_null(value: object) -> object:
    if value is None:
        raise ValueError("may be left out, but not null")
    return value


def not_null(*fields: str) -> Any:
    """A validator for PATCH bodies: these fields may be omitted but not cleared."""
    return field_validator(*fields)(_reject_null)
