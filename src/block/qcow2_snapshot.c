/*
 * qcow2 internal snapshots: the snapshot table, and create / apply /
 * delete, which copy L1 tables and move references between them.
 */
#include "src/block/qcow2.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define SN_EXTRA_KNOWN 24           /* vm_state_size_large, disk_size, icount */
#define SN_MAX_EXTRA 1024
#define SN_TABLE_MAX (64u << 20)

void qcow2_free_snapshots(BDRVQcow2State *s)
{
    for (uint32_t i = 0; s->snapshots && i < s->nb_snapshots; i++) {
        free(s->snapshots[i].id);
        free(s->snapshots[i].name);
        free(s->snapshots[i].extra_unknown);
    }
    free(s->snapshots);
    s->snapshots = NULL;
}

static char *read_str(BDRVQcow2State *s, uint64_t off, uint32_t len, Error **errp)
{
    char *p = malloc((size_t)len + 1);
    if (!p)
        pemu_abort("out of memory");
    if (bdrv_file_pread(s->bs, off, p, len, false, errp) < 0) {
        free(p);
        return NULL;
    }
    p[len] = 0;
    return p;
}

int qcow2_read_snapshots(BDRVQcow2State *s, Error **errp)
{
    if (!s->nb_snapshots)
        return 0;
    s->snapshots = calloc(s->nb_snapshots, sizeof(Qcow2Snapshot));
    if (!s->snapshots)
        pemu_abort("out of memory");
    uint64_t off = s->snapshots_offset;
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        Qcow2Snapshot *sn = &s->snapshots[i];
        uint8_t h[40];
        Error *err = NULL;
        if (off - s->snapshots_offset > SN_TABLE_MAX) {
            error_setg(errp, "snapshot table is too large");
            goto fail;
        }
        if (bdrv_file_pread(s->bs, off, h, 40, false, &err) < 0)
            goto fail_io;
        sn->l1_offset = ld64_be(h);
        sn->l1_size = ld32_be(h + 8);
        uint32_t id_len = ld16_be(h + 12), name_len = ld16_be(h + 14);
        sn->date_sec = ld32_be(h + 16);
        sn->date_nsec = ld32_be(h + 20);
        sn->vm_clock_nsec = ld64_be(h + 24);
        sn->vm_state_size = ld32_be(h + 32);
        sn->extra_size = ld32_be(h + 36);
        sn->disk_size = s->size;
        sn->icount = UINT64_MAX;
        if (sn->extra_size > SN_MAX_EXTRA) {
            error_setg(errp, "snapshot %u has %u bytes of extra data (at most %u "
                       "are allowed)", i, sn->extra_size, SN_MAX_EXTRA);
            goto fail;
        }
        if ((uint64_t)sn->l1_size * 8 > QCOW2_MAX_L1_BYTES ||
            qcow2_offset_into_cluster(s, sn->l1_offset)) {
            error_setg(errp, "snapshot %u has an invalid L1 table (%u entries at "
                       "%#" PRIx64 ")", i, sn->l1_size, sn->l1_offset);
            goto fail;
        }
        off += 40;
        uint8_t extra[SN_MAX_EXTRA];
        if (bdrv_file_pread(s->bs, off, extra, sn->extra_size, false, &err) < 0)
            goto fail_io;
        if (sn->extra_size >= 8)
            sn->vm_state_size = ld64_be(extra);
        if (sn->extra_size >= 16)
            sn->disk_size = ld64_be(extra + 8);
        if (sn->extra_size >= 24)
            sn->icount = ld64_be(extra + 16);
        if (sn->extra_size > SN_EXTRA_KNOWN) {
            sn->extra_unknown = malloc(sn->extra_size - SN_EXTRA_KNOWN);
            if (!sn->extra_unknown)
                pemu_abort("out of memory");
            memcpy(sn->extra_unknown, extra + SN_EXTRA_KNOWN,
                   sn->extra_size - SN_EXTRA_KNOWN);
        }
        off += sn->extra_size;
        sn->id = read_str(s, off, id_len, &err);
        if (!sn->id)
            goto fail_io;
        off += id_len;
        sn->name = read_str(s, off, name_len, &err);
        if (!sn->name)
            goto fail_io;
        off += name_len;
        off = (off + 7) & ~7ull;
        continue;
fail_io:
        error_setg(errp, "cannot read snapshot table entry %u: %s", i, err->msg);
        error_free(err);
fail:
        s->nb_snapshots = i + 1;   /* free what was read */
        qcow2_free_snapshots(s);
        s->nb_snapshots = 0;
        return -EINVAL;
    }
    return 0;
}

