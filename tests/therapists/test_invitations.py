"""The therapist's answer: a couple whose two partners granted access awaits the
therapist, who accepts it (only then is it in the caseload) or declines it; what the
therapist sees of it meanwhile is the partners' names; and at most so many couples
await one therapist at once."""

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from api.therapists.grants import status_of
from models.couple import CoupleMember
from models.therapist import GrantStatus
from tests.factories import Couple, Person, make_couple, register
from tests.http import assert_problem
from tests.therapists.helpers import (
    CASELOAD,
    INVITATIONS,
    answer,
    export_of,
    grant,
    grant_both,
    invite,
    new_therapist,
    trends_of,
)


async def statuses(client: httpx.AsyncClient, couple: Couple) -> list[str]:
    listed = await client.get(f"{couple.path}/therapists", headers=couple.first.headers)
    assert listed.status_code == 200, listed.text
    return [item["status"] for item in listed.json()["items"]]


async def invited(client: httpx.AsyncClient, therapist: Person) -> list[str]:
    listed = await client.get(INVITATIONS, headers=therapist.headers)
    assert listed.status_code == 200, listed.text
    return [item["couple_id"] for item in listed.json()["items"]]


async def caseload_of(client: httpx.AsyncClient, therapist: Person) -> list[str]:
    listed = await client.get(CASELOAD, headers=therapist.headers)
    assert listed.status_code == 200, listed.text
    return [item["couple_id"] for item in listed.json()["items"]]


async def assert_unseen(client: httpx.AsyncClient, couple: Couple, therapist: Person) -> None:
    """The couple is nowhere in what the therapist reads of couples."""
    assert couple.id not in await caseload_of(client, therapist)
    for path in (trends_of(couple), export_of(couple)):
        assert_problem(await client.get(path, headers=therapist.headers), 404)


