"""factory_boy factories for the registry's models."""

import factory
from django.utils import timezone

from accounts.models import Membership, Team, User
from registry import choices
from registry.models import (
    AIModel,
    Connection,
    Credential,
    CredentialUse,
    DataAccess,
    DataSource,
    SecurityReview,
    UseCase,
    Vendor,
    VendorUse,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"person{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password("correct horse battery staple")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    team = factory.SubFactory(TeamFactory)


class VendorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vendor

    name = factory.Sequence(lambda n: f"Vendor {n}")
    slug = factory.Sequence(lambda n: f"vendor-{n}")


class AIModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AIModel

    vendor = factory.SubFactory(VendorFactory)
    name = factory.Sequence(lambda n: f"Model {n}")


class DataSourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DataSource

    name = factory.Sequence(lambda n: f"Data source {n}")
    classification = choices.DataClassification.INTERNAL


class CredentialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Credential

    name = factory.Sequence(lambda n: f"Credential {n}")
    storage = choices.CredentialStorage.SECRETS_MANAGER


class UseCaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UseCase

    name = factory.Sequence(lambda n: f"Use case {n}")
    purpose = factory.Faker("sentence")
    kind = choices.UseCaseKind.CUSTOM_GPT
    team = factory.SubFactory(TeamFactory)
    owner = factory.SubFactory(UserFactory)
    lifecycle_stage = choices.LifecycleStage.PILOT


class VendorUseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VendorUse

    use_case = factory.SubFactory(UseCaseFactory)
    vendor = factory.SubFactory(VendorFactory)


class DataAccessFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DataAccess

    use_case = factory.SubFactory(UseCaseFactory)
    data_source = factory.SubFactory(DataSourceFactory)


class CredentialUseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CredentialUse

    use_case = factory.SubFactory(UseCaseFactory)
    credential = factory.SubFactory(CredentialFactory)


class ConnectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Connection

    source = factory.SubFactory(UseCaseFactory)
    target = factory.SubFactory(UseCaseFactory)


class SecurityReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SecurityReview

    use_case = factory.SubFactory(UseCaseFactory)
    requested_at = factory.LazyFunction(timezone.now)
