import pytest
from django.test import Client

from agencies import services


@pytest.fixture
def agreement(cast):
    """Version 1 of the test table's agreement, published by the coordinator (nobody accepted)."""
    return services.publish_agreement(
        actor=cast.coordinator, table=cast.table, text="We share only what is needed.\n\nV1."
    )


@pytest.fixture
def coordinator_client(cast):
    client = Client()
    client.force_login(cast.coordinator)
    return client


def invite(cast, email="new.person@example.invalid", role="representative", agency=None):
    return services.invite_member(
        actor=cast.coordinator,
        table=cast.table,
        agency=agency or cast.housing,
        role=role,
        email=email,
    )
