/*
 * qcow2 reference counts: the refcount table and blocks, cluster
 * allocation, and `check` (recount every reference, report and repair).
 *
 * Refcount blocks are kept in memory in their on-disk layout once loaded
 * (file size / 256 bytes at worst with 512-byte clusters) and written back
 * at flush, before the L2 tables that point at what they count. A data
 * cluster's refcount is the number of L1 tables (active + snapshots) that
 * reach it; an L2 table's is the number of L1 tables that point at it.
 */
#include "src/block/qcow2.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Refcount entry i of a block; widths below 8 bits pack LSB first. */
static uint64_t rb_get(const BDRVQcow2State *s, const uint8_t *rb, uint64_t i)
{
    switch (s->refcount_order) {
    case 3: return rb[i];
    case 4: return ld16_be(rb + 2 * i);
    case 5: return ld32_be(rb + 4 * i);
    case 6: return ld64_be(rb + 8 * i);
    default: {
        uint64_t bit = i << s->refcount_order;
        return (rb[bit >> 3] >> (bit & 7)) & s->refcount_max;
    }
    }
}

static void rb_set(const BDRVQcow2State *s, uint8_t *rb, uint64_t i, uint64_t v)
{
    switch (s->refcount_order) {
    case 3: rb[i] = (uint8_t)v; break;
    case 4: st16_be(rb + 2 * i, (uint16_t)v); break;
    case 5: st32_be(rb + 4 * i, (uint32_t)v); break;
    case 6: st64_be(rb + 8 * i, v); break;
    default: {
        uint64_t bit = i << s->refcount_order;
        uint8_t m = (uint8_t)(s->refcount_max << (bit & 7));
        rb[bit >> 3] = (uint8_t)((rb[bit >> 3] & ~m) | ((v << (bit & 7)) & m));
    }
    }
}

int qcow2_refcount_init(BDRVQcow2State *s, Error **errp)
{
    s->refcount_bits = 1 << s->refcount_order;
    s->refcount_max = s->refcount_bits == 64 ? UINT64_MAX
                                             : (1ull << s->refcount_bits) - 1;
    s->rb_bits = s->cluster_bits + 3 - s->refcount_order;
    s->rb_entries = 1ull << s->rb_bits;
    s->rt_size = ((uint64_t)s->rt_clusters << s->cluster_bits) / 8;
    s->rt = calloc(s->rt_size ? s->rt_size : 1, sizeof(uint64_t));
    s->rb = calloc(s->rt_size ? s->rt_size : 1, sizeof(uint8_t *));
    s->rb_dirty = calloc(s->rt_size ? s->rt_size : 1, sizeof(bool));
    if (!s->rt || !s->rb || !s->rb_dirty)
        pemu_abort("out of memory");
    if (!s->rt_size)
        return 0;
    uint8_t *buf = malloc(s->rt_size * 8);
    if (!buf)
        pemu_abort("out of memory");
    Error *err = NULL;
    int r = bdrv_file_pread(s->bs, s->rt_offset, buf, s->rt_size * 8, false, &err);
    if (r < 0) {
        error_setg(errp, "cannot read the refcount table at offset %#" PRIx64
                   ": %s", s->rt_offset, err->msg);
        error_free(err);
        free(buf);
        return r;
    }
    for (uint64_t i = 0; i < s->rt_size; i++)
        s->rt[i] = ld64_be(buf + 8 * i);
    free(buf);
    return 0;
}

void qcow2_refcount_close(BDRVQcow2State *s)
{
    free(s->frees);
    s->frees = NULL;
    s->nb_frees = s->cap_frees = 0;
    for (uint64_t i = 0; s->rb && i < s->rt_size; i++)
        free(s->rb[i]);
    free(s->rb);
    free(s->rb_dirty);
    free(s->rt);
    s->rb = NULL;
    s->rb_dirty = NULL;
    s->rt = NULL;
}

/* The loaded refcount block rti, or NULL when not allocated. */
static int rb_load(BDRVQcow2State *s, uint64_t rti, uint8_t **out, Error **errp)
{
    *out = NULL;
    if (rti >= s->rt_size || !(s->rt[rti] & REFT_OFFSET_MASK))
        return 0;
    if (!s->rb[rti]) {
        uint64_t off = s->rt[rti] & REFT_OFFSET_MASK;
        if (qcow2_offset_into_cluster(s, off)) {
            error_setg(errp, "refcount block %" PRIu64 " at offset %#" PRIx64
                       " is not cluster aligned (the image is corrupt; try "
                       "'pemu-img check -r all')", rti, off);
            return -EIO;
        }
        uint8_t *b = malloc(s->cluster_size);
        if (!b)
            pemu_abort("out of memory");
        Error *err = NULL;
        int r = bdrv_file_pread(s->bs, off, b, s->cluster_size, false, &err);
        if (r < 0) {
            error_setg(errp, "cannot read refcount block %" PRIu64 " at offset %#"
                       PRIx64 ": %s", rti, off, err->msg);
            error_free(err);
            free(b);
            return r;
        }
        s->rb[rti] = b;
    }
    *out = s->rb[rti];
    return 0;
}

