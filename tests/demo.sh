#!/bin/sh
# `make demo`: boot Debian's amd64 kernel with a busybox initramfs on the
# interpreter, to a shell on this terminal.
echo "pemu demo: not yet: needs the CPU engine (the x86 CPU and Linux issues)."
echo "pemu demo: today 'make check' runs the tests of what exists; see README.md."
