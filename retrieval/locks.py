"""Per-article write locks: a write and a delete of one article never interleave, in one process or across many."""

from __future__ import annotations

import threading
import zlib
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from typing import Any, Protocol

from retrieval.errors import StoreUnavailableError


class ArticleLocks(Protocol):
    """Hold the locks of a set of article ids for the duration of a `with` block."""

    def hold(self, article_ids: Iterable[str]) -> AbstractContextManager[None]: ...


class LocalLocks:
    """Locks for the threads of one process: a fixed set of stripes, taken in order so two holders never deadlock."""

    def __init__(self, stripes: int = 256) -> None:
        if stripes <= 0:
            raise ValueError(f"stripes must be positive, got {stripes}")
        self._locks = [threading.Lock() for _ in range(stripes)]

    @contextmanager
    def hold(self, article_ids: Iterable[str]) -> Iterator[None]:
        """Take the stripes of these ids (in index order), release them on exit."""
        stripes = sorted({zlib.crc32(i.encode()) % len(self._locks) for i in article_ids})
        taken: list[threading.Lock] = []
        try:
            for n in stripes:
                self._locks[n].acquire()
                taken.append(self._locks[n])
            yield
        finally:
            for lock in reversed(taken):
                lock.release()


class RedisLocks:
    """Locks shared by every process and machine that uses one Redis server (redis-py's `Lock`, with a timeout).

    A lock expires after `ttl` seconds, so a writer killed while holding it blocks that article for at most `ttl`;
    the timeout must exceed the longest store write of one ingest group (well under a second per group here).
    """

    def __init__(self, url: str, *, prefix: str = "quotebot", ttl: float = 30.0, wait: float = 60.0) -> None:
        import redis  # imported here: only deployments that share locks need a Redis client

        if ttl <= 0 or wait <= 0:
            raise ValueError("ttl and wait must be positive")
        self._redis: Any = redis.Redis.from_url(url, socket_timeout=5.0, socket_connect_timeout=5.0)
        self._errors: tuple[type[Exception], ...] = (redis.exceptions.RedisError,)
        self.url = url
        self.prefix = prefix
        self.ttl = ttl
        self.wait = wait

    @contextmanager
    def hold(self, article_ids: Iterable[str]) -> Iterator[None]:
        """Take one Redis lock per id, in sorted order; raise StoreUnavailableError if Redis fails or stays busy."""
        taken: list[Any] = []
        try:
            for article_id in sorted(set(article_ids)):
                lock = self._redis.lock(
                    f"{self.prefix}:article-lock:{article_id}", timeout=self.ttl, blocking_timeout=self.wait
                )
                try:
                    acquired = lock.acquire()
                except self._errors as exc:
                    raise StoreUnavailableError(f"the lock server ({self.url}) did not answer: {exc}") from exc
                if not acquired:
                    raise StoreUnavailableError(
                        f"article {article_id!r} stayed locked by another writer for {self.wait:.0f} s; try again"
                    )
                taken.append(lock)
            yield
        finally:
            for lock in reversed(taken):
                # expired (the write outlived ttl) or Redis went away: the lock frees itself
                with suppress(*self._errors):
                    lock.release()


def article_locks(url: str = "", *, prefix: str = "quotebot", ttl: float = 30.0) -> ArticleLocks:
    """Return Redis locks when `url` is set (several writer processes), else in-process locks."""
    return RedisLocks(url, prefix=prefix, ttl=ttl) if url else LocalLocks()
