"""Tests of the four-filter state machine in ``cases.services``, split by sub-domain.

``helpers.py`` holds the shared readers, the snapshot and the ``Refusal`` runner; its plain
``assert`` statements get pytest's detailed failure messages through the registration below.
"""

import pytest

pytest.register_assert_rewrite("tests.cases.transitions.helpers")
