"""Property tests for `/trends/weekly` and `/bank-account`: after any sequence of bid
writes, perceptions, deletions and changes of calendar and weights, every figure of
every week equals a brute-force recount of the couple's raw `bids` rows.

The recount (the *reference* below) is written without api/trends: only `zoneinfo`,
`datetime` and plain Python, over rows read straight from the `bids` table. The bid
times cluster around daylight-saving changes and local week boundaries of zones on
both hemispheres and with odd offsets, where a wrong time zone rule puts a bid in the
wrong week. The last tests check the pure maths of models/figures.py.

Example counts: 30 per API property by default, 300 per pure-maths property;
`TOWARD_PROPERTY_EXAMPLES=N` (or `--hypothesis-profile=NAME` with a profile of your own)
sets N for the API properties and 10 N for the maths. The rest of the settings come
from the active Hypothesis profile (on CI, its derandomized `ci` profile)."""

import itertools
import os
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncConnection

from models import figures
from models.bid import Bid
from models.couple import Weights
from models.vocabulary import STYLES_BY_RESPONSE, BidKind, Response
from tests.conftest import Couple, Person, make_couple

_BIDS: sa.Table = Bid.__table__  # type: ignore[attr-defined]

# --- settings -------------------------------------------------------------------------------


def _examples(usual: int) -> int:
    given_count = os.environ.get("TOWARD_PROPERTY_EXAMPLES")
    if given_count:
        return int(given_count)
    if settings.get_current_profile_name() not in ("default", "ci"):
        return settings().max_examples  # a profile chosen with --hypothesis-profile
    return usual


API_EXAMPLES = _examples(30)
SLOW_OK = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
# Each API example makes a fresh couple in the test's own transaction and rolls it
# back: the fixtures are function scoped on purpose.
api_settings = settings(max_examples=API_EXAMPLES, deadline=None, suppress_health_check=SLOW_OK)
maths_settings = settings(
    max_examples=10 * API_EXAMPLES, deadline=None, suppress_health_check=SLOW_OK
)

# --- the brute-force reference --------------------------------------------------------------

RESPONSES = ("toward", "away", "against")
WEEK_FIELDS = {
    "week_start",
    "bids",
    "toward",
    "away",
    "against",
    "pending",
    "turn_toward_rate",
    "deposits",
    "withdrawals",
    "net",
    "balance",
    "perception_agreement",
    "repairs",
    "by_partner",
}


@dataclass(frozen=True)
class RawBid:
    """One row of `bids`, as stored."""

    id: str
    bidder_id: str
    responder_id: str
    occurred_at: datetime
    bidder_response: str | None
    responder_response: str | None
    repair: bool
    deleted: bool

    @property
    def effective(self) -> str | None:
        """The bidder's view when given, else the responder's, else pending (None)."""
        if self.bidder_response is not None:
            return self.bidder_response
        return self.responder_response


@dataclass(frozen=True)
class Calendar:
    timezone: str
    week_starts: str  # "monday" or "sunday"


async def raw_bids(conn: AsyncConnection, couple_id: str) -> list[RawBid]:
    rows = (
        await conn.execute(sa.select(_BIDS).where(_BIDS.c.couple_id == uuid.UUID(couple_id)))
    ).all()
    result = []
    for row in rows:
        assert row.occurred_at.tzinfo is not None
        result.append(
            RawBid(
                id=str(row.id),
                bidder_id=str(row.bidder_id),
                responder_id=str(row.responder_id),
                occurred_at=row.occurred_at,
                bidder_response=row.bidder_response,
                responder_response=row.responder_response,
                repair=bool(row.repair),
                deleted=row.deleted_at is not None,
            )
        )
    return result


def first_day_of_week(day: date, week_starts: str) -> date:
    # date.weekday(): Monday 0 ... Sunday 6.
    first = {"monday": 0, "sunday": 6}[week_starts]
    return day - timedelta(days=(day.weekday() - first) % 7)


