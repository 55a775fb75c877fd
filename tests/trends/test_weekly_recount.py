"""Property: after any sequence of bid writes, perceptions, deletions and changes of
calendar and weights, every figure of every week of `/trends/weekly`, and the
`/bank-account`, equal a brute-force recount of the couple's raw `bids` rows."""

import httpx
from hypothesis import event, given
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.factories import make_couple
from tests.trends.examples import api_settings
from tests.trends.instants import ZONES
from tests.trends.reference import Calendar, near_week_boundary, raw_bids
from tests.trends.world import (
    ChangeCalendar,
    Create,
    Operation,
    World,
    apply,
    check_bank_account,
    check_every_window,
    check_rows_match_requests,
    creates,
    operations,
)


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