def when(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def test_a_couple_awaits_the_therapist_until_it_accepts(
    client: httpx.AsyncClient, couple: Couple, therapist: Person
) -> None:
    assert couple.second is not None
    first = await grant(client, couple, couple.first, therapist)
    assert first.json()["status"] == "pending"
    assert await invited(client, therapist) == []

    second = await grant(client, couple, couple.second, therapist)
    assert second.status_code == 201, second.text
    assert second.json()["status"] == "awaiting_therapist"
    assert await statuses(client, couple) == ["awaiting_therapist"]
    assert await invited(client, therapist) == [couple.id]
    await assert_unseen(client, couple, therapist)

    accepted = await answer(client, couple.id, therapist, "accept")

    assert accepted.status_code == 200, accepted.text
    body = accepted.json()
    assert set(body) == {"couple_id", "partners", "invited_at", "status", "answered_at"}
    assert body["couple_id"] == couple.id
    assert body["status"] == "active"
    assert body["partners"] == [
        {"id": couple.first.id, "display_name": "Ana"},
        {"id": couple.second.id, "display_name": "Ben"},
    ]
    assert when(body["answered_at"]) >= when(body["invited_at"])
    (granted,) = (
        await client.get(f"{couple.path}/therapists", headers=couple.first.headers)
    ).json()["items"]
    assert granted["status"] == "active"
    assert (
        when(granted["active_since"]) == when(granted["answered_at"]) == when(body["answered_at"])
    )
    assert await invited(client, therapist) == []
    (listed,) = (await client.get(CASELOAD, headers=therapist.headers)).json()["items"]
    assert listed["couple_id"] == couple.id
    assert when(listed["access_since"]) == when(body["answered_at"])
    for path in (trends_of(couple), export_of(couple)):
        assert (await client.get(path, headers=therapist.headers)).status_code == 200


async def test_accepting_again_changes_nothing(
    client: httpx.AsyncClient, couple: Couple, therapist: Person
) -> None:
    await invite(client, couple, therapist)
    accepted = await answer(client, couple.id, therapist, "accept")
    again = await answer(client, couple.id, therapist, "accept")
    assert again.status_code == 200, again.text
    assert again.json() == accepted.json()


async def test_a_declined_couple_is_never_shown_and_cannot_be_accepted(
    client: httpx.AsyncClient, couple: Couple, therapist: Person
) -> None:
    await invite(client, couple, therapist)

    declined = await answer(client, couple.id, therapist, "decline")

    assert declined.status_code == 200, declined.text
    assert declined.json()["status"] == "declined"
    (granted,) = (
        await client.get(f"{couple.path}/therapists", headers=couple.first.headers)
    ).json()["items"]
    assert granted["status"] == "declined"
    assert granted["active_since"] is None
    assert when(granted["answered_at"]) == when(declined.json()["answered_at"])
    assert await invited(client, therapist) == []
    await assert_unseen(client, couple, therapist)
    refused = assert_problem(await answer(client, couple.id, therapist, "accept"), 409)
    assert refused["type"] == "urn:toward:problem:invitation-declined"
    again = await answer(client, couple.id, therapist, "decline")
    assert again.status_code == 200, again.text
    assert again.json() == declined.json()
    # A partner's grant given again changes nothing either.
    regranted = await grant(client, couple, couple.first, therapist)
    assert regranted.status_code == 200, regranted.text
    assert regranted.json()["status"] == "declined"


async def test_declining_an_accepted_couple_ends_access_at_once(
    client: httpx.AsyncClient, couple: Couple, therapist: Person
) -> None:
    staying = await make_couple(client)
    for granting in (couple, staying):
        await grant_both(client, granting, therapist)
    assert sorted(await caseload_of(client, therapist)) == sorted([couple.id, staying.id])

    declined = await answer(client, couple.id, therapist, "decline")

    assert declined.status_code == 200, declined.text
    assert declined.json()["status"] == "declined"
    assert await caseload_of(client, therapist) == [staying.id]
    await assert_unseen(client, couple, therapist)
    assert await statuses(client, couple) == ["declined"]


async def test_the_invitations_name_the_partners_and_show_no_figure(
    client: httpx.AsyncClient, therapist: Person
) -> None:
    older, newer, half, accepted = [await make_couple(client) for _ in range(4)]
    for couple in (older, newer, half, accepted):
        logged = await client.post(
            couple.bids,
            json={"kind": "humor", "response": "away", "note": "a private matter"},
            headers=couple.first.headers,
        )
        assert logged.status_code == 201, logged.text
    await invite(client, older, therapist)
    await invite(client, newer, therapist)
    await grant(client, half, half.first, therapist)
    await grant_both(client, accepted, therapist)
    # Another therapist's invitation is not this one's.
    other = await new_therapist(client, "Lee")
    await invite(client, await make_couple(client), other)

    listed = await client.get(INVITATIONS, headers=therapist.headers)

    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert set(listed.json()) == {"items"}  # all of them: no pages
    assert [item["couple_id"] for item in items] == [older.id, newer.id]
    assert when(items[0]["invited_at"]) <= when(items[1]["invited_at"])
    for item, couple in zip(items, (older, newer), strict=True):
        assert set(item) == {"couple_id", "partners", "invited_at"}
        assert couple.second is not None
        assert item["partners"] == [
            {"id": couple.first.id, "display_name": "Ana"},
            {"id": couple.second.id, "display_name": "Ben"},
        ]
    assert "private matter" not in listed.text


async def test_a_revocation_ends_the_invitation_and_new_grants_make_a_new_one(
    client: httpx.AsyncClient, couple: Couple, therapist: Person
) -> None:
    await invite(client, couple, therapist)
    assert (await answer(client, couple.id, therapist, "decline")).status_code == 200
    revoked = await client.delete(
        f"{couple.path}/therapists/{therapist.id}", headers=couple.first.headers
    )
    assert revoked.status_code == 204, revoked.text
    for verb in ("accept", "decline"):
        assert_problem(await answer(client, couple.id, therapist, verb), 404)
    assert await invited(client, therapist) == []

    again = await invite(client, couple, therapist)

    assert again.json()["status"] == "awaiting_therapist"
    assert again.json()["answered_at"] is None
    (item,) = (await client.get(INVITATIONS, headers=therapist.headers)).json()["items"]
    assert item["couple_id"] == couple.id
    accepted = await answer(client, couple.id, therapist, "accept")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["invited_at"] == item["invited_at"]
    assert await caseload_of(client, therapist) == [couple.id]


async def test_a_couple_without_both_grants_cannot_be_answered(
    client: httpx.AsyncClient, couple: Couple, therapist: Person
) -> None:
    unknown = "00000000-0000-4000-8000-000000000000"
    await grant(client, couple, couple.first, therapist)
    for couple_id in (couple.id, unknown):
        for verb in ("accept", "decline"):
            assert_problem(await answer(client, couple_id, therapist, verb), 404)
    assert await statuses(client, couple) == ["pending"]


async def test_another_therapist_gets_a_404_and_changes_nothing(
    client: httpx.AsyncClient, couple: Couple, therapist: Person
) -> None:
    await invite(client, couple, therapist)
    other = await new_therapist(client, "Lee")
    for verb in ("accept", "decline"):
        assert_problem(await answer(client, couple.id, other, verb), 404)
    assert await invited(client, other) == []
    assert await statuses(client, couple) == ["awaiting_therapist"]
    assert await invited(client, therapist) == [couple.id]


async def test_only_a_signed_in_therapist_answers(
    client: httpx.AsyncClient, couple: Couple, therapist: Person, stranger: Person
) -> None:
    await invite(client, couple, therapist)
    paths = [
        ("GET", INVITATIONS),
        ("POST", f"{INVITATIONS}/{couple.id}/accept"),
        ("POST", f"{INVITATIONS}/{couple.id}/decline"),
    ]
    assert couple.second is not None
    for method, path in paths:
        assert_problem(await client.request(method, path), 401)
        for partner in (couple.first, couple.second, stranger):
            refused = assert_problem(
                await client.request(method, path, headers=partner.headers), 403
            )
            assert refused["type"] == "urn:toward:problem:therapists-only"
    assert await statuses(client, couple) == ["awaiting_therapist"]


@pytest.mark.parametrize("verb", ["accept", "decline"])
async def test_a_couple_id_that_is_no_uuid_is_a_422(
    client: httpx.AsyncClient, therapist: Person, verb: str
) -> None:
    assert_problem(await answer(client, "not-a-uuid", therapist, verb), 422, "couple_id")


async def test_at_most_so_many_couples_await_one_therapist(
    client: httpx.AsyncClient, therapist: Person, configure: Callable[..., Any]
) -> None:
    configure(therapist_invitations_limit=2)
    first, second, third, declined = [await make_couple(client) for _ in range(4)]
    await invite(client, first, therapist)
    await invite(client, declined, therapist)
    # A declined couple awaits no answer: it takes no room.
    assert (await answer(client, declined.id, therapist, "decline")).status_code == 200
    await invite(client, second, therapist)
    # The first grant of a couple makes it wait for its second partner, not the therapist.
    pending = await grant(client, third, third.first, therapist)
    assert pending.status_code == 201, pending.text
    assert third.second is not None

    refused = await grant(client, third, third.second, therapist)

    body = assert_problem(refused, 409)
    assert body["type"] == "urn:toward:problem:therapist-invitations-full"
    listed = (await client.get(f"{third.path}/therapists", headers=third.first.headers)).json()
    assert [(item["status"], item["granted_by"]) for item in listed["items"]] == [
        ("pending", [third.first.id])
    ]
    assert await invited(client, therapist) == [first.id, second.id]
    # Another therapist has room of its own.
    other = await new_therapist(client, "Lee")
    assert (await invite(client, third, other)).json()["status"] == "awaiting_therapist"
    # An answer makes room.
    assert (await answer(client, first.id, therapist, "accept")).status_code == 200
    granted = await grant(client, third, third.second, therapist)
    assert granted.status_code == 201, granted.text
    assert granted.json()["status"] == "awaiting_therapist"
    assert await invited(client, therapist) == [second.id, third.id]


async def test_a_new_partners_grant_awaits_the_therapist_again(
    client: httpx.AsyncClient, conn: AsyncConnection, couple: Couple, therapist: Person
) -> None:
    """No endpoint lets a partner leave a couple yet. When one leaves (here, in SQL), the
    grant goes with the membership; the grant of a partner who joins in their place has
    no answer, so the therapist must accept the couple again."""
    await grant_both(client, couple, therapist)
    assert couple.second is not None
    members: sa.Table = CoupleMember.__table__  # type: ignore[attr-defined]
    await conn.execute(
        sa.delete(members).where(
            members.c.couple_id == uuid.UUID(couple.id),
            members.c.user_id == uuid.UUID(couple.second.id),
        )
    )
    assert await statuses(client, couple) == ["pending"]
    await assert_unseen(client, couple, therapist)
    code = (await client.post(f"{couple.path}/invite", headers=couple.first.headers)).json()
    newcomer = await register(client, "Cy")
    joined = await client.post(
        "/api/v1/couples/join", json={"code": code["code"]}, headers=newcomer.headers
    )
    assert joined.status_code == 200, joined.text

    regranted = await grant(client, couple, newcomer, therapist)

    assert regranted.json()["status"] == "awaiting_therapist"
    await assert_unseen(client, couple, therapist)
    (item,) = (await client.get(INVITATIONS, headers=therapist.headers)).json()["items"]
    assert [partner["display_name"] for partner in item["partners"]] == ["Ana", "Cy"]
    assert (await answer(client, couple.id, therapist, "accept")).json()["status"] == "active"
    assert await caseload_of(client, therapist) == [couple.id]


@pytest.mark.parametrize(
    ("answers", "status"),
    [
        ([None], GrantStatus.pending),
        (["accepted"], GrantStatus.pending),
        ([None, None], GrantStatus.awaiting_therapist),
        (["accepted", None], GrantStatus.awaiting_therapist),
        (["declined", None], GrantStatus.awaiting_therapist),
        (["accepted", "accepted"], GrantStatus.active),
        (["declined", "declined"], GrantStatus.declined),
        (["accepted", "declined"], GrantStatus.declined),
    ],
)
def test_the_status_follows_both_grants_answers(
    answers: list[str | None], status: GrantStatus
) -> None:
    assert status_of(answers) == status


async def test_a_therapist_accepts_only_once_its_address_is_verified(
    client: httpx.AsyncClient, couple: Couple, therapist: Person, conn: AsyncConnection
) -> None:
    """An account made before addresses were verified has grants awaiting it (migration
    0012): it accepts none until it proves the address is its own."""
    assert couple.second is not None
    for partner in (couple.first, couple.second):
        await grant(client, couple, partner, therapist)
    users = sa.table("users", sa.column("id", sa.Uuid()), sa.column("email_verified_at"))
    await conn.execute(
        sa.update(users).where(users.c.id == uuid.UUID(therapist.id)).values(email_verified_at=None)
    )

    refused = await answer(client, couple.id, therapist, "accept")
    body = assert_problem(refused, 409)
    assert body["type"] == "urn:toward:problem:email-unverified"
    assert await statuses(client, couple) == ["awaiting_therapist"]
    await assert_unseen(client, couple, therapist)
    # Declining needs no proof: it gives the therapist nothing.
    assert (await answer(client, couple.id, therapist, "decline")).status_code == 200
