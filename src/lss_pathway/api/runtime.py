"""Process-level tuning of a service worker: warm start-up, frozen start-up objects, a sampled access log.

- ``warm_and_freeze``: load what the first request would otherwise load (the default rule set, the FHIR
  models), then ``gc.freeze()`` so that the tens of thousands of long-lived objects from start-up are no
  longer walked by every full collection (those walks set the tail latency of a single client).
- ``sample_access_log``: the access log line costs about a third of a cheap request; a deployment keeps
  all of it (1), none (0) or a share (0.01 is about one request in a hundred, chosen at random).
"""

from __future__ import annotations

import gc
import logging
import random

ACCESS_LOGGER = "uvicorn.access"


class SampledAccessLog(logging.Filter):
    """Lets through about ``rate`` of the access log records (0: none, 1: all)."""

    def __init__(self, rate: float) -> None:
        super().__init__()
        self.rate = rate
        self._random = random.Random()

    def filter(self, record: logging.LogRecord) -> bool:
        return self.rate >= 1.0 or (self.rate > 0.0 and self._random.random() < self.rate)


def sample_access_log(rate: float) -> None:
    """Install (or replace) the sampling filter on uvicorn's access logger; rate 1 removes it."""
    logger = logging.getLogger(ACCESS_LOGGER)
    for old in [f for f in logger.filters if isinstance(f, SampledAccessLog)]:
        logger.removeFilter(old)
    if rate < 1.0:
        logger.addFilter(SampledAccessLog(rate))


def warm_and_freeze() -> None:
    """Import and load what requests need, collect once, then move every surviving object out of the
    collector's reach (they live as long as the process)."""
    from lss_pathway.fhir import mapping  # noqa: F401  (fhir.resources models: the slowest import)
    from lss_pathway.rulesets.catalog import DEFAULT_RULESET, load_ruleset

    load_ruleset(DEFAULT_RULESET)
    gc.collect()
    gc.freeze()
