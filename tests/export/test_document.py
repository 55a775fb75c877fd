"""`GET /me/export`: the document, and that it holds what the list endpoints give the
same caller, under the same rules: private notes, the check-ins' reveal rule, grants
and the access log; a therapist's own; nobody's but the caller's."""

import json
from datetime import date, timedelta
from typing import Any

import httpx

from models.export import ExportDocument
from tests.export.helpers import COUPLE_KEYS, EXPORT, TOP_LEVEL, every_page, export_of
from tests.factories import Couple, Person, make_couple
from tests.http import assert_problem
from tests.therapists.helpers import grant, grant_both, new_therapist, trends_of
from tests.users.helpers import read_me

DAY = date(2024, 5, 6)


def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


async def _check_in(
    client: httpx.AsyncClient, couple: Couple, person: Person, day: date, **extra: Any
) -> None:
    body = {"connection": 6, "stress": 4, "signs": ["poor_listening"], **extra}
    _ok(await client.put(f"{couple.path}/checkins/{day}", json=body, headers=person.headers))


async def _lived_in(client: httpx.AsyncClient, couple: Couple) -> dict[str, Any]:
    """Bids (one of Ben's with a private note, answered in both views), check-ins of
    both on one date and of each alone on another, an activity of each, a therapist
    with both grants who read the couple's trends, another with Ana's grant alone."""
    ana, ben = couple.first, couple.second
    assert ben is not None
    _ok(await client.post(couple.bids, json={"kind": "humor"}, headers=ana.headers))
    private = _ok(
        await client.post(
            couple.bids,
            json={"kind": "support", "note": "a rough day", "private": True, "response": "away"},
            headers=ben.headers,
        )
    )
    _ok(
        await client.put(
            f"{couple.bids}/{private['id']}/perception",
            json={"response": "toward", "style": "attentive"},
            headers=ana.headers,
        )
    )
    await _check_in(client, couple, ana, DAY)
    await _check_in(client, couple, ana, DAY + timedelta(days=1))
    await _check_in(client, couple, ben, DAY + timedelta(days=1), note="tired of it", private=True)
    await _check_in(client, couple, ben, DAY + timedelta(days=2))
    for person, kind in ((ana, "date_night"), (ben, "shared_activity")):
        _ok(
            await client.post(
                f"{couple.path}/activities",
                json={"kind": kind, "occurred_at": "2024-05-08T19:00:00Z"},
                headers=person.headers,
            )
        )
    kim = await new_therapist(client, "Kim")
    await grant_both(client, couple, kim)
    for weeks in (4, 12):
        _ok(await client.get(trends_of(couple), params={"weeks": weeks}, headers=kim.headers))
    lee = await new_therapist(client, "Lee")
    _ok(await grant(client, couple, ana, lee))
    return {"private_bid": private, "kim": kim, "lee": lee}


def _only(document: dict[str, Any]) -> dict[str, Any]:
    (exported,) = document["couples"]
    assert isinstance(exported, dict)
    return exported


async def test_the_document_keeps_its_shape(client, couple):
    response = await client.get(EXPORT, headers=couple.first.headers)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    assert "etag" not in response.headers
    document = json.loads(response.content)
    exported_on = document["exported_at"][:10]
    assert response.headers["content-disposition"] == (
        f'attachment; filename="toward-export-{exported_on}.json"'
    )
    assert list(document) == TOP_LEVEL
    assert document["schema_version"] == 1
    assert list(_only(document)) == COUPLE_KEYS
    ExportDocument.model_validate(document)


async def test_a_partner_exports_what_every_list_gives_them(client, couple):
    await _lived_in(client, couple)
    for person in (couple.first, couple.second):
        assert person is not None
        document = await export_of(client, person)
        ExportDocument.model_validate(document)

        me = await read_me(client, person)
        assert {key: document["account"][key] for key in me} == me
        assert set(document["account"]) == {*me, "created_at"}
        exported = _only(document)
        assert exported["couple"] == _ok(await client.get(couple.path, headers=person.headers))
        for key, path in (
            ("bids", couple.bids),
            ("checkins", f"{couple.path}/checkins"),
            ("activities", f"{couple.path}/activities"),
            ("access_log", f"{couple.path}/access-log"),
        ):
            assert exported[key] == await every_page(client, path, person), key
        grants = _ok(await client.get(f"{couple.path}/therapists", headers=person.headers))
        assert exported["grants"] == grants["items"]
        assert document["grants_received"] == []


