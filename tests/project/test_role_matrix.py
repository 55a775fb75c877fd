"""Who may call what: every operation the app serves, read from its own OpenAPI
document, called by each of five callers (no token, a partner of the couple, a partner
of another couple, a therapist with access to the couple, a therapist without), each
answer checked against the expected status in `MATRIX`.

A route added without an entry in `MATRIX` fails (`test_every_route_is_in_the_matrix`
and its own parametrized case), and so does an entry for a route that is gone. Every
refused call is also checked to have changed nothing the couple's first partner can
see of the couple: the couple, its bids, check-ins and activities, its grants and its access
log."""

import asyncio
import re
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api.core.errors import path_pattern
from api.main import app as served_app
from tests.factories import PASSWORD, Couple, Person, make_couple, register
from tests.http import assert_problem
from tests.mail import MAILBOX, code_in
from tests.therapists.helpers import grant_both


class Who(StrEnum):
    ANONYMOUS = "no token"
    OTHER_PARTNER = "partner of another couple"
    OTHER_THERAPIST = "therapist without access"
    THERAPIST = "therapist with access"
    PARTNER = "partner of the couple"


# The order of the calls on every route. The partner of the couple, the one caller
# who succeeds on every couple route (deleting a bid or a grant, say), goes last, so
# that every refusal is checked against an untouched world. Callers who succeed on
# routes that do not spoil anything (reads, or a fresh body built for each caller)
# may come anywhere; `test_destructive_routes_succeed_only_last` holds the rest to it.
ORDER = (Who.ANONYMOUS, Who.OTHER_PARTNER, Who.OTHER_THERAPIST, Who.THERAPIST, Who.PARTNER)
# The same for a therapist's own write (declining the couple): the therapist with access
# is the one caller who succeeds, last.
THERAPIST_LAST = (
    Who.ANONYMOUS,
    Who.OTHER_PARTNER,
    Who.PARTNER,
    Who.OTHER_THERAPIST,
    Who.THERAPIST,
)


# The date of the first partner's check-in in the world: any past date will do.
CHECKIN_DATE = "2026-01-05"


@dataclass
class World:
    """A couple with one bid, one check-in and one activity logged by its first
    partner, another couple, therapist A with both partners' grants on the couple, which
    it accepted, and therapist B with none."""

    client: httpx.AsyncClient
    couple: Couple
    bid: dict[str, Any]
    activity: dict[str, Any]
    other: Couple
    therapist: Person
    outsider_therapist: Person

    def person(self, who: Who) -> Person | None:
        return {
            Who.ANONYMOUS: None,
            Who.PARTNER: self.couple.first,
            Who.OTHER_PARTNER: self.other.first,
            Who.THERAPIST: self.therapist,
            Who.OTHER_THERAPIST: self.outsider_therapist,
        }[who]

    def headers(self, who: Who) -> dict[str, str]:
        person = self.person(who)
        return {} if person is None else person.headers

    def path_params(self) -> dict[str, str]:
        return {
            "couple_id": self.couple.id,
            "bid_id": self.bid["id"],
            "activity_id": self.activity["id"],
            "date": CHECKIN_DATE,
            "therapist_id": self.therapist.id,
        }


async def build_world(client: httpx.AsyncClient) -> World:
    couple = await make_couple(client)
    assert couple.second is not None
    bid = await client.post(couple.bids, json={"kind": "humor"}, headers=couple.first.headers)
    assert bid.status_code == 201, bid.text
    checkin = await client.put(
        f"{couple.path}/checkins/{CHECKIN_DATE}",
        json={"connection": 7, "stress": 3, "signs": ["poor_listening"]},
        headers=couple.first.headers,
    )
    assert checkin.status_code == 201, checkin.text
    activity = await client.post(
        f"{couple.path}/activities",
        json={"kind": "date_night", "occurred_at": "2026-01-09T19:00:00Z"},
        headers=couple.first.headers,
    )
    assert activity.status_code == 201, activity.text
    other = await make_couple(client)
    therapist = await register(client, "Tess", account_type="therapist")
    outsider = await register(client, "Omar", account_type="therapist")
    await grant_both(client, couple, therapist)
    return World(client, couple, bid.json(), activity.json(), other, therapist, outsider)


@pytest.fixture
async def world(client: httpx.AsyncClient) -> World:
    return await build_world(client)


# Request bodies. Each is built for one caller, just before that caller's call, so that
# a single-use value (a refresh token, an invite code) is never spoiled by another
# caller's call.

Body = Callable[[World, Who], Awaitable[Any]]


