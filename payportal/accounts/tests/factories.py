"""Deterministic test data for accounts (factory_boy, no Faker randomness)."""

import factory

from payportal.accounts.models import Role, User
from payportal.accounts.permissions import ALL_CODES
from payportal.merchants.models import Merchant

PASSWORD = "Blue-harbour-7-lantern"


class MerchantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Merchant

    name = factory.Sequence(lambda n: f"Firm {n} LLP")
    processor_account = factory.Sequence(lambda n: f"acct_test{n}")


class RoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Role

    merchant = factory.SubFactory(MerchantFactory)
    name = factory.Sequence(lambda n: f"Role {n}")
    permissions = factory.LazyFunction(list)


class AdministratorRoleFactory(RoleFactory):
    name = "Administrator"
    is_administrator = True
    permissions = factory.LazyFunction(lambda: list(ALL_CODES))

    class Meta:
        model = Role
        django_get_or_create = ("merchant", "name")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    merchant = factory.SubFactory(MerchantFactory)
    role = factory.LazyAttribute(
        lambda o: AdministratorRoleFactory(merchant=o.merchant)
    )
    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"Pat Example {n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    is_active = True

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):  # noqa: N805
        obj.set_password(extracted or PASSWORD)
        if create:
            obj.save()
