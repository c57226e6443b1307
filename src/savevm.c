/* Snapshots of the whole machine (see savevm.h). */
#include "src/savevm.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "src/accel/accel.h"
#include "src/block/aio.h"
#include "src/blockdev.h"
#include "src/cpu.h"
#include "src/icount.h"
#include "src/memory.h"
#include "src/tb.h"
#include "src/timer.h"
#include "src/vmstate.h"

#define HEADER_SIZE 4096
#define HEADER_MAGIC "PEMU-VMSTATE 1\n"
#define PAGE 4096u
#define CHUNK (1u << 20)        /* compressed bytes moved per image I/O */
#define MAX_BLOCKS 16

/* ---- the drives ------------------------------------------------------------- */

typedef struct Drives {
    int n;
    struct {
        const char *id;
        BlockBackend *blk;
        BlockAioQueue *q;       /* IDE: the request queue to drain */
    } d[16];
} Drives;

/*
 * The writable drives with a medium: all must take snapshots (as QEMU
 * says it); the first holds the VM state. Read-only ones (CD-ROMs) are
 * not part of a snapshot.
 */
static int writable_drives(Machine *m, Drives *out, Error **errp)
{
    BlockDevInfo bi;
    out->n = 0;
    for (int i = 0; blockdev_get(m, i, &bi); i++) {
        if (!bi.blk || bi.dc->readonly || bi.dc->media == DRIVE_MEDIA_CDROM)
            continue;
        const char *id = bi.dc->id ? bi.dc->id : "?";
        if (!blk_can_snapshot(bi.blk)) {
            error_setg(errp, "Device '%s' is writable but does not support snapshots "
                       "(its image is %s; convert it to qcow2 or add readonly=on)", id,
                       blk_bs(bi.blk)->drv->format_name);
            return -1;
        }
        if (out->n == (int)PEMU_ARRAY_SIZE(out->d))
            break;
        out->d[out->n].id = id;
        out->d[out->n].blk = bi.blk;
        out->d[out->n].q = bi.ide ? ide_drive_queue(bi.ide) : NULL;
        out->n++;
    }
    if (!out->n) {
        error_setg(errp, "No block device can accept snapshots (savevm needs a writable "
                   "qcow2 disk: -drive file=disk.qcow2,format=qcow2)");
        return -1;
    }
    return 0;
}

/* No guest request in flight, nothing cached: the images are what the
 * guest wrote. */
static int quiesce(const Drives *dr, Error **errp)
{
    for (int i = 0; i < dr->n; i++) {
        if (dr->d[i].q)
            blk_aio_drain(dr->d[i].q);
        if (blk_flush(dr->d[i].blk, errp) < 0)
            return -1;
    }
    return 0;
}

/* ---- RAM -------------------------------------------------------------------- */

typedef struct RamList {
    unsigned n;
    struct {
        const char *name;
        uint8_t *host;
        uint64_t size;
        ram_addr_t addr;
    } b[MAX_BLOCKS];
} RamList;

static void ram_add(void *opaque, const char *name, uint8_t *host, uint64_t size, ram_addr_t addr)
{
    RamList *l = opaque;
    if (l->n < MAX_BLOCKS) {
        l->b[l->n].name = name;
        l->b[l->n].host = host;
        l->b[l->n].size = size;
        l->b[l->n].addr = addr;
    }
    l->n++;
}

static bool page_is_zero(const uint8_t *p, size_t n)
{
    static const uint8_t zero[PAGE];
    return !memcmp(p, zero, n);
}

/* ---- writing -------------------------------------------------------------------- */

typedef struct Writer {
    BlockBackend *blk;
    uint64_t pos;               /* next byte of the VM state area */
    z_stream z;
    uint8_t *out;
    Error **errp;
    int err;
} Writer;

static int put_raw(Writer *w, const void *p, size_t n)
{
    if (!w->err && blk_save_vmstate(w->blk, p, w->pos, n, w->errp) < 0)
        w->err = -1;
    w->pos += n;
    return w->err;
}

