"""The weekly figures are built without validation (api/trends/service.py): what is
served must still be exactly what the response model documents."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from models import metadata
from models.trend import BankAccount, WeeklyTrends
from models.vocabulary import SIGNS, signs_to_bits
from tests.factories import Couple


async def test_served_trends_are_exactly_the_documented_model(
    client: httpx.AsyncClient, couple: Couple, conn: AsyncConnection
) -> None:
    assert couple.second is not None
    now = datetime.now(UTC)
    # A check-in and an activity in the window, written as the rollup triggers see any.
    await conn.execute(
        sa.insert(metadata.tables["checkins"]).values(
            id=uuid.uuid4(),
            couple_id=uuid.UUID(couple.id),
            partner_id=uuid.UUID(couple.first.id),  # who reads below
            local_date=(now - timedelta(days=2)).date(),
            connection=4,
            stress=9,
            signs=signs_to_bits(SIGNS[:3]),
            private=True,
            version=1,
            created_at=now,
            updated_at=now,
        )
    )
    await conn.execute(
        sa.insert(metadata.tables["activities"]).values(
            id=uuid.uuid4(),
            couple_id=uuid.UUID(couple.id),
            logged_by=uuid.UUID(couple.first.id),
            kind="shared_activity",
            occurred_at=now - timedelta(days=8),
            duration_minutes=None,
            version=1,
            request_digest="0" * 64,
            created_at=now,
            updated_at=now,
        )
    )
    for days, who, response in ((1, couple.first, "toward"), (9, couple.second, "against")):
        created = await client.post(
            couple.bids,
            json={
                "id": str(uuid.uuid4()),
                "kind": "humor",
                "occurred_at": (now - timedelta(days=days)).isoformat(),
                "response": response,
            },
            headers=who.headers,
        )
        assert created.status_code == 201, created.text
    for path, model in (("/trends/weekly", WeeklyTrends), ("/bank-account", BankAccount)):
        served = await client.get(
            couple.path + path,
            params={"weeks": 3} if model is WeeklyTrends else None,
            headers=couple.first.headers,
        )
        assert served.status_code == 200, served.text
        if model is WeeklyTrends:
            weeks = served.json()["weeks"]
            assert sum(week["checkins"]["count"] for week in weeks) == 1
            assert sum(week["activities"]["count"] for week in weeks) == 1
        parsed = model.model_validate_json(served.content, strict=False)
        # Nothing left out by the model, nothing it adds: the same document again.
        assert json.loads(parsed.model_dump_json()) == served.json()
