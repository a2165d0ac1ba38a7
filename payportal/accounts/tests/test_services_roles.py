import pytest
from django.core.exceptions import ValidationError

from payportal.accounts.models import Role
from payportal.accounts.permissions import (
    ALL_CODES,
    AUDIT_VIEW,
    DASHBOARD_VIEW,
    PAYMENTS_VIEW,
    USERS_MANAGE,
)
from payportal.accounts.services.roles import create_role, delete_role, update_role
from payportal.accounts.tests.factories import RoleFactory, UserFactory
from payportal.audit.models import AuditEvent
from payportal.audit.selectors import verify_chain

pytestmark = pytest.mark.django_db


def test_create_role_saves_codes_in_catalogue_order(merchant, admin):
    role = create_role(
        merchant=merchant,
        actor=admin,
        name="  Bookkeeper ",
        description=" Reconciles payments. ",
        permissions=[PAYMENTS_VIEW, DASHBOARD_VIEW],
    )

    role.refresh_from_db()
    assert role.merchant == merchant
    assert role.name == "Bookkeeper"
    assert role.description == "Reconciles payments."
    assert role.permissions == [DASHBOARD_VIEW, PAYMENTS_VIEW]
    assert role.is_administrator is False


def test_create_role_records_event(merchant, admin):
    role = create_role(
        merchant=merchant,
        actor=admin,
        name="Bookkeeper",
        description="",
        permissions=[PAYMENTS_VIEW, DASHBOARD_VIEW],
    )

    event = AuditEvent.objects.get(action="role.created")
    assert event.merchant == merchant
    assert event.actor == admin
    assert event.target_type == "role"
    assert event.target_id == str(role.pk)
    assert event.target_label == "Bookkeeper"
    assert event.changes == {
        "name": [None, "Bookkeeper"],
        "description": [None, ""],
        "permissions": [None, [DASHBOARD_VIEW, PAYMENTS_VIEW]],
    }


def test_create_role_rejects_taken_name_ignoring_case(merchant, admin):
    RoleFactory(merchant=merchant, name="Bookkeeper")

    with pytest.raises(ValidationError) as exc:
        create_role(
            merchant=merchant,
            actor=admin,
            name="BOOKKEEPER",
            description="",
            permissions=[],
        )

    assert exc.value.message_dict == {"name": ["A role with this name already exists."]}
    assert (
        Role.objects.filter(merchant=merchant, name__iexact="bookkeeper").count() == 1
    )


def test_create_role_allows_name_used_by_another_firm(merchant, other_merchant, admin):
    RoleFactory(merchant=other_merchant, name="Bookkeeper")

    role = create_role(
        merchant=merchant,
        actor=admin,
        name="Bookkeeper",
        description="",
        permissions=[],
    )

    assert role.merchant == merchant


def test_create_role_rejects_unknown_code(merchant, admin):
    with pytest.raises(ValidationError) as exc:
        create_role(
            merchant=merchant,
            actor=admin,
            name="Bookkeeper",
            description="",
            permissions=[PAYMENTS_VIEW, "payments.delete"],
        )

    assert exc.value.message_dict == {
        "permissions": ["Unknown permission: payments.delete."]
    }
    assert Role.objects.filter(name="Bookkeeper").exists() is False
    assert AuditEvent.objects.filter(action="role.created").exists() is False


def test_create_role_rejects_blank_name(merchant, admin):
    with pytest.raises(ValidationError) as exc:
        create_role(
            merchant=merchant, actor=admin, name="   ", description="", permissions=[]
        )

    assert exc.value.message_dict == {"name": ["Enter a name for the role."]}


def test_create_role_rejects_overlong_description(merchant, admin):
    with pytest.raises(ValidationError) as exc:
        create_role(
            merchant=merchant,
            actor=admin,
            name="Bookkeeper",
            description="x" * 201,
            permissions=[],
        )

    assert exc.value.message_dict == {
        "description": ["Ensure this value has at most 200 characters (it has 201)."]
    }


