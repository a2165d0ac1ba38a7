"""bench/loadtest.py runs (3 users for a few seconds on SQLite): the suite
keeps the load test working; its figures are in docs/performance.md."""

from concurrent.futures import ThreadPoolExecutor

from bench import loadtest


def test_loadtest_quick_runs(tmp_path):
    # In a thread of its own: the browser tests' Playwright keeps an event
    # loop running in this worker's main thread, and the load test starts
    # its own with asyncio.run().
    with ThreadPoolExecutor(max_workers=1) as pool:
        run = pool.submit(loadtest.main, ["--quick", "--data-dir", str(tmp_path)])
        assert run.result() == 0
