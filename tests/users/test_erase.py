"""`DELETE /me`: the account erased in one transaction, as docs/privacy.md says. The
search reads every table the database lists, so a table added later is searched too."""

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from models.user import User
from tests.bids.helpers import log_bid, perceive
from tests.changes.helpers import Replica, page
from tests.checkins.helpers import check_in, delete, listed
from tests.factories import PASSWORD, Couple, Person, make_couple, new_address, register
from tests.http import assert_problem, client_from
from tests.live import EventReader, serving
from tests.therapists.helpers import CASELOAD, grant_both, log_of, trends_of
from tests.trends.reference import (
    Calendar,
    raw_rows,
    reference_rollups,
    reference_weeks,
    stored_rollups,
)
from tests.users.helpers import ME, couple_of, erase, needles_of, traces

ZONE = "Europe/Paris"
_users: sa.Table = User.__table__  # type: ignore[attr-defined]


def _ago(**delta: float) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


def _local_today() -> date:
    return datetime.now(UTC).astimezone(ZoneInfo(ZONE)).date()


def _days_ago(days: int) -> str:
    return (_local_today() - timedelta(days=days)).isoformat()


@dataclass
class World:
    couple: Couple
    erased: Person  # the couple's first partner, distinctively named
    kept: Person
    therapist: Person
    other: Couple
    erased_notes: list[str]
    kept_notes: list[str]
    kept_bids: list[str]  # the ids of the bids the kept partner logged


async def build_world(client: httpx.AsyncClient) -> World:
    """A couple with bids both ways (private ones and notes by both), perceptions by
    both, check-ins by both (one deleted), activities by both (one deleted), a therapist
    granted by both who read the couple's trends and caseload, and another couple."""
    tag = uuid.uuid4().hex[:6]
    erased = await register(client, "Zephyrine", display_name=f"Zephyrine Quixote-{tag}")
    kept = await register(client, "Benedikt")
    couple = await couple_of(client, erased, kept, timezone=ZONE)
    notes = {who: [f"{who} wrote this, {n} {tag}" for n in range(5)] for who in ("erased", "kept")}
    mine, theirs = notes["erased"], notes["kept"]

    shared = await log_bid(
        client, couple, erased, note=mine[0], response="toward", occurred_at=_ago(days=2)
    )
    await log_bid(client, couple, erased, note=mine[1], private=True, occurred_at=_ago(days=9))
    # Logged by the erased partner for the other as bidder: their view as the responder.
    await log_bid(
        client, couple, erased, bidder_id=kept.id, response="away", occurred_at=_ago(days=3)
    )
    gone = await log_bid(client, couple, erased, note=mine[2], occurred_at=_ago(days=4))
    assert (await client.delete(f"{couple.bids}/{gone['id']}", headers=erased.headers)).is_success
    kept_bids = [
        await log_bid(client, couple, kept, note=theirs[0], response="toward", occurred_at=at)
        for at in (_ago(days=1), _ago(days=16))
    ]
    kept_bids.append(
        await log_bid(client, couple, kept, note=theirs[1], private=True, occurred_at=_ago(days=5))
    )
    # Logged by the kept partner with the erased one as bidder.
    kept_bids.append(
        await log_bid(
            client, couple, kept, bidder_id=erased.id, response="against", occurred_at=_ago(days=6)
        )
    )
    for bid in kept_bids[:2]:
        assert (await perceive(client, couple, bid["id"], erased, "away", "preoccupied")).is_success
    assert (await perceive(client, couple, shared["id"], kept, "toward")).is_success
    assert (await perceive(client, couple, kept_bids[3]["id"], erased, "toward")).is_success

    signs = ["poor_listening", "unhappiness"]
    for days, note, private in ((1, mine[3], True), (2, None, False), (8, None, False)):
        await check_in(
            client, couple, erased, _days_ago(days), note=note, private=private, signs=signs
        )
    await check_in(client, couple, erased, _days_ago(3), connection=2, stress=9)
    assert (await delete(client, couple, erased, _days_ago(3))).status_code == 204
    for days in (1, 8, 15):
        await check_in(client, couple, kept, _days_ago(days), note=theirs[2], connection=6)

    activities = f"{couple.path}/activities"
    for person, note in ((erased, mine[4]), (kept, theirs[3]), (erased, None)):
        body = {"kind": "date_night", "occurred_at": _ago(days=3), "duration_minutes": 90}
        made = await client.post(activities, json={**body, "note": note}, headers=person.headers)
        assert made.status_code == 201, made.text
    removed = await client.delete(f"{activities}/{made.json()['id']}", headers=erased.headers)
    assert removed.status_code == 204

    therapist = await register(
        client, "Thessaly", account_type="therapist", display_name=f"Thessaly Okafor-{tag}"
    )
    await grant_both(client, couple, therapist)
    read = await client.get(trends_of(couple), headers=therapist.headers)
    assert read.status_code == 200, read.text
    assert (await client.get(CASELOAD, headers=therapist.headers)).status_code == 200

    other = await make_couple(client)
    await log_bid(client, other, other.first, note="another couple's bid")
    # A login failure of the erased account's address, and a refresh token (its login).
    failed = await client.post(
        "/api/v1/auth/login", json={"email": erased.user["email"], "password": "not it at all"}
    )
    assert failed.status_code == 401
    ids = [bid["id"] for bid in kept_bids]
    return World(couple, erased, kept, therapist, other, mine, theirs, ids)


