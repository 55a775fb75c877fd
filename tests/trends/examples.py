"""How many examples the trend properties run: 30 per API property by default, 300 per
pure-maths property; `TOWARD_PROPERTY_EXAMPLES=N` (or `--hypothesis-profile=NAME` with a
profile of your own) sets N for the API properties and 10 N for the maths. The rest of
the settings come from the active Hypothesis profile (on CI, its derandomized `ci`
profile)."""

import os

from hypothesis import HealthCheck, settings


def _examples(usual: int) -> int:
    given_count = os.environ.get("TOWARD_PROPERTY_EXAMPLES")
    if given_count:
        return int(given_count)
    if settings.get_current_profile_name() not in ("default", "ci"):
        return settings().max_examples  # a profile chosen with --hypothesis-profile
    return usual


API_EXAMPLES = _examples(30)
SLOW_OK = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
# Each API example makes a couple of its own, beside the earlier examples' couples in
# the test's database: the fixtures are function scoped on purpose.
api_settings = settings(max_examples=API_EXAMPLES, deadline=None, suppress_health_check=SLOW_OK)
maths_settings = settings(
    max_examples=10 * API_EXAMPLES, deadline=None, suppress_health_check=SLOW_OK
)