def fixed(value: Any) -> Body:
    async def build(world: World, who: Who) -> Any:
        return value

    return build


async def new_account(world: World, who: Who) -> Any:
    return {
        "email": f"matrix-{uuid.uuid4().hex[:12]}@example.org",
        "password": PASSWORD,
        "display_name": "Newcomer",
    }


async def credentials(world: World, who: Who) -> Any:
    return {"email": world.couple.first.user["email"], "password": PASSWORD}


async def fresh_refresh_token(world: World, who: Who) -> Any:
    """A refresh token of a login of its own: spending or ending it spoils no other call."""
    login = await world.client.post("/api/v1/auth/login", json=await credentials(world, who))
    assert login.status_code == 200, login.text
    return {"refresh_token": login.json()["refresh_token"]}


async def fresh_invite(world: World, who: Who) -> Any:
    """The live code of a new couple still waiting for its second partner: a valid code,
    so a refusal is about the caller and not the code."""
    waiting = await make_couple(world.client, joined=False)
    return {"code": waiting.data["invite"]["code"]}


async def first_partner_email(world: World, who: Who) -> Any:
    return {"email": world.couple.first.user["email"]}


async def fresh_verification_code(world: World, who: Who) -> Any:
    """The code mailed to a new account of its own: a code that works, so a refusal
    would be about the caller."""
    account = await world.client.post("/api/v1/auth/register", json=await new_account(world, who))
    assert account.status_code == 201, account.text
    return {"code": code_in(await MAILBOX.wait_for(account.json()["email"]))}


async def fresh_reset_code(world: World, who: Who) -> Any:
    """A live reset code of a new verified account of its own, and a new password."""
    person = await register(world.client, f"Reset{who.name.title()}", verified=True)
    email = person.user["email"]
    asked = await world.client.post("/api/v1/auth/password-reset", json={"email": email})
    assert asked.status_code == 202, asked.text
    return {"code": code_in(await MAILBOX.wait_for(email, count=2)), "password": PASSWORD * 2}


async def therapist_email(world: World, who: Who) -> Any:
    return {"email": world.therapist.user["email"]}


# Expected statuses.

Expect = Mapping[Who, int]


@dataclass(frozen=True)
class Row:
    expect: Expect
    body: Body | None = None
    # Its success spoils the world for any caller after it: only the last caller in
    # its order may succeed.
    destructive: bool = False
    # The order of its callers.
    order: tuple[Who, ...] = ORDER
    # A 200 that lasts (server-sent events): the worker's streams are ended soon after
    # the call, so that the in-process client gets its whole answer.
    streamed: bool = False


def everyone(status: int) -> Expect:
    """A public route: the token does not matter."""
    return dict.fromkeys(Who, status)


def signed_in(
    partner: int, other_partner: int | None = None, therapist: int | None = None
) -> Expect:
    """A route about the caller, not about one couple: any valid token gets in."""
    other_partner = partner if other_partner is None else other_partner
    therapist = partner if therapist is None else therapist
    return {
        Who.ANONYMOUS: 401,
        Who.PARTNER: partner,
        Who.OTHER_PARTNER: other_partner,
        Who.THERAPIST: therapist,
        Who.OTHER_THERAPIST: therapist,
    }


def couple_route(partner: int) -> Expect:
    """Under /couples/{couple_id}: its partners only. Anyone else, a therapist with
    access included, gets the 404 of a couple that does not exist."""
    return {
        Who.ANONYMOUS: 401,
        Who.PARTNER: partner,
        Who.OTHER_PARTNER: 404,
        Who.THERAPIST: 404,
        Who.OTHER_THERAPIST: 404,
    }


def therapist_route(without_access: int) -> Expect:
    """Under /therapist: therapist accounts only (a partner gets 403); a couple the
    therapist has no access to is a 404."""
    return {
        Who.ANONYMOUS: 401,
        Who.PARTNER: 403,
        Who.OTHER_PARTNER: 403,
        Who.THERAPIST: 200,
        Who.OTHER_THERAPIST: without_access,
    }


COUPLE = "/api/v1/couples/{couple_id}"
BID = COUPLE + "/bids/{bid_id}"
CHECKIN = COUPLE + "/checkins/{date}"
ACTIVITY = COUPLE + "/activities/{activity_id}"