async def _other_couple(client: httpx.AsyncClient, world: World) -> list[Any]:
    other = world.other
    return [
        (await client.get(path, headers=other.first.headers)).json()
        for path in (other.path, other.bids, f"{other.path}/trends/weekly")
    ]


async def test_erasure_leaves_no_trace_and_the_partner_keeps_their_record(
    client: httpx.AsyncClient, conn: AsyncConnection
) -> None:
    world = await build_world(client)
    couple, kept = world.couple, world.kept
    needles = needles_of(world.erased, *world.erased_notes)
    before = await traces(conn, needles)
    # The search finds what it looks for: each needle (the id in the form the database
    # keeps it; not the note of the bid deleted before, gone with its deletion).
    found = {needle for _, _, needle in before}
    assert set(needles[2:]) - {world.erased_notes[2]} <= found and set(needles[:2]) & found
    assert {"users", "bids", "checkins", "activities", "couple_members"} <= {
        t for t, _, _ in before
    }
    phone = Replica(viewer_id=kept.id)
    await phone.pull(client, couple, kept)
    elsewhere = await _other_couple(client, world)
    logs = (await log_of(client, couple))["items"]
    assert logs

    erased = await erase(client, world.erased)
    assert erased.status_code == 204, erased.text
    assert erased.content == b""

    assert await traces(conn, needles) == set()

    # The kept partner logs in again and finds the couple, dissolved, with a stand-in.
    login = await client.post(
        "/api/v1/auth/login", json={"email": kept.user["email"], "password": PASSWORD}
    )
    assert login.status_code == 200, login.text
    read = (await client.get(couple.path, headers=kept.headers)).json()
    assert read["dissolved_at"] is not None
    former, kept_entry = read["partners"]
    assert former["display_name"] == "Former partner"
    assert former["id"] != world.erased.id
    assert kept_entry["id"] == kept.id
    (listed_couple,) = (await client.get("/api/v1/couples", headers=kept.headers)).json()["items"]
    assert listed_couple == read

    # Their own notes and perceptions stay; the erased partner's are gone.
    bids = (await client.get(couple.bids, headers=kept.headers)).json()["items"]
    by_id = {bid["id"]: bid for bid in bids}
    assert set(world.kept_bids) <= set(by_id)
    assert {by_id[bid_id]["note"] for bid_id in world.kept_bids} == {
        world.kept_notes[0],
        world.kept_notes[1],
        None,
    }
    assert len(bids) == len(world.kept_bids) + 2  # the erased partner's private one is gone
    for bid in bids:
        assert {bid["bidder_id"], bid["responder_id"]} == {former["id"], kept.id}
        views = {view["partner_id"] for view in bid["perceptions"]}
        assert former["id"] not in views
        if bid["logged_by"] == former["id"]:
            assert bid["note"] is None
    assert [view["response"] for view in by_id[world.kept_bids[0]]["perceptions"]] == ["toward"]
    checkins = await listed(client, couple, kept)
    assert {item["partner_id"] for item in checkins} == {kept.id}
    assert {item["note"] for item in checkins} == {world.kept_notes[2]}

    # The rollups are a recount of the rows, and so are the kept partner's trends.
    raw = await raw_rows(conn, couple.id)
    calendar = Calendar(ZONE, "monday")
    assert await stored_rollups(conn, couple.id) == reference_rollups(raw, calendar)
    trends = await client.get(
        f"{couple.path}/trends/weekly", params={"weeks": 6}, headers=kept.headers
    )
    assert trends.status_code == 200, trends.text
    partners = [former["id"], kept.id]
    weights = read["weights"]
    expected = reference_weeks(raw, calendar, weights, partners, _local_today(), 6, kept.id)
    assert trends.json()["weeks"] == expected

    # Their phone hears of it all through the changes feed: what it holds after a pull
    # is what a sync from nothing gives.
    await phone.pull(client, couple, kept)
    fresh = Replica(viewer_id=kept.id)
    await fresh.pull(client, couple, kept)
    assert phone.items == fresh.items
    assert phone.couple == fresh.couple == read

    # The therapist's access ended; the access log stays the couple's.
    assert (await client.get(trends_of(couple), headers=world.therapist.headers)).status_code == 404
    caseload = (await client.get(CASELOAD, headers=world.therapist.headers)).json()
    assert caseload["items"] == []
    grants = (await client.get(f"{couple.path}/therapists", headers=kept.headers)).json()
    assert grants["items"] == []
    log = await client.get(f"{couple.path}/access-log", headers=kept.headers)
    assert log.json()["items"] == logs

    assert await _other_couple(client, world) == elsewhere


