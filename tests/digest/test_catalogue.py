"""The digest's message catalogue: English ships every message the composer uses, in
plain words that never blame or diagnose; a translation is a file; the locale comes
from `Accept-Language`."""

import polib
import pytest

from api.digest import compose
from api.digest.catalogue import (
    MESSAGES,
    Catalogues,
    Message,
    Plural,
    messages_in,
    placeholders,
    preferences,
)
from tests.digest.helpers import (
    ANA,
    BEN,
    HOSTILE,
    by_figure,
    digest_of,
    texts,
    week,
    write_translation,
)

ENGLISH_PO = MESSAGES / "en.po"
# Words a digest never uses: it describes, it does not judge or diagnose.
UNKIND = (
    "blame",
    "fault",
    "should",
    "must",
    "failing",
    "failure",
    "toxic",
    "disorder",
    "diagnos",
    "wrong",
    "bad",
)


def _english() -> polib.POFile:
    return polib.pofile(str(ENGLISH_PO))


def _msgstrs(entry: polib.POEntry) -> list[str]:
    return list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]


def test_english_ships_every_message_the_composer_uses_and_no_other():
    po = _english()
    shipped = {entry.msgid: entry for entry in po}
    used = messages_in(vars(compose))
    assert used
    for message in used:
        if isinstance(message, Plural):
            entry = shipped[message.singular]
            assert entry.msgid_plural == message.plural
        else:
            entry = shipped[message.msgid]
            assert not entry.msgid_plural
        assert all(_msgstrs(entry)), entry.msgid
    keys = {m.singular if isinstance(m, Plural) else m.msgid for m in used}
    assert set(shipped) == keys
    assert po.metadata["Plural-Forms"] == "nplurals=2; plural=(n != 1);"


def test_every_count_has_plural_forms():
    for message in messages_in(vars(compose)):
        if isinstance(message, Message):
            assert "count" not in placeholders(message.msgid), message


def test_a_label_for_every_sign_of_distancing():
    from models.vocabulary import SIGNS

    assert set(compose.SIGN_LABELS) == {sign.value for sign in SIGNS}


@pytest.mark.parametrize("entry", list(_english()), ids=lambda entry: entry.msgid[:40])
def test_no_english_message_blames_or_diagnoses(entry):
    for text in _msgstrs(entry):
        found = [word for word in UNKIND if word in text.lower()]
        assert not found, (found, text)


BIDS = compose.BIDS_TOGETHER.singular
REPAIRS = compose.REPAIRS.singular


def test_a_translation_file_changes_the_words_with_no_change_of_code(tmp_path):
    write_translation(
        tmp_path,
        "xx",
        {
            # Three plural forms, as the file's Plural-Forms says.
            BIDS: ["Xa {count} xbid.", "Xa {count} xbidu.", "Xa {count} xbidi."],
            # Placeholders in another order.
            compose.CALLER_TOWARD.singular: [
                "{partner}: {count} xbid, {toward} xtoward.",
                "{partner}: {count} xbidu, {toward} xtoward.",
                "{partner}: {count} xbidi, {toward} xtoward.",
            ],
        },
    )
    catalogues = Catalogues(tmp_path)
    assert catalogues.negotiate("xx") == "xx"
    catalogue = catalogues.get("xx")
    assert catalogue.locale == "xx"
    one, two, five = (
        by_figure(digest_of(week({BEN: (n, 0, 0), ANA: (3, 1, 0)}), catalogue=catalogue))
        for n in (1, 2, 5)
    )
    assert (one["bids"], two["bids"], five["bids"]) == ("Xa 5 xbidi.", "Xa 6 xbidi.", "Xa 9 xbidi.")
    assert one[f"by_partner.{ANA}.toward"] == "Ben: 4 xbidi, 3 xtoward."
    singular = by_figure(digest_of(week({BEN: (1, 0, 0)}), catalogue=catalogue))
    dual = by_figure(digest_of(week({BEN: (2, 0, 0)}), catalogue=catalogue))
    assert (singular["bids"], dual["bids"]) == ("Xa 1 xbid.", "Xa 2 xbidu.")
    # What the file does not translate stays English.
    assert dual["net"].startswith("Your shared emotional bank account grew by 2 points")
    # The shipped English is untouched.
    english = by_figure(digest_of(week({BEN: (2, 0, 0)})))
    assert english["bids"] == "Together you logged 2 bids this week."


