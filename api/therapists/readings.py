"""What the caseload reads of a couple, and what the couple's rollup rows say as of one
week (its readings): pure values, computed from what `api/therapists/caseload.py`
reads, remembered by the version of the couple's figures (ReadingsKey)."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from api.trends.service import Rollups, summarise
from models import calendar, figures
from models.couple import PartnerPublic, Weights
from models.figures import ActivityTally, CheckinTally, Tally
from models.trend import Summary

# The weeks a couple's readings summarise, to this one.
READ_WEEKS = max(figures.DEFAULT_WEEKS, figures.SUMMARY_WEEKS)


@dataclass
class ListedCouple:
    """A couple of a therapist's caseload, as its row reads."""

    couple_id: uuid.UUID
    timezone: str
    week_starts: str
    weights: Weights
    created_at: datetime
    access_since: datetime
    last_bid_at: datetime | None
    version: int | None
    partners: list[PartnerPublic]

    def key(self, this_week: date) -> "ReadingsKey":
        partners = tuple(partner.id for partner in self.partners)
        return (self.couple_id, self.version, self.timezone, self.week_starts, partners, this_week)


# Everything the readings depend on: the version of the figures, the calendar, the
# partners and the current week. Weights, names and the time of day apply on reading.
ReadingsKey = tuple[uuid.UUID, int | None, str, str, tuple[uuid.UUID, ...], date]


@dataclass(frozen=True)
class Period:
    """A run of whole weeks: its bids, check-ins and activities."""

    bids: Tally
    checkins: CheckinTally
    activities: ActivityTally


@dataclass(frozen=True)
class Readings:
    """What a couple's rollup rows say as of one week: its summary, the bids of the last
    4 weeks to this one, and the figures of last week and of the 4 whole weeks to it."""

    summary: Summary
    recent: Tally
    last_week: Period
    last_4_weeks: Period


def current_week(couple: ListedCouple, now: datetime) -> date:
    return calendar.week_of(calendar.local_date(now, couple.timezone), couple.week_starts)


def readings_of(
    couple: ListedCouple, rollups: Rollups, last_activity_at: datetime | None, this_week: date
) -> Readings:
    """As the default trends read (12 weeks to this one) summarises the couple, for a
    therapist: every check-in counts."""
    window = calendar.window(this_week, READ_WEEKS)
    partner_ids = [partner.id for partner in couple.partners]
    counts = rollups.bids
    habits = rollups.habits(last_activity_at, couple.timezone, couple.created_at)
    habit_weeks = habits.weekly(window)
    summary = summarise(
        counts, window[-figures.DEFAULT_WEEKS :], window, partner_ids, habits, habit_weeks
    )
    last_week = this_week - calendar.WEEK

    def between(first: date, last: date) -> Period:
        weeks = [habit_weeks[week] for week in window if first <= week <= last]
        return Period(
            bids=figures.tally(row for row in counts if first <= row.week_start <= last),
            checkins=CheckinTally.total(checkins for checkins, _ in weeks),
            activities=ActivityTally.total(activities for _, activities in weeks),
        )

    return Readings(
        summary=summary,
        recent=between(window[-figures.RECENT_WEEKS], this_week).bids,
        last_week=between(last_week, last_week),
        last_4_weeks=between(last_week - 3 * calendar.WEEK, last_week),
    )
