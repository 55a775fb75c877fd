"""Every 200 answer to a GET as a client can hold it (api/core/representations.py): an
`ETag`, a 304 for `If-None-Match` with the current one, gzip for a client that takes
it; and the tag of a computed view changes exactly when its figures do."""

import gzip
import uuid
from datetime import UTC, datetime, time, timedelta

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from api.core.representations import GZIP_MIN_BYTES, _accepts_gzip
from models.couple import Couple as CoupleTable
from models.therapist import AccessLogEntry
from tests.factories import Couple, Person, make_couple
from tests.http import varies_on
from tests.therapists.helpers import CASELOAD, grant_both, new_therapist, trends_of

_access_log: sa.Table = AccessLogEntry.__table__  # type: ignore[attr-defined]
_couples: sa.Table = CoupleTable.__table__  # type: ignore[attr-defined]
IDENTITY = {"Accept-Encoding": "identity"}


def trends_path(couple: Couple) -> str:
    return f"{couple.path}/trends/weekly?weeks=52"


async def get(client: httpx.AsyncClient, path: str, who: Person, **headers: str) -> httpx.Response:
    return await client.get(path, headers={**who.headers, **IDENTITY, **headers})


async def log_bid(client: httpx.AsyncClient, couple: Couple) -> None:
    occurred_at = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    created = await client.post(
        couple.bids,
        json={"kind": "humor", "occurred_at": occurred_at, "response": "toward"},
        headers=couple.first.headers,
    )
    assert created.status_code == 201, created.text


