"""Hypothesis: any single edit, deletion or reordering breaks verification.

The database refuses edits, so the verifier is tested on row data: a chain
built in memory exactly as ``record_event`` builds it.
"""

import datetime

from hypothesis import given
from hypothesis import strategies as st

from payportal.audit.models import AuditEvent
from payportal.audit.selectors import ChainRow, verify_rows
from payportal.audit.services import GENESIS, compute_hash

BASE = datetime.datetime(2026, 1, 10, 9, 0, tzinfo=datetime.UTC)


def build_chain(length: int) -> list[ChainRow]:
    rows, prev = [], GENESIS
    for n in range(length):
        event = AuditEvent(
            id=n + 1,
            merchant_id=7,
            created_at=BASE + datetime.timedelta(seconds=n),
            actor_id=3,
            actor_username="admin",
            ip_address="192.0.2.10",
            user_agent="Browser/1.0",
            action="user.changed",
            target_type="user",
            target_id=str(n),
            target_label=f"user{n}",
            changes={"email": [f"a{n}@example.com", f"b{n}@example.com"]},
            outcome="success",
            prev_hash=prev,
        )
        event.hash = compute_hash(prev_hash=prev, event=event)
        prev = event.hash
        rows.append(ChainRow.of(event))
    return rows


lengths = st.integers(min_value=1, max_value=8)
new_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(max_size=20),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


def check(rows: list[ChainRow], head: str):
    return verify_rows(rows, start=GENESIS, head=head)


def test_untouched_chain_verifies():
    rows = build_chain(5)

    report = check(rows, rows[-1].hash)

    assert (report.intact, report.count) == (True, 5)


@given(length=lengths, data=st.data())
def test_any_single_field_edit_fails(length, data):
    rows = build_chain(length)
    head = rows[-1].hash
    index = data.draw(st.integers(0, length - 1))
    name = data.draw(st.sampled_from(sorted(rows[index].fields)))
    old = rows[index].fields[name]
    value = data.draw(new_values.filter(lambda v: repr(v) != repr(old)))
    fields = {**rows[index].fields, name: value}
    rows[index] = ChainRow(
        id=rows[index].id,
        prev_hash=rows[index].prev_hash,
        hash=rows[index].hash,
        fields=fields,
    )

    report = check(rows, head)

    assert report.intact is False
    assert report.broken_event_id == rows[index].id


@given(length=lengths, data=st.data())
def test_any_single_hash_edit_fails(length, data):
    rows = build_chain(length)
    head = rows[-1].hash
    index = data.draw(st.integers(0, length - 1))
    which = data.draw(st.sampled_from(["prev_hash", "hash"]))
    value = data.draw(
        st.text("0123456789abcdef", min_size=64, max_size=64).filter(
            lambda v: v != getattr(rows[index], which)
        )
    )
    row = rows[index]
    rows[index] = ChainRow(
        id=row.id,
        prev_hash=value if which == "prev_hash" else row.prev_hash,
        hash=value if which == "hash" else row.hash,
        fields=row.fields,
    )

    assert check(rows, head).intact is False


@given(length=lengths, data=st.data())
def test_any_single_deletion_fails(length, data):
    rows = build_chain(length)
    head = rows[-1].hash
    index = data.draw(st.integers(0, length - 1))

    del rows[index]

    assert check(rows, head).intact is False


@given(length=st.integers(min_value=2, max_value=8), data=st.data())
def test_any_reordering_fails(length, data):
    rows = build_chain(length)
    head = rows[-1].hash
    order = data.draw(
        st.permutations(range(length)).filter(lambda p: list(p) != sorted(p))
    )

    reordered = [rows[i] for i in order]

    assert check(reordered, head).intact is False


@given(length=st.integers(min_value=2, max_value=8), data=st.data())
def test_deletion_before_the_newest_event_fails_without_a_known_head(length, data):
    # Only the newest event's removal needs the head from an earlier check.
    rows = build_chain(length)
    index = data.draw(st.integers(0, length - 2))

    del rows[index]

    report = verify_rows(rows, start=GENESIS)
    assert report.intact is False
    assert report.broken_event_id == rows[index].id
