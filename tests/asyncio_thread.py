"""Run a coroutine from a sync test, whatever the main thread holds.

Once a Playwright browser test has run, pytest-playwright keeps an event loop running on the main
thread for the rest of the session, and ``async_to_sync`` refuses to run there. A fresh thread
with its own loop always works; the test must then use committed data
(``django_db(transaction=True)``), since the coroutine's database calls run on other threads.
"""

import asyncio
from concurrent.futures import ThreadPoolExecutor


def run(coroutine_function, *args):
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine_function(*args)).result()
