import factory
from django.contrib.auth import get_user_model

from agencies.models import Agency, Membership, Role, Sector, Table


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"User{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.invalid")
    password = factory.django.Password("correct-horse-battery")


class TableFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Table

    name = factory.Sequence(lambda n: f"Table {n}")
    code = factory.Sequence(lambda n: f"T{n}")


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency

    name = factory.Sequence(lambda n: f"Agency {n}")
    short_name = factory.Sequence(lambda n: f"AG{n}")
    sector = factory.LazyFunction(lambda: Sector.objects.get(code="community"))


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    table = factory.SubFactory(TableFactory)
    agency = factory.SubFactory(AgencyFactory)
    role = Role.REPRESENTATIVE

    @factory.post_generation
    def join_table(obj, create, extracted, **kwargs):
        if create:
            obj.table.agencies.add(obj.agency)
