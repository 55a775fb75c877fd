"""The operations a trend property applies through the API (bid writes, perceptions,
deletions, changes of calendar and weights, reads), the world they are expected to
leave, and the checks of what the API reads back against the reference."""

import itertools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncConnection

from models import figures
from models.vocabulary import STYLES_BY_RESPONSE, BidKind, Response
from tests.factories import Couple, Person
from tests.trends.instants import EARLIEST, SHOWN_IN, ZONES, When, instants, rfc3339
from tests.trends.reference import (
    RESPONSES,
    WEEK_FIELDS,
    Calendar,
    RawBid,
    first_day_of_week,
    local_week,
    raw_bids,
    reference_bank,
    reference_rate_4w,
    reference_weeks,
)


@dataclass(frozen=True)
class Create:
    by: int  # 0: the first partner, 1: the second
    for_other: bool  # the bidder is the other partner
    occurred_at: When
    shown_in: str
    kind: str
    repair: bool
    view: tuple[str | None, str | None]  # the caller's response and style
    # The other partner's view, sent at once with the perception endpoint (or not).
    other_view: tuple[str | None, str | None] | None = None


@dataclass(frozen=True)
class Replay:
    """The same create again (the same id and body, by the same partner)."""

    pick: int


@dataclass(frozen=True)
class Patch:
    pick: int
    occurred_at: When | None
    shown_in: str
    repair: bool | None


@dataclass(frozen=True)
class Perceive:
    pick: int
    by: int
    view: tuple[str | None, str | None]


@dataclass(frozen=True)
class Delete:
    pick: int


@dataclass(frozen=True)
class NotYours:
    """The partner who did not log a bid tries to change or delete it: 403."""

    pick: int
    delete: bool


@dataclass(frozen=True)
class ChangeCalendar:
    by: int
    timezone: str | None
    week_starts: str | None


@dataclass(frozen=True)
class Reweigh:
    by: int
    toward: int | None
    away: int | None
    against: int | None


@dataclass(frozen=True)
class Look:
    """Read a window ending today (and the bank account) between two writes, and
    check it at once: a figure remembered from an earlier read must not outlive a
    write, and one read twice must not change."""

    weeks: int


Operation = Create | Replay | Patch | Perceive | Delete | NotYours | ChangeCalendar | Reweigh | Look


def _view_of(response: str) -> st.SearchStrategy[tuple[str | None, str | None]]:
    styles = sorted(style.value for style in STYLES_BY_RESPONSE[Response(response)])
    return st.tuples(st.just(response), st.none() | st.sampled_from(styles))


views = st.one_of(st.sampled_from(RESPONSES).flatmap(_view_of), st.just((None, None)))
partners_index = st.integers(0, 1)
picks = st.integers(0, 1_000)
creates = st.builds(
    Create,
    by=partners_index,
    for_other=st.booleans(),
    occurred_at=instants(),
    shown_in=st.sampled_from(SHOWN_IN),
    kind=st.sampled_from([kind.value for kind in BidKind]),
    repair=st.booleans(),
    view=views,
    other_view=views | st.none(),
)
operations: st.SearchStrategy[Operation] = st.one_of(
    creates,
    creates,
    st.builds(Perceive, pick=picks, by=partners_index, view=views),
    st.builds(Perceive, pick=picks, by=partners_index, view=views),
    st.builds(
        Patch,
        pick=picks,
        occurred_at=st.none() | instants(),
        shown_in=st.sampled_from(SHOWN_IN),
        repair=st.none() | st.booleans(),
    ),
    st.builds(Delete, pick=picks),
    st.builds(Replay, pick=picks),
    st.builds(NotYours, pick=picks, delete=st.booleans()),
    st.builds(
        ChangeCalendar,
        by=partners_index,
        timezone=st.none() | st.sampled_from(ZONES),
        week_starts=st.none() | st.sampled_from(("monday", "sunday")),
    ),
    st.builds(
        Reweigh,
        by=partners_index,
        toward=st.none() | st.integers(1, 20),
        away=st.none() | st.integers(-20, -1),
        against=st.none() | st.integers(-20, -1),
    ),
    st.builds(Look, weeks=st.sampled_from((104, 12, 1))),
    st.builds(Look, weeks=st.sampled_from((104, 12, 1))),
)


