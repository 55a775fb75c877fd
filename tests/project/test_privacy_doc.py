"""docs/privacy.md says what every table holds: a table added without a word there
fails here, so what it stores is decided for erasure and retention too."""

import re

from models import metadata
from tests.paths import ROOT


def test_the_privacy_page_names_every_table() -> None:
    page = (ROOT / "docs" / "privacy.md").read_text()
    named = set(re.findall(r"`([a-z_]+)`", page))
    missing = sorted(set(metadata.tables) - named)
    assert not missing, f"tables docs/privacy.md does not name: {missing}"
