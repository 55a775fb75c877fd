"""Time zone names the API refuses although the time zone database has them."""

# PostgreSQL reads the zone of `AT TIME ZONE` as an abbreviation first (the
# `timezone_abbreviations` set) and as a zone name only when that fails, and an
# abbreviation is a fixed offset. These names are such abbreviations, but zoneinfo reads
# them as zones whose offset has changed, so a bid's week would differ between the
# rollups (SQL) and the figures (Python): CET, EET, MET and WET keep summer time; since
# tzdata 2024b EST, MST and HST are links to America/Panama, America/Phoenix and
# Pacific/Honolulu, not fixed before 1908, 1968 and 1947 (and the `Australia` set reads
# EST as UTC+10). GMT, UCT, UTC and Zulu are abbreviations of offset zero, which zoneinfo
# gives them too: tests/couples/test_zone_names.py checks every accepted name against
# PostgreSQL.
# Migration 0004 moved stored names to their tzdata link targets.
ABBREVIATIONS = frozenset({"CET", "EET", "EST", "HST", "MET", "MST", "WET"})
