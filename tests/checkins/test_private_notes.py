"""A private note shows only to its author; the partner sees that it is private and
what else the check-in says. Tested from both partners' side."""

import pytest

from tests.checkins.helpers import check_in, listed, read


@pytest.mark.parametrize("author", ["first", "second"])
async def test_a_private_note_is_null_for_the_partner(client, couple, author):
    writer = getattr(couple, author)
    reader = couple.second if writer is couple.first else couple.first
    await check_in(
        client,
        couple,
        writer,
        connection=6,
        signs=["apathy_during_arguments"],
        note="only mine",
        private=True,
    )
    await check_in(client, couple, reader, note="open", private=False)

    by_partner = {item["partner_id"]: item for item in await listed(client, couple, reader)}
    hidden = by_partner[writer.id]
    assert hidden["note"] is None
    assert hidden["private"] is True
    assert hidden["connection"] == 6
    assert hidden["signs"] == ["apathy_during_arguments"]
    assert by_partner[reader.id]["note"] == "open"

    by_partner = {item["partner_id"]: item for item in await listed(client, couple, writer)}
    assert by_partner[writer.id]["note"] == "only mine"
    assert by_partner[reader.id]["note"] == "open"
    assert by_partner[reader.id]["private"] is False
    assert (await read(client, couple, writer)).json()["note"] == "only mine"


async def test_a_shared_note_shows_to_both(client, couple):
    await check_in(client, couple, couple.first, note="we laughed")
    await check_in(client, couple, couple.second)
    notes = {
        item["partner_id"]: item["note"] for item in await listed(client, couple, couple.second)
    }
    assert notes[couple.first.id] == "we laughed"


async def test_making_a_note_private_hides_it_from_then_on(client, couple):
    await check_in(client, couple, couple.first, note="was open")
    await check_in(client, couple, couple.second)
    await check_in(client, couple, couple.first, note="was open", private=True)
    notes = {
        item["partner_id"]: item["note"] for item in await listed(client, couple, couple.second)
    }
    assert notes[couple.first.id] is None
