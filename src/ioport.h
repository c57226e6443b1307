/*
 * The x86 I/O port space: 64 KiB of ports, each range served by a device's
 * MemOps (the same record MMIO uses, see src/memory.h).
 *
 * Design: an IOPortSpace is a memory.c AddressSpace whose root is a 64 KiB
 * container, and a registered range is an MMIO region mapped in it. So the
 * port space gets, for free and identically to memory: priorities, enable/
 * disable and moves (PCI I/O BARs map their own regions into
 * ioport_space_root() with memory_region_add_subregion), the valid/impl
 * size adaptation, listeners (KVM) and `info mtree`.
 *
 * Accesses (IN/OUT, 1, 2 or 4 bytes):
 *   - an access inside one range is one device access of that size, which
 *     the core splits/merges per the ops' impl sizes (an inw on a byte-only
 *     device reads port and port+1) and checks against valid sizes;
 *   - an access that straddles two ranges (or a range and unassigned ports)
 *     is split at the boundary, each part going to its owner;
 *   - unassigned ports read as all ones and ignore writes. Ports above
 *     0xffff (an inw at 0xffff) are unassigned: there is no wrap-around.
 * Every access is printed under -d ioport.
 */
#ifndef PEMU_IOPORT_H
#define PEMU_IOPORT_H

#include <stdint.h>
#include <stdio.h>
#include "src/memory.h"

#define IOPORT_SPACE_SIZE 0x10000

typedef struct IOPortSpace IOPortSpace;

IOPortSpace *ioport_space_new(const char *name);
/* Frees the space and every range registered with ioport_register. */
void ioport_space_free(IOPortSpace *s);
AddressSpace *ioport_space_as(IOPortSpace *s);
MemoryRegion *ioport_space_root(IOPortSpace *s);

/*
 * Map ports [base, base+len) to ops/opaque, named for `info mtree` (the
 * name is copied). Where it overlaps an earlier registration, the later one
 * wins (memory.h's equal-priority rule). Returns the range's region, the
 * handle for ioport_unregister (and for memory_region_set_enabled etc.).
 * len must be 1..0x10000 - base.
 */
MemoryRegion *ioport_register(IOPortSpace *s, uint16_t base, unsigned len, const MemOps *ops,
                              void *opaque, const char *name);
void ioport_unregister(IOPortSpace *s, MemoryRegion *range);

uint32_t ioport_read(IOPortSpace *s, uint16_t port, unsigned size);
void ioport_write(IOPortSpace *s, uint16_t port, uint32_t val, unsigned size);

/* `info ioport`: the flattened port map, one line per range. */
void ioport_print(FILE *f, IOPortSpace *s);

#endif
