"""`GET /couples/{couple_id}/activities`: order, filters, pages and their cursor."""

import base64
import json
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest

from tests.activities.helpers import (
    ACTIVITY_FIELDS,
    T0,
    activities_of,
    delete_activity,
    iso,
    list_page,
    listed_ids,
    log_activity,
    parse_time,
    second,
)
from tests.factories import Couple
from tests.http import assert_problem


async def test_list_is_newest_first(client: httpx.AsyncClient, couple: Couple) -> None:
    offsets = [3, 0, 5, 1, 4, 2]
    logged = {
        hours: await log_activity(client, couple, occurred_at=iso(T0 + timedelta(hours=hours)))
        for hours in offsets
    }
    page = await list_page(client, couple)
    assert set(page) == {"items", "next_cursor"}
    assert page["next_cursor"] is None
    assert [item["id"] for item in page["items"]] == [
        logged[h]["id"] for h in sorted(offsets, reverse=True)
    ]
    assert page["items"][0] == logged[5]
    for item in page["items"]:
        assert set(item) == ACTIVITY_FIELDS


async def test_list_is_private_to_each_login(client: httpx.AsyncClient, couple: Couple) -> None:
    await log_activity(client, couple, occurred_at=iso(T0))
    for person in (couple.first, second(couple)):
        response = await client.get(activities_of(couple), headers=person.headers)
        assert response.status_code == 200, response.text
        assert response.headers["Cache-Control"] == "private, no-cache"
        assert response.headers["Vary"] == "Authorization"


async def test_list_shows_both_partners_the_couples_activities_only(
    client: httpx.AsyncClient, couple: Couple, stranger_couple: Couple
) -> None:
    mine = await log_activity(client, couple, couple.first, occurred_at=iso(T0))
    theirs = await log_activity(
        client, couple, second(couple), occurred_at=iso(T0 + timedelta(minutes=1))
    )
    elsewhere = await log_activity(client, stranger_couple)

    expected = [theirs["id"], mine["id"]]
    assert await listed_ids(client, couple, couple.first) == expected
    assert await listed_ids(client, couple, second(couple)) == expected
    assert await listed_ids(client, stranger_couple) == [elsewhere["id"]]


async def test_list_since_is_inclusive_and_until_exclusive(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    at = [T0 + timedelta(hours=h) for h in range(4)]
    ids = [(await log_activity(client, couple, occurred_at=iso(moment)))["id"] for moment in at]

    assert await listed_ids(client, couple, since=iso(at[1])) == [ids[3], ids[2], ids[1]]
    assert await listed_ids(client, couple, until=iso(at[2])) == [ids[1], ids[0]]
    assert await listed_ids(client, couple, since=iso(at[1]), until=iso(at[3])) == [ids[2], ids[1]]
    assert await listed_ids(client, couple, since=iso(at[1]), until=iso(at[1])) == []
    # The same instants in another offset select the same activities.
    since = (at[1] + timedelta(hours=2)).replace(tzinfo=None).isoformat() + "+02:00"
    until = (at[3] + timedelta(hours=2)).replace(tzinfo=None).isoformat() + "+02:00"
    assert await listed_ids(client, couple, since=since, until=until) == [ids[2], ids[1]]
    tiny = timedelta(microseconds=1)
    assert await listed_ids(client, couple, since=iso(at[2] + tiny)) == [ids[3]]
    assert await listed_ids(client, couple, until=iso(at[0] + tiny)) == [ids[0]]


async def test_list_filters_by_kind_and_logger(client: httpx.AsyncClient, couple: Couple) -> None:
    def at(minute: int) -> str:
        return iso(T0 + timedelta(minutes=minute))

    a = await log_activity(client, couple, couple.first, kind="date_night", occurred_at=at(0))
    b = await log_activity(client, couple, second(couple), kind="date_night", occurred_at=at(1))
    c = await log_activity(client, couple, couple.first, kind="checkin_talk", occurred_at=at(2))
    d = await log_activity(client, couple, second(couple), kind="other", occurred_at=at(3))

    assert await listed_ids(client, couple, kind="date_night") == [b["id"], a["id"]]
    assert await listed_ids(client, couple, kind="checkin_talk") == [c["id"]]
    assert await listed_ids(client, couple, kind="shared_activity") == []
    assert await listed_ids(client, couple, logged_by=couple.first.id) == [c["id"], a["id"]]
    assert await listed_ids(client, couple, logged_by=second(couple).id) == [d["id"], b["id"]]
    assert await listed_ids(client, couple, logged_by=str(uuid.uuid4())) == []
    assert await listed_ids(
        client, couple, second(couple), kind="date_night", logged_by=couple.first.id
    ) == [a["id"]]
    assert await listed_ids(client, couple, kind="date_night", since=at(1), until=at(3)) == [
        b["id"]
    ]


async def test_list_leaves_out_deleted_activities(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    kept = await log_activity(client, couple, occurred_at=iso(T0))
    gone = await log_activity(client, couple, occurred_at=iso(T0 + timedelta(minutes=1)))
    assert (await delete_activity(client, couple, gone["id"])).status_code == 204
    assert await listed_ids(client, couple) == [kept["id"]]
    assert await listed_ids(client, couple, second(couple)) == [kept["id"]]


async def walk_pages(
    client: httpx.AsyncClient, couple: Couple, limit: int, **params: Any
) -> list[dict[str, Any]]:
    """Every item of every page, following next_cursor to the end."""
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(100):
        query = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        page = await list_page(client, couple, **query)
        assert len(page["items"]) <= limit
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items
        assert page["items"], "a page with a next_cursor must not be empty"
    raise AssertionError("pagination did not end")


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 9, 10])
async def test_pages_visit_every_activity_once_even_with_equal_times(
    client: httpx.AsyncClient, couple: Couple, limit: int
) -> None:
    # 9 activities, only 4 distinct instants: ties must be broken the same way on every page.
    hours = [0, 1, 1, 1, 1, 2, 2, 3, 3]
    logged = [
        await log_activity(client, couple, occurred_at=iso(T0 + timedelta(hours=h))) for h in hours
    ]
    everything = (await list_page(client, couple, limit=200))["items"]
    assert len(everything) == len(logged)

    walked = await walk_pages(client, couple, limit)

    ids = [item["id"] for item in walked]
    assert len(ids) == len(set(ids))
    assert set(ids) == {activity["id"] for activity in logged}
    assert ids == [item["id"] for item in everything]
    keys = [(parse_time(item["occurred_at"]), uuid.UUID(item["id"])) for item in walked]
    assert keys == sorted(keys, reverse=True)