@dataclass
class Tracked:
    """What the test expects a bid to be, from the requests it made."""

    id: str
    logged_by: int
    bidder: int
    body: dict[str, Any]
    occurred_at: datetime
    repair: bool
    views: dict[int, str | None]
    deleted: bool = False


@dataclass
class World:
    couple: Couple
    calendar: Calendar
    conn: AsyncConnection
    weights: dict[str, int] = field(
        default_factory=lambda: {"toward": 1, "away": -5, "against": -5}
    )
    bids: list[Tracked] = field(default_factory=list)

    @property
    def people(self) -> tuple[Person, Person]:
        assert self.couple.second is not None
        return self.couple.first, self.couple.second

    @property
    def partner_ids(self) -> list[str]:
        return [person.id for person in self.people]

    def live(self) -> list[Tracked]:
        return [bid for bid in self.bids if not bid.deleted]

    def pick_live(self, pick: int) -> Tracked | None:
        live = self.live()
        return live[pick % len(live)] if live else None


def _view_body(view: tuple[str | None, str | None]) -> dict[str, Any]:
    response, style = view
    body: dict[str, Any] = {"response": response}
    if style is not None:
        body["style"] = style
    return body


async def apply(client: httpx.AsyncClient, world: World, operation: Operation) -> None:
    people = world.people
    couple = world.couple
    if isinstance(operation, Create):
        caller = operation.by
        bidder = 1 - caller if operation.for_other else caller
        occurred_at = operation.occurred_at.resolve(world.calendar)
        body: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "occurred_at": rfc3339(occurred_at, operation.shown_in),
            "kind": operation.kind,
        }
        if operation.for_other or bidder == 1:
            body["bidder_id"] = people[bidder].id
        if operation.repair:
            body["repair"] = True
        if operation.view[0] is not None:
            body.update(_view_body(operation.view))
        created = await client.post(couple.bids, json=body, headers=people[caller].headers)
        assert created.status_code == 201, created.text
        bid = created.json()
        assert bid["bidder_id"] == people[bidder].id
        assert bid["responder_id"] == people[1 - bidder].id
        assert bid["logged_by"] == people[caller].id
        world.bids.append(
            Tracked(
                id=body["id"],
                logged_by=caller,
                bidder=bidder,
                body=body,
                occurred_at=occurred_at,
                repair=operation.repair,
                views={caller: operation.view[0], 1 - caller: None},
            )
        )
        if operation.other_view is not None:
            await apply(
                client, world, Perceive(len(world.live()) - 1, 1 - caller, operation.other_view)
            )
    elif isinstance(operation, Replay):
        if not world.bids:
            return
        tracked = world.bids[operation.pick % len(world.bids)]
        again = await client.post(
            couple.bids, json=tracked.body, headers=people[tracked.logged_by].headers
        )
        # A replay of a live bid gives the stored bid; a deleted id stays taken.
        assert again.status_code == (409 if tracked.deleted else 200), again.text
    elif isinstance(operation, Patch):
        target = world.pick_live(operation.pick)
        if target is None:
            return
        body = {}
        moved = (
            None if operation.occurred_at is None else operation.occurred_at.resolve(world.calendar)
        )
        if moved is not None:
            body["occurred_at"] = rfc3339(moved, operation.shown_in)
        if operation.repair is not None:
            body["repair"] = operation.repair
        patched = await client.patch(
            f"{couple.bids}/{target.id}", json=body, headers=people[target.logged_by].headers
        )
        assert patched.status_code == 200, patched.text
        if moved is not None:
            target.occurred_at = moved
        if operation.repair is not None:
            target.repair = operation.repair
    elif isinstance(operation, Perceive):
        target = world.pick_live(operation.pick)
        if target is None:
            return
        put = await client.put(
            f"{couple.bids}/{target.id}/perception",
            json=_view_body(operation.view),
            headers=people[operation.by].headers,
        )
        assert put.status_code == 200, put.text
        target.views[operation.by] = operation.view[0]
    elif isinstance(operation, Delete):
        target = world.pick_live(operation.pick)
        if target is None:
            return
        deleted = await client.delete(
            f"{couple.bids}/{target.id}", headers=people[target.logged_by].headers
        )
        assert deleted.status_code == 204, deleted.text
        target.deleted = True
    elif isinstance(operation, NotYours):
        target = world.pick_live(operation.pick)
        if target is None:
            return
        other = people[1 - target.logged_by]
        if operation.delete:
            refused = await client.delete(f"{couple.bids}/{target.id}", headers=other.headers)
        else:
            refused = await client.patch(
                f"{couple.bids}/{target.id}",
                json={"repair": not target.repair, "occurred_at": rfc3339(EARLIEST, "Z")},
                headers=other.headers,
            )
        assert refused.status_code == 403, refused.text
    elif isinstance(operation, ChangeCalendar):
        body = {}
        if operation.timezone is not None:
            body["timezone"] = operation.timezone
        if operation.week_starts is not None:
            body["week_starts"] = operation.week_starts
        changed = await client.patch(couple.path, json=body, headers=people[operation.by].headers)
        assert changed.status_code == 200, changed.text
        world.calendar = Calendar(
            operation.timezone or world.calendar.timezone,
            operation.week_starts or world.calendar.week_starts,
        )
        assert (changed.json()["timezone"], changed.json()["week_starts"]) == (
            world.calendar.timezone,
            world.calendar.week_starts,
        )
    elif isinstance(operation, Reweigh):
        given_weights = {
            name: value
            for name, value in (
                ("toward", operation.toward),
                ("away", operation.away),
                ("against", operation.against),
            )
            if value is not None
        }
        changed = await client.patch(
            couple.path, json={"weights": given_weights}, headers=people[operation.by].headers
        )
        assert changed.status_code == 200, changed.text
        world.weights = {**world.weights, **given_weights}
        assert changed.json()["weights"] == world.weights
    elif isinstance(operation, Look):
        rows = await raw_bids(world.conn, couple.id)
        check_rows_match_requests(world, rows)
        today = local_today(world.calendar)
        body = await weekly(client, world, operation.weeks, today)
        check_window(body, world, rows, operation.weeks, today)
        await check_bank_account(client, world, rows)


