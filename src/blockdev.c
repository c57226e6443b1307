/* The machine's drives for the monitor and QMP (see blockdev.h). */
#include "src/blockdev.h"

#include <inttypes.h>
#include <string.h>
#include "hw/piix_ide.h"
#include "src/device.h"

static PIIXIDEState *find_ide(Machine *m)
{
    for (Device *d = m ? m->devices : NULL; d; d = d->next)
        if (d->cls == &piix3_ide_class)
            return (PIIXIDEState *)d; /* the instance struct begins with its Device */
    return NULL;
}

static bool blk_used_by_ide(PIIXIDEState *ide, const BlockBackend *blk)
{
    for (int i = 0; ide && i < 4; i++)
        if (piix_ide_drive(ide, i)->blk == blk)
            return true;
    return false;
}

/* The floppy controller does not say which backend it holds: the open
 * backend (not an IDE drive's) of the drive's file, or the -snapshot
 * overlay on top of it. */
static BlockBackend *find_floppy_blk(PIIXIDEState *ide, const char *file)
{
    for (BlockBackend *b = blk_next(NULL); b; b = blk_next(b)) {
        BlockDriverState *bs = blk_bs(b);
        if (blk_used_by_ide(ide, b))
            continue;
        if (!strcmp(bs->filename, file) || (bs->is_temporary && !strcmp(bs->backing_file, file)))
            return b;
    }
    return NULL;
}

bool blockdev_get(Machine *m, int i, BlockDevInfo *out)
{
    PemuConfig *cfg = m ? m->config : NULL;
    if (!cfg || i >= cfg->ndrives)
        return false;
    const DriveConfig *dc = &cfg->drives[i];
    memset(out, 0, sizeof(*out));
    out->dc = dc;
    out->index = i;
    PIIXIDEState *ide = find_ide(m);
    if (dc->iface == DRIVE_IF_IDE && ide) {
        out->ide = piix_ide_drive(ide, dc->bus * 2 + dc->unit);
        out->blk = out->ide->blk;
        out->removable = ide_drive_kind(out->ide) == IDE_CD;
    } else if (dc->iface == DRIVE_IF_FLOPPY) {
        out->blk = dc->file ? find_floppy_blk(ide, dc->file) : NULL;
        out->removable = true;
    }
    return true;
}

bool blockdev_find(Machine *m, const char *id, BlockDevInfo *out)
{
    for (int i = 0; blockdev_get(m, i, out); i++)
        if (out->dc->id && !strcmp(out->dc->id, id))
            return true;
    return false;
}


char *blockdev_node_name(BlockBackend *blk, char *buf, size_t n)
{
    int k = 0;
    for (BlockBackend *b = blk_next(NULL); b && b != blk; b = blk_next(b))
        k++;
    snprintf(buf, n, "#block%03d", k);
    return buf;
}

/*
 * QEMU's HMP layout:
 *   ide0-hd0 (#block000): disk.img (raw)
 *       Attached to:      /machine/unattached/device[20]
 *       Cache mode:       writeback
 *
 *   ide1-cd0: [not inserted]
 *       Attached to:      /machine/unattached/device[21]
 *       Removable device: not locked, tray closed
 */
