"""Email backends that misbehave on purpose, for the fault tests (also loaded by the worker
subprocess through EMAIL_BACKEND). Their switches are environment variables so that the test
process and the worker share them."""

import os
import smtplib
import threading
from pathlib import Path

from django.core.mail.backends.filebased import EmailBackend as FileBackend
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend


class AlwaysFailingBackend(LocmemBackend):
    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("test: the SMTP server went away")


def _first_time(marker_env: str) -> bool:
    """True exactly once per marker file (across processes)."""
    marker = os.environ.get(marker_env)
    if not marker:
        return False
    try:
        Path(marker).touch(exist_ok=False)
    except FileExistsError:
        return False
    return True


class FailOnceLocmemBackend(LocmemBackend):
    def send_messages(self, messages):
        if _first_time("TEST_EMAIL_FAIL_ONCE_MARKER"):
            raise smtplib.SMTPServerDisconnected("test: the SMTP server went away once")
        return super().send_messages(messages)


class FailOnceFileBackend(FileBackend):
    def send_messages(self, messages):
        if _first_time("TEST_EMAIL_FAIL_ONCE_MARKER"):
            raise smtplib.SMTPServerDisconnected("test: the SMTP server went away once")
        return super().send_messages(messages)


class HangingFileBackend(FileBackend):
    """Writes messages like the file backend, but hangs (as a stuck SMTP server would) on the
    message number TEST_EMAIL_HANG_AT, after creating TEST_EMAIL_HANG_MARKER so the test knows
    the worker is stuck mid-send. The test then kills the worker."""

    sent = 0

    def send_messages(self, messages):
        HangingFileBackend.sent += 1
        if HangingFileBackend.sent == int(os.environ.get("TEST_EMAIL_HANG_AT", "0")):
            Path(os.environ["TEST_EMAIL_HANG_MARKER"]).touch()
            threading.Event().wait(timeout=120)
        return super().send_messages(messages)