static uint64_t sn_entry_size(const Qcow2Snapshot *sn)
{
    uint32_t extra = sn->extra_size > SN_EXTRA_KNOWN ? sn->extra_size : SN_EXTRA_KNOWN;
    return (40 + extra + strlen(sn->id) + strlen(sn->name) + 7) & ~7ull;
}

/* Write the table to new clusters, switch the header, free the old one. */
static int write_snapshot_table(BDRVQcow2State *s, Error **errp)
{
    uint64_t size = 0;
    for (uint32_t i = 0; i < s->nb_snapshots; i++)
        size += sn_entry_size(&s->snapshots[i]);
    int64_t off = 0;
    int r;
    if (size) {
        uint8_t *buf = calloc(1, size);
        if (!buf)
            pemu_abort("out of memory");
        uint8_t *p = buf;
        for (uint32_t i = 0; i < s->nb_snapshots; i++) {
            Qcow2Snapshot *sn = &s->snapshots[i];
            uint32_t extra = sn->extra_size > SN_EXTRA_KNOWN ? sn->extra_size
                                                             : SN_EXTRA_KNOWN;
            size_t il = strlen(sn->id), nl = strlen(sn->name);
            st64_be(p, sn->l1_offset);
            st32_be(p + 8, sn->l1_size);
            st16_be(p + 12, (uint16_t)il);
            st16_be(p + 14, (uint16_t)nl);
            st32_be(p + 16, sn->date_sec);
            st32_be(p + 20, sn->date_nsec);
            st64_be(p + 24, sn->vm_clock_nsec);
            st32_be(p + 32, sn->vm_state_size > UINT32_MAX ? 0
                                                           : (uint32_t)sn->vm_state_size);
            st32_be(p + 36, extra);
            st64_be(p + 40, sn->vm_state_size);
            st64_be(p + 48, sn->disk_size);
            st64_be(p + 56, sn->icount);
            if (extra > SN_EXTRA_KNOWN)
                memcpy(p + 40 + SN_EXTRA_KNOWN, sn->extra_unknown, extra - SN_EXTRA_KNOWN);
            memcpy(p + 40 + extra, sn->id, il);
            memcpy(p + 40 + extra + il, sn->name, nl);
            p += sn_entry_size(sn);
        }
        off = qcow2_alloc_clusters(s, qcow2_size_to_clusters(s, size), errp);
        if (off < 0) {
            free(buf);
            return (int)off;
        }
        r = bdrv_file_pwrite(s->bs, (uint64_t)off, buf, size, errp);
        free(buf);
        if (r < 0)
            return r;
    }
    r = qcow2_refcount_flush(s, errp);
    if (r >= 0)
        r = qcow2_barrier(s, errp);
    if (r < 0)
        return r;
    s->snapshots_offset = (uint64_t)off;
    return qcow2_write_header(s, errp);
}

/* Same, freeing the old table of old_size bytes at old_off. */
static int replace_snapshot_table(BDRVQcow2State *s, uint64_t old_off,
                                  uint64_t old_size, Error **errp)
{
    int r = write_snapshot_table(s, errp);
    if (r >= 0 && old_off && old_size)
        r = qcow2_free_deferred(s, old_off, old_size, errp);
    return r;
}

static uint64_t table_size(const BDRVQcow2State *s)
{
    uint64_t size = 0;
    for (uint32_t i = 0; i < s->nb_snapshots; i++)
        size += sn_entry_size(&s->snapshots[i]);
    return size;
}

