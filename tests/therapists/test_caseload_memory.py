"""A worker that listens for changes (PostgreSQL) holds each therapist's ranked
caseload and answers it again with one statement, the access log's entries, until it
hears of a change of a couple in it or of the therapist's grants, or until time
changes it. A couple whose access ended is never shown from memory. Tested on the
path production runs: the app's listening connection, its pools and its database."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import available_timezones

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncConnection

from api.core.notices import ChangeClock
from api.therapists import caseload as caseload_module
from api.therapists.ranking import CaseloadMemory
from models import calendar, figures
from models.base import utcnow
from models.therapist import Caseload
from tests.factories import Couple, Person, make_couple
from tests.therapists.helpers import CASELOAD, answer, grant_both, invite
from tests.therapists.test_caseload import add_couples, statements_run


@pytest.fixture
async def listening(app: FastAPI) -> None:
    if app.state.database.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no LISTEN: the caseload is read on every request")
    await asyncio.wait_for(app.state.notices.listening.wait(), 10)


async def read(client: httpx.AsyncClient, therapist: Person, **params: Any) -> httpx.Response:
    response = await client.get(CASELOAD, params=params, headers=therapist.headers)
    assert response.status_code == 200, response.text
    return response


def listed(response: httpx.Response) -> list[str]:
    return [item["couple_id"] for item in response.json()["items"]]


async def heard(app: FastAPI, key: str, mark: int) -> None:
    for _ in range(500):
        if not app.state.change_clock.unchanged(uuid.UUID(key), mark):
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"no notice of {key}")


async def log_entries(client: httpx.AsyncClient, couple: Couple) -> int:
    response = await client.get(f"{couple.path}/access-log", headers=couple.first.headers)
    assert response.status_code == 200, response.text
    return len(response.json()["items"])


async def grant_in_sql(conn: AsyncConnection, couple: Couple, therapist: Person) -> None:
    """Both grants, accepted by the therapist, as another worker would write them."""
    assert couple.second is not None
    await conn.execute(
        sa.text(
            "INSERT INTO therapist_grants"
            " (couple_id, therapist_id, partner_id, granted_at, answer, answered_at)"
            " VALUES (:couple, :therapist, :first, :at, 'accepted', :at),"
            " (:couple, :therapist, :second, :at, 'accepted', :at)"
        ),
        {
            "couple": uuid.UUID(couple.id),
            "therapist": uuid.UUID(therapist.id),
            "first": uuid.UUID(couple.first.id),
            "second": uuid.UUID(couple.second.id),
            "at": utcnow(),
        },
    )


@pytest.mark.usefixtures("listening")
async def test_an_unchanged_caseload_is_answered_from_memory_and_still_logged(
    client: httpx.AsyncClient, app: FastAPI, therapist: Person
) -> None:
    couples = await add_couples(client, therapist, 3)
    first = await read(client, therapist, limit=2)
    async with statements_run(app) as statements:
        again = await read(client, therapist, limit=2)
        rest = await read(client, therapist, cursor=first.json()["next_cursor"])

    assert again.content == first.content
    assert again.headers["etag"] == first.headers["etag"]
    assert len(statements) == 2, statements  # the access log's entries of each page
    assert sorted(listed(first) + listed(rest)) == sorted(couple.id for couple in couples)
    # Shown twice, logged twice; shown once, logged once.
    for couple in couples:
        assert await log_entries(client, couple) == (2 if couple.id in listed(first) else 1)
    # The page, made of each entry's JSON, is the JSON of the model it documents.
    assert Caseload.model_validate_json(first.content).model_dump_json().encode() == first.content


@pytest.mark.usefixtures("listening")
async def test_a_change_made_elsewhere_is_read_once_heard(
    client: httpx.AsyncClient, app: FastAPI, therapist: Person, conn: AsyncConnection
) -> None:
    """A change through another worker (here, a connection of the test's own)."""
    (couple,) = await add_couples(client, therapist, 1)
    (before,) = (await read(client, therapist)).json()["items"]
    mark = app.state.change_clock.mark()
    await conn.execute(
        sa.text("UPDATE couples SET weight_toward = 3 WHERE id = :couple"),
        {"couple": uuid.UUID(couple.id)},
    )
    await heard(app, couple.id, mark)

    (after,) = (await read(client, therapist)).json()["items"]

    assert (before["weights"]["toward"], after["weights"]["toward"]) == (1, 3)


@pytest.mark.usefixtures("listening")
async def test_a_couple_granting_through_this_worker_is_shown_at_once(
    client: httpx.AsyncClient, therapist: Person
) -> None:
    (held,) = await add_couples(client, therapist, 1)
    assert listed(await read(client, therapist)) == [held.id]
    joining = await make_couple(client)
    await grant_both(client, joining, therapist)

    assert sorted(listed(await read(client, therapist))) == sorted([held.id, joining.id])


@pytest.mark.usefixtures("listening")
async def test_grants_given_elsewhere_are_read_once_heard(
    client: httpx.AsyncClient, app: FastAPI, therapist: Person, conn: AsyncConnection
) -> None:
    (held,) = await add_couples(client, therapist, 1)
    assert listed(await read(client, therapist)) == [held.id]
    joining = await make_couple(client)
    mark = app.state.change_clock.mark()
    await grant_in_sql(conn, joining, therapist)
    await heard(app, therapist.id, mark)

    assert sorted(listed(await read(client, therapist))) == sorted([held.id, joining.id])


@pytest.mark.usefixtures("listening")
async def test_a_couple_whose_access_ended_is_never_shown_from_memory(
    client: httpx.AsyncClient, app: FastAPI, therapist: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even when its notice has not come yet: the access log's entry, which checks the
    grants, comes first, and a couple it refuses makes the worker read again."""
    leaving, staying = await add_couples(client, therapist, 2)
    await read(client, therapist)
    monkeypatch.setattr(app.state.change_clock, "heard", lambda _key: None)  # deaf
    revoked = await client.delete(
        f"{leaving.path}/therapists/{therapist.id}", headers=leaving.first.headers
    )
    assert revoked.status_code == 204
    logged = await log_entries(client, leaving)

    async with statements_run(app) as statements:
        after = await read(client, therapist)

    assert listed(after) == [staying.id]
    assert await log_entries(client, leaving) == logged
    # The entries of the page held, refused whole for one couple; the couples read
    # again; the entries of the page read.
    assert len(statements) == 3, statements
    assert await log_entries(client, staying) == 2


@pytest.mark.usefixtures("listening")
async def test_a_couple_is_logged_only_by_the_page_that_shows_it(
    client: httpx.AsyncClient,
    app: FastAPI,
    therapist: Person,
    conn: AsyncConnection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another worker revokes a couple of the page held and grants two couples that rank
    before the rest, and no notice has come: the page read again shows other couples
    than the one held, and only those are logged."""
    first, second, third, fourth, fifth = sorted(
        [await make_couple(client) for _ in range(5)], key=lambda couple: uuid.UUID(couple.id)
    )
    for couple in (third, fourth, fifth):
        await grant_both(client, couple, therapist)
    # New couples with no bids: all at risk 0, ranked by id.
    assert listed(await read(client, therapist, limit=2)) == [third.id, fourth.id]
    monkeypatch.setattr(app.state.change_clock, "heard", lambda _key: None)  # deaf
    await conn.execute(
        sa.text("DELETE FROM therapist_grants WHERE couple_id = :couple"),
        {"couple": uuid.UUID(third.id)},
    )
    for couple in (first, second):
        await grant_in_sql(conn, couple, therapist)

    page = await read(client, therapist, limit=2)

    assert listed(page) == [first.id, second.id]
    assert [await log_entries(client, couple) for couple in (first, second, fourth)] == [1, 1, 1]


class _Deaf:
    """The change clock as other workers' notices reach it: never."""

    def __init__(self, clock: ChangeClock) -> None:
        self._clock = clock

    def heard(self, _key: uuid.UUID) -> None:
        pass

    def __getattr__(self, name: str) -> Any:
        return getattr(self._clock, name)


@pytest.mark.usefixtures("listening")
async def test_grants_through_this_worker_are_heard_with_no_notice(
    client: httpx.AsyncClient, app: FastAPI, therapist: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A grant or a revocation through this worker changes the caseload it holds at once,
    before (or without) its notice: the grant's, as a change of the therapist; the
    revocation's, of the couple of its path."""
    (held,) = await add_couples(client, therapist, 1)
    monkeypatch.setattr(app.state.notices, "_clock", _Deaf(app.state.change_clock))
    await read(client, therapist)
    joining = await make_couple(client)
    await grant_both(client, joining, therapist)
    assert sorted(listed(await read(client, therapist))) == sorted([held.id, joining.id])

    revoked = await client.delete(
        f"{joining.path}/therapists/{therapist.id}", headers=joining.first.headers
    )
    assert revoked.status_code == 204
    async with statements_run(app) as statements:
        assert listed(await read(client, therapist)) == [held.id]
    # Read again at once: the couples, then the page's entries (none refused).
    assert len(statements) == 2, statements


@pytest.mark.usefixtures("listening")
async def test_answers_through_this_worker_are_heard_with_no_notice(
    client: httpx.AsyncClient, app: FastAPI, therapist: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The therapist's accept or decline through this worker changes the caseload it
    holds at once, before (or without) its notice, as a change of the therapist: a
    couple declined is gone with no refused entry, and one accepted is shown."""
    held, declined = await add_couples(client, therapist, 2)
    joining = await make_couple(client)
    await invite(client, joining, therapist)
    monkeypatch.setattr(app.state.notices, "_clock", _Deaf(app.state.change_clock))
    assert sorted(listed(await read(client, therapist))) == sorted([held.id, declined.id])

    assert (await answer(client, joining.id, therapist, "accept")).status_code == 200
    assert sorted(listed(await read(client, therapist))) == sorted(
        [held.id, declined.id, joining.id]
    )
    assert (await answer(client, declined.id, therapist, "decline")).status_code == 200
    async with statements_run(app) as statements:
        assert sorted(listed(await read(client, therapist))) == sorted([held.id, joining.id])
    # Read again at once: the couples, then the page's entries (none refused).
    assert len(statements) == 2, statements
    assert await log_entries(client, declined) == 2


@pytest.mark.usefixtures("listening")
async def test_answers_given_elsewhere_are_read_once_heard(
    client: httpx.AsyncClient, app: FastAPI, therapist: Person, conn: AsyncConnection
) -> None:
    """The notice of a grant's change (migration 0009) comes with the answer's UPDATE."""
    (held,) = await add_couples(client, therapist, 1)
    joining = await make_couple(client)
    await invite(client, joining, therapist)
    assert listed(await read(client, therapist)) == [held.id]

    async def answered_elsewhere(couple: Couple, given: str) -> None:
        mark = app.state.change_clock.mark()
        await conn.execute(
            sa.text(
                "UPDATE therapist_grants SET answer = :answer, answered_at = :at"
                " WHERE couple_id = :couple"
            ),
            {"answer": given, "at": utcnow(), "couple": uuid.UUID(couple.id)},
        )
        await heard(app, therapist.id, mark)

    await answered_elsewhere(joining, "accepted")
    assert sorted(listed(await read(client, therapist))) == sorted([held.id, joining.id])
    await answered_elsewhere(held, "declined")
    async with statements_run(app) as statements:
        assert listed(await read(client, therapist)) == [joining.id]
    assert len(statements) == 2, statements


@pytest.mark.usefixtures("listening")
async def test_a_ranking_is_held_only_until_time_changes_it(
    client: httpx.AsyncClient, app: FastAPI, therapist: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    await add_couples(client, therapist, 2)
    await read(client, therapist)
    later = calendar.next_quarter_hour(utcnow())
    monkeypatch.setattr(caseload_module, "utcnow", lambda: later)

    async with statements_run(app) as statements:
        await read(client, therapist)
        await read(client, therapist)

    # The couples read again once, then held: each read's access log entries.
    assert len(statements) == 3, statements


@pytest.mark.usefixtures("listening")
async def test_a_ranking_is_held_only_until_a_not_logging_flag_comes(
    client: httpx.AsyncClient,
    app: FastAPI,
    therapist: Person,
    conn: AsyncConnection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A couple whose last bid turns 14 days old between two reads of a quarter hour is
    flagged on the second."""
    couple = await make_couple(client)
    await conn.execute(
        sa.text("UPDATE couples SET created_at = :then WHERE id = :couple"),
        {"then": utcnow() - timedelta(days=60), "couple": uuid.UUID(couple.id)},
    )
    # Two moments of one quarter hour, with the bid's 14th day between them.
    first_read = calendar.next_quarter_hour(utcnow()) + timedelta(minutes=5)
    quiet_from = first_read + timedelta(minutes=1)
    logged = await client.post(
        couple.bids,
        json={
            "kind": "play",
            "response": "toward",
            "occurred_at": (quiet_from - timedelta(days=figures.QUIET_DAYS)).isoformat(),
        },
        headers=couple.first.headers,
    )
    assert logged.status_code == 201, logged.text
    await grant_both(client, couple, therapist)
    now = first_read
    monkeypatch.setattr(caseload_module, "utcnow", lambda: now)
    (before,) = (await read(client, therapist)).json()["items"]
    now = first_read + timedelta(minutes=2)

    (after,) = (await read(client, therapist)).json()["items"]

    codes = [[flag["code"] for flag in item["flags"]] for item in (before, after)]
    assert "not-logging" not in codes[0] and "not-logging" in codes[1]


class _Ranking:
    """As much of a ranking as the memory weighs: its couples."""

    def __init__(self, couples: int, mark: int | None) -> None:
        self.ranked = [object()] * couples
        self.couple_ids: list[uuid.UUID] = []
        self.mark = mark
        self.valid_until = datetime.max.replace(tzinfo=UTC)


def test_the_memory_holds_rankings_up_to_its_size_in_couples() -> None:
    clock = ChangeClock()
    clock.listening(True)
    memory = CaseloadMemory(clock, size=10)
    now = utcnow()
    therapists = [uuid.uuid4() for _ in range(4)]
    for therapist_id, couples in zip(therapists, (4, 4, 4, 11), strict=True):
        memory.hold(therapist_id, _Ranking(couples, clock.mark()))

    # The first went when the third came; the last, larger than the memory, is not held.
    assert [memory.held(t, now) is not None for t in therapists] == [False, True, True, False]
    clock.heard(therapists[1])
    assert memory.held(therapists[1], now) is None


_ZONES = sorted(available_timezones())
_MOMENTS = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2060, 1, 1), timezones=st.just(UTC)
)


@given(_MOMENTS, st.sampled_from(_ZONES))
def test_no_local_date_changes_before_the_next_quarter_hour(now: datetime, zone: str) -> None:
    until = calendar.next_quarter_hour(now)
    assert now < until <= now + timedelta(minutes=15)
    assert until.minute % 15 == 0 and until.second == until.microsecond == 0
    assert calendar.local_date(now, zone) == calendar.local_date(
        until - timedelta(microseconds=1), zone
    )


@given(
    _MOMENTS,
    st.one_of(st.none(), st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=60))),
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=60)),
    st.floats(min_value=0, max_value=1, exclude_max=True),
)
def test_the_quiet_flag_holds_until_quiet_until(
    now: datetime, since_bid: timedelta | None, age: timedelta, fraction: float
) -> None:
    """`quiet` answers as at `now` up to just before `quiet_until`."""
    last_bid_at = None if since_bid is None else now - since_bid
    couple_since = now - age
    until = figures.quiet_until(last_bid_at, couple_since, now)
    assert until > now
    # (A product of a timedelta rounds to the microsecond: up to `until` itself.)
    within = min(now + (until - now) * fraction, until - timedelta(microseconds=1))
    assert figures.quiet(last_bid_at, couple_since, within) == figures.quiet(
        last_bid_at, couple_since, now
    )
    # And the bound is tight: at `quiet_until` the flag itself (or its words) moves on,
    # unless it is only a new UTC date that came.
    at = figures.quiet(last_bid_at, couple_since, until)
    if until.date() == now.date():
        assert at != figures.quiet(last_bid_at, couple_since, now)
