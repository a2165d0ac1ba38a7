"""Timing one page through Django's test client, shared by the benchmarks."""

import statistics
import time

from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext


def measure(client: Client, url: str, runs: int) -> tuple[float, float, int]:
    """Median and p95 milliseconds of ``runs`` requests, and the queries of
    the last one (after one warm-up request)."""
    client.get(url)  # warm
    times = []
    for _ in range(runs):
        reset_queries()
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], len(queries)
