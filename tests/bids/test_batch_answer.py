"""A batch's answer is validated as a whole (`batch_result` in api/bids/service.py), not
a model at a time: its bytes are those of the answer built one model at a time, for
rows just stored and rows read back, as either partner sees them."""

import uuid
from collections.abc import Sequence
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncConnection

from api.bids import service
from api.core.sql import Record
from models.bid import BidBatchItem, BidBatchResult
from tests.bids.helpers import T0, iso, perceive
from tests.factories import Couple


def one_model_at_a_time(rows: Sequence[Record], created: bool, viewer_id: uuid.UUID) -> bytes:
    """The answer as each bid's own representation builds it, validated bid by bid."""
    result = BidBatchResult(
        items=[
            BidBatchItem(index=index, created=created, bid=service.to_public(row, viewer_id))
            for index, row in enumerate(rows)
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
    answer = service.batch_result([(row, False) for row in rows], second)
    assert answer.items[0].bid.note is None
    assert answer.model_dump_json().encode() == one_model_at_a_time(rows, False, second)
