"""Simulated check-ins and shared activities: deterministic, well formed, true to each
profile, and counted by the rollups once seeded."""

import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from api.auth.passwords import hash_password
from api.core.settings import get_settings
from models.activity import MAX_MINUTES, Activity, ActivityWeek
from models.calendar import week_of, week_start
from models.checkin import CHECKIN_COUNTS, SCALE_MAX, SCALE_MIN, Checkin, CheckinWeek
from models.vocabulary import SIGNS, ActivityKind, DistancingSign
from simulation.seed import seed_couple
from simulation.simulator import (
    PROFILES,
    SimulatedActivity,
    SimulatedCheckin,
    SimulatedCouple,
    simulate,
)
from tests.factories import PASSWORD
from tests.trends.reference import Counts, add_checkin, stored_rollup

END = datetime(2025, 3, 15, 21, 0, tzinfo=UTC)
WEEKS = 26
SEEDS = [1, 2, 3]

_checkins: sa.Table = Checkin.__table__  # type: ignore[attr-defined]
_activities: sa.Table = Activity.__table__  # type: ignore[attr-defined]
_checkin_weeks: sa.Table = CheckinWeek.__table__  # type: ignore[attr-defined]
_activity_weeks: sa.Table = ActivityWeek.__table__  # type: ignore[attr-defined]


def couple(profile: str, seed: int = 1, weeks: int = WEEKS) -> SimulatedCouple:
    return simulate(profile, seed=seed, end=END, weeks=weeks)


def checkin_days(simulated: SimulatedCouple) -> int:
    """Local days of the span, each of which either partner may check in on."""
    zone = ZoneInfo(simulated.timezone)
    return (simulated.end.astimezone(zone).date() - simulated.start.astimezone(zone).date()).days


def first(simulated: SimulatedCouple, weeks: int) -> list[SimulatedCheckin]:
    cut = simulated.start + timedelta(weeks=weeks)
    return [checkin for checkin in simulated.checkins if checkin.at < cut]


def last(simulated: SimulatedCouple, weeks: int, skip: int = 0) -> list[SimulatedCheckin]:
    """The check-ins of `weeks` weeks ending `skip` weeks before the end of the span."""
    until = simulated.end - timedelta(weeks=skip)
    cut = until - timedelta(weeks=weeks)
    return [checkin for checkin in simulated.checkins if cut <= checkin.at < until]


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def connection(checkins: Sequence[SimulatedCheckin]) -> float:
    return mean([checkin.connection for checkin in checkins])


def stress(checkins: Sequence[SimulatedCheckin]) -> float:
    return mean([checkin.stress for checkin in checkins])


def signs(checkins: Sequence[SimulatedCheckin]) -> float:
    return mean([len(checkin.signs) for checkin in checkins])


def per_week(activities: Sequence[SimulatedActivity]) -> float:
    return len(activities) / WEEKS


def test_the_same_seed_gives_the_same_checkins_and_activities() -> None:
    one, again = couple("drifting"), couple("drifting")
    assert one.checkins and one.activities
    assert (one.checkins, one.activities) == (again.checkins, again.activities)
    other = couple("drifting", seed=2)
    assert {checkin.id for checkin in one.checkins}.isdisjoint(c.id for c in other.checkins)
    assert [checkin.connection for checkin in one.checkins] != [
        checkin.connection for checkin in other.checkins
    ]


def test_couples_of_one_seed_share_no_id() -> None:
    ids = []
    for name in PROFILES:
        simulated = couple(name)
        ids += [bid.id for bid in simulated.bids]
        ids += [checkin.id for checkin in simulated.checkins]
        ids += [activity.id for activity in simulated.activities]
    assert len(ids) == len(set(ids))
    assert all(item_id.version == 4 for item_id in ids)


