"""Dashboard users: accounts, argon2 password hashes, and the failed-login counts the
throttle reads (stored here so every gunicorn worker sees the same numbers).

There is no default account and no default password: the first admin is made with
`observatory users add NAME --role admin`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, text

from geodata.errors import ObservatoryError

ROLES: tuple[str, ...] = ("team", "commander", "admin")
MIN_PASSWORD_LENGTH = 10
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")
_hasher = PasswordHasher()  # argon2id with the library's current recommended costs
# Checked when a username does not exist, so a wrong name costs as long as a wrong
# password and response times do not tell which names exist.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


@dataclass(frozen=True)
class User:
    username: str
    role: str
    station_wards: tuple[str, ...]
    disabled: bool
    created_at: datetime | None = None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def check_username(username: str) -> str:
    name = username.strip().lower()
    if not _USERNAME.match(name):
        raise ObservatoryError(
            f"username {username!r}: use 2-40 characters: lower-case letters, digits, "
            "'.', '_' or '-', starting with a letter or digit."
        )
    return name


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ObservatoryError(
            f"the password is {len(password)} characters long: use at least "
            f"{MIN_PASSWORD_LENGTH} (a few unrelated words are easy to remember)."
        )


def _check_role(role: str, station_wards: tuple[str, ...]) -> None:
    if role not in ROLES:
        raise ObservatoryError(f"role {role!r}: choose one of {', '.join(ROLES)}.")
    if role == "commander" and not station_wards:
        raise ObservatoryError(
            "a commander needs the wards of their station: add --station-wards CODE,CODE "
            "(ward codes as loaded by `observatory wards load`)."
        )
    if role != "commander" and station_wards:
        raise ObservatoryError("--station-wards applies to commanders only.")


def _unknown_wards(conn, codes: tuple[str, ...]) -> list[str]:
    known = conn.execute(
        text("SELECT code FROM wards WHERE code = ANY(:codes)"), {"codes": list(codes)}
    ).scalars()
    return sorted(set(codes) - set(known))


def add_user(
    engine: Engine,
    username: str,
    password: str,
    role: str,
    station_wards: Iterable[str] = (),
) -> User:
    """Create a user; raises ObservatoryError for a taken name, a weak password,
    an unknown role or ward codes that are not loaded."""
    name = check_username(username)
    wards = tuple(dict.fromkeys(w.strip() for w in station_wards if w.strip()))
    _check_role(role, wards)
    check_password(password)
    with engine.begin() as conn:
        unknown = _unknown_wards(conn, wards) if wards else []
        if unknown:
            raise ObservatoryError(
                f"ward codes not loaded: {', '.join(unknown)}. Check the codes with the "
                "ward file, or load wards first with `observatory wards load`."
            )
        created = conn.execute(
            text(
                "INSERT INTO users (username, password_hash, role, station_wards) "
                "VALUES (:u, :h, :r, :w) ON CONFLICT (username) DO NOTHING RETURNING created_at"
            ),
            {"u": name, "h": hash_password(password), "r": role, "w": list(wards)},
        ).scalar_one_or_none()
    if created is None:
        raise ObservatoryError(f"user {name!r} exists already; pick another name.")
    return User(name, role, wards, False, created)


def _row_to_user(row) -> User:
    return User(
        row.username, row.role, tuple(row.station_wards or ()), row.disabled, row.created_at
    )


def get_user(engine: Engine, username: str) -> User | None:
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT username, role, station_wards, disabled, created_at FROM users "
                "WHERE username = :u"
            ),
            {"u": username.strip().lower()},
        ).one_or_none()
    return None if row is None else _row_to_user(row)


def list_users(engine: Engine) -> list[User]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT username, role, station_wards, disabled, created_at FROM users "
                "ORDER BY username"
            )
        ).all()
    return [_row_to_user(r) for r in rows]


def authenticate(engine: Engine, username: str, password: str) -> User | None:
    """The user when the name exists, is enabled and the password matches; else None."""
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT username, role, station_wards, disabled, created_at, password_hash "
                "FROM users WHERE username = :u"
            ),
            {"u": username.strip().lower()},
        ).one_or_none()
    if row is None:
        verify_password(_DUMMY_HASH, password)
        return None
    if not verify_password(row.password_hash, password) or row.disabled:
        return None
    if _hasher.check_needs_rehash(row.password_hash):
        _store_hash(engine, row.username, hash_password(password))
    return _row_to_user(row)


def _store_hash(engine: Engine, username: str, password_hash: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE users SET password_hash = :h WHERE username = :u"),
            {"h": password_hash, "u": username},
        )


def set_password(engine: Engine, username: str, password: str) -> None:
    check_password(password)
    _require(engine, username)
    _store_hash(engine, username.strip().lower(), hash_password(password))


def set_disabled(engine: Engine, username: str, disabled: bool = True) -> None:
    """Disable (or re-enable) a user; a disabled user's open sessions end at their
    next request, since the dashboard re-reads the user every request."""
    _require(engine, username)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE users SET disabled = :d WHERE username = :u"),
            {"d": disabled, "u": username.strip().lower()},
        )


def _require(engine: Engine, username: str) -> User:
    user = get_user(engine, username)
    if user is None:
        raise ObservatoryError(f"no user {username!r}; `observatory users list` shows them.")
    return user


# Failed logins, keyed by geodata.security.throttle_key (a digest, no names stored).


def login_failures(engine: Engine, key: str) -> tuple[int, datetime | None]:
    """(consecutive failures, time of the last one) for a throttle key."""
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT failures, last_failure_at FROM login_failures WHERE key = :k"),
            {"k": key},
        ).one_or_none()
    return (0, None) if row is None else (int(row.failures), row.last_failure_at)


def record_login_failure(engine: Engine, key: str, now: datetime, window: float) -> int:
    """Count one more failure (restarting the count after `window` quiet seconds);
    returns the new count. One statement, so concurrent workers never lose a count."""
    with engine.begin() as conn:
        return int(
            conn.execute(
                text(
                    "INSERT INTO login_failures AS f (key, failures, last_failure_at) "
                    "VALUES (:k, 1, :now) ON CONFLICT (key) DO UPDATE SET "
                    "failures = CASE WHEN f.last_failure_at < :now - make_interval(secs => :w) "
                    "THEN 1 ELSE f.failures + 1 END, last_failure_at = :now "
                    "RETURNING failures"
                ),
                {"k": key, "now": now, "w": float(window)},
            ).scalar_one()
        )


def clear_login_failures(engine: Engine, key: str) -> None:
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM login_failures WHERE key = :k"), {"k": key})