void blockdev_print_info(FILE *f, Machine *m)
{
    BlockDevInfo d;
    bool first = true;
    for (int i = 0; blockdev_get(m, i, &d); i++) {
        if (d.dc->iface != DRIVE_IF_IDE && d.dc->iface != DRIVE_IF_FLOPPY)
            continue;
        if (!first)
            fprintf(f, "\n");
        first = false;
        if (d.blk) {
            char nn[32];
            BlockDriverState *bs = blk_bs(d.blk);
            fprintf(f, "%s (%s): %s (%s%s)\n", d.dc->id, blockdev_node_name(d.blk, nn, sizeof(nn)),
                    bs->filename, bs->drv->format_name, bs->read_only ? ", read-only" : "");
        } else {
            fprintf(f, "%s: [not inserted]\n", d.dc->id);
        }
        fprintf(f, "    Attached to:      /machine/unattached/device[%d]\n", 20 + d.index);
        if (d.removable)
            fprintf(f, "    Removable device: %slocked, tray %s\n",
                    d.ide && ide_cd_locked(d.ide) ? "" : "not ",
                    d.ide && d.ide->tray_open ? "open" : "closed");
        if (d.blk) {
            const char *mode = "writeback";
            switch (d.dc->cache) {
            case DRIVE_CACHE_WRITETHROUGH: mode = "writethrough"; break;
            case DRIVE_CACHE_NONE: mode = "writeback, direct"; break;
            case DRIVE_CACHE_DIRECTSYNC: mode = "writethrough, direct"; break;
            case DRIVE_CACHE_UNSAFE: mode = "writeback, ignore flushes"; break;
            default: break;
            }
            fprintf(f, "    Cache mode:       %s\n", mode);
            BlockDriverState *bs = blk_bs(d.blk);
            int depth = 0;
            for (BlockDriverState *b = bs->backing; b; b = b->backing)
                depth++;
            if (bs->backing_file[0])
                fprintf(f, "    Backing file:     %s (chain depth: %d)\n", bs->backing_file, depth);
        }
    }
}

/* QEMU's `info blockstats`: one line per drive with the counters pemu keeps
 * (times are not measured: 0, as QEMU prints them when unused). */
void blockdev_print_stats(FILE *f, Machine *m)
{
    BlockDevInfo d;
    for (int i = 0; blockdev_get(m, i, &d); i++) {
        if (d.dc->iface != DRIVE_IF_IDE && d.dc->iface != DRIVE_IF_FLOPPY)
            continue;
        BlockAcctStats st = { 0 };
        if (d.blk)
            blk_get_stats(d.blk, &st);
        fprintf(f, "%s: rd_bytes=%" PRIu64 " wr_bytes=%" PRIu64 " rd_operations=%" PRIu64
                   " wr_operations=%" PRIu64 " flush_operations=%" PRIu64
                   " wr_total_time_ns=0 rd_total_time_ns=0 flush_total_time_ns=0"
                   " rd_merged=0 wr_merged=0 idle_time_ns=0\n",
                d.dc->id, st.rd_bytes, st.wr_bytes, st.rd_operations, st.wr_operations,
                st.flush_operations);
    }
}

static bool removable(Machine *m, const char *id, BlockDevInfo *d, Error **errp)
{
    if (!blockdev_find(m, id, d)) {
        error_setg(errp, "Device '%s' not found", id);
        return false;
    }
    if (!d->removable) {
        error_setg(errp, "Device '%s' is not removable", id);
        return false;
    }
    if (!d->ide) {
        error_setg(errp, "Device '%s': pemu cannot change floppy media from the monitor yet", id);
        return false;
    }
    return true;
}

int blockdev_eject(Machine *m, const char *id, bool force, Error **errp)
{
    BlockDevInfo d;
    if (!removable(m, id, &d, errp))
        return -1;
    return ide_cd_eject(d.ide, force, errp);
}

int blockdev_change(Machine *m, const char *id, const char *file, const char *fmt, Error **errp)
{
    BlockDevInfo d;
    if (!removable(m, id, &d, errp))
        return -1;
    return ide_cd_change(d.ide, file, fmt, errp);
}

int blockdev_commit(Machine *m, const char *id, Error **errp)
{
    BlockDevInfo d;
    if (strcmp(id, "all")) {
        if (!blockdev_find(m, id, &d) || !d.blk) {
            error_setg(errp, "Device '%s' not found", id);
            return -1;
        }
        return blk_commit(d.blk, errp);
    }
    for (int i = 0; blockdev_get(m, i, &d); i++)
        if (d.blk && blk_bs(d.blk)->backing && blk_commit(d.blk, errp) < 0)
            return -1;
    return 0;
}
