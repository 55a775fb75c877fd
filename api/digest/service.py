"""The weekly digest: the couple's trends for the week asked for, put into words for one
partner (api/digest/compose.py). Everything it says comes from the trends reads; no
note or other free text is read at all."""

import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field

from api.core.db import Database
from api.core.errors import invalid
from api.core.security import Caller
from api.couples import service as couples
from api.couples.access import couple_partners
from api.digest.catalogue import Catalogue
from api.digest.compose import Partner, Sentence, compose
from api.trends import service as trends
from models import calendar
from models.base import utcnow

# The digest's week and the one before, for the comparisons. The flags are judged on
# the weeks the summary reads, whatever the number of weeks asked for.
WEEKS_READ = 2


class Digest(BaseModel):
    couple_id: uuid.UUID
    week_start: date = Field(
        description="The first day of the week told, in the couple's calendar."
    )
    locale: str = Field(description="The language of the sentences, as in `Content-Language`.")
    sentences: list[Sentence] = Field(description="A few sentences, in the order described.")


def _flag_codes(computed: trends.Computed, now: datetime) -> list[str]:
    """The codes of the summary's flags as the trends route serves them at `now`."""
    return [str(flag.code) for flag in computed.flags_at(now)]


async def weekly_digest(
    database: Database,
    cache: trends.TrendsCache,
    couple_id: uuid.UUID,
    caller: Caller,
    *,
    week: date | None,
    catalogue: Catalogue,
) -> Digest:
    # The partners' guard and the couple in a transaction of their own, ended before
    # the trends reads open theirs: on SQLite every transaction holds the write lock.
    async with database.transaction() as conn:
        await couple_partners(couple_id, caller, conn)
        couple = await couples.get_couple(conn, couple_id, caller.id)
    caller_id = caller.id
    current = calendar.week_of(calendar.local_date(utcnow(), couple.timezone), couple.week_starts)
    if week is None:
        day = current - calendar.WEEK
    elif calendar.week_of(week, couple.week_starts) > current:
        raise invalid("week", "must not be in a week after the current one")
    else:
        day = week
    computed, now = await trends.weekly_trends(
        database, cache, couple_id, caller_id, weeks=WEEKS_READ, end=day
    )
    earlier, then = await trends.weekly_trends(
        database, cache, couple_id, caller_id, weeks=WEEKS_READ, end=day - calendar.WEEK
    )
    others = [partner for partner in couple.partners if partner.id != caller_id]
    partner = Partner(others[0].id, others[0].display_name) if others else None
    weeks = computed.trends.weeks
    return Digest(
        couple_id=couple_id,
        week_start=weeks[-1]["week_start"],
        locale=catalogue.locale,
        sentences=compose(
            weeks,
            _flag_codes(computed, now),
            caller_id,
            partner,
            catalogue,
            flags_before=set(_flag_codes(earlier, then)),
        ),
    )