async def test_the_erased_accounts_tokens_stop_working_and_its_address_is_free(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    person = couple.first
    assert (await erase(client, person)).status_code == 204

    me = await client.get(ME, headers=person.headers)
    assert assert_problem(me, 401)["type"] == "urn:toward:problem:unauthenticated"
    refresh = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": person.tokens["refresh_token"]}
    )
    assert_problem(refresh, 401)
    assert_problem(await erase(client, person), 401)
    assert_problem(await client.get(couple.path, headers=person.headers), 404)
    # Joining another couple, or making one, with the token of the account that is gone.
    waiting = await make_couple(client, joined=False)
    join = {"code": waiting.data["invite"]["code"]}
    assert_problem(
        await client.post("/api/v1/couples/join", json=join, headers=person.headers), 401
    )
    assert_problem(await client.post("/api/v1/couples", json={}, headers=person.headers), 401)
    credentials = {"email": person.user["email"], "password": PASSWORD}
    assert_problem(await client.post("/api/v1/auth/login", json=credentials), 401)

    again = await client.post(
        "/api/v1/auth/register", json={**credentials, "display_name": "Ana again"}
    )
    assert again.status_code == 201, again.text
    assert again.json()["id"] != person.id
    login = await client.post("/api/v1/auth/login", json=credentials)
    assert login.status_code == 200, login.text
    fresh = {"Authorization": f"Bearer {login.json()['access_token']}"}
    assert (await client.get("/api/v1/couples", headers=fresh)).json()["items"] == []


