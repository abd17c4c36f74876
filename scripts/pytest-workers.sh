# Sourced by scripts/test.sh and scripts/test-sanitizers.sh: sets `xdist`, the pytest-xdist arguments
# that run pytest on every core (at most 4 workers, each imports torch), one test file per worker
# (--dist loadfile, so a file's module-scoped fixtures -- exports, quantized networks, a Ray
# cluster -- are built once), and `workers`. Most tests are single-threaded (PoCL's kernel
# compiles, the NumPy references), so workers pay off even on 2 cores (docs/decisions.md, "Tests
# run in worker processes"). FPGAOPS_TEST_WORKERS sets the count (0: one in-process run).
workers=${FPGAOPS_TEST_WORKERS:-$(nproc)}
case "$workers" in
  '' | *[!0-9]*) echo "FPGAOPS_TEST_WORKERS must be a whole number of workers (0: none), not '$workers'" >&2; exit 2 ;;
esac
[ "$workers" -le 4 ] || workers=4
xdist=()
[ "$workers" = 0 ] || xdist=(-n "$workers" --dist loadfile)
