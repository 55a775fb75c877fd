"""`/couples/{couple_id}/digest`: the week in plain sentences."""

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Response
from pydantic import AfterValidator

from api.core.db import DatabaseDep
from api.core.deps import CallerDep
from api.core.errors import problems
from api.core.responses import PRIVATE
from api.digest import service
from api.digest.catalogue import Catalogues, catalogues
from api.trends.params import TrendsCacheDep
from models.types import LocalDate

router = APIRouter(prefix="/couples/{couple_id}/digest", tags=["digest"], responses=problems(503))

EARLIEST = date(1900, 1, 1)


def _not_before_1900(day: date | None) -> date | None:
    if day is not None and day < EARLIEST:
        raise ValueError(f"must be {EARLIEST} or later")
    return day


WeekQuery = Annotated[
    LocalDate | None,
    AfterValidator(_not_before_1900),
    Query(
        description="Any local date, YYYY-MM-DD, from 1900-01-01 up to the end of the "
        "current week: the digest is of the couple's week that holds it. Default: the last "
        "whole week.",
    ),
]
CataloguesDep = Annotated[Catalogues, Depends(catalogues)]

DESCRIPTION = """\
The week in a few plain sentences for the caller, each naming the figure it tells.
Only the couple's two partners read it; anyone else, a therapist with both partners'
grants included, gets the 404 of a couple that does not exist.

- **Week.** `week` is any local date; the digest is of the couple's calendar week
  (its `week_starts`, in its time zone) that holds it, and `week_start` says which.
  Default: the last whole week, the one before the week holding today. The current,
  unfinished week may be asked for; a later one is a 422, as is a date before 1900.
- **Source.** Only the figures of `GET /couples/{couple_id}/trends/weekly` as the caller
  reads them, for that week and the one before (and, for the flags, a read ending a
  week earlier), and the other partner's display name. No note or other free text is
  ever read; no model, no network.
- **figure.** The dotted path of the value in that week's entry of the trends response
  (`by_partner.<partner id>.toward`, `turn_toward_rate`, `checkins.connection_avg`,
  `checkins.signs.<code>`, `activities.kinds.<kind>`, `net`, `repairs`, `bids`), or
  `summary.flags.<code>` for a flag of that read's summary. The first number in a
  sentence is that figure (for `net`, its size); a sentence with no number says its
  figure in words ("once", "nothing was logged", "held even").
- **Numbers.** Counts as integers, averages with one decimal, rates as whole
  percentages, rounded half up; "up from", "down from" and "the same as" compare the
  numbers as shown with the week before, and no comparison is made when the week
  before had none of that figure. "N of your M bids" counts bids with a response
  logged (pending bids are left out).
- **Sentences, in this order, each only when its figures are not empty:** the other
  partner turning toward the caller's bids (compared with the week before); the
  caller turning toward the other's bids (not compared: the digest is not a
  scorecard); each of these two left out when no bid was turned toward (the couple's
  rate still tells the week); the bids logged together; the couple's turn-toward
  rate (compared); repair attempts; the week's net in the shared emotional bank
  account; connection averaged over the check-ins (compared); outside stress averaged
  (not compared), with a gentle word from 7.0 up as shown; signs of distancing
  noticed more often than the week before (after a week with no check-ins, those
  noticed at all), at most 3, the most noticed first; shared time by kind with its
  minutes, or, when the summary's `no-shared-time` flag is up (its rule decides; the
  digest adds none of its own), a sentence saying there was none for four weeks; then
  each flag of the summary that was not up a week earlier, kindly worded
  (`pursuer-distancer` is never worded: it points at one partner; `not-logging` not
  when the week is empty).
- **Empty week.** With no bid, check-in or activity, the digest is one kind sentence
  saying nothing was logged (figure `bids`), then the four weeks without shared time
  (when `no-shared-time` is up) and any new flag.
- **Language.** Sentences come from gettext message catalogues, one file per locale;
  the locale is the best of `Accept-Language` among those shipped (a tag as asked,
  else its language alone), else English (`en`). The answer carries it in `locale` and
  `Content-Language`.
"""


@router.get(
    "",
    response_model=service.Digest,
    responses={
        200: {
            "description": "The digest",
            "headers": {
                "Content-Language": {
                    "description": "The locale of the sentences, as in `locale`.",
                    "schema": {"type": "string"},
                }
            },
        },
        **problems(401, 404, 422),
    },
    description=DESCRIPTION,
)
async def weekly_digest(
    couple_id: uuid.UUID,
    caller: CallerDep,
    database: DatabaseDep,
    cache: TrendsCacheDep,
    messages: CataloguesDep,
    week: WeekQuery = None,
    accept_language: Annotated[
        str | None,
        Header(description="The languages wanted, as HTTP says; English when none is served."),
    ] = None,
) -> Response:
    locale = messages.negotiate(accept_language)
    digest = await service.weekly_digest(
        database,
        cache,
        couple_id,
        caller,
        week=week,
        catalogue=messages.get(locale),
    )
    return Response(
        digest.model_dump_json(),
        media_type="application/json",
        headers={
            **PRIVATE,
            # One answer per login and language.
            "Vary": "Authorization, Accept-Language",
            "Content-Language": digest.locale,
        },
    )
