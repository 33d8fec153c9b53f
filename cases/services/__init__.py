"""Every write to situations, meetings and tasks.

Each state change is one function, in one transaction, with the acting user first; it checks the
actor's capability on the table, locks the situation row (``select_for_update``), validates the
move, writes a ``StatusChange`` row in the same transaction and returns the new state. An invalid
move raises :class:`InvalidTransition` (→ form error / HTTP 409); a missing right raises
``PermissionDenied`` (→ 403); bad input raises ``ValidationError`` (→ form error / 400).

Split by sub-domain: ``intake`` (Filter 1), ``filters`` (Filters 2 to 4, tasks, conclusion),
``meetings`` (meetings and agenda); ``_base`` holds the shared checks and the one history.
"""

from core.exceptions import InvalidTransition

from ._base import EARLIEST_MEETING, MAX_MEETING_YEARS_AHEAD, MAX_TASK_DAYS_AHEAD
from .filters import (
    AER_ELEMENTS,
    add_task,
    complete_task,
    conclude_situation,
    plan_intervention,
    record_filter2_decision,
    record_filter3,
    record_report_back,
)
from .intake import (
    EDITABLE_STATUSES,
    attest_filter1,
    create_situation,
    update_situation,
    withdraw_situation,
)
from .meetings import (
    add_to_agenda,
    check_in,
    close_meeting,
    create_meeting,
    fill_agenda,
    record_attendance,
    remove_from_agenda,
    reopen_meeting,
    schedule_meeting,
    set_current_item,
    start_meeting,
    update_meeting,
)

__all__ = [
    "AER_ELEMENTS",
    "EARLIEST_MEETING",
    "EDITABLE_STATUSES",
    "InvalidTransition",
    "MAX_MEETING_YEARS_AHEAD",
    "MAX_TASK_DAYS_AHEAD",
    "add_task",
    "add_to_agenda",
    "attest_filter1",
    "check_in",
    "close_meeting",
    "complete_task",
    "conclude_situation",
    "create_meeting",
    "create_situation",
    "fill_agenda",
    "plan_intervention",
    "record_attendance",
    "record_filter2_decision",
    "record_filter3",
    "record_report_back",
    "remove_from_agenda",
    "reopen_meeting",
    "schedule_meeting",
    "set_current_item",
    "start_meeting",
    "update_meeting",
    "update_situation",
    "withdraw_situation",
]
