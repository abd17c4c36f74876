"""Plain-text presentation shared by the CLI and by objects whose ``str()`` is a report (network
profiles, traces): a table formatter and a one-line progress bar. Imports nothing of fpgaops, so
any layer may use it without depending on the CLI."""
import os
import sys
import time


class Progress:
    """A one-line progress bar on stderr (only when it is a terminal or FPGAOPS_PROGRESS=1)."""

    def __init__(self, total, label, stream=None):
        self.total, self.label, self.done = total, label, 0
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() or os.environ.get("FPGAOPS_PROGRESS") == "1"
        self.start = time.perf_counter()

    def step(self, what=""):
        self.done += 1
        if self.enabled:
            width = 30
            fill = int(width * self.done / max(self.total, 1))
            elapsed = time.perf_counter() - self.start
            self.stream.write(f"\r{self.label} [{'#' * fill}{'.' * (width - fill)}] {self.done}/{self.total} "
                              f"{elapsed:5.1f}s {what[:40]:<40}")
            if self.done >= self.total:
                self.stream.write("\n")
            self.stream.flush()


def table(rows, headers):
    """Plain-text table, columns right-aligned except the first."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    fmt = lambda r: "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
    return "\n".join([fmt(cells[0]), "  ".join("-" * w for w in widths)] + [fmt(r) for r in cells[1:]])
