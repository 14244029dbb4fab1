"""Background reindex jobs: ``POST /admin/reindex`` starts one, ``GET`` reports its state."""

from __future__ import annotations

import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from api.services import Services
from ingest.pipeline import IngestReport

log = logging.getLogger("casegraph")


@dataclass
class Job:
    """One reindex: ``state`` goes running -> done | failed."""

    id: str
    state: str
    started_at: str
    stage: str = ""
    finished_at: str | None = None
    result: dict | None = None
    error: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


class JobRunning(RuntimeError):
    """A reindex is already running; ``job`` is the one to poll."""

    def __init__(self, job: Job):
        super().__init__(f"A reindex is already running (job {job.id}).")
        self.job = job


class ReindexJobs:
    """Runs one reindex at a time in a thread and remembers the last ``keep`` jobs."""

    def __init__(self, services: Services, on_done: Callable[[IngestReport], None],
                 keep: int = 20):
        self._services = services
        self._on_done = on_done
        self._keep = keep
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()

    def start(self) -> Job:
        """Start a reindex now, or raise JobRunning with the one in progress."""
        with self._lock:
            running = next((j for j in self._jobs.values() if j.state == "running"), None)
            if running is not None:
                raise JobRunning(running)
            job = Job(id=uuid.uuid4().hex[:12], state="running", started_at=_now())
            self._jobs[job.id] = job
            while len(self._jobs) > self._keep:
                self._jobs.popitem(last=False)
        threading.Thread(target=self._run, args=(job,), name=f"reindex-{job.id}",
                         daemon=True).start()
        return job

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def _run(self, job: Job) -> None:
        def stage(message: str) -> None:
            job.stage = message

        try:
            report = self._services.build(progress=False, on_stage=stage)
        except Exception as exc:
            log.warning("reindex job %s failed: %s", job.id, exc)
            job.error, job.state = str(exc), "failed"
        else:
            self._on_done(report)
            job.result = {"built_at": report.manifest.built_at, "counts": report.manifest.counts,
                          "embedded": report.embedded, "reused": report.reused,
                          "skipped": report.skipped}
            job.state = "done"
        job.finished_at = _now()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
