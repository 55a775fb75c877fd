"""`GET /couples/{id}/digest` as the partners see it: the week from each one's side,
the week chosen, the guards, and the language."""

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import polib
import pytest
from fastapi import FastAPI

from api.digest.catalogue import MESSAGES, Catalogues, catalogues
from models import calendar
from tests.digest.helpers import (
    COUPLE_SENTENCES,
    HOSTILE,
    SECRET,
    current_week,
    get_digest,
    last_week,
    log,
    log_two_weeks,
    sentences,
    write_translation,
)
from tests.factories import Couple, Person, make_couple, register
from tests.http import assert_problem
from tests.therapists.helpers import grant_both


def _bids_and_couple(found: list[tuple[str, str]]) -> list[tuple[str, str]]:
    # The check-ins' and activities' sentences are the subject of tests of their own.
    return [pair for pair in found if not pair[0].startswith(("checkins", "activities"))]


async def test_each_partner_reads_the_week_from_their_side(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    assert couple.second is not None
    await log_two_weeks(client, couple)
    anas = await get_digest(client, couple, couple.first)
    bens = await get_digest(client, couple, couple.second)
    assert anas.status_code == 200, anas.text
    assert bens.status_code == 200, bens.text

    assert anas.json()["couple_id"] == couple.id
    assert anas.json()["week_start"] == bens.json()["week_start"] == last_week().isoformat()
    assert _bids_and_couple(sentences(anas.json())) == [
        (
            f"by_partner.{couple.second.id}.toward",
            "Ben turned toward 9 of your 11 bids this week, up from 6 of 10.",
        ),
        (f"by_partner.{couple.first.id}.toward", "You turned toward 7 of Ben's 8 bids this week."),
        *COUPLE_SENTENCES,
    ]
    assert _bids_and_couple(sentences(bens.json())) == [
        (f"by_partner.{couple.first.id}.toward", "Ana turned toward 7 of your 8 bids this week."),
        (
            f"by_partner.{couple.second.id}.toward",
            "You turned toward 9 of Ana's 11 bids this week.",
        ),
        *COUPLE_SENTENCES,
    ]
    for answer in (anas, bens):
        assert SECRET not in answer.text
        assert answer.json()["locale"] == "en"
        assert answer.headers["content-language"] == "en"
        assert answer.headers["cache-control"] == "private, no-cache"
        assert "accept-language" in answer.headers["vary"].lower()


async def test_nobody_reads_that_they_turned_toward_none(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    """Ana made 3 bids last week and Ben turned away from all; Ben made 1, and Ana
    turned toward it."""
    assert couple.second is not None
    ana, ben = couple.first, couple.second
    await log(client, couple, ana, last_week(), "away", 3)
    await log(client, couple, ben, last_week(), "toward")
    anas = sentences((await get_digest(client, couple, ana)).json())
    bens = sentences((await get_digest(client, couple, ben)).json())
    for found in (anas, bens):
        assert f"by_partner.{ben.id}.toward" not in dict(found)
        assert dict(found)["turn_toward_rate"] == (
            "Together you turned toward 25% of the bids answered this week."
        )
    assert dict(bens)[f"by_partner.{ana.id}.toward"] == (
        "Ana turned toward 1 of your 1 bid this week."
    )


async def test_the_week_before_is_compared_in_its_own_digest(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    assert couple.second is not None
    await log_two_weeks(client, couple)
    before = last_week() - calendar.WEEK
    body = (await get_digest(client, couple, week=before.isoformat())).json()
    assert body["week_start"] == before.isoformat()
    assert sentences(body)[:2] == [
        (f"by_partner.{couple.second.id}.toward", "Ben turned toward 6 of your 10 bids this week."),
        ("bids", "Together you logged 10 bids this week."),
    ]


async def test_the_default_is_the_last_whole_week_and_any_day_of_it_reads_it(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    await log_two_weeks(client, couple)
    default = (await get_digest(client, couple)).json()
    assert default["week_start"] == last_week().isoformat()
    for offset in range(7):
        day = last_week() + timedelta(days=offset)
        read = await get_digest(client, couple, week=day.isoformat())
        assert read.status_code == 200, read.text
        assert read.json() == default


async def test_a_sunday_week_is_read_on_the_couples_calendar(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    changed = await client.patch(
        couple.path,
        json={"week_starts": "sunday", "timezone": "Pacific/Kiritimati"},
        headers=couple.first.headers,
    )
    assert changed.status_code == 200, changed.text
    expected = current_week("Pacific/Kiritimati", "sunday") - calendar.WEEK
    assert (await get_digest(client, couple)).json()["week_start"] == expected.isoformat()
    monday = expected + timedelta(days=1)
    read = await get_digest(client, couple, week=monday.isoformat())
    assert read.json()["week_start"] == expected.isoformat()


async def test_the_current_week_may_be_read_but_not_a_later_one(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    this_week = current_week()
    last_day = this_week + timedelta(days=6)
    read = await get_digest(client, couple, week=last_day.isoformat())
    assert read.status_code == 200, read.text
    assert read.json()["week_start"] == this_week.isoformat()
    later = this_week + calendar.WEEK
    assert_problem(await get_digest(client, couple, week=later.isoformat()), 422, field="week")
    assert_problem(await get_digest(client, couple, week="2999-12-31"), 422, field="week")


@pytest.mark.parametrize(
    "week",
    ["yesterday", "2024-13-01", "2024-02-30", "20240101", "1714953600", "1899-12-31", "0001-01-01"],
)
async def test_a_week_that_is_not_a_date_from_1900_is_422(
    client: httpx.AsyncClient, couple: Couple, week: str
) -> None:
    assert_problem(await get_digest(client, couple, week=week), 422, field="week")


FULL_WIDTH = "2026-\uff11\uff11-01"  # November, in full-width digits


@pytest.mark.parametrize(
    ("path", "parameter"),
    [("digest", "week"), ("trends/weekly", "end")],
    ids=["digest", "trends"],
)
async def test_a_date_in_other_digits_is_422_as_any_date_not_yyyy_mm_dd(
    client: httpx.AsyncClient, couple: Couple, path: str, parameter: str
) -> None:
    # The trends read is here as the digest's source: both parse dates alike.
    read = await client.get(
        f"{couple.path}/{path}", params={parameter: FULL_WIDTH}, headers=couple.first.headers
    )
    problem = assert_problem(read, 422, field=parameter)
    assert problem["errors"] == [{"field": parameter, "message": "must be a date as YYYY-MM-DD"}]


async def test_an_empty_week_says_so_kindly(client: httpx.AsyncClient, couple: Couple) -> None:
    read = await get_digest(client, couple, week="1900-01-01")
    assert read.status_code == 200, read.text
    assert read.json()["week_start"] == "1900-01-01"
    assert sentences(read.json()) == [
        (
            "bids",
            "Nothing was logged this week. Whenever you are ready, one bid, one check-in or "
            "one evening together is a fine place to start.",
        )
    ]


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer not-a-token"}], ids=["no-token", "bad-token"]
)
async def test_without_a_valid_token_is_401(
    client: httpx.AsyncClient, couple: Couple, headers: dict[str, str]
) -> None:
    assert_problem(await client.get(f"{couple.path}/digest", headers=headers), 401)


async def test_a_partner_of_another_couple_gets_404(
    client: httpx.AsyncClient, couple: Couple, stranger: Person
) -> None:
    await log_two_weeks(client, couple)
    problem = assert_problem(await get_digest(client, couple, stranger), 404)
    missing = await client.get(f"/api/v1/couples/{uuid.uuid4()}/digest", headers=stranger.headers)
    assert problem == assert_problem(missing, 404)


async def test_a_therapist_with_both_grants_gets_404(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    therapist = await register(client, "Kim", account_type="therapist")
    await grant_both(client, couple, therapist)
    assert_problem(await get_digest(client, couple, therapist), 404)


async def test_a_couple_whose_partner_has_not_joined_gets_a_digest(
    client: httpx.AsyncClient,
) -> None:
    alone = await make_couple(client, joined=False)
    read = await get_digest(client, alone)
    assert read.status_code == 200, read.text
    assert [figure for figure, _ in sentences(read.json())] == ["bids"]


# --- The language -------------------------------------------------------------------------


@pytest.fixture
def translated(app: FastAPI, tmp_path: Path) -> Iterator[Path]:
    """The app reading its catalogues from a directory of the test's own too."""
    app.dependency_overrides[catalogues] = lambda: Catalogues(tmp_path)
    yield tmp_path
    app.dependency_overrides.pop(catalogues)


def write_xx(directory: Path) -> None:
    english = polib.pofile(str(MESSAGES / "en.po"))
    po = polib.POFile()
    po.metadata = {
        "Content-Type": "text/plain; charset=UTF-8",
        "Language": "xx",
        "Plural-Forms": "nplurals=2; plural=(n != 1);",
    }
    for entry in english:
        if entry.msgid_plural:
            po.append(
                polib.POEntry(
                    msgid=entry.msgid,
                    msgid_plural=entry.msgid_plural,
                    msgstr_plural={
                        index: f"[xx] {text}" for index, text in entry.msgstr_plural.items()
                    },
                )
            )
        else:
            po.append(polib.POEntry(msgid=entry.msgid, msgstr=f"[xx] {entry.msgstr}"))
    po.save(str(directory / "xx.po"))


async def test_a_translation_that_dresses_its_placeholders_is_not_used(
    client: httpx.AsyncClient, couple: Couple, translated: Path
) -> None:
    await log_two_weeks(client, couple)
    english = (await get_digest(client, couple)).json()
    write_translation(translated, "xx", HOSTILE)
    read = await client.get(
        f"{couple.path}/digest", headers={**couple.first.headers, "Accept-Language": "xx"}
    )
    assert read.status_code == 200, read.text
    assert read.json()["sentences"] == english["sentences"]


async def test_a_translation_is_a_file_chosen_by_accept_language(
    client: httpx.AsyncClient, couple: Couple, translated: Path
) -> None:
    await log_two_weeks(client, couple)
    english = (await get_digest(client, couple)).json()
    write_xx(translated)

    read = await client.get(
        f"{couple.path}/digest", headers={**couple.first.headers, "Accept-Language": "xx-YY"}
    )
    assert read.status_code == 200, read.text
    assert read.headers["content-language"] == "xx"
    assert read.json()["locale"] == "xx"
    assert [s["figure"] for s in read.json()["sentences"]] == [
        s["figure"] for s in english["sentences"]
    ]
    assert read.json()["sentences"][0]["text"] == (
        "[xx] Ben turned toward 9 of your 11 bids this week, up from 6 of 10."
    )
    assert all(s["text"].startswith("[xx] ") for s in read.json()["sentences"])

    unknown = await client.get(
        f"{couple.path}/digest",
        headers={**couple.first.headers, "Accept-Language": "zz, qq;q=0.5"},
    )
    assert unknown.headers["content-language"] == "en"
    assert unknown.json() == english