MATRIX: dict[str, Row] = {
    # Service checks and accounts: public.
    "GET /healthz": Row(everyone(200)),
    "GET /readyz": Row(everyone(200)),
    "POST /api/v1/auth/register": Row(everyone(201), new_account),
    "POST /api/v1/auth/login": Row(everyone(200), credentials),
    "POST /api/v1/auth/refresh": Row(everyone(200), fresh_refresh_token),
    "POST /api/v1/auth/logout": Row(everyone(204), fresh_refresh_token),
    "POST /api/v1/auth/verify-email": Row(everyone(200), fresh_verification_code),
    # The world's partners have not verified their addresses; its therapists have.
    "POST /api/v1/auth/verify-email/resend": Row(signed_in(202, therapist=409)),
    "POST /api/v1/auth/password-reset": Row(everyone(202), first_partner_email),
    "POST /api/v1/auth/password-reset/confirm": Row(everyone(204), fresh_reset_code),
    # The caller's own account and couples.
    "GET /api/v1/me": Row(signed_in(200)),
    "PATCH /api/v1/me": Row(signed_in(200), fixed({"display_name": "Renamed"})),
    # Everyone's own data: a therapist's too.
    "GET /api/v1/me/export": Row(signed_in(200)),
    # Each caller erases their own account with their own password: only the caller's
    # rows go, and the couple's partner, whose erasure dissolves the couple, goes last.
    "DELETE /api/v1/me": Row(signed_in(204), fixed({"password": PASSWORD})),
    "GET /api/v1/couples": Row(signed_in(200)),
    # "Only partner accounts create or join couples."
    "POST /api/v1/couples": Row(signed_in(201, therapist=403), fixed({"name": "Another"})),
    "POST /api/v1/couples/join": Row(signed_in(200, therapist=403), fresh_invite),
    # One couple.
    f"GET {COUPLE}": Row(couple_route(200)),
    f"PATCH {COUPLE}": Row(couple_route(200), fixed({"name": "x"})),
    # The couple is full: 409, a business answer given only past the guard.
    f"POST {COUPLE}/invite": Row(couple_route(409)),
    f"POST {COUPLE}/bids": Row(couple_route(201), fixed({"kind": "humor"})),
    f"POST {COUPLE}/bids:batch": Row(couple_route(201), fixed({"items": [{"kind": "humor"}]})),
    f"GET {COUPLE}/bids": Row(couple_route(200)),
    f"GET {COUPLE}/changes": Row(couple_route(200)),
    f"GET {COUPLE}/events": Row(couple_route(200), streamed=True),
    f"GET {BID}": Row(couple_route(200)),
    # The partner of the couple is its first partner, who logged the bid.
    f"PATCH {BID}": Row(couple_route(200), fixed({"kind": "play"})),
    f"DELETE {BID}": Row(couple_route(204), destructive=True),
    f"PUT {BID}/perception": Row(couple_route(200), fixed({"response": "toward"})),
    # The first partner checked in for the date already: the put replaces it.
    f"PUT {CHECKIN}": Row(couple_route(200), fixed({"connection": 6, "stress": 4})),
    f"GET {COUPLE}/checkins": Row(couple_route(200)),
    f"GET {CHECKIN}": Row(couple_route(200)),
    f"DELETE {CHECKIN}": Row(couple_route(204), destructive=True),
    f"POST {COUPLE}/activities:batch": Row(
        couple_route(201),
        fixed({"items": [{"kind": "date_night", "occurred_at": "2026-01-05T19:00:00Z"}]}),
    ),
    f"POST {COUPLE}/activities": Row(
        couple_route(201), fixed({"kind": "other", "occurred_at": "2026-01-10T10:00:00Z"})
    ),
    f"GET {COUPLE}/activities": Row(couple_route(200)),
    f"GET {ACTIVITY}": Row(couple_route(200)),
    # The partner of the couple logged the activity.
    f"PATCH {ACTIVITY}": Row(couple_route(200), fixed({"kind": "checkin_talk"})),
    f"DELETE {ACTIVITY}": Row(couple_route(204), destructive=True),
    f"GET {COUPLE}/digest": Row(couple_route(200)),
    f"GET {COUPLE}/trends/weekly": Row(couple_route(200)),
    f"GET {COUPLE}/bank-account": Row(couple_route(200)),
    # The first partner granted therapist A while the world was built: 200, nothing new.
    f"POST {COUPLE}/therapists": Row(couple_route(200), therapist_email),
    f"GET {COUPLE}/therapists": Row(couple_route(200)),
    f"DELETE {COUPLE}/therapists/{{therapist_id}}": Row(couple_route(204), destructive=True),
    f"GET {COUPLE}/access-log": Row(couple_route(200)),
    # The therapist's own paths.
    "GET /api/v1/therapist/couples": Row(therapist_route(without_access=200)),
    "GET /api/v1/therapist/couples/{couple_id}/trends/weekly": Row(therapist_route(404)),
    "GET /api/v1/therapist/couples/{couple_id}/export.csv": Row(therapist_route(404)),
    # Therapist A accepted the couple while the world was built: none awaits either.
    "GET /api/v1/therapist/invitations": Row(therapist_route(without_access=200)),
    # Accepted already: 200, nothing changed.
    "POST /api/v1/therapist/invitations/{couple_id}/accept": Row(therapist_route(404)),
    # It takes the couple out of therapist A's caseload.
    "POST /api/v1/therapist/invitations/{couple_id}/decline": Row(
        therapist_route(404), destructive=True, order=THERAPIST_LAST
    ),
}


