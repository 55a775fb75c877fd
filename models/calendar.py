"""Which local day and week an instant falls in, for a couple's time zone and week start.

The same rule runs in SQL: PostgreSQL has `toward_week_start` (alembic/versions/0002),
SQLite gets `week_start_of_stored` below as a function of each connection."""

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

WEEK = timedelta(days=7)


# ZoneInfo keeps only the last 8 zones it made strongly; a caseload of couples in more
# zones than that would read zone files from disk on every request.
@lru_cache(maxsize=1024)
def zone(timezone: str) -> ZoneInfo:
    return ZoneInfo(timezone)


def local_date(moment: datetime, timezone: str) -> date:
    return moment.astimezone(zone(timezone)).date()


def next_quarter_hour(moment: datetime) -> datetime:
    """The next UTC quarter hour after `moment`: every zone's offset from UTC is a whole
    number of quarter hours, so a local date, anywhere, changes only on one."""
    start = moment.astimezone(UTC).replace(second=0, microsecond=0)
    return start + timedelta(minutes=15 - start.minute % 15)


def week_of(day: date, week_starts: str) -> date:
    """The first day of the calendar week holding `day`."""
    # Monday is weekday 0; a Sunday week starts a day before the Monday week.
    offset = (day.weekday() + 1) % 7 if week_starts == "sunday" else day.weekday()
    return day - timedelta(days=offset)


def week_start(moment: datetime, timezone: str, week_starts: str) -> date:
    return week_of(local_date(moment, timezone), week_starts)


def day_start(day: date, timezone: str) -> datetime:
    """The UTC instant at which `day` begins in the time zone. Where a daylight-saving
    change skips midnight, the zone's rule (fold 0) maps it to the first time that
    exists; where midnight repeats, to its first occurrence."""
    return datetime(day.year, day.month, day.day, tzinfo=zone(timezone)).astimezone(UTC)


# A trends read makes two windows of up to 104 weeks: kept, each costs a lookup rather
# than a date sum per week (measured: some 50 µs of a read after a write).
@lru_cache(maxsize=256)
def window(last_week: date, weeks: int) -> tuple[date, ...]:
    """The week starts of a window of `weeks` weeks ending with `last_week`, oldest first."""
    return tuple(last_week - WEEK * back for back in range(weeks - 1, -1, -1))


def week_start_of_stored(stored: str | None, timezone: str, week_starts: str) -> str | None:
    """`week_start` for SQLite, which keeps UTC times as naive ISO text and dates as
    ISO text."""
    if stored is None:
        return None
    moment = datetime.fromisoformat(stored).replace(tzinfo=UTC)
    return week_start(moment, timezone, week_starts).isoformat()
