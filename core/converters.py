"""The ``<id:...>`` path converter for database ids in page addresses.

Django's ``<int:...>`` accepts any number of digits. A number past the range of a 64-bit
integer then reaches the database: PostgreSQL answers "no row", but SQLite's driver raises
``OverflowError`` (a 500) before the query runs, on foreign-key lookups such as
``Membership.objects.get(table_id=...)``. No row can have such an id, so the address simply
does not match (404).
"""

from django.urls import register_converter

MAX_ID = 2**63 - 1  # the largest BigAutoField value on PostgreSQL and SQLite


class DatabaseIdConverter:
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            raise ValueError("not a database id")  # Django: the path does not match → 404
        return number

    def to_url(self, value) -> str:
        return str(int(value))


def register() -> None:
    """Called once, from ``CoreConfig.ready()`` (before any URLconf is loaded)."""
    register_converter(DatabaseIdConverter, "id")
