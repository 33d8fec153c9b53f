"""Demo notifications for ``seed_demo``: whatever the demo's meetings and tasks make due now.

Idempotent (the sweep is). The rows are recorded but not emailed here, so ``make run`` prints no
emails; ``manage.py run_sweep`` (or a worker with beat) sends them.
"""

from . import services


def seed_notifications() -> services.SweepResult:
    return services.sweep(enqueue=False)
