"""Domain errors shared by every app's services. The messages are user-facing.

The views show them as form errors or messages; the API answers them as
409 ``{"detail", "code": "invalid_transition"}`` (``core/api/policies.py``).
"""


class DomainError(Exception):
    """A rule of the domain refuses this action; ``message`` says why, for the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidTransition(DomainError):
    """The object is not in a state that allows this action (a situation's filter, a meeting
    already closed, a disclosure already revoked, the same act already recorded)."""