def local_week(moment: datetime, calendar: Calendar) -> date:
    local_day = moment.astimezone(ZoneInfo(calendar.timezone)).date()
    return first_day_of_week(local_day, calendar.week_starts)


def near_week_boundary(moment: datetime, calendar: Calendar) -> bool:
    hours = timedelta(hours=3)
    return local_week(moment - hours, calendar) != local_week(moment + hours, calendar)


def ratio(part: int, whole: int) -> float | None:
    return None if whole == 0 else float(Fraction(part, whole))


def signed_value(bid: RawBid, weights: dict[str, int]) -> int:
    """What one bid adds to the balance: its response's signed weight."""
    return 0 if bid.effective is None else weights[bid.effective]


def money(bids: Sequence[RawBid], weights: dict[str, int]) -> tuple[int, int]:
    """Deposits and withdrawals: each answered bid adds the size of its weight."""
    deposits = sum(abs(weights["toward"]) for bid in bids if bid.effective == "toward")
    withdrawals = sum(
        abs(weights[bid.effective]) for bid in bids if bid.effective in ("away", "against")
    )
    return deposits, withdrawals


def count(bids: Iterable[RawBid], response: str | None) -> int:
    return sum(1 for bid in bids if bid.effective == response)


def partner_week(bids: Sequence[RawBid], partner: str) -> dict[str, Any]:
    received = [bid for bid in bids if bid.responder_id == partner]
    toward, away, against = (count(received, response) for response in RESPONSES)
    return {
        "bids_made": sum(1 for bid in bids if bid.bidder_id == partner),
        "bids_received": len(received),
        "turn_toward_rate": ratio(toward, toward + away + against),
        "toward": toward,
        "away": away,
        "against": against,
    }


def reference_week(
    start: date,
    bids: Sequence[RawBid],
    partners: Sequence[str],
    weights: dict[str, int],
    balance: int,
) -> dict[str, Any]:
    toward, away, against = (count(bids, response) for response in RESPONSES)
    deposits, withdrawals = money(bids, weights)
    both_views = [
        bid
        for bid in bids
        if bid.bidder_response is not None and bid.responder_response is not None
    ]
    agreeing = sum(1 for bid in both_views if bid.bidder_response == bid.responder_response)
    return {
        "week_start": start.isoformat(),
        "bids": len(bids),
        "toward": toward,
        "away": away,
        "against": against,
        "pending": count(bids, None),
        "turn_toward_rate": ratio(toward, toward + away + against),
        "deposits": deposits,
        "withdrawals": withdrawals,
        "net": sum(signed_value(bid, weights) for bid in bids),
        "balance": balance,
        "perception_agreement": ratio(agreeing, len(both_views)),
        "repairs": sum(1 for bid in bids if bid.repair),
        "by_partner": {partner: partner_week(bids, partner) for partner in partners},
    }


def window_starts(end: date, weeks: int, week_starts: str) -> list[date]:
    last = first_day_of_week(end, week_starts)
    return [last - timedelta(weeks=back) for back in range(weeks - 1, -1, -1)]


def reference_weeks(
    bids: Sequence[RawBid],
    calendar: Calendar,
    weights: dict[str, int],
    partners: Sequence[str],
    end: date,
    weeks: int,
) -> list[dict[str, Any]]:
    live = [bid for bid in bids if not bid.deleted]
    week_of = {bid.id: local_week(bid.occurred_at, calendar) for bid in live}
    result = []
    for start in window_starts(end, weeks, calendar.week_starts):
        in_week = [bid for bid in live if week_of[bid.id] == start]
        # Every live bid up to the end of this week, whether or not it is in the window.
        balance = sum(signed_value(bid, weights) for bid in live if week_of[bid.id] <= start)
        result.append(reference_week(start, in_week, partners, weights, balance))
    return result