/* Deflate n bytes (flush: finish the stream), writing full chunks out. */
static int put_z(Writer *w, const void *p, size_t n, bool finish)
{
    w->z.next_in = (Bytef *)(uintptr_t)p;
    w->z.avail_in = (uInt)n;
    for (;;) {
        int r = deflate(&w->z, finish ? Z_FINISH : Z_NO_FLUSH);
        if (r == Z_STREAM_ERROR) {
            error_setg(w->errp, "savevm: zlib deflate failed");
            return w->err = -1;
        }
        if (w->z.avail_out == 0 || (finish && r == Z_STREAM_END)) {
            size_t have = CHUNK - w->z.avail_out;
            if (have && put_raw(w, w->out, have) < 0)
                return -1;
            w->z.next_out = w->out;
            w->z.avail_out = CHUNK;
        }
        if (finish ? r == Z_STREAM_END : w->z.avail_in == 0)
            return 0;
    }
}

static int write_memory(Writer *w, const RamList *rl, uint64_t *zlen)
{
    uint64_t start = w->pos;
    memset(&w->z, 0, sizeof(w->z));
    if (deflateInit(&w->z, 1) != Z_OK) {
        error_setg(w->errp, "savevm: zlib deflateInit failed");
        return -1;
    }
    w->z.next_out = w->out;
    w->z.avail_out = CHUNK;
    for (unsigned b = 0; b < rl->n && !w->err; b++)
        for (uint64_t off = 0; off < rl->b[b].size && !w->err; off += PAGE) {
            size_t n = rl->b[b].size - off < PAGE ? (size_t)(rl->b[b].size - off) : PAGE;
            const uint8_t *p = rl->b[b].host + off;
            uint8_t tag = page_is_zero(p, n) ? 0 : 1;
            if (put_z(w, &tag, 1, false) < 0 || (tag && put_z(w, p, n, false) < 0))
                break;
        }
    if (!w->err)
        put_z(w, NULL, 0, true);
    deflateEnd(&w->z);
    *zlen = w->pos - start;
    return w->err;
}

static void header_line(char *h, const char *fmt, ...) PEMU_PRINTF(2, 3);
static void header_line(char *h, const char *fmt, ...)
{
    size_t len = strlen(h);
    va_list ap;
    va_start(ap, fmt);
    if (len < HEADER_SIZE - 1)
        vsnprintf(h + len, HEADER_SIZE - 1 - len, fmt, ap);
    va_end(ap);
}

static unsigned cpu_count(void)
{
    unsigned n = 0;
    for (CPUState *c = cpu_first(); c; c = c->next_cpu)
        n++;
    return n;
}

/* The header that describes this machine (the lengths come later). */
static void header_fill(char *h, Machine *m, const RamList *rl)
{
    memset(h, 0, HEADER_SIZE);
    header_line(h, "%s", HEADER_MAGIC);
    header_line(h, "pemu %s\n", PEMU_VERSION);
    header_line(h, "machine %s\n", m->type ? m->type : "pc");
    header_line(h, "ram %" PRIu64 "\n", m->ram_size);
    header_line(h, "cpus %u\n", cpu_count());
    for (unsigned i = 0; i < rl->n && i < MAX_BLOCKS; i++)
        header_line(h, "block %s %" PRIu64 "\n", rl->b[i].name, rl->b[i].size);
}

static int delete_everywhere(const Drives *dr, const char *name, Error **errp)
{
    BlockSnapshotInfo sn;
    for (int i = 0; i < dr->n; i++)
        while (blk_snapshot_find(dr->d[i].blk, name, &sn))
            if (blk_snapshot_delete(dr->d[i].blk, sn.id, errp) < 0)
                return -1;
    return 0;
}

