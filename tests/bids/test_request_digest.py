"""Property: a create's digest (`request_digest` in api/bids/service.py), which the
database keeps to tell a replay from a clash, hashes the very bytes it always hashed
(the body copied with its bidder, then dumped), for any body a client may send: every
field absent, null or given, notes of any text, and a bidder the body names or not."""

import hashlib
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from api.bids.service import request_digest
from models.bid import BidCreate
from models.vocabulary import STYLES_BY_RESPONSE, BidKind, Channel, Response

ABSENT = object()
# Notes that look like JSON members once escaped, the bidder's own among them.
TRICKY_NOTES = [
    '"bidder_id":null',
    '{"id":null,"bidder_id":null}',
    '\\"bidder_id\\":null',
    '\\"bidder_id":null',
    'é "quoted" \\ back\\slash \u2028 \U0001f600 \t\n\x7f',
]


def digest_by_copy(body: BidCreate, bidder_id: uuid.UUID) -> str:
    """The digest as it was first defined, kept as the reference."""
    parsed = body.model_copy(update={"bidder_id": bidder_id})
    return hashlib.sha256(parsed.model_dump_json().encode()).hexdigest()


def maybe(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A field left out, sent as null, or sent with a value."""
    return st.one_of(st.just(ABSENT), st.none(), values)


def rfc3339(moment: datetime, offset_minutes: int) -> str:
    return moment.replace(tzinfo=timezone(timedelta(minutes=offset_minutes))).isoformat()


instants = st.builds(
    rfc3339,
    st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31)),
    st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59),
)
notes = st.one_of(
    st.text(max_size=1000).filter(lambda text: "\x00" not in text),
    st.sampled_from(TRICKY_NOTES),
)


@st.composite
def perceptions(draw: st.DrawFn) -> dict[str, Any]:
    response = draw(maybe(st.sampled_from(Response)))
    styles = sorted(STYLES_BY_RESPONSE[response]) if response not in (ABSENT, None) else []
    style = draw(maybe(st.sampled_from(styles)) if styles else st.just(ABSENT))
    return {"response": response, "style": style}


@st.composite
def bodies(draw: st.DrawFn) -> BidCreate:
    fields = {
        "id": draw(maybe(st.uuids())),
        "bidder_id": draw(maybe(st.uuids())),
        "occurred_at": draw(maybe(instants)),
        "kind": draw(st.sampled_from(BidKind)),
        "channel": draw(maybe(st.sampled_from(Channel))),
        "note": draw(maybe(notes)),
        "private": draw(st.one_of(st.just(ABSENT), st.booleans())),
        "repair": draw(st.one_of(st.just(ABSENT), st.booleans())),
        **draw(perceptions()),
    }
    return BidCreate.model_validate(
        {name: value for name, value in fields.items() if value is not ABSENT}
    )


@settings(max_examples=500)
@given(body=bodies(), other=st.uuids(), own=st.booleans())
@example(
    body=BidCreate(kind=BidKind.humor, note='"bidder_id":null'), other=uuid.UUID(int=1), own=False
)
def test_the_digest_hashes_the_body_copied_with_its_bidder(
    body: BidCreate, other: uuid.UUID, own: bool
) -> None:
    """The bidder is the body's own when it names one (as creates use it), or any other."""
    bidder_id = body.bidder_id if own and body.bidder_id is not None else other
    assert request_digest(body, bidder_id) == digest_by_copy(body, bidder_id)