@pytest.mark.parametrize("profile", list(PROFILES))
def test_checkins_are_well_formed_and_inside_the_span(profile: str) -> None:
    simulated = couple(profile)
    zone = ZoneInfo(simulated.timezone)
    checkins = simulated.checkins
    assert checkins
    assert [(c.local_date, c.partner) for c in checkins] == sorted(
        (c.local_date, c.partner) for c in checkins
    )
    # Nobody checks in twice for a date.
    assert len({(c.partner, c.local_date) for c in checkins}) == len(checkins)
    for checkin in checkins:
        assert checkin.partner in (0, 1)
        assert simulated.start <= checkin.at < simulated.end
        assert checkin.at.utcoffset() == timedelta(0)
        assert checkin.at.astimezone(zone).date() == checkin.local_date
        assert SCALE_MIN <= checkin.connection <= SCALE_MAX
        assert SCALE_MIN <= checkin.stress <= SCALE_MAX
        # Each sign once, in the order they are stored in.
        assert list(checkin.signs) == [sign for sign in SIGNS if sign in checkin.signs]
        assert checkin.note is not None or not checkin.private
        assert checkin.note is None or 0 < len(checkin.note) <= 1000


@pytest.mark.parametrize("profile", list(PROFILES))
def test_activities_are_well_formed_and_inside_the_span(profile: str) -> None:
    activities = couple(profile).activities
    assert activities
    times = [activity.occurred_at for activity in activities]
    assert times == sorted(times)
    for activity in activities:
        assert END - timedelta(weeks=WEEKS) <= activity.occurred_at < END
        assert activity.occurred_at.utcoffset() == timedelta(0)
        assert activity.logged_by in (0, 1)
        assert activity.kind in ActivityKind
        assert activity.duration_minutes is None or 1 <= activity.duration_minutes <= MAX_MINUTES


def test_notes_and_private_notes_are_mixed() -> None:
    simulated = couple("masters")
    noted = [checkin for checkin in simulated.checkins if checkin.note is not None]
    assert 0.1 * len(simulated.checkins) < len(noted) < 0.4 * len(simulated.checkins)
    assert any(checkin.private for checkin in noted)
    assert not all(checkin.private for checkin in noted)
    assert any(activity.note for activity in simulated.activities)
    assert any(activity.duration_minutes is None for activity in simulated.activities)
    assert {activity.kind for activity in simulated.activities} == set(ActivityKind)


@pytest.mark.parametrize("seed", SEEDS)
def test_masters_check_in_often_close_and_calm_and_spend_time_together(seed: int) -> None:
    simulated = couple("masters", seed)
    assert len(simulated.checkins) > 0.7 * 2 * checkin_days(simulated)
    assert connection(simulated.checkins) >= 8.0
    assert stress(simulated.checkins) <= 3.5
    assert signs(simulated.checkins) <= 0.2
    assert DistancingSign.infidelity not in {s for c in simulated.checkins for s in c.signs}
    assert per_week(simulated.activities) >= 3
    zone = ZoneInfo(simulated.timezone)
    date_night_weeks = {
        week_start(activity.occurred_at, simulated.timezone, "monday")
        for activity in simulated.activities
        if activity.kind is ActivityKind.date_night
    }
    # A date night most weeks; most of them on Friday or Saturday.
    assert len(date_night_weeks) > WEEKS / 2
    nights = [a for a in simulated.activities if a.kind is ActivityKind.date_night]
    weekend = [a for a in nights if a.occurred_at.astimezone(zone).weekday() in (4, 5, 6)]
    assert len(weekend) > len(nights) / 2


@pytest.mark.parametrize("seed", SEEDS)
def test_disasters_seldom_check_in_feel_apart_and_share_little_time(seed: int) -> None:
    simulated, masters = couple("disasters", seed), couple("masters", seed)
    assert len(simulated.checkins) < 0.35 * 2 * checkin_days(simulated)
    assert connection(simulated.checkins) <= 4.5
    assert stress(simulated.checkins) >= 6.0
    assert signs(simulated.checkins) >= 1.5
    assert per_week(simulated.activities) <= 1
    assert signs(simulated.checkins) > 10 * signs(masters.checkins)


@pytest.mark.parametrize("seed", SEEDS)
def test_the_pursuer_checks_in_and_sees_the_other_withdraw(seed: int) -> None:
    simulated = couple("pursuer_distancer", seed)
    pursuer = [checkin for checkin in simulated.checkins if checkin.partner == 0]
    distancer = [checkin for checkin in simulated.checkins if checkin.partner == 1]
    assert len(pursuer) > 3 * len(distancer) > 0
    noticed = Counter(sign for checkin in pursuer for sign in checkin.signs)
    assert noticed.most_common(1)[0][0] == DistancingSign.preference_for_being_alone
    assert signs(pursuer) > 2 * signs(distancer)
    assert connection(pursuer) < connection(distancer)
    logged = Counter(activity.logged_by for activity in simulated.activities)
    assert logged[0] > 2 * logged[1]


