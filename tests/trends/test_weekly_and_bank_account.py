"""`GET /couples/{id}/trends/weekly` and `GET /couples/{id}/bank-account` as a client
sees them: the weeks, the figures, the calendar and the guards."""

import uuid
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from models import calendar
from models.couple import Couple as CoupleTable
from tests.factories import Couple, Person, make_couple, register
from tests.http import assert_problem, varies_on

_couples: sa.Table = CoupleTable.__table__  # type: ignore[attr-defined]


async def log(
    client: httpx.AsyncClient,
    couple: Couple,
    occurred_at: str,
    response: str | None = None,
    *,
    by: Person | None = None,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {"kind": "humor", "occurred_at": occurred_at, **extra}
    if response is not None:
        body["response"] = response
    created = await client.post(couple.bids, json=body, headers=(by or couple.first).headers)
    assert created.status_code == 201, created.text
    return created.json()


async def trends(
    client: httpx.AsyncClient, couple: Couple, who: Person | None = None, **params: Any
) -> dict[str, Any]:
    read = await client.get(
        f"{couple.path}/trends/weekly", params=params, headers=(who or couple.first).headers
    )
    assert read.status_code == 200, read.text
    return read.json()


# The parts of a week asserted on their own, or in tests of their own (tests/checkins,
# tests/activities, test_weekly_recount.py).
_APART = {"by_partner": None, "checkins": None, "activities": None}


def week(body: dict[str, Any], start: str) -> dict[str, Any]:
    return next(week for week in body["weeks"] if week["week_start"] == start)


async def test_weeks_hold_the_figures_of_their_bids(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    ana, ben = couple.first, couple.second
    assert ben is not None
    await log(client, couple, "2026-11-02T09:00:00Z", "toward")
    await log(client, couple, "2026-11-03T09:00:00Z", "away", repair=True)
    await log(client, couple, "2026-11-04T09:00:00Z")  # pending
    await log(client, couple, "2026-11-10T09:00:00Z", "against", by=ben)
    await log(client, couple, "2026-11-11T09:00:00Z", "toward", by=ben)

    body = await trends(client, couple, ben, weeks=3, end="2026-11-15")

    assert body["couple_id"] == couple.id
    assert (body["timezone"], body["week_starts"]) == ("UTC", "monday")
    assert body["weights"] == {"toward": 1, "away": -5, "against": -5}
    assert body["benchmarks"] == {
        "masters_turn_toward": 0.86,
        "disasters_turn_toward": 0.33,
        "conflict_ratio": 5,
        "everyday_ratio": 20,
    }
    assert [w["week_start"] for w in body["weeks"]] == ["2026-10-26", "2026-11-02", "2026-11-09"]
    empty, first, second = body["weeks"]
    assert empty | _APART == {
        "week_start": "2026-10-26",
        "bids": 0,
        "toward": 0,
        "away": 0,
        "against": 0,
        "pending": 0,
        "turn_toward_rate": None,
        "deposits": 0,
        "withdrawals": 0,
        "net": 0,
        "balance": 0,
        "perception_agreement": None,
        "repairs": 0,
        **_APART,
    }
    assert first | _APART == {
        "week_start": "2026-11-02",
        "bids": 3,
        "toward": 1,
        "away": 1,
        "against": 0,
        "pending": 1,
        "turn_toward_rate": 0.5,
        "deposits": 1,
        "withdrawals": 5,
        "net": -4,
        "balance": -4,
        "perception_agreement": None,
        "repairs": 1,
        **_APART,
    }
    # Ana logged her own bids: Ben answered them.
    assert first["by_partner"] == {
        ana.id: {
            "bids_made": 3,
            "bids_received": 0,
            "turn_toward_rate": None,
            "toward": 0,
            "away": 0,
            "against": 0,
        },
        ben.id: {
            "bids_made": 0,
            "bids_received": 3,
            "turn_toward_rate": 0.5,
            "toward": 1,
            "away": 1,
            "against": 0,
        },
    }
    assert (second["bids"], second["toward"], second["against"]) == (2, 1, 1)
    assert (second["deposits"], second["withdrawals"], second["net"]) == (1, 5, -4)
    assert second["balance"] == -8
    assert second["by_partner"][ana.id]["bids_received"] == 2
    assert second["by_partner"][ana.id]["turn_toward_rate"] == 0.5


async def test_the_window_ends_with_the_current_local_week_by_default(
    client: httpx.AsyncClient,
) -> None:
    couple = await make_couple(client, timezone="Pacific/Kiritimati")  # UTC+14
    body = await trends(client, couple)
    today = calendar.local_date(datetime.now(UTC), "Pacific/Kiritimati")
    assert len(body["weeks"]) == 12
    assert body["weeks"][-1]["week_start"] == calendar.week_of(today, "monday").isoformat()
    starts = [date.fromisoformat(w["week_start"]) for w in body["weeks"]]
    assert all(later - earlier == timedelta(days=7) for earlier, later in pairwise(starts))
    assert all(start.weekday() == 0 for start in starts)


async def test_balance_counts_the_weeks_before_the_window_and_not_after(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    await log(client, couple, "2025-01-06T12:00:00Z", "toward")  # long before
    await log(client, couple, "2026-11-03T12:00:00Z", "away")
    await log(client, couple, "2026-11-10T12:00:00Z", "toward")  # after the window

    body = await trends(client, couple, weeks=1, end="2026-11-08")

    assert [w["week_start"] for w in body["weeks"]] == ["2026-11-02"]
    assert body["weeks"][0]["net"] == -5
    assert body["weeks"][0]["balance"] == 1 - 5


async def test_a_bid_counts_in_its_local_week_across_daylight_saving(
    client: httpx.AsyncClient,
) -> None:
    couple = await make_couple(client, timezone="Europe/Berlin")
    # Berlin moved to UTC+2 on 2026-03-29: 22:30Z that Sunday is Monday 00:30 there.
    await log(client, couple, "2026-03-29T22:30:00Z", "toward")
    # 2026-10-25 01:30Z: an hour after the clocks went back, still Sunday there.
    await log(client, couple, "2026-10-25T22:30:00Z", "toward")

    spring = await trends(client, couple, weeks=2, end="2026-03-30")
    assert week(spring, "2026-03-30")["bids"] == 1
    assert week(spring, "2026-03-23")["bids"] == 0
    autumn = await trends(client, couple, weeks=2, end="2026-10-26")
    # UTC+1 again: 22:30Z is 23:30 on Sunday the 25th.
    assert week(autumn, "2026-10-19")["bids"] == 1
    assert week(autumn, "2026-10-26")["bids"] == 0


async def test_a_new_time_zone_or_week_start_moves_history_into_its_weeks(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    # Sunday 23:30 in UTC; already Monday in Berlin (UTC+1 in November).
    await log(client, couple, "2026-11-22T23:30:00Z", "toward")
    await log(client, couple, "2026-11-18T12:00:00Z", "away")
    before = await trends(client, couple, weeks=2, end="2026-11-23")
    assert week(before, "2026-11-16")["bids"] == 2

    changed = await client.patch(
        couple.path, json={"timezone": "Europe/Berlin"}, headers=couple.first.headers
    )
    assert changed.status_code == 200, changed.text
    berlin = await trends(client, couple, weeks=2, end="2026-11-23")
    assert berlin["timezone"] == "Europe/Berlin"
    assert week(berlin, "2026-11-16")["bids"] == 1
    assert week(berlin, "2026-11-23")["bids"] == 1
    assert week(berlin, "2026-11-23")["balance"] == -5 + 1

    changed = await client.patch(
        couple.path, json={"week_starts": "sunday"}, headers=couple.first.headers
    )
    assert changed.status_code == 200, changed.text
    sunday = await trends(client, couple, weeks=2, end="2026-11-23")
    assert sunday["week_starts"] == "sunday"
    assert [w["week_start"] for w in sunday["weeks"]] == ["2026-11-15", "2026-11-22"]
    assert [w["bids"] for w in sunday["weeks"]] == [1, 1]


async def test_weights_apply_to_all_history_and_are_stated(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    await log(client, couple, "2026-11-02T09:00:00Z", "toward")
    await log(client, couple, "2026-11-03T09:00:00Z", "against")
    changed = await client.patch(
        couple.path, json={"weights": {"toward": 3, "against": -2}}, headers=couple.first.headers
    )
    assert changed.status_code == 200, changed.text

    body = await trends(client, couple, weeks=1, end="2026-11-08")
    assert body["weights"] == {"toward": 3, "away": -5, "against": -2}
    assert (body["weeks"][0]["deposits"], body["weeks"][0]["withdrawals"]) == (3, 2)
    account = await client.get(f"{couple.path}/bank-account", headers=couple.first.headers)
    assert account.json()["weights"] == {"toward": 3, "away": -5, "against": -2}
    assert account.json()["balance"] == 1


async def test_edits_perceptions_and_deletes_move_the_figures_at_once(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    ben = couple.second
    assert ben is not None
    bid = await log(client, couple, "2026-11-02T09:00:00Z", "toward")
    path = f"{couple.bids}/{bid['id']}"

    # Ben, the responder, sees it otherwise: Ana's view as the bidder stays effective.
    seen = await client.put(f"{path}/perception", json={"response": "away"}, headers=ben.headers)
    assert seen.status_code == 200, seen.text
    figures = week(await trends(client, couple, weeks=2, end="2026-11-09"), "2026-11-02")
    assert (figures["toward"], figures["away"], figures["perception_agreement"]) == (1, 0, 0.0)

    # Ana withdraws her view: Ben's becomes the effective one.
    withdrawn = await client.put(
        f"{path}/perception", json={"response": None}, headers=couple.first.headers
    )
    assert withdrawn.status_code == 200, withdrawn.text
    figures = week(await trends(client, couple, weeks=2, end="2026-11-09"), "2026-11-02")
    assert (figures["toward"], figures["away"], figures["perception_agreement"]) == (0, 1, None)

    moved = await client.patch(
        path,
        json={"occurred_at": "2026-11-09T09:00:00Z", "repair": True},
        headers=couple.first.headers,
    )
    assert moved.status_code == 200, moved.text
    body = await trends(client, couple, weeks=2, end="2026-11-09")
    assert week(body, "2026-11-02")["bids"] == 0
    assert (week(body, "2026-11-09")["bids"], week(body, "2026-11-09")["repairs"]) == (1, 1)

    deleted = await client.delete(path, headers=couple.first.headers)
    assert deleted.status_code == 204
    body = await trends(client, couple, weeks=2, end="2026-11-09")
    assert [w["bids"] for w in body["weeks"]] == [0, 0]
    assert body["weeks"][-1]["balance"] == 0


async def test_perception_agreement_is_the_share_of_bids_both_saw_alike(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    ben = couple.second
    assert ben is not None
    for response, ben_says in (("toward", "toward"), ("away", "against"), ("toward", None)):
        bid = await log(client, couple, "2026-11-02T09:00:00Z", response)
        if ben_says:
            put = await client.put(
                f"{couple.bids}/{bid['id']}/perception",
                json={"response": ben_says},
                headers=ben.headers,
            )
            assert put.status_code == 200
    figures = (await trends(client, couple, weeks=1, end="2026-11-02"))["weeks"][0]
    assert figures["perception_agreement"] == 0.5


async def test_a_couple_waiting_for_its_second_partner_has_empty_weeks(
    client: httpx.AsyncClient,
) -> None:
    couple = await make_couple(client, joined=False)
    body = await trends(client, couple, weeks=2)
    assert [w["bids"] for w in body["weeks"]] == [0, 0]
    assert list(body["weeks"][0]["by_partner"]) == [couple.first.id]
    assert body["summary"] == {
        "turn_toward_rate_4w": None,
        "direction": "steady",
        "turn_toward_change": None,
        "pursuer_distancer": None,
        "flags": [],
    }


async def test_a_quiet_couple_is_flagged_after_14_days(
    client: httpx.AsyncClient, couple: Couple, conn: AsyncConnection
) -> None:
    now = datetime.now(UTC)
    await conn.execute(
        sa.update(_couples)
        .where(_couples.c.id == uuid.UUID(couple.id))
        .values(created_at=now - timedelta(days=60))
    )
    flags = (await trends(client, couple))["summary"]["flags"]
    assert [flag["code"] for flag in flags] == ["not-logging"]
    assert flags[0]["detail"].startswith("No bid logged before ")
    await log(client, couple, (now - timedelta(days=15)).isoformat(), "toward")
    flagged = await trends(client, couple)
    flags = flagged["summary"]["flags"]
    assert [flag["code"] for flag in flags] == ["not-logging"]
    assert "15 days" in flags[0]["detail"]
    # Read again, unchanged: the remembered weeks, the flag decided anew.
    assert await trends(client, couple, couple.second) == flagged
    await log(client, couple, (now - timedelta(days=13)).isoformat(), "toward")
    assert (await trends(client, couple))["summary"]["flags"] == []


async def test_trend_responses_are_private_to_the_caller(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    for path in ("trends/weekly", "bank-account"):
        read = await client.get(f"{couple.path}/{path}", headers=couple.first.headers)
        assert read.headers["cache-control"] == "private, no-cache"
        assert "authorization" in varies_on(read)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("weeks=0", "weeks"),
        ("weeks=105", "weeks"),
        ("weeks=twelve", "weeks"),
        ("weeks=1.5", "weeks"),
        ("end=2026-13-01", "end"),
        ("end=yesterday", "end"),
        ("end=1899-12-31", "end"),
        ("end=2026-11-25T10:00:00Z", "end"),
        ("end=20261120", "end"),
        ("end=2026-02-30", "end"),
    ],
)
async def test_a_bad_window_is_a_422_naming_the_parameter(
    client: httpx.AsyncClient, couple: Couple, query: str, field: str
) -> None:
    read = await client.get(f"{couple.path}/trends/weekly?{query}", headers=couple.first.headers)
    assert_problem(read, 422, field)


async def test_a_bad_couple_id_is_a_422(client: httpx.AsyncClient, couple: Couple) -> None:
    for path in ("trends/weekly", "bank-account"):
        read = await client.get(f"/api/v1/couples/not-a-uuid/{path}", headers=couple.first.headers)
        assert_problem(read, 422, "couple_id")


@pytest.mark.parametrize("path", ["trends/weekly", "bank-account"])
async def test_without_a_token_it_is_a_401(
    client: httpx.AsyncClient, couple: Couple, path: str
) -> None:
    read = await client.get(f"{couple.path}/{path}")
    assert_problem(read, 401)


@pytest.mark.parametrize("path", ["trends/weekly", "bank-account"])
async def test_partners_of_other_couples_and_therapists_get_404(
    client: httpx.AsyncClient, couple: Couple, stranger: Person, path: str
) -> None:
    await log(client, couple, "2026-11-02T09:00:00Z", "toward")
    therapist = await register(client, "Lee", account_type="therapist")
    for outsider in (stranger, therapist):
        read = await client.get(f"{couple.path}/{path}", headers=outsider.headers)
        body = assert_problem(read, 404)
        assert body["detail"] == "No such couple."
        assert "weeks" not in body and "balance" not in body
    missing = await client.get(
        f"/api/v1/couples/00000000-0000-4000-8000-000000000000/{path}",
        headers=couple.first.headers,
    )
    assert_problem(missing, 404)


async def test_the_bank_account_sums_all_time_and_the_last_168_hours(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    now = datetime.now(UTC)
    await log(client, couple, (now - timedelta(days=400)).isoformat(), "toward")
    await log(client, couple, (now - timedelta(hours=169)).isoformat(), "toward")
    await log(client, couple, (now - timedelta(hours=167)).isoformat(), "toward")
    await log(client, couple, (now - timedelta(hours=1)).isoformat(), "against")
    await log(client, couple, (now - timedelta(hours=1)).isoformat())  # pending

    read = await client.get(f"{couple.path}/bank-account", headers=couple.first.headers)
    assert read.status_code == 200, read.text
    account = read.json()
    assert (account["deposits"], account["withdrawals"], account["balance"]) == (3, 5, -2)
    assert account["last_7_days"] == {"deposits": 1, "withdrawals": 5, "net": -4}
    assert account["weights"] == {"toward": 1, "away": -5, "against": -5}
    assert account["benchmarks"]["conflict_ratio"] == 5
    as_of = datetime.fromisoformat(account["as_of"])
    assert now <= as_of <= datetime.now(UTC)

    # The week's balance and the account agree on the same bids.
    body = await trends(client, couple, weeks=1)
    assert body["weeks"][-1]["balance"] == account["balance"]
