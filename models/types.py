"""Validated field types that several schemas share."""

import zoneinfo
from functools import cache
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints, field_validator

# Names in the time zone database that are not places: their meaning is the server's.
_NOT_ZONES = frozenset({"localtime", "Factory", "posixrules"})


class RequestBody(BaseModel):
    """A request body: unknown fields are refused (OWASP API3: no mass assignment),
    and so is the NUL character, which PostgreSQL cannot store in text."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("may not contain the NUL character (\\u0000)")
        return value


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) - _NOT_ZONES


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
