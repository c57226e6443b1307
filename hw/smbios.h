/*
 * SMBIOS tables for the firmware: the structures and the 2.1 entry point
 * that SeaBIOS reads from fw_cfg ("etc/smbios/smbios-tables" and
 * "etc/smbios/smbios-anchor"), places in memory and publishes, so that a
 * guest's dmidecode and /sys/class/dmi/id see a described machine and
 * the values given with -smbios and -uuid.
 *
 * Reference: DMTF DSP0134, SMBIOS Reference Specification 2.8.
 */
#ifndef PEMU_HW_SMBIOS_H
#define PEMU_HW_SMBIOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "src/error.h"
#include "src/options.h"

#define SMBIOS_ANCHOR_SIZE 31   /* the 2.1 (32-bit) entry point */

typedef struct SmbiosMachine {
    unsigned cpus;              /* processors (type 4 structures) */
    uint32_t cpuid_eax, cpuid_edx;      /* CPUID.1: the processor ID */
    bool long_mode;             /* "64-bit capable" */
    uint64_t below_4g, above_4g;        /* RAM bytes */
    const uint8_t *uuid;        /* 16 bytes in RFC 4122 order, or NULL: zero */
    const char *product;        /* type 1 product name */
} SmbiosMachine;

typedef struct SmbiosTables {
    uint8_t *tables;            /* malloc'd structures, type 127 last */
    size_t len;
    uint8_t anchor[SMBIOS_ANCHOR_SIZE];  /* table address 0: the firmware fills it */
} SmbiosTables;

/*
 * Build the tables for machine m with the -smbios options `opts` (QEMU's
 * fields for types 0, 1, 2, 3, 4, 11 and 17). -1 with *errp naming the
 * option and the field on a bad one.
 */
int smbios_build(const SmbiosMachine *m, const OptionList *opts, int nopts, SmbiosTables *out,
                 Error **errp);
void smbios_tables_free(SmbiosTables *t);

#endif