int qcow2_get_refcount(BDRVQcow2State *s, uint64_t cluster, uint64_t *rc,
                       Error **errp)
{
    uint8_t *b;
    int r = rb_load(s, cluster >> s->rb_bits, &b, errp);
    if (r < 0)
        return r;
    *rc = b ? rb_get(s, b, cluster & (s->rb_entries - 1)) : 0;
    return 0;
}

static int is_free(BDRVQcow2State *s, uint64_t cluster, Error **errp)
{
    uint64_t rc;
    int r = qcow2_get_refcount(s, cluster, &rc, errp);
    if (r < 0)
        return r;
    if (s->check_refs && cluster < s->check_refs_n && s->check_refs[cluster])
        return 0;
    return rc == 0;
}

/* Grow the in-memory refcount table; it is relocated on disk at flush. */
static int grow_rt(BDRVQcow2State *s, uint64_t min_entries, Error **errp)
{
    uint64_t per = s->cluster_size / 8;
    uint64_t n = s->rt_size * 2 > min_entries ? s->rt_size * 2 : min_entries;
    n = (n + per - 1) / per * per;
    if (n * 8 > QCOW2_MAX_RT_BYTES) {
        error_setg(errp, "the refcount table would exceed %u MiB: the image "
                   "is too large for its cluster size", QCOW2_MAX_RT_BYTES >> 20);
        return -EFBIG;
    }
    uint64_t *rt = realloc(s->rt, n * sizeof(*rt));
    uint8_t **rb = realloc(s->rb, n * sizeof(*rb));
    if (!rt || !rb)
        pemu_abort("out of memory");
    bool *d = realloc(s->rb_dirty, n * sizeof(*d));
    if (!d)
        pemu_abort("out of memory");
    memset(rt + s->rt_size, 0, (n - s->rt_size) * sizeof(*rt));
    memset(rb + s->rt_size, 0, (n - s->rt_size) * sizeof(*rb));
    memset(d + s->rt_size, 0, (n - s->rt_size) * sizeof(*d));
    s->rt = rt;
    s->rb = rb;
    s->rb_dirty = d;
    s->rt_size = n;
    s->rt_relocate = true;
    s->rt_dirty = true;
    return 0;
}

static int set_rc_depth(BDRVQcow2State *s, uint64_t cluster, uint64_t rc, int depth,
                        Error **errp);

/* Allocate refcount block rti, placed in the first free cluster. */
static int create_refblock(BDRVQcow2State *s, uint64_t rti, int depth,
                           Error **errp)
{
    if (depth > 8) {
        error_setg(errp, "cannot place a new refcount block (internal error)");
        return -EIO;
    }
    if (rti >= s->rt_size) {
        int r = grow_rt(s, rti + 1, errp);
        if (r < 0)
            return r;
    }
    for (;;) {
        /* Cluster 0 is the header, whatever a corrupt refcount says. */
        uint64_t c = s->free_cluster_index ? s->free_cluster_index : 1;
        for (;;) {
            int f = is_free(s, c, errp);
            if (f < 0)
                return f;
            if (f)
                break;
            c++;
        }
        uint64_t crti = c >> s->rb_bits;
        if (crti != rti && (crti >= s->rt_size || !(s->rt[crti] & REFT_OFFSET_MASK))) {
            /* The free cluster is not counted anywhere yet: first give its
             * range a refcount block (which will cover itself). */
            int r = create_refblock(s, crti, depth + 1, errp);
            if (r < 0)
                return r;
            continue;
        }
        uint8_t *nb = calloc(1, s->cluster_size);
        if (!nb)
            pemu_abort("out of memory");
        s->rb[rti] = nb;
        s->rt[rti] = c << s->cluster_bits;
        s->rb_dirty[rti] = true;
        s->rt_dirty = true;
        return set_rc_depth(s, c, 1, depth + 1, errp);
    }
}

