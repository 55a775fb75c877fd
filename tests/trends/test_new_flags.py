"""Property: the flags of check-ins and shared time (`distancing-rising`,
`connection-falling`, `stress-and-turning-away`, `no-shared-time`), as each partner
reads them (each counts the check-ins they may see) and as their therapist does, are
those the rules give on a recount of the raw rows (tests/trends/rules.py), on worlds
shaped to sit near all four thresholds at once: check-ins whose connection falls and
signs rise between the two periods the rules compare by about the thresholds, with
outside stress about 7; turning toward that falls or not over eight weeks; activities
next to the first day of the last four weeks and the window's end, and couples that
began long before, on the first day of those weeks or the day after; in time zones
with daylight saving and both week starts."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
from hypothesis import event, given
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncConnection

from models.checkin import SCALE_MAX, SCALE_MIN
from models.vocabulary import SIGNS, ActivityKind
from tests.factories import make_couple
from tests.trends.examples import api_settings
from tests.trends.instants import EARLIEST, NOW, ZONES, When, local_midnight
from tests.trends.reference import Calendar, raw_rows, window_starts
from tests.trends.rules import expected_flags
from tests.trends.world import (
    ChangeCalendar,
    CheckIn,
    CheckInAgain,
    Create,
    Day,
    DeleteActivity,
    EditActivity,
    LogActivity,
    Operation,
    Uncheck,
    World,
    add_therapist,
    apply,
    backdate,
    check_rows_match_requests,
    check_window,
    days,
    local_today,
    weekly,
)

HABIT_WEEKS = 3  # the two periods the check-in flags compare


@dataclass(frozen=True)
class Mood:
    """How a partner's check-ins of one period come out."""

    connection: int
    stress: int
    signs: int  # about how many signs each check-in notices


moods = st.builds(
    Mood,
    connection=st.integers(SCALE_MIN + 2, SCALE_MAX),
    stress=st.integers(SCALE_MIN, SCALE_MAX),
    signs=st.integers(0, 4),
)


def _scale(value: int) -> int:
    return min(SCALE_MAX, max(SCALE_MIN, value))


@st.composite
def checkins_of_week(draw: st.DrawFn, start: date, mood: Mood) -> list[CheckIn]:
    """Some of a week's check-ins near the mood: for a date, by one partner or both
    (each partner counts the other's only for the dates both checked in); a partner
    checking in twice for a date replaces the first."""
    result = []
    for _ in range(draw(st.sampled_from((4, 3, 5, 2, 0)))):
        day = start + timedelta(days=draw(st.integers(0, 6)))
        for by in draw(st.sampled_from(((0, 1), (0,), (1,)))):
            noticed = draw(
                st.sets(
                    st.sampled_from(SIGNS),
                    min_size=max(0, mood.signs - 1),
                    max_size=min(len(SIGNS), mood.signs + 1),
                )
            )
            result.append(
                CheckIn(
                    by=by,
                    day=day,
                    connection=_scale(mood.connection + draw(st.integers(-1, 1))),
                    stress=_scale(mood.stress + draw(st.integers(-1, 1))),
                    signs=tuple(sorted(noticed, key=SIGNS.index)),
                    private=draw(st.booleans()),
                )
            )
    return result


@st.composite
def bids_of_week(draw: st.DrawFn, start: date, rate: float, zone: str) -> list[Create]:
    """A week's answered bids, turned toward at about `rate`, at local times from the
    first instant of the week to its last."""
    result = []
    answered = draw(st.sampled_from((4, 3, 5, 6, 2, 0)))
    toward = min(answered, max(0, round(rate * answered) + draw(st.sampled_from((0, 1, -1)))))
    for index in range(answered):
        day = start + timedelta(days=draw(st.integers(0, 6)))
        at = draw(st.sampled_from((time(0, 0, 1), time(12), time(23, 59, 59))))
        moment = datetime.combine(day, at, tzinfo=ZoneInfo(zone)).astimezone(UTC)
        view = ("toward" if index < toward else draw(st.sampled_from(("away", "against"))), None)
        result.append(
            Create(
                by=draw(st.integers(0, 1)),
                for_other=draw(st.booleans()),
                occurred_at=When(moment, "anchor", timedelta(0)),
                shown_in="Z",
                kind="humor",
                repair=False,
                view=view,
            )
        )
    return result


# Next to a boundary the no-shared-time flag turns on: a second, an hour or a day.
NEAR = (0, -1, 1, -3600, 3600, -86400, 86400, -7 * 86400)


@st.composite
def shared_time(
    draw: st.DrawFn, recent_start: date, end_of_window: date, zone: str, only_before: bool
) -> list[Operation]:
    """Activities next to the first day of the last four weeks (`only_before`: on its
    eve or just before, or at its first instant), or also next to the window's end
    (those after it do not count); some moved or deleted afterwards."""
    boundaries = (recent_start,) if only_before else (recent_start, end_of_window)
    shifts = (-1, -86400, 0, -3600, -7 * 86400) if only_before else NEAR
    result: list[Operation] = []
    for _ in range(draw(st.sampled_from((1, 2, 3) if only_before else (1, 2, 0, 3)))):
        moment = local_midnight(draw(st.sampled_from(boundaries)), zone)
        result.append(
            LogActivity(
                by=draw(st.integers(0, 1)),
                occurred_at=When(
                    moment, "anchor", timedelta(seconds=draw(st.sampled_from(shifts)))
                ),
                kind=draw(st.sampled_from([kind.value for kind in ActivityKind])),
                minutes=draw(st.none() | st.integers(1, 240)),
            )
        )
    for _ in range(draw(st.integers(0, 2))):
        pick = draw(st.integers(0, 10))
        if draw(st.booleans()):
            result.append(DeleteActivity(pick))
        else:
            moment = local_midnight(draw(st.sampled_from(boundaries)), zone)
            shift = timedelta(seconds=draw(st.sampled_from(shifts)))
            result.append(EditActivity(pick, When(moment, "anchor", shift), None, None))
    return result