int savevm_save(Machine *m, const char *name, Error **errp)
{
    Drives dr;
    RamList rl = { 0 };
    if (!name || !*name || strlen(name) > 255) {
        error_setg(errp, "savevm: give the snapshot a name of 1 to 255 characters");
        return -1;
    }
    if (writable_drives(m, &dr, errp) < 0)
        return -1;
    memory_ram_block_foreach(ram_add, &rl);
    if (rl.n > MAX_BLOCKS) {
        error_setg(errp, "savevm: the machine has %u RAM blocks, pemu saves at most %d", rl.n,
                   MAX_BLOCKS);
        return -1;
    }
    bool was_running = accel_vm_running();
    accel_vm_stop();
    int r = -1;
    char *h = malloc(HEADER_SIZE);
    Writer w = { dr.d[0].blk, HEADER_SIZE, { 0 }, malloc(CHUNK), errp, 0 };
    VMStream *st = vmstate_mem_stream_new();
    if (!h || !w.out)
        pemu_abort("out of memory");
    BlockSnapshotInfo sn;
    memset(&sn, 0, sizeof(sn));
    if (quiesce(&dr, errp) < 0 || delete_everywhere(&dr, name, errp) < 0)
        goto out;
    /* The state stream first: the devices' pre_save hooks see the
     * machine as it is (the clock is stopped, so time is too). */
    if (vmstate_save_all(st, errp) < 0)
        goto out;
    size_t slen;
    const uint8_t *sdata = vmstate_stream_data(st, &slen);
    uint64_t zlen = 0;
    if (put_raw(&w, sdata, slen) < 0 || write_memory(&w, &rl, &zlen) < 0)
        goto out;
    header_fill(h, m, &rl);
    header_line(h, "state %zu\n", slen);
    header_line(h, "memory %" PRIu64 "\n", zlen);
    w.pos = 0;
    if (put_raw(&w, h, HEADER_SIZE) < 0)
        goto out;
    uint64_t total = HEADER_SIZE + slen + zlen;

    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    snprintf(sn.name, sizeof(sn.name), "%s", name);
    sn.date_sec = (uint32_t)now.tv_sec;
    sn.date_nsec = (uint32_t)now.tv_nsec;
    sn.vm_clock_nsec = (uint64_t)clock_get_ns(PEMU_CLOCK_VIRTUAL);
    sn.icount = icount_on ? icount_executed() : UINT64_MAX;  /* -icount: shown by info snapshots */
    for (int i = 0; i < dr.n; i++) {
        sn.vm_state_size = i == 0 ? total : 0;
        if (blk_snapshot_create(dr.d[i].blk, &sn, errp) < 0) {
            /* no half snapshot: the drives done so far lose theirs */
            for (int j = 0; j < i; j++)
                blk_snapshot_delete(dr.d[j].blk, name, NULL);
            goto out;
        }
    }
    /* The snapshot holds the state now; the active image needs none. */
    if (blk_discard_vmstate(dr.d[0].blk, total, errp) < 0 || blk_flush(dr.d[0].blk, errp) < 0)
        goto out;
    r = 0;
out:
    vmstate_stream_free(st);
    free(w.out);
    free(h);
    if (was_running)
        accel_vm_cont();
    return r;
}

/* ---- reading -------------------------------------------------------------------- */

typedef struct Header {
    char pemu[64], machine[64];
    uint64_t ram, state, memory;
    unsigned cpus, nblocks;
    struct { char name[64]; uint64_t size; } b[MAX_BLOCKS];
} Header;

static int header_parse(const char *text, Header *hd, const char *snap, Error **errp)
{
    memset(hd, 0, sizeof(*hd));
    if (memcmp(text, HEADER_MAGIC, strlen(HEADER_MAGIC))) {
        error_setg(errp, "snapshot '%s' holds no pemu VM state (saved by another program, "
                   "or a newer state format)", snap);
        return -1;
    }
    const char *p = text + strlen(HEADER_MAGIC);
    while (*p && p < text + HEADER_SIZE) {
        const char *eol = memchr(p, '\n', (size_t)(text + HEADER_SIZE - p));
        if (!eol)
            break;
        char line[256];
        size_t n = (size_t)(eol - p) < sizeof(line) - 1 ? (size_t)(eol - p) : sizeof(line) - 1;
        memcpy(line, p, n);
        line[n] = 0;
        p = eol + 1;
        char name[64];
        uint64_t v;
        if (sscanf(line, "pemu %63s", hd->pemu) == 1 || sscanf(line, "machine %63s", hd->machine) == 1)
            continue;
        if (sscanf(line, "ram %" SCNu64, &hd->ram) == 1 || sscanf(line, "cpus %u", &hd->cpus) == 1 ||
            sscanf(line, "state %" SCNu64, &hd->state) == 1 ||
            sscanf(line, "memory %" SCNu64, &hd->memory) == 1)
            continue;
        if (sscanf(line, "block %63s %" SCNu64, name, &v) == 2 && hd->nblocks < MAX_BLOCKS) {
            snprintf(hd->b[hd->nblocks].name, sizeof(hd->b[0].name), "%s", name);
            hd->b[hd->nblocks++].size = v;
        }
    }
    if (!hd->pemu[0] || !hd->state || !hd->memory) {
        error_setg(errp, "snapshot '%s': its VM state header is incomplete (the image is "
                   "damaged)", snap);
        return -1;
    }
    return 0;
}

