import pytest
from django.db import connection


@pytest.fixture
def database_down(transactional_db):
    """A real outage: the connection is closed and the next one goes to a port where nothing
    listens. PostgreSQL only — SQLite's in-memory test database cannot be closed and reopened."""
    if connection.vendor != "postgresql":
        pytest.skip("the outage is simulated on PostgreSQL (CI runs it)")
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT="1")
    yield
    connection.close()
    connection.settings_dict.clear()
    connection.settings_dict.update(saved)
