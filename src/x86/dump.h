/* x86 CPU state as text (the monitor's "info registers", QEMU's layout). */
#ifndef PEMU_X86_DUMP_H
#define PEMU_X86_DUMP_H

#include <inttypes.h>
#include <stdio.h>
#include "src/x86/cpu.h"

void x86_cpu_dump_state(FILE *f, X86CPU *cpu);

#endif