def reference_rate_4w(bids: Sequence[RawBid], calendar: Calendar, end: date) -> float | None:
    recent = set(window_starts(end, 4, calendar.week_starts))
    counted = [
        bid for bid in bids if not bid.deleted and local_week(bid.occurred_at, calendar) in recent
    ]
    toward, away, against = (count(counted, response) for response in RESPONSES)
    return ratio(toward, toward + away + against)


def reference_bank(
    bids: Sequence[RawBid], weights: dict[str, int], as_of: datetime
) -> dict[str, Any]:
    live = [bid for bid in bids if not bid.deleted]
    deposits, withdrawals = money(live, weights)
    recent = [bid for bid in live if bid.occurred_at >= as_of - timedelta(hours=168)]
    recent_deposits, recent_withdrawals = money(recent, weights)
    return {
        "balance": sum(signed_value(bid, weights) for bid in live),
        "deposits": deposits,
        "withdrawals": withdrawals,
        "weights": weights,
        "last_7_days": {
            "deposits": recent_deposits,
            "withdrawals": recent_withdrawals,
            "net": sum(signed_value(bid, weights) for bid in recent),
        },
    }


# --- where bids fall: daylight-saving changes and week boundaries ---------------------------

ZONES = (
    "America/New_York",
    "Europe/London",
    "Europe/Berlin",
    "Australia/Sydney",  # southern hemisphere: summer time spans the new year
    "America/Sao_Paulo",  # no summer time since 2019
    "Asia/Kolkata",  # +05:30, no summer time
    "Pacific/Chatham",  # +12:45 / +13:45
    "Australia/Lord_Howe",  # a half-hour change of offset
    "America/Santiago",  # changes at local midnight: some days have no 00:00
    "UTC",
)
FIXED_OFFSETS = ("-09:30", "+14:00", "-12:00")
NOW = datetime.now(UTC).replace(microsecond=0)
LATEST = NOW + timedelta(minutes=4)  # bids may be logged up to 5 minutes ahead
EARLIEST = datetime(2023, 1, 1, tzinfo=UTC)


def _offset_changes(zone: str) -> list[datetime]:
    """Every instant between EARLIEST and NOW at which the zone's UTC offset changes."""
    tz = ZoneInfo(zone)
    found = []
    step = timedelta(days=1)
    moment, offset = EARLIEST, EARLIEST.astimezone(tz).utcoffset()
    while moment < NOW:
        following = moment + step
        new_offset = following.astimezone(tz).utcoffset()
        if new_offset != offset:
            low, high = moment, following
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if middle.astimezone(tz).utcoffset() == offset:
                    low = middle
                else:
                    high = middle
            found.append(high.replace(microsecond=0))
        moment, offset = following, new_offset
    return found


OFFSET_CHANGES = {zone: _offset_changes(zone) for zone in ZONES}