int qcow2_update_l1_refcounts(BDRVQcow2State *s, const uint64_t *l1,
                              uint32_t l1_size, int delta, Error **errp)
{
    for (uint32_t i = 0; i < l1_size; i++) {
        uint64_t off = l1[i] & L1E_OFFSET_MASK;
        if (!off)
            continue;
        int slot;
        int r = qcow2_l2_load(s, off, &slot, errp);
        if (r < 0)
            return r;
        for (uint64_t j = 0; j < s->l2_entries; j++) {
            uint64_t e = qcow2_l2_get(s, s->l2c[slot].data, j);
            switch (qcow2_cluster_type(s, e)) {
            case QCOW2_CLUSTER_NORMAL:
            case QCOW2_CLUSTER_ZERO_ALLOC:
                r = qcow2_update_refcount(s, e & L2E_OFFSET_MASK, 1, delta, errp);
                break;
            case QCOW2_CLUSTER_COMPRESSED: {
                uint64_t st, len;
                qcow2_compressed_range(s, e, &st, &len);
                r = qcow2_update_refcount(s, st, len, delta, errp);
                break;
            }
            default:
                break;
            }
            if (r < 0)
                return r;
        }
        r = qcow2_update_refcount(s, off, 1, delta, errp);
        if (r < 0)
            return r;
    }
    return 0;
}

int qcow2_fix_copied_flags(BDRVQcow2State *s, Error **errp)
{
    for (uint32_t i = 0; i < s->l1_size; i++) {
        uint64_t off = s->l1[i] & L1E_OFFSET_MASK, rc;
        if (!off)
            continue;
        int r = qcow2_get_refcount(s, off >> s->cluster_bits, &rc, errp);
        if (r < 0)
            return r;
        uint64_t ne = rc == 1 ? s->l1[i] | QCOW_OFLAG_COPIED
                              : s->l1[i] & ~QCOW_OFLAG_COPIED;
        if (ne != s->l1[i]) {
            s->l1[i] = ne;
            r = qcow2_write_l1_entry(s, i, errp);
            if (r < 0)
                return r;
        }
        int slot;
        r = qcow2_l2_load(s, off, &slot, errp);
        if (r < 0)
            return r;
        for (uint64_t j = 0; j < s->l2_entries; j++) {
            uint8_t *l2 = s->l2c[slot].data;
            uint64_t e = qcow2_l2_get(s, l2, j), n = e;
            Qcow2ClusterType t = qcow2_cluster_type(s, e);
            if (t == QCOW2_CLUSTER_NORMAL || t == QCOW2_CLUSTER_ZERO_ALLOC) {
                r = qcow2_get_refcount(s, (e & L2E_OFFSET_MASK) >> s->cluster_bits,
                                       &rc, errp);
                if (r < 0)
                    return r;
                n = rc == 1 ? e | QCOW_OFLAG_COPIED : e & ~QCOW_OFLAG_COPIED;
            }
            if (n != e) {
                qcow2_l2_set(s, l2, j, n);
                s->l2c[slot].dirty = true;
            }
        }
    }
    return 0;
}

static int find_snapshot(BDRVQcow2State *s, const char *key)
{
    for (uint32_t i = 0; i < s->nb_snapshots; i++)
        if (!strcmp(s->snapshots[i].id, key))
            return (int)i;
    for (uint32_t i = 0; i < s->nb_snapshots; i++)
        if (!strcmp(s->snapshots[i].name, key))
            return (int)i;
    return -1;
}

static int flush_all(BDRVQcow2State *s, Error **errp)
{
    int r = qcow2_l2_flush(s, errp);
    if (r >= 0)
        r = qcow2_refcount_flush(s, errp);
    return r;
}

