"""Weeks built by hand in the shape `WeeklyTrends` holds them (partners' ids as UUIDs,
dates as dates), and the calls of the digest tests."""

import re
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import httpx
import polib

from api.digest import compose as words
from api.digest.catalogue import CATALOGUES, MESSAGES, Catalogue
from api.digest.compose import Partner, Sentence, compose
from models import calendar
from models.trend import ActivityFigures, CheckinFigures, PartnerWeek, WeekFigures
from models.vocabulary import SIGNS, ActivityKind
from tests.factories import Couple, Person

ANA = uuid.UUID("11111111-1111-4111-8111-111111111111")
BEN = uuid.UUID("22222222-2222-4222-8222-222222222222")
WEIGHTS = (1, -5, -5)
ENGLISH: Catalogue = CATALOGUES.get("en")


def week(
    responses: Mapping[uuid.UUID, tuple[int, int, int]] | None = None,
    *,
    start: str = "2024-05-06",
    pending: int = 0,
    repairs: int = 0,
    checkins: Mapping[str, Any] | None = None,
    activities: Mapping[str, Any] | None = None,
) -> WeekFigures:
    """A week whose bids were answered as `responses` says: for each responder, the
    (toward, away, against) of the bids they received; the other partner made them."""
    responses = responses or {}
    toward = sum(counts[0] for counts in responses.values())
    away = sum(counts[1] for counts in responses.values())
    against = sum(counts[2] for counts in responses.values())
    answered = toward + away + against
    deposits = toward * WEIGHTS[0]
    withdrawals = -(away * WEIGHTS[1] + against * WEIGHTS[2])
    by_partner: dict[uuid.UUID, PartnerWeek] = {}
    for partner, other in ((ANA, BEN), (BEN, ANA)):
        received = responses.get(partner, (0, 0, 0))
        made = responses.get(other, (0, 0, 0))
        by_partner[partner] = PartnerWeek(
            bids_made=sum(made),
            bids_received=sum(received),
            turn_toward_rate=received[0] / sum(received) if sum(received) else None,
            toward=received[0],
            away=received[1],
            against=received[2],
        )
    return WeekFigures(
        week_start=date.fromisoformat(start),
        bids=answered + pending,
        toward=toward,
        away=away,
        against=against,
        pending=pending,
        turn_toward_rate=toward / answered if answered else None,
        deposits=deposits,
        withdrawals=withdrawals,
        net=deposits - withdrawals,
        balance=deposits - withdrawals,
        perception_agreement=None,
        repairs=repairs,
        by_partner=by_partner,
        checkins=checkin_figures(**(checkins or {})),
        activities=activity_figures(**(activities or {})),
    )


def checkin_figures(
    count: int = 0,
    connection: float | None = None,
    stress: float | None = None,
    signs: Mapping[str, int] | None = None,
) -> CheckinFigures:
    return CheckinFigures(
        count=count,
        connection_avg=connection,
        stress_avg=stress,
        signs={sign.value: (signs or {}).get(sign.value, 0) for sign in SIGNS},
    )


def activity_figures(minutes: int = 0, **kinds: int) -> ActivityFigures:
    return ActivityFigures(
        count=sum(kinds.values()),
        minutes=minutes,
        kinds={kind.value: kinds.get(kind.value, 0) for kind in ActivityKind},
    )


def digest_of(
    *weeks: WeekFigures,
    flags: tuple[str, ...] = (),
    flags_before: tuple[str, ...] = (),
    caller: uuid.UUID = ANA,
    catalogue: Catalogue = ENGLISH,
) -> list[Sentence]:
    """The digest of the last of `weeks` for `caller`, whose partner is the other one."""
    partner = Partner(BEN, "Ben") if caller == ANA else Partner(ANA, "Ana")
    return compose(list(weeks), flags, caller, partner, catalogue, flags_before=flags_before)


def write_translation(directory: Path, locale: str, entries: dict[str, str | list[str]]) -> None:
    """A `<locale>.po` in `directory` translating the msgids of `entries`: a list of
    three plural forms (its Plural-Forms has three) or one text each."""
    po = polib.POFile()
    po.metadata = {
        "Content-Type": "text/plain; charset=UTF-8",
        "Language": locale,
        "Plural-Forms": "nplurals=3; plural=(n == 1 ? 0 : n == 2 ? 1 : 2);",
    }
    for english in polib.pofile(str(MESSAGES / "en.po")):
        translated = entries.get(english.msgid)
        if translated is None:
            continue
        if english.msgid_plural:
            assert isinstance(translated, list)
            po.append(
                polib.POEntry(
                    msgid=english.msgid,
                    msgid_plural=english.msgid_plural,
                    msgstr_plural=dict(enumerate(translated)),
                )
            )
        else:
            assert isinstance(translated, str)
            po.append(polib.POEntry(msgid=english.msgid, msgstr=translated))
    po.save(str(directory / f"{locale}.po"))


# Translated forms that must not be used: each would pad, convert, reach into a value,
# ask for a value by position, or fail to parse. The last entry is well formed.
HOSTILE: dict[str, str | list[str]] = {
    words.BIDS_TOGETHER.singular: ["{count:>99999999}", "{count:>99999999}", "{count:>9}"],
    words.REPAIRS.singular: ["{count!r} x", "{count!s} x", "{count!a} x"],
    words.PARTNER_TOWARD[None].singular: [
        "{partner.__class__} {toward} {count}",
        "{partner.__class__} {toward} {count}",
        "{partner.__class__} {toward} {count}",
    ],
    words.RATE[None].msgid: "{percent[0]}%",
    words.CALLER_TOWARD.singular: [
        "{} {partner} {toward} {count}",
        "{0} {partner} {toward} {count}",
        "{partner} {toward} {count}",
    ],
    words.NET_DIPPED.singular: ["{count", "count}", "{count}}"],
    words.NOTHING_LOGGED.msgid: "} {",
    words.STRESS.msgid: "Xstress {stress}.",
}


