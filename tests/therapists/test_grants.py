"""Therapist access: both partners' grants (which the therapist then answers:
tests/therapists/test_invitations.py), and revocation by either."""

from typing import Any

import httpx
import pytest

from tests.factories import Couple, Person, make_couple, register
from tests.http import assert_problem
from tests.therapists.helpers import (
    CASELOAD,
    answer,
    export_of,
    grant,
    grant_both,
    new_therapist,
    trends_of,
)


async def test_one_grant_is_not_enough(
    client: httpx.AsyncClient, couple: Couple, therapist: Person
) -> None:
    first = await grant(client, couple, couple.first, therapist)
    assert first.status_code == 201, first.text
    assert first.json()["therapist_id"] == therapist.id
    assert first.json()["status"] == "pending"
    assert first.json()["granted_by"] == [couple.first.id]
    assert first.json()["active_since"] is None
    for path in (trends_of(couple), export_of(couple)):
        assert_problem(await client.get(path, headers=therapist.headers), 404)
    caseload = await client.get(CASELOAD, headers=therapist.headers)
    assert caseload.json() == {"items": [], "next_cursor": None}

    assert couple.second is not None
    second = await grant(client, couple, couple.second, therapist)
    assert second.status_code == 201, second.text
    assert second.json()["status"] == "awaiting_therapist"
    assert second.json()["granted_by"] == [couple.first.id, couple.second.id]
    assert second.json()["active_since"] is None
    assert second.json()["answered_at"] is None

    accepted = await answer(client, couple.id, therapist, "accept")
    assert accepted.status_code == 200, accepted.text
    listed = await client.get(f"{couple.path}/therapists", headers=couple.first.headers)
    (after,) = listed.json()["items"]
    assert after["status"] == "active"
    assert after["active_since"] == after["answered_at"] is not None
    for path in (trends_of(couple), export_of(couple)):
        assert (await client.get(path, headers=therapist.headers)).status_code == 200
    caseload = await client.get(CASELOAD, headers=therapist.headers)
    assert [item["couple_id"] for item in caseload.json()["items"]] == [couple.id]


async def test_granting_again_changes_nothing(
    client: httpx.AsyncClient, couple: Couple, therapist: Person
) -> None:
    first = await grant(client, couple, couple.first, therapist)
    again = await grant(client, couple, couple.first, therapist)
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert_problem(await client.get(trends_of(couple), headers=therapist.headers), 404)


async def test_a_couple_of_one_stays_pending_until_the_second_partner_grants(
    client: httpx.AsyncClient, therapist: Person
) -> None:
    couple = await make_couple(client, joined=False)
    alone = await grant(client, couple, couple.first, therapist)
    assert alone.json()["status"] == "pending"
    ben = await register(client, "Ben")
    invite = await client.post(f"{couple.path}/invite", headers=couple.first.headers)
    joined = await client.post(
        "/api/v1/couples/join", json={"code": invite.json()["code"]}, headers=ben.headers
    )
    assert joined.status_code == 200, joined.text
    assert_problem(await client.get(trends_of(couple), headers=therapist.headers), 404)
    couple.second = ben
    both = await grant(client, couple, ben, therapist)
    assert both.json()["status"] == "awaiting_therapist"
    assert (await answer(client, couple.id, therapist, "accept")).status_code == 200
    assert (await client.get(trends_of(couple), headers=therapist.headers)).status_code == 200


async def test_the_grant_list_shows_each_therapist_and_status(
    client: httpx.AsyncClient, couple: Couple, therapist: Person
) -> None:
    other = await new_therapist(client, "Lee")
    await grant_both(client, couple, therapist)
    await grant(client, couple, couple.first, other)
    assert couple.second is not None
    for partner in (couple.first, couple.second):
        listed = await client.get(f"{couple.path}/therapists", headers=partner.headers)
        assert listed.status_code == 200, listed.text
        items = listed.json()["items"]
        assert [(item["therapist_id"], item["status"]) for item in items] == [
            (therapist.id, "active"),
            (other.id, "pending"),
        ]
        assert items[0]["display_name"] == "Kim"
        assert items[0]["email"] == therapist.user["email"]
        assert items[1]["granted_by"] == [couple.first.id]


