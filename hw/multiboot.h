/*
 * Multiboot (version 1) kernels for -kernel: ELF32 images and the a.out
 * kludge, a command line, modules (-initrd "a args,b") and the memory map,
 * as the Multiboot 0.6.96 specification describes them.
 */
#ifndef PEMU_HW_MULTIBOOT_H
#define PEMU_HW_MULTIBOOT_H

#include <stdbool.h>
#include <stdint.h>
#include "src/error.h"
#include "src/memory.h"

#define MULTIBOOT_HEADER_MAGIC     0x1BADB002u
#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002u

/* One e820-style range the loader reports in the Multiboot memory map. */
typedef struct MultibootRange {
    uint64_t base, len;
    uint32_t type;          /* 1 = usable RAM, 2 = reserved */
} MultibootRange;

typedef struct MultibootInfo {
    uint32_t entry;         /* physical entry point (EIP) */
    uint32_t info_addr;     /* physical address of the info structure (EBX) */
    uint32_t load_start, load_end; /* the kernel image in guest memory (bss included) */
} MultibootInfo;

/*
 * Is this file a Multiboot kernel? (the header magic and checksum within
 * its first 8 KiB). -1 with *errp when the file cannot be read.
 */
int multiboot_probe(const char *path, Error **errp);

/*
 * Load kernel `path` into `as`, with the command line `cmdline` (QEMU
 * passes "<kernel path> <-append text>"), modules from `initrd` ("file
 * args,file args", NULL for none; ",," is a literal comma) and the memory
 * map `map` (first range starting at 0 gives mem_lower). Writes the kernel,
 * the modules and the info structure into guest RAM and fills *out.
 * Errors name the file and what is wrong with it.
 */
int multiboot_load(AddressSpace *as, uint64_t ram_size, const char *path, const char *cmdline,
                   const char *initrd, const MultibootRange *map, unsigned nmap,
                   MultibootInfo *out, Error **errp);

#endif
