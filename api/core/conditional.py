"""Conditional requests (RFC 9110, 13.1): the headers and how a list of ETags is
compared with the current one."""

from typing import Annotated

from fastapi import Header

# Our ETags are a few characters: a list of them longer than this is not a client's.
ETAG_LIST_LENGTH = 1024

IfMatch = Annotated[
    str | None,
    Header(
        max_length=ETAG_LIST_LENGTH,
        description="The `ETag` you read; when given and stale, the change is refused with 412.",
    ),
]
IfNoneMatch = Annotated[
    str | None,
    Header(
        max_length=ETAG_LIST_LENGTH,
        description="ETags the client holds; when one is current, the answer is a 304.",
    ),
]


def etag_listed(header: str, current: str, *, weak: bool) -> bool:
    """Whether an `If-Match` (strong comparison) or `If-None-Match` (weak) list names
    the current ETag."""
    for tag in (tag.strip() for tag in header.split(",")):
        if tag == "*" or tag == current:
            return True
        if weak and tag.removeprefix("W/") == current.removeprefix("W/"):
            return True
    return False
