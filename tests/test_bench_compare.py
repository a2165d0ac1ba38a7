"""`payportal seed` and bench/compare.py run on a tiny data set (timings
are not checked: the suite runs them only to keep them working; the
benchmarks themselves are in docs/performance.md)."""

import json

from django.conf import settings
from django.core.management import call_command

from bench import compare


def test_compare_runs_on_a_tiny_seeded_database(db, tmp_path):
    call_command("seed", merchants=2, users=6, payments=30, no_progress=True)
    out = tmp_path / "compare.json"

    results = compare.main(["--quick", "--json", str(out)])

    operations = results["operations"]
    assert len(operations) == 13
    assert [row["operation"] for row in operations if row["admin"] is None] == [
        "dashboard: 30 days"
    ]
    assert {row["ours"]["runs"] for row in operations} == {3}
    assert [export["rows"] for export in results["export"]][-1] == 30
    assert json.loads(out.read_text())["firms"]["payments"]["login"] == "seedadmin1"
    # The admin was mounted for the run only.
    assert "django.contrib.admin" not in settings.INSTALLED_APPS