/* What differs between the saved machine and this one, or 0. */
static int header_compare(const Header *hd, Machine *m, const RamList *rl, const char *snap,
                          Error **errp)
{
    const char *mt = m->type ? m->type : "pc";
    if (strcmp(hd->pemu, PEMU_VERSION)) {
        error_setg(errp, "snapshot '%s' was saved by pemu %s; this is pemu %s, which loads "
                   "only its own", snap, hd->pemu, PEMU_VERSION);
        return -1;
    }
    if (strcmp(hd->machine, mt)) {
        error_setg(errp, "snapshot '%s' was saved on machine '%s', this one is '%s' (-M)",
                   snap, hd->machine, mt);
        return -1;
    }
    if (hd->ram != m->ram_size) {
        error_setg(errp, "snapshot '%s' was saved with %" PRIu64 " MiB of RAM, this machine "
                   "has %" PRIu64 " MiB (-m)", snap, hd->ram >> 20, m->ram_size >> 20);
        return -1;
    }
    if (hd->cpus != cpu_count()) {
        error_setg(errp, "snapshot '%s' was saved with %u CPUs, this machine has %u (-smp)",
                   snap, hd->cpus, cpu_count());
        return -1;
    }
    if (hd->nblocks != rl->n) {
        error_setg(errp, "snapshot '%s' has %u RAM blocks, this machine %u (other devices?)",
                   snap, hd->nblocks, rl->n);
        return -1;
    }
    for (unsigned i = 0; i < rl->n; i++)
        if (strcmp(hd->b[i].name, rl->b[i].name) || hd->b[i].size != rl->b[i].size) {
            error_setg(errp, "snapshot '%s': RAM block %u is %s of %" PRIu64 " bytes, here %s "
                       "of %" PRIu64 " (other devices or -vga settings?)", snap, i,
                       hd->b[i].name, hd->b[i].size, rl->b[i].name, rl->b[i].size);
            return -1;
        }
    return 0;
}

/* Parses the memory stream; with apply, writes the pages into RAM. */
typedef struct Pages {
    const RamList *rl;
    bool apply;
    unsigned b;                 /* block */
    uint64_t off;               /* page offset in the block */
    size_t need;                /* data bytes of the current page still to come */
    bool bad;
} Pages;

static void pages_feed(Pages *pg, const uint8_t *p, size_t n)
{
    while (n && !pg->bad) {
        if (pg->b >= pg->rl->n) {
            pg->bad = true;     /* data past the last page */
            return;
        }
        uint64_t bsize = pg->rl->b[pg->b].size;
        size_t plen = bsize - pg->off < PAGE ? (size_t)(bsize - pg->off) : PAGE;
        uint8_t *dst = pg->rl->b[pg->b].host + pg->off;
        if (!pg->need) {
            uint8_t tag = *p++;
            n--;
            if (tag > 1) {
                pg->bad = true;
                return;
            }
            if (tag == 1) {
                pg->need = plen;
                continue;
            }
            /* a zero page: leave untouched pages unallocated on the host */
            if (pg->apply && !page_is_zero(dst, plen))
                memset(dst, 0, plen);
        } else {
            size_t k = n < pg->need ? n : pg->need;
            if (pg->apply)
                memcpy(dst + (plen - pg->need), p, k);
            p += k;
            n -= k;
            pg->need -= k;
            if (pg->need)
                continue;
        }
        pg->off += PAGE;
        if (pg->off >= bsize) {
            pg->off = 0;
            pg->b++;
        }
    }
}

