"""Conditional requests (RFC 9110, 13.1): the headers and how a list of ETags is
compared with the current one."""

import hashlib
from typing import Annotated

from fastapi import Header
from pydantic import BaseModel

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


def content_tag(body: bytes) -> str:
    """The strong ETag of a body: a digest of its bytes, which changes exactly when
    they do."""
    # SHA-256 (cut to 128 bits): where the processor has SHA instructions, as these
    # machines do, half the time of BLAKE2b on a year of trends (40 KB: 33 µs against 60).
    return f'"c{hashlib.sha256(body).hexdigest()[:32]}"'


def content_tag_of(model: BaseModel) -> str:
    """The content tag of a model's JSON, as `tagged_json` sends it."""
    return content_tag(model.model_dump_json().encode())
