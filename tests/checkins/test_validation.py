"""Bad input: a 422 naming the field, and nothing written."""

from typing import Any

import pytest

from tests.checkins.helpers import body_of, check_in, checkins_of, listed, put, writes
from tests.http import assert_problem


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param(body_of(connection=0), "connection", id="connection-0"),
        pytest.param(body_of(connection=11), "connection", id="connection-11"),
        pytest.param(body_of(stress=0), "stress", id="stress-0"),
        pytest.param(body_of(stress=11), "stress", id="stress-11"),
        pytest.param(body_of(connection=5.5), "connection", id="connection-5.5"),
        pytest.param(body_of(connection="5"), "connection", id="connection-text"),
        pytest.param(body_of(stress=True), "stress", id="stress-true"),
        pytest.param(body_of(stress=None), "stress", id="stress-null"),
        pytest.param({"stress": 3}, "connection", id="connection-missing"),
        pytest.param({"connection": 3}, "stress", id="stress-missing"),
        pytest.param(
            body_of(signs=["unhappiness", "infidelity", "unhappiness"]), "signs", id="sign-twice"
        ),
        pytest.param(
            body_of(signs=["unhappiness", "infidelity", "boredom"]), "signs.2", id="sign-unknown"
        ),
        pytest.param(body_of(signs="unhappiness"), "signs", id="signs-not-a-list"),
        pytest.param(body_of(note="x" * 1001), "note", id="note-1001"),
        pytest.param(body_of(note="a\x00b"), "note", id="note-nul"),
        pytest.param(body_of(private="yes"), "private", id="private-text"),
        pytest.param(body_of(mood="fine"), "mood", id="unknown-field"),
        pytest.param(body_of(date="2024-05-06"), "date", id="date-in-the-body"),
    ],
)
async def test_a_bad_body_is_422_naming_the_field(client, couple, conn, body: Any, field: str):
    assert_problem(await put(client, couple, couple.first, body=body), 422, field=field)
    assert await listed(client, couple, couple.first) == []
    assert await writes(conn, couple) == 0


async def test_a_duplicate_sign_is_named_in_the_message(client, couple):
    problem = assert_problem(
        await put(client, couple, couple.first, body=body_of(signs=["infidelity"] * 2)),
        422,
        field="signs",
    )
    assert "infidelity" in problem["errors"][0]["message"]


async def test_a_bad_put_leaves_the_check_in_as_it_was(client, couple):
    checkin = await check_in(client, couple, couple.first, connection=4, note="kept")
    assert_problem(
        await put(client, couple, couple.first, body=body_of(connection=11, note="lost")),
        422,
        field="connection",
    )
    assert await listed(client, couple, couple.first) == [checkin]


async def test_the_edges_of_the_scales_and_the_note(client, couple):
    low = await check_in(client, couple, couple.first, connection=1, stress=1, note="x" * 1000)
    assert (low["connection"], low["stress"], len(low["note"])) == (1, 1, 1000)
    high = await check_in(client, couple, couple.first, connection=10, stress=10, note="")
    assert (high["connection"], high["stress"], high["note"]) == (10, 10, "")


async def test_a_body_that_is_not_json_is_422(client, couple):
    response = await client.put(
        f"{checkins_of(couple)}/2024-05-06",
        content=b"{not json",
        headers={**couple.first.headers, "Content-Type": "application/json"},
    )
    assert_problem(response, 422, field="body")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        pytest.param({"since": "2024-5-1"}, "since", id="since"),
        pytest.param({"until": "1715000000"}, "until", id="until"),
        pytest.param({"partner_id": "ana"}, "partner_id", id="partner_id"),
        pytest.param({"cursor": "not-a-cursor"}, "cursor", id="cursor"),
        pytest.param({"limit": 0}, "limit", id="limit-0"),
        pytest.param({"limit": 201}, "limit", id="limit-201"),
    ],
)
async def test_bad_list_parameters_are_422_naming_them(client, couple, params, field):
    response = await client.get(checkins_of(couple), params=params, headers=couple.first.headers)
    assert_problem(response, 422, field=field)


async def test_a_couple_id_that_is_not_a_uuid_is_422(client, couple):
    response = await client.get("/api/v1/couples/not-a-uuid/checkins", headers=couple.first.headers)
    assert_problem(response, 422, field="couple_id")
