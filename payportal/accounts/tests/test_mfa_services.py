"""TOTP and recovery codes: the rules, through services.mfa."""

import hashlib
import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from payportal.accounts.mfa import recovery, totp
from payportal.accounts.models import RecoveryCode, SecondFactor
from payportal.accounts.services import mfa as services
from payportal.accounts.tests.mfa_helpers import (
    START,
    at,
    current_code,
    enrol,
    next_step,
)
from payportal.audit import actions
from payportal.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(START, tick=False)
    return time_machine


def test_totp_matches_rfc_6238_test_vector():
    # RFC 6238 appendix B, SHA-1, T = 59 s: 94287082 (8 digits); its last 6.
    secret = b"12345678901234567890".hex()

    assert totp.code_at(secret, 59 // 30) == "287082"


def test_new_secret_is_160_random_bits():
    first, second = totp.new_secret(), totp.new_secret()

    assert len(bytes.fromhex(first)) == 20
    assert first != second


def test_base32_secret_is_grouped_for_reading():
    secret = b"12345678901234567890".hex()

    assert totp.base32_secret(secret) == "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    assert totp.grouped(totp.base32_secret(secret)) == (
        "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ"
    )


def test_start_enrolment_reuses_the_unconfirmed_factor(admin):
    first = services.start_totp_enrolment(user=admin)

    second = services.start_totp_enrolment(user=admin)

    assert second.pk == first.pk
    assert second.secret == first.secret
    assert second.confirmed_at is None


def test_confirm_totp_refuses_a_wrong_code(admin, clock):
    factor = services.start_totp_enrolment(user=admin)
    wrong = f"{(int(current_code(factor)) + 1) % 1_000_000:06d}"

    with pytest.raises(ValidationError) as exc:
        services.confirm_totp(user=admin, factor=factor, code=wrong, request=None)

    assert exc.value.message_dict == {"code": [services.CODE_WRONG]}
    factor.refresh_from_db()
    assert factor.confirmed_at is None
    assert RecoveryCode.objects.filter(user=admin).count() == 0


def test_confirm_totp_turns_it_on_with_ten_hashed_recovery_codes(admin, clock):
    factor, codes = enrol(admin)

    assert factor.confirmed_at is not None
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert all(re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", c) for c in codes)
    stored = set(
        RecoveryCode.objects.filter(user=admin).values_list("code_hash", flat=True)
    )
    assert stored == {
        hashlib.sha256(c.replace("-", "").encode()).hexdigest() for c in codes
    }
    assert not any(c in h or c.replace("-", "") in h for c in codes for h in stored)
    event = AuditEvent.objects.get(action=actions.MFA_ENABLED)
    assert event.target_id == str(admin.pk)
    assert event.changes == {"two_step": [None, "Authenticator app"]}


def test_totp_code_works_at_the_last_second_of_its_step(admin, clock):
    factor, _ = enrol(admin)
    next_step(clock)
    step = totp.current_step()
    code = current_code(factor)

    at(clock, seconds=(step * 30 + 29) - int(START.timestamp()))

    assert services.verify_totp_code(user=admin, code=code) is True


def test_totp_code_fails_at_the_first_second_of_the_next_step(admin, clock):
    factor, _ = enrol(admin)
    next_step(clock)
    code = current_code(factor)

    next_step(clock)

    assert services.verify_totp_code(user=admin, code=code) is False


def test_totp_code_of_the_next_step_is_refused_too(admin, clock):
    factor, _ = enrol(admin)
    next_step(clock)
    early = totp.code_at(factor.secret, totp.current_step() + 1)

    assert services.verify_totp_code(user=admin, code=early) is False


def test_totp_code_is_single_use_within_its_step(admin, clock):
    factor, _ = enrol(admin)
    next_step(clock)
    code = current_code(factor)
    assert services.verify_totp_code(user=admin, code=code) is True

    clock.shift(timedelta(seconds=5))

    assert services.verify_totp_code(user=admin, code=code) is False


def test_enrolment_code_cannot_be_replayed_to_sign_in(admin, clock):
    factor, _ = enrol(admin)

    assert services.verify_totp_code(user=admin, code=current_code(factor)) is False


def test_unconfirmed_factor_does_not_sign_in(admin, clock):
    factor = services.start_totp_enrolment(user=admin)

    assert services.verify_totp_code(user=admin, code=current_code(factor)) is False
    assert services.has_confirmed_factor(admin) is False


def test_recovery_code_works_once(admin, clock):
    _, codes = enrol(admin)

    assert services.use_recovery_code(user=admin, code=codes[3], request=None) is True
    assert services.use_recovery_code(user=admin, code=codes[3], request=None) is False
    assert services.unused_recovery_codes(admin) == 9
    event = AuditEvent.objects.get(action=actions.MFA_RECOVERY_CODE_USED)
    assert event.changes == {"recovery_codes_left": [None, 9]}


def test_recovery_code_accepts_upper_case_and_spaces(admin, clock):
    _, codes = enrol(admin)

    typed = codes[0].upper().replace("-", " ")

    assert services.use_recovery_code(user=admin, code=typed, request=None) is True


def test_recovery_code_of_another_user_fails(admin, user_with, clock):
    other = user_with()
    _, codes = enrol(other)
    enrol(admin)

    assert services.use_recovery_code(user=admin, code=codes[0], request=None) is False


def test_regenerate_recovery_codes_replaces_the_old_ones(admin, clock):
    _, old = enrol(admin)

    new = services.regenerate_recovery_codes(user=admin, request=None)

    assert len(new) == 10
    assert set(new).isdisjoint(old)
    assert services.use_recovery_code(user=admin, code=old[0], request=None) is False
    assert services.use_recovery_code(user=admin, code=new[0], request=None) is True
    assert (
        AuditEvent.objects.filter(action=actions.MFA_RECOVERY_CODES_REGENERATED).count()
        == 1
    )


def test_remove_factors_deletes_factor_and_codes(admin, clock):
    enrol(admin)

    services.remove_factors(user=admin, request=None)

    assert SecondFactor.objects.filter(user=admin).count() == 0
    assert RecoveryCode.objects.filter(user=admin).count() == 0
    event = AuditEvent.objects.get(action=actions.MFA_DISABLED)
    assert event.changes == {"two_step": ["Authenticator app", None]}


def test_reset_factors_refuses_ones_own(admin, clock):
    enrol(admin)

    with pytest.raises(ValidationError) as exc:
        services.reset_factors(user=admin, actor=admin, request=None)

    assert exc.value.messages == [services.OWN_FACTOR]
    assert services.has_confirmed_factor(admin) is True


def test_recovery_codes_have_about_59_bits():
    assert len(recovery.ALPHABET) ** recovery.LENGTH > 2**59