@pytest.mark.parametrize("seed", SEEDS)
def test_a_drifting_couple_grows_apart_and_stops_spending_time_together(seed: int) -> None:
    simulated = couple("drifting", seed)
    early, late = first(simulated, 4), last(simulated, 4)
    assert len(late) < 0.9 * len(early)
    assert connection(early) - connection(late) >= 2.5
    assert stress(early) < 6 < 7.5 <= stress(late)
    assert signs(late) - signs(early) >= 2
    noticed = Counter(sign for checkin in late for sign in checkin.signs)
    assert {sign for sign, _ in noticed.most_common(4)} & {
        DistancingSign.emotional_detachment,
        DistancingSign.preference_for_being_alone,
    }
    # Most of the change comes late, where three weeks compare with the three before.
    assert signs(last(simulated, 3)) - signs(last(simulated, 3, skip=3)) >= 1
    assert simulated.activities
    assert simulated.activities[-1].occurred_at < simulated.end - timedelta(weeks=5)


@pytest.mark.parametrize("seed", SEEDS)
def test_a_recovering_couple_comes_back_together(seed: int) -> None:
    simulated = couple("recovering", seed)
    early, late = first(simulated, 4), last(simulated, 4)
    assert len(late) > 1.2 * len(early)
    assert connection(late) - connection(early) >= 1.5
    assert stress(late) < 6 < stress(early)
    assert signs(early) - signs(late) >= 1
    assert simulated.activities
    assert simulated.activities[0].occurred_at >= simulated.start + timedelta(weeks=5)
    assert any(a.occurred_at >= simulated.end - timedelta(weeks=4) for a in simulated.activities)


async def live_rows(conn: AsyncConnection, table: sa.Table, couple_id: uuid.UUID) -> int | None:
    return await conn.scalar(
        sa.select(sa.func.count())
        .select_from(table)
        .where(table.c.couple_id == couple_id, table.c.deleted_at.is_(None))
    )


async def test_the_seeded_rollups_count_the_simulated_checkins_and_activities(
    conn: AsyncConnection,
) -> None:
    simulated = couple("pursuer_distancer", seed=4, weeks=12)
    seeded = await seed_couple(
        conn,
        simulated,
        names=("Priya", "Dev"),
        emails=("priya.rollups@example.org", "dev.rollups@example.org"),
        password_hash=hash_password(PASSWORD, get_settings()),
    )
    assert (seeded.checkins, seeded.activities) == (
        len(simulated.checkins),
        len(simulated.activities),
    )
    assert await live_rows(conn, _checkins, seeded.couple_id) == len(simulated.checkins)
    assert await live_rows(conn, _activities, seeded.couple_id) == len(simulated.activities)

    checkins: Counts = defaultdict(Counter)
    dates = [{c.local_date for c in simulated.checkins if c.partner == p} for p in (0, 1)]
    for checkin in simulated.checkins:
        partner_id = seeded.partner_ids[checkin.partner]
        # Paired: the other partner checked in for the same date.
        paired = checkin.local_date in dates[1 - checkin.partner]
        counts = checkins[week_of(checkin.local_date, "monday"), partner_id, paired]
        add_checkin(counts, checkin.connection, checkin.stress, (s.value for s in checkin.signs))
    stored = await stored_rollup(
        conn, _checkin_weeks, seeded.couple_id, ("partner_id", "paired"), CHECKIN_COUNTS
    )
    assert stored == checkins
    assert len(stored) > 12  # both partners, most weeks

    activities: Counts = defaultdict(Counter)
    for activity in simulated.activities:
        counts = activities[
            week_start(activity.occurred_at, simulated.timezone, "monday"), activity.kind.value
        ]
        counts["activities"] += 1
        counts["minutes"] += activity.duration_minutes or 0
    stored = await stored_rollup(
        conn, _activity_weeks, seeded.couple_id, ("kind",), ("activities", "minutes")
    )
    assert stored == activities
    assert len(stored) > 4
