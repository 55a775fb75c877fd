"""Writes of every kind to one couple at once, with trend reads among them: no write
fails for another's sake (no deadlock: the rollups and `rollup_weeks` are taken in one
order), and after each round either partner is served what a computation that
remembers nothing gives, byte for byte, whatever weeks the reads in between kept."""

import asyncio
import random
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from api.trends import service
from api.trends.memory import TrendsCache
from tests.activities.helpers import second
from tests.bids.helpers import T0, iso
from tests.checkins.helpers import body_of, put
from tests.factories import Couple

WEEKS = 6
END = (T0 + timedelta(weeks=5)).date()
PARAMS = {"weeks": WEEKS, "end": END.isoformat()}
ROUNDS = 6
WRITES_PER_ROUND = 12


async def _fresh(app: FastAPI, couple: Couple, reader: uuid.UUID) -> bytes:
    computed, _ = await service.weekly_trends(
        app.state.database, TrendsCache(0), uuid.UUID(couple.id), reader, weeks=WEEKS, end=END
    )
    return computed.body


@pytest.mark.parametrize("seed", range(4))
async def test_concurrent_writes_of_every_kind_are_read_whole(
    app: FastAPI, client: httpx.AsyncClient, couple: Couple, seed: int
) -> None:
    rng = random.Random(seed)
    people = [couple.first, second(couple)]
    answers: list[tuple[str, int, str]] = []

    def when() -> str:
        return iso(T0 + timedelta(days=rng.randrange(-7, 40), hours=rng.randrange(24)))

    def response() -> str:
        return rng.choice(["toward", "away", "against"])

    async def send(name: str, request: Awaitable[httpx.Response]) -> None:
        answer = await request
        answers.append((name, answer.status_code, answer.text[:200]))

    def bid() -> Awaitable[None]:
        body = {"kind": "attention", "occurred_at": when(), "response": response()}
        return send("bid", client.post(couple.bids, json=body, headers=rng.choice(people).headers))

    def bids() -> Awaitable[None]:
        items = [
            {"kind": "humor", "occurred_at": when(), "response": response()}
            for _ in range(rng.randrange(2, 8))
        ]
        path = f"{couple.bids}:batch"
        return send("bids", client.post(path, json={"items": items}, headers=people[0].headers))

    def activities() -> Awaitable[None]:
        items = [{"kind": "date_night", "occurred_at": when()} for _ in range(rng.randrange(2, 6))]
        path = f"{couple.path}/activities:batch"
        headers = rng.choice(people).headers
        return send("activities", client.post(path, json={"items": items}, headers=headers))

    def checkin() -> Awaitable[None]:
        day = (T0 + timedelta(days=rng.randrange(0, 35))).date()
        body = body_of(stress=rng.randrange(1, 10))
        return send("checkin", put(client, couple, rng.choice(people), day, body))

    def trends() -> Awaitable[None]:
        headers = rng.choice(people).headers
        path = f"{couple.path}/trends/weekly"
        return send("trends", client.get(path, params=PARAMS, headers=headers))

    def calendar() -> Awaitable[None]:
        body = {"week_starts": rng.choice(["sunday", "monday"])}
        return send("calendar", client.patch(couple.path, json=body, headers=people[0].headers))

    kinds: list[Callable[[], Awaitable[None]]] = [
        bid,
        bids,
        activities,
        checkin,
        trends,
        trends,
        trends,
    ]
    for _ in range(ROUNDS):
        writes = [rng.choice(kinds)() for _ in range(WRITES_PER_ROUND)]
        if rng.random() < 0.3:
            writes.append(calendar())
        await asyncio.wait_for(asyncio.gather(*writes), 60)
        for person in people:
            served = await client.get(
                f"{couple.path}/trends/weekly", params=PARAMS, headers=person.headers
            )
            assert served.status_code == 200, served.text
            assert served.content == await _fresh(app, couple, uuid.UUID(person.id))

    assert [answer for answer in answers if answer[1] >= 300] == []
