/*
 * Snapshots of the whole machine (savevm, loadvm, delvm, info snapshots,
 * -loadvm): RAM, every vCPU and device through the state field tables,
 * and the disks' internal snapshots taken at the same instant.
 *
 * The VM state goes into the image of the first writable drive that can
 * snapshot (qcow2), in the area qcow2 keeps past the end of the disk,
 * as QEMU does; its format is pemu's own (docs/architecture.md):
 *
 *   4096 bytes   a text header: "PEMU-VMSTATE 1", then "key value" lines
 *                (pemu version, machine type, RAM size, CPU count, RAM
 *                blocks, the lengths below), NUL-padded
 *   state        the src/vmstate.h stream of every vCPU and device
 *   memory       a zlib stream: for each 4 KiB page of each RAM block,
 *                a byte 0 (a zero page) or 1 and the page's bytes
 *
 * A snapshot is loaded only when everything matches and checks out (the
 * header, the whole state stream, the whole memory stream, the snapshot
 * on every writable drive); otherwise the machine is left as it was and
 * the error says what differs.
 *
 * Main-loop thread, between guest instruction slices (the monitor runs
 * there). The machine is stopped while it works and resumed if it ran.
 */
#ifndef PEMU_SAVEVM_H
#define PEMU_SAVEVM_H

#include <stdio.h>
#include "src/error.h"
#include "src/machine.h"

int savevm_save(Machine *m, const char *name, Error **errp);
int savevm_load(Machine *m, const char *name, Error **errp);
int savevm_delete(Machine *m, const char *name, Error **errp);
/* HMP `info snapshots`, in QEMU's layout. */
void savevm_print_info(FILE *f, Machine *m);

#endif