async def test_an_unknown_email_and_a_partners_email_get_the_same_422(
    client: httpx.AsyncClient, couple: Couple, stranger: Person
) -> None:
    unknown = await client.post(
        f"{couple.path}/therapists",
        json={"email": "nobody-here@example.org"},
        headers=couple.first.headers,
    )
    partner = await client.post(
        f"{couple.path}/therapists",
        json={"email": stranger.user["email"]},
        headers=couple.first.headers,
    )
    assert_problem(unknown, 422, "email")
    assert_problem(partner, 422, "email")
    assert unknown.json() == partner.json()
    listed = await client.get(f"{couple.path}/therapists", headers=couple.first.headers)
    assert listed.json() == {"items": []}


async def test_the_email_matches_whatever_its_case(
    client: httpx.AsyncClient, couple: Couple, therapist: Person
) -> None:
    shouted = await client.post(
        f"{couple.path}/therapists",
        json={"email": f"  {therapist.user['email'].upper()} "},
        headers=couple.first.headers,
    )
    assert shouted.status_code == 201, shouted.text
    assert shouted.json()["therapist_id"] == therapist.id


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "email"),
        ({"email": "not an email"}, "email"),
        ({"email": 7}, "email"),
        ({"email": "kim@example.org", "couple_id": "x"}, "couple_id"),
    ],
)
async def test_a_bad_grant_body_is_a_422_naming_the_field(
    client: httpx.AsyncClient, couple: Couple, body: dict[str, Any], field: str
) -> None:
    response = await client.post(
        f"{couple.path}/therapists", json=body, headers=couple.first.headers
    )
    assert_problem(response, 422, field)


async def test_revocation_by_either_partner_cuts_access_on_the_next_request(
    client: httpx.AsyncClient, couple: Couple, therapist: Person
) -> None:
    assert couple.second is not None
    for revoker in (couple.first, couple.second):
        await grant_both(client, couple, therapist)
        assert (await client.get(trends_of(couple), headers=therapist.headers)).status_code == 200
        revoked = await client.delete(
            f"{couple.path}/therapists/{therapist.id}", headers=revoker.headers
        )
        assert revoked.status_code == 204, revoked.text
        for path in (trends_of(couple), export_of(couple)):
            assert_problem(await client.get(path, headers=therapist.headers), 404)
        caseload = await client.get(CASELOAD, headers=therapist.headers)
        assert caseload.json()["items"] == []
        listed = await client.get(f"{couple.path}/therapists", headers=revoker.headers)
        assert listed.json() == {"items": []}


async def test_after_a_revocation_access_needs_both_grants_again(
    client: httpx.AsyncClient, couple: Couple, therapist: Person
) -> None:
    await grant_both(client, couple, therapist)
    await client.delete(f"{couple.path}/therapists/{therapist.id}", headers=couple.first.headers)
    again = await grant(client, couple, couple.first, therapist)
    assert again.status_code == 201
    assert again.json()["status"] == "pending"
    assert_problem(await client.get(trends_of(couple), headers=therapist.headers), 404)


async def test_revoking_a_therapist_without_a_grant_is_a_404(
    client: httpx.AsyncClient, couple: Couple, therapist: Person
) -> None:
    path = f"{couple.path}/therapists/{therapist.id}"
    assert_problem(await client.delete(path, headers=couple.first.headers), 404)
    bad = await client.delete(f"{couple.path}/therapists/not-a-uuid", headers=couple.first.headers)
    assert_problem(bad, 422, "therapist_id")


async def test_the_couples_therapist_paths_are_for_its_partners_only(
    client: httpx.AsyncClient, couple: Couple, therapist: Person, stranger: Person
) -> None:
    await grant_both(client, couple, therapist)
    requests = [
        ("POST", f"{couple.path}/therapists", {"email": therapist.user["email"]}),
        ("GET", f"{couple.path}/therapists", None),
        ("DELETE", f"{couple.path}/therapists/{therapist.id}", None),
        ("GET", f"{couple.path}/access-log", None),
    ]
    for method, path, body in requests:
        unauthenticated = await client.request(method, path, json=body)
        assert_problem(unauthenticated, 401)
        for outsider in (stranger, therapist):
            response = await client.request(method, path, json=body, headers=outsider.headers)
            assert_problem(response, 404)
    # Nothing the outsiders sent was applied.
    listed = await client.get(f"{couple.path}/therapists", headers=couple.first.headers)
    assert [item["status"] for item in listed.json()["items"]] == ["active"]
