"""Property: after any sequence of bid writes, perceptions, deletions, check-ins and
shared activities (written, replaced, edited, deleted) and changes of calendar and
weights, every figure of every week of `/trends/weekly`, the flags of check-ins and
shared time, and the `/bank-account`, equal a brute-force recount of the couple's raw
`bids`, `checkins` and `activities` rows."""

import httpx
from hypothesis import event, given
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.factories import make_couple
from tests.trends.examples import api_settings
from tests.trends.instants import ZONES, When, instants
from tests.trends.reference import Calendar, near_week_boundary, raw_rows
from tests.trends.world import (
    ChangeCalendar,
    Operation,
    World,
    activities,
    add_therapist,
    apply,
    backdate,
    check_bank_account,
    check_every_window,
    check_ins,
    check_ins_too,
    check_rows_match_requests,
    creates,
    operations,
)


@api_settings
@given(
    start=st.tuples(st.sampled_from(ZONES), st.sampled_from(("monday", "sunday"))),
    began=st.none() | instants(),
    history=st.lists(creates, min_size=4, max_size=14),
    habits=st.lists(check_ins | check_ins_too | activities, min_size=2, max_size=12),
    changes=st.lists(operations, min_size=3, max_size=14),
    data=st.data(),
)
async def test_weekly_figures_equal_a_recount_of_the_raw_rows(
    client: httpx.AsyncClient,
    conn: AsyncConnection,
    start: tuple[str, str],
    began: When | None,
    history: list[Operation],
    habits: list[Operation],
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
    if began is not None:
        await backdate(world, began.resolve(world.calendar))
    # A therapist reads too, counting every check-in (the partners, those they may see).
    await add_therapist(client, world)

    steps: list[Operation] = [*history, *habits, *changes]
    for step in steps:
        await apply(client, world, step)
    event(f"live bids: {len(world.live()):>2}")
    both = sum(1 for bid in world.live() if None not in bid.views.values())
    event(f"live bids with both views: {both:>2}")
    near = sum(1 for bid in world.live() if near_week_boundary(bid.occurred_at, world.calendar))
    event(f"live bids within 3 hours of a local week boundary: {near:>2}")
    event(f"live check-ins: {len(world.live_checkins()):>2}")
    dates = [(checkin.by, checkin.local_date) for checkin in world.live_checkins()]
    paired = sum(1 for by, on in dates if (1 - by, on) in dates)
    event(f"live check-ins the other partner checked in for too: {min(paired, 4)}")
    event(f"check-ins replaced or deleted: {min(world.rewritten_checkins, 5)}")
    event(f"live activities: {len(world.live_activities()):>2}")
    event(f"activities edited or deleted: {min(world.rewritten_activities, 5)}")
    near = sum(
        1
        for activity in world.live_activities()
        if near_week_boundary(activity.occurred_at, world.calendar)
    )
    event(f"live activities within 3 hours of a local week boundary: {near:>2}")

    read = await client.get(couple.path, headers=couple.first.headers)
    assert read.status_code == 200, read.text
    assert read.json()["weights"] == world.weights
    assert (read.json()["timezone"], read.json()["week_starts"]) == (
        world.calendar.timezone,
        world.calendar.week_starts,
    )

    raw = await raw_rows(conn, couple.id)
    check_rows_match_requests(world, raw)
    await check_every_window(client, world, raw, data)
    await check_bank_account(client, world, raw.bids)