static int set_rc_depth(BDRVQcow2State *s, uint64_t cluster, uint64_t rc, int depth,
                        Error **errp)
{
    uint64_t rti = cluster >> s->rb_bits;
    uint8_t *b;
    int r = rb_load(s, rti, &b, errp);
    if (r < 0)
        return r;
    if (!b) {
        if (!rc)
            return 0;
        r = create_refblock(s, rti, depth, errp);
        if (r < 0)
            return r;
        r = rb_load(s, rti, &b, errp);
        if (r < 0)
            return r;
    }
    rb_set(s, b, cluster & (s->rb_entries - 1), rc);
    s->rb_dirty[rti] = true;
    if (!rc) {
        if (cluster && cluster < s->free_cluster_index)
            s->free_cluster_index = cluster;
        if (s->free_byte_offset && (s->free_byte_offset >> s->cluster_bits) == cluster)
            s->free_byte_offset = 0;
    }
    return 0;
}

static int set_rc(BDRVQcow2State *s, uint64_t cluster, uint64_t rc, Error **errp)
{
    return set_rc_depth(s, cluster, rc, 0, errp);
}

int qcow2_set_refcount(BDRVQcow2State *s, uint64_t cluster, uint64_t rc,
                       Error **errp)
{
    return set_rc(s, cluster, rc, errp);
}

int qcow2_update_refcount(BDRVQcow2State *s, uint64_t offset, uint64_t len,
                          int64_t delta, Error **errp)
{
    if (!len)
        return 0;
    uint64_t first = offset >> s->cluster_bits;
    uint64_t last = (offset + len - 1) >> s->cluster_bits;
    /* Validate every cluster first so that a failure changes nothing. */
    for (uint64_t c = first; c <= last; c++) {
        uint64_t rc;
        int r = qcow2_get_refcount(s, c, &rc, errp);
        if (r < 0)
            return r;
        if (delta < 0 && rc < (uint64_t)-delta) {
            error_setg(errp, "refcount underflow for cluster %" PRIu64 " at "
                       "offset %#" PRIx64 " (the image is corrupt; try "
                       "'pemu-img check -r all')", c, c << s->cluster_bits);
            return -EIO;
        }
        if (delta > 0 && s->refcount_max - rc < (uint64_t)delta) {
            error_setg(errp, "refcount overflow for cluster %" PRIu64 " (refcount"
                       " %" PRIu64 ", the maximum with refcount_bits=%d is %"
                       PRIu64 ")", c, rc, s->refcount_bits, s->refcount_max);
            return -ERANGE;
        }
    }
    for (uint64_t c = first; c <= last; c++) {
        uint64_t rc;
        int r = qcow2_get_refcount(s, c, &rc, errp);
        if (r >= 0)
            r = set_rc(s, c, rc + (uint64_t)delta, errp);
        if (r < 0)
            return r;
    }
    return 0;
}

int64_t qcow2_alloc_clusters(BDRVQcow2State *s, uint64_t n, Error **errp)
{
    for (int tries = 0; tries < 64; tries++) {
        if (!s->free_cluster_index)
            s->free_cluster_index = 1;      /* never the header cluster */
        uint64_t start = s->free_cluster_index, c = start, run = 0;
        uint64_t first_free = UINT64_MAX;
        while (run < n) {
            uint64_t rti = c >> s->rb_bits;
            if ((rti >= s->rt_size || !(s->rt[rti] & REFT_OFFSET_MASK)) && !s->check_refs) {
                /* No refcount block: its whole range is free at once. */
                uint64_t end = (rti + 1) << s->rb_bits;
                if (first_free == UINT64_MAX)
                    first_free = c;
                run += end - c;
                c = end;
                continue;
            }
            int f = is_free(s, c, errp);
            if (f < 0)
                return f;
            if (f) {
                if (first_free == UINT64_MAX)
                    first_free = c;
                run++;
            } else {
                run = 0;
                start = c + 1;
            }
            c++;
        }
        if ((start + n) > (1ull << (56 - s->cluster_bits))) {
            error_setg(errp, "the image file would grow beyond 64 PiB");
            return -EFBIG;
        }
        /* Every cluster of the run needs a refcount block first; creating
         * one may take a cluster of the run, so search again after it. */
        bool created = false;
        for (uint64_t i = start; i < start + n && !created; i++) {
            uint64_t rti = i >> s->rb_bits;
            if (rti >= s->rt_size || !(s->rt[rti] & REFT_OFFSET_MASK)) {
                int r = create_refblock(s, rti, 0, errp);
                if (r < 0)
                    return r;
                created = true;
            }
        }
        if (created)
            continue;
        for (uint64_t i = start; i < start + n; i++) {
            int r = set_rc(s, i, 1, errp);
            if (r < 0)
                return r;
        }
        /* Everything before the first free cluster seen is in use. */
        s->free_cluster_index = first_free == start ? start + n : first_free;
        return (int64_t)(start << s->cluster_bits);
    }
    error_setg(errp, "cluster allocation did not converge (internal error)");
    return -EIO;
}

