"""Statement extraction in one long-lived worker process, so parsing never waits on the encoder's interpreter lock.

The worker is `python -m retrieval.quotes.process`, fed pickled (text, article_id) groups on its stdin and answering
pickled statement lists on its stdout. A plain subprocess, not multiprocessing: spawn and forkserver re-run the
parent's main script in the child, and fork would copy this process's encoder and Chroma threads mid-flight.
"""

from __future__ import annotations

import logging
import pickle
import struct
import subprocess
import sys
import threading
from collections.abc import Sequence
from typing import IO, Any

from retrieval.models import Statement
from retrieval.quotes.extract import extract_many

log = logging.getLogger(__name__)
_SIZE = struct.Struct("!Q")


def extract_lists(items: Sequence[tuple[str, str]]) -> list[list[Statement]]:
    """Return the statements of each (text, article_id), in order."""
    return list(extract_many(items, n_process=1))


def _send(stream: IO[bytes], value: Any) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_SIZE.pack(len(data)) + data)
    stream.flush()


def _receive(stream: IO[bytes]) -> Any:
    head = stream.read(_SIZE.size)
    if len(head) < _SIZE.size:
        raise EOFError("the extraction process closed its pipe")
    size = _SIZE.unpack(head)[0]
    data = stream.read(size)
    if len(data) < size:
        raise EOFError("the extraction process closed its pipe mid-answer")
    return pickle.loads(data)


class ExtractionProcess:
    """A worker process that extracts statements; started on first use, replaced if it dies.

    An ingest parses the next group while this one is embedded. On a thread, the parser's Python code and the
    encoder's calls took turns on one interpreter lock and the encoder's cores sat idle between batches
    (200 train articles: 41.0 s with the parse on a thread, 38.2 s in the worker).
    """

    def __init__(self) -> None:
        self._child: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()  # one request at a time on the pipe

    def extract(self, items: Sequence[tuple[str, str]]) -> list[list[Statement]]:
        """Return the statements of each (text, article_id), parsed in the worker (here if the worker died)."""
        with self._lock:
            try:
                child = self._start()
                assert child.stdin is not None and child.stdout is not None
                _send(child.stdin, list(items))
                answer: list[list[Statement]] = _receive(child.stdout)
                return answer
            except (OSError, EOFError, pickle.PickleError) as exc:
                log.warning("the extraction process failed (%s); this group is parsed in-process", exc)
                self._stop()
        return extract_lists(items)

    def start(self) -> None:
        """Start the worker now, so it has loaded its parser by the time the first group is sent."""
        with self._lock:
            self._start()

    def _start(self) -> subprocess.Popen[bytes]:
        if self._child is None or self._child.poll() is not None:
            self._child = subprocess.Popen(
                [sys.executable, "-m", "retrieval.quotes.process"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
        return self._child

    def _stop(self) -> None:
        child, self._child = self._child, None
        if child is not None:
            child.kill()
            child.wait()

    def close(self) -> None:
        """Stop the worker (it also stops on its own when this process exits and its stdin closes)."""
        with self._lock:
            self._stop()


def serve(stdin: IO[bytes], stdout: IO[bytes]) -> None:
    """Answer extraction requests until stdin closes (the worker's loop)."""
    while True:
        try:
            items = _receive(stdin)
        except EOFError:
            return
        _send(stdout, extract_lists(items))


# One per process: every Ingestor of the process shares it (a worker holds a parser, ~200 MB).
EXTRACTION = ExtractionProcess()

if __name__ == "__main__":
    import os

    # Answers go to the original stdout; anything else printed here (a library's notice) goes to stderr instead.
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    from retrieval.quotes.parsing import pipeline

    pipeline()  # load the parser before the first request arrives
    serve(sys.stdin.buffer, answers)