async def test_pages_keep_to_the_filters(client: httpx.AsyncClient, couple: Couple) -> None:
    hours = [0, 1, 1, 1, 2, 2, 3]
    talks = [
        (
            await log_activity(
                client, couple, kind="checkin_talk", occurred_at=iso(T0 + timedelta(hours=h))
            )
        )["id"]
        for h in hours
    ]
    for h in hours:
        await log_activity(client, couple, kind="other", occurred_at=iso(T0 + timedelta(hours=h)))

    walked = await walk_pages(
        client, couple, 2, kind="checkin_talk", since=iso(T0 + timedelta(hours=1))
    )

    ids = [item["id"] for item in walked]
    assert len(ids) == len(set(ids)) == 6
    assert set(ids) == set(talks[1:])
    assert {item["kind"] for item in walked} == {"checkin_talk"}


async def test_the_default_page_holds_50(client: httpx.AsyncClient, couple: Couple) -> None:
    for minute in range(51):
        await log_activity(client, couple, occurred_at=iso(T0 + timedelta(minutes=minute)))
    page = await list_page(client, couple)
    assert len(page["items"]) == 50
    assert page["next_cursor"]
    rest = await list_page(client, couple, cursor=page["next_cursor"])
    assert len(rest["items"]) == 1
    assert rest["next_cursor"] is None
    assert parse_time(rest["items"][0]["occurred_at"]) == T0


@pytest.mark.parametrize("limit", [1, 200])
async def test_list_accepts_the_limit_bounds(
    client: httpx.AsyncClient, couple: Couple, limit: int
) -> None:
    await log_activity(client, couple)
    assert len((await list_page(client, couple, limit=limit))["items"]) == 1


def _cursor_of(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        pytest.param({"limit": 0}, "limit", id="limit-0"),
        pytest.param({"limit": 201}, "limit", id="limit-201"),
        pytest.param({"limit": "many"}, "limit", id="limit-text"),
        pytest.param({"since": "2024-05-06T12:00:00"}, "since", id="naive-since"),
        pytest.param({"until": "tomorrow"}, "until", id="bad-until"),
        pytest.param({"kind": "picnic"}, "kind", id="bad-kind"),
        pytest.param({"logged_by": "ana"}, "logged_by", id="bad-logged-by"),
        pytest.param({"cursor": "garbage"}, "cursor", id="garbage-cursor"),
        pytest.param({"cursor": "x" * 500}, "cursor", id="long-cursor"),
        pytest.param(
            {"cursor": _cursor_of(["2024-05-06T12:00:00", str(uuid.uuid4())])},
            "cursor",
            id="naive-cursor",
        ),
    ],
)
async def test_list_rejects_bad_parameters(
    client: httpx.AsyncClient, couple: Couple, params: dict[str, Any], field: str
) -> None:
    await log_activity(client, couple)
    response = await client.get(
        f"{couple.path}/activities", params=params, headers=couple.first.headers
    )
    assert_problem(response, 422, field)