def test_update_role_records_changed_fields_only(merchant, admin):
    role = RoleFactory(
        merchant=merchant,
        name="Bookkeeper",
        description="Books",
        permissions=[PAYMENTS_VIEW],
    )

    update_role(
        role=role,
        actor=admin,
        name="Accounts",
        description="Books",
        permissions=[AUDIT_VIEW, DASHBOARD_VIEW, PAYMENTS_VIEW],
    )

    role.refresh_from_db()
    assert role.name == "Accounts"
    assert role.permissions == [DASHBOARD_VIEW, PAYMENTS_VIEW, AUDIT_VIEW]
    event = AuditEvent.objects.get(action="role.changed")
    assert event.actor == admin
    assert event.target_id == str(role.pk)
    assert event.changes == {
        "name": ["Bookkeeper", "Accounts"],
        "permissions": [
            [PAYMENTS_VIEW],
            [AUDIT_VIEW, DASHBOARD_VIEW, PAYMENTS_VIEW],
        ],
    }


def test_update_role_without_changes_records_nothing(merchant, admin):
    role = RoleFactory(
        merchant=merchant, name="Bookkeeper", permissions=[PAYMENTS_VIEW]
    )

    update_role(
        role=role,
        actor=admin,
        name="Bookkeeper",
        description="",
        permissions=[PAYMENTS_VIEW],
    )

    assert AuditEvent.objects.filter(action="role.changed").exists() is False


def test_update_role_allows_changing_case_of_own_name(merchant, admin):
    role = RoleFactory(merchant=merchant, name="bookkeeper")

    update_role(
        role=role, actor=admin, name="Bookkeeper", description="", permissions=[]
    )

    role.refresh_from_db()
    assert role.name == "Bookkeeper"


def test_update_role_rejects_name_of_another_role(merchant, admin):
    RoleFactory(merchant=merchant, name="Accounts")
    role = RoleFactory(merchant=merchant, name="Bookkeeper")

    with pytest.raises(ValidationError) as exc:
        update_role(
            role=role, actor=admin, name="accounts", description="", permissions=[]
        )

    assert exc.value.message_dict == {"name": ["A role with this name already exists."]}


def test_update_role_refuses_renaming_administrator(admin, admin_role):
    with pytest.raises(ValidationError) as exc:
        update_role(
            role=admin_role,
            actor=admin,
            name="Boss",
            description="",
            permissions=ALL_CODES,
        )

    assert exc.value.message_dict == {
        "name": ["The Administrator role keeps its name."]
    }
    admin_role.refresh_from_db()
    assert admin_role.name == "Administrator"


def test_update_role_refuses_narrowing_administrator(admin, admin_role):
    with pytest.raises(ValidationError) as exc:
        update_role(
            role=admin_role,
            actor=admin,
            name="Administrator",
            description="",
            permissions=[DASHBOARD_VIEW],
        )

    assert exc.value.message_dict == {
        "permissions": ["Administrator always has every permission."]
    }
    admin_role.refresh_from_db()
    assert admin_role.codes == frozenset(ALL_CODES)


def test_update_role_changes_administrator_description(admin, admin_role):
    update_role(
        role=admin_role,
        actor=admin,
        name="Administrator",
        description="Partners",
        permissions=ALL_CODES,
    )

    admin_role.refresh_from_db()
    assert admin_role.description == "Partners"
    event = AuditEvent.objects.get(action="role.changed")
    assert event.changes == {"description": ["", "Partners"]}


