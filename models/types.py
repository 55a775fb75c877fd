"""Validated field types that several schemas share."""

import re
import unicodedata
import zoneinfo
from datetime import date
from functools import cache
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    StringConstraints,
    field_validator,
)

from models.zones import ABBREVIATIONS

# Names in the time zone database that are not places: their meaning is the server's.
_NOT_ZONES = frozenset({"localtime", "Factory", "posixrules"})


def _no_null_where_refused(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """The schema of a field that `not_null` guards shows no null: a client may leave
    it out, not send null."""
    guarded = {
        field
        for validator in model.__pydantic_decorators__.field_validators.values()
        if validator.func is _reject_null
        for field in validator.info.fields
    }
    for field in guarded:
        properties = schema["properties"][field]
        options = properties.pop("anyOf", [properties.copy()])
        kept = [option for option in options if option.get("type") != "null"]
        properties.update(kept[0] if len(kept) == 1 else {"anyOf": kept})
        properties.pop("default", None)


class RequestBody(BaseModel):
    """A request body: unknown fields are refused (OWASP API3: no mass assignment),
    and so is the NUL character, which PostgreSQL cannot store in text."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_no_null_where_refused)

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
    if name in ABBREVIATIONS:
        raise ValueError(
            f"must be a place name, such as Europe/Paris: the database reads {name}"
            " as a fixed offset"
        )
    return name


TimeZoneName = Annotated[str, AfterValidator(_check_zone)]
DisplayName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


def _json_integer(value: object) -> object:
    # JSON has one number type: 4.0 is the integer 4 (as JSON Schema says), while "4" and
    # true are not integers at all.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a JSON integer")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("must be a whole number")
        return int(value)
    return value


# For `Annotated[int, Field(ge=…, le=…), JSONInteger]`: after the bounds, so that the
# schema states them as `minimum` and `maximum`.
JSONInteger = BeforeValidator(_json_integer)

# ASCII digits only: `\d` would also take other scripts' digits (full-width ones, say),
# which would then fail date parsing with a message about something else.
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_date_text(value: object) -> object:
    # pydantic would also read digits alone as a Unix time, and a datetime as its date.
    if isinstance(value, str) and not _ISO_DATE.fullmatch(value):
        raise ValueError("must be a date as YYYY-MM-DD")
    return value


# A calendar date as YYYY-MM-DD and nothing else: in a body, a path or a query.
LocalDate = Annotated[date, BeforeValidator(_iso_date_text)]

_Choice = TypeVar("_Choice", bound=str)


def _no_repeats(choices: list[_Choice]) -> list[_Choice]:
    repeated = sorted({choice for choice in choices if choices.count(choice) > 1})
    if repeated:
        raise ValueError(f"lists {', '.join(repeated)} more than once")
    return choices


# For `Annotated[list[SomeStrEnum], NoRepeats]`: a list of choices, each at most once.
NoRepeats = AfterValidator(_no_repeats)


def _reject_null(value: object) -> object:
    if value is None:
        raise ValueError("may be left out, but not null")
    return value


def not_null(*fields: str) -> Any:
    """A validator for PATCH bodies: these fields may be omitted but not cleared (and
    their schema shows no null)."""
    return field_validator(*fields)(_reject_null)


EMAIL_LENGTH = 320


def normalise_email(email: str) -> str:
    """An address as accounts are looked up: NFC, as email-validator stores it (so a
    decomposed é still matches), and without regard to case."""
    return unicodedata.normalize("NFC", email.strip()).lower()


def _normalised_email(email: str) -> str:
    # Lower case can be longer than what was typed (İ is one character, i̇ two): the
    # bound is checked on what will be stored and looked up.
    normal = normalise_email(email)
    if len(normal) > EMAIL_LENGTH:
        raise ValueError(f"may be at most {EMAIL_LENGTH} characters")
    return normal


# An address to store or look up: valid, normalised, and fitting its column.
EmailAddress = Annotated[EmailStr, AfterValidator(_normalised_email)]
# An address as typed at login: any text, normalised and bounded as stored ones are.
LoginEmail = Annotated[
    str, StringConstraints(max_length=EMAIL_LENGTH), AfterValidator(_normalised_email)
]
