"""A one-line progress bar on stderr (no dependency for so small a thing)."""

from __future__ import annotations

import sys
import time


class Progress:
    """A one-line progress bar on stderr: count, rate and ETA."""

    def __init__(self, total: int, stream=None):
        # sys.stderr looked up now, not at import: it may have been replaced since (tests capture it).
        self.total, self.done, self.stream, self.started = total, 0, stream or sys.stderr, time.monotonic()

    def step(self, note: str = "") -> None:
        self.update(self.done + 1, note)

    def update(self, done: int, note: str = "") -> None:
        if done == self.done and done:
            return
        self.done = min(done, self.total)
        if not self.done:
            return
        elapsed = time.monotonic() - self.started
        per = elapsed / self.done
        eta = per * (self.total - self.done)
        filled = int(30 * self.done / self.total)
        self.stream.write(
            f"\r[{'#' * filled}{'.' * (30 - filled)}] {self.done}/{self.total} {per:5.1f} s/answer ETA {eta / 60:4.1f} min {note[:30]:<30}"
        )
        if self.done == self.total:
            self.stream.write("\n")
        self.stream.flush()
