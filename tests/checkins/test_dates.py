"""Which dates a check-in may be put for: from 1900-01-01 to one day after the couple's
today, today being the date in the couple's time zone."""

from datetime import UTC, date, datetime

import pytest

from tests.checkins.helpers import check_in, checkins_of, listed, path_of, put, read
from tests.http import assert_problem

# 10:00 UTC: already 00:00 the next day at UTC+14, still 23:00 the day before at UTC-11.
MOMENT = datetime(2024, 5, 6, 10, 0, tzinfo=UTC)


async def _in_zone(client, couple, timezone: str) -> None:
    response = await client.patch(
        couple.path, json={"timezone": timezone}, headers=couple.first.headers
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("timezone", "tomorrow", "too_far"),
    [
        pytest.param("UTC", date(2024, 5, 7), date(2024, 5, 8), id="UTC"),
        pytest.param(
            "Pacific/Kiritimati", date(2024, 5, 8), date(2024, 5, 9), id="Kiritimati-UTC+14"
        ),
        pytest.param(
            "Pacific/Pago_Pago", date(2024, 5, 6), date(2024, 5, 7), id="Pago_Pago-UTC-11"
        ),
    ],
)
async def test_the_couples_today_decides_tomorrow(
    client, couple, clock, timezone, tomorrow, too_far
):
    await _in_zone(client, couple, timezone)
    clock.now = MOMENT

    assert (await put(client, couple, couple.first, tomorrow)).status_code == 201
    problem = assert_problem(await put(client, couple, couple.first, too_far), 422, field="date")
    assert "one day after" in problem["errors"][0]["message"]
    assert_problem(await read(client, couple, couple.first, too_far), 404)
    assert [item["date"] for item in await listed(client, couple, couple.first)] == [
        tomorrow.isoformat()
    ]


async def test_the_same_date_moves_in_and_out_of_reach_with_the_clock(client, couple, clock):
    await _in_zone(client, couple, "Pacific/Kiritimati")
    clock.now = datetime(2024, 5, 6, 9, 59, tzinfo=UTC)  # 23:59 on the 6th there
    assert_problem(await put(client, couple, couple.first, date(2024, 5, 8)), 422, field="date")
    clock.advance(60)  # midnight there
    assert (await put(client, couple, couple.first, date(2024, 5, 8))).status_code == 201


async def test_a_date_long_ago_is_fine_from_1900_on(client, couple):
    assert (await put(client, couple, couple.first, "1900-01-01")).status_code == 201
    assert_problem(await put(client, couple, couple.first, "1899-12-31"), 422, field="date")
    assert [item["date"] for item in await listed(client, couple, couple.first)] == ["1900-01-01"]


NOT_DATES = [
    "2024-5-6",
    "20240506",
    "2024-02-30",
    "2024-13-01",
    "yesterday",
    "1715000000",
    "2024-05-06T00:00:00",
    "0000-01-01",
]


@pytest.mark.parametrize("method", ["PUT", "GET", "DELETE"])
async def test_a_date_that_is_not_yyyy_mm_dd_is_422(client, couple, method):
    body = {"connection": 5, "stress": 5} if method == "PUT" else None
    for text in NOT_DATES:
        response = await client.request(
            method, path_of(couple, text), json=body, headers=couple.first.headers
        )
        assert_problem(response, 422, field="date")
    assert await listed(client, couple, couple.first) == []


async def test_a_leap_day_is_a_date(client, couple):
    checkin = await check_in(client, couple, couple.first, "2024-02-29")
    assert checkin["date"] == "2024-02-29"


FULL_WIDTH = "2026-\uff11\uff11-01"  # November, in full-width digits


@pytest.mark.parametrize(
    ("method", "field", "query"),
    [
        ("PUT", "date", None),
        ("GET", "date", None),
        ("DELETE", "date", None),
        ("GET", "since", "since"),
        ("GET", "until", "until"),
    ],
)
async def test_a_date_in_other_digits_is_422_as_any_date_not_yyyy_mm_dd(
    client, couple, method, field, query
):
    if query is None:
        url, params = path_of(couple, FULL_WIDTH), None
    else:
        url, params = checkins_of(couple), {query: FULL_WIDTH}
    body = {"connection": 5, "stress": 5} if method == "PUT" else None
    response = await client.request(
        method, url, params=params, json=body, headers=couple.first.headers
    )
    problem = assert_problem(response, 422, field=field)
    assert problem["errors"] == [{"field": field, "message": "must be a date as YYYY-MM-DD"}]
    assert await listed(client, couple, couple.first) == []
