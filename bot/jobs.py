"""Ingest jobs on a Redis queue (RQ): a large ingest is split into parts that any number of workers consume.

One job (the id a client sees) is a record in Redis plus one RQ job per part of `jobs.part_articles` articles, so
two workers share one big upload. A part records, before it writes anything, which of its articles were already
stored unchanged, and after each ingest group how many of its articles are done. A worker killed mid-part stops
heartbeating; RQ finds the part abandoned and retries it (`Retry`), the retry skips what was written (ingest is
idempotent), and the counts stay exact: an article is `unchanged` only if it was stored before the job first
looked at it. The only importer of rq.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Sequence
from typing import Any

import redis
from rq import Queue, Retry, SimpleWorker, get_current_job
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer
from rq.worker import WorkerStatus

from bot.errors import ServiceUnavailable
from bot.settings import JobsSettings, Settings
from retrieval.ingest import EMBED_GROUP
from retrieval.models import Article

# Part states as a client sees them, from RQ's job statuses.
_STATE = {
    JobStatus.QUEUED: "queued",
    JobStatus.DEFERRED: "queued",
    JobStatus.SCHEDULED: "queued",
    JobStatus.CREATED: "queued",
    JobStatus.STARTED: "started",
    JobStatus.FINISHED: "finished",
    JobStatus.FAILED: "failed",
    JobStatus.STOPPED: "failed",
    JobStatus.CANCELED: "failed",
}


class Jobs:
    """Submit ingests as jobs and report their progress; one per process, connections opened on first use."""

    def __init__(self, options: JobsSettings, *, prefix: str = "quotebot") -> None:
        if not options.redis_url:
            raise ValueError("jobs need jobs.redis_url")
        if options.part_articles < 1 or options.retries < 0 or options.heartbeat_seconds < 1:
            raise ValueError("jobs.part_articles and jobs.heartbeat_seconds must be >= 1, jobs.retries >= 0")
        self.options = options
        self.prefix = prefix
        self.redis = redis.Redis.from_url(options.redis_url, socket_timeout=10.0, socket_connect_timeout=5.0)
        self.queue = Queue(f"{prefix}-ingest", connection=self.redis, serializer=JSONSerializer)

    def _key(self, job_id: str) -> str:
        return f"{self.prefix}:job:{job_id}"

    def wants_job(self, n_articles: int) -> bool:
        """Whether an ingest of this many articles should become a job instead of running inline."""
        return n_articles > self.options.inline_max_articles

    def submit(self, articles: Sequence[Article], failed: Sequence[tuple[str, str]] = ()) -> str:
        """Enqueue an ingest of `articles` in parts (files that could not be read go in as errors); return its id."""
        job_id = uuid.uuid4().hex
        errors = [{"name": n, "kind": "file", "reason": r} for n, r in failed]
        # One id, one article: parts run apart, so a repeat would be counted twice. An exact repeat is kept once;
        # a different article under a taken id is refused by name.
        first: dict[str, Article] = {}
        for a in articles:
            if a.id not in first:
                first[a.id] = a
            elif first[a.id] != a:
                errors.append(
                    {"name": a.id, "kind": "article", "reason": "an earlier article has this id; give each its own"}
                )
        unique = list(first.values())
        size = self.options.part_articles
        parts = [unique[i : i + size] for i in range(0, len(unique), size)]
        record: dict[Any, Any] = {
            "created": time.time(),
            "total": len(unique),
            "parts": len(parts),
            "file_errors": json.dumps(errors),
        }
        keep = self.options.keep_seconds
        retry = Retry(max=self.options.retries) if self.options.retries else None
        data = [
            Queue.prepare_data(
                ingest_part,
                args=(job_id, [a.to_dict() for a in part]),
                job_id=_part_id(job_id, n),
                timeout=self.options.part_timeout,
                result_ttl=keep,
                failure_ttl=keep,
                meta={"ids": [a.id for a in part], "done": 0},
                retry=retry,
                description=f"ingest {job_id} part {n + 1}/{len(parts)} ({len(part)} articles)",
            )
            for n, part in enumerate(parts)
        ]
        try:
            with self.redis.pipeline() as pipe:
                pipe.hset(self._key(job_id), mapping=record)
                pipe.expire(self._key(job_id), keep)
                self.queue.enqueue_many(data, pipeline=pipe)
                pipe.execute()
        except redis.RedisError as exc:
            raise _unavailable(exc) from exc
        return job_id

    def status(self, job_id: str) -> dict[str, Any] | None:
        """Return a job's state, progress, counts and errors; None when there is no such job (or it expired)."""
        try:
            raw = self.redis.hgetall(self._key(job_id)) if _is_id(job_id) else {}
            if not raw:
                return None
            record = {_text(k): _text(v) for k, v in raw.items()}
            n_parts = int(record["parts"])
            parts = Job.fetch_many(
                [_part_id(job_id, n) for n in range(n_parts)], connection=self.redis, serializer=JSONSerializer
            )
            return _summary(job_id, record, parts)
        except redis.RedisError as exc:
            raise _unavailable(exc) from exc


def _unavailable(exc: Exception) -> ServiceUnavailable:
    """A 503 that says the queue, not the index, is down (nothing was queued)."""
    detail = f"the job queue (jobs.redis_url) did not answer, so nothing was queued; retry shortly ({exc})"
    return ServiceUnavailable(detail, headers={"Retry-After": "5"})


def _part_id(job_id: str, n: int) -> str:
    return f"{job_id}-{n:05d}"


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _is_id(job_id: str) -> bool:
    return len(job_id) == 32 and all(c in "0123456789abcdef" for c in job_id)


