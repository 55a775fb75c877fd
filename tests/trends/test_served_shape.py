"""The weekly figures are built without validation (api/trends/service.py): what is
served must still be exactly what the response model documents."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import httpx

from models.trend import BankAccount, WeeklyTrends
from tests.factories import Couple


async def test_served_trends_are_exactly_the_documented_model(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    assert couple.second is not None
    now = datetime.now(UTC)
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
        parsed = model.model_validate_json(served.content, strict=False)
        # Nothing left out by the model, nothing it adds: the same document again.
        assert json.loads(parsed.model_dump_json()) == served.json()
