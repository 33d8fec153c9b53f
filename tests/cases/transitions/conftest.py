"""Fixtures shared by the state-machine tests."""

import pytest

from ..factories import MeetingFactory


@pytest.fixture
def meeting(cast):
    """An upcoming meeting of the cast's table."""
    return MeetingFactory(table=cast.table)
