"""The operations a trend property applies (bid writes, perceptions, deletions, changes
of calendar and weights and reads through the API; check-ins and shared activities,
their replacements, edits and deletions written straight into their tables, where the
database's triggers count them as they count the API's writes), the world they are
expected to leave, and the checks of what the API reads back against the reference."""

import itertools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import sqlalchemy as sa
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncConnection

from models import figures, metadata
from models.activity import MAX_MINUTES, Activity
from models.checkin import SCALE_MAX, SCALE_MIN, Checkin
from models.vocabulary import (
    SIGNS,
    STYLES_BY_RESPONSE,
    ActivityKind,
    BidKind,
    DistancingSign,
    Response,
    signs_to_bits,
)
from tests.factories import Couple, Person
from tests.therapists.helpers import grant_both, new_therapist, trends_of
from tests.trends.instants import EARLIEST, SHOWN_IN, ZONES, When, instants, rfc3339
from tests.trends.reference import (
    RESPONSES,
    WEEK_FIELDS,
    Calendar,
    Raw,
    RawBid,
    checkin_week,
    first_day_of_week,
    local_week,
    raw_rows,
    reference_bank,
    reference_rate_4w,
    reference_weeks,
)
from tests.trends.rules import NEW_FLAGS, expected_flags

_CHECKINS: sa.Table = Checkin.__table__  # type: ignore[attr-defined]
_ACTIVITIES: sa.Table = Activity.__table__  # type: ignore[attr-defined]


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
    # Who reads: a partner (each counts the check-ins they may see) or the therapist.
    by: int = 0


@dataclass(frozen=True)
class Day:
    """A check-in's local date, resolved when it is written, against the couple's
    calendar of that moment: the local date of an instant (by an offset change or a
    week boundary, mostly), moved by whole days; never after the couple's tomorrow,
    as the API allows."""

    near: When
    days: int

    def resolve(self, calendar: Calendar) -> date:
        local = self.near.resolve(calendar).astimezone(ZoneInfo(calendar.timezone)).date()
        return min(local + timedelta(days=self.days), local_today(calendar) + timedelta(days=1))


@dataclass(frozen=True)
class CheckIn:
    """A partner's check-in for a date: a new row, or, when that partner has one for the
    date already (live or deleted), its replacement in place."""

    by: int
    day: Day | date
    connection: int
    stress: int
    signs: tuple[DistancingSign, ...]
    private: bool


@dataclass(frozen=True)
class CheckInAgain:
    """A check-in already written (live or deleted), put again with new values."""

    pick: int
    connection: int
    stress: int
    signs: tuple[DistancingSign, ...]


@dataclass(frozen=True)
class CheckInToo:
    """The other partner checks in for the date of a check-in already written: from
    then on, each partner counts the other's check-in for that date."""

    pick: int
    connection: int
    stress: int
    signs: tuple[DistancingSign, ...]


@dataclass(frozen=True)
class Uncheck:
    """A live check-in deleted (a tombstone)."""

    pick: int


@dataclass(frozen=True)
class LogActivity:
    by: int
    occurred_at: When
    kind: str
    minutes: int | None


@dataclass(frozen=True)
class Nudge:
    """A new time for an activity from its current one: snapped to the boundary of
    its local week or its zone's offset change nearest it (or not), then shifted."""

    snap: str
    shift: timedelta


@dataclass(frozen=True)
class EditActivity:
    pick: int
    occurred_at: When | Nudge | None
    kind: str | None
    minutes: tuple[int | None] | None  # a new duration (None: cleared), or unchanged


@dataclass(frozen=True)
class DeleteActivity:
    pick: int


