"""A phone's copy of a couple, kept by the changes feed, and calls to the feed."""

from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.factories import Couple, Person

KINDS = ("bids", "checkins", "activities")
TYPE_OF = {"bid": "bids", "checkin": "checkins", "activity": "activities"}


def changes_of(couple: Couple) -> str:
    return f"{couple.path}/changes"


async def page(
    client: httpx.AsyncClient, couple: Couple, person: Person, **params: Any
) -> dict[str, Any]:
    params = {name: value for name, value in params.items() if value is not None}
    response = await client.get(changes_of(couple), params=params, headers=person.headers)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


@dataclass
class Replica:
    """What one partner's phone holds: every item by id, as the feed last gave it."""

    items: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=lambda: {kind: {} for kind in KINDS}
    )
    couple: dict[str, Any] | None = None
    cursor: str | None = None
    # The partner whose phone this is: the reveal rule's one client-side step.
    viewer_id: str | None = None
    # Every (type, id, updated_at) handed out, to find one handed out twice.
    received: list[tuple[str, str, str]] = field(default_factory=list)

    def apply(self, answer: dict[str, Any]) -> None:
        if answer["couple"] is not None:
            self.couple = answer["couple"]
        for kind in KINDS:
            for item in answer[kind]:
                self.items[kind][item["id"]] = item
                self.received.append((kind, item["id"], item["updated_at"]))
        for gone in answer["deleted"]:
            dropped = self.items[TYPE_OF[gone["type"]]].pop(gone["id"], None)
            self.received.append((TYPE_OF[gone["type"]], gone["id"], "deleted"))
            if gone["type"] == "checkin" and dropped and dropped["partner_id"] == self.viewer_id:
                # One's own check-in gone takes the partner's of that date with it.
                checkins = self.items["checkins"]
                for held in [item for item in checkins.values() if item["date"] == dropped["date"]]:
                    checkins.pop(held["id"])
        self.cursor = answer["next_cursor"]

    async def pull(
        self, client: httpx.AsyncClient, couple: Couple, person: Person, limit: int = 200
    ) -> int:
        """Follow the feed until it has no more; the number of pages read."""
        pages = 0
        while True:
            answer = await page(client, couple, person, cursor=self.cursor, limit=limit)
            self.apply(answer)
            pages += 1
            if not answer["has_more"]:
                return pages

    def ids(self, kind: str) -> set[str]:
        return set(self.items[kind])


def count(answer: dict[str, Any]) -> int:
    """Items on a page, the couple and tombstones included."""
    return (
        sum(len(answer[kind]) for kind in KINDS)
        + len(answer["deleted"])
        + (answer["couple"] is not None)
    )