async def test_the_partners_private_note_is_theirs_alone(client, couple):
    lived = await _lived_in(client, couple)
    assert couple.second is not None
    ana = _only(await export_of(client, couple.first))
    ben = _only(await export_of(client, couple.second))

    (seen_by_ana,) = [bid for bid in ana["bids"] if bid["id"] == lived["private_bid"]["id"]]
    (seen_by_ben,) = [bid for bid in ben["bids"] if bid["id"] == lived["private_bid"]["id"]]
    assert seen_by_ana["note"] is None
    assert seen_by_ben["note"] == "a rough day"
    # Both views of how the bid was answered, in each partner's copy.
    for seen in (seen_by_ana, seen_by_ben):
        assert {(p["partner_id"], p["response"]) for p in seen["perceptions"]} == {
            (couple.second.id, "away"),
            (couple.first.id, "toward"),
        }
        assert seen["agreement"] is False
    (bens_checkin,) = [c for c in ana["checkins"] if c["partner_id"] == couple.second.id]
    assert bens_checkin["note"] is None
    assert "tired of it" not in json.dumps(ana)


async def test_the_partners_checkins_show_only_on_dates_both_checked_in(client, couple):
    await _lived_in(client, couple)
    assert couple.second is not None
    both = str(DAY + timedelta(days=1))
    for person, other, own_dates in (
        (couple.first, couple.second, {str(DAY), both}),
        (couple.second, couple.first, {both, str(DAY + timedelta(days=2))}),
    ):
        checkins = _only(await export_of(client, person))["checkins"]
        assert {c["date"] for c in checkins if c["partner_id"] == person.id} == own_dates
        assert {c["date"] for c in checkins if c["partner_id"] == other.id} == {both}


async def test_grants_and_every_access_log_entry_are_there(client, couple):
    lived = await _lived_in(client, couple)
    exported = _only(await export_of(client, couple.first))

    statuses = {grant["therapist_id"]: grant["status"] for grant in exported["grants"]}
    assert statuses == {lived["kim"].id: "active", lived["lee"].id: "pending"}
    reads = [(entry["therapist_id"], entry["weeks"]) for entry in exported["access_log"]]
    assert reads == [(lived["kim"].id, 12), (lived["kim"].id, 4)]  # newest first


async def test_a_therapist_exports_their_account_and_the_couples_that_granted_them(client, couple):
    lived = await _lived_in(client, couple)
    kim, lee = lived["kim"], lived["lee"]
    response = await client.get(EXPORT, headers=kim.headers)
    assert response.status_code == 200, response.text
    document = response.json()
    ExportDocument.model_validate(document)

    assert list(document) == TOP_LEVEL
    assert document["account"]["id"] == kim.id
    assert document["account"]["account_type"] == "therapist"
    assert document["couples"] == []
    (received,) = document["grants_received"]
    assert set(received) == {"couple_id", "status", "granted_at", "answered_at"}
    assert received["couple_id"] == couple.id
    assert received["status"] == "active"
    grants = _ok(await client.get(f"{couple.path}/therapists", headers=couple.first.headers))
    (kims,) = [grant for grant in grants["items"] if grant["therapist_id"] == kim.id]
    assert received["answered_at"] == kims["answered_at"] == kims["active_since"]
    # Nothing the therapist does not see: no partner's name, no note.
    for word in ("Ana", "Ben", "a rough day", "tired of it"):
        assert word not in response.text
    # One partner's grant alone is not the therapist's to know of.
    assert (await export_of(client, lee))["grants_received"] == []


async def test_a_partner_of_another_couple_sees_nothing_of_the_couple(client, couple, stranger):
    await _lived_in(client, couple)
    response = await client.get(EXPORT, headers=stranger.headers)
    assert response.status_code == 200, response.text
    document = response.json()

    assert couple.id not in response.text
    assert "a rough day" not in response.text
    (own,) = document["couples"]
    assert own["couple"]["partners"][0]["id"] == stranger.id
    assert own["bids"] == own["checkins"] == own["access_log"] == own["grants"] == []


async def test_a_couple_still_waiting_for_its_second_partner_is_there(client):
    waiting = await make_couple(client, joined=False)
    exported = _only(await export_of(client, waiting.first))
    assert exported["couple"]["id"] == waiting.id
    assert [partner["id"] for partner in exported["couple"]["partners"]] == [waiting.first.id]


async def test_without_a_token_it_is_a_401(client):
    assert_problem(await client.get(EXPORT), 401)
    bad = {"Authorization": "Bearer not-a-token"}
    assert_problem(await client.get(EXPORT, headers=bad), 401)
