"""Worker tuning: the access log sample and the start-up freeze."""

from __future__ import annotations

import gc
import logging

import pytest
from fastapi.testclient import TestClient

from lss_pathway.api.app import create_app
from lss_pathway.api.runtime import ACCESS_LOGGER, SampledAccessLog, sample_access_log
from lss_pathway.api.settings import ServiceSettings


def _record() -> logging.LogRecord:
    return logging.LogRecord(ACCESS_LOGGER, logging.INFO, "", 0, "GET /health", None, None)


def test_rate_one_keeps_every_line_and_zero_none() -> None:
    assert all(SampledAccessLog(1.0).filter(_record()) for _ in range(200))
    assert not any(SampledAccessLog(0.0).filter(_record()) for _ in range(200))


def test_a_rate_keeps_about_that_share() -> None:
    kept = sum(SampledAccessLog(0.1).filter(_record()) for _ in range(20_000))
    assert 1_500 < kept < 2_500


def test_settings_install_one_filter_and_rate_one_removes_it() -> None:
    logger = logging.getLogger(ACCESS_LOGGER)
    try:
        create_app(ServiceSettings(access_log_sample=0.5))
        create_app(ServiceSettings(access_log_sample=0.25))
        mine = [f for f in logger.filters if isinstance(f, SampledAccessLog)]
        assert [f.rate for f in mine] == [0.25]
        create_app(ServiceSettings())
        assert not [f for f in logger.filters if isinstance(f, SampledAccessLog)]
    finally:
        sample_access_log(1.0)


def test_settings_refuse_an_impossible_rate_or_cache_size() -> None:
    with pytest.raises(ValueError, match="access_log_sample"):
        ServiceSettings(access_log_sample=1.5)
    with pytest.raises(ValueError, match="prefetch_cache_entries"):
        ServiceSettings(prefetch_cache_entries=-1)


def test_start_up_freezes_and_shutdown_unfreezes() -> None:
    with TestClient(create_app(ServiceSettings())) as client:
        assert gc.get_freeze_count() > 0
        assert client.get("/health").status_code == 200
    assert gc.get_freeze_count() == 0
