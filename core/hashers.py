"""Password hashing with explicit, documented Argon2id parameters.

Django's default Argon2 cost (100 MiB, 8 lanes) makes each sign-in take 100 MiB and 2–4 s of CPU
on a small server; eight people signing in at once before a meeting add 800 MB. We use the first
configuration OWASP's Password Storage Cheat Sheet recommends for Argon2id: **m = 19 MiB, t = 2,
p = 1**, which fits the docker-compose sizing (one 1–2 GB host) and still costs an attacker
tens of milliseconds and 19 MiB per guess. Hashes made with other parameters (Django's default)
still verify, and are re-hashed with these at the user's next successful sign-in.
"""

from django.contrib.auth import hashers


class Argon2PasswordHasher(hashers.Argon2PasswordHasher):
    # Same algorithm name as Django's: existing "argon2$..." hashes are verified by this class.
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