/* Whether the n clusters from c are free and already have refcount
 * blocks (so taking them allocates nothing else). */
static int free_run(BDRVQcow2State *s, uint64_t c, uint64_t n, Error **errp)
{
    for (uint64_t i = c; i < c + n; i++) {
        uint64_t rti = i >> s->rb_bits;
        if (rti >= s->rt_size || !(s->rt[rti] & REFT_OFFSET_MASK))
            return 0;
        int f = is_free(s, i, errp);
        if (f <= 0)
            return f;
    }
    return 1;
}

int64_t qcow2_alloc_bytes(BDRVQcow2State *s, uint64_t size, Error **errp)
{
    uint64_t off = s->free_byte_offset;
    uint64_t in = qcow2_offset_into_cluster(s, off);
    if (off && in) {
        uint64_t rc, c = off >> s->cluster_bits;
        int r = qcow2_get_refcount(s, c, &rc, errp);
        if (r < 0)
            return r;
        /* Continue in the current cluster, and into the clusters right
         * after it when they are free, as QEMU packs compressed data. */
        uint64_t room = s->cluster_size - in;
        uint64_t more = size > room ? qcow2_size_to_clusters(s, size - room) : 0;
        int f = more ? free_run(s, c + 1, more, errp) : 1;
        if (f < 0)
            return f;
        if (rc >= 1 && rc < s->refcount_max && f) {
            r = qcow2_update_refcount(s, off, 1, 1, errp);
            for (uint64_t i = 1; r >= 0 && i <= more; i++)
                r = set_rc(s, c + i, 1, errp);
            if (r < 0)
                return r;
            s->free_byte_offset = off + size;
            if (!qcow2_offset_into_cluster(s, s->free_byte_offset))
                s->free_byte_offset = 0;
            return (int64_t)off;
        }
    }
    int64_t start = qcow2_alloc_clusters(s, qcow2_size_to_clusters(s, size), errp);
    if (start < 0)
        return start;
    s->free_byte_offset = (uint64_t)start + size;
    if (!qcow2_offset_into_cluster(s, s->free_byte_offset))
        s->free_byte_offset = 0;
    return start;
}

/* Bound on deferred decrements before a metadata flush is forced, so
 * that space is reused even when the guest never flushes. */
#define QCOW2_MAX_FREES 8192

int qcow2_free_deferred(BDRVQcow2State *s, uint64_t offset, uint64_t len,
                        Error **errp)
{
    if (!len)
        return 0;
    if (s->nb_frees == s->cap_frees) {
        size_t n = s->cap_frees ? 2 * s->cap_frees : 64;
        struct Qcow2Free *f = realloc(s->frees, n * sizeof(*f));
        if (!f)
            pemu_abort("out of memory");
        s->frees = f;
        s->cap_frees = n;
    }
    s->frees[s->nb_frees].off = offset;
    s->frees[s->nb_frees].len = len;
    s->nb_frees++;
    return s->nb_frees >= QCOW2_MAX_FREES ? qcow2_l2_flush(s, errp) : 0;
}

int qcow2_apply_frees(BDRVQcow2State *s, Error **errp)
{
    int r = 0;
    size_t i = 0;
    for (; i < s->nb_frees && r >= 0; i++)
        r = qcow2_update_refcount(s, s->frees[i].off, s->frees[i].len, -1, errp);
    /* A failed decrement (a corrupt image) is not retried. */
    memmove(s->frees, s->frees + i, (s->nb_frees - i) * sizeof(*s->frees));
    s->nb_frees -= i;
    return r;
}

int qcow2_free_l2_entry(BDRVQcow2State *s, uint64_t e, Error **errp)
{
    switch (qcow2_cluster_type(s, e)) {
    case QCOW2_CLUSTER_NORMAL:
    case QCOW2_CLUSTER_ZERO_ALLOC:
        return qcow2_free_deferred(s, e & L2E_OFFSET_MASK, 1, errp);
    case QCOW2_CLUSTER_COMPRESSED: {
        uint64_t start, len;
        qcow2_compressed_range(s, e, &start, &len);
        return qcow2_free_deferred(s, start, len, errp);
    }
    default:
        return 0;
    }
}

static int write_refblocks(BDRVQcow2State *s, Error **errp)
{
    for (uint64_t i = 0; i < s->rt_size; i++) {
        if (!s->rb_dirty[i] || !s->rb[i])
            continue;
        int r = bdrv_file_pwrite(s->bs, s->rt[i] & REFT_OFFSET_MASK, s->rb[i],
                                 s->cluster_size, errp);
        if (r < 0)
            return r;
        s->rb_dirty[i] = false;
    }
    return 0;
}

