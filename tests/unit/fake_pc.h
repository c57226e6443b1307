/*
 * A Machine built by hand for PC device tests: sysmem, its address space,
 * the I/O port space, and IRQ lines that record every level they receive.
 */
#ifndef PEMU_TEST_FAKE_PC_H
#define PEMU_TEST_FAKE_PC_H

#include <stdlib.h>
#include <string.h>
#include "src/machine.h"

typedef struct FakeLine {
    int level;   /* last level received, -1 never */
    int sets;    /* irq_set calls */
    int rises;   /* 0 -> 1 transitions */
} FakeLine;

typedef struct FakePC {
    Machine m;
    FakeLine isa[MACHINE_ISA_IRQS];
    FakeLine a20, reset;
} FakePC;

static void fake_line_handler(void *opaque, int n, int level)
{
    FakeLine *l = (FakeLine *)opaque + n;
    if (level && l->level != 1)
        l->rises++;
    l->level = level != 0;
    l->sets++;
}

static inline FakePC *fake_pc_new(void)
{
    FakePC *pc = calloc(1, sizeof(*pc));
    pc->m.type = "pc";
    pc->m.sysmem = memory_region_new_container("system", UINT64_MAX, NULL);
    pc->m.as = address_space_new("memory", pc->m.sysmem);
    pc->m.io = ioport_space_new("io");
    for (int i = 0; i < MACHINE_ISA_IRQS; i++) {
        pc->isa[i].level = -1;
        pc->m.isa_irq[i] = irq_new(fake_line_handler, pc->isa, i);
    }
    pc->a20.level = pc->reset.level = -1;
    pc->m.a20 = irq_new(fake_line_handler, &pc->a20, 0);
    pc->m.reset_request = irq_new(fake_line_handler, &pc->reset, 0);
    return pc;
}

/* RAM of `size` bytes mapped at 0 in sysmem. */
static inline MemoryRegion *fake_pc_add_ram(FakePC *pc, uint64_t size)
{
    MemoryRegion *ram = memory_region_new_ram("ram", size, NULL, NULL);
    memory_region_add_subregion(pc->m.sysmem, 0, ram, 0);
    pc->m.ram_size = size;
    return ram;
}

static inline void fake_pc_clear_lines(FakePC *pc)
{
    for (int i = 0; i < MACHINE_ISA_IRQS; i++)
        pc->isa[i] = (FakeLine){ -1, 0, 0 };
    pc->a20 = pc->reset = (FakeLine){ -1, 0, 0 };
}

#endif
