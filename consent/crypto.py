"""Field encryption and the blind index.

Identifying information is stored as one Fernet token per person (MultiFernet: the first key in
``FIELD_ENCRYPTION_KEYS`` encrypts, every key decrypts, so keys can be rotated). Searching uses a
keyed HMAC "blind index" of the normalised name and date of birth, never a plaintext column.
"""

import base64
import binascii
import hashlib
import hmac
import json
import unicodedata
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class DecryptionError(Exception):
    """A token could not be decrypted with any configured key (wrong key or tampered data)."""


def _parse_key(raw: str, position: int) -> Fernet:
    try:
        decoded = base64.urlsafe_b64decode(raw.encode())
        if len(decoded) != 32:
            raise ValueError
        return Fernet(raw.encode())
    except (ValueError, binascii.Error, TypeError):
        raise ImproperlyConfigured(
            f"FIELD_ENCRYPTION_KEYS entry #{position + 1} is not a valid Fernet key "
            "(32 url-safe base64-encoded bytes). Generate one with: python -c "
            '"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
        ) from None


@lru_cache(maxsize=4)
def _fernet_for(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty.")
    return MultiFernet([_parse_key(k, i) for i, k in enumerate(keys)])


def fernet() -> MultiFernet:
    return _fernet_for(tuple(settings.FIELD_ENCRYPTION_KEYS))


def key_fingerprint() -> str:
    """Identifies the key that currently encrypts (never the key itself)."""
    primary = settings.FIELD_ENCRYPTION_KEYS[0].encode()
    return hashlib.sha256(b"situation-table-key-id:" + primary).hexdigest()[:12]


def validate_keys() -> None:
    """Fail at startup, with a clear message, on a malformed key."""
    fernet()
    if not settings.BLIND_INDEX_KEY:
        raise ImproperlyConfigured("BLIND_INDEX_KEY is empty.")


def encrypt_json(data: dict) -> str:
    payload = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    return fernet().encrypt(payload).decode()


def decrypt_json(token: str) -> dict:
    try:
        return json.loads(fernet().decrypt(token.encode()))
    except (InvalidToken, ValueError) as exc:
        raise DecryptionError("This record cannot be decrypted with the configured keys.") from exc


def rotate_token(token: str) -> str:
    try:
        return fernet().rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError("This record cannot be decrypted with the configured keys.") from exc


def normalise(text: str) -> str:
    """Lower case, no accents, single spaces: 'Éloïse  Tremblay' == 'eloise tremblay'."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.lower().replace("-", " ").replace("'", " ").split())


def blind_index(given_name: str, family_name: str, date_of_birth: str) -> str:
    """HMAC-SHA256 of the normalised name and date of birth (ISO). Same person → same index."""
    message = "|".join([normalise(given_name), normalise(family_name), (date_of_birth or "")])
    return hmac.new(settings.BLIND_INDEX_KEY.encode(), message.encode(), hashlib.sha256).hexdigest()


def _repeat_marker_key() -> bytes:
    # Derived from BLIND_INDEX_KEY but distinct: a repeat token never equals a blind index, so
    # the marker cannot be joined to the (purged) identifying-information rows.
    return hmac.new(
        settings.BLIND_INDEX_KEY.encode(), b"situation-table-repeat-marker-v1", hashlib.sha256
    ).digest()


def repeat_token(table_id: int, given_name: str, family_name: str, date_of_birth: str) -> str:
    """HMAC-SHA256 of the table id, the normalised name and the date of birth (ISO).

    Empty when there is no date of birth or no name: a name alone matches too many people.
    """
    names = [normalise(given_name), normalise(family_name)]
    if not (date_of_birth or "").strip() or not any(names):
        return ""
    message = "|".join([str(int(table_id)), *names, date_of_birth.strip()])
    return hmac.new(_repeat_marker_key(), message.encode(), hashlib.sha256).hexdigest()
