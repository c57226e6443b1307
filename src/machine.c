/* The machine: exit requests and the bare machine boards and tests start from. */
#include "src/machine.h"

#include <stdlib.h>
#include "src/mainloop.h"

#define BARE_LINES (MACHINE_ISA_IRQS + MACHINE_GSI_IRQS)

/* Every Machine is the first member of one of these (machine_new_bare). */
typedef struct BareMachine {
    Machine m;
    MemoryRegion *ram;
    int level[BARE_LINES];
    unsigned raises[BARE_LINES];
} BareMachine;

void machine_request_exit(Machine *m, int status)
{
    /* The first request wins, as for the main loop's exit reason. */
    if (mainloop_exit_requested() == MAINLOOP_EXIT_NONE)
        m->exit_status = status;
    mainloop_request_exit(MACHINE_EXIT_STATUS);
}

static void bare_irq_record(void *opaque, int n, int level)
{
    BareMachine *bm = opaque;
    level = level != 0;
    if (level && !bm->level[n])
        bm->raises[n]++;
    bm->level[n] = level;
}

Machine *machine_new_bare(uint64_t ram_size)
{
    BareMachine *bm = calloc(1, sizeof(*bm));
    if (!bm)
        fatal("out of memory (machine)");
    Machine *m = &bm->m;
    m->type = "none";
    m->ram_size = ram_size;
    m->sysmem = memory_region_new_container("system", UINT64_MAX, NULL);
    if (ram_size) {
        Error *err = NULL;
        bm->ram = memory_region_new_ram("ram", ram_size, NULL, &err);
        if (!bm->ram) {
            error_report_err(err);
            exit(1);
        }
        memory_region_add_subregion(m->sysmem, 0, bm->ram, 0);
    }
    m->as = address_space_new("memory", m->sysmem);
    m->io = ioport_space_new("io");
    for (int i = 0; i < MACHINE_ISA_IRQS; i++)
        m->isa_irq[i] = irq_new(bare_irq_record, bm, i);
    for (int i = 0; i < MACHINE_GSI_IRQS; i++)
        m->gsi[i] = irq_new(bare_irq_record, bm, MACHINE_ISA_IRQS + i);
    return m;
}

int machine_bare_irq_level(Machine *m, int n)
{
    if (!m || n < 0 || n >= BARE_LINES)
        return -1;
    return ((BareMachine *)m)->level[n];
}

unsigned machine_bare_irq_raises(Machine *m, int n)
{
    if (!m || n < 0 || n >= BARE_LINES)
        return 0;
    return ((BareMachine *)m)->raises[n];
}

void machine_free(Machine *m)
{
    if (!m)
        return;
    BareMachine *bm = (BareMachine *)m;
    device_free_all(m);
    for (int i = 0; i < MACHINE_ISA_IRQS; i++)
        irq_free(m->isa_irq[i]);
    for (int i = 0; i < MACHINE_GSI_IRQS; i++)
        irq_free(m->gsi[i]);
    ioport_space_free(m->io);
    address_space_free(m->as);
    if (bm->ram)
        memory_region_free(bm->ram);
    memory_region_free(m->sysmem);
    free(bm);
}