def check_rows_match_requests(world: World, rows: Sequence[RawBid]) -> None:
    """The raw rows are what the requests wrote (so the recount starts from the truth)."""
    by_id = {row.id: row for row in rows}
    assert set(by_id) == {bid.id for bid in world.bids}
    ids = world.partner_ids
    for bid in world.bids:
        row = by_id[bid.id]
        assert row.deleted == bid.deleted
        assert (row.bidder_id, row.responder_id) == (ids[bid.bidder], ids[1 - bid.bidder])
        assert row.occurred_at == bid.occurred_at
        if not bid.deleted:
            assert row.repair == bid.repair
            assert (row.bidder_response, row.responder_response) == (
                bid.views[bid.bidder],
                bid.views[1 - bid.bidder],
            )


async def weekly(
    client: httpx.AsyncClient, world: World, weeks: int, end: date | None
) -> dict[str, Any]:
    params: dict[str, Any] = {"weeks": weeks}
    if end is not None:
        params["end"] = end.isoformat()
    response = await client.get(
        f"{world.couple.path}/trends/weekly", params=params, headers=world.people[0].headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def check_window(
    body: dict[str, Any],
    world: World,
    rows: Sequence[RawBid],
    weeks: int,
    end: date,
) -> None:
    calendar = world.calendar
    assert body["couple_id"] == world.couple.id
    assert (body["timezone"], body["week_starts"]) == (calendar.timezone, calendar.week_starts)
    assert body["weights"] == world.weights

    # Every week present, consecutive, oldest first, on the couple's first weekday, the
    # last holding `end`.
    starts = [date.fromisoformat(week["week_start"]) for week in body["weeks"]]
    assert len(starts) == weeks
    first_weekday = {"monday": 0, "sunday": 6}[calendar.week_starts]
    assert all(start.weekday() == first_weekday for start in starts)
    assert all(
        later - earlier == timedelta(days=7) for earlier, later in itertools.pairwise(starts)
    )
    assert starts[-1] <= end < starts[-1] + timedelta(days=7)

    expected = reference_weeks(rows, calendar, world.weights, world.partner_ids, end, weeks)
    for got, want in zip(body["weeks"], expected, strict=True):
        assert set(got) == WEEK_FIELDS, sorted(got)
        assert got == want, f"week of {want['week_start']}"

    summary = body["summary"]
    assert summary["turn_toward_rate_4w"] == reference_rate_4w(rows, calendar, end)
    # Too few answered bids for a direction: the rules answer "steady", not a guess.
    answered_weeks = [week["bids"] - week["pending"] for week in expected]
    if (
        sum(answered_weeks) < figures.DIRECTION_MIN_ANSWERED
        or sum(1 for answered in answered_weeks if answered) < figures.DIRECTION_MIN_WEEKS
    ):
        assert summary["direction"] == "steady"
        assert summary.get("turn_toward_change") is None


def local_today(calendar: Calendar) -> date:
    return datetime.now(UTC).astimezone(ZoneInfo(calendar.timezone)).date()


async def check_every_window(
    client: httpx.AsyncClient, world: World, rows: Sequence[RawBid], data: st.DataObject
) -> None:
    calendar = world.calendar
    live_weeks = sorted({local_week(row.occurred_at, calendar) for row in rows if not row.deleted})
    today_week = first_day_of_week(local_today(calendar), calendar.week_starts)

    # Windows of up to 104 weeks, back to back, that together hold every live bid.
    if live_weeks:
        last = live_weeks[-1] + timedelta(weeks=data.draw(st.integers(0, 2), label="after"))
        while True:
            span = (last - live_weeks[0]).days // 7 + 1
            weeks = min(104, span + data.draw(st.integers(0, 2), label="extra weeks"))
            end = last + timedelta(days=data.draw(st.integers(0, 6), label="day of end"))
            check_window(await weekly(client, world, weeks, end), world, rows, weeks, end)
            first = last - timedelta(weeks=weeks - 1)
            if first <= live_weeks[0]:
                break
            last = first - timedelta(weeks=1)

        # A window that starts after some bids: its balance carries theirs.
        pivot = data.draw(st.sampled_from(live_weeks), label="last week before the window")
        first = pivot + timedelta(weeks=data.draw(st.integers(1, 3), label="gap"))
        weeks = data.draw(st.integers(1, 104), label="weeks after the pivot")
        end = first + timedelta(weeks=weeks - 1, days=data.draw(st.integers(0, 6)))
        check_window(await weekly(client, world, weeks, end), world, rows, weeks, end)

    # Any window at all, in the years the bids span or just beyond.
    end = EARLIEST.date() + timedelta(
        days=data.draw(st.integers(-30, (today_week - EARLIEST.date()).days + 30), label="end")
    )
    weeks = data.draw(st.integers(1, 104), label="weeks")
    check_window(await weekly(client, world, weeks, end), world, rows, weeks, end)

    # The default end: today in the couple's time zone (unless midnight passed meanwhile).
    weeks = data.draw(st.integers(1, 104), label="weeks to today")
    before = local_today(calendar)
    body = await weekly(client, world, weeks, None)
    if local_today(calendar) == before:
        check_window(body, world, rows, weeks, before)


async def check_bank_account(
    client: httpx.AsyncClient, world: World, rows: Sequence[RawBid]
) -> None:
    response = await client.get(
        f"{world.couple.path}/bank-account", headers=world.people[1].headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    as_of = datetime.fromisoformat(body["as_of"])
    expected = reference_bank(rows, world.weights, as_of)
    assert {name: body[name] for name in expected} == expected
    assert body["balance"] == body["deposits"] - body["withdrawals"]