async def test_a_read_held_is_answered_304_with_its_tag_and_no_body(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    for path in (couple.path, trends_path(couple), f"{couple.path}/digest", "/api/v1/me"):
        first = await get(client, path, couple.first)
        assert first.status_code == 200, first.text
        tag = first.headers["etag"]
        for held in (tag, f"W/{tag}", f'"other", {tag}', "*"):
            again = await get(client, path, couple.first, **{"If-None-Match": held})
            assert again.status_code == 304, (path, held)
            assert again.content == b""
            assert again.headers["etag"] == tag
            assert "content-type" not in again.headers
        assert again.headers["cache-control"] == "private, no-cache"
        assert "authorization" in varies_on(again)
        other = await get(client, path, couple.first, **{"If-None-Match": '"other"'})
        assert other.status_code == 200
        assert other.content == first.content


async def test_the_trends_tag_changes_exactly_when_a_figure_does(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    assert couple.second is not None
    first = await get(client, trends_path(couple), couple.first)
    again = await get(client, trends_path(couple), couple.first)
    assert again.headers["etag"] == first.headers["etag"]
    # Both partners read the same figures here, so the same content and the same tag.
    partner = await get(client, trends_path(couple), couple.second)
    assert partner.content == first.content
    assert partner.headers["etag"] == first.headers["etag"]

    await log_bid(client, couple)
    held = {"If-None-Match": first.headers["etag"]}
    changed = await get(client, trends_path(couple), couple.first, **held)
    assert changed.status_code == 200
    assert changed.headers["etag"] != first.headers["etag"]
    assert changed.json()["weeks"][-1]["toward"] == 1


async def test_the_bank_account_tag_leaves_out_the_time_of_the_read(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    path = f"{couple.path}/bank-account"
    first = await get(client, path, couple.first)
    second = await get(client, path, couple.first)
    assert first.json()["as_of"] != second.json()["as_of"]
    assert first.headers["etag"] == second.headers["etag"]
    assert first.headers["etag"].startswith("W/")
    held = await get(client, path, couple.first, **{"If-None-Match": first.headers["etag"]})
    assert held.status_code == 304

    await log_bid(client, couple)
    moved = await get(client, path, couple.first, **{"If-None-Match": first.headers["etag"]})
    assert moved.status_code == 200
    assert moved.json()["balance"] == 1


async def test_large_answers_come_gzipped_to_a_client_that_takes_them(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    plain = await get(client, trends_path(couple), couple.first)
    assert len(plain.content) >= GZIP_MIN_BYTES
    assert "content-encoding" not in plain.headers
    assert "accept-encoding" in varies_on(plain)

    packed = await client.get(
        trends_path(couple), headers={**couple.first.headers, "Accept-Encoding": "gzip"}
    )
    assert packed.headers["content-encoding"] == "gzip"
    # httpx undoes the coding: the content is the same, and so is its tag.
    assert packed.content == plain.content
    assert packed.headers["etag"] == plain.headers["etag"]
    assert int(packed.headers["content-length"]) < len(plain.content) // 4
    held = await client.get(
        trends_path(couple),
        headers={
            **couple.first.headers,
            "Accept-Encoding": "gzip",
            "If-None-Match": packed.headers["etag"],
        },
    )
    assert held.status_code == 304
    assert "accept-encoding" in varies_on(held)

    refused = await client.get(
        trends_path(couple), headers={**couple.first.headers, "Accept-Encoding": "gzip;q=0"}
    )
    assert "content-encoding" not in refused.headers

    small = await client.get(
        couple.path, headers={**couple.first.headers, "Accept-Encoding": "gzip"}
    )
    assert len(small.content) < GZIP_MIN_BYTES
    assert "content-encoding" not in small.headers


async def test_a_gzip_body_is_what_gzip_makes_of_the_content(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    plain = await get(client, trends_path(couple), couple.first)
    async with client.stream(
        "GET", trends_path(couple), headers={**couple.first.headers, "Accept-Encoding": "gzip"}
    ) as packed:
        raw = b"".join([chunk async for chunk in packed.aiter_raw()])
    assert gzip.decompress(raw) == plain.content


async def test_only_a_200_to_a_get_is_answered_304(
    client: httpx.AsyncClient, couple: Couple, stranger: Person
) -> None:
    read = await get(client, trends_path(couple), couple.first)
    held = {"If-None-Match": read.headers["etag"]}
    unauthenticated = await client.get(trends_path(couple), headers=held)
    assert unauthenticated.status_code == 401
    outsider = await get(client, trends_path(couple), stranger, **held)
    assert outsider.status_code == 404
    assert "etag" not in outsider.headers
    created = await client.post(
        couple.bids, json={"kind": "humor"}, headers={**couple.first.headers, "If-None-Match": "*"}
    )
    assert created.status_code == 201


async def test_a_caseload_read_answered_304_is_still_in_the_access_log(
    client: httpx.AsyncClient, couple: Couple, conn: AsyncConnection
) -> None:
    therapist = await new_therapist(client)
    await grant_both(client, couple, therapist)
    for path in (CASELOAD, trends_of(couple)):
        first = await get(client, path, therapist)
        assert first.status_code == 200
        before = await conn.scalar(sa.select(sa.func.count()).select_from(_access_log))
        held = await get(client, path, therapist, **{"If-None-Match": first.headers["etag"]})
        assert held.status_code == 304
        after = await conn.scalar(sa.select(sa.func.count()).select_from(_access_log))
        assert after == (before or 0) + 1


@pytest.mark.parametrize(
    ("header", "accepted"),
    [
        ("gzip", True),
        ("gzip, deflate, br", True),
        ("br;q=1.0, GZIP;q=0.5", True),
        ("*", True),
        ("gzip;q=0", False),
        ("gzip;q=0.0, br", False),
        ("gzip;q=nonsense", False),
        ("*, gzip;q=0", False),
        ("*;q=0, gzip", True),
        ("gzip; Q=0.5", True),
        ("gzip;q=0.5;level=1", True),
        ("identity", False),
        ("br, deflate", False),
        ("", False),
        (None, False),
    ],
)
def test_which_clients_take_gzip(header: str | None, accepted: bool) -> None:
    assert _accepts_gzip(header) is accepted


async def test_each_gzipped_body_is_its_own_content(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    """Two different large answers in one process, each compressed and kept: each
    client gets its own bytes back."""
    other = await make_couple(client)
    for _ in range(2):
        for pair in (couple, other):
            plain = await get(client, trends_path(pair), pair.first)
            packed = await client.get(
                trends_path(pair), headers={**pair.first.headers, "Accept-Encoding": "gzip"}
            )
            assert packed.headers["content-encoding"] == "gzip"
            assert packed.content == plain.content
            assert packed.json()["couple_id"] == pair.id


async def test_the_trends_tag_changes_when_time_raises_a_flag(
    client: httpx.AsyncClient,
    couple: Couple,
    conn: AsyncConnection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The weeks are remembered, but `not-logging` is decided on each read: once it is
    up, the answer and its tag change, though no figure was written."""
    today = datetime.now(UTC).date()
    wednesday = today - timedelta(days=today.weekday()) + timedelta(days=2)
    read_at = datetime.combine(wednesday, time(12), UTC)
    await conn.execute(
        sa.update(_couples)
        .where(_couples.c.id == uuid.UUID(couple.id))
        .values(created_at=read_at - timedelta(days=60))
    )
    created = await client.post(
        couple.bids,
        json={
            "kind": "humor",
            "occurred_at": (read_at - timedelta(days=13, hours=23)).isoformat(),
            "response": "toward",
        },
        headers=couple.first.headers,
    )
    assert created.status_code == 201
    path = f"{couple.path}/trends/weekly?end={wednesday.isoformat()}"

    monkeypatch.setattr("api.trends.service.utcnow", lambda: read_at)
    quiet = await get(client, path, couple.first)
    assert quiet.json()["summary"]["flags"] == []
    monkeypatch.setattr("api.trends.service.utcnow", lambda: read_at + timedelta(days=2))
    flagged = await get(client, path, couple.first, **{"If-None-Match": quiet.headers["etag"]})
    assert flagged.status_code == 200
    assert [flag["code"] for flag in flagged.json()["summary"]["flags"]] == ["not-logging"]
    assert flagged.headers["etag"] != quiet.headers["etag"]
    held = await get(client, path, couple.first, **{"If-None-Match": flagged.headers["etag"]})
    assert held.status_code == 304


@pytest.mark.parametrize(
    ("path", "change"),
    [("", {"name": "Us"}), ("/api/v1/me", {"display_name": "Ana B"})],
)
async def test_a_change_with_if_match_applies_only_to_what_was_read(
    client: httpx.AsyncClient, couple: Couple, path: str, change: dict[str, str]
) -> None:
    url = path or couple.path
    read = await get(client, url, couple.first)
    tag = read.headers["etag"]
    conditional = {**couple.first.headers, "If-Match": tag}
    changed = await client.patch(url, json=change, headers=conditional)
    assert changed.status_code == 200, changed.text
    assert changed.headers["etag"] != tag
    assert changed.headers["etag"] == (await get(client, url, couple.first)).headers["etag"]

    stale = await client.patch(url, json=change, headers=conditional)
    assert stale.status_code == 412
    assert stale.headers["etag"] == changed.headers["etag"]
    unconditional = await client.patch(url, json=change, headers=couple.first.headers)
    assert unconditional.status_code == 200
