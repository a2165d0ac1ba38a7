"""bench/loadtest.py runs (3 users for a few seconds on SQLite): the suite
keeps the load test working; its figures are in docs/performance.md."""

from bench import loadtest


def test_loadtest_quick_runs(tmp_path):
    assert loadtest.main(["--quick", "--data-dir", str(tmp_path)]) == 0
