"""The access log a therapist's reads leave: what it records, its pages, and that it
cannot be changed."""

from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.factories import Couple, Person
from tests.http import assert_problem
from tests.therapists.helpers import CASELOAD, export_of, grant, grant_both, log_of, trends_of


async def test_each_therapist_read_is_logged(
    client: httpx.AsyncClient, couple: Couple, therapist: Person
) -> None:
    await grant_both(client, couple, therapist)
    for path, params in (
        (CASELOAD, {}),
        (trends_of(couple), {}),
        (export_of(couple), {"weeks": 104, "end": "2025-06-30"}),
    ):
        read = await client.get(path, params=params, headers=therapist.headers)
        assert read.status_code == 200
    entries = (await log_of(client, couple))["items"]
    assert [(entry["endpoint"], entry["weeks"], entry["end"]) for entry in entries] == [
        ("GET /api/v1/therapist/couples/{couple_id}/export.csv", 104, "2025-06-30"),
        ("GET /api/v1/therapist/couples/{couple_id}/trends/weekly", 12, None),
        ("GET /api/v1/therapist/couples", None, None),
    ]
    assert {entry["therapist_id"] for entry in entries} == {therapist.id}
    assert {entry["therapist_name"] for entry in entries} == {"Kim"}
    times = [entry["at"] for entry in entries]
    assert times == sorted(times, reverse=True)
    assert couple.second is not None
    other = await client.get(f"{couple.path}/access-log", headers=couple.second.headers)
    assert other.json()["items"] == entries


async def test_a_refused_read_leaves_no_entry_and_partner_reads_none(
    client: httpx.AsyncClient, couple: Couple, therapist: Person
) -> None:
    await grant(client, couple, couple.first, therapist)
    assert_problem(await client.get(trends_of(couple), headers=therapist.headers), 404)
    await client.get(f"{couple.path}/trends/weekly", headers=couple.first.headers)
    assert (await log_of(client, couple))["items"] == []


async def test_the_log_pages_newest_first(
    client: httpx.AsyncClient, couple: Couple, therapist: Person
) -> None:
    await grant_both(client, couple, therapist)
    for _ in range(5):
        await client.get(trends_of(couple), headers=therapist.headers)
    everything = (await log_of(client, couple))["items"]
    seen: list[Any] = []
    cursor = None
    while True:
        page = await log_of(client, couple, limit=2, **({"cursor": cursor} if cursor else {}))
        seen.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == everything
    assert len(seen) == 5


@pytest.mark.parametrize(
    ("params", "field"),
    [({"limit": 0}, "limit"), ({"limit": 201}, "limit"), ({"cursor": "garbage"}, "cursor")],
)
async def test_the_log_refuses_bad_paging(
    client: httpx.AsyncClient, couple: Couple, params: dict[str, Any], field: str
) -> None:
    response = await client.get(
        f"{couple.path}/access-log", params=params, headers=couple.first.headers
    )
    assert_problem(response, 422, field)


async def test_the_log_cannot_be_changed(
    client: httpx.AsyncClient, conn: AsyncConnection, couple: Couple, therapist: Person
) -> None:
    await grant_both(client, couple, therapist)
    await client.get(trends_of(couple), headers=therapist.headers)
    entries = (await log_of(client, couple))["items"]
    entry = f"{couple.path}/access-log/{entries[0]['id']}"
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        for who in (couple.first, therapist):
            on_log = await client.request(method, f"{couple.path}/access-log", headers=who.headers)
            assert on_log.status_code == 405, (method, on_log.status_code)
            on_entry = await client.request(method, entry, headers=who.headers)
            assert on_entry.status_code in (404, 405), (method, on_entry.status_code)
    # Nor underneath the API: the database refuses to rewrite an entry.
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        await conn.execute(sa.text("UPDATE access_log SET endpoint = 'nothing'"))
    assert (await log_of(client, couple))["items"] == entries
