"""API keys: made once, stored as a SHA-256 hash, checked in constant time."""
import hashlib
import hmac
import re
import secrets
import time

from datetime import datetime
from typing import Callable, NamedTuple

from flask import request

from app.extensions import db
from app.models import ApiKey, utcnow

ROLES = ("reader", "pii", "admin")
# Roles that may read riders' contact and body details (email, birth date, address, height, weight).
PERSONAL_DATA_ROLES = ("pii", "admin")
KEY_PREFIX = "dlk"  # every key looks like dlk_<8 hex>_<secret>
KEY_PREFIX_PATTERN = re.compile(r"[0-9a-f]{8}")
# A verified key is trusted for this long by each web process without asking the database again, so
# a request costs no key query; a key revoked from another process is refused within this time.
KEY_CACHE_S = 5.0
# hash of a verified key -> (when it was verified, the key); only real keys are kept.
_verified: dict[str, tuple[float, "ActiveKey"]] = {}

USE_NOTED_EVERY_S = 60  # last_used_at is written at most this often per key


def hash_key(plain_key: str) -> str:
    """The stored form of a key."""
    return hashlib.sha256(plain_key.encode()).hexdigest()


def create_api_key(role: str, name: str) -> str:
    """Make a key with a role, store its hash, and return the key (shown once)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    prefix = secrets.token_hex(4)
    plain_key = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    db.session.add(ApiKey(name=name, role=role, key_prefix=prefix, key_hash=hash_key(plain_key)))
    db.session.commit()
    return plain_key


def parse_prefix(plain_key: str) -> str | None:
    """The public prefix of a well-formed key (8 lower-case hex digits, as create_api_key makes
    them), else None: nothing else reaches the database (PostgreSQL refuses a NUL, for one)."""
    parts = plain_key.split("_", 2)
    if len(parts) == 3 and parts[0] == KEY_PREFIX and KEY_PREFIX_PATTERN.fullmatch(parts[1]):
        return parts[1]
    return None


def bearer_token() -> str | None:
    """The token of the request's `Authorization: Bearer ...` header."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


class ActiveKey(NamedTuple):
    """A verified, unrevoked key as a request uses it: plain values, shared between requests."""

    key_id: int
    name: str
    role: str
    key_prefix: str
    key_hash: str
    last_used_at: datetime | None


def _session_rows(statement) -> list:
    return db.session.execute(statement).all()


def find_active_key(plain_key: str, read_rows: Callable = _session_rows) -> ActiveKey | None:
    """The unrevoked key matching plain_key; the hash comparison takes constant time.

    A key verified less than KEY_CACHE_S ago is taken from this process's memory (no query);
    `read_rows` runs the query otherwise (the request's session unless told)."""
    presented = hash_key(plain_key)
    cached = _verified.get(presented)
    if cached is not None and time.monotonic() - cached[0] < KEY_CACHE_S:
        return cached[1]
    key = _query_active_key(plain_key, presented, read_rows)
    if key is None:
        _verified.pop(presented, None)
    else:
        _verified[presented] = (time.monotonic(), key)
    return key


def _query_active_key(plain_key: str, presented: str, read_rows: Callable) -> ActiveKey | None:
    """The key from the database: found by its prefix, its hash compared in constant time."""
    prefix = parse_prefix(plain_key)
    if prefix is None:
        return None
    candidates = read_rows(db.select(*(getattr(ApiKey, name) for name in ActiveKey._fields)).where(
        ApiKey.key_prefix == prefix, ApiKey.revoked_at.is_(None)))
    for row in candidates:
        if hmac.compare_digest(row.key_hash, presented):
            return ActiveKey(*row)
    return None


def _session_write(statement) -> None:
    db.session.execute(statement)
    db.session.commit()


def mark_key_used(key: ActiveKey, write: Callable = _session_write) -> None:
    """Note when a key was last used, so operators see which keys are in use.

    At most once a minute per key: cheap bookkeeping, not a write on every request. `write` runs
    the one UPDATE (in the request's session unless told)."""
    now = utcnow()
    if key.last_used_at is not None and (now - key.last_used_at).total_seconds() <= USE_NOTED_EVERY_S:
        return
    write(db.update(ApiKey).where(ApiKey.key_id == key.key_id).values(last_used_at=now))
    cached = _verified.get(key.key_hash)
    if cached is not None:  # remembered as used now, so the next requests do not write again
        _verified[key.key_hash] = (cached[0], cached[1]._replace(last_used_at=now))


def list_api_keys() -> list[ApiKey]:
    """Every key, newest first (hashes only)."""
    return list(db.session.scalars(db.select(ApiKey).order_by(ApiKey.created_at.desc())))


def revoke_api_key(prefix: str) -> bool:
    """Revoke the key with this prefix; False when there is none."""
    key = db.session.scalar(db.select(ApiKey).where(ApiKey.key_prefix == prefix,
                                                     ApiKey.revoked_at.is_(None)))
    if key is None:
        return False
    key.revoked_at = utcnow()
    db.session.commit()
    _verified.pop(key.key_hash, None)  # refused at once here; other processes within KEY_CACHE_S
    return True
