"""`PUT /couples/{couple_id}/checkins/{date}`: the caller's check-in for a date, new
(201) or replaced (200)."""

from datetime import UTC, datetime

from tests.checkins.helpers import (
    CHECKIN_FIELDS,
    DAY,
    body_of,
    check_in,
    listed,
    put,
    read,
)
from tests.factories import make_couple


async def test_a_first_put_creates_the_check_in(client, couple):
    before = datetime.now(UTC)
    response = await put(
        client,
        couple,
        couple.first,
        body=body_of(
            connection=8,
            stress=2,
            signs=["poor_listening", "withholding_affection"],
            note="a good walk",
        ),
    )
    assert response.status_code == 201, response.text
    checkin = response.json()
    assert set(checkin) == CHECKIN_FIELDS
    assert checkin["couple_id"] == couple.id
    assert checkin["partner_id"] == couple.first.id
    assert checkin["date"] == DAY.isoformat()
    assert (checkin["connection"], checkin["stress"]) == (8, 2)
    # In the order of the 14 codes, not as sent.
    assert checkin["signs"] == ["withholding_affection", "poor_listening"]
    assert checkin["note"] == "a good walk"
    assert checkin["private"] is False
    assert datetime.fromisoformat(checkin["created_at"]) >= before.replace(microsecond=0)
    assert checkin["updated_at"] == checkin["created_at"]
    assert response.headers["ETag"]
    assert response.headers["Cache-Control"] == "private, no-cache"
    assert response.headers["Vary"] == "Authorization"
    assert (await read(client, couple, couple.first)).json() == checkin


async def test_the_defaults_no_signs_no_note_not_private(client, couple):
    checkin = await check_in(client, couple, couple.first)
    assert (checkin["signs"], checkin["note"], checkin["private"]) == ([], None, False)


async def test_a_second_put_replaces_every_field_under_the_same_id(client, couple):
    first = await put(
        client,
        couple,
        couple.first,
        body=body_of(connection=2, stress=9, signs=["unhappiness"], note="rough", private=True),
    )
    assert first.status_code == 201
    second = await put(client, couple, couple.first, body=body_of(connection=9, stress=1))
    assert second.status_code == 200, second.text
    replaced = second.json()
    assert replaced["id"] == first.json()["id"]
    assert replaced["created_at"] == first.json()["created_at"]
    assert replaced["updated_at"] >= first.json()["updated_at"]
    # Left out means the default: the old signs, note and privacy are gone.
    assert (replaced["connection"], replaced["stress"]) == (9, 1)
    assert (replaced["signs"], replaced["note"], replaced["private"]) == ([], None, False)
    assert second.headers["ETag"] != first.headers["ETag"]
    assert second.headers["Cache-Control"] == "private, no-cache"
    assert [item["id"] for item in await listed(client, couple, couple.first)] == [replaced["id"]]


async def test_each_partner_has_a_check_in_of_their_own_for_a_date(client, couple):
    ana = await put(client, couple, couple.first, body=body_of(connection=3))
    ben = await put(client, couple, couple.second, body=body_of(connection=8))
    assert (ana.status_code, ben.status_code) == (201, 201)
    assert ana.json()["id"] != ben.json()["id"]
    assert (await read(client, couple, couple.first)).json()["connection"] == 3
    assert (await read(client, couple, couple.second)).json()["connection"] == 8


async def test_every_sign_at_once(client, couple):
    from models.vocabulary import SIGNS

    every = [sign.value for sign in SIGNS]
    checkin = await check_in(client, couple, couple.first, signs=list(reversed(every)))
    assert checkin["signs"] == every


async def test_a_couple_waiting_for_its_second_partner_may_check_in(client):
    waiting = await make_couple(client, joined=False)
    response = await put(client, waiting, waiting.first)
    assert response.status_code == 201, response.text
    assert [item["id"] for item in await listed(client, waiting, waiting.first)] == [
        response.json()["id"]
    ]


async def test_a_whole_number_written_as_a_float_is_taken(client, couple):
    checkin = await check_in(client, couple, couple.first, connection=5.0)
    assert checkin["connection"] == 5
