"""One Spark session for every Spark test of the run: starting the JVM costs several CPU-seconds."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """A local[2] session (quick JIT start), or a skip that says what is missing (pyspark or Java 17+)."""
    pytest.importorskip("pyspark", reason="pyspark is not installed (the spark extra)")
    from lss_pathway.screening.spark import SparkUnavailable, spark_session

    try:
        session = spark_session("local[2]", driver_memory="1g", quick_start=True)
    except SparkUnavailable as why:
        pytest.skip(f"Spark cannot start here: {why}")
    yield session
    session.stop()