def test_a_translated_entry_with_other_placeholders_is_left_out(tmp_path):
    write_translation(
        tmp_path,
        "xx",
        {
            BIDS: ["{bids} x.", "{bids} xx.", "{bids} xxx."],
            REPAIRS: ["{count} xrepair.", "{count} xrepairu.", "{count} xrepairi."],
        },
    )
    catalogue = Catalogues(tmp_path).get("xx")
    found = by_figure(digest_of(week({BEN: (2, 0, 0)}, repairs=5), catalogue=catalogue))
    assert found["bids"] == "Together you logged 2 bids this week."
    assert found["repairs"] == "5 xrepairi."


def test_a_translated_form_may_use_only_bare_placeholder_names(tmp_path):
    write_translation(tmp_path, "xx", HOSTILE)
    catalogue = Catalogues(tmp_path).get("xx")
    assert catalogue.locale == "xx"
    # These weeks say every sentence the refused entries translate: all in English.
    busy = week({BEN: (2, 0, 0), ANA: (1, 1, 0)}, repairs=1)
    translated = digest_of(week(), busy, catalogue=catalogue)
    assert translated == digest_of(week(), busy)
    assert len(translated) == 6
    assert texts(digest_of(week(), catalogue=catalogue)) == texts(digest_of(week()))
    # The well-formed entry among them is used.
    calm = week(checkins={"count": 1, "connection": 7, "stress": 3})
    assert by_figure(digest_of(calm, catalogue=catalogue))["checkins.stress_avg"] == "Xstress 3.0."


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "en"),
        ("", "en"),
        ("zz", "en"),
        ("*", "en"),
        ("xx", "xx"),
        ("XX-YY", "xx"),
        ("zz, xx;q=0.5", "xx"),
        ("en;q=0.9, xx", "xx"),
        ("xx;q=0.4, en;q=0.8", "en"),
        ("xx;q=0", "en"),
        ("pt-BR, xx;q=0.1", "pt-BR"),
        ("pt-PT, xx;q=0.1", "xx"),
        ("pt, xx;q=0.1", "xx"),
        ("not a tag!!, xx;q=0.2", "xx"),
        ("xx;q=abc", "en"),
    ],
)
def test_the_best_locale_of_accept_language(tmp_path, header, expected):
    write_translation(tmp_path, "xx", {BIDS: ["x", "y", "z"]})
    write_translation(tmp_path, "pt_BR", {BIDS: ["x", "y", "z"]})
    assert Catalogues(tmp_path).negotiate(header) == expected


def test_preferences_in_order_of_weight():
    assert preferences("de;q=0.5, fr, en-GB;q=0.8, it;q=0.5") == ["fr", "en-gb", "de", "it"]


def test_each_catalogue_is_read_once(tmp_path):
    write_translation(tmp_path, "xx", {BIDS: ["x", "y", "z"]})
    catalogues = Catalogues(tmp_path)
    first = catalogues.get("xx")
    (tmp_path / "xx.po").unlink()
    assert catalogues.get("XX") is first
    assert catalogues.get("zz").locale == "en"


def test_english_text_is_kept_in_the_file_not_the_code(tmp_path):
    # An en.po of one's own rewords English too.
    english = _english()
    for entry in english:
        if entry.msgid == REPAIRS:
            entry.msgstr_plural = {0: "{count} repair try.", 1: "{count} repair tries."}
    english.save(str(tmp_path / "en.po"))
    catalogue = Catalogues(tmp_path).get("en")
    found = by_figure(digest_of(week({BEN: (1, 0, 0)}, repairs=2), catalogue=catalogue))
    assert found["repairs"] == "2 repair tries."
    assert catalogue.locale == "en"
