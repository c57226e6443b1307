#!/bin/sh
# timeout: 120
# The benchmark kernels (tests/bench/guest/) at a small size: each runs once
# under QEMU and must print the checksum of its native run (the same body
# linked into a Linux program), so `make bench` cannot time a wrong answer.
exec sh "$PEMU_SRC/tests/bench/guest.bench.sh" --quick