def test_update_role_refuses_removing_user_management_from_own_role(
    merchant, user_with
):
    actor = user_with(USERS_MANAGE, DASHBOARD_VIEW)
    UserFactory(merchant=merchant, role=actor.role)  # another manager remains

    with pytest.raises(ValidationError) as exc:
        update_role(
            role=actor.role,
            actor=actor,
            name=actor.role.name,
            description="",
            permissions=[DASHBOARD_VIEW],
        )

    assert exc.value.message_dict == {
        "permissions": ["You can't remove user management from your own role."]
    }
    actor.role.refresh_from_db()
    assert actor.role.permissions == [USERS_MANAGE, DASHBOARD_VIEW]


def test_update_role_refuses_leaving_firm_without_user_manager(merchant, admin):
    managers = RoleFactory(merchant=merchant, permissions=[USERS_MANAGE])
    UserFactory(merchant=merchant, role=managers)
    admin.is_active = False
    admin.save()

    with pytest.raises(ValidationError) as exc:
        update_role(
            role=managers,
            actor=admin,
            name=managers.name,
            description="",
            permissions=[DASHBOARD_VIEW],
        )

    assert exc.value.message_dict == {
        "permissions": [
            "The firm must keep at least one active user who can manage users."
        ]
    }
    managers.refresh_from_db()
    assert managers.permissions == [USERS_MANAGE]


def test_update_role_removes_user_management_when_another_manager_remains(
    merchant, admin
):
    managers = RoleFactory(merchant=merchant, permissions=[USERS_MANAGE])
    UserFactory(merchant=merchant, role=managers)

    update_role(
        role=managers,
        actor=admin,
        name=managers.name,
        description="",
        permissions=[DASHBOARD_VIEW],
    )

    managers.refresh_from_db()
    assert managers.permissions == [DASHBOARD_VIEW]


def test_delete_role_deletes_and_records_event(merchant, admin):
    role = RoleFactory(
        merchant=merchant,
        name="Bookkeeper",
        description="Books",
        permissions=[PAYMENTS_VIEW, DASHBOARD_VIEW],
    )
    role_id = role.pk

    delete_role(role=role, actor=admin)

    assert Role.objects.filter(pk=role_id).exists() is False
    event = AuditEvent.objects.get(action="role.deleted")
    assert event.target_id == str(role_id)
    assert event.target_label == "Bookkeeper"
    assert event.changes == {
        "name": ["Bookkeeper", None],
        "description": ["Books", None],
        "permissions": [[DASHBOARD_VIEW, PAYMENTS_VIEW], None],
    }


def test_delete_role_refuses_administrator(admin, admin_role):
    with pytest.raises(ValidationError) as exc:
        delete_role(role=admin_role, actor=admin)

    assert exc.value.messages == ["The Administrator role can't be deleted."]
    assert Role.objects.filter(pk=admin_role.pk).exists() is True


def test_delete_role_refuses_role_held_by_inactive_user(merchant, admin):
    role = RoleFactory(merchant=merchant)
    UserFactory(merchant=merchant, role=role, is_active=False)

    with pytest.raises(ValidationError) as exc:
        delete_role(role=role, actor=admin)

    assert exc.value.messages == [
        "This role is held by 1 user. Give them another role first."
    ]
    assert Role.objects.filter(pk=role.pk).exists() is True
    assert AuditEvent.objects.filter(action="role.deleted").exists() is False


def test_delete_role_names_how_many_users_hold_it(merchant, admin):
    role = RoleFactory(merchant=merchant)
    UserFactory.create_batch(3, merchant=merchant, role=role)

    with pytest.raises(ValidationError) as exc:
        delete_role(role=role, actor=admin)

    assert exc.value.messages == [
        "This role is held by 3 users. Give them another role first."
    ]


def test_role_services_keep_audit_chain_intact(merchant, admin):
    role = create_role(
        merchant=merchant, actor=admin, name="A", description="", permissions=[]
    )
    update_role(
        role=role, actor=admin, name="B", description="", permissions=[AUDIT_VIEW]
    )
    delete_role(role=role, actor=admin)

    report = verify_chain(merchant=merchant)

    assert report.intact is True
    assert report.count == 3