static int write_rt(BDRVQcow2State *s, uint64_t off, Error **errp)
{
    uint8_t *buf = malloc(s->rt_size * 8);
    if (!buf)
        pemu_abort("out of memory");
    for (uint64_t i = 0; i < s->rt_size; i++)
        st64_be(buf + 8 * i, s->rt[i]);
    int r = bdrv_file_pwrite(s->bs, off, buf, s->rt_size * 8, errp);
    free(buf);
    return r;
}

int qcow2_refcount_flush(BDRVQcow2State *s, Error **errp)
{
    int r;
    if (s->rt_relocate) {
        /* The new table's own clusters must be counted by it, so allocate
         * until the table stops growing. */
        int64_t off;
        uint64_t n;
        for (;;) {
            n = s->rt_size * 8 / s->cluster_size;
            off = qcow2_alloc_clusters(s, n, errp);
            if (off < 0)
                return (int)off;
            if (s->rt_size * 8 / s->cluster_size == n)
                break;
            r = qcow2_update_refcount(s, (uint64_t)off, n * s->cluster_size, -1, errp);
            if (r < 0)
                return r;
        }
        /* New blocks and the new table reach the disk before the header
         * points at them; the old table is freed once that is durable. */
        r = write_refblocks(s, errp);
        if (r >= 0)
            r = write_rt(s, (uint64_t)off, errp);
        if (r >= 0)
            r = qcow2_barrier(s, errp);
        if (r < 0)
            return r;
        uint64_t old = s->rt_offset, old_n = s->rt_clusters;
        s->rt_offset = (uint64_t)off;
        s->rt_clusters = (uint32_t)n;
        r = qcow2_write_header(s, errp);
        if (r < 0)
            return r;
        s->rt_relocate = false;
        s->rt_dirty = false;
        if (old_n) {
            r = qcow2_free_deferred(s, old, old_n << s->cluster_bits, errp);
            if (r < 0)
                return r;
        }
    }
    r = write_refblocks(s, errp);
    if (r < 0)
        return r;
    if (s->rt_dirty) {
        if (s->rt_relocate)
            return qcow2_refcount_flush(s, errp);
        /* A new block is on disk before the table entry naming it. */
        r = qcow2_barrier(s, errp);
        if (r >= 0)
            r = write_rt(s, s->rt_offset, errp);
        if (r < 0)
            return r;
        s->rt_dirty = false;
    }
    return 0;
}

/* ---- check ------------------------------------------------------------------ */

typedef struct CheckCtx {
    BDRVQcow2State *s;
    BlockCheckResult *res;
    uint64_t *refs;
    uint64_t nb;            /* clusters in the file */
    uint64_t file_size;
    bool quiet;
    uint64_t next_contig;
    uint64_t end_clusters;  /* 1 + the highest cluster in use or counted */
} CheckCtx;

#define CHECK_MSG(ctx, ...) do { if (!(ctx)->quiet) fprintf(stderr, __VA_ARGS__); } while (0)

/* Count one reference to every cluster of [off, off+len). */
static void inc_refs(CheckCtx *c, uint64_t off, uint64_t len, const char *what)
{
    if (!len)
        return;
    if (off >= c->file_size) {
        CHECK_MSG(c, "ERROR %s at offset %#" PRIx64 " is beyond the end of the "
                  "image file\n", what, off);
        c->res->corruptions++;
        return;
    }
    uint64_t first = off >> c->s->cluster_bits;
    uint64_t last = (off + len - 1) >> c->s->cluster_bits;
    for (uint64_t i = first; i <= last && i < c->nb; i++)
        c->refs[i]++;
}