@api_settings
@given(
    start=st.tuples(st.sampled_from(ZONES), st.sampled_from(("monday", "sunday"))),
    end=days,
    data=st.data(),
)
async def test_new_flags_follow_the_rules_on_a_recount(
    client: httpx.AsyncClient,
    conn: AsyncConnection,
    start: tuple[str, str],
    end: Day,
    data: st.DataObject,
) -> None:
    zone, week_starts = start
    couple = await make_couple(client, timezone=zone)
    world = World(couple, Calendar(zone, "monday"), conn)
    if week_starts != "monday":
        await apply(client, world, ChangeCalendar(0, None, week_starts))
    calendar = world.calendar
    # The window's end: a day next to an offset change or a week boundary, mostly.
    last_day = min(end.resolve(calendar), local_today(calendar) - timedelta(days=1))
    # With the eight weeks the flags look at after EARLIEST, where the times stay.
    last_day = max(last_day, EARLIEST.date() + timedelta(weeks=9))
    weeks = window_starts(last_day, 2 * 4, week_starts)
    # Whether the activities all come before the last four weeks.
    only_before = data.draw(
        st.sampled_from((True, False, True)), label="no activity in the last four weeks"
    )
    # When the couple began: long before, on the first day of the last four weeks (its
    # first or last second), or the day after it (its first second), or today. Only
    # a couple that began by that first day can have gone four weeks without.
    began = data.draw(
        st.sampled_from(("long ago", "that day", "the day after", "today")), label="began"
    )
    first_of_four = local_midnight(weeks[-4], zone)
    if began == "long ago":
        await backdate(world, first_of_four - timedelta(weeks=52))
    elif began == "that day":
        last_second = local_midnight(weeks[-4] + timedelta(days=1), zone) - timedelta(seconds=1)
        await backdate(world, data.draw(st.sampled_from((first_of_four, last_second))))
    elif began == "the day after":
        await backdate(world, local_midnight(weeks[-4] + timedelta(days=1), zone))

    # Each of the check-in flags near its threshold, or not: the recent weeks' mood is
    # the earlier one with connection dropped and signs risen by about the thresholds,
    # and stress high (or low) in both.
    before = data.draw(moods, label="before")
    drop = data.draw(st.sampled_from((2, 1, 3, 0)), label="connection drop")
    rise = data.draw(st.sampled_from((2, 1, 3, 0)), label="signs rise")
    stress = data.draw(st.sampled_from((8, 7, 6, 9, before.stress)), label="stress")
    before = Mood(before.connection, stress, before.signs)
    recent = Mood(_scale(before.connection - drop), stress, before.signs + rise)
    steps: list[Operation] = []
    for index, week in enumerate(weeks):
        mood = recent if index >= len(weeks) - HABIT_WEEKS else before
        steps += data.draw(checkins_of_week(week, mood), label=f"check-ins of {week}")
    steps += [
        data.draw(
            st.builds(
                CheckInAgain,
                pick=st.integers(0, 50),
                connection=st.just(1),
                stress=st.just(10),
                signs=st.just(SIGNS),
            )
        )
        for _ in range(data.draw(st.integers(0, 1), label="replaced"))
    ]
    steps += [Uncheck(pick) for pick in data.draw(st.lists(st.integers(0, 50), max_size=2))]
    if data.draw(st.sampled_from((True, True, False)), label="bids"):
        first_rate = data.draw(st.sampled_from((0.9, 0.7, 0.5)), label="first rate")
        fall = data.draw(st.sampled_from((0.1, 0.15, 0.05, 0.0)), label="fall per week")
        for index, week in enumerate(weeks):
            rate = first_rate - fall * index
            steps += data.draw(bids_of_week(week, rate, zone), label=f"bids of {week}")
    steps += data.draw(
        shared_time(weeks[-4], weeks[-1] + timedelta(weeks=1), zone, only_before=only_before),
        label="activities",
    )

    for step in steps:
        tomorrow = local_today(calendar) + timedelta(days=1)
        if isinstance(step, CheckIn) and isinstance(step.day, date) and step.day > tomorrow:
            continue
        if isinstance(step, Create | LogActivity | EditActivity):
            moment = getattr(step, "occurred_at", None)
            if isinstance(moment, When) and moment.anchor > NOW:
                continue
        await apply(client, world, step)

    raw = await raw_rows(conn, couple.id)
    check_rows_match_requests(world, raw)
    await add_therapist(client, world)
    for reader in world.readers:
        expected = expected_flags(raw, calendar, last_day, world.viewer(reader))
        for flag in expected:
            event(f"flag: {flag}")
        event(f"new flags expected: {len(expected)}")
        weeks_read = data.draw(st.sampled_from((8, 1, 4, 12, 52)), label="weeks")
        body = await weekly(client, world, weeks_read, last_day, reader)
        check_window(body, world, raw, weeks_read, last_day, reader)
    # A week later the periods have moved on by a week.
    later = last_day + timedelta(weeks=1)
    reader = data.draw(st.sampled_from(world.readers), label="reader a week later")
    check_window(await weekly(client, world, 8, later, reader), world, raw, 8, later, reader)
