/*
 * The seam between the differential tester's driver (diff.c) and an engine
 * that runs a case: the native runner (run32, the reference), or pemu's CPU.
 *
 * run() executes the case in the environment described in case.h and fills
 * every field of the Result except the informative native ones (sig,
 * si_code, trapno, err). It returns 0, or -1 when the engine itself failed
 * (not when the guest code faulted: that is r->exc). Engines keep their own
 * state in statics; the driver calls init() once before the first run().
 *
 * Plugging in pemu (when src/x86 exists): write tests/diff/native/pemu_engine.c
 * defining `const DiffEngine diff_engine_pemu`, which maps the code and data
 * areas into a guest address space, sets the segments the mode implies (flat
 * 32-bit, or the 16-bit LDT segments with limit 0xfff), loads GPRs and
 * EFLAGS, runs from the code base until the int3 after the last byte
 * (#BP at eip == length, reported as exc none eip == length) or the first
 * exception, and reads the state back; build diff with -DDIFF_HAVE_PEMU and
 * link build/<variant>/libpemu.a. Then:
 *     diff --engine=pemu --mode=32 --seed=1 --count=100000
 */
#ifndef PEMU_DIFF_ENGINE_H
#define PEMU_DIFF_ENGINE_H

#include "case.h"

typedef struct DiffEngine {
    const char *name;
    int (*run)(const Case *c, Result *r);
    int (*init)(const char *arg); /* optional; arg: e.g. the runner's path */
    /* optional: run n cases at once (the native runner pipelines them) */
    int (*run_batch)(const Case *c, Result *r, int n);
} DiffEngine;

/* Where an engine runs mode-16 cases (diff --world=): the native runner's
 * 16-bit protected mode, or the same bytes in real mode or virtual-8086
 * mode (pemu only; diff.c leaves out the cases those worlds cannot share
 * with the native one: world_comparable). */
enum { DIFF_WORLD_PM, DIFF_WORLD_REAL, DIFF_WORLD_VM86 };

#ifdef DIFF_HAVE_PEMU
extern const DiffEngine diff_engine_pemu;
extern int diff_pemu_world;
#endif

#endif
