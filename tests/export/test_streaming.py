"""A couple of two years, streamed: the whole of it in the document, sent in many
pieces, while the process's memory grows by a small part of the document's size
(each list is read a page at a time and written as it is read). Built whole, the
document alone would be more than that bound, and its rows several times more."""

import json
import tracemalloc
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa

from api.export.document import PAGE
from models.activity import Activity
from models.bid import Bid
from simulation.simulator import simulate
from tests.export.helpers import stream_export
from tests.factories import seed_and_log_in

_bids: sa.Table = Bid.__table__  # type: ignore[attr-defined]
_activities: sa.Table = Activity.__table__  # type: ignore[attr-defined]


async def _count(conn, table: sa.Table, couple_id: uuid.UUID) -> int:
    found = await conn.scalar(
        sa.select(sa.func.count()).where(
            table.c.couple_id == couple_id, table.c.deleted_at.is_(None)
        )
    )
    assert isinstance(found, int)
    return found


async def test_two_years_of_a_couple_stream_in_pieces_in_bounded_memory(
    app, client, conn, tmp_path
):
    simulated = simulate("masters", seed=7, end=datetime.now(UTC), weeks=104, bids_per_day=20)
    seeded, headers = await seed_and_log_in(client, conn, simulated, "export-two-years")
    ana, ben = headers
    # What any first request costs once (statements compiled, caches filled) is not
    # what an export holds: Ben's export pays it.
    assert (await stream_export(app, ben)).whole
    path = tmp_path / "export.json"

    with path.open("wb") as file:

        async def write(piece: bytes) -> None:
            file.write(piece)

        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            streamed = await stream_export(app, ana, write)
            peak = tracemalloc.get_traced_memory()[1] - before
        finally:
            tracemalloc.stop()

    assert streamed.status == 200 and streamed.whole
    size = path.stat().st_size
    document = json.loads(path.read_bytes())
    (couple,) = document["couples"]
    bids = await _count(conn, _bids, seeded.couple_id)
    assert len(couple["bids"]) == bids > 4 * PAGE
    assert len(couple["activities"]) == await _count(conn, _activities, seeded.couple_id)
    # Ana's check-ins, and Ben's on the dates Ana checked in too.
    own = {checkin.local_date for checkin in simulated.checkins if checkin.partner == 0}
    revealed = [c for c in simulated.checkins if c.partner == 0 or c.local_date in own]
    assert len(couple["checkins"]) == len(revealed)
    assert streamed.pieces >= bids // PAGE
    assert peak < size / 4, f"grew by {peak} bytes streaming {size}"