static int read_l1(BDRVQcow2State *s, uint64_t off, uint32_t n, uint64_t **out,
                   Error **errp)
{
    uint8_t *raw = malloc((size_t)n * 8 + 8);
    uint64_t *l1 = calloc((size_t)n + 1, 8);
    if (!raw || !l1)
        pemu_abort("out of memory");
    int r = bdrv_file_pread(s->bs, off, raw, (size_t)n * 8, false, errp);
    for (uint32_t i = 0; r >= 0 && i < n; i++)
        l1[i] = ld64_be(raw + 8ull * i);
    free(raw);
    if (r < 0) {
        free(l1);
        return r;
    }
    *out = l1;
    return 0;
}

int qcow2_snapshot_create(BlockDriverState *bs, const BlockSnapshotInfo *info,
                          Error **errp)
{
    BDRVQcow2State *s = qcow2_state(bs);
    if (s->nb_snapshots >= QCOW2_MAX_SNAPSHOTS) {
        error_setg(errp, "too many snapshots (at most %d)", QCOW2_MAX_SNAPSHOTS);
        return -EFBIG;
    }
    if (s->refcount_max < 2) {
        error_setg(errp, "internal snapshots need refcounts of at least 2 bits "
                   "(this image has refcount_bits=%d)", s->refcount_bits);
        return -ENOTSUP;
    }
    if (strlen(info->name) > 65535 || strlen(info->id) > 65535) {
        error_setg(errp, "snapshot name too long");
        return -EINVAL;
    }
    if (info->name[0] && find_snapshot(s, info->name) >= 0) {
        error_setg(errp, "a snapshot named '%s' already exists", info->name);
        return -EEXIST;
    }
    char id[32];
    if (info->id[0]) {
        snprintf(id, sizeof(id), "%.31s", info->id);
    } else {
        unsigned long max = 0;
        for (uint32_t i = 0; i < s->nb_snapshots; i++) {
            unsigned long v = strtoul(s->snapshots[i].id, NULL, 10);
            if (v > max)
                max = v;
        }
        snprintf(id, sizeof(id), "%lu", max + 1);
    }
    int r = qcow2_mark_dirty(s, errp);
    if (r >= 0)
        r = flush_all(s, errp);
    if (r < 0)
        return r;
    uint64_t old_off = s->snapshots_offset, old_size = table_size(s);

    /* The snapshot's own copy of the active L1 table. */
    uint64_t l1_bytes = (uint64_t)s->l1_size * 8;
    int64_t l1_off = 0;
    if (l1_bytes) {
        l1_off = qcow2_alloc_clusters(s, qcow2_size_to_clusters(s, l1_bytes), errp);
        if (l1_off < 0)
            return (int)l1_off;
        uint8_t *buf = malloc(l1_bytes);
        if (!buf)
            pemu_abort("out of memory");
        for (uint32_t i = 0; i < s->l1_size; i++)
            st64_be(buf + 8ull * i, s->l1[i]);
        r = bdrv_file_pwrite(bs, (uint64_t)l1_off, buf, l1_bytes, errp);
        free(buf);
        if (r < 0)
            return r;
    }
    r = qcow2_update_l1_refcounts(s, s->l1, s->l1_size, 1, errp);
    if (r >= 0)
        r = qcow2_fix_copied_flags(s, errp);
    if (r < 0)
        return r;

    Qcow2Snapshot *t = realloc(s->snapshots, (s->nb_snapshots + 1) * sizeof(*t));
    if (!t)
        pemu_abort("out of memory");
    s->snapshots = t;
    Qcow2Snapshot *sn = &t[s->nb_snapshots];
    memset(sn, 0, sizeof(*sn));
    sn->l1_offset = (uint64_t)l1_off;
    sn->l1_size = s->l1_size;
    sn->id = malloc(strlen(id) + 1);
    sn->name = malloc(strlen(info->name) + 1);
    if (!sn->id || !sn->name)
        pemu_abort("out of memory");
    strcpy(sn->id, id);
    strcpy(sn->name, info->name);
    sn->date_sec = info->date_sec;
    sn->date_nsec = info->date_nsec;
    sn->vm_clock_nsec = info->vm_clock_nsec;
    sn->vm_state_size = info->vm_state_size;
    sn->disk_size = s->size;
    sn->icount = info->icount;
    sn->extra_size = SN_EXTRA_KNOWN;
    s->nb_snapshots++;
    r = replace_snapshot_table(s, old_off, old_size, errp);
    if (r >= 0)
        r = flush_all(s, errp);
    return r;
}

