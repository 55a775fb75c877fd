"""ETags on check-ins: `If-None-Match` on a read gives 304, `If-Match` on a put or a
delete refuses a stale version (412) and lets the current one through."""

from tests.checkins.helpers import body_of, check_in, delete, put, read
from tests.http import assert_problem


async def test_read_gives_the_etag_and_if_none_match_304(client, couple):
    created = await put(client, couple, couple.first)
    etag = created.headers["ETag"]
    response = await read(client, couple, couple.first)
    assert response.status_code == 200
    assert response.headers["ETag"] == etag
    assert response.headers["Cache-Control"] == "private, no-cache"

    held = await read(client, couple, couple.first, **{"If-None-Match": etag})
    assert held.status_code == 304
    assert held.content == b""
    assert held.headers["ETag"] == etag
    assert (
        await read(client, couple, couple.first, **{"If-None-Match": f"W/{etag}"})
    ).status_code == 304

    await check_in(client, couple, couple.first, connection=1)
    changed = await read(client, couple, couple.first, **{"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.json()["connection"] == 1
    assert changed.headers["ETag"] != etag


async def test_a_put_with_a_stale_if_match_is_412_and_changes_nothing(client, couple):
    etag = (await put(client, couple, couple.first, body=body_of(connection=5))).headers["ETag"]
    current = (await put(client, couple, couple.first, body=body_of(connection=6))).headers["ETag"]

    stale = await put(
        client, couple, couple.first, body=body_of(connection=9), **{"If-Match": etag}
    )
    problem = assert_problem(stale, 412)
    assert problem["type"].endswith("stale-version")
    assert stale.headers["ETag"] == current
    assert (await read(client, couple, couple.first)).json()["connection"] == 6

    fresh = await put(
        client, couple, couple.first, body=body_of(connection=9), **{"If-Match": current}
    )
    assert fresh.status_code == 200, fresh.text
    assert fresh.json()["connection"] == 9
    assert fresh.headers["ETag"] not in (etag, current)


async def test_if_match_star_needs_a_live_check_in(client, couple):
    assert_problem(await put(client, couple, couple.first, **{"If-Match": "*"}), 412)
    assert_problem(await read(client, couple, couple.first), 404)
    await put(client, couple, couple.first)
    assert (await put(client, couple, couple.first, **{"If-Match": "*"})).status_code == 200


async def test_if_match_without_a_check_in_for_the_date_is_412(client, couple):
    assert_problem(await put(client, couple, couple.first, **{"If-Match": '"1"'}), 412)
    assert_problem(await read(client, couple, couple.first), 404)


async def test_if_match_on_a_deleted_check_in_is_412(client, couple):
    etag = (await put(client, couple, couple.first)).headers["ETag"]
    assert (await delete(client, couple, couple.first)).status_code == 204
    assert_problem(await put(client, couple, couple.first, **{"If-Match": etag}), 412)
    assert_problem(await read(client, couple, couple.first), 404)


async def test_the_partners_etag_does_not_fit_ones_own_check_in(client, couple):
    await put(client, couple, couple.first)
    await put(client, couple, couple.first, body=body_of(connection=2))
    bens = (await put(client, couple, couple.second)).headers["ETag"]
    assert_problem(await put(client, couple, couple.first, **{"If-Match": bens}), 412)


async def test_a_delete_with_a_stale_if_match_is_412(client, couple):
    etag = (await put(client, couple, couple.first)).headers["ETag"]
    current = (await put(client, couple, couple.first, body=body_of(stress=8))).headers["ETag"]
    refused = await delete(client, couple, couple.first, **{"If-Match": etag})
    assert_problem(refused, 412)
    assert refused.headers["ETag"] == current
    assert (await read(client, couple, couple.first)).status_code == 200
    assert (await delete(client, couple, couple.first, **{"If-Match": current})).status_code == 204
    assert_problem(await read(client, couple, couple.first), 404)
