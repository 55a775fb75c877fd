"""`GET /couples/{couple_id}/bids/{bid_id}`: the bid and its ETag."""

import uuid

from tests.bids.helpers import get_bid, log_bid, perceive
from tests.http import assert_problem


async def test_read_gives_an_etag_that_answers_304(client, couple):
    bid = await log_bid(client, couple)
    read = await get_bid(client, couple, bid["id"])
    etag = read.headers["ETag"]
    assert read.json() == bid

    for person in (couple.first, couple.second):
        cached = await client.get(
            f"{couple.bids}/{bid['id']}", headers={**person.headers, "If-None-Match": etag}
        )
        assert cached.status_code == 304
        assert cached.content == b""

    stale = await client.get(
        f"{couple.bids}/{bid['id']}", headers={**couple.first.headers, "If-None-Match": '"stale"'}
    )
    assert stale.status_code == 200
    assert stale.json() == bid


async def test_a_changed_bid_no_longer_answers_304(client, couple):
    bid = await log_bid(client, couple)
    etag = (await get_bid(client, couple, bid["id"])).headers["ETag"]
    assert (await perceive(client, couple, bid["id"], couple.second, "toward")).status_code == 200

    fresh = await client.get(
        f"{couple.bids}/{bid['id']}", headers={**couple.first.headers, "If-None-Match": etag}
    )

    assert fresh.status_code == 200
    assert fresh.headers["ETag"] != etag
    assert fresh.json()["response"] == "toward"


async def test_read_a_deleted_or_unknown_bid_is_404(client, couple):
    bid = await log_bid(client, couple)
    await client.delete(f"{couple.bids}/{bid['id']}", headers=couple.first.headers)
    for person in (couple.first, couple.second):
        assert_problem(await get_bid(client, couple, bid["id"], person), 404)
    assert_problem(await get_bid(client, couple, str(uuid.uuid4())), 404)


async def test_read_with_a_malformed_id_is_422(client, couple):
    assert_problem(await get_bid(client, couple, "not-a-uuid"), 422, "bid_id")