def texts(sentences: list[Sentence]) -> list[str]:
    return [sentence.text for sentence in sentences]


def by_figure(sentences: list[Sentence]) -> dict[str, str]:
    return {sentence.figure: sentence.text for sentence in sentences}


async def get_digest(
    client: httpx.AsyncClient, couple: Couple, person: Person | None = None, **params: Any
) -> httpx.Response:
    return await client.get(
        f"{couple.path}/digest", params=params, headers=(person or couple.first).headers
    )


SECRET = "words only the note holds"


def current_week(timezone: str = "UTC", week_starts: str = "monday") -> date:
    return calendar.week_of(calendar.local_date(datetime.now(UTC), timezone), week_starts)


def last_week() -> date:
    return current_week() - calendar.WEEK


def at(day: date, hour: int = 12) -> str:
    """Noon (or `hour`) of a day in UTC, the test couples' time zone."""
    return datetime.combine(day, time(hour), tzinfo=UTC).isoformat()


async def log(
    client: httpx.AsyncClient,
    couple: Couple,
    by: Person,
    day: date,
    response: str,
    count: int = 1,
    **extra: Any,
) -> None:
    for _ in range(count):
        body = {"kind": "humor", "occurred_at": at(day), "response": response, **extra}
        created = await client.post(couple.bids, json=body, headers=by.headers)
        assert created.status_code == 201, created.text


async def log_two_weeks(client: httpx.AsyncClient, couple: Couple) -> None:
    """Last week: Ana made 11 bids, Ben turned toward 9 and away from 2; Ben made 8,
    Ana turned toward 7 (one a repair) and against 1. The week before: Ana made 10,
    Ben turned toward 6. Each bidder logs their own bids with their view."""
    assert couple.second is not None
    ana, ben = couple.first, couple.second
    week, before = last_week(), last_week() - calendar.WEEK
    await log(client, couple, ana, week + timedelta(days=1), "toward", 9, note=SECRET)
    await log(client, couple, ana, week + timedelta(days=2), "away", 2)
    await log(client, couple, ben, week + timedelta(days=3), "toward", 6)
    await log(client, couple, ben, week + timedelta(days=3), "toward", repair=True)
    await log(client, couple, ben, week + timedelta(days=6), "against", private=True, note=SECRET)
    await log(client, couple, ana, before, "toward", 6)
    await log(client, couple, ana, before + timedelta(days=6), "away", 4)


COUPLE_SENTENCES = [
    ("bids", "Together you logged 19 bids this week."),
    (
        "turn_toward_rate",
        "Together you turned toward 84% of the bids answered this week, up from 60%.",
    ),
    ("repairs", "1 repair attempt this week: reaching back after a hard moment matters."),
    (
        "net",
        "Your shared emotional bank account grew by 1 point this week: every turn toward is "
        "a deposit.",
    ),
]


def sentences(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(sentence["figure"], sentence["text"]) for sentence in body["sentences"]]


async def trends_of_week(
    client: httpx.AsyncClient, couple: Couple, person: Person, week_start: str
) -> dict[str, Any]:
    read = await client.get(
        f"{couple.path}/trends/weekly",
        params={"end": week_start, "weeks": 8},
        headers=person.headers,
    )
    assert read.status_code == 200, read.text
    return read.json()


def resolve(trends: dict[str, Any], week_start: str, figure: str) -> Any:
    """The value a figure path names in the trends read: the flag itself for
    `summary.flags.<code>`, else the value in the week's entry."""
    if figure.startswith("summary.flags."):
        code = figure.removeprefix("summary.flags.")
        return next(flag for flag in trends["summary"]["flags"] if flag["code"] == code)
    value: Any = next(week for week in trends["weeks"] if week["week_start"] == week_start)
    for part in figure.split("."):
        value = value[part]
    return value


def assert_tells_its_figure(text: str, figure: str, value: Any) -> None:
    shown = re.search(r"\d+(?:\.\d+)?", text)
    if figure.startswith("summary.flags."):
        assert isinstance(value, dict), value
        return
    assert isinstance(value, int | float) and not isinstance(value, bool), (figure, value)
    if shown is None:
        # Said in words: "nothing was logged", "held even", "came up once".
        assert value in (0, 1), (text, figure, value)
        return
    number = float(shown.group())
    if figure == "turn_toward_rate":
        assert abs(number - value * 100) <= 0.5, (text, value)
    elif figure.endswith("_avg"):
        assert abs(number - value) <= 0.05 + 1e-9, (text, value)
    elif figure == "net":
        assert number == abs(value), (text, value)
    else:
        assert number == value, (text, value)


async def assert_every_sentence_tells_its_figure(
    client: httpx.AsyncClient, couple: Couple, person: Person, **params: Any
) -> list[tuple[str, str]]:
    read = await get_digest(client, couple, person, **params)
    assert read.status_code == 200, read.text
    digest = read.json()
    trends = await trends_of_week(client, couple, person, digest["week_start"])
    assert trends["weeks"][-1]["week_start"] == digest["week_start"]
    assert digest["sentences"]
    for sentence in digest["sentences"]:
        value = resolve(trends, digest["week_start"], sentence["figure"])
        assert_tells_its_figure(sentence["text"], sentence["figure"], value)
    return sentences(digest)
