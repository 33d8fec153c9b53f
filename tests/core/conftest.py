import copy

import pytest
from django.db import connection


@pytest.fixture
def database_down(transactional_db):
    """A real outage: the connection is closed and the next one goes to a port where nothing
    listens. PostgreSQL only — SQLite's in-memory test database cannot be closed and reopened."""
    if connection.vendor != "postgresql":
        pytest.skip("the outage is simulated on PostgreSQL (CI runs it)")
    saved = dict(connection.settings_dict)
    saved_options = copy.deepcopy(saved.get("OPTIONS", {}))
    connection.close()
    pooled = hasattr(connection, "close_pool") and connection.settings_dict.get("OPTIONS", {}).get(
        "pool"
    )
    if pooled:
        # The pool holds connections to the live server: drop it, so that the next one is made
        # to the dead port. A request then waits for the pool's timeout (DB_POOL_TIMEOUT in
        # production) before answering 503; one second here keeps the test short.
        connection.close_pool()
        connection.settings_dict["OPTIONS"] = {
            **saved_options,
            "pool": {**saved_options["pool"], "min_size": 0, "timeout": 1},
        }
    connection.settings_dict.update(HOST="127.0.0.1", PORT="1")
    yield
    connection.close()
    if pooled:
        connection.close_pool()
    connection.settings_dict.clear()
    connection.settings_dict.update(saved)
    connection.settings_dict["OPTIONS"] = saved_options
