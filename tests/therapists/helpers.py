"""Therapist accounts, the partners' grants and the therapist paths, shared by the
therapist tests."""

from typing import Any

import httpx

from tests.factories import Couple, Person, register

CASELOAD = "/api/v1/therapist/couples"
INVITATIONS = "/api/v1/therapist/invitations"


def trends_of(couple: Couple) -> str:
    return f"/api/v1/therapist/couples/{couple.id}/trends/weekly"


def export_of(couple: Couple) -> str:
    return f"/api/v1/therapist/couples/{couple.id}/export.csv"


async def new_therapist(client: httpx.AsyncClient, name: str = "Kim") -> Person:
    return await register(client, name, account_type="therapist")


async def grant(
    client: httpx.AsyncClient, couple: Couple, partner: Person, therapist: Person
) -> httpx.Response:
    return await client.post(
        f"{couple.path}/therapists",
        json={"email": therapist.user["email"]},
        headers=partner.headers,
    )


async def invite(client: httpx.AsyncClient, couple: Couple, therapist: Person) -> httpx.Response:
    """Both partners grant the therapist access: the couple awaits its answer. The
    second grant's response."""
    assert couple.second is not None
    for partner in (couple.first, couple.second):
        response = await grant(client, couple, partner, therapist)
        assert response.status_code == 201, response.text
    return response


async def answer(
    client: httpx.AsyncClient, couple_id: str, therapist: Person, verb: str
) -> httpx.Response:
    """The therapist's `accept` or `decline` of a couple."""
    return await client.post(f"{INVITATIONS}/{couple_id}/{verb}", headers=therapist.headers)


async def grant_both(client: httpx.AsyncClient, couple: Couple, therapist: Person) -> None:
    """Both partners grant the therapist access and the therapist accepts: access
    stands."""
    await invite(client, couple, therapist)
    accepted = await answer(client, couple.id, therapist, "accept")
    assert accepted.status_code == 200, accepted.text


async def log_of(client: httpx.AsyncClient, couple: Couple, **params: Any) -> dict[str, Any]:
    response = await client.get(
        f"{couple.path}/access-log", params=params, headers=couple.first.headers
    )
    assert response.status_code == 200, response.text
    return response.json()
