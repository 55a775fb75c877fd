"""Property: a new time zone or week start moves every bid to the week its new local
calendar puts it in."""

from datetime import date, timedelta

import httpx
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.factories import make_couple
from tests.trends.examples import api_settings
from tests.trends.instants import ZONES, When, instants
from tests.trends.reference import Calendar, local_week, raw_bids
from tests.trends.world import (
    ChangeCalendar,
    Create,
    World,
    apply,
    check_rows_match_requests,
    check_window,
    weekly,
)

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
