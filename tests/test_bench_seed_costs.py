"""bench/seed_costs.py runs on tiny data and leaves the database as it
found it: its figures are in docs/performance.md."""

import pytest
from django.core.management import call_command

from bench import seed_costs
from payportal.core import search
from payportal.payments.models import Dispute, Payment, Refund
from payportal.seed import bulk, services

# Outside a transaction, as the seed runs: the script drops the indexes
# and builds them again, which PostgreSQL refuses in a transaction that
# has written to the table.
pytestmark = pytest.mark.django_db(transaction=True)


def test_seed_costs_times_every_part_and_restores_the_indexes(monkeypatch):
    call_command("seed", merchants=1, users=3, payments=40, no_progress=True)
    monkeypatch.setattr(services, "BATCH", 100)
    before = sorted(Payment.objects.values_list("id", flat=True))

    results = seed_costs.main(["--batches", "2"])

    models = (Payment, Refund, Dispute)
    declared = [index.name for model in models for index in model._meta.indexes]
    parts = list(results["parts"])
    assert parts[:2] == ["making the rows", "storing them"]
    built = {part.removeprefix("index ") for part in parts[2:]}
    assert set(declared) | {"payment_search"} <= built
    assert all(value > 0 for value in results["parts"].values())
    assert results["best"] < results["best_without_indexes"]
    # The stored batches were rolled back, and every index is back.
    assert sorted(Payment.objects.values_list("id", flat=True)) == before
    assert bulk.index_builds(*models) == []
    assert search.missing_search_indexes(*models) == []
