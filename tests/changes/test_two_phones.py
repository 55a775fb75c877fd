"""Two partners' phones, each talking to a server process of its own: both go offline,
log, edit and delete, come back, push what they did and pull what the other did.
Afterwards each holds exactly what the server gives that partner, nothing lost and
nothing twice."""

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from tests.activities.helpers import second
from tests.changes.helpers import Replica
from tests.factories import Couple, Person, make_couple
from tests.live import serving

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@dataclass
class Phone:
    """One partner's app: what it pulled, and what it did while offline, to send."""

    http: httpx.AsyncClient
    couple: Couple
    person: Person
    chooser: random.Random
    held: Replica = field(default_factory=Replica)
    bids: list[dict[str, Any]] = field(default_factory=list)
    activities: list[dict[str, Any]] = field(default_factory=list)
    # Offline changes of items the server has: (path, method, body, the version held).
    changes: list[tuple[str, str, dict[str, Any] | None, dict[str, Any]]] = field(
        default_factory=list
    )
    logged: set[str] = field(default_factory=set)
    gone: set[str] = field(default_factory=set)
    # Changes refused with 412 (the partner changed the item meanwhile) and made again.
    stale: int = 0

    async def pull(self) -> None:
        await self.held.pull(self.http, self.couple, self.person, limit=25)

    def _mine(self, kind: str) -> list[dict[str, Any]]:
        return [
            item
            for item in self.held.items[kind].values()
            if item["logged_by"] == self.person.id and item["id"] not in self.gone
        ]

    def go_offline_and_use(self, rounds: int) -> None:
        """What a partner does with no signal: each change is kept to send later."""
        for step in range(rounds):
            moment = T0 + timedelta(hours=step, minutes=self.chooser.randrange(60))
            action = self.chooser.choice(["bid"] * 5 + ["activity", "edit", "delete", "perceive"])
            mine = self._mine("bids")
            theirs = [
                bid
                for bid in self.held.items["bids"].values()
                if bid["logged_by"] != self.person.id
            ]
            if action == "edit" and mine:
                bid = self.chooser.choice(mine)
                path = f"{self.couple.bids}/{bid['id']}"
                self.changes.append((path, "PATCH", {"note": f"edited {step}"}, bid))
            elif action == "delete" and mine:
                bid = self.chooser.choice(mine)
                self.gone.add(bid["id"])
                self.changes.append((f"{self.couple.bids}/{bid['id']}", "DELETE", None, bid))
            elif action == "perceive" and theirs:
                bid = self.chooser.choice(theirs)
                response = self.chooser.choice(["toward", "away", "against"])
                path = f"{self.couple.bids}/{bid['id']}/perception"
                self.changes.append((path, "PUT", {"response": response}, bid))
            elif action == "activity":
                activity = {
                    "id": str(uuid.uuid4()),
                    "kind": "date_night",
                    "occurred_at": moment.isoformat(),
                    "duration_minutes": self.chooser.randint(10, 180),
                }
                self.activities.append(activity)
                self.logged.add(activity["id"])
            else:
                bid = {
                    "id": str(uuid.uuid4()),
                    "kind": self.chooser.choice(["humor", "attention", "support"]),
                    "occurred_at": moment.isoformat(),
                    "note": f"logged offline {step}",
                    "private": self.chooser.random() < 0.2,
                    "response": self.chooser.choice([None, "toward", "away"]),
                }
                self.bids.append({name: value for name, value in bid.items() if value is not None})
                self.logged.add(bid["id"])

    async def come_back(self) -> None:
        """Push what was logged (twice: the first answer is lost on the way), then the
        changes, each against the version held; a 412 means the partner changed it
        meanwhile (a perception): pull, and apply the change to what is there now."""
        for _ in range(2):
            if self.bids:
                pushed = await self.http.post(
                    f"{self.couple.bids}:batch",
                    json={"items": self.bids},
                    headers=self.person.headers,
                )
                assert pushed.status_code in (200, 201), pushed.text
            if self.activities:
                pushed = await self.http.post(
                    f"{self.couple.path}/activities:batch",
                    json={"items": self.activities},
                    headers=self.person.headers,
                )
                assert pushed.status_code in (200, 201), pushed.text
        for path, method, body, held in self.changes:
            tag = await self._tag_of(held)
            answer = await self.http.request(
                method, path, json=body, headers={**self.person.headers, "If-Match": tag}
            )
            if answer.status_code == 412:
                self.stale += 1
                await self.pull()
                answer = await self.http.request(
                    method, path, json=body, headers=self.person.headers
                )
            assert answer.status_code in (200, 204, 404), (method, path, answer.text)
        self.bids, self.activities, self.changes = [], [], []
        await self.pull()

    async def _tag_of(self, held: dict[str, Any]) -> str:
        """The ETag of the version the phone held, as it would have kept it."""
        found = await self.http.get(f"{self.couple.bids}/{held['id']}", headers=self.person.headers)
        if found.status_code == 200 and found.json() == self.held.items["bids"].get(held["id"]):
            return found.headers["etag"]
        return '"stale"'


async def _server_state(http: httpx.AsyncClient, couple: Couple, person: Person) -> Replica:
    fresh = Replica()
    await fresh.pull(http, couple, person)
    return fresh


async def _listed_bid_ids(http: httpx.AsyncClient, couple: Couple, person: Person) -> set[str]:
    ids: set[str] = set()
    cursor = None
    while True:
        params = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        page = (await http.get(couple.bids, params=params, headers=person.headers)).json()
        ids |= {bid["id"] for bid in page["items"]}
        cursor = page["next_cursor"]
        if cursor is None:
            return ids


async def test_two_phones_offline_and_back_hold_the_servers_state(
    database_url: str, tmp_path: Path
) -> None:
    with serving(database_url, tmp_path) as one, serving(database_url, tmp_path) as other:
        async with (
            httpx.AsyncClient(base_url=one.url, timeout=30) as to_one,
            httpx.AsyncClient(base_url=other.url, timeout=30) as to_other,
        ):
            couple = await make_couple(to_one)
            ana = Phone(to_one, couple, couple.first, random.Random(1))
            ben = Phone(to_other, couple, second(couple), random.Random(2))
            for day in range(3):
                for phone in (ana, ben):
                    await phone.pull()
                    phone.go_offline_and_use(rounds=40)
                await ana.come_back()
                await ben.come_back()
                await ana.pull()
                await to_one.put(
                    f"{couple.path}/checkins/2026-03-0{day + 2}",
                    json={"connection": 6, "stress": 4},
                    headers=couple.first.headers,
                )

            for phone, http in ((ana, to_one), (ben, to_other)):
                await phone.pull()
                server = await _server_state(http, couple, phone.person)
                assert phone.held.items == server.items
                assert phone.held.couple == server.couple
                assert phone.held.ids("bids") == await _listed_bid_ids(http, couple, phone.person)
                # Nothing lost, nothing twice: each logged item is there once, or gone
                # because its phone deleted it.
                held = phone.held.ids("bids") | phone.held.ids("activities")
                assert (ana.logged | ben.logged) - (ana.gone | ben.gone) == held
                assert ana.gone | ben.gone
            assert ana.stale + ben.stale > 0
            # Private notes stay their logger's.
            for bid in ben.held.items["bids"].values():
                if bid["private"] and bid["logged_by"] == ana.person.id:
                    assert bid["note"] is None
            assert len(ana.held.items["checkins"]) == 3
            assert ben.held.items["checkins"] == {}
