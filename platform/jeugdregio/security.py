"""Passwords (argon2id), random tokens stored as hashes, and keyed pseudonyms."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters

# A valid hash of a random password, verified against when the e-mail is unknown (equal timing).
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_token(nbytes: int = 32) -> str:
    """A URL-safe random token with at least 256 bits of entropy by default."""
    return secrets.token_urlsafe(nbytes)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def pseudonym(key: str, value: str, *, purpose: str = "youth") -> str:
    """Keyed pseudonym (HMAC-SHA256). Never a plain hash: the BSN space is small enough to enumerate."""
    mac = hmac.new(key.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()
    return mac[:24]


def password_problems(password: str) -> str | None:
    if len(password) < 12:
        return "Kies een wachtwoord van minimaal 12 tekens."
    if len(password) > 200:
        return "Het wachtwoord is te lang (maximaal 200 tekens)."
    return None