def served_operations() -> list[str]:
    """Every operation in the app's OpenAPI document, as "METHOD /path"."""
    return [
        f"{method.upper()} {path}"
        for path, operations in served_app.openapi()["paths"].items()
        for method in operations
    ]


SERVED = served_operations()


def test_every_route_is_in_the_matrix() -> None:
    missing = [operation for operation in SERVED if operation not in MATRIX]
    assert not missing, f"operations served without a row in MATRIX: {missing}"


def test_the_matrix_names_only_served_routes() -> None:
    stale = [operation for operation in MATRIX if operation not in SERVED]
    assert not stale, f"rows in MATRIX for operations the app no longer serves: {stale}"


@pytest.mark.parametrize("operation", list(MATRIX))
def test_every_cell_is_filled_and_documented(operation: str) -> None:
    row = MATRIX[operation]
    assert set(row.expect) == set(Who), f"{operation}: a caller without an expected status"
    method, path = operation.split(" ", 1)
    documented = served_app.openapi()["paths"].get(path, {}).get(method.lower(), {})
    undocumented = {
        f"{who}: {status}"
        for who, status in row.expect.items()
        if str(status) not in documented.get("responses", {})
    }
    assert not undocumented, f"{operation} expects undocumented {sorted(undocumented)}"


@pytest.mark.parametrize("operation", [op for op, row in MATRIX.items() if row.destructive])
def test_destructive_routes_succeed_only_last(operation: str) -> None:
    row = MATRIX[operation]
    assert set(row.order) == set(Who), operation
    assert row.expect[row.order[-1]] < 400
    assert all(row.expect[who] >= 400 for who in row.order[:-1]), operation


def url_of(path: str, world: World) -> str:
    params = world.path_params()

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in params, f"no value for path parameter {{{name}}}: add it to World"
        return params[name]

    return re.sub(r"\{([^}]+)\}", value, path)


Snapshot = list[tuple[int, Any]]


async def snapshot(world: World) -> Snapshot:
    """What the couple's first partner sees of the couple, its bids, check-ins and
    activities, its grants and its access log: a refused call must leave all of it as it
    was."""
    couple = world.couple
    seen = []
    for path in (
        couple.path,
        couple.bids,
        f"{couple.bids}/{world.bid['id']}",
        f"{couple.path}/checkins",
        f"{couple.path}/activities",
        f"{couple.path}/activities/{world.activity['id']}",
        f"{couple.path}/therapists",
        f"{couple.path}/access-log",
    ):
        response = await world.client.get(path, headers=couple.first.headers)
        seen.append((response.status_code, response.json()))
    return seen


@pytest.mark.parametrize("operation", SERVED)
async def test_role_matrix(operation: str, world: World, app: FastAPI) -> None:
    if operation not in MATRIX:
        pytest.fail(f"{operation} has no row in MATRIX")
    row = MATRIX[operation]
    method, path = operation.split(" ", 1)
    url = url_of(path, world)
    assert path_pattern(path).match(url), url
    before: Snapshot | None = None
    for who in row.order:
        expected = row.expect[who]
        refused = expected >= 400
        body = None if row.body is None else await row.body(world, who)
        if refused and before is None:
            before = await snapshot(world)
        if row.streamed and not refused:
            asyncio.get_running_loop().call_later(0.2, app.state.notices.end_all)
        response = await world.client.request(method, url, json=body, headers=world.headers(who))
        assert response.status_code == expected, (
            f"{operation} as {who}: expected {expected}, got {response.status_code}: "
            f"{response.text}"
        )
        if refused:
            assert_problem(response, expected)
            after = await snapshot(world)
            assert after == before, f"{operation} as {who} was refused but changed the couple"
        else:
            before = None  # a success may change what the couple looks like