async def test_a_wrong_password_is_403_and_changes_nothing(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    before = (await client.get(couple.path, headers=couple.first.headers)).json()
    refused = await erase(client, couple.first, "not the password")
    problem = assert_problem(refused, 403, "password")
    assert problem["type"] == "urn:toward:problem:wrong-password"
    assert (await client.get(ME, headers=couple.first.headers)).status_code == 200
    assert (await client.get(couple.path, headers=couple.first.headers)).json() == before
    assert before["dissolved_at"] is None


async def test_wrong_passwords_are_limited_as_failed_logins_of_the_account_own(
    app: Any, client: httpx.AsyncClient, couple: Couple, configure: Any
) -> None:
    """A stolen access token gets no more guesses than a login would; and strangers'
    failed logins, which anyone who knows the email can make, never hold the owner back."""
    configure(login_failures_per_email=3)
    person = couple.first
    wrong_login = {"email": person.user["email"], "password": "a wrong guess"}
    async with client_from(app, new_address()) as stranger:
        for _ in range(3):
            assert_problem(await stranger.post("/api/v1/auth/login", json=wrong_login), 401)
        assert_problem(await stranger.post("/api/v1/auth/login", json=wrong_login), 429)
    for _ in range(3):
        assert_problem(await erase(client, person, "another wrong guess"), 403)
    for password in ("yet another guess", PASSWORD):
        limited = assert_problem(await erase(client, person, password), 429)
        assert limited["type"] == "urn:toward:problem:too-many-logins"
    assert int((await erase(client, person)).headers["retry-after"]) >= 1
    assert (await client.get(ME, headers=person.headers)).status_code == 200


async def test_strangers_failed_logins_do_not_stop_an_erasure(
    app: Any, client: httpx.AsyncClient, couple: Couple, configure: Any
) -> None:
    configure(login_failures_per_email=2)
    person = couple.first
    wrong_login = {"email": person.user["email"], "password": "a wrong guess"}
    async with client_from(app, new_address()) as stranger:
        for _ in range(3):
            await stranger.post("/api/v1/auth/login", json=wrong_login)
    assert (await erase(client, person)).status_code == 204


async def test_a_bad_body_is_422_and_no_token_401(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    person = couple.first
    for body, field in (
        (None, "body"),
        ({}, "password"),
        ({"password": PASSWORD, "extra": 1}, "extra"),
        ({"password": "x" * 1025}, "password"),
        ({"password": 12345678901}, "password"),
    ):
        response = await client.request("DELETE", ME, json=body, headers=person.headers)
        assert_problem(response, 422, field)
    anonymous = await client.request("DELETE", ME, json={"password": PASSWORD})
    assert_problem(anonymous, 401)
    assert (await client.get(ME, headers=person.headers)).status_code == 200


async def _couples_with(conn: AsyncConnection, couple: Couple) -> int:
    found = await conn.execute(
        sa.text("SELECT count(*) FROM couples WHERE id = :id").bindparams(
            sa.bindparam("id", type_=sa.Uuid())
        ),
        {"id": uuid.UUID(couple.id)},
    )
    return int(found.scalar_one())


async def test_a_couple_with_no_other_partner_goes_whole(
    client: httpx.AsyncClient, conn: AsyncConnection
) -> None:
    alone = await register(client, "Solenne")
    couple = await couple_of(client, alone)
    await check_in(client, couple, alone, _days_ago(1), note="alone, a note")
    activity = {"kind": "other", "occurred_at": _ago(hours=2), "note": "alone, another"}
    made = await client.post(f"{couple.path}/activities", json=activity, headers=alone.headers)
    assert made.status_code == 201, made.text

    assert (await erase(client, alone)).status_code == 204
    assert await _couples_with(conn, couple) == 0
    needles = needles_of(alone, "alone, a note", "alone, another", couple.id)
    assert await traces(conn, needles) == set()


async def test_erasing_the_second_partner_of_a_dissolved_couple_deletes_it(
    client: httpx.AsyncClient, conn: AsyncConnection
) -> None:
    world = await build_world(client)
    couple, kept = world.couple, world.kept
    assert (await erase(client, world.erased)).status_code == 204
    former = (await client.get(couple.path, headers=kept.headers)).json()["partners"][0]

    assert (await erase(client, kept)).status_code == 204
    assert await _couples_with(conn, couple) == 0
    stand_in = await conn.scalar(
        sa.select(sa.func.count()).select_from(_users).where(_users.c.id == uuid.UUID(former["id"]))
    )
    assert stand_in == 0
    needles = [
        *needles_of(world.erased, *world.erased_notes),
        *needles_of(kept, *world.kept_notes),
        former["id"],
        couple.id,
    ]
    assert await traces(conn, needles) == set()
    # The therapist and the other couple are still there.
    assert (await client.get(ME, headers=world.therapist.headers)).status_code == 200
    assert (await client.get(world.other.bids, headers=world.other.first.headers)).is_success


async def test_an_erased_therapist_stays_in_the_couples_access_log_only(
    client: httpx.AsyncClient, conn: AsyncConnection
) -> None:
    world = await build_world(client)
    therapist, couple = world.therapist, world.couple
    logs = (await log_of(client, couple))["items"]
    assert {entry["therapist_name"] for entry in logs} == {therapist.user["display_name"]}

    assert (await erase(client, therapist)).status_code == 204

    # The couple's record of who read its figures keeps the therapist's id and name, and
    # nothing else of the account is left.
    found = await traces(conn, needles_of(therapist))
    assert {(table, column) for table, column, _ in found} == {
        ("access_log", "therapist_id"),
        ("access_log", "therapist_name"),
    }
    assert (await log_of(client, couple))["items"] == logs
    grants = (await client.get(f"{couple.path}/therapists", headers=world.kept.headers)).json()
    assert grants["items"] == []
    assert_problem(await client.get(ME, headers=therapist.headers), 401)
    caseload = await client.get(CASELOAD, headers=therapist.headers)
    assert caseload.status_code == 200 and caseload.json()["items"] == []
    # The couple is whole: a therapist's erasure dissolves nothing.
    read = (await client.get(couple.path, headers=world.kept.headers)).json()
    assert read["dissolved_at"] is None
    assert len(read["partners"]) == 2


async def test_a_dissolved_couple_reads_but_takes_nothing_new(
    client: httpx.AsyncClient,
) -> None:
    world = await build_world(client)
    couple, kept = world.couple, world.kept
    assert (await erase(client, world.erased)).status_code == 204

    activity = {"kind": "other", "occurred_at": _ago(hours=1)}
    refused = {
        "bid": await client.post(couple.bids, json={"kind": "humor"}, headers=kept.headers),
        "batch": await client.post(
            f"{couple.bids}:batch", json={"items": [{"kind": "humor"}]}, headers=kept.headers
        ),
        "activity": await client.post(
            f"{couple.path}/activities", json=activity, headers=kept.headers
        ),
        "activities": await client.post(
            f"{couple.path}/activities:batch", json={"items": [activity]}, headers=kept.headers
        ),
        "check-in": await client.put(
            f"{couple.path}/checkins/{_days_ago(0)}",
            json={"connection": 5, "stress": 5},
            headers=kept.headers,
        ),
        "perception": await perceive(client, couple, world.kept_bids[0], kept, "away"),
        "invite": await client.post(f"{couple.path}/invite", headers=kept.headers),
        "grant": await client.post(
            f"{couple.path}/therapists",
            json={"email": world.therapist.user["email"]},
            headers=kept.headers,
        ),
    }
    for what, response in refused.items():
        problem = assert_problem(response, 409)
        assert problem["type"] == "urn:toward:problem:couple-dissolved", what

    for path in (
        couple.path,
        couple.bids,
        f"{couple.path}/checkins",
        f"{couple.path}/activities",
        f"{couple.path}/trends/weekly",
        f"{couple.path}/bank-account",
        f"{couple.path}/digest",
        f"{couple.path}/changes",
        f"{couple.path}/access-log",
    ):
        assert (await client.get(path, headers=kept.headers)).status_code == 200, path
    # What the kept partner logged is still theirs to correct or delete.
    own = f"{couple.bids}/{world.kept_bids[0]}"
    assert (await client.patch(own, json={"kind": "play"}, headers=kept.headers)).is_success
    assert (await client.delete(own, headers=kept.headers)).status_code == 204
    assert_problem(await client.get(trends_of(couple), headers=world.therapist.headers), 404)


async def test_the_stand_in_never_logs_in(client: httpx.AsyncClient, conn: AsyncConnection) -> None:
    world = await build_world(client)
    assert (await erase(client, world.erased)).status_code == 204
    former = (await client.get(world.couple.path, headers=world.kept.headers)).json()
    (email,) = (
        await conn.scalars(
            sa.select(_users.c.email).where(_users.c.id == uuid.UUID(former["partners"][0]["id"]))
        )
    ).all()
    assert email.endswith("@erased.invalid")
    for password in ("!", "", PASSWORD, "x" * 30):
        response = await client.post(
            "/api/v1/auth/login", json={"email": email, "password": password}
        )
        assert assert_problem(response, 401)["type"] == "urn:toward:problem:bad-credentials"


async def test_the_partners_open_event_stream_hears_of_the_erasure(
    database_url: str, tmp_path: Path
) -> None:
    with serving(database_url, tmp_path) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=20) as http:
            couple = await make_couple(http)
            assert couple.second is not None
            day = _days_ago(1)
            theirs = await check_in(http, couple, couple.first, day)
            await check_in(http, couple, couple.second, day)
            events = f"{couple.path}/events"
            async with http.stream("GET", events, headers=couple.second.headers) as response:
                assert response.status_code == 200
                reader = EventReader(response)
                assert (await erase(http, couple.first)).status_code == 204
                event = await reader.next()
            assert event is not None and event.name == "changed", event
            pulled = await page(http, couple, couple.second, cursor=event.data["cursor"])
            assert pulled["couple"]["dissolved_at"] is not None
            assert {"type": "checkin", "id": theirs["id"]} in pulled["deleted"]


async def test_the_partners_writes_racing_an_erasure_are_stored_or_refused_whole(
    client: httpx.AsyncClient, conn: AsyncConnection
) -> None:
    """The partner's writes, spread over the time the erasure takes: on PostgreSQL
    each waits for the dissolution or it waits for them (the couple's row, taken first
    by both), so each is stored before it and handed over with the rest, or refused
    after it; never a 500, never a row left naming the erased partner, and the rollups
    still a recount of the rows."""
    couple = await make_couple(client, timezone=ZONE)
    first, second = couple.first, couple.second
    assert second is not None
    theirs = await log_bid(client, couple, second, note="racing", occurred_at=_ago(hours=5))

    async def write(number: int) -> int:
        await asyncio.sleep(number * 0.01)  # spread over the erasure, before and after
        if number % 4 == 0:
            made = await client.post(
                couple.bids, json={"kind": "play", "response": "toward"}, headers=second.headers
            )
        elif number % 4 == 1:
            made = await client.put(
                f"{couple.path}/checkins/{_days_ago(number % 20)}",
                json={"connection": 4, "stress": 6},
                headers=second.headers,
            )
        elif number % 4 == 2:
            made = await perceive(client, couple, theirs["id"], second, "away")
        else:
            activity = {"kind": "other", "occurred_at": _ago(hours=number)}
            made = await client.post(
                f"{couple.path}/activities", json=activity, headers=second.headers
            )
        if made.status_code == 409:
            assert made.json()["type"] == "urn:toward:problem:couple-dissolved"
        return made.status_code

    await check_in(client, couple, first, _days_ago(1))
    await log_bid(client, couple, first, response="against", occurred_at=_ago(hours=3))
    erasure = asyncio.create_task(erase(client, first))
    statuses = await asyncio.gather(*(write(number) for number in range(40)))
    erased = await erasure
    assert erased.status_code == 204, erased.text
    assert set(statuses) <= {200, 201, 409}, statuses
    assert await traces(conn, needles_of(first)) == set()
    raw = await raw_rows(conn, couple.id)
    assert await stored_rollups(conn, couple.id) == reference_rollups(raw, Calendar(ZONE, "monday"))


async def test_a_bid_create_replayed_after_the_couple_dissolved_still_gets_its_bid(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    """A phone that lost the answer to its create sends it again: the bid was stored,
    and the answer says so, whatever became of the couple since (API.md's replay)."""
    assert couple.second is not None
    body = {"id": str(uuid.uuid4()), "kind": "humor"}
    batch = {"items": [{"id": str(uuid.uuid4()), "kind": "play"}]}
    first = await client.post(couple.bids, json=body, headers=couple.first.headers)
    assert first.status_code == 201, first.text
    batched = await client.post(f"{couple.bids}:batch", json=batch, headers=couple.first.headers)
    assert batched.status_code == 201, batched.text
    assert (await erase(client, couple.second)).status_code == 204

    again = await client.post(couple.bids, json=body, headers=couple.first.headers)
    assert again.status_code == 200, again.text
    assert again.json()["id"] == body["id"]
    batched_again = await client.post(
        f"{couple.bids}:batch", json=batch, headers=couple.first.headers
    )
    assert batched_again.status_code == 200, batched_again.text
    assert [item["created"] for item in batched_again.json()["items"]] == [False]
    # Anything new is still refused.
    mixed = {"items": [*batch["items"], {"kind": "humor"}]}
    refused = await client.post(f"{couple.bids}:batch", json=mixed, headers=couple.first.headers)
    assert assert_problem(refused, 409)["type"] == "urn:toward:problem:couple-dissolved"
