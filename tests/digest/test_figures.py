"""Every sentence of a digest tells its figure: the figure it names is in the trends
read of that week, and the first number the sentence shows is that figure. And the
check-ins and shared activities of a week, logged through the API, in words."""

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from models import calendar
from models.couple import Couple as CoupleRow
from tests.digest.helpers import (
    SECRET,
    assert_every_sentence_tells_its_figure,
    at,
    get_digest,
    last_week,
    log,
    log_two_weeks,
    sentences,
    trends_of_week,
)
from tests.factories import Couple, Person


async def check_in(
    client: httpx.AsyncClient,
    couple: Couple,
    person: Person,
    day: date,
    connection: int,
    stress: int,
    *signs: str,
) -> None:
    put = await client.put(
        f"{couple.path}/checkins/{day.isoformat()}",
        json={
            "connection": connection,
            "stress": stress,
            "signs": list(signs),
            "note": SECRET,
            "private": True,
        },
        headers=person.headers,
    )
    assert put.status_code in (200, 201), put.text


async def log_activity(
    client: httpx.AsyncClient,
    couple: Couple,
    person: Person,
    day: date,
    kind: str,
    minutes: int | None = None,
) -> None:
    body: dict[str, Any] = {"kind": kind, "occurred_at": at(day, 19), "note": SECRET}
    if minutes is not None:
        body["duration_minutes"] = minutes
    created = await client.post(f"{couple.path}/activities", json=body, headers=person.headers)
    assert created.status_code == 201, created.text


async def log_habits(client: httpx.AsyncClient, couple: Couple) -> None:
    """Last week: four check-ins, both partners' on two dates (connection 8, 6, 7 and 7;
    stress 7, 6, 8 and 7; poor listening in three, unhappiness in one), two date
    nights (120 and 60 minutes) and a shared activity with no duration. The week
    before: both partners' check-ins of one date (connection 5 and 5, stress 3 and 3,
    poor listening in one). Each check-in has the other's for its date: both partners
    count them all."""
    assert couple.second is not None
    ana, ben = couple.first, couple.second
    week, before = last_week(), last_week() - calendar.WEEK
    await check_in(
        client, couple, ana, week + timedelta(days=1), 8, 7, "poor_listening", "unhappiness"
    )
    await check_in(client, couple, ben, week + timedelta(days=1), 6, 6, "poor_listening")
    await check_in(client, couple, ana, week + timedelta(days=2), 7, 8, "poor_listening")
    await check_in(client, couple, ben, week + timedelta(days=2), 7, 7)
    await check_in(client, couple, ben, before + timedelta(days=3), 5, 3, "poor_listening")
    await check_in(client, couple, ana, before + timedelta(days=3), 5, 3)
    await log_activity(client, couple, ana, week + timedelta(days=4), "date_night", 120)
    await log_activity(client, couple, ben, week + timedelta(days=5), "date_night", 60)
    await log_activity(client, couple, ben, week + timedelta(days=6), "shared_activity")


HABIT_SENTENCES = [
    (
        "checkins.connection_avg",
        "Connection averaged 7.0 out of 10 across 4 check-ins, up from 5.0.",
    ),
    (
        "checkins.stress_avg",
        "Stress from outside the relationship averaged 7.0 out of 10. Stress like that can "
        "make turning toward each other harder, for anyone.",
    ),
    (
        "checkins.signs.poor_listening",
        "Poor listening came up 3 times in your check-ins this week, up from once.",
    ),
    (
        "checkins.signs.unhappiness",
        "Unhappiness came up once in your check-ins this week, up from none the week before.",
    ),
    (
        "activities.kinds.date_night",
        "2 date nights and 1 shared activity this week, 180 minutes together.",
    ),
]


async def test_every_sentence_tells_its_figure_from_both_sides(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    assert couple.second is not None
    await log_two_weeks(client, couple)
    await log_habits(client, couple)
    for person in (couple.first, couple.second):
        found = await assert_every_sentence_tells_its_figure(client, couple, person)
        assert len(found) == 4 + 2 + len(HABIT_SENTENCES)
        before = last_week() - calendar.WEEK
        await assert_every_sentence_tells_its_figure(
            client, couple, person, week=before.isoformat()
        )


async def test_the_checkins_and_shared_time_of_the_week_in_words(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    assert couple.second is not None
    await log_habits(client, couple)
    for person in (couple.first, couple.second):
        read = await get_digest(client, couple, person)
        assert read.status_code == 200, read.text
        assert sentences(read.json()) == HABIT_SENTENCES
        assert SECRET not in read.text


NO_SHARED_TIME = (
    "No date night or shared activity logged for four weeks: the research ties shared "
    "time to turning toward."
)


async def log_an_old_evening(client: httpx.AsyncClient, couple: Couple) -> None:
    """A date night six weeks before last week, and a check-in last week."""
    week = last_week()
    await log_activity(client, couple, couple.first, week - 6 * calendar.WEEK, "date_night", 90)
    await check_in(client, couple, couple.first, week + timedelta(days=2), 8, 2)


async def test_four_weeks_without_shared_time_after_some(
    client: httpx.AsyncClient, couple: Couple, conn: AsyncConnection
) -> None:
    # A couple of ten weeks: four weeks without shared time are theirs to have had.
    couples = CoupleRow.__table__  # type: ignore[attr-defined]
    await conn.execute(
        sa.update(couples)
        .where(couples.c.id == uuid.UUID(couple.id))
        .values(created_at=datetime.now(UTC) - 10 * calendar.WEEK)
    )
    await log_an_old_evening(client, couple)
    found = await assert_every_sentence_tells_its_figure(client, couple, couple.first)
    assert ("summary.flags.no-shared-time", NO_SHARED_TIME) in found
    # The flag has been up for weeks: it is told by the shared-time sentence alone.
    assert [figure for figure, _ in found].count("summary.flags.no-shared-time") == 1


async def test_the_digest_follows_the_summary_on_shared_time(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    # A couple of a few minutes that logged an old evening: the summary raises no
    # `no-shared-time` (too new to have gone four weeks without), and the digest,
    # which reads the same weeks, says nothing of it either.
    await log_an_old_evening(client, couple)
    found = await assert_every_sentence_tells_its_figure(client, couple, couple.first)
    trends = await trends_of_week(client, couple, couple.first, last_week().isoformat())
    assert "no-shared-time" not in [flag["code"] for flag in trends["summary"]["flags"]]
    assert NO_SHARED_TIME not in [text for _, text in found]


async def test_a_flag_is_told_in_the_week_it_is_raised_and_not_again(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    """Four weeks in a row with 1 of 5 bids turned toward: `turn-toward-low` (three
    such weeks) is raised in the third and still up in the fourth."""
    week = last_week()
    for back in range(4):
        day = week - back * calendar.WEEK + timedelta(days=2)
        await log(client, couple, couple.first, day, "toward")
        await log(client, couple, couple.first, day, "away", 4)
    flag = (
        "summary.flags.turn-toward-low",
        "Turning toward has been under half for three weeks. Small moments of noticing each "
        "other count, and they add up.",
    )
    third = (week - calendar.WEEK).isoformat()
    assert flag in await assert_every_sentence_tells_its_figure(
        client, couple, couple.first, week=third
    )
    second = await get_digest(client, couple, week=(week - 2 * calendar.WEEK).isoformat())
    assert flag[0] not in second.text
    fourth = await assert_every_sentence_tells_its_figure(client, couple, couple.first)
    trends = await trends_of_week(client, couple, couple.first, week.isoformat())
    assert "turn-toward-low" in [each["code"] for each in trends["summary"]["flags"]]
    assert flag not in fourth