static int check_l2(CheckCtx *c, uint64_t l2_off, bool active)
{
    BDRVQcow2State *s = c->s;
    uint8_t *l2 = malloc(s->cluster_size);
    if (!l2)
        pemu_abort("out of memory");
    Error *err = NULL;
    if (bdrv_file_pread(s->bs, l2_off, l2, s->cluster_size, false, &err) < 0) {
        CHECK_MSG(c, "ERROR cannot read L2 table at %#" PRIx64 ": %s\n", l2_off,
                  err->msg);
        error_free(err);
        c->res->check_errors++;
        free(l2);
        return -1;
    }
    c->next_contig = 0;     /* as QEMU counts it: within one L2 table */
    for (uint64_t i = 0; i < s->l2_entries; i++) {
        uint64_t e = qcow2_l2_get(s, l2, i);
        Qcow2ClusterType t = qcow2_cluster_type(s, e);
        if (t == QCOW2_CLUSTER_COMPRESSED) {
            uint64_t start, len;
            qcow2_compressed_range(s, e, &start, &len);
            inc_refs(c, start, len, "compressed cluster");
            if (active) {
                c->res->allocated_clusters++;
                c->res->compressed_clusters++;
                c->res->fragmented_clusters++;  /* sub-cluster by nature */
            }
        } else if (t == QCOW2_CLUSTER_NORMAL || t == QCOW2_CLUSTER_ZERO_ALLOC) {
            uint64_t off = e & L2E_OFFSET_MASK;
            if (qcow2_offset_into_cluster(s, off)) {
                CHECK_MSG(c, "ERROR offset=%" PRIx64 ": Cluster is not properly "
                          "aligned; L2 entry corrupted.\n", off);
                c->res->corruptions++;
                continue;
            }
            inc_refs(c, off, s->cluster_size, "data cluster");
            if (active) {
                c->res->allocated_clusters++;
                if (c->next_contig && off != c->next_contig)
                    c->res->fragmented_clusters++;
                c->next_contig = off + s->cluster_size;
            }
        }
    }
    free(l2);
    return 0;
}

static void check_l1(CheckCtx *c, uint64_t l1_off, uint32_t l1_size, bool active)
{
    BDRVQcow2State *s = c->s;
    if (!l1_size)
        return;
    if (qcow2_offset_into_cluster(s, l1_off)) {
        CHECK_MSG(c, "ERROR L1 table offset %#" PRIx64 " is not cluster aligned\n",
                  l1_off);
        c->res->corruptions++;
        return;
    }
    inc_refs(c, l1_off, (uint64_t)l1_size * 8, "L1 table");
    uint64_t *l1 = NULL;
    if (active) {
        l1 = s->l1;
    } else {
        uint8_t *raw = malloc((size_t)l1_size * 8);
        l1 = malloc((size_t)l1_size * 8);
        if (!raw || !l1)
            pemu_abort("out of memory");
        Error *err = NULL;
        if (bdrv_file_pread(s->bs, l1_off, raw, (size_t)l1_size * 8, false, &err) < 0) {
            CHECK_MSG(c, "ERROR cannot read snapshot L1 table at %#" PRIx64
                      ": %s\n", l1_off, err->msg);
            error_free(err);
            c->res->check_errors++;
            free(raw);
            free(l1);
            return;
        }
        for (uint32_t i = 0; i < l1_size; i++)
            l1[i] = ld64_be(raw + 8 * i);
        free(raw);
    }
    for (uint32_t i = 0; i < l1_size; i++) {
        uint64_t off = l1[i] & L1E_OFFSET_MASK;
        if (!off)
            continue;
        if (qcow2_offset_into_cluster(s, off)) {
            CHECK_MSG(c, "ERROR l2_offset=%" PRIx64 ": Table is not cluster "
                      "aligned; L1 entry corrupted\n", off);
            c->res->corruptions++;
            continue;
        }
        if (off >= c->file_size) {
            CHECK_MSG(c, "ERROR l2_offset=%" PRIx64 ": L2 table is beyond the end "
                      "of the image file\n", off);
            c->res->corruptions++;
            continue;
        }
        inc_refs(c, off, s->cluster_size, "L2 table");
        check_l2(c, off, active);
    }
    if (!active)
        free(l1);
}

/* Walk every structure and count references into c->refs. */
static int compute_refs(CheckCtx *c)
{
    BDRVQcow2State *s = c->s;
    free(c->refs);
    int64_t fs = bdrv_file_size(s->bs);
    if (fs < 0)
        return (int)fs;
    c->file_size = (uint64_t)fs;
    c->nb = qcow2_size_to_clusters(s, c->file_size);
    c->refs = calloc(c->nb ? c->nb : 1, sizeof(uint64_t));
    if (!c->refs)
        pemu_abort("out of memory");
    c->next_contig = 0;
    inc_refs(c, 0, s->cluster_size, "header");
    check_l1(c, s->l1_offset, s->l1_size, true);
    if (s->nb_snapshots) {
        uint64_t tsize = 0;
        for (uint32_t i = 0; i < s->nb_snapshots; i++) {
            Qcow2Snapshot *sn = &s->snapshots[i];
            uint64_t e = 40 + sn->extra_size + strlen(sn->id) + strlen(sn->name);
            tsize += (e + 7) & ~7ull;
        }
        inc_refs(c, s->snapshots_offset, tsize, "snapshot table");
        for (uint32_t i = 0; i < s->nb_snapshots; i++)
            check_l1(c, s->snapshots[i].l1_offset, s->snapshots[i].l1_size, false);
    }
    inc_refs(c, s->rt_offset, (uint64_t)s->rt_clusters << s->cluster_bits,
             "refcount table");
    for (uint64_t i = 0; i < s->rt_size; i++) {
        uint64_t off = s->rt[i] & REFT_OFFSET_MASK;
        if (!off)
            continue;
        if (qcow2_offset_into_cluster(s, off)) {
            CHECK_MSG(c, "ERROR refcount block %" PRIu64 " is not cluster "
                      "aligned; refcount table entry corrupted\n", i);
            c->res->corruptions++;
            continue;
        }
        if (off >= c->file_size) {
            CHECK_MSG(c, "ERROR refcount block %" PRIu64 " is outside image\n", i);
            c->res->corruptions++;
            continue;
        }
        inc_refs(c, off, s->cluster_size, "refcount block");
    }
    return 0;
}

