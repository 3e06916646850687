"""Pure security helpers: the login throttle policy and CSRF tokens.

No web framework here: `dashboard.auth` wires these into Flask, and the failure
counts live in the database (`geodata.users`) so every gunicorn worker sees them.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import datetime

from geodata import settings

log = logging.getLogger(__name__)

_process_secret: bytes | None = None


def secret_key() -> bytes:
    """OBSERVATORY_SECRET_KEY, or a random key made once per process.

    The random key is for development: sessions then end on restart and are not
    shared between gunicorn workers, so production must set the variable.
    """
    global _process_secret
    configured = settings.get("OBSERVATORY_SECRET_KEY")
    if configured:
        return configured.encode("utf-8")
    if _process_secret is None:
        log.warning("OBSERVATORY_SECRET_KEY is not set: using a random per-process key")
        _process_secret = secrets.token_bytes(32)
    return _process_secret


@dataclass(frozen=True)
class ThrottlePolicy:
    """After `free_failures` consecutive failures (none older than `window` seconds
    before the next), each attempt waits `base_delay * 2**(failures - free_failures)`
    seconds after the last failure, at most `max_delay`."""

    free_failures: int = 5
    base_delay: float = 30.0
    max_delay: float = 900.0
    window: float = 3600.0


DEFAULT_POLICY = ThrottlePolicy()


def retry_after(
    failures: int,
    last_failure: datetime | None,
    now: datetime,
    policy: ThrottlePolicy = DEFAULT_POLICY,
) -> float:
    """Seconds before the next login attempt may be checked; 0 when it may be now."""
    if last_failure is None or failures < policy.free_failures:
        return 0.0
    elapsed = (now - last_failure).total_seconds()
    if elapsed >= policy.window:
        return 0.0
    delay = min(policy.max_delay, policy.base_delay * 2 ** (failures - policy.free_failures))
    return max(0.0, delay - elapsed)


def throttle_key(username: str, ip: str | None) -> str:
    """The key failures are counted under: a digest, so the table holds no names."""
    material = f"{username.strip().lower()}|{ip or ''}".encode()
    return hashlib.sha256(material).hexdigest()


# CSRF: a token is "<issued unix time>.<HMAC(secret, nonce | time)>", where the nonce
# is a random value kept in the signed session. A page from another site can neither
# read the nonce nor forge the MAC, and old tokens expire.
CSRF_MAX_AGE = 4 * 3600


def new_csrf_nonce() -> str:
    return secrets.token_urlsafe(24)


def _csrf_mac(secret: bytes, nonce: str, issued: int) -> str:
    return hmac.new(secret, f"{nonce}|{issued}".encode(), hashlib.sha256).hexdigest()


def csrf_token(secret: bytes, nonce: str, now: float | None = None) -> str:
    issued = int(time.time() if now is None else now)
    return f"{issued}.{_csrf_mac(secret, nonce, issued)}"


def verify_csrf(
    secret: bytes,
    nonce: str | None,
    token: str | None,
    now: float | None = None,
    max_age: int = CSRF_MAX_AGE,
) -> bool:
    """True when `token` was made by `csrf_token` for this nonce and has not expired."""
    if not nonce or not token or "." not in token:
        return False
    issued_text, mac = token.split(".", 1)
    if not issued_text.isdigit():
        return False
    issued = int(issued_text)
    age = (time.time() if now is None else now) - issued
    if age < -60 or age > max_age:  # a minute of clock skew between workers
        return False
    return hmac.compare_digest(mac, _csrf_mac(secret, nonce, issued))
