"""Query results cached per process, keyed by arguments and the data version.

Every load bumps `data_version` in the same transaction as its writes, so a cached
aggregate is never served after the data changed, in any gunicorn worker: reading
the version is one primary-key lookup, far cheaper than any aggregate.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, text

F = TypeVar("F", bound=Callable[..., Any])
_MAX_ENTRIES = 512
_entries: OrderedDict[tuple, Any] = OrderedDict()
_lock = threading.Lock()


def bump_version(conn: Connection) -> None:
    """Mark the data changed; call inside the transaction that changed it."""
    conn.execute(text("UPDATE data_version SET version = version + 1 WHERE id = 1"))


def data_version(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT version FROM data_version WHERE id = 1")).scalar_one())


def clear() -> None:
    with _lock:
        _entries.clear()


def drop_stale(engine: Engine, version: int) -> int:
    """Forget `engine`'s entries cached under another data version: the version only
    grows, so they can never be served again. Returns how many were dropped."""
    url = str(engine.url)
    with _lock:
        stale = [key for key in _entries if key[2] == url and key[-1] != version]
        for key in stale:
            del _entries[key]
    return len(stale)


def snapshot() -> frozenset[tuple]:
    """The keys cached now (function, arguments, version), for tests and diagnostics."""
    with _lock:
        return frozenset(_entries)


def cached(fn: F) -> F:
    """Cache `fn(engine, *args, **kwargs)`; arguments must be hashable (use tuples).

    Results are shared between callers: treat them as read-only.
    """

    @functools.wraps(fn)
    def wrapper(engine: Engine, *args: Any, **kwargs: Any) -> Any:
        key = (
            fn.__module__,
            fn.__qualname__,
            str(engine.url),
            args,
            tuple(sorted(kwargs.items())),
            data_version(engine),
        )
        with _lock:
            if key in _entries:
                _entries.move_to_end(key)
                return _entries[key]
        result = fn(engine, *args, **kwargs)
        with _lock:
            _entries[key] = result
            while len(_entries) > _MAX_ENTRIES:
                _entries.popitem(last=False)
        return result

    wrapper.uncached = fn  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]