int qcow2_snapshot_goto(BlockDriverState *bs, const char *key, Error **errp)
{
    BDRVQcow2State *s = qcow2_state(bs);
    int idx = find_snapshot(s, key);
    if (idx < 0) {
        error_setg(errp, "Can't find the snapshot '%s'", key);
        return -ENOENT;
    }
    Qcow2Snapshot *sn = &s->snapshots[idx];
    int r = qcow2_mark_dirty(s, errp);
    if (r >= 0)
        r = flush_all(s, errp);
    if (r < 0)
        return r;
    uint64_t *snl1;
    r = read_l1(s, sn->l1_offset, sn->l1_size, &snl1, errp);
    if (r < 0)
        return r;
    if (sn->l1_size > s->l1_size && (r = qcow2_grow_l1(s, sn->l1_size, errp)) < 0) {
        free(snl1);
        return r;
    }
    /* Take the snapshot's references before dropping the active ones, so
     * shared clusters never reach zero. */
    r = qcow2_update_l1_refcounts(s, snl1, sn->l1_size, 1, errp);
    uint64_t *old = malloc((size_t)s->l1_size * 8 + 8);
    if (!old)
        pemu_abort("out of memory");
    memcpy(old, s->l1, (size_t)s->l1_size * 8);
    uint32_t old_n = s->l1_size;
    if (r >= 0) {
        for (uint32_t i = 0; i < s->l1_size; i++)
            s->l1[i] = i < sn->l1_size ? snl1[i] : 0;
        uint8_t *buf = calloc(1, (size_t)s->l1_size * 8 + 8);
        if (!buf)
            pemu_abort("out of memory");
        for (uint32_t i = 0; i < s->l1_size; i++)
            st64_be(buf + 8ull * i, s->l1[i]);
        r = bdrv_file_pwrite(bs, s->l1_offset, buf, (size_t)s->l1_size * 8, errp);
        free(buf);
    }
    if (r >= 0)
        r = qcow2_update_l1_refcounts(s, old, old_n, -1, errp);
    free(old);
    free(snl1);
    if (r >= 0)
        r = qcow2_fix_copied_flags(s, errp);
    if (r >= 0 && sn->disk_size != s->size) {
        s->size = sn->disk_size;
        r = qcow2_write_header(s, errp);
    }
    s->dbuf_entry = 0;
    if (r >= 0)
        r = flush_all(s, errp);
    return r;
}

int qcow2_snapshot_delete(BlockDriverState *bs, const char *key, Error **errp)
{
    BDRVQcow2State *s = qcow2_state(bs);
    int idx = find_snapshot(s, key);
    if (idx < 0) {
        error_setg(errp, "Can't find the snapshot '%s'", key);
        return -ENOENT;
    }
    int r = qcow2_mark_dirty(s, errp);
    if (r >= 0)
        r = flush_all(s, errp);
    if (r < 0)
        return r;
    Qcow2Snapshot sn = s->snapshots[idx];
    uint64_t old_off = s->snapshots_offset, old_size = table_size(s);
    memmove(&s->snapshots[idx], &s->snapshots[idx + 1],
            (s->nb_snapshots - (uint32_t)idx - 1) * sizeof(Qcow2Snapshot));
    s->nb_snapshots--;
    r = replace_snapshot_table(s, old_off, old_size, errp);
    uint64_t *l1 = NULL;
    if (r >= 0)
        r = read_l1(s, sn.l1_offset, sn.l1_size, &l1, errp);
    if (r >= 0)
        r = qcow2_update_l1_refcounts(s, l1, sn.l1_size, -1, errp);
    if (r >= 0 && sn.l1_size)
        r = qcow2_update_refcount(s, sn.l1_offset, (uint64_t)sn.l1_size * 8, -1, errp);
    free(l1);
    free(sn.id);
    free(sn.name);
    free(sn.extra_unknown);
    if (r >= 0)
        r = qcow2_fix_copied_flags(s, errp);
    if (r >= 0)
        r = flush_all(s, errp);
    return r;
}

