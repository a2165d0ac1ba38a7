"""The database itself refuses UPDATE and DELETE on the audit table."""

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from payportal.audit import actions
from payportal.audit.models import AuditEvent
from payportal.audit.services import (
    DELETE_FLUSH,
    DELETE_PURGE,
    delete_permit,
    record_event,
)


def make_events(merchant, count: int) -> list[AuditEvent]:
    return [
        record_event(action=actions.LOGOUT, merchant=merchant, actor_username="a")
        for _ in range(count)
    ]


def snapshot() -> list[tuple]:
    return list(
        AuditEvent.objects.order_by("id").values_list(
            "id", "action", "actor_username", "hash", "prev_hash"
        )
    )


@pytest.mark.django_db
def test_orm_update_is_refused(merchant):
    make_events(merchant, 2)
    before = snapshot()

    with pytest.raises(IntegrityError) as exc, transaction.atomic():
        AuditEvent.objects.filter(merchant=merchant).update(actor_username="mallory")

    assert "audit events are append-only: UPDATE refused" in str(exc.value)
    assert snapshot() == before


@pytest.mark.django_db
def test_model_save_of_existing_event_is_refused(merchant):
    event = make_events(merchant, 1)[0]
    event.action = "tampered"

    with pytest.raises(IntegrityError), transaction.atomic():
        event.save()

    assert AuditEvent.objects.get(pk=event.pk).action == actions.LOGOUT


@pytest.mark.django_db
def test_orm_delete_is_refused(merchant):
    make_events(merchant, 2)
    before = snapshot()

    with pytest.raises(IntegrityError) as exc, transaction.atomic():
        AuditEvent.objects.filter(merchant=merchant).delete()

    assert "audit events are append-only: DELETE refused" in str(exc.value)
    assert snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET action = 'tampered'",
        "UPDATE audit_auditevent SET hash = prev_hash WHERE id = %s",
        "DELETE FROM audit_auditevent",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ],
)
def test_raw_sql_update_and_delete_are_refused(merchant, sql):
    events = make_events(merchant, 2)
    before = snapshot()
    params = [events[0].pk] if "%s" in sql else []

    with pytest.raises(IntegrityError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)

    assert snapshot() == before


@pytest.mark.django_db
def test_purge_permit_still_refuses_events_within_retention(merchant):
    # The permit only lets through rows older than the firm's retention;
    # these are seconds old.
    make_events(merchant, 2)
    before = snapshot()

    with pytest.raises(IntegrityError), transaction.atomic():
        with delete_permit(DELETE_PURGE):
            AuditEvent.objects.filter(merchant=merchant).delete()

    assert snapshot() == before


@pytest.mark.django_db
def test_delete_is_refused_again_after_the_permit(merchant):
    make_events(merchant, 1)

    with transaction.atomic():
        with delete_permit(DELETE_PURGE):
            pass
        with pytest.raises(IntegrityError), transaction.atomic():
            AuditEvent.objects.all().delete()

    assert AuditEvent.objects.count() == 1


@pytest.mark.django_db
def test_inserting_events_still_works(merchant):
    make_events(merchant, 3)

    assert AuditEvent.objects.filter(merchant=merchant).count() == 3


@pytest.mark.django_db(transaction=True)
def test_flush_empties_the_audit_table(merchant):
    # ``payportal flush`` wipes the database on purpose (and the test runner
    # flushes after every transactional test); on SQLite it needs the
    # flush permit, on PostgreSQL it is a TRUNCATE.
    make_events(merchant, 2)

    call_command("flush", interactive=False, verbosity=0)

    assert AuditEvent.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the flush permit matters on SQLite only"
)
def test_flush_permit_is_sqlite_only_and_scoped(merchant):
    make_events(merchant, 1)

    with transaction.atomic():
        with delete_permit(DELETE_FLUSH):
            AuditEvent.objects.all().delete()
        assert AuditEvent.objects.count() == 0
        transaction.set_rollback(True)

    assert AuditEvent.objects.count() == 1