Operation = (
    Create
    | Replay
    | Patch
    | Perceive
    | Delete
    | NotYours
    | ChangeCalendar
    | Reweigh
    | Look
    | CheckIn
    | CheckInAgain
    | CheckInToo
    | Uncheck
    | LogActivity
    | EditActivity
    | DeleteActivity
)


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
scale = st.integers(SCALE_MIN, SCALE_MAX)
signs = st.one_of(
    st.just(()),
    st.sets(st.sampled_from(SIGNS), max_size=4),
    st.sets(st.sampled_from(SIGNS)),
).map(lambda noticed: tuple(sorted(noticed, key=SIGNS.index)))
# Mostly the day of an instant next to a week boundary or an offset change, or the
# days just around it.
days = st.builds(
    Day, near=instants(), days=st.sampled_from((0, 0, 0, -1, 1, 6, -7)) | st.integers(-10, 10)
)
check_ins = st.builds(
    CheckIn,
    by=partners_index,
    day=days,
    connection=scale,
    stress=scale,
    signs=signs,
    private=st.booleans(),
)
check_ins_too = st.builds(CheckInToo, pick=picks, connection=scale, stress=scale, signs=signs)
durations = st.none() | st.sampled_from((1, MAX_MINUTES)) | st.integers(1, MAX_MINUTES)
kinds = st.sampled_from([kind.value for kind in ActivityKind])
activities = st.builds(
    LogActivity, by=partners_index, occurred_at=instants(), kind=kinds, minutes=durations
)
nudges = st.builds(
    Nudge,
    snap=st.sampled_from(("week", "week", "change", "anchor")),
    shift=st.sampled_from((0, -1, 1, -3600, 3600, 86400 * 7, -86400 * 7)).map(
        lambda seconds: timedelta(seconds=seconds)
    ),
)
habits: st.SearchStrategy[Operation] = st.one_of(
    check_ins,
    check_ins,
    st.builds(CheckInAgain, pick=picks, connection=scale, stress=scale, signs=signs),
    check_ins_too,
    st.builds(Uncheck, pick=picks),
    activities,
    activities,
    st.builds(
        EditActivity,
        pick=picks,
        occurred_at=st.none() | nudges | instants(),
        kind=st.none() | kinds,
        minutes=st.none() | st.tuples(durations),
    ),
    st.builds(DeleteActivity, pick=picks),
)
operations: st.SearchStrategy[Operation] = st.one_of(
    creates,
    creates,
    habits,
    habits,
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
    st.builds(Look, weeks=st.sampled_from((104, 12, 1)), by=st.integers(0, 2)),
    st.builds(Look, weeks=st.sampled_from((104, 12, 1)), by=st.integers(0, 2)),
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
class TrackedCheckin:
    id: str
    by: int
    local_date: date
    connection: int
    stress: int
    signs: tuple[DistancingSign, ...]
    private: bool
    deleted: bool = False


@dataclass
class TrackedActivity:
    id: str
    by: int
    kind: str
    occurred_at: datetime
    minutes: int | None
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
    checkins: list[TrackedCheckin] = field(default_factory=list)
    activities: list[TrackedActivity] = field(default_factory=list)
    # A therapist both partners granted, who reads the couple's trends as reader 2.
    therapist: Person | None = None
    # Replacements and deletions written, for the properties' statistics.
    rewritten_checkins: int = 0
    rewritten_activities: int = 0

    @property
    def people(self) -> tuple[Person, Person]:
        assert self.couple.second is not None
        return self.couple.first, self.couple.second

    @property
    def partner_ids(self) -> list[str]:
        return [person.id for person in self.people]

    @property
    def readers(self) -> tuple[int, ...]:
        """Who may read the trends: the partners, and the therapist if there is one."""
        return (0, 1, 2) if self.therapist is not None else (0, 1)

    def viewer(self, reader: int) -> str | None:
        """Whose check-ins a reader counts by the reveal rule: a partner's id; None for
        the therapist, who counts every one."""
        return None if reader == 2 else self.partner_ids[reader]

    def live(self) -> list[Tracked]:
        return [bid for bid in self.bids if not bid.deleted]

    def pick_live(self, pick: int) -> Tracked | None:
        live = self.live()
        return live[pick % len(live)] if live else None

    def live_checkins(self) -> list[TrackedCheckin]:
        return [checkin for checkin in self.checkins if not checkin.deleted]

    def live_activities(self) -> list[TrackedActivity]:
        return [activity for activity in self.activities if not activity.deleted]


async def add_therapist(client: httpx.AsyncClient, world: World) -> None:
    world.therapist = await new_therapist(client)
    await grant_both(client, world.couple, world.therapist)


def _view_body(view: tuple[str | None, str | None]) -> dict[str, Any]:
    response, style = view
    body: dict[str, Any] = {"response": response}
    if style is not None:
        body["style"] = style
    return body


async def apply(client: httpx.AsyncClient, world: World, operation: Operation) -> None:
    people = world.people
    couple = world.couple
    if isinstance(operation, CheckInToo):
        if world.checkins:
            paired = world.checkins[operation.pick % len(world.checkins)]
            await _apply_checkin(
                world,
                CheckIn(
                    1 - paired.by,
                    paired.local_date,
                    operation.connection,
                    operation.stress,
                    operation.signs,
                    private=False,
                ),
            )
    elif isinstance(operation, CheckIn | CheckInAgain | Uncheck):
        await _apply_checkin(world, operation)
    elif isinstance(operation, LogActivity | EditActivity | DeleteActivity):
        await _apply_activity(world, operation)
    elif isinstance(operation, Create):
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
        raw = await raw_rows(world.conn, couple.id)
        check_rows_match_requests(world, raw)
        today = local_today(world.calendar)
        reader = operation.by if operation.by in world.readers else 0
        body = await weekly(client, world, operation.weeks, today, reader)
        check_window(body, world, raw, operation.weeks, today, reader)
        await check_bank_account(client, world, raw.bids)


def _now() -> datetime:
    return datetime.now(UTC)


async def _apply_checkin(world: World, operation: CheckIn | CheckInAgain | Uncheck) -> None:
    """As the API writes check-ins: a put of a date that partner has a row for (even a
    tombstone) replaces that row and bumps its version; a delete leaves a tombstone."""
    table, now = _CHECKINS, _now()
    if isinstance(operation, CheckIn):
        day = operation.day
        on = day.resolve(world.calendar) if isinstance(day, Day) else day
        target = next(
            (c for c in world.checkins if (c.by, c.local_date) == (operation.by, on)), None
        )
        if target is None:
            target = TrackedCheckin(
                id=str(uuid.uuid4()),
                by=operation.by,
                local_date=on,
                connection=operation.connection,
                stress=operation.stress,
                signs=operation.signs,
                private=operation.private,
            )
            await world.conn.execute(
                sa.insert(table).values(
                    id=uuid.UUID(target.id),
                    couple_id=uuid.UUID(world.couple.id),
                    partner_id=uuid.UUID(world.people[operation.by].id),
                    local_date=on,
                    connection=target.connection,
                    stress=target.stress,
                    signs=signs_to_bits(target.signs),
                    note=None,
                    private=target.private,
                    version=1,
                    created_at=now,
                    updated_at=now,
                    deleted_at=None,
                )
            )
            world.checkins.append(target)
            return
        values = (operation.connection, operation.stress, operation.signs, operation.private)
    elif isinstance(operation, CheckInAgain):
        if not world.checkins:
            return
        target = world.checkins[operation.pick % len(world.checkins)]
        values = (operation.connection, operation.stress, operation.signs, target.private)
    else:
        live = world.live_checkins()
        if not live:
            return
        target = live[operation.pick % len(live)]
        await world.conn.execute(
            sa.update(table)
            .where(table.c.id == uuid.UUID(target.id))
            .values(deleted_at=now, updated_at=now, version=table.c.version + 1)
        )
        target.deleted = True
        world.rewritten_checkins += 1
        return
    world.rewritten_checkins += 1
    target.connection, target.stress, target.signs, target.private = values
    target.deleted = False
    await world.conn.execute(
        sa.update(table)
        .where(table.c.id == uuid.UUID(target.id))
        .values(
            connection=target.connection,
            stress=target.stress,
            signs=signs_to_bits(target.signs),
            private=target.private,
            deleted_at=None,
            updated_at=now,
            version=table.c.version + 1,
        )
    )


async def _apply_activity(
    world: World, operation: LogActivity | EditActivity | DeleteActivity
) -> None:
    table, now = _ACTIVITIES, _now()
    if isinstance(operation, LogActivity):
        logged = TrackedActivity(
            id=str(uuid.uuid4()),
            by=operation.by,
            kind=operation.kind,
            occurred_at=operation.occurred_at.resolve(world.calendar),
            minutes=operation.minutes,
        )
        await world.conn.execute(
            sa.insert(table).values(
                id=uuid.UUID(logged.id),
                couple_id=uuid.UUID(world.couple.id),
                logged_by=uuid.UUID(world.people[operation.by].id),
                kind=logged.kind,
                occurred_at=logged.occurred_at,
                duration_minutes=logged.minutes,
                note=None,
                version=1,
                request_digest=uuid.uuid4().hex,
                created_at=now,
                updated_at=now,
                deleted_at=None,
            )
        )
        world.activities.append(logged)
        return
    live = world.live_activities()
    if not live:
        return
    target = live[operation.pick % len(live)]
    world.rewritten_activities += 1
    if isinstance(operation, DeleteActivity):
        await world.conn.execute(
            sa.update(table)
            .where(table.c.id == uuid.UUID(target.id))
            .values(deleted_at=now, updated_at=now, version=table.c.version + 1)
        )
        target.deleted = True
        return
    moved = operation.occurred_at
    if isinstance(moved, Nudge):
        target.occurred_at = When(target.occurred_at, moved.snap, moved.shift).resolve(
            world.calendar
        )
    elif moved is not None:
        target.occurred_at = moved.resolve(world.calendar)
    if operation.kind is not None:
        target.kind = operation.kind
    if operation.minutes is not None:
        target.minutes = operation.minutes[0]
    await world.conn.execute(
        sa.update(table)
        .where(table.c.id == uuid.UUID(target.id))
        .values(
            occurred_at=target.occurred_at,
            kind=target.kind,
            duration_minutes=target.minutes,
            updated_at=now,
            version=table.c.version + 1,
        )
    )


async def backdate(world: World, began_at: datetime) -> None:
    """Make the couple older than the test (`created_at`), as a couple that began long
    before its figures' window: the rule of `no-shared-time` looks at when it began.
    Before any read, so no figure computed from the old date is remembered."""
    couples = metadata.tables["couples"]
    await world.conn.execute(
        sa.update(couples)
        .where(couples.c.id == uuid.UUID(world.couple.id))
        .values(created_at=began_at)
    )


def check_rows_match_requests(world: World, raw: Raw) -> None:
    """The raw rows are what the requests wrote (so the recount starts from the truth)."""
    rows = raw.bids
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
    checkins = {row.id: row for row in raw.checkins}
    assert set(checkins) == {checkin.id for checkin in world.checkins}
    for checkin in world.checkins:
        stored = checkins[checkin.id]
        assert (stored.partner_id, stored.local_date, stored.deleted) == (
            ids[checkin.by],
            checkin.local_date,
            checkin.deleted,
        )
        assert (stored.connection, stored.stress, stored.private) == (
            checkin.connection,
            checkin.stress,
            checkin.private,
        )
        assert stored.noticed == [sign.value for sign in checkin.signs]
    activities = {row.id: row for row in raw.activities}
    assert set(activities) == {activity.id for activity in world.activities}
    for activity in world.activities:
        found = activities[activity.id]
        assert (found.logged_by, found.deleted) == (ids[activity.by], activity.deleted)
        assert (found.kind, found.occurred_at, found.minutes) == (
            activity.kind,
            activity.occurred_at,
            activity.minutes,
        )


async def weekly(
    client: httpx.AsyncClient, world: World, weeks: int, end: date | None, reader: int = 0
) -> dict[str, Any]:
    """The window as `reader` reads it: a partner (0, 1), or the therapist (2)."""
    params: dict[str, Any] = {"weeks": weeks}
    if end is not None:
        params["end"] = end.isoformat()
    if reader == 2:
        assert world.therapist is not None
        path, headers = trends_of(world.couple), world.therapist.headers
    else:
        path, headers = f"{world.couple.path}/trends/weekly", world.people[reader].headers
    response = await client.get(path, params=params, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def check_window(
    body: dict[str, Any],
    world: World,
    raw: Raw,
    weeks: int,
    end: date,
    reader: int = 0,
) -> None:
    """`body`, the window read by `reader`, is the recount's."""
    calendar = world.calendar
    viewer = world.viewer(reader)
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

    expected = reference_weeks(raw, calendar, world.weights, world.partner_ids, end, weeks, viewer)
    for got, want in zip(body["weeks"], expected, strict=True):
        assert set(got) == WEEK_FIELDS, sorted(got)
        assert got == want, f"week of {want['week_start']}"

    summary = body["summary"]
    assert summary["turn_toward_rate_4w"] == reference_rate_4w(raw.bids, calendar, end)
    check_new_flags(summary, raw, calendar, end, viewer)
    # Too few answered bids for a direction: the rules answer "steady", not a guess.
    answered_weeks = [week["bids"] - week["pending"] for week in expected]
    if (
        sum(answered_weeks) < figures.DIRECTION_MIN_ANSWERED
        or sum(1 for answered in answered_weeks if answered) < figures.DIRECTION_MIN_WEEKS
    ):
        assert summary["direction"] == "steady"
        assert summary.get("turn_toward_change") is None


def check_new_flags(
    summary: dict[str, Any], raw: Raw, calendar: Calendar, end: date, viewer: str | None
) -> None:
    """The flags of check-ins and shared time are those the rules give on the recount."""
    served = [flag for flag in summary["flags"] if flag["code"] in NEW_FLAGS]
    codes = [flag["code"] for flag in served]
    assert codes == expected_flags(raw, calendar, end, viewer), end
    assert all(isinstance(flag["detail"], str) and flag["detail"] for flag in served)


def live_weeks(raw: Raw, calendar: Calendar) -> list[date]:
    """The weeks holding a live bid, check-in or activity."""
    weeks = {local_week(row.occurred_at, calendar) for row in raw.bids if not row.deleted}
    weeks |= {checkin_week(row, calendar) for row in raw.checkins if not row.deleted}
    weeks |= {local_week(row.occurred_at, calendar) for row in raw.activities if not row.deleted}
    return sorted(weeks)


def local_today(calendar: Calendar) -> date:
    return datetime.now(UTC).astimezone(ZoneInfo(calendar.timezone)).date()


async def check_every_window(
    client: httpx.AsyncClient, world: World, raw: Raw, data: st.DataObject
) -> None:
    calendar = world.calendar
    occupied = live_weeks(raw, calendar)
    today_week = first_day_of_week(local_today(calendar), calendar.week_starts)

    async def check(weeks: int, end: date) -> None:
        # Either partner reads: each counts the check-ins they may see.
        reader = data.draw(st.sampled_from(world.readers), label="reader")
        body = await weekly(client, world, weeks, end, reader)
        check_window(body, world, raw, weeks, end, reader)

    # Windows of up to 104 weeks, back to back, that together hold every live row.
    if occupied:
        last = occupied[-1] + timedelta(weeks=data.draw(st.integers(0, 2), label="after"))
        while True:
            span = (last - occupied[0]).days // 7 + 1
            weeks = min(104, span + data.draw(st.integers(0, 2), label="extra weeks"))
            end = last + timedelta(days=data.draw(st.integers(0, 6), label="day of end"))
            await check(weeks, end)
            first = last - timedelta(weeks=weeks - 1)
            if first <= occupied[0]:
                break
            last = first - timedelta(weeks=1)

        # A window that starts after some rows: its balance carries their bids'.
        pivot = data.draw(st.sampled_from(occupied), label="last week before the window")
        first = pivot + timedelta(weeks=data.draw(st.integers(1, 3), label="gap"))
        weeks = data.draw(st.integers(1, 104), label="weeks after the pivot")
        end = first + timedelta(weeks=weeks - 1, days=data.draw(st.integers(0, 6)))
        await check(weeks, end)

    # Any window at all, in the years the bids span or just beyond.
    end = EARLIEST.date() + timedelta(
        days=data.draw(st.integers(-30, (today_week - EARLIEST.date()).days + 30), label="end")
    )
    weeks = data.draw(st.integers(1, 104), label="weeks")
    await check(weeks, end)

    # The default end: today in the couple's time zone (unless midnight passed meanwhile).
    weeks = data.draw(st.integers(1, 104), label="weeks to today")
    reader = data.draw(st.sampled_from(world.readers), label="reader of today")
    before = local_today(calendar)
    body = await weekly(client, world, weeks, None, reader)
    if local_today(calendar) == before:
        check_window(body, world, raw, weeks, before, reader)


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
