/*
 * The machine's drives as the monitor and QMP see them: each -drive (and
 * -hda/-cdrom/-fda) of the configuration with the backend that holds its
 * medium now, by the drive id QEMU gives it (ide0-hd0, ide1-cd0, floppy0).
 */
#ifndef PEMU_BLOCKDEV_H
#define PEMU_BLOCKDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "hw/ide.h"
#include "src/block/block.h"
#include "src/machine.h"
#include "src/options.h"

typedef struct BlockDevInfo {
    const DriveConfig *dc;
    IDEDrive *ide;          /* IDE drives: the live drive (media change) */
    BlockBackend *blk;      /* NULL: no medium */
    bool removable;
    int index;              /* position in the configuration's drive list */
} BlockDevInfo;

/* Drive i of the configuration (false past the last). */
bool blockdev_get(Machine *m, int i, BlockDevInfo *out);
bool blockdev_find(Machine *m, const char *id, BlockDevInfo *out);
/* QEMU-style automatic node name of a backend: "#block%03d". */
char *blockdev_node_name(BlockBackend *blk, char *buf, size_t n);

/* HMP `info block` and `info blockstats`, in QEMU's layout. */
void blockdev_print_info(FILE *f, Machine *m);
void blockdev_print_stats(FILE *f, Machine *m);
/* HMP `eject [-f] DEVICE` and `change DEVICE FILE [FORMAT]` (CD-ROMs). */
int blockdev_eject(Machine *m, const char *id, bool force, Error **errp);
int blockdev_change(Machine *m, const char *id, const char *file, const char *fmt, Error **errp);
/* HMP `commit DEVICE|all`: the -snapshot overlay (or the image's own
 * data) into its backing file; "all" skips drives with nothing to commit. */
int blockdev_commit(Machine *m, const char *id, Error **errp);

#endif
