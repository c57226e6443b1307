/*
 * The CPU's view of guest-physical memory: binds the softmmu (src/softmmu.h)
 * to the memory map (src/memory.h) of one address space, including
 * self-modifying-code tracking for writes that do not come from a CPU (DMA).
 */
#ifndef PEMU_PHYSMEM_H
#define PEMU_PHYSMEM_H

#include "src/memory.h"
#include "src/softmmu.h"

/* The SoftmmuPhys for `as` (one per process: the machine's system memory). */
const SoftmmuPhys *physmem_bind(AddressSpace *as);

#endif
