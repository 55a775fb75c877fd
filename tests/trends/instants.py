"""Where the generated bids fall: around daylight-saving changes and local week
boundaries of zones on both hemispheres and with odd offsets, where a wrong time zone
rule puts a bid in the wrong week; and the offsets a time is written in."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from tests.trends.reference import Calendar, first_day_of_week

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
