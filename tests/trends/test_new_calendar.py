"""Property: a new time zone or week start moves every bid and shared activity to the
week its new local calendar puts it in, and a new week start moves every check-in,
whose local date no time zone changes."""

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from hypothesis import event, given
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.factories import make_couple
from tests.trends.examples import api_settings
from tests.trends.instants import ZONES, When, instants
from tests.trends.reference import Calendar, Raw, checkin_week, local_week, raw_rows
from tests.trends.world import (
    ChangeCalendar,
    CheckIn,
    Create,
    LogActivity,
    Operation,
    World,
    add_therapist,
    apply,
    check_rows_match_requests,
    check_window,
    weekly,
)

CALENDARS = [Calendar(zone, starts) for zone in ZONES for starts in ("monday", "sunday")]
ROWS = ("bid", "checkin", "activity")


@api_settings
@given(
    pinned=st.lists(
        st.tuples(st.sampled_from(ROWS), instants(), st.sampled_from(CALENDARS)),
        min_size=1,
        max_size=12,
    ),
    extra=st.lists(st.sampled_from(CALENDARS), max_size=1),
    reader=st.integers(0, 2),
)
async def test_a_new_calendar_moves_every_row_to_its_new_local_week(
    client: httpx.AsyncClient,
    conn: AsyncConnection,
    pinned: list[tuple[str, When, Calendar]],
    extra: list[Calendar],
    reader: int,
) -> None:
    """Bids and activities pinned next to the week boundaries and offset changes of
    several calendars, check-ins on the local dates those instants have there; then the
    couple switched to each of those calendars in turn, its time zone first and its
    week start after: every time, every row is read back in the week the reference
    puts it in, and a new time zone alone leaves every check-in's figures where they
    were."""
    couple = await make_couple(client, timezone="UTC")
    world = World(couple, Calendar("UTC", "monday"), conn)
    if reader == 2:
        await add_therapist(client, world)
    for index, (row, when, calendar) in enumerate(pinned):
        moment = when.resolve(calendar)
        await apply(client, world, pin(row, index % 2, moment, calendar))
    raw = await raw_rows(conn, couple.id)
    check_rows_match_requests(world, raw)
    switches = list(dict.fromkeys([calendar for _, _, calendar in pinned]))[:4] + extra
    steps, current = [], world.calendar
    for calendar in switches:
        if calendar == current:
            steps.append(ChangeCalendar(1, calendar.timezone, calendar.week_starts))
        if calendar.timezone != current.timezone:
            steps.append(ChangeCalendar(1, calendar.timezone, None))
        if calendar.week_starts != current.week_starts:
            steps.append(ChangeCalendar(0, None, calendar.week_starts))
        current = calendar

    checkins_before = await served_checkins(client, world, raw, reader)
    for step in steps:
        before = world.calendar
        await apply(client, world, step)
        after = world.calendar
        moved = sum(
            1
            for activity in raw.activities
            if local_week(activity.occurred_at, before) != local_week(activity.occurred_at, after)
        )
        event(f"activities moved by a change of calendar: {min(moved, 3)}")
        checkins_now = await served_checkins(client, world, raw, reader)
        if before.week_starts == after.week_starts:
            # The same dates in the same weeks: a check-in has no time of day.
            assert checkins_now == checkins_before
        elif checkins_before:
            assert set(checkins_now) != set(checkins_before)
        checkins_before = checkins_now


def pin(row: str, by: int, moment: datetime, calendar: Calendar) -> Operation:
    if row == "bid":
        return Create(by, False, When(moment, "anchor", timedelta(0)), "Z", "play", False, VIEW)
    if row == "activity":
        return LogActivity(by, When(moment, "anchor", timedelta(0)), "date_night", 90)
    on = moment.astimezone(ZoneInfo(calendar.timezone)).date()
    return CheckIn(by, on, 7, 3, (), False)


async def served_checkins(
    client: httpx.AsyncClient, world: World, raw: Raw, reader: int
) -> dict[str, dict[str, Any]]:
    """Every window that holds a row read by `reader`, checked against the reference;
    the weeks' check-in figures served, by week (empty weeks left out)."""
    calendar = world.calendar
    occupied = sorted(
        {local_week(bid.occurred_at, calendar) for bid in raw.bids}
        | {local_week(activity.occurred_at, calendar) for activity in raw.activities}
        | {checkin_week(checkin, calendar) for checkin in raw.checkins}
    )
    served = {}
    for end, weeks in covering_windows(occupied[0], occupied[-1]):
        body = await weekly(client, world, weeks, end, reader)
        check_window(body, world, raw, weeks, end, reader)
        served |= {
            week["week_start"]: week["checkins"]
            for week in body["weeks"]
            if week["checkins"]["count"]
        }
    return served


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
