"""`POST /couples/{couple_id}/activities`: the activity it logs, and the input it refuses."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.activities.helpers import (
    ACTIVITY_FIELDS,
    T0,
    activities_of,
    from_now,
    get_activity,
    iso,
    listed_ids,
    log_activity,
    parse_time,
    post_activity,
    second,
    version_of,
)
from tests.factories import Couple, make_couple
from tests.http import assert_problem


async def test_create_logs_an_activity(client: httpx.AsyncClient, couple: Couple) -> None:
    before = datetime.now(UTC)
    response = await post_activity(
        client,
        couple,
        kind="date_night",
        occurred_at="2024-05-06T20:30:00+02:00",
        duration_minutes=150,
        note="Dinner by the river",
    )
    after = datetime.now(UTC)

    assert response.status_code == 201, response.text
    activity = response.json()
    assert set(activity) == ACTIVITY_FIELDS
    uuid.UUID(activity["id"])
    assert (activity["couple_id"], activity["logged_by"]) == (couple.id, couple.first.id)
    assert (activity["kind"], activity["duration_minutes"], activity["note"]) == (
        "date_night",
        150,
        "Dinner by the river",
    )
    assert parse_time(activity["occurred_at"]) == datetime(2024, 5, 6, 18, 30, tzinfo=UTC)
    assert activity["occurred_at"].endswith(("Z", "+00:00"))  # responses give UTC
    created_at = parse_time(activity["created_at"])
    assert before - timedelta(seconds=1) <= created_at <= after + timedelta(seconds=1)
    assert activity["updated_at"] == activity["created_at"]
    assert response.headers["ETag"]
    assert response.headers["Cache-Control"] == "private, no-cache"

    read = await get_activity(client, couple, activity["id"])
    assert read.status_code == 200
    assert read.json() == activity
    assert read.headers["ETag"] == response.headers["ETag"]
    assert await listed_ids(client, couple) == [activity["id"]]


async def test_create_leaves_duration_and_note_empty(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    activity = await log_activity(client, couple, kind="checkin_talk")
    assert (activity["duration_minutes"], activity["note"]) == (None, None)


@pytest.mark.parametrize("kind", ["date_night", "shared_activity", "checkin_talk", "other"])
async def test_every_kind_is_accepted(client: httpx.AsyncClient, couple: Couple, kind: str) -> None:
    assert (await log_activity(client, couple, kind=kind))["kind"] == kind


async def test_create_with_a_chosen_id(client: httpx.AsyncClient, couple: Couple) -> None:
    chosen = str(uuid.uuid4())
    activity = await log_activity(client, couple, id=chosen)
    assert activity["id"] == chosen
    assert (await get_activity(client, couple, chosen)).json() == activity


async def test_either_partner_logs_and_both_see_the_note(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    ana = await log_activity(client, couple, couple.first, note="Ana's words", occurred_at=iso(T0))
    ben = await log_activity(
        client,
        couple,
        second(couple),
        note="Ben's words",
        occurred_at=iso(T0 + timedelta(hours=1)),
    )
    assert (ana["logged_by"], ben["logged_by"]) == (couple.first.id, second(couple).id)
    for person in (couple.first, second(couple)):
        assert (await get_activity(client, couple, ana["id"], person)).json() == ana
        assert (await get_activity(client, couple, ben["id"], person)).json() == ben
        assert await listed_ids(client, couple, person) == [ben["id"], ana["id"]]


async def test_a_couple_of_one_may_log_activities(client: httpx.AsyncClient) -> None:
    alone = await make_couple(client, joined=False)
    activity = await log_activity(client, alone, kind="other", note="Booked the trip")
    assert activity["logged_by"] == alone.first.id
    assert await listed_ids(client, alone) == [activity["id"]]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param("duration_minutes", 1, id="duration-1"),
        pytest.param("duration_minutes", 1440, id="duration-1440"),
        pytest.param("note", "n" * 1000, id="note-1000"),
        pytest.param("note", "", id="note-empty"),
        pytest.param("occurred_at", "1900-01-01T00:00:00Z", id="1900"),
        pytest.param("occurred_at", "future-4", id="4-minutes-ahead"),
    ],
)
async def test_create_accepts_the_bounds(
    client: httpx.AsyncClient, couple: Couple, field: str, value: Any
) -> None:
    if value == "future-4":
        value = iso(from_now(minutes=4))
    activity = await log_activity(client, couple, **{field: value})
    if field == "occurred_at":
        assert parse_time(activity[field]) == parse_time(value)
    else:
        assert activity[field] == value


async def test_a_whole_number_written_with_a_fraction_is_accepted(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    assert (await log_activity(client, couple, duration_minutes=60.0))["duration_minutes"] == 60


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"kind": "picnic"}, "kind", id="unknown-kind"),
        pytest.param({"kind": None}, "kind", id="null-kind"),
        pytest.param({"kind": "missing"}, "kind", id="no-kind"),
        pytest.param({"occurred_at": "missing"}, "occurred_at", id="no-time"),
        pytest.param({"occurred_at": None}, "occurred_at", id="null-time"),
        pytest.param({"occurred_at": "2024-05-06T20:30:00"}, "occurred_at", id="naive-time"),
        pytest.param({"occurred_at": "2024-05-06"}, "occurred_at", id="date-only"),
        pytest.param({"occurred_at": 1714990000}, "occurred_at", id="unix-time"),
        pytest.param({"occurred_at": "future-6"}, "occurred_at", id="6-minutes-ahead"),
        pytest.param({"occurred_at": "1899-12-31T23:59:59Z"}, "occurred_at", id="1899"),
        pytest.param({"occurred_at": "1900-01-01T00:30:00+01:00"}, "occurred_at", id="1899-in-utc"),
        pytest.param(
            {"occurred_at": "0001-01-01T00:00:00+01:00"}, "occurred_at", id="before-year-1-in-utc"
        ),
        pytest.param({"duration_minutes": 0}, "duration_minutes", id="duration-0"),
        pytest.param({"duration_minutes": -30}, "duration_minutes", id="duration-negative"),
        pytest.param({"duration_minutes": 1441}, "duration_minutes", id="duration-1441"),
        pytest.param({"duration_minutes": 2.5}, "duration_minutes", id="duration-fraction"),
        pytest.param({"duration_minutes": "60"}, "duration_minutes", id="duration-text"),
        pytest.param({"duration_minutes": True}, "duration_minutes", id="duration-bool"),
        pytest.param({"note": "n" * 1001}, "note", id="note-1001"),
        pytest.param({"note": "a\x00b"}, "note", id="note-nul"),
        pytest.param({"id": "not-a-uuid"}, "id", id="bad-id"),
        pytest.param({"private": True}, "private", id="unknown-private"),
        pytest.param({"logged_by": "other"}, "logged_by", id="unknown-logged-by"),
        pytest.param({"couple_id": str(uuid.uuid4())}, "couple_id", id="unknown-couple-id"),
    ],
)
async def test_create_rejects_bad_input_naming_the_field(
    client: httpx.AsyncClient,
    couple: Couple,
    conn: AsyncConnection,
    body: dict[str, Any],
    field: str,
) -> None:
    sent: dict[str, Any] = {"kind": "date_night", "occurred_at": iso(T0)}
    for key, value in body.items():
        if value == "missing":
            del sent[key]
        elif value == "future-6":
            sent[key] = iso(from_now(minutes=6))
        elif value == "other":
            sent[key] = second(couple).id
        else:
            sent[key] = value

    response = await client.post(activities_of(couple), json=sent, headers=couple.first.headers)

    assert_problem(response, 422, field)
    assert await listed_ids(client, couple) == []
    assert await version_of(conn, couple) == 0


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"{", id="broken-json"),
        pytest.param(b"[]", id="a-list"),
        pytest.param(b"", id="empty"),
    ],
)
async def test_create_rejects_a_body_that_is_not_an_object(
    client: httpx.AsyncClient, couple: Couple, raw: bytes
) -> None:
    response = await client.post(
        activities_of(couple),
        content=raw,
        headers={**couple.first.headers, "Content-Type": "application/json"},
    )
    assert_problem(response, 422)
    assert await listed_ids(client, couple) == []
