/* The monitor's `info tlb` and `info mem` (see pgdump.c). */
#ifndef PEMU_X86_PGDUMP_H
#define PEMU_X86_PGDUMP_H

#include <stdio.h>
#include "src/x86/cpu.h"

/* Every mapped page of cpu's current page tables, or "PG disabled". */
void x86_print_tlb(FILE *f, X86CPU *cpu);
/* The mapped ranges with their effective user/write rights. */
void x86_print_mem(FILE *f, X86CPU *cpu);

#endif
