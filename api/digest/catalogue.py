"""The digest's words: gettext message catalogues, one `.po` file per locale.

A translation is a file, `<locale>.po` (`pt_BR.po` serves `pt-BR`), dropped in a
catalogue directory: no code changes. Each file is read once, with polib, compiled to
the `.mo` form that the standard library's `gettext` reads, and kept. Messages carry
named placeholders (`{partner}`, `{count}`...), filled in after translation, so a
translation may put them in any order. A translated form may use only the bare names
of its msgid's placeholders: no format spec (`{count:>99999}` would pad to any width),
no conversion (`{partner!r}`), no positional field (`{}`, `{0}`), no attribute or
index (`{partner.__class__}`, `{partner[0]}`), no unbalanced brace. An entry that
breaks this, or whose placeholders differ from its msgid's, is left out (the English
text stands in), so a slip or a trick in a translation file cannot break a digest or
reach past the values given. Missing entries fall back to English the same way."""

import gettext
import io
import re
import string
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import NamedTuple

import polib

MESSAGES = Path(__file__).parent / "messages"
DEFAULT_LOCALE = "en"


class Message(NamedTuple):
    """A sentence or part of one, with no count in it."""

    msgid: str


class Plural(NamedTuple):
    """A sentence or part of one that holds a count: its singular and plural English
    forms (msgid and msgid_plural); a translation has as many forms as its language."""

    singular: str
    plural: str


_FORMATTER = string.Formatter()


def placeholders(text: str) -> frozenset[str]:
    return frozenset(name for _, name, _, _ in _FORMATTER.parse(text) if name)


def _bare_names(text: str, allowed: frozenset[str]) -> frozenset[str] | None:
    """The placeholders of `text` when each is a bare name among `allowed` (no format
    spec, no conversion); None when any is not, or the text does not parse."""
    try:
        fields = [(name, spec, conversion) for _, name, spec, conversion in _FORMATTER.parse(text)]
    except ValueError:  # an unbalanced brace
        return None
    names = set()
    for name, spec, conversion in fields:
        if name is None:
            continue  # literal text only
        if name not in allowed or spec or conversion is not None:
            return None
        names.add(name)
    return frozenset(names)


def _fits(entry: polib.POEntry) -> bool:
    """Whether a translated entry names exactly the placeholders of its msgid, bare."""
    try:
        expected = placeholders(entry.msgid) | placeholders(entry.msgid_plural or "")
    except ValueError:
        return False  # not a message of the composer's: all of those parse
    translated = [*entry.msgstr_plural.values()] if entry.msgid_plural else [entry.msgstr]
    for form in translated:
        if not form:
            continue  # polib leaves out an entry not wholly translated: English stands in
        names = _bare_names(form, expected)
        # A plural form may leave out `{count}` ("once"), nothing else.
        if names is None or not expected - {"count"} <= names:
            return False
    return True


def compile_po(path: Path) -> gettext.GNUTranslations:
    po = polib.pofile(str(path))
    for entry in [entry for entry in po if not _fits(entry)]:
        po.remove(entry)
    return gettext.GNUTranslations(io.BytesIO(po.to_binary()))


class Catalogue:
    """One locale's messages, English behind them."""

    def __init__(self, locale: str, translations: gettext.NullTranslations) -> None:
        self.locale = locale
        self._translations = translations

    def text(self, message: Message, **values: object) -> str:
        return self._translations.gettext(message.msgid).format(**values)

    def plural(self, message: Plural, count: int, **values: object) -> str:
        """The form for `count`, with `{count}` filled with it."""
        form = self._translations.ngettext(message.singular, message.plural, count)
        return form.format(count=count, **values)


_TAG = re.compile(r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*|\*")


def _tag_of(stem: str) -> str:
    return stem.replace("_", "-")


def preferences(accept_language: str | None) -> list[str]:
    """The language tags of an `Accept-Language` header, most wanted first (equal
    weights in the order given), lower case; those with q=0 and malformed ones left out."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, *parameters = (piece.strip() for piece in part.split(";"))
        if not _TAG.fullmatch(tag):
            continue
        weight = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if 0 < weight <= 1:
            ranked.append((-weight, position, tag.lower()))
    return [tag for _, _, tag in sorted(ranked)]


class Catalogues:
    """The catalogues of some directories, searched in order (a locale's file in an
    earlier one wins); English from the shipped messages whenever a directory lacks it."""

    def __init__(self, *directories: Path) -> None:
        self.directories = (*directories, MESSAGES) if MESSAGES not in directories else directories
        self._files: dict[str, Path] | None = None
        self._loaded: dict[str, Catalogue] = {}

    def files(self) -> Mapping[str, Path]:
        """Each locale served (lower-case tag) and its file."""
        if self._files is None:
            found: dict[str, Path] = {}
            for directory in reversed(self.directories):
                for path in sorted(directory.glob("*.po")):
                    found[_tag_of(path.stem).lower()] = path
            self._files = found
        return self._files

    def locales(self) -> list[str]:
        return sorted(_tag_of(path.stem) for path in self.files().values())

    def negotiate(self, accept_language: str | None) -> str:
        """The locale that best meets `Accept-Language`: a tag served as asked, else
        its language alone (`fr` for `fr-CA`), else English."""
        files = self.files()
        for tag in preferences(accept_language):
            for candidate in (tag, tag.split("-")[0]):
                if candidate in files:
                    return _tag_of(files[candidate].stem)
        return DEFAULT_LOCALE

    def get(self, locale: str) -> Catalogue:
        key = locale.lower()
        catalogue = self._loaded.get(key)
        if catalogue is None:
            catalogue = self._load(key)
            self._loaded[key] = catalogue
        return catalogue

    def _load(self, key: str) -> Catalogue:
        files = self.files()
        english = compile_po(files[DEFAULT_LOCALE])
        if key == DEFAULT_LOCALE or key not in files:
            return Catalogue(DEFAULT_LOCALE, english)
        translations = compile_po(files[key])
        translations.add_fallback(english)
        return Catalogue(_tag_of(files[key].stem), translations)


def messages_in(namespace: Mapping[str, object]) -> list[Message | Plural]:
    """Every message a module's names hold, directly or as the values of a mapping:
    what its `.po` files must carry."""
    found: list[Message | Plural] = []

    def collect(values: Iterable[object]) -> None:
        for value in values:
            if isinstance(value, Message | Plural):
                found.append(value)
            elif isinstance(value, Mapping):
                collect(value.values())

    collect(namespace.values())
    return found


# The shipped catalogues, each read on first use and kept for the life of the process.
CATALOGUES = Catalogues(MESSAGES)


def catalogues() -> Catalogues:
    """The catalogues requests read (a dependency, so a test may point it elsewhere)."""
    return CATALOGUES
