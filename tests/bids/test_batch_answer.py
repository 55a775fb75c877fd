"""A batch's answer is serialised from its rows without validating them (`batch_json`
in api/bids/service.py): its bytes are those of the answer built one model at a time,
for rows just stored and rows read back, as either partner sees them, and for any row
the database may hold."""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import asyncpg.pgproto.pgproto as pgproto
import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncConnection

from api.bids import service
from api.core.sql import Record
from models.bid import BidBatchItem, BidBatchResult
from models.vocabulary import STYLES_BY_RESPONSE, BidKind, Channel, Response
from tests.bids.helpers import T0, iso, perceive
from tests.factories import Couple


def one_model_at_a_time(rows: Sequence[Record], created: bool, viewer_id: uuid.UUID) -> bytes:
    """The answer as each bid's own representation builds it, validated bid by bid."""
    return models_json([(row, created) for row in rows], viewer_id)


def models_json(stored: Sequence[tuple[Record, bool]], viewer_id: uuid.UUID) -> bytes:
    result = BidBatchResult(
        items=[
            BidBatchItem(index=index, created=created, bid=service.to_public(row, viewer_id))
            for index, (row, created) in enumerate(stored)
        ]
    )
    return result.model_dump_json().encode()


async def test_the_answer_is_the_one_built_a_model_at_a_time(
    client: httpx.AsyncClient, couple: Couple, conn: AsyncConnection
) -> None:
    assert couple.second is not None
    first, second = uuid.UUID(couple.first.id), uuid.UUID(couple.second.id)
    bodies: list[dict[str, Any]] = [
        {"kind": "humor", "note": "just mine", "private": True, "response": "toward"},
        {"kind": "support", "channel": "written", "repair": True, "note": "shared"},
        {"kind": "play"},
        {"kind": "affection", "bidder_id": couple.second.id, "response": "away"},
        {"kind": "interest", "response": "toward", "style": "passive", "occurred_at": iso(T0)},
    ]
    items = [{"id": str(uuid.uuid4()), **each} for each in bodies]
    path = f"{couple.bids}:batch"

    async def stored() -> list[Record]:
        return [
            await service.get_bid_row(conn, uuid.UUID(couple.id), uuid.UUID(each["id"]))
            for each in items
        ]

    created = await client.post(path, json={"items": items}, headers=couple.first.headers)
    assert created.status_code == 201, created.text
    assert created.content == one_model_at_a_time(await stored(), True, first)

    # Both partners' perceptions on some, the responder's alone on another.
    for index, response in ((0, "away"), (2, "toward"), (3, "away")):
        perceived = await perceive(client, couple, items[index]["id"], couple.second, response)
        assert perceived.status_code == 200, perceived.text
    replayed = await client.post(path, json={"items": items}, headers=couple.first.headers)
    assert replayed.status_code == 200, replayed.text
    rows = await stored()
    assert replayed.content == one_model_at_a_time(rows, False, first)

    # The partner who did not log them: the private note hidden.
    answer = service.batch_json([(row, False) for row in rows], second)
    assert BidBatchResult.model_validate_json(answer).items[0].bid.note is None
    assert answer == one_model_at_a_time(rows, False, second)


# What the database may hand back: its UUIDs as asyncpg's type or Python's, its times
# aware and in UTC, its vocabulary as plain strings.
ids = st.one_of(st.uuids(), st.uuids().map(lambda each: pgproto.UUID(each.bytes)))
instants = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(9999, 12, 31), timezones=st.just(UTC)
)
texts = st.text().filter(lambda text: "\x00" not in text)


@st.composite
def perception(draw: st.DrawFn) -> tuple[str | None, str | None]:
    response = draw(st.none() | st.sampled_from(Response))
    if response is None:
        return None, None
    style = draw(st.none() | st.sampled_from(sorted(STYLES_BY_RESPONSE[response])))
    return response.value, style.value if style else None


@st.composite
def rows(draw: st.DrawFn, partners: tuple[uuid.UUID, uuid.UUID]) -> Record:
    bidder_id, responder_id = draw(st.permutations(partners))
    bidder_response, bidder_style = draw(perception())
    responder_response, responder_style = draw(perception())
    return {
        "id": draw(ids),
        "couple_id": draw(ids),
        "bidder_id": bidder_id,
        "responder_id": responder_id,
        "logged_by": draw(st.sampled_from(partners)),
        "occurred_at": draw(instants),
        "kind": draw(st.sampled_from(BidKind)).value,
        "channel": draw(st.none() | st.sampled_from(Channel).map(lambda each: each.value)),
        "note": draw(st.none() | texts),
        "private": draw(st.booleans()),
        "repair": draw(st.booleans()),
        "bidder_response": bidder_response,
        "bidder_style": bidder_style,
        "responder_response": responder_response,
        "responder_style": responder_style,
        "created_at": draw(instants),
        "updated_at": draw(instants),
    }


@st.composite
def batches(draw: st.DrawFn) -> tuple[list[tuple[Record, bool]], uuid.UUID]:
    partners = (draw(ids), draw(ids))
    stored = draw(st.lists(st.tuples(rows(partners), st.booleans()), max_size=5))
    return stored, draw(st.sampled_from(partners))


# A value of another type than its member's would still serialise, with a warning: the
# mirror of the models must keep their types too.
@pytest.mark.filterwarnings("error")
@settings(max_examples=300)
@given(batch=batches())
def test_any_rows_answer_as_the_models_serialise_them(
    batch: tuple[list[tuple[Record, bool]], uuid.UUID],
) -> None:
    stored, viewer_id = batch
    assert service.batch_json(stored, viewer_id) == models_json(stored, viewer_id)
