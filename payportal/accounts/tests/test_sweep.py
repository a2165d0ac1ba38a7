"""`payportal sweep`: users with no sign-in for 90 days become Inactive (8.2.6).

Dormant when now - (last sign-in, else creation) >= 90 days: 90 days minus
a second stays Active, exactly 90 days is deactivated.
"""

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from payportal.accounts.models import User
from payportal.accounts.services import lifecycle
from payportal.accounts.tests.factories import UserFactory
from payportal.audit import actions
from payportal.audit.models import AuditEvent, Outcome

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
DAYS_90 = timedelta(days=90)
SECOND = timedelta(seconds=1)


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


@pytest.fixture
def clerk(user_with):
    """A user who cannot manage users (the guard never holds them)."""
    return user_with("payments.view", username="clerk1")


def last_seen(user, *, ago, never=False):
    if never:
        User.objects.filter(pk=user.pk).update(last_login=None, created_at=NOW - ago)
    else:
        User.objects.filter(pk=user.pk).update(last_login=NOW - ago)
    user.refresh_from_db()


def sweep():
    out, err = StringIO(), StringIO()
    call_command("sweep", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def active(user):
    user.refresh_from_db()
    return user.is_active


def test_sweep_keeps_a_user_last_seen_90_days_less_a_second(admin, clerk):
    last_seen(clerk, ago=DAYS_90 - SECOND)

    sweep()

    assert active(clerk) is True


def test_sweep_deactivates_a_user_last_seen_exactly_90_days_ago(admin, clerk):
    last_seen(clerk, ago=DAYS_90)

    sweep()

    assert active(clerk) is False


def test_sweep_counts_from_creation_for_a_user_who_never_signed_in(admin, clerk):
    last_seen(clerk, ago=DAYS_90 - SECOND, never=True)
    sweep()
    assert active(clerk) is True

    last_seen(clerk, ago=DAYS_90, never=True)
    sweep()
    assert active(clerk) is False


def test_sweep_day_89_stays_active_day_90_becomes_inactive(admin, clerk, clock):
    last_seen(clerk, ago=timedelta(0))

    clock.move_to(NOW + timedelta(days=89), tick=False)
    lifecycle.deactivate_dormant_users()
    assert active(clerk) is True

    clock.move_to(NOW + timedelta(days=90), tick=False)
    lifecycle.deactivate_dormant_users()
    assert active(clerk) is False


def test_sweep_records_one_event_per_user_by_the_system(admin, clerk, merchant):
    last_seen(clerk, ago=DAYS_90)

    sweep()

    [event] = AuditEvent.objects.filter(action=actions.USER_DEACTIVATED_INACTIVE)
    assert (event.merchant, event.actor, event.actor_username) == (
        merchant,
        None,
        "system",
    )
    assert (event.target_type, event.target_id, event.target_label) == (
        "user",
        str(clerk.pk),
        "clerk1",
    )
    assert event.changes == {
        "status": ["Active", "Inactive"],
        "reason": [None, "No sign-in for 90 days"],
    }
    assert event.outcome == Outcome.SUCCESS
    assert actions.LABELS[event.action] == (
        "User deactivated after 90 days without sign-in"
    )


def test_sweep_is_idempotent(admin, clerk):
    last_seen(clerk, ago=DAYS_90)

    first, _ = sweep()
    second, _ = sweep()

    assert active(clerk) is False
    assert AuditEvent.objects.filter(
        action=actions.USER_DEACTIVATED_INACTIVE
    ).count() == (1)
    assert second == "Deactivated 0 users with no sign-in for 90 days.\n"


def test_sweep_prints_each_user_and_a_summary(admin, clerk, user_with):
    other = user_with("payments.view", username="clerk2")
    last_seen(clerk, ago=DAYS_90 + timedelta(days=10))
    last_seen(other, ago=DAYS_90, never=True)

    out, err = sweep()

    assert out == (
        "Deactivated clerk1 (Hale & Stone LLP): last signed in 2026-02-21.\n"
        "Deactivated clerk2 (Hale & Stone LLP): never signed in, added "
        "2026-03-03.\n"
        "Deactivated 2 users with no sign-in for 90 days.\n"
    )
    assert err == ""


def test_sweep_ends_the_users_open_session(admin, clerk, client_as):
    client = client_as(clerk)
    last_seen(clerk, ago=DAYS_90)
    assert client.get("/transactions/").status_code == 200

    sweep()
    response = client.get("/transactions/")

    assert response.status_code == 302
    assert response["Location"] == "/?next=/transactions/"


def test_sweep_keeps_the_firms_last_user_manager_with_a_warning(admin, merchant):
    last_seen(admin, ago=DAYS_90 * 2)

    out, err = sweep()

    assert active(admin) is True
    assert err == (
        "Warning: kept admin (Hale & Stone LLP) Active: last signed in "
        "2025-12-03, but they are the firm's last active user who can manage "
        "users. Ask them to sign in, or add another user who can manage users.\n"
    )
    assert out == (
        "Deactivated 0 users with no sign-in for 90 days. Kept 1 user Active "
        "as their firm's last user manager.\n"
    )
    assert not AuditEvent.objects.filter(
        action=actions.USER_DEACTIVATED_INACTIVE
    ).exists()


def test_sweep_keeps_the_most_recently_seen_of_dormant_managers(
    admin, merchant, admin_role
):
    older = UserFactory(merchant=merchant, role=admin_role, username="older1")
    last_seen(older, ago=DAYS_90 * 2)
    last_seen(admin, ago=DAYS_90 + SECOND)

    report = lifecycle.deactivate_dormant_users()

    assert [u.username for u in report.deactivated] == ["older1"]
    assert [u.username for u in report.kept] == ["admin"]
    assert active(older) is False
    assert active(admin) is True


def test_sweep_deactivates_a_dormant_manager_while_another_remains(
    admin, merchant, admin_role
):
    dormant = UserFactory(merchant=merchant, role=admin_role, username="gone1")
    last_seen(dormant, ago=DAYS_90)

    report = lifecycle.deactivate_dormant_users()

    assert [u.username for u in report.deactivated] == ["gone1"]
    assert report.kept == []


def test_sweep_leaves_inactive_users_alone(admin, clerk):
    User.objects.filter(pk=clerk.pk).update(is_active=False)
    last_seen(clerk, ago=DAYS_90 * 3)

    report = lifecycle.deactivate_dormant_users()

    assert report.deactivated == []
    assert not AuditEvent.objects.exists()


def test_sweep_works_across_firms(admin, clerk, other_merchant):
    stranger = UserFactory(merchant=other_merchant, username="far1")
    keeper = UserFactory(merchant=other_merchant, username="near1")
    last_seen(clerk, ago=DAYS_90)
    last_seen(stranger, ago=DAYS_90)
    last_seen(keeper, ago=timedelta(days=1))

    report = lifecycle.deactivate_dormant_users()

    assert sorted(u.username for u in report.deactivated) == ["clerk1", "far1"]
    [event] = AuditEvent.objects.filter(
        action=actions.USER_DEACTIVATED_INACTIVE, merchant=other_merchant
    )
    assert event.target_id == str(stranger.pk)


def test_is_dormant_at_the_boundary(clerk):
    last_seen(clerk, ago=DAYS_90)

    assert lifecycle.is_dormant(user=clerk, now=NOW - SECOND) is False
    assert lifecycle.is_dormant(user=clerk, now=NOW) is True
