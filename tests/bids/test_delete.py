"""`DELETE /couples/{couple_id}/bids/{bid_id}`: who may delete a bid, and when."""

from tests.bids.helpers import get_bid, log_bid, perceive
from tests.http import assert_problem


async def test_the_logger_deletes_a_bid(client, couple):
    bid = await log_bid(client, couple)
    response = await client.delete(f"{couple.bids}/{bid['id']}", headers=couple.first.headers)
    assert response.status_code == 204
    assert response.content == b""
    assert_problem(await get_bid(client, couple, bid["id"]), 404)
    assert_problem(
        await client.delete(f"{couple.bids}/{bid['id']}", headers=couple.first.headers), 404
    )


async def test_delete_by_the_other_partner_is_403(client, couple):
    bid = await log_bid(client, couple, couple.first, note="keep")
    assert_problem(
        await client.delete(f"{couple.bids}/{bid['id']}", headers=couple.second.headers), 403
    )
    assert (await get_bid(client, couple, bid["id"])).json() == bid


async def test_delete_with_a_stale_if_match_is_412(client, couple):
    bid = await log_bid(client, couple)
    etag = (await get_bid(client, couple, bid["id"])).headers["ETag"]
    await perceive(client, couple, bid["id"], couple.second, "away")
    path = f"{couple.bids}/{bid['id']}"
    assert_problem(
        await client.delete(path, headers={**couple.first.headers, "If-Match": etag}), 412
    )
    assert (await get_bid(client, couple, bid["id"])).status_code == 200
    current = (await get_bid(client, couple, bid["id"])).headers["ETag"]
    assert (
        await client.delete(path, headers={**couple.first.headers, "If-Match": current})
    ).status_code == 204