def local_midnight(day: date, zone: str) -> datetime:
    """When `day` begins in the zone (where a change skips midnight, the first instant
    of the day)."""
    return datetime.combine(day, time(), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def _anchors() -> list[datetime]:
    """Instants worth putting bids next to: offset changes, the local midnights that
    begin a Monday or Sunday week around them and around the new year, and now."""
    anchors = {NOW, NOW - timedelta(hours=168)}
    for zone, changes in OFFSET_CHANGES.items():
        tz = ZoneInfo(zone)
        anchors.update(changes)
        days = [change.astimezone(tz).date() for change in changes]
        days += [date(year, 1, 1) for year in range(2023, NOW.year + 1)]
        days.append(NOW.astimezone(tz).date())
        for middle in days:
            for shift in range(-8, 9):
                day = middle + timedelta(days=shift)
                if day.weekday() in (0, 6):  # a Monday or a Sunday
                    anchors.add(local_midnight(day, zone))
    return sorted(moment for moment in anchors if EARLIEST <= moment <= NOW)


ANCHORS = _anchors()
# Shifts that land on a boundary, just either side of it, or a time zone's worth of
# hours from it (seconds).
SMALL_SHIFTS = (0, -1, 1, -60, 60, -1800, 1800, -2700, 2700, -3600, 3600, -7200, 7200)


def _inside(moment: datetime) -> datetime:
    """Keep a generated time between EARLIEST and LATEST, by reflection."""
    if moment > LATEST:
        moment = LATEST - (moment - LATEST)
    return max(moment, EARLIEST)


@dataclass(frozen=True)
class When:
    """A bid time, resolved when the bid is written, against the couple's calendar of
    that moment: the anchor itself, or the start of the couple's local week nearest
    it, or the couple's zone's offset change nearest it; then shifted."""

    anchor: datetime
    snap: str  # "anchor", "week" or "change"
    shift: timedelta

    def resolve(self, calendar: Calendar) -> datetime:
        base = self.anchor
        if self.snap == "week":
            local_day = base.astimezone(ZoneInfo(calendar.timezone)).date()
            first = first_day_of_week(local_day, calendar.week_starts)
            base = min(
                (local_midnight(first + timedelta(weeks=n), calendar.timezone) for n in (0, 1)),
                key=lambda start: abs(start - self.anchor),
            )
        elif self.snap == "change" and OFFSET_CHANGES[calendar.timezone]:
            base = min(OFFSET_CHANGES[calendar.timezone], key=lambda at: abs(at - self.anchor))
        return _inside(base + self.shift)


@st.composite
def instants(draw: st.DrawFn) -> When:
    if draw(st.integers(0, 9)) == 0:
        anywhere = draw(
            st.datetimes(
                min_value=EARLIEST.replace(tzinfo=None),
                max_value=NOW.replace(tzinfo=None),
                timezones=st.just(UTC),
            )
        )
        return When(anywhere, "anchor", timedelta(0))
    if draw(st.integers(0, 9)) == 0:
        # Now, or the edge of the bank account's last 168 hours.
        recent = draw(st.sampled_from((NOW - timedelta(hours=168), NOW)))
        return When(recent, "anchor", timedelta(seconds=draw(st.integers(-7200, 7200))))
    anchor = draw(st.sampled_from(ANCHORS))
    snap = draw(st.sampled_from(("week", "change", "anchor")))
    seconds = draw(
        st.one_of(
            st.sampled_from(SMALL_SHIFTS),
            st.integers(-6 * 3600, 6 * 3600),
            st.integers(-4 * 86400, 4 * 86400),
        )
    )
    micro = draw(st.sampled_from((0, 0, 0, 1, 500_000, 999_999)))
    return When(anchor, snap, timedelta(seconds=seconds, microseconds=micro))


# How a time is written in a request: the same instant in any offset.
SHOWN_IN = ("Z", *ZONES, *FIXED_OFFSETS)


def rfc3339(moment: datetime, shown_in: str) -> str:
    if shown_in == "Z":
        return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if shown_in[0] in "+-":
        sign = -1 if shown_in[0] == "-" else 1
        hours, minutes = (int(part) for part in shown_in[1:].split(":"))
        fixed = timezone(sign * timedelta(hours=hours, minutes=minutes))
        return moment.astimezone(fixed).isoformat()
    return moment.astimezone(ZoneInfo(shown_in)).isoformat()


# --- operations -----------------------------------------------------------------------------


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


# --- reading and comparing ------------------------------------------------------------------


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


# --- the API properties ---------------------------------------------------------------------


@api_settings
@given(
    start=st.tuples(st.sampled_from(ZONES), st.sampled_from(("monday", "sunday"))),
    history=st.lists(creates, min_size=4, max_size=14),
    changes=st.lists(operations, min_size=3, max_size=14),
    data=st.data(),
)
async def test_weekly_figures_equal_a_recount_of_the_raw_bids(
    client: httpx.AsyncClient,
    conn: AsyncConnection,
    start: tuple[str, str],
    history: list[Create],
    changes: list[Operation],
    data: st.DataObject,
) -> None:
    zone, week_starts = start
    couple = await make_couple(client, timezone=zone)
    world = World(couple, Calendar(zone, "monday"), conn)
    assert couple.data["weights"] == world.weights
    assert (couple.data["timezone"], couple.data["week_starts"]) == (zone, "monday")
    if week_starts != "monday":
        await apply(client, world, ChangeCalendar(0, None, week_starts))

    steps: list[Operation] = [*history, *changes]
    for step in steps:
        await apply(client, world, step)
    event(f"live bids: {len(world.live()):>2}")
    both = sum(1 for bid in world.live() if None not in bid.views.values())
    event(f"live bids with both views: {both:>2}")
    near = sum(1 for bid in world.live() if near_week_boundary(bid.occurred_at, world.calendar))
    event(f"live bids within 3 hours of a local week boundary: {near:>2}")

    read = await client.get(couple.path, headers=couple.first.headers)
    assert read.status_code == 200, read.text
    assert read.json()["weights"] == world.weights
    assert (read.json()["timezone"], read.json()["week_starts"]) == (
        world.calendar.timezone,
        world.calendar.week_starts,
    )

    rows = await raw_bids(conn, couple.id)
    check_rows_match_requests(world, rows)
    await check_every_window(client, world, rows, data)
    await check_bank_account(client, world, rows)


CALENDARS = [Calendar(zone, starts) for zone in ZONES for starts in ("monday", "sunday")]


@api_settings
@given(
    pinned=st.lists(st.tuples(instants(), st.sampled_from(CALENDARS)), min_size=1, max_size=10),
    extra=st.lists(st.sampled_from(CALENDARS), max_size=1),
)
async def test_a_new_calendar_moves_every_bid_to_its_new_local_week(
    client: httpx.AsyncClient,
    conn: AsyncConnection,
    pinned: list[tuple[When, Calendar]],
    extra: list[Calendar],
) -> None:
    """Bids pinned next to the week boundaries and offset changes of several calendars,
    then the couple switched to each of those calendars in turn: every time, every bid
    is read back in the week the reference puts it in."""
    couple = await make_couple(client, timezone="UTC")
    world = World(couple, Calendar("UTC", "monday"), conn)
    for index, (when, calendar) in enumerate(pinned):
        moment = when.resolve(calendar)
        pin = When(moment, "anchor", timedelta(0))
        await apply(client, world, Create(index % 2, False, pin, "Z", "play", False, VIEW))
    rows = await raw_bids(conn, couple.id)
    check_rows_match_requests(world, rows)
    switches = list(dict.fromkeys([calendar for _, calendar in pinned]))[:4] + extra
    for calendar in switches:
        await apply(client, world, ChangeCalendar(1, calendar.timezone, calendar.week_starts))
        expected = sorted({local_week(bid.occurred_at, calendar) for bid in world.bids})
        for end, weeks in covering_windows(expected[0], expected[-1]):
            body = await weekly(client, world, weeks, end)
            check_window(body, world, rows, weeks, end)


VIEW: tuple[str | None, str | None] = ("toward", None)


def covering_windows(first: date, last: date) -> list[tuple[date, int]]:
    """`(end, weeks)` of back-to-back windows of at most 104 weeks from the week of
    `first` to the week of `last` (both week starts)."""
    windows = []
    while True:
        weeks = min(104, (last - first).days // 7 + 1)
        windows.append((last, weeks))
        last -= timedelta(weeks=weeks)
        if last < first:
            return windows


# --- the pure maths of models/figures.py ------------------------------------------------

MONDAY = date(2024, 1, 1)
PARTNERS = (uuid.UUID(int=1), uuid.UUID(int=2))


@st.composite
def count_rows(draw: st.DrawFn, weeks: int) -> list[figures.Counts]:
    """Rollup rows, one per week and responder at most, some outside the window."""
    keys = draw(
        st.sets(st.tuples(st.integers(-3, weeks + 2), st.sampled_from(PARTNERS)), max_size=20)
    )
    rows = []
    for week, responder in sorted(keys):
        bids = draw(st.integers(0, 40))
        toward = draw(st.integers(0, bids))
        away = draw(st.integers(0, bids - toward))
        against = draw(st.integers(0, bids - toward - away))
        both_views = draw(st.integers(0, bids))
        rows.append(
            figures.Counts(
                week_start=MONDAY + timedelta(weeks=week),
                responder_id=responder,
                bids=bids,
                toward=toward,
                away=away,
                against=against,
                both_views=both_views,
                agreements=draw(st.integers(0, both_views)),
                repairs=draw(st.integers(0, bids)),
            )
        )
    return rows


weights_strategy = st.builds(
    Weights,
    toward=st.integers(1, 20),
    away=st.integers(-20, -1),
    against=st.integers(-20, -1),
)


@maths_settings
@given(data=st.data(), weeks=st.integers(1, 12), balance_before=st.integers(-10_000, 10_000))
def test_week_figures_balance_runs_on_from_balance_before(
    data: st.DataObject, weeks: int, balance_before: int
) -> None:
    rows = data.draw(count_rows(weeks))
    weights = data.draw(weights_strategy)
    window = [MONDAY + timedelta(weeks=week) for week in range(weeks)]

    result = figures.week_figures(window, rows, PARTNERS, weights, balance_before)

    assert [week["week_start"] for week in result] == window
    running = balance_before
    for week in result:
        inside = [row for row in rows if row.week_start == week["week_start"]]
        toward, away, against = (sum(getattr(row, name) for row in inside) for name in RESPONSES)
        assert (week["bids"], week["toward"], week["away"], week["against"]) == (
            sum(row.bids for row in inside),
            toward,
            away,
            against,
        )
        assert week["pending"] == week["bids"] - toward - away - against >= 0
        assert week["deposits"] == toward * weights.toward >= 0
        assert week["withdrawals"] == away * abs(weights.away) + against * abs(weights.against)
        assert week["deposits"] - week["withdrawals"] == week["net"]
        running += week["net"]
        assert week["balance"] == running
        assert week["repairs"] == sum(row.repairs for row in inside)
        assert week["turn_toward_rate"] == ratio(toward, toward + away + against)
        assert week["perception_agreement"] == ratio(
            sum(row.agreements for row in inside), sum(row.both_views for row in inside)
        )
        first, second = (week["by_partner"][partner] for partner in PARTNERS)
        assert first["bids_made"] == second["bids_received"]
        assert second["bids_made"] == first["bids_received"]
        assert first["bids_received"] + second["bids_received"] == week["bids"]
        assert first["toward"] + second["toward"] == week["toward"]
    assert result[-1]["balance"] == balance_before + sum(week["net"] for week in result)


@st.composite
def weekly_tallies(draw: st.DrawFn, max_weeks: int = 12) -> list[figures.Tally]:
    tallies = []
    for _ in range(draw(st.integers(0, max_weeks))):
        answered = draw(st.integers(0, 15))
        toward = draw(st.integers(0, answered))
        away = draw(st.integers(0, answered - toward))
        tallies.append(
            figures.Tally(
                bids=answered + draw(st.integers(0, 3)),
                toward=toward,
                away=away,
                against=answered - toward - away,
            )
        )
    return tallies


def exact_fit(weekly: Sequence[figures.Tally]) -> tuple[Fraction, Fraction]:
    """Least squares through every answered bid as a point (week, 1 if turned toward
    else 0), in exact arithmetic, which is the line through the weekly rates weighted
    by answered bids. Returns the slope and the spread sum((x - mean x)^2)."""
    points = [
        (Fraction(x), Fraction(1 if turned else 0))
        for x, week in enumerate(weekly)
        for turned in [True] * week.toward + [False] * (week.away + week.against)
    ]
    mean_x = sum((x for x, _ in points), Fraction(0)) / len(points)
    mean_y = sum((y for _, y in points), Fraction(0)) / len(points)
    spread = sum(((x - mean_x) ** 2 for x, _ in points), Fraction(0))
    slope = sum(((x - mean_x) * (y - mean_y) for x, y in points), Fraction(0)) / spread
    return slope, spread


@maths_settings
@given(weekly=weekly_tallies())
def test_fitted_change_needs_its_minimums_and_fits_every_answer(
    weekly: list[figures.Tally],
) -> None:
    answered = sum(week.answered for week in weekly)
    answered_weeks = sum(1 for week in weekly if week.answered)
    change = figures.fitted_change(weekly)
    if answered < figures.DIRECTION_MIN_ANSWERED or answered_weeks < figures.DIRECTION_MIN_WEEKS:
        assert change is None
        assert figures.direction(change) == "steady"
        return
    assert change is not None
    amount, t = change
    slope, spread = exact_fit(weekly)
    rate = Fraction(sum(week.toward for week in weekly), answered)
    if rate in (0, 1):
        assert change == (0.0, 0.0)
    else:
        answered_at = [x for x, week in enumerate(weekly) if week.answered]
        assert amount == pytest_approx(float(slope * (answered_at[-1] - answered_at[0])))
        assert t == pytest_approx(float(slope) / float(rate * (1 - rate) / spread) ** 0.5)
    # docs/metrics.md: a change of at least 10 points, and t at least 2, either way.
    improving = amount >= 0.10 and t >= 2.0
    declining = amount <= -0.10 and t <= -2.0
    expected = "improving" if improving else "declining" if declining else "steady"
    assert figures.direction(change) == expected


@st.composite
def monotone_weeks(draw: st.DrawFn) -> list[figures.Tally]:
    """At least DIRECTION_MIN_WEEKS answered weeks and DIRECTION_MIN_ANSWERED answers,
    their rates rising (never falling, not all equal) from one week to the next; empty
    weeks may sit anywhere between them."""
    count_weeks = draw(st.integers(figures.DIRECTION_MIN_WEEKS, 10))
    answered = draw(
        st.lists(st.integers(5, 30), min_size=count_weeks, max_size=count_weeks).filter(
            lambda sizes: sum(sizes) >= figures.DIRECTION_MIN_ANSWERED
        )
    )
    pairs = [(draw(st.integers(0, size)), size) for size in answered]
    # Sorting the (toward, answered) pairs by rate makes the rates non-decreasing.
    pairs.sort(key=lambda pair: Fraction(pair[0], pair[1]))
    assume(len({Fraction(toward, size) for toward, size in pairs}) > 1)
    tallies = []
    for toward, size in pairs:
        tallies += [figures.Tally()] * draw(st.integers(0, 2))
        tallies.append(figures.Tally(bids=size, toward=toward, away=size - toward))
    return tallies


@maths_settings
@given(weekly=monotone_weeks())
def test_fitted_change_has_the_sign_of_a_clear_monotone_trend(weekly: list[figures.Tally]) -> None:
    rising = figures.fitted_change(weekly)
    assert rising is not None
    assert rising[0] > 0 and rising[1] > 0
    assert figures.direction(rising) != "declining"

    falling = figures.fitted_change(weekly[::-1])
    assert falling is not None
    assert falling[0] < 0 and falling[1] < 0
    assert falling == pytest_approx((-rising[0], -rising[1]))
    assert figures.direction(falling) != "improving"


@maths_settings
@given(weekly=weekly_tallies(max_weeks=6))
def test_direction_is_steady_without_a_fitted_change(weekly: list[figures.Tally]) -> None:
    change = figures.fitted_change(weekly)
    if change is None:
        assert figures.direction(change) == "steady"
    assert figures.direction(None) == "steady"


def pytest_approx(expected: Any) -> Any:
    return pytest.approx(expected, rel=1e-9, abs=1e-12)