/* Inflate the memory stream; true when it is whole and exactly fills RAM. */
static int read_memory(BlockBackend *blk, const char *snap, uint64_t pos, uint64_t len,
                       const RamList *rl, bool apply, Error **errp)
{
    uint8_t *in = malloc(CHUNK), *out = malloc(CHUNK);
    if (!in || !out)
        pemu_abort("out of memory");
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (inflateInit(&z) != Z_OK)
        pemu_abort("zlib inflateInit failed");
    Pages pg = { rl, apply, 0, 0, 0, false };
    int r = 0, zr = Z_OK;
    for (uint64_t done = 0; r == 0 && zr != Z_STREAM_END && done < len;) {
        size_t n = len - done < CHUNK ? (size_t)(len - done) : CHUNK;
        if (blk_load_vmstate(blk, snap, in, pos + done, n, errp) < 0) {
            r = -1;
            break;
        }
        done += n;
        z.next_in = in;
        z.avail_in = (uInt)n;
        do {
            z.next_out = out;
            z.avail_out = CHUNK;
            zr = inflate(&z, Z_NO_FLUSH);
            if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR) {
                r = -1;
                break;
            }
            pages_feed(&pg, out, CHUNK - z.avail_out);
        } while (z.avail_out == 0 && zr != Z_STREAM_END);
    }
    inflateEnd(&z);
    free(in);
    free(out);
    if (r == 0 && (zr != Z_STREAM_END || pg.bad || pg.b != rl->n || pg.need)) {
        error_setg(errp, "snapshot '%s': its saved memory is damaged or incomplete", snap);
        r = -1;
    } else if (r < 0 && errp && !*errp) {
        error_setg(errp, "snapshot '%s': its saved memory is damaged (zlib: %s)", snap,
                   z.msg ? z.msg : "bad data");
    }
    return r;
}

int savevm_load(Machine *m, const char *name, Error **errp)
{
    Drives dr;
    RamList rl = { 0 };
    BlockSnapshotInfo sn;
    Header hd;
    if (writable_drives(m, &dr, errp) < 0)
        return -1;
    BlockBackend *vb = dr.d[0].blk;
    if (!blk_snapshot_find(vb, name, &sn)) {
        error_setg(errp, "Snapshot '%s' does not exist in device '%s'", name, dr.d[0].id);
        return -1;
    }
    if (!sn.vm_state_size) {
        error_setg(errp, "Snapshot '%s' is a disk-only snapshot: revert to it offline with "
                   "pemu-img snapshot -a", name);
        return -1;
    }
    for (int i = 1; i < dr.n; i++) {
        BlockSnapshotInfo other;
        if (!blk_snapshot_find(dr.d[i].blk, name, &other)) {
            error_setg(errp, "Snapshot '%s' does not exist in device '%s'", name, dr.d[i].id);
            return -1;
        }
    }
    memory_ram_block_foreach(ram_add, &rl);
    char *h = malloc(HEADER_SIZE + 1);
    if (!h)
        pemu_abort("out of memory");
    h[HEADER_SIZE] = 0;
    uint8_t *state = NULL;
    int r = -1;
    bool was_running = accel_vm_running();
    accel_vm_stop();
    if (rl.n > MAX_BLOCKS || HEADER_SIZE > sn.vm_state_size ||
        blk_load_vmstate(vb, name, h, 0, HEADER_SIZE, errp) < 0 ||
        header_parse(h, &hd, name, errp) < 0 || header_compare(&hd, m, &rl, name, errp) < 0)
        goto out;
    if (HEADER_SIZE + hd.state + hd.memory > sn.vm_state_size || hd.state > (256u << 20)) {
        error_setg(errp, "snapshot '%s': its VM state is shorter than its header says (the "
                   "image is damaged)", name);
        goto out;
    }
    state = malloc((size_t)hd.state);
    if (!state)
        pemu_abort("out of memory");
    if (blk_load_vmstate(vb, name, state, HEADER_SIZE, hd.state, errp) < 0)
        goto out;
    /* Everything is checked before anything changes. */
    VMStream *st = vmstate_mem_stream_open(state, (size_t)hd.state);
    int c = vmstate_check_all(st, errp);
    vmstate_stream_free(st);
    if (c < 0 ||
        read_memory(vb, name, HEADER_SIZE + hd.state, hd.memory, &rl, false, errp) < 0 ||
        quiesce(&dr, errp) < 0)
        goto out;
    /* Now the disks, RAM, and the devices and vCPUs. */
    for (int i = 0; i < dr.n; i++)
        if (blk_snapshot_goto(dr.d[i].blk, name, errp) < 0)
            goto out;
    if (read_memory(vb, name, HEADER_SIZE + hd.state, hd.memory, &rl, true, errp) < 0)
        goto out;
    for (unsigned i = 0; i < rl.n; i++)
        memory_ram_mark_dirty(rl.b[i].addr, rl.b[i].size);
    tb_flush();
    st = vmstate_mem_stream_open(state, (size_t)hd.state);
    r = vmstate_load_all(st, errp);
    vmstate_stream_free(st);
out:
    free(state);
    free(h);
    if (was_running)
        accel_vm_cont();
    return r;
}