int qcow2_snapshot_list(BlockDriverState *bs, BlockSnapshotInfo **list)
{
    BDRVQcow2State *s = qcow2_state(bs);
    BlockSnapshotInfo *l = calloc(s->nb_snapshots + 1, sizeof(*l));
    if (!l)
        pemu_abort("out of memory");
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        Qcow2Snapshot *sn = &s->snapshots[i];
        snprintf(l[i].id, sizeof(l[i].id), "%s", sn->id);
        snprintf(l[i].name, sizeof(l[i].name), "%s", sn->name);
        l[i].vm_state_size = sn->vm_state_size;
        l[i].date_sec = sn->date_sec;
        l[i].date_nsec = sn->date_nsec;
        l[i].vm_clock_nsec = sn->vm_clock_nsec;
        l[i].icount = sn->icount;
    }
    *list = l;
    return (int)s->nb_snapshots;
}

/* ---- the VM state area ----------------------------------------------------------- */

/*
 * As QEMU places it: at the first guest offset an L1 entry of its own
 * starts past the end of a disk of disk_size bytes. The active L1 table
 * grows over it while savevm writes, snapshot_create copies those
 * entries along, and the active image drops them again afterwards.
 */
static uint64_t vmstate_offset(const BDRVQcow2State *s, uint64_t disk_size)
{
    uint64_t span = 1ull << (s->l2_bits + s->cluster_bits);
    return (disk_size + span - 1) / span * span;
}

int qcow2_save_vmstate(BlockDriverState *bs, const void *buf, uint64_t pos,
                       uint64_t len, Error **errp)
{
    BDRVQcow2State *s = qcow2_state(bs);
    return bs->drv->pwrite(bs, vmstate_offset(s, s->size) + pos, len, buf, errp);
}

int qcow2_discard_vmstate(BlockDriverState *bs, uint64_t len, Error **errp)
{
    BDRVQcow2State *s = qcow2_state(bs);
    len = (len + s->cluster_size - 1) & ~(uint64_t)(s->cluster_size - 1);
    return len ? bs->drv->pdiscard(bs, vmstate_offset(s, s->size), len, errp) : 0;
}

int qcow2_load_vmstate(BlockDriverState *bs, const char *key, void *buf, uint64_t pos,
                       uint64_t len, Error **errp)
{
    BDRVQcow2State *s = qcow2_state(bs);
    int idx = find_snapshot(s, key);
    if (idx < 0) {
        error_setg(errp, "Can't find the snapshot '%s'", key);
        return -ENOENT;
    }
    Qcow2Snapshot *sn = &s->snapshots[idx];
    if (pos > sn->vm_state_size || len > sn->vm_state_size - pos) {
        error_setg(errp, "%s: snapshot '%s' holds %" PRIu64 " bytes of VM state, not %" PRIu64,
                   bs->filename, key, sn->vm_state_size, pos + len);
        return -EINVAL;
    }
    /* Read through the snapshot's L1 table in place of the active one,
     * in memory only: the read path writes nothing, and the L2 cache is
     * keyed by table offset, so it stays right for both. */
    uint64_t *snl1;
    int r = flush_all(s, errp);
    if (r < 0)
        return r;
    r = read_l1(s, sn->l1_offset, sn->l1_size, &snl1, errp);
    if (r < 0)
        return r;
    uint64_t *active = s->l1;
    uint32_t active_n = s->l1_size;
    s->l1 = snl1;
    s->l1_size = sn->l1_size;
    r = bs->drv->pread(bs, vmstate_offset(s, sn->disk_size) + pos, len, buf, errp);
    s->l1 = active;
    s->l1_size = active_n;
    s->dbuf_entry = 0;
    free(snl1);
    return r;
}
