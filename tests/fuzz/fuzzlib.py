"""Shared machinery of the fuzzers: outcome classes, a per-case watchdog, seeded byte mutators.

Every fuzz case ends in one of two accepted outcome classes:
  * "ok"    -- the input was accepted and whatever was asked of it ran (and was checked by the caller);
  * the name of an ``FpgaopsError`` subclass -- the input was refused cleanly.
Anything else (IndexError, KeyError, struct.error, MemoryError, UnicodeDecodeError, a protobuf
DecodeError, RecursionError, ...) and a case running past its time bound ("hang") is a finding: the
fuzz test collects every finding of its run and fails listing each with the case's recipe, which
replays it (the mutators are pure functions of ``random.Random(seed)``).
"""
import collections
import contextlib
import os
import random
import signal
import traceback

from fpgaops.errors import FpgaopsError

# FPGAOPS_FUZZ_SCALE=k multiplies every family's case count (a longer local run; still deterministic)
SCALE = float(os.environ.get("FPGAOPS_FUZZ_SCALE", "1"))
CASE_SECONDS = 20  # generous: a case takes milliseconds; this bound only turns a hang into a finding


def cases(n):
    """The number of cases of a family: its default ``n`` times FPGAOPS_FUZZ_SCALE."""
    return max(1, int(n * SCALE))


class Hang(BaseException):
    """Raised by the watchdog. A BaseException so that no ``except Exception`` in the code under
    test can swallow it."""


@contextlib.contextmanager
def watchdog(seconds=CASE_SECONDS):
    """SIGALRM after ``seconds`` (main thread, Linux): a hang becomes a Hang exception."""
    def fire(_sig, _frame):
        raise Hang(f"no result after {seconds} s")

    old = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


class Outcomes:
    """Counts the outcome class of every case; keeps every finding with its recipe."""

    def __init__(self, what, seconds=CASE_SECONDS):
        self.what, self.seconds = what, seconds
        self.counts = collections.Counter()
        self.findings = []

    def run(self, recipe, fn):
        """Run ``fn()`` under the watchdog and classify it. Returns the class name."""
        try:
            with watchdog(self.seconds):
                fn()
            kind = "ok"
        except FpgaopsError as e:
            kind = type(e).__name__
        except Hang as e:
            kind = "HANG"
            self.findings.append((recipe, f"hang: {e}", "hang"))
        except Exception as e:  # noqa: BLE001 -- the point: anything else is a finding
            kind = f"CRASH {type(e).__name__}"
            frames = traceback.extract_tb(e.__traceback__)
            site = frames[-1]
            tb = "".join(traceback.format_list(frames[-7:])) + f"{type(e).__name__}: {str(e)[:300]}"
            self.findings.append((recipe, tb, f"{type(e).__name__} at {site.filename}:{site.lineno}"))
        self.counts[kind] += 1
        return kind

    def check(self, least_ok=1, least_refused=1):
        """Fail on findings; also insist that both classes occurred (a fuzzer that only ever gets
        refusals, or only successes, is not exploring what it claims to)."""
        summary = ", ".join(f"{k}: {v}" for k, v in sorted(self.counts.items()))
        if self.findings:
            sites = collections.OrderedDict()  # one example per distinct crash site
            for recipe, msg, site in self.findings:
                sites.setdefault(site, [0, recipe, msg])[0] += 1
            head = "\n\n".join(f"{n} x {site}, e.g. [{r}]\n{msg}" for site, (n, r, msg) in sites.items())
            raise AssertionError(f"{self.what}: {len(self.findings)} finding(s) at {len(sites)} site(s) in "
                                 f"{sum(self.counts.values())} cases ({summary}):\n\n{head}")
        refused = sum(v for k, v in self.counts.items() if k != "ok")
        assert self.counts["ok"] >= least_ok, f"{self.what}: too few accepted cases ({summary})"
        assert refused >= least_refused, f"{self.what}: too few refused cases ({summary})"
        return summary


# --- byte-level mutators (protobuf / binary containers alike) -------------------------------------

def _truncate(rng, b):
    return b[: rng.randrange(len(b) + 1)], "truncate"


def _bit_flips(rng, b):
    b = bytearray(b)
    for _ in range(rng.randint(1, 8)):
        i = rng.randrange(len(b))
        b[i] ^= 1 << rng.randrange(8)
    return bytes(b), "bit flips"


def _byte_overwrite(rng, b):
    b = bytearray(b)
    for _ in range(rng.randint(1, 6)):
        b[rng.randrange(len(b))] = rng.choice((0x00, 0xFF, 0x7F, 0x80, rng.randrange(256)))
    return bytes(b), "byte overwrite"


def _splice(rng, b):
    """Delete, duplicate or insert a chunk (shifts every later field)."""
    i = rng.randrange(len(b))
    n = rng.randint(1, 64)
    how = rng.choice(("delete", "duplicate", "insert"))
    if how == "delete":
        return b[:i] + b[i + n:], "delete chunk"
    if how == "duplicate":
        return b[:i] + b[i: i + n] + b[i:], "duplicate chunk"
    return b[:i] + bytes(rng.randrange(256) for _ in range(n)) + b[i:], "insert chunk"


def _huge_varint(rng, b):
    """Overwrite with a 10-byte varint of a huge value: protobuf lengths/counts go absurd."""
    i = rng.randrange(len(b))
    return b[:i] + b"\xff" * 9 + b"\x01" + b[i + 10:], "huge varint"


BYTE_MUTATORS = (_truncate, _bit_flips, _byte_overwrite, _splice, _huge_varint)


def mutate_bytes(data, seed):
    """1-3 byte-level mutations of ``data``; returns (bytes, description)."""
    rng = random.Random(seed)
    done = []
    for _ in range(rng.randint(1, 3)):
        if not data:
            break
        data, what = rng.choice(BYTE_MUTATORS)(rng, data)
        done.append(what)
    return data, "+".join(done)