int savevm_delete(Machine *m, const char *name, Error **errp)
{
    Drives dr;
    if (writable_drives(m, &dr, errp) < 0)
        return -1;
    bool found = false;
    for (int i = 0; i < dr.n; i++) {
        BlockSnapshotInfo sn;
        found |= blk_snapshot_find(dr.d[i].blk, name, &sn);
    }
    if (!found) {
        error_setg(errp, "Snapshot '%s' not found", name);
        return -1;
    }
    if (quiesce(&dr, errp) < 0)
        return -1;
    return delete_everywhere(&dr, name, errp);
}

void savevm_print_info(FILE *f, Machine *m)
{
    Drives dr;
    Error *err = NULL;
    if (writable_drives(m, &dr, &err) < 0) {
        fprintf(f, "%s\n", err->msg);
        error_free(err);
        return;
    }
    BlockSnapshotInfo *l;
    int n = blk_snapshot_list(dr.d[0].blk, &l);
    int shown = 0;
    /* A snapshot is loadable when every writable drive has it. */
    for (int i = 0; i < n; i++) {
        bool all = l[i].vm_state_size > 0;
        for (int k = 1; k < dr.n && all; k++) {
            BlockSnapshotInfo o;
            all = blk_snapshot_find(dr.d[k].blk, l[i].name, &o);
        }
        if (!all)
            continue;
        if (!shown++) {
            fprintf(f, "List of snapshots present on all disks:\n");
            bdrv_snapshot_dump(f, NULL);
        }
        BlockSnapshotInfo row = l[i];
        snprintf(row.id, sizeof(row.id), "--");
        bdrv_snapshot_dump(f, &row);
    }
    if (!shown)
        fprintf(f, "There is no snapshot available.\n");
    free(l);
    /* and, per drive, what cannot be loaded (QEMU's "partial" lists) */
    for (int k = 0; k < dr.n; k++) {
        BlockSnapshotInfo *dl;
        int dn = blk_snapshot_list(dr.d[k].blk, &dl), np = 0;
        for (int i = 0; i < dn; i++) {
            bool all = true;
            BlockSnapshotInfo o;
            for (int j = 0; j < dr.n && all; j++)
                all = blk_snapshot_find(dr.d[j].blk, dl[i].name, &o) &&
                      (j != 0 || o.vm_state_size > 0);
            if (all)
                continue;
            if (!np++) {
                fprintf(f, "\nList of partial (non-loadable) snapshots on '%s':\n", dr.d[k].id);
                bdrv_snapshot_dump(f, NULL);
            }
            bdrv_snapshot_dump(f, &dl[i]);
        }
        free(dl);
    }
}
