/* The I/O port space, built on memory.c (see ioport.h). */
#include "src/ioport.h"

#include <inttypes.h>
#include <stdlib.h>
#include "src/log.h"

struct IOPortSpace {
    MemoryRegion *root;
    AddressSpace *as;
    MemoryRegion **ranges; /* registered by ioport_register, owned here */
    unsigned n, cap;
};

IOPortSpace *ioport_space_new(const char *name)
{
    IOPortSpace *s = calloc(1, sizeof(*s));
    if (!s)
        fatal("out of memory (I/O port space)");
    s->root = memory_region_new_container(name, IOPORT_SPACE_SIZE, NULL);
    s->as = address_space_new(name, s->root);
    return s;
}

void ioport_space_free(IOPortSpace *s)
{
    if (!s)
        return;
    address_space_free(s->as);
    memory_transaction_begin();
    for (unsigned i = 0; i < s->n; i++)
        memory_region_free(s->ranges[i]);
    memory_region_free(s->root);
    memory_transaction_commit();
    free(s->ranges);
    free(s);
}

AddressSpace *ioport_space_as(IOPortSpace *s) { return s->as; }
MemoryRegion *ioport_space_root(IOPortSpace *s) { return s->root; }

MemoryRegion *ioport_register(IOPortSpace *s, uint16_t base, unsigned len, const MemOps *ops,
                              void *opaque, const char *name)
{
    if (!len || len > IOPORT_SPACE_SIZE - (unsigned)base)
        pemu_abort("ioport_register '%s': ports 0x%x+%u outside the 64 KiB space", name, base,
                   len);
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 32;
        s->ranges = realloc(s->ranges, s->cap * sizeof(*s->ranges));
        if (!s->ranges)
            fatal("out of memory (I/O port space)");
    }
    MemoryRegion *mr = memory_region_new_mmio(name, len, ops, opaque, opaque);
    s->ranges[s->n++] = mr;
    memory_region_add_subregion(s->root, base, mr, 0);
    return mr;
}

void ioport_unregister(IOPortSpace *s, MemoryRegion *range)
{
    for (unsigned i = 0; i < s->n; i++) {
        if (s->ranges[i] == range) {
            s->ranges[i] = s->ranges[--s->n];
            memory_region_free(range);
            return;
        }
    }
    pemu_abort("ioport_unregister: '%s' was not registered", memory_region_name(range));
}

static void check_size(unsigned size)
{
    if (size != 1 && size != 2 && size != 4)
        pemu_abort("I/O port access of %u bytes (must be 1, 2 or 4)", size);
}

static const char *port_owner(IOPortSpace *s, uint16_t port)
{
    MemXlat x;
    MemoryRegion *mr = address_space_translate(s->as, port, &x);
    return mr ? memory_region_name(mr) : "unassigned";
}

/* The address-space accessors already split at range boundaries. */
uint32_t ioport_read(IOPortSpace *s, uint16_t port, unsigned size)
{
    check_size(size);
    uint32_t v = (uint32_t)address_space_ld_le(s->as, port, size);
    if (log_enabled(LOG_IOPORT))
        log_printf("ioport: in%c 0x%04x -> 0x%0*x (%s)\n", "bwl"[size / 2], port,
                   (int)size * 2, v, port_owner(s, port));
    return v;
}

void ioport_write(IOPortSpace *s, uint16_t port, uint32_t val, unsigned size)
{
    check_size(size);
    if (log_enabled(LOG_IOPORT))
        log_printf("ioport: out%c 0x%04x <- 0x%0*x (%s)\n", "bwl"[size / 2], port,
                   (int)size * 2, val, port_owner(s, port));
    address_space_st_le(s->as, port, val, size);
}

void ioport_print(FILE *f, IOPortSpace *s)
{
    unsigned n;
    const MemSection *sec = address_space_sections(s->as, &n);
    fprintf(f, "I/O ports of '%s':\n", address_space_name(s->as));
    for (unsigned i = 0; i < n; i++)
        fprintf(f, "  %04" PRIx64 "-%04" PRIx64 " : %s\n", sec[i].start,
                sec[i].start + sec[i].size - 1, memory_region_name(sec[i].mr));
}
