"""`GET /couples/{couple_id}/activities/{activity_id}`: the activity and its ETag."""

import uuid

import httpx

from tests.activities.helpers import (
    delete_activity,
    get_activity,
    log_activity,
    patch_activity,
    second,
)
from tests.factories import Couple
from tests.http import assert_problem


async def test_read_gives_an_etag_that_answers_304_to_both_partners(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    activity = await log_activity(client, couple, note="Picnic")
    read = await get_activity(client, couple, activity["id"])
    etag = read.headers["ETag"]
    assert read.json() == activity
    assert read.headers["Cache-Control"] == "private, no-cache"

    for person in (couple.first, second(couple)):
        for held in (etag, f"W/{etag}", f'"other", {etag}', "*"):
            cached = await get_activity(
                client, couple, activity["id"], person, **{"If-None-Match": held}
            )
            assert cached.status_code == 304, held
            assert cached.content == b""
            assert cached.headers["ETag"] == etag

    stale = await get_activity(client, couple, activity["id"], **{"If-None-Match": '"stale"'})
    assert stale.status_code == 200
    assert stale.json() == activity


async def test_a_changed_activity_no_longer_answers_304(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    activity = await log_activity(client, couple)
    etag = (await get_activity(client, couple, activity["id"])).headers["ETag"]
    assert (await patch_activity(client, couple, activity["id"], {"note": "x"})).status_code == 200

    fresh = await get_activity(
        client, couple, activity["id"], second(couple), **{"If-None-Match": etag}
    )

    assert fresh.status_code == 200
    assert fresh.headers["ETag"] != etag
    assert fresh.json()["note"] == "x"


async def test_read_a_deleted_or_unknown_activity_is_404(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    activity = await log_activity(client, couple)
    assert (await delete_activity(client, couple, activity["id"])).status_code == 204
    for person in (couple.first, second(couple)):
        assert_problem(await get_activity(client, couple, activity["id"], person), 404)
    assert_problem(await get_activity(client, couple, str(uuid.uuid4())), 404)


async def test_read_with_a_malformed_id_is_422(client: httpx.AsyncClient, couple: Couple) -> None:
    assert_problem(await get_activity(client, couple, "not-a-uuid"), 422, "activity_id")