/* Refcounts as stored vs. as counted; fix when asked. */
static void compare_refs(CheckCtx *c, int fix, int64_t *fixed_leaks,
                         int64_t *fixed_corr)
{
    BDRVQcow2State *s = c->s;
    /* Like QEMU, only clusters inside the file are compared. */
    uint64_t end = c->nb;
    s->check_refs = c->refs;
    s->check_refs_n = c->nb;
    for (uint64_t i = 0; i < end; i++) {
        uint64_t rti = i >> s->rb_bits;
        if (i >= c->nb && (rti >= s->rt_size || !(s->rt[rti] & REFT_OFFSET_MASK))) {
            i = ((rti + 1) << s->rb_bits) - 1;  /* skip a missing block */
            continue;
        }
        uint64_t stored, counted = i < c->nb ? c->refs[i] : 0;
        Error *err = NULL;
        if (counted)
            c->end_clusters = i + 1;
        if (qcow2_get_refcount(s, i, &stored, &err) < 0) {
            CHECK_MSG(c, "ERROR cannot get refcount of cluster %" PRIu64 ": %s\n",
                      i, err->msg);
            error_free(err);
            c->res->check_errors++;
            i = ((rti + 1) << s->rb_bits) - 1;
            continue;
        }
        if (stored)
            c->end_clusters = i + 1;
        if (stored == counted)
            continue;
        bool leak = stored > counted;
        bool repair = leak ? (fix & BDRV_FIX_LEAKS) : (fix & BDRV_FIX_ERRORS);
        if (counted > s->refcount_max)
            repair = false;
        CHECK_MSG(c, "%s cluster %" PRIu64 " refcount=%" PRIu64 " reference=%"
                  PRIu64 "\n", repair ? "Repairing" : leak ? "Leaked" : "ERROR",
                  i, stored, counted);
        if (repair && qcow2_set_refcount(s, i, counted, &err) == 0) {
            if (leak)
                (*fixed_leaks)++;
            else
                (*fixed_corr)++;
            continue;
        }
        if (err) {
            CHECK_MSG(c, "ERROR could not repair cluster %" PRIu64 ": %s\n", i,
                      err->msg);
            error_free(err);
            c->res->check_errors++;
        }
        if (leak)
            c->res->leaks++;
        else
            c->res->corruptions++;
    }
    s->check_refs = NULL;
    s->check_refs_n = 0;
}

