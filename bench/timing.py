"""Timing pages through Django's test client, shared by the benchmarks."""

import math
import statistics
import time
from dataclasses import dataclass

from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext


@dataclass(frozen=True)
class Timing:
    median_ms: float
    p95_ms: float
    runs: int
    # SQL queries of the last request.
    queries: int


def percentile(sorted_times: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending list (p95 of 20 runs is the
    19th, of fewer than 20 the slowest)."""
    rank = max(math.ceil(fraction * len(sorted_times)), 1)
    return sorted_times[rank - 1]


def _timed_get(client: Client, url: str) -> tuple[float, int]:
    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - started
    assert response.status_code == 200, (url, response.status_code)
    return elapsed, len(queries)


def time_pages(
    client: Client,
    urls: list[str],
    runs: int,
    *,
    budget_seconds: float | None = None,
    min_runs: int = 3,
) -> list[Timing]:
    """Request each of ``urls`` ``runs`` times, in turns (a, b, a, b, ...)
    after one warm-up request each, so that a machine busy for a moment
    slows every page alike.

    With ``budget_seconds``, stop once one page's timed requests have
    taken that long and every page has had ``min_runs``: a page that takes
    seconds gets fewer runs, and so do the others (``Timing.runs``).
    """
    for url in urls:
        client.get(url)  # warm
    times: list[list[float]] = [[] for _ in urls]
    spent = [0.0 for _ in urls]
    queries = [0 for _ in urls]
    for done in range(1, runs + 1):
        for n, url in enumerate(urls):
            elapsed, queries[n] = _timed_get(client, url)
            times[n].append(elapsed * 1000)
            spent[n] += elapsed
        if budget_seconds is not None and done >= min_runs:
            if max(spent) >= budget_seconds:
                break
    timings = []
    for page_times, page_queries in zip(times, queries, strict=True):
        page_times.sort()
        timings.append(
            Timing(
                median_ms=statistics.median(page_times),
                p95_ms=percentile(page_times, 0.95),
                runs=len(page_times),
                queries=page_queries,
            )
        )
    return timings


def measure(client: Client, url: str, runs: int) -> tuple[float, float, int]:
    """Median and p95 milliseconds of ``runs`` requests, and the queries of
    the last one (after one warm-up request)."""
    (timing,) = time_pages(client, [url], runs)
    return timing.median_ms, timing.p95_ms, timing.queries
