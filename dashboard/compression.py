"""Compressed responses, with the compressed bytes of large ones kept for reuse.

A national map is about 4 MB of JSON. Compressing it costs more than building it from
the warm query cache, and a worker compresses the same bytes again for every viewer
who opens the same default view. The compressed bytes are therefore kept per worker,
keyed by a digest of the uncompressed body (and flask-compress adds the algorithm):
two responses share an entry only when they are byte for byte the same, so an entry
can never carry one viewer's data to another (a commander's map differs from the
team's), nor outlive a change of data (the body changes with it).

Levels, measured on the national map response (3.9 MB) on the 2-core bench machine
(`docs/scaling.md`): gzip 6 (flask-compress's default) 88 ms for 665 kB, gzip 4 32 ms
for 697 kB, gzip 1 19 ms for 795 kB; brotli 4 42 ms for 651 kB, brotli 3 23 ms for
672 kB; zstd 3 10 ms for 703 kB; a SHA-256 of the body 2 ms. Browsers ask for gzip
over plain HTTP (a forum's LAN) and for zstd or brotli over HTTPS.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

import flask
from flask_compress import Compress

LEVELS = {"COMPRESS_LEVEL": 4, "COMPRESS_BR_LEVEL": 3, "COMPRESS_ZSTD_LEVEL": 3}
# Smaller compressed bodies are quicker to make again than to keep.
CACHE_MIN_BYTES = 16_000
CACHE_MAX_BYTES = 64_000_000  # per worker: some 90 national maps
_DIGEST = "_observatory_body_digest"
EXTENSION = "observatory_compress"


class CompressedCache:
    """Compressed bodies by key, least recently used dropped beyond `max_bytes`
    (flask-compress's cache backend protocol: get and set). Safe across threads."""

    def __init__(self, max_bytes: int = CACHE_MAX_BYTES, min_bytes: int = CACHE_MIN_BYTES):
        self.max_bytes = max_bytes
        self.min_bytes = min_bytes
        self.size = 0
        self._entries: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.size = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> bytes | None:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def set(self, key: str, value: bytes) -> None:
        # flask-compress sets after every compression, hits included.
        if key.endswith(";") or len(value) < self.min_bytes or len(value) > self.max_bytes:
            return
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return
            self._entries[key] = value
            self.size += len(value)
            while self.size > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self.size -= len(dropped)


def body_key(_request: flask.Request) -> str:
    """The cache key of the response being compressed (set by `ContentCompress`).
    Without one, "" (flask-compress's key then ends in ";"): never kept."""
    return flask.g.get(_DIGEST, "")


class ContentCompress(Compress):
    """flask-compress, with each non-streamed body's digest recorded for `body_key`
    just before compression."""

    def after_request(self, response: flask.Response) -> flask.Response:
        flask.g.pop(_DIGEST, None)
        if response is not None and not response.is_streamed:
            data = response.get_data()
            setattr(flask.g, _DIGEST, f"{hashlib.sha256(data).hexdigest()}-{len(data)}")
        return super().after_request(response)


def install_compression(server: flask.Flask) -> ContentCompress:
    """Compress `server`'s responses (instead of Dash's `compress=True`, which leaves
    flask-compress at its slow default level and without a cache)."""
    for name, value in LEVELS.items():
        server.config.setdefault(name, value)
    server.config.setdefault("COMPRESS_CACHE_BACKEND", CompressedCache)
    server.config.setdefault("COMPRESS_CACHE_KEY", body_key)
    compress = ContentCompress(server)
    server.extensions[EXTENSION] = compress
    return compress