def _summary(job_id: str, record: dict[str, str], parts: Sequence[Job | None]) -> dict[str, Any]:
    """Add the parts' progress up into one job report."""
    errors: list[dict[str, str]] = json.loads(record["file_errors"])
    done = stored = unchanged = 0
    states: dict[str, int] = {"queued": 0, "started": 0, "finished": 0, "failed": 0}
    finished_at = 0.0
    for part in parts:
        if part is None:  # expired before the record: nothing more to say about it
            continue
        state = _STATE.get(part.get_status(refresh=False) or JobStatus.QUEUED, "queued")
        states[state] += 1
        ids: list[str] = part.meta.get("ids", [])
        n_done = min(int(part.meta.get("done", 0)), len(ids))
        before = set(part.meta.get("preexisting", []))
        # The first n_done articles of a part are done, in order: unchanged if stored before the job looked at them.
        kept = sum(1 for i in ids[:n_done] if i in before)
        done += n_done
        unchanged += kept
        stored += n_done - kept
        if state == "failed":
            reason = _failure(part)
            errors += [{"name": i, "kind": "article", "reason": reason} for i in ids[n_done:]]
        if part.ended_at is not None:
            finished_at = max(finished_at, part.ended_at.timestamp())
    ended = states["finished"] + states["failed"] == len(parts)
    if ended:
        state = "failed" if states["failed"] else "finished"
    else:
        state = "started" if states["started"] or states["finished"] or states["failed"] else "queued"
    created = float(record["created"])
    return {
        "id": job_id,
        "state": state,
        "progress": {"done": done, "total": int(record["total"])},
        "counts": {"stored": stored, "unchanged": unchanged, "failed": len(errors)},
        "errors": errors,
        "parts": states,
        "created": _iso(created),
        "finished": _iso(finished_at) if ended and finished_at else None,
    }


def _failure(part: Job) -> str:
    """Return the last line of a failed part's traceback (the exception and its message)."""
    result = part.latest_result()
    text = (getattr(result, "exc_string", None) or "").strip()
    return text.splitlines()[-1] if text else f"the part ended {part.get_status(refresh=False)}"


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


# ---- the worker side -------------------------------------------------------------------------------------------


class _Process:
    """The services of a worker process, built once by run_worker (the model loads once per worker, not per job)."""

    services: Any = None

    @classmethod
    def get(cls) -> Any:
        if cls.services is None:
            raise RuntimeError("ingest parts run in a worker started by `quotebot worker` (bot.jobs.run_worker)")
        return cls.services


def ingest_part(job_id: str, records: list[dict[str, Any]]) -> dict[str, int]:
    """Ingest one part of a job (run by a worker); record what was there before, then progress per group."""
    job = get_current_job()
    assert job is not None, "ingest_part runs inside an RQ worker"
    ingestor = _Process.get().ingestor
    articles = [Article(**r) for r in records]
    if "preexisting" not in job.meta:
        # Saved before the first write of the first attempt: a retry after a crash must not count what this job
        # itself wrote as unchanged.
        job.meta["preexisting"] = sorted(ingestor.unchanged_ids(articles))
        job.save_meta()
    done = 0
    for start in range(0, len(articles), EMBED_GROUP):
        group = articles[start : start + EMBED_GROUP]
        ingestor.ingest_articles(group)
        done += len(group)
        if done > int(job.meta.get("done", 0)):  # a retry re-walks written groups quickly; progress never goes back
            job.meta["done"] = done
            job.save_meta()
    before = set(job.meta["preexisting"])
    kept = sum(1 for a in articles if a.id in before)
    return {"stored": len(articles) - kept, "unchanged": kept}


class IngestWorker(SimpleWorker):
    """RQ's in-process worker (the model stays loaded between jobs) that heartbeats while a job runs.

    RQ's SimpleWorker registers a running job for its whole timeout, so a killed worker's job would wait that long
    to be found abandoned; this one renews a short registration from a thread instead, so the job is retried
    within a few heartbeats of the worker's death.
    """

    beat_seconds = 10

    def get_heartbeat_ttl(self, job: Job) -> int:
        """A running job's registration lives three heartbeats."""
        return 3 * self.beat_seconds

    def execute_job(self, job: Job, queue: Queue) -> None:
        """Run the job in this process while a thread keeps its registration alive."""
        stop = threading.Event()
        beat = threading.Thread(target=self._beat, args=(job, stop), name="rq-heartbeat", daemon=True)
        self.prepare_execution(job)
        beat.start()
        try:
            self.perform_job(job, queue)
        finally:
            stop.set()
            beat.join()
        self.set_state(WorkerStatus.IDLE)

    def _beat(self, job: Job, stop: threading.Event) -> None:
        while not stop.wait(self.beat_seconds):
            try:
                self.maintain_heartbeats(job)
            except (redis.RedisError, AttributeError):  # Redis away, or the job ended under us: the next beat
                continue


def run_worker(services: Any, *, burst: bool = False) -> bool:
    """Consume ingest parts with these services until stopped (or, with `burst`, until the queue is empty).

    The caller builds the services (the model loads before the first job, so a job never waits for it); returns
    whether any part ran.
    """
    settings: Settings = services.settings
    jobs = Jobs(settings.jobs, prefix=settings.store.prefix)
    _Process.services = services
    beat = settings.jobs.heartbeat_seconds
    IngestWorker.beat_seconds = beat
    worker = IngestWorker(
        [jobs.queue],
        connection=jobs.redis,
        serializer=JSONSerializer,
        # A short blocking dequeue and frequent maintenance, so an idle worker finds an abandoned part soon.
        worker_ttl=max(20, 3 * beat + 15),
        maintenance_interval=3 * beat,
    )
    return bool(worker.work(burst=burst, logging_level="INFO"))