/* OFLAG_COPIED must be set exactly where the refcount is 1. */
static void check_copied(CheckCtx *c, int fix, int64_t *fixed_corr)
{
    BDRVQcow2State *s = c->s;
    bool do_fix = fix & BDRV_FIX_ERRORS;
    for (uint32_t i = 0; i < s->l1_size; i++) {
        uint64_t l1e = s->l1[i], off = l1e & L1E_OFFSET_MASK, rc;
        if (!off || qcow2_offset_into_cluster(s, off) || off >= c->file_size)
            continue;
        Error *err = NULL;
        if (qcow2_get_refcount(s, off >> s->cluster_bits, &rc, &err) < 0) {
            error_free(err);
            c->res->check_errors++;
            continue;
        }
        if ((rc == 1) != !!(l1e & QCOW_OFLAG_COPIED)) {
            CHECK_MSG(c, "%s OFLAG_COPIED L2 cluster: l1_index=%u l1_entry=%"
                      PRIx64 " refcount=%" PRIu64 "\n",
                      do_fix ? "Repairing" : "ERROR", i, l1e, rc);
            if (do_fix) {
                s->l1[i] = rc == 1 ? l1e | QCOW_OFLAG_COPIED : l1e & ~QCOW_OFLAG_COPIED;
                if (qcow2_write_l1_entry(s, i, &err) < 0) {
                    error_free(err);
                    c->res->check_errors++;
                } else {
                    (*fixed_corr)++;
                }
            } else {
                c->res->corruptions++;
            }
        }
        int slot;
        if (qcow2_l2_load(s, off, &slot, &err) < 0) {
            error_free(err);
            c->res->check_errors++;
            continue;
        }
        for (uint64_t j = 0; j < s->l2_entries; j++) {
            uint8_t *l2 = s->l2c[slot].data;
            uint64_t e = qcow2_l2_get(s, l2, j);
            Qcow2ClusterType t = qcow2_cluster_type(s, e);
            if (t != QCOW2_CLUSTER_NORMAL && t != QCOW2_CLUSTER_ZERO_ALLOC)
                continue;
            uint64_t d = e & L2E_OFFSET_MASK;
            if (qcow2_offset_into_cluster(s, d) || d >= c->file_size)
                continue;
            if (qcow2_get_refcount(s, d >> s->cluster_bits, &rc, &err) < 0) {
                error_free(err);
                err = NULL;
                c->res->check_errors++;
                continue;
            }
            if ((rc == 1) != !!(e & QCOW_OFLAG_COPIED)) {
                CHECK_MSG(c, "%s OFLAG_COPIED data cluster: l2_entry=%" PRIx64
                          " refcount=%" PRIu64 "\n",
                          do_fix ? "Repairing" : "ERROR", e, rc);
                if (do_fix) {
                    qcow2_l2_set(s, l2, j, rc == 1 ? e | QCOW_OFLAG_COPIED
                                                   : e & ~QCOW_OFLAG_COPIED);
                    s->l2c[slot].dirty = true;
                    (*fixed_corr)++;
                } else {
                    c->res->corruptions++;
                }
            }
        }
    }
}

int qcow2_check(BlockDriverState *bs, BlockCheckResult *res, int fix,
                Error **errp)
{
    BDRVQcow2State *s = qcow2_state(bs);
    CheckCtx c = { .s = s, .res = res, .quiet = (fix & BDRV_CHECK_QUIET) != 0 };
    fix &= BDRV_FIX_LEAKS | BDRV_FIX_ERRORS;
    if (bs->read_only)
        fix = 0;
    if (!bs->read_only) {
        int r = qcow2_l2_flush(s, errp);
        if (r >= 0)
            r = qcow2_refcount_flush(s, errp);
        if (r < 0)
            return r;
    }
    memset(res, 0, sizeof(*res));
    int64_t fixed_leaks = 0, fixed_corr = 0;
    int r = compute_refs(&c);
    if (r < 0) {
        error_setg(errp, "cannot get the size of the image file");
        return r;
    }
    compare_refs(&c, fix, &fixed_leaks, &fixed_corr);
    check_copied(&c, fix, &fixed_corr);
    if (fix && (fixed_leaks || fixed_corr)) {
        /* Repairs may have added refcount blocks: count once more and
         * settle those quietly. */
        Error *err = NULL;
        for (int pass = 0; pass < 4; pass++) {
            if (qcow2_l2_flush(s, &err) < 0 || qcow2_refcount_flush(s, &err) < 0) {
                error_free(err);
                err = NULL;
                res->check_errors++;
                break;
            }
            BlockCheckResult tmp = { 0 };
            int64_t fl = 0, fc = 0;
            CheckCtx c2 = { .s = s, .res = &tmp, .quiet = true };
            if (compute_refs(&c2) < 0) {
                free(c2.refs);
                break;
            }
            compare_refs(&c2, fix, &fl, &fc);
            free(c2.refs);
            if (!fl && !fc)
                break;
        }
        if (qcow2_l2_flush(s, &err) < 0 || qcow2_refcount_flush(s, &err) < 0) {
            error_free(err);
            res->check_errors++;
        }
    }
    res->leaks_fixed = fixed_leaks;
    res->corruptions_fixed = fixed_corr;
    /* As QEMU reports it: the end of the last cluster either counted or
     * marked in use. */
    res->image_end_offset = (int64_t)(c.end_clusters << s->cluster_bits);
    res->total_clusters = (int64_t)qcow2_size_to_clusters(s, s->size);
    free(c.refs);
    return 0;
}

int qcow2_repair(BDRVQcow2State *s, Error **errp)
{
    BlockCheckResult res;
    int r = qcow2_check(s->bs, &res, BDRV_FIX_LEAKS | BDRV_FIX_ERRORS | BDRV_CHECK_QUIET, errp);
    if (r < 0)
        return r;
    if (res.corruptions || res.check_errors) {
        error_setg(errp, "the image was not closed cleanly and could not be "
                   "repaired (%" PRId64 " errors remain; see 'pemu-img check')",
                   res.corruptions + res.check_errors);
        return -EIO;
    }
    return 0;
}
