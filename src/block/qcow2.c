/*
 * qcow2 images (version 2 = compat 0.10, version 3 = compat 1.1): the
 * header and its extensions, L1/L2 mapping with a small write-back L2
 * cache, copy-on-write, zero clusters, discard, zlib/zstd compressed
 * clusters, resize and create. Refcounts live in qcow2_refcount.c and
 * internal snapshots in qcow2_snapshot.c. Format facts: QEMU's
 * docs/interop/qcow2.txt.
 */
/* Large files on 32-bit hosts too: off_t is 64 bits with this. */
#include "src/block/qcow2.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#ifdef CONFIG_ZSTD
#include <zstd.h>
#endif

/* ---- entries --------------------------------------------------------------- */

Qcow2ClusterType qcow2_cluster_type(const BDRVQcow2State *s, uint64_t e)
{
    if (e & QCOW_OFLAG_COMPRESSED)
        return QCOW2_CLUSTER_COMPRESSED;
    uint64_t off = e & L2E_OFFSET_MASK;
    if (!s->ext_l2 && (e & QCOW_OFLAG_ZERO))
        return off ? QCOW2_CLUSTER_ZERO_ALLOC : QCOW2_CLUSTER_ZERO_PLAIN;
    return off ? QCOW2_CLUSTER_NORMAL : QCOW2_CLUSTER_UNALLOCATED;
}

void qcow2_compressed_range(const BDRVQcow2State *s, uint64_t e,
                            uint64_t *start, uint64_t *len)
{
    uint64_t coff = e & s->coffset_mask;
    uint64_t nsec = ((e >> s->csize_shift) & s->csize_mask) + 1;
    *start = coff & ~511ull;
    *len = nsec * 512;
}

uint64_t qcow2_l2_get(const BDRVQcow2State *s, const uint8_t *l2, uint64_t i)
{
    return ld64_be(l2 + i * (uint64_t)s->l2_entry_bytes);
}

void qcow2_l2_set(const BDRVQcow2State *s, uint8_t *l2, uint64_t i, uint64_t e)
{
    st64_be(l2 + i * (uint64_t)s->l2_entry_bytes, e);
}

/* ---- header -------------------------------------------------------------------- */

int qcow2_write_header(BDRVQcow2State *s, Error **errp)
{
    uint8_t *h = s->header_raw;
    st32_be(h + 0, QCOW2_MAGIC);
    st32_be(h + 4, s->version);
    st32_be(h + 20, (uint32_t)s->cluster_bits);
    st64_be(h + 24, s->size);
    st32_be(h + 36, s->l1_size);
    st64_be(h + 40, s->l1_offset);
    st64_be(h + 48, s->rt_offset);
    st32_be(h + 56, s->rt_clusters);
    st32_be(h + 60, s->nb_snapshots);
    st64_be(h + 64, s->snapshots_offset);
    if (s->version >= 3) {
        st64_be(h + 72, s->incompat);
        st64_be(h + 80, s->compat);
        st64_be(h + 88, s->autoclear);
        st32_be(h + 96, (uint32_t)s->refcount_order);
        st32_be(h + 100, s->header_length);
        if (s->header_length > 104)
            h[104] = s->compression_type;
    }
    return bdrv_file_pwrite(s->bs, 0, h, s->header_length, errp);
}

int qcow2_mark_dirty(BDRVQcow2State *s, Error **errp)
{
    if (s->dirty_marked || s->version < 3 ||
        !(s->compat & QCOW2_COMPAT_LAZY_REFCOUNTS) ||
        (s->incompat & QCOW2_INCOMPAT_DIRTY))
        return 0;
    s->incompat |= QCOW2_INCOMPAT_DIRTY;
    int r = qcow2_write_header(s, errp);
    if (r >= 0)
        r = bdrv_file_sync(s->bs, errp);
    if (r >= 0)
        s->dirty_marked = true;
    return r;
}

static const struct { uint8_t type, bit; const char *name; } feature_names[] = {
    { 0, 0, "dirty bit" },
    { 0, 1, "corrupt bit" },
    { 0, 2, "external data file" },
    { 0, 3, "compression type" },
    { 0, 4, "extended L2 entries" },
    { 1, 0, "lazy refcounts" },
    { 2, 0, "bitmaps" },
    { 2, 1, "raw external data" },
};

/*
 * Cluster 0 after the fixed header: extensions (backing format, feature
 * names when they fit, the unknown ones we keep), the end marker, then
 * the backing file name. Returns the bytes used or -1 if it cannot fit.
 */
static int build_header_cluster(BDRVQcow2State *s, uint8_t *buf,
                                const char *backing, const char *backing_fmt,
                                bool with_features)
{
    uint64_t cs = s->cluster_size;
    memset(buf, 0, cs);
    memcpy(buf, s->header_raw, s->header_length);
    uint64_t p = s->header_length;
#define EXT_ROOM(len) (p + 8 + (((uint64_t)(len) + 7) & ~7ull) + 8 <= cs)
    if (backing_fmt && *backing_fmt) {
        size_t n = strlen(backing_fmt);
        if (!EXT_ROOM(n))
            return -1;
        st32_be(buf + p, QCOW2_EXT_BACKING_FMT);
        st32_be(buf + p + 4, (uint32_t)n);
        memcpy(buf + p + 8, backing_fmt, n);
        p += 8 + ((n + 7) & ~7ull);
    }
    for (int i = 0; i < s->nb_exts; i++) {
        if (!EXT_ROOM(s->exts[i].len))
            return -1;
        st32_be(buf + p, s->exts[i].type);
        st32_be(buf + p + 4, s->exts[i].len);
        memcpy(buf + p + 8, s->exts[i].data, s->exts[i].len);
        p += 8 + (((uint64_t)s->exts[i].len + 7) & ~7ull);
    }
    size_t ftlen = PEMU_ARRAY_SIZE(feature_names) * 48;
    /* QEMU leaves the table out of clusters below 8 KiB; so do we. */
    if (with_features && s->version >= 3 && cs >= 8192 && EXT_ROOM(ftlen) &&
        p + 8 + ftlen + 8 + (backing ? strlen(backing) : 0) <= cs) {
        st32_be(buf + p, QCOW2_EXT_FEATURES);
        st32_be(buf + p + 4, (uint32_t)ftlen);
        for (size_t i = 0; i < PEMU_ARRAY_SIZE(feature_names); i++) {
            uint8_t *e = buf + p + 8 + 48 * i;
            e[0] = feature_names[i].type;
            e[1] = feature_names[i].bit;
            memcpy(e + 2, feature_names[i].name, strlen(feature_names[i].name));
        }
        p += 8 + ftlen;
    }
#undef EXT_ROOM
    p += 8;     /* end of extensions: type 0, length 0 */
    if (backing && *backing) {
        size_t n = strlen(backing);
        if (n > 1023 || p + n > cs)
            return -1;
        memcpy(buf + p, backing, n);
        st64_be(buf + 8, p);
        st32_be(buf + 16, (uint32_t)n);
        p += n;
    } else {
        st64_be(buf + 8, 0);
        st32_be(buf + 16, 0);
    }
    return (int)p;
}

static int rewrite_header_cluster(BDRVQcow2State *s, const char *backing,
                                  const char *backing_fmt, Error **errp)
{
    uint8_t *buf = malloc(s->cluster_size);
    if (!buf)
        pemu_abort("out of memory");
    int n = build_header_cluster(s, buf, backing, backing_fmt, true);
    if (n < 0) {
        error_setg(errp, "the header extensions and the backing file name do "
                   "not fit in the first cluster (%" PRIu64 " bytes)",
                   s->cluster_size);
        free(buf);
        return -ENOSPC;
    }
    memcpy(s->header_raw + 8, buf + 8, 12);     /* backing offset and size */
    int r = qcow2_write_header(s, errp);
    /* The whole rest of cluster 0, so nothing stale survives there. */
    if (r >= 0)
        r = bdrv_file_pwrite(s->bs, s->header_length, buf + s->header_length,
                             s->cluster_size - s->header_length, errp);
    free(buf);
    return r;
}

/* ---- L2 cache -------------------------------------------------------------------- */

static int l2_write_slot(BDRVQcow2State *s, int i, Error **errp)
{
    if (!s->l2c[i].dirty)
        return 0;
    int r = bdrv_file_pwrite(s->bs, s->l2c[i].offset, s->l2c[i].data,
                             s->cluster_size, errp);
    if (r >= 0)
        s->l2c[i].dirty = false;
    return r;
}

int qcow2_barrier(BDRVQcow2State *s, Error **errp)
{
    return bdrv_file_sync(s->bs, errp);
}

int qcow2_l2_flush(BDRVQcow2State *s, Error **errp)
{
    bool any = false;
    for (int i = 0; i < QCOW2_L2_CACHE; i++)
        any |= s->l2c[i].dirty;
    if (!any && !s->nb_frees)
        return 0;
    /* Data and refcount increments reach the disk before the tables that
     * use the clusters... */
    int r = qcow2_refcount_flush(s, errp);
    if (r >= 0 && any)
        r = qcow2_barrier(s, errp);
    for (int i = 0; r >= 0 && i < QCOW2_L2_CACHE; i++)
        r = l2_write_slot(s, i, errp);
    /* ...and decrements only once no table on disk uses the clusters. */
    if (r >= 0 && s->nb_frees) {
        r = qcow2_barrier(s, errp);
        if (r >= 0)
            r = qcow2_apply_frees(s, errp);
        if (r >= 0)
            r = qcow2_refcount_flush(s, errp);
    }
    return r;
}

void qcow2_l2_drop_cache(BDRVQcow2State *s)
{
    for (int i = 0; i < QCOW2_L2_CACHE; i++) {
        s->l2c[i].offset = 0;
        s->l2c[i].dirty = false;
    }
}

/* A free slot (the least recently used one, written back if dirty). */
static int l2_victim(BDRVQcow2State *s, Error **errp)
{
    int v = 0;
    for (int i = 0; i < QCOW2_L2_CACHE; i++) {
        if (!s->l2c[i].offset) {
            v = i;
            break;
        }
        if (s->l2c[i].stamp < s->l2c[v].stamp)
            v = i;
    }
    if (s->l2c[v].dirty) {
        int r = qcow2_refcount_flush(s, errp);
        if (r >= 0)
            r = qcow2_barrier(s, errp);
        if (r >= 0)
            r = l2_write_slot(s, v, errp);
        if (r < 0)
            return r;
    }
    if (!s->l2c[v].data) {
        s->l2c[v].data = malloc(s->cluster_size);
        if (!s->l2c[v].data)
            pemu_abort("out of memory");
    }
    s->l2c[v].offset = 0;
    return v;
}

int qcow2_l2_load(BDRVQcow2State *s, uint64_t off, int *slot, Error **errp)
{
    for (int i = 0; i < QCOW2_L2_CACHE; i++) {
        if (s->l2c[i].offset == off) {
            s->l2c[i].stamp = ++s->l2_stamp;
            *slot = i;
            return 0;
        }
    }
    if (qcow2_offset_into_cluster(s, off)) {
        error_setg(errp, "L2 table offset %#" PRIx64 " is not cluster aligned "
                   "(the image is corrupt)", off);
        return -EIO;
    }
    int v = l2_victim(s, errp);
    if (v < 0)
        return v;
    Error *err = NULL;
    int r = bdrv_file_pread(s->bs, off, s->l2c[v].data, s->cluster_size, false, &err);
    if (r < 0) {
        error_setg(errp, "cannot read the L2 table at offset %#" PRIx64 ": %s",
                   off, err->msg);
        error_free(err);
        return r;
    }
    s->l2c[v].offset = off;
    s->l2c[v].dirty = false;
    s->l2c[v].stamp = ++s->l2_stamp;
    *slot = v;
    return 0;
}

int qcow2_write_l1_entry(BDRVQcow2State *s, uint32_t i, Error **errp)
{
    uint8_t b[8];
    st64_be(b, s->l1[i]);
    return bdrv_file_pwrite(s->bs, s->l1_offset + 8ull * i, b, 8, errp);
}

int qcow2_grow_l1(BDRVQcow2State *s, uint32_t min_size, Error **errp)
{
    if (min_size <= s->l1_size)
        return 0;
    if ((uint64_t)min_size * 8 > QCOW2_MAX_L1_BYTES) {
        error_setg(errp, "the L1 table would exceed %u MiB: use a bigger "
                   "cluster_size for a disk this large", QCOW2_MAX_L1_BYTES >> 20);
        return -EFBIG;
    }
    uint64_t bytes = (uint64_t)min_size * 8;
    uint64_t n = qcow2_size_to_clusters(s, bytes);
    int64_t off = qcow2_alloc_clusters(s, n, errp);
    if (off < 0)
        return (int)off;
    uint64_t *l1 = realloc(s->l1, n * s->cluster_size);
    uint8_t *buf = calloc(1, n * s->cluster_size);
    if (!l1 || !buf)
        pemu_abort("out of memory");
    memset(l1 + s->l1_size, 0, (min_size - s->l1_size) * 8ull);
    for (uint32_t i = 0; i < min_size; i++)
        st64_be(buf + 8ull * i, l1[i]);
    s->l1 = l1;
    int r = qcow2_refcount_flush(s, errp);
    if (r >= 0)
        r = bdrv_file_pwrite(s->bs, (uint64_t)off, buf, bytes, errp);
    free(buf);
    if (r >= 0)
        r = qcow2_barrier(s, errp);
    if (r < 0)
        return r;
    uint64_t old = s->l1_offset, old_bytes = (uint64_t)s->l1_size * 8;
    s->l1_offset = (uint64_t)off;
    s->l1_size = min_size;
    r = qcow2_write_header(s, errp);
    if (r < 0)
        return r;
    if (old && old_bytes)
        r = qcow2_free_deferred(s, old, old_bytes, errp);
    return r;
}

/* ---- lookups ------------------------------------------------------------------------ */

static uint32_t l1_index(const BDRVQcow2State *s, uint64_t guest)
{
    return (uint32_t)(guest >> (s->l2_bits + s->cluster_bits));
}

static uint64_t l2_index(const BDRVQcow2State *s, uint64_t guest)
{
    return (guest >> s->cluster_bits) & (s->l2_entries - 1);
}

/* The L2 entry (and the subcluster bitmap) for a guest offset; 0 if none. */
static int get_entry(BDRVQcow2State *s, uint64_t guest, uint64_t *e,
                     uint64_t *bitmap, Error **errp)
{
    *e = 0;
    if (bitmap)
        *bitmap = 0;
    uint32_t i = l1_index(s, guest);
    if (i >= s->l1_size)
        return 0;
    uint64_t off = s->l1[i] & L1E_OFFSET_MASK;
    if (!off)
        return 0;
    int slot;
    int r = qcow2_l2_load(s, off, &slot, errp);
    if (r < 0)
        return r;
    uint64_t j = l2_index(s, guest);
    *e = qcow2_l2_get(s, s->l2c[slot].data, j);
    if (bitmap && s->ext_l2)
        *bitmap = ld64_be(s->l2c[slot].data + j * 16 + 8);
    return 0;
}

/* The L2 table for a guest offset, allocated or copied so it is writable. */
static int get_l2_for_write(BDRVQcow2State *s, uint64_t guest, int *slot,
                            Error **errp)
{
    uint32_t i = l1_index(s, guest);
    if (i >= s->l1_size) {
        int r = qcow2_grow_l1(s, i + 1, errp);
        if (r < 0)
            return r;
    }
    uint64_t l1e = s->l1[i], old = l1e & L1E_OFFSET_MASK;
    if (old && (l1e & QCOW_OFLAG_COPIED))
        return qcow2_l2_load(s, old, slot, errp);
    if (old) {
        uint64_t rc;
        int r = qcow2_get_refcount(s, old >> s->cluster_bits, &rc, errp);
        if (r < 0)
            return r;
        if (rc == 1) {
            s->l1[i] = l1e | QCOW_OFLAG_COPIED;
            r = qcow2_write_l1_entry(s, i, errp);
            return r < 0 ? r : qcow2_l2_load(s, old, slot, errp);
        }
    }
    /* A new table: empty, or a copy of a table shared with a snapshot. */
    uint8_t *tmp = calloc(1, s->cluster_size);
    if (!tmp)
        pemu_abort("out of memory");
    int r = 0;
    if (old) {
        int os;
        r = qcow2_l2_load(s, old, &os, errp);
        if (r >= 0)
            memcpy(tmp, s->l2c[os].data, s->cluster_size);
    }
    int64_t noff = r < 0 ? r : qcow2_alloc_clusters(s, 1, errp);
    if (noff < 0) {
        free(tmp);
        return (int)noff;
    }
    r = qcow2_refcount_flush(s, errp);
    if (r >= 0)
        r = bdrv_file_pwrite(s->bs, (uint64_t)noff, tmp, s->cluster_size, errp);
    int v = r < 0 ? r : l2_victim(s, errp);
    /* The table and its refcount are durable before the L1 entry. */
    if (v >= 0 && (r = qcow2_barrier(s, errp)) < 0)
        v = r;
    if (v < 0) {
        free(tmp);
        return v;
    }
    memcpy(s->l2c[v].data, tmp, s->cluster_size);
    free(tmp);
    s->l2c[v].offset = (uint64_t)noff;
    s->l2c[v].dirty = false;
    s->l2c[v].stamp = ++s->l2_stamp;
    s->l1[i] = (uint64_t)noff | QCOW_OFLAG_COPIED;
    r = qcow2_write_l1_entry(s, i, errp);
    if (r >= 0 && old)
        r = qcow2_free_deferred(s, old, s->cluster_size, errp);
    *slot = v;
    return r;
}

/* ---- compression ---------------------------------------------------------------- */

/* Compress one cluster into dst (cap bytes); the size, or -1 if it does
 * not shrink. zlib streams are raw deflate with a 4 KiB window (what QEMU
 * reads back); zstd streams are plain frames. */
static long compress_cluster(BDRVQcow2State *s, uint8_t *dst, size_t cap,
                             const uint8_t *src, size_t len)
{
    if (s->compression_type == QCOW2_COMPRESS_ZSTD) {
#ifdef CONFIG_ZSTD
        size_t n = ZSTD_compress(dst, cap, src, len, ZSTD_CLEVEL_DEFAULT);
        return ZSTD_isError(n) || n >= cap ? -1 : (long)n;
#else
        return -1;
#endif
    }
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -12, 9,
                     Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    z.next_in = (Bytef *)(uintptr_t)src;
    z.avail_in = (uInt)len;
    z.next_out = dst;
    z.avail_out = (uInt)cap;
    int r = deflate(&z, Z_FINISH);
    long n = (long)(cap - z.avail_out);
    deflateEnd(&z);
    return r == Z_STREAM_END && (size_t)n < cap ? n : -1;
}

static int decompress_cluster(BDRVQcow2State *s, uint8_t *dst, const uint8_t *src,
                              size_t len)
{
    if (s->compression_type == QCOW2_COMPRESS_ZSTD) {
#ifdef CONFIG_ZSTD
        ZSTD_DStream *d = ZSTD_createDStream();
        if (!d)
            return -1;
        ZSTD_initDStream(d);
        ZSTD_inBuffer in = { src, len, 0 };
        ZSTD_outBuffer out = { dst, s->cluster_size, 0 };
        /* Decompression stops once a cluster is produced: the last sector
         * may hold the start of the next compressed cluster. */
        while (out.pos < out.size) {
            size_t r = ZSTD_decompressStream(d, &out, &in);
            if (ZSTD_isError(r) || (r == 0 && out.pos < out.size) ||
                (in.pos == in.size && out.pos < out.size))
                break;
        }
        ZSTD_freeDStream(d);
        return out.pos == out.size ? 0 : -1;
#else
        return -1;
#endif
    }
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (inflateInit2(&z, -15) != Z_OK)
        return -1;
    z.next_in = (Bytef *)(uintptr_t)src;
    z.avail_in = (uInt)len;
    z.next_out = dst;
    z.avail_out = (uInt)s->cluster_size;
    int r = inflate(&z, Z_FINISH);
    int ok = (r == Z_STREAM_END || r == Z_BUF_ERROR || r == Z_OK) && z.avail_out == 0;
    inflateEnd(&z);
    return ok ? 0 : -1;
}

/* The guest data of a compressed cluster, cached in s->dbuf. */
static int read_compressed(BDRVQcow2State *s, uint64_t e, Error **errp)
{
    if (s->dbuf_entry == e)
        return 0;
    uint64_t coff = e & s->coffset_mask;
    uint64_t nsec = ((e >> s->csize_shift) & s->csize_mask) + 1;
    uint64_t csize = nsec * 512 - (coff & 511);
    Error *err = NULL;
    int r = bdrv_file_pread(s->bs, coff, s->cbuf, csize, true, &err);
    if (r < 0) {
        error_setg(errp, "cannot read compressed cluster at %#" PRIx64 ": %s",
                   coff, err->msg);
        error_free(err);
        return r;
    }
    s->dbuf_entry = 0;
    if (decompress_cluster(s, s->dbuf, s->cbuf, csize) < 0) {
        error_setg(errp, "%s: compressed cluster at offset %#" PRIx64 " cannot be "
                   "decompressed (%s data is corrupt)", s->bs->filename, coff,
                   s->compression_type ? "zstd" : "zlib");
        return -EIO;
    }
    s->dbuf_entry = e;
    return 0;
}

/* ---- reads ---------------------------------------------------------------------- */

static int read_backing(BlockDriverState *bs, uint64_t off, uint64_t n,
                        uint8_t *buf, Error **errp)
{
    BDRVQcow2State *s = qcow2_state(bs);
    /* Nothing past our own end comes from the backing file. */
    uint64_t in = off < s->size ? (s->size - off < n ? s->size - off : n) : 0;
    int r = bdrv_backing_pread(bs, off, in, buf, errp);
    memset(buf + in, 0, n - in);
    return r;
}

static int qcow2_pread(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                       void *buf, Error **errp)
{
    BDRVQcow2State *s = qcow2_state(bs);
    uint8_t *p = buf;
    while (bytes) {
        uint64_t in = qcow2_offset_into_cluster(s, offset);
        uint64_t n = s->cluster_size - in;
        if (n > bytes)
            n = bytes;
        uint64_t e, bitmap;
        int r = get_entry(s, offset, &e, &bitmap, errp);
        if (r < 0)
            return r;
        Qcow2ClusterType t = qcow2_cluster_type(s, e);
        if (s->ext_l2 && t == QCOW2_CLUSTER_UNALLOCATED)
            t = QCOW2_CLUSTER_NORMAL;   /* decided per subcluster below */
        switch (t) {
        case QCOW2_CLUSTER_UNALLOCATED:
            r = read_backing(bs, offset, n, p, errp);
            break;
        case QCOW2_CLUSTER_ZERO_PLAIN:
        case QCOW2_CLUSTER_ZERO_ALLOC:
            memset(p, 0, n);
            break;
        case QCOW2_CLUSTER_COMPRESSED:
            r = read_compressed(s, e, errp);
            if (r >= 0)
                memcpy(p, s->dbuf + in, n);
            break;
        case QCOW2_CLUSTER_NORMAL: {
            uint64_t host = e & L2E_OFFSET_MASK;
            if (qcow2_offset_into_cluster(s, host)) {
                error_setg(errp, "%s: data cluster offset %#" PRIx64 " is not "
                           "cluster aligned (the image is corrupt)", bs->filename,
                           host);
                return -EIO;
            }
            if (s->ext_l2) {
                /* Subclusters: allocated, zero, or from the backing file. */
                uint64_t scs = 1ull << s->subcluster_bits;
                int k = (int)(in >> s->subcluster_bits);
                uint64_t end = ((uint64_t)k + 1) * scs - in;
                if (n > end)
                    n = end;
                if (bitmap & (1ull << k))
                    r = bdrv_file_pread(bs, host + in, p, n, true, errp);
                else if (bitmap & (1ull << (32 + k)))
                    memset(p, 0, n);
                else
                    r = read_backing(bs, offset, n, p, errp);
                break;
            }
            /* Following clusters stored right after this one: one read. */
            while (n < bytes && in + n == s->cluster_size * ((in + n) >> s->cluster_bits)) {
                uint64_t e2, m = bytes - n < s->cluster_size ? bytes - n : s->cluster_size;
                r = get_entry(s, offset + n, &e2, NULL, errp);
                if (r < 0)
                    return r;
                if (qcow2_cluster_type(s, e2) != QCOW2_CLUSTER_NORMAL ||
                    (e2 & L2E_OFFSET_MASK) != host + in + n)
                    break;
                n += m;
            }
            r = bdrv_file_pread(bs, host + in, p, n, true, errp);
            break;
        }
        }
        if (r < 0)
            return r;
        p += n;
        offset += n;
        bytes -= n;
    }
    return 0;
}

/* The current guest content of one cluster (for copy-on-write). */
static int read_cluster_for_cow(BlockDriverState *bs, uint64_t guest, uint64_t e,
                                uint8_t *buf, Error **errp)
{
    BDRVQcow2State *s = qcow2_state(bs);
    switch (qcow2_cluster_type(s, e)) {
    case QCOW2_CLUSTER_UNALLOCATED:
        return read_backing(bs, guest, s->cluster_size, buf, errp);
    case QCOW2_CLUSTER_ZERO_PLAIN:
    case QCOW2_CLUSTER_ZERO_ALLOC:
        memset(buf, 0, s->cluster_size);
        return 0;
    case QCOW2_CLUSTER_COMPRESSED: {
        int r = read_compressed(s, e, errp);
        if (r >= 0)
            memcpy(buf, s->dbuf, s->cluster_size);
        return r;
    }
    default:
        return bdrv_file_pread(bs, e & L2E_OFFSET_MASK, buf, s->cluster_size,
                               true, errp);
    }
}

/* ---- writes ---------------------------------------------------------------------- */

static int write_cluster(BlockDriverState *bs, uint64_t guest, uint64_t in,
                         uint64_t n, const uint8_t *data, Error **errp)
{
    BDRVQcow2State *s = qcow2_state(bs);
    int slot;
    int r = get_l2_for_write(s, guest, &slot, errp);
    if (r < 0)
        return r;
    uint64_t j = l2_index(s, guest);
    uint64_t e = qcow2_l2_get(s, s->l2c[slot].data, j);
    Qcow2ClusterType t = qcow2_cluster_type(s, e);
    if (t == QCOW2_CLUSTER_NORMAL && (e & QCOW_OFLAG_COPIED)) {
        uint64_t host = e & L2E_OFFSET_MASK;
        if (qcow2_offset_into_cluster(s, host)) {
            error_setg(errp, "%s: data cluster offset %#" PRIx64 " is not cluster "
                       "aligned (the image is corrupt)", bs->filename, host);
            return -EIO;
        }
        return bdrv_file_pwrite(bs, host + in, data, n, errp);
    }
    const uint8_t *src = data;
    uint8_t *buf = NULL;
    if (n != s->cluster_size) {
        buf = malloc(s->cluster_size);
        if (!buf)
            pemu_abort("out of memory");
        r = read_cluster_for_cow(bs, guest, e, buf, errp);
        if (r < 0) {
            free(buf);
            return r;
        }
        memcpy(buf + in, data, n);
        src = buf;
    }
    bool reuse = t == QCOW2_CLUSTER_ZERO_ALLOC && (e & QCOW_OFLAG_COPIED);
    int64_t host = reuse ? (int64_t)(e & L2E_OFFSET_MASK)
                         : qcow2_alloc_clusters(s, 1, errp);
    if (host < 0) {
        free(buf);
        return (int)host;
    }
    r = bdrv_file_pwrite(bs, (uint64_t)host, src, s->cluster_size, errp);
    free(buf);
    if (r < 0)
        return r;
    /* The slot is still ours: nothing above touched the L2 cache. */
    qcow2_l2_set(s, s->l2c[slot].data, j, (uint64_t)host | QCOW_OFLAG_COPIED);
    s->l2c[slot].dirty = true;
    if (!reuse)
        r = qcow2_free_l2_entry(s, e, errp);
    if (t == QCOW2_CLUSTER_COMPRESSED && s->dbuf_entry == e)
        s->dbuf_entry = 0;
    return r;
}

static int check_writable(BlockDriverState *bs, Error **errp)
{
    BDRVQcow2State *s = qcow2_state(bs);
    return qcow2_mark_dirty(s, errp);
}

/*
 * Whole clusters that hold nothing yet (unallocated or plain zero, so no
 * copy-on-write is needed) and share an L2 table: one contiguous
 * allocation and one write for all of them. Returns the bytes written,
 * 0 when the fast path does not apply.
 */
static int64_t write_fresh_run(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                               const uint8_t *p, Error **errp)
{
    BDRVQcow2State *s = qcow2_state(bs);
    if (qcow2_offset_into_cluster(s, offset) || bytes < 2 * s->cluster_size || s->ext_l2)
        return 0;
    int slot;
    int r = get_l2_for_write(s, offset, &slot, errp);
    if (r < 0)
        return r;
    uint64_t j = l2_index(s, offset), k = 0;
    uint64_t maxk = bytes >> s->cluster_bits;
    if (maxk > s->l2_entries - j)
        maxk = s->l2_entries - j;
    while (k < maxk) {
        uint64_t e = qcow2_l2_get(s, s->l2c[slot].data, j + k);
        if (e && e != QCOW_OFLAG_ZERO)
            break;
        k++;
    }
    if (k < 2)
        return 0;
    int64_t host = qcow2_alloc_clusters(s, k, errp);     /* leaves the L2 cache alone */
    if (host < 0)
        return host;
    r = bdrv_file_pwrite(bs, (uint64_t)host, p, k << s->cluster_bits, errp);
    if (r < 0)
        return r;
    for (uint64_t i = 0; i < k; i++)
        qcow2_l2_set(s, s->l2c[slot].data, j + i,
                     ((uint64_t)host + (i << s->cluster_bits)) | QCOW_OFLAG_COPIED);
    s->l2c[slot].dirty = true;
    return (int64_t)(k << s->cluster_bits);
}

static int qcow2_pwrite(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                        const void *buf, Error **errp)
{
    BDRVQcow2State *s = qcow2_state(bs);
    int r = check_writable(bs, errp);
    const uint8_t *p = buf;
    while (r >= 0 && bytes) {
        int64_t done = write_fresh_run(bs, offset, bytes, p, errp);
        if (done < 0)
            return (int)done;
        if (done) {
            p += done;
            offset += (uint64_t)done;
            bytes -= (uint64_t)done;
            continue;
        }
        uint64_t in = qcow2_offset_into_cluster(s, offset);
        uint64_t n = s->cluster_size - in < bytes ? s->cluster_size - in : bytes;
        r = write_cluster(bs, offset - in, in, n, p, errp);
        p += n;
        offset += n;
        bytes -= n;
    }
    return r < 0 ? r : 0;
}

/* Store clen bytes of compressed data as the cluster at guest offset. */
static int store_compressed(BlockDriverState *bs, uint64_t offset, const uint8_t *cdata,
                            uint64_t clen, Error **errp)
{
    BDRVQcow2State *s = qcow2_state(bs);
    int slot;
    int r = get_l2_for_write(s, offset, &slot, errp);
    int64_t host = r < 0 ? r : qcow2_alloc_bytes(s, clen, errp);
    if (host < 0)
        return (int)host;
    r = bdrv_file_pwrite(bs, (uint64_t)host, cdata, (size_t)clen, errp);
    if (r < 0)
        return r;
    uint64_t j = l2_index(s, offset);
    uint64_t old = qcow2_l2_get(s, s->l2c[slot].data, j);
    uint64_t nsec = (((uint64_t)host + clen - 1) >> 9) - ((uint64_t)host >> 9);
    qcow2_l2_set(s, s->l2c[slot].data, j, QCOW_OFLAG_COMPRESSED |
                 (nsec << s->csize_shift) | (uint64_t)host);
    s->l2c[slot].dirty = true;
    s->dbuf_entry = 0;
    return qcow2_free_l2_entry(s, old, errp);
}

static int check_compressed_range(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                                  Error **errp)
{
    BDRVQcow2State *s = qcow2_state(bs);
    if (qcow2_offset_into_cluster(s, offset) ||
        (bytes % s->cluster_size && offset + bytes != s->size)) {
        error_setg(errp, "%s: compressed writes must cover whole clusters",
                   bs->filename);
        return -EINVAL;
    }
    return check_writable(bs, errp);
}

static int qcow2_pwrite_compressed(BlockDriverState *bs, uint64_t offset,
                                   uint64_t bytes, const void *buf, Error **errp)
{
    BDRVQcow2State *s = qcow2_state(bs);
    int r = check_compressed_range(bs, offset, bytes, errp);
    const uint8_t *p = buf;
    uint8_t *tmp = malloc(s->cluster_size);
    if (!tmp)
        pemu_abort("out of memory");
    while (r >= 0 && bytes) {
        uint64_t n = bytes < s->cluster_size ? bytes : s->cluster_size;
        const uint8_t *src = p;
        if (n < s->cluster_size) {      /* the image's last, short cluster */
            memset(tmp, 0, s->cluster_size);
            memcpy(tmp, p, n);
            src = tmp;
        }
        long clen = compress_cluster(s, s->cbuf, s->cluster_size, src,
                                     s->cluster_size);
        if (clen < 0)
            r = write_cluster(bs, offset, 0, n, p, errp);   /* incompressible */
        else
            r = store_compressed(bs, offset, s->cbuf, (uint64_t)clen, errp);
        p += n;
        offset += n;
        bytes -= n;
    }
    free(tmp);
    return r < 0 ? r : 0;
}

static long qcow2_compress(BlockDriverState *bs, void *dst, size_t cap, const void *src)
{
    BDRVQcow2State *s = qcow2_state(bs);
    return compress_cluster(s, dst, cap < s->cluster_size ? cap : s->cluster_size, src,
                            s->cluster_size);
}

static int qcow2_pwrite_precompressed(BlockDriverState *bs, uint64_t offset,
                                      uint64_t bytes, const void *cdata, size_t clen,
                                      Error **errp)
{
    BDRVQcow2State *s = qcow2_state(bs);
    int r = check_compressed_range(bs, offset, bytes, errp);
    if (r >= 0 && (bytes > s->cluster_size || !clen || clen >= s->cluster_size)) {
        error_setg(errp, "%s: a precompressed write is one cluster of less than "
                   "%" PRIu64 " bytes", bs->filename, s->cluster_size);
        r = -EINVAL;
    }
    return r < 0 ? r : store_compressed(bs, offset, cdata, clen, errp);
}

/* Replace the entry of a whole cluster by e, dropping the old reference. */
static int set_whole_cluster(BlockDriverState *bs, uint64_t guest, uint64_t ne,
                             bool keep_alloc, Error **errp)
{
    BDRVQcow2State *s = qcow2_state(bs);
    int slot;
    int r = get_l2_for_write(s, guest, &slot, errp);
    if (r < 0)
        return r;
    uint64_t j = l2_index(s, guest);
    uint64_t e = qcow2_l2_get(s, s->l2c[slot].data, j);
    Qcow2ClusterType t = qcow2_cluster_type(s, e);
    if (keep_alloc && (e & QCOW_OFLAG_COPIED) &&
        (t == QCOW2_CLUSTER_NORMAL || t == QCOW2_CLUSTER_ZERO_ALLOC)) {
        qcow2_l2_set(s, s->l2c[slot].data, j,
                     (e & L2E_OFFSET_MASK) | QCOW_OFLAG_COPIED | QCOW_OFLAG_ZERO);
        s->l2c[slot].dirty = true;
        return 0;
    }
    qcow2_l2_set(s, s->l2c[slot].data, j, ne);
    s->l2c[slot].dirty = true;
    if (t == QCOW2_CLUSTER_COMPRESSED && s->dbuf_entry == e)
        s->dbuf_entry = 0;
    return qcow2_free_l2_entry(s, e, errp);
}

static int qcow2_pwrite_zeroes(BlockDriverState *bs, uint64_t offset,
                               uint64_t bytes, int flags, Error **errp)
{
    BDRVQcow2State *s = qcow2_state(bs);
    int r = check_writable(bs, errp);
    uint8_t *zero = NULL;
    while (r >= 0 && bytes) {
        uint64_t in = qcow2_offset_into_cluster(s, offset);
        uint64_t n = s->cluster_size - in < bytes ? s->cluster_size - in : bytes;
        bool whole = !in && (n == s->cluster_size || offset + n >= s->size);
        uint64_t e;
        r = get_entry(s, offset, &e, NULL, errp);
        if (r < 0)
            break;
        Qcow2ClusterType t = qcow2_cluster_type(s, e);
        bool reads_zero = t == QCOW2_CLUSTER_ZERO_PLAIN || t == QCOW2_CLUSTER_ZERO_ALLOC ||
                          (t == QCOW2_CLUSTER_UNALLOCATED && !bs->backing);
        if (reads_zero && !(whole && (flags & BDRV_REQ_MAY_UNMAP) &&
                            t == QCOW2_CLUSTER_ZERO_ALLOC)) {
            /* already zero */
        } else if (whole && s->version >= 3) {
            r = set_whole_cluster(bs, offset, QCOW_OFLAG_ZERO,
                                  !(flags & BDRV_REQ_MAY_UNMAP), errp);
        } else if (whole && !bs->backing && (flags & BDRV_REQ_MAY_UNMAP)) {
            r = set_whole_cluster(bs, offset, 0, false, errp);
        } else {
            if (!zero) {
                zero = calloc(1, s->cluster_size);
                if (!zero)
                    pemu_abort("out of memory");
            }
            r = write_cluster(bs, offset - in, in, n, zero, errp);
        }
        offset += n;
        bytes -= n;
    }
    free(zero);
    return r < 0 ? r : 0;
}

static int qcow2_pdiscard(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                          Error **errp)
{
    BDRVQcow2State *s = qcow2_state(bs);
    int r = check_writable(bs, errp);
    while (r >= 0 && bytes) {
        uint64_t in = qcow2_offset_into_cluster(s, offset);
        uint64_t n = s->cluster_size - in < bytes ? s->cluster_size - in : bytes;
        bool whole = !in && (n == s->cluster_size || offset + n >= s->size);
        uint64_t e;
        r = get_entry(s, offset, &e, NULL, errp);
        if (r >= 0 && whole && (e || (bs->backing && s->version >= 3))) {
            Qcow2ClusterType t = qcow2_cluster_type(s, e);
            /* As QEMU: v3 images read discarded clusters as zeros (never
             * the backing file's data); v2 ones just drop them. */
            uint64_t ne = s->version >= 3 ? QCOW_OFLAG_ZERO : 0;
            if (!(t == QCOW2_CLUSTER_ZERO_PLAIN && ne))
                r = set_whole_cluster(bs, offset, ne, false, errp);
        }
        offset += n;
        bytes -= n;
    }
    return r < 0 ? r : 0;
}

static int qcow2_block_status(BlockDriverState *bs, uint64_t offset,
                              uint64_t bytes, uint64_t *pnum, uint64_t *map,
                              Error **errp)
{
    BDRVQcow2State *s = qcow2_state(bs);
    int st0 = -1;
    uint64_t host0 = 0, done = 0;
    *map = 0;
    while (done < bytes) {
        uint64_t off = offset + done;
        uint64_t in = qcow2_offset_into_cluster(s, off);
        uint64_t n = s->cluster_size - in < bytes - done ? s->cluster_size - in
                                                        : bytes - done;
        uint64_t e, bitmap;
        uint32_t l1i = l1_index(s, off);
        if (l1i >= s->l1_size || !(s->l1[l1i] & L1E_OFFSET_MASK)) {
            /* No L2 table: the whole range it would map is unallocated. */
            uint64_t span = s->l2_entries << s->cluster_bits;
            uint64_t left = span - (off & (span - 1));
            n = left < bytes - done ? left : bytes - done;
        }
        int r = get_entry(s, off, &e, &bitmap, errp);
        if (r < 0)
            return r;
        int st;
        uint64_t host = (e & L2E_OFFSET_MASK) + in;
        Qcow2ClusterType t = qcow2_cluster_type(s, e);
        if (s->ext_l2 && t == QCOW2_CLUSTER_UNALLOCATED)
            t = QCOW2_CLUSTER_NORMAL;   /* the subcluster bitmap decides */
        switch (t) {
        case QCOW2_CLUSTER_UNALLOCATED: st = 0; break;
        case QCOW2_CLUSTER_ZERO_PLAIN: st = BDRV_BLOCK_ZERO | BDRV_BLOCK_ALLOCATED; break;
        case QCOW2_CLUSTER_ZERO_ALLOC:
            st = BDRV_BLOCK_ZERO | BDRV_BLOCK_ALLOCATED | BDRV_BLOCK_OFFSET_VALID;
            break;
        case QCOW2_CLUSTER_COMPRESSED:
            st = BDRV_BLOCK_DATA | BDRV_BLOCK_ALLOCATED | BDRV_BLOCK_COMPRESSED;
            break;
        default:
            st = BDRV_BLOCK_DATA | BDRV_BLOCK_ALLOCATED | BDRV_BLOCK_OFFSET_VALID;
            if (s->ext_l2) {
                int k = (int)(in >> s->subcluster_bits);
                uint64_t end = ((uint64_t)k + 1) * (1ull << s->subcluster_bits) - in;
                if (n > end)
                    n = end;
                if (!(bitmap & (1ull << k)))
                    st = (bitmap & (1ull << (32 + k))) ? BDRV_BLOCK_ZERO |
                         BDRV_BLOCK_ALLOCATED : 0;
            }
            break;
        }
        if (!(st & BDRV_BLOCK_OFFSET_VALID))
            host = 0;
        if (st0 < 0) {
            st0 = st;
            host0 = host;
            *map = host;
        } else if (st != st0 || (st & BDRV_BLOCK_OFFSET_VALID && host != host0 + done)) {
            break;
        }
        done += n;
    }
    *pnum = done;
    return st0;
}

/* ---- open / close ------------------------------------------------------------ */

static int qcow2_probe(const uint8_t *buf, int n, const char *filename)
{
    if (n >= 8 && ld32_be(buf) == QCOW2_MAGIC && ld32_be(buf + 4) >= 2)
        return 100;
    return 0;
}

static int64_t qcow2_getlength(BlockDriverState *bs)
{
    return (int64_t)qcow2_state(bs)->size;
}

static const char *feature_name(const uint8_t *table, uint32_t len, int type,
                                int bit, char *buf, size_t n)
{
    for (uint32_t i = 0; table && i + 48 <= len; i += 48) {
        if (table[i] == type && table[i + 1] == bit) {
            snprintf(buf, n, "%.46s", (const char *)table + i + 2);
            return buf;
        }
    }
    snprintf(buf, n, "Unknown incompatible feature: %llx", 1ull << bit);
    return buf;
}

static void qcow2_free_state(BDRVQcow2State *s)
{
    qcow2_refcount_close(s);
    qcow2_free_snapshots(s);
    for (int i = 0; i < QCOW2_L2_CACHE; i++)
        free(s->l2c[i].data);
    for (int i = 0; i < s->nb_exts; i++)
        free(s->exts[i].data);
    free(s->exts);
    free(s->l1);
    free(s->header_raw);
    free(s->cbuf);
    free(s->dbuf);
    memset(s, 0, sizeof(*s));
}

static int qcow2_do_open(BlockDriverState *bs, int flags, Error **errp)
{
    BDRVQcow2State *s = qcow2_state(bs);
    s->bs = bs;
    int64_t fsize = bdrv_file_size(bs);
    uint8_t h[QCOW2_V3_HEADER];
    memset(h, 0, sizeof(h));
    if (fsize < QCOW2_V2_HEADER) {
        error_setg(errp, "Image is not in qcow2 format (the file is only %lld "
                   "bytes, too short for a qcow2 header)", (long long)fsize);
        return -EINVAL;
    }
    int r = bdrv_file_pread(bs, 0, h, fsize < QCOW2_V3_HEADER ? (size_t)fsize
                                                              : sizeof(h), false, errp);
    if (r < 0)
        return r;
    if (ld32_be(h) != QCOW2_MAGIC) {
        error_setg(errp, "Image is not in qcow2 format");
        return -EINVAL;
    }
    s->version = ld32_be(h + 4);
    if (s->version != 2 && s->version != 3) {
        error_setg(errp, "Unsupported qcow2 version %u", s->version);
        return -ENOTSUP;
    }
    s->cluster_bits = (int)ld32_be(h + 20);
    if (ld32_be(h + 20) < 9 || ld32_be(h + 20) > 21) {
        error_setg(errp, "Unsupported cluster size: 2^%u (qcow2 allows 512 "
                   "bytes to 2 MiB)", ld32_be(h + 20));
        return -EINVAL;
    }
    s->cluster_size = 1ull << s->cluster_bits;
    if (s->version == 2) {
        s->header_length = QCOW2_V2_HEADER;
        s->refcount_order = 4;
    } else {
        if (fsize < QCOW2_V3_HEADER) {
            error_setg(errp, "qcow2 header exceeds the file size (truncated "
                       "image)");
            return -EINVAL;
        }
        s->incompat = ld64_be(h + 72);
        s->compat = ld64_be(h + 80);
        s->autoclear = ld64_be(h + 88);
        s->refcount_order = (int)ld32_be(h + 96);
        s->header_length = ld32_be(h + 100);
        if (s->header_length < QCOW2_V3_HEADER || s->header_length % 8 ||
            s->header_length > s->cluster_size) {
            error_setg(errp, "qcow2 header length %u is invalid (must be a "
                       "multiple of 8 from 104 to the cluster size)",
                       s->header_length);
            return -EINVAL;
        }
        if (ld32_be(h + 96) > 6) {
            error_setg(errp, "Reference count entry width too large; may not "
                       "exceed 64 bits (refcount_order %u)", ld32_be(h + 96));
            return -EINVAL;
        }
    }
    s->header_raw = calloc(1, s->header_length < 112 ? 112 : s->header_length);
    if (!s->header_raw)
        pemu_abort("out of memory");
    r = bdrv_file_pread(bs, 0, s->header_raw, s->header_length, false, errp);
    if (r < 0) {
        qcow2_free_state(s);
        return r;
    }
    if (s->header_length > 104)
        s->compression_type = s->header_raw[104];

    s->size = ld64_be(h + 24);
    uint32_t crypt = ld32_be(h + 32);
    s->l1_size = ld32_be(h + 36);
    s->l1_offset = ld64_be(h + 40);
    s->rt_offset = ld64_be(h + 48);
    s->rt_clusters = ld32_be(h + 56);
    s->nb_snapshots = ld32_be(h + 60);
    s->snapshots_offset = ld64_be(h + 64);
    uint64_t backing_off = ld64_be(h + 8);
    uint32_t backing_len = ld32_be(h + 16);

    /* Header extensions: from the header's end to the backing name. */
    uint64_t ext_end = backing_off && backing_off < s->cluster_size ? backing_off
                                                                     : s->cluster_size;
    uint8_t *ftable = NULL;
    uint32_t ftable_len = 0;
    uint64_t p = s->header_length;
    while (p + 8 <= ext_end) {
        uint8_t eh[8];
        r = bdrv_file_pread(bs, p, eh, 8, true, errp);
        if (r < 0)
            goto fail;
        uint32_t type = ld32_be(eh), len = ld32_be(eh + 4);
        if (type == QCOW2_EXT_END)
            break;
        if (len > ext_end - p - 8) {
            error_setg(errp, "qcow2 header extension %#x at offset %" PRIu64 " has "
                       "an invalid length %u", type, p, len);
            r = -EINVAL;
            goto fail;
        }
        uint8_t *d = malloc(len ? len : 1);
        if (!d)
            pemu_abort("out of memory");
        r = bdrv_file_pread(bs, p + 8, d, len, false, errp);
        if (r < 0) {
            free(d);
            goto fail;
        }
        if (type == QCOW2_EXT_BACKING_FMT) {
            snprintf(bs->backing_format, sizeof(bs->backing_format), "%.*s",
                     (int)(len < 31 ? len : 31), (const char *)d);
            free(d);
        } else if (type == QCOW2_EXT_FEATURES) {
            free(ftable);
            ftable = d;
            ftable_len = len;
        } else {
            Qcow2Ext *x = realloc(s->exts, (size_t)(s->nb_exts + 1) * sizeof(*x));
            if (!x)
                pemu_abort("out of memory");
            s->exts = x;
            x[s->nb_exts].type = type;
            x[s->nb_exts].len = len;
            x[s->nb_exts].data = d;
            s->nb_exts++;
        }
        p += 8 + (((uint64_t)len + 7) & ~7ull);
    }

    if (crypt) {
        error_setg(errp, "encrypted qcow2 images are not supported (crypt_method %u)",
                   crypt);
        r = -ENOTSUP;
        goto fail;
    }
    if (s->incompat & QCOW2_INCOMPAT_DATA_FILE) {
        error_setg(errp, "qcow2 images with an external data file are not "
                   "supported");
        r = -ENOTSUP;
        goto fail;
    }
    if (s->incompat & ~QCOW2_INCOMPAT_KNOWN) {
        char names[512] = "", nb[80];
        for (int b = 0; b < 64; b++) {
            if (!((s->incompat & ~QCOW2_INCOMPAT_KNOWN) >> b & 1))
                continue;
            size_t l = strlen(names);
            snprintf(names + l, sizeof(names) - l, "%s%s", l ? ", " : "",
                     feature_name(ftable, ftable_len, 0, b, nb, sizeof(nb)));
        }
        error_setg(errp, "Unsupported qcow2 feature(s): %s", names);
        r = -ENOTSUP;
        goto fail;
    }
    if (s->incompat & QCOW2_INCOMPAT_COMPRESSION) {
        if (s->header_length <= 104 || !s->compression_type) {
            error_setg(errp, "compression type bit is set but the compression_type "
                       "field is missing or zlib");
            r = -EINVAL;
            goto fail;
        }
    } else if (s->compression_type) {
        error_setg(errp, "compression_type %u is set without the compression "
                   "type feature bit", s->compression_type);
        r = -EINVAL;
        goto fail;
    }
    if (s->compression_type > QCOW2_COMPRESS_ZSTD) {
        error_setg(errp, "Unknown compression type %u", s->compression_type);
        r = -ENOTSUP;
        goto fail;
    }
#ifndef CONFIG_ZSTD
    if (s->compression_type == QCOW2_COMPRESS_ZSTD) {
        error_setg(errp, "this image uses zstd compression and pemu was built "
                   "without libzstd (install libzstd-dev and rebuild)");
        r = -ENOTSUP;
        goto fail;
    }
#endif
    s->ext_l2 = (s->incompat & QCOW2_INCOMPAT_EXTL2) != 0;
    if (s->ext_l2 && s->cluster_bits < 14) {
        error_setg(errp, "extended L2 entries need clusters of at least 16 KiB");
        r = -EINVAL;
        goto fail;
    }
    s->l2_entry_bytes = s->ext_l2 ? 16 : 8;
    s->l2_bits = s->cluster_bits - (s->ext_l2 ? 4 : 3);
    s->l2_entries = 1ull << s->l2_bits;
    s->subcluster_bits = s->cluster_bits - 5;
    s->csize_shift = 62 - (s->cluster_bits - 8);
    s->csize_mask = (1ull << (s->cluster_bits - 8)) - 1;
    s->coffset_mask = (1ull << s->csize_shift) - 1;

    if (backing_off) {
        if (backing_off > s->cluster_size || backing_len > 1023 ||
            backing_off + backing_len > s->cluster_size) {
            error_setg(errp, "invalid backing file name location (offset %" PRIu64
                       ", length %u): it must lie within the first cluster and "
                       "be at most 1023 bytes", backing_off, backing_len);
            r = -EINVAL;
            goto fail;
        }
        r = bdrv_file_pread(bs, backing_off, bs->backing_file, backing_len, false, errp);
        if (r < 0)
            goto fail;
        bs->backing_file[backing_len] = 0;
    }
    if (s->size > (1ull << 62)) {
        error_setg(errp, "virtual size %" PRIu64 " is too large", s->size);
        r = -EINVAL;
        goto fail;
    }
    /* The L1 table must map the whole disk and fit QEMU's limit. */
    uint64_t need = (qcow2_size_to_clusters(s, s->size) + s->l2_entries - 1) >> s->l2_bits;
    if ((uint64_t)s->l1_size * 8 > QCOW2_MAX_L1_BYTES) {
        error_setg(errp, "Active L1 table too large (%u entries)", s->l1_size);
        r = -EFBIG;
        goto fail;
    }
    if (s->l1_size < need) {
        error_setg(errp, "L1 table is too small (%u entries for a %" PRIu64
                   "-byte disk, which needs %" PRIu64 ")", s->l1_size, s->size, need);
        r = -EINVAL;
        goto fail;
    }
    if (s->l1_size && (qcow2_offset_into_cluster(s, s->l1_offset) ||
                       s->l1_offset + (uint64_t)s->l1_size * 8 > (uint64_t)fsize)) {
        error_setg(errp, "L1 table offset %#" PRIx64 " is invalid (unaligned or "
                   "past the end of the file)", s->l1_offset);
        r = -EINVAL;
        goto fail;
    }
    if (!s->rt_clusters || (uint64_t)s->rt_clusters << s->cluster_bits > QCOW2_MAX_RT_BYTES) {
        error_setg(errp, "Reference count table size %u clusters is invalid",
                   s->rt_clusters);
        r = -EINVAL;
        goto fail;
    }
    if (qcow2_offset_into_cluster(s, s->rt_offset) || !s->rt_offset ||
        s->rt_offset + ((uint64_t)s->rt_clusters << s->cluster_bits) > (uint64_t)fsize) {
        error_setg(errp, "Reference count table offset %#" PRIx64 " is invalid "
                   "(unaligned or past the end of the file)", s->rt_offset);
        r = -EINVAL;
        goto fail;
    }
    if (s->nb_snapshots > QCOW2_MAX_SNAPSHOTS ||
        (s->nb_snapshots && (qcow2_offset_into_cluster(s, s->snapshots_offset) ||
                             s->snapshots_offset >= (uint64_t)fsize))) {
        error_setg(errp, "Snapshot table (%u entries at %#" PRIx64 ") is invalid",
                   s->nb_snapshots, s->snapshots_offset);
        r = -EINVAL;
        goto fail;
    }
    s->refcount_bits = 1 << s->refcount_order;

    uint64_t l1_alloc = s->l1_size ? (uint64_t)s->l1_size : 1;
    s->l1 = calloc(l1_alloc, 8);
    uint8_t *raw = malloc(l1_alloc * 8);
    if (!s->l1 || !raw)
        pemu_abort("out of memory");
    Error *err = NULL;
    r = bdrv_file_pread(bs, s->l1_offset, raw, (uint64_t)s->l1_size * 8, false, &err);
    if (r < 0) {
        error_setg(errp, "cannot read the L1 table: %s", err->msg);
        error_free(err);
        free(raw);
        goto fail;
    }
    for (uint32_t i = 0; i < s->l1_size; i++)
        s->l1[i] = ld64_be(raw + 8ull * i);
    free(raw);

    r = qcow2_refcount_init(s, errp);
    if (r < 0)
        goto fail;
    r = qcow2_read_snapshots(s, errp);
    if (r < 0)
        goto fail;
    s->cbuf = malloc(2 * s->cluster_size);
    s->dbuf = malloc(s->cluster_size);
    if (!s->cbuf || !s->dbuf)
        pemu_abort("out of memory");
    free(ftable);
    ftable = NULL;

    if (!bs->read_only) {
        if ((s->incompat & QCOW2_INCOMPAT_CORRUPT) && !(flags & BDRV_O_CHECK)) {
            error_setg(errp, "qcow2: Image is corrupt; cannot be opened read/write "
                       "(use 'pemu-img check -r all' to repair it)");
            r = -EACCES;
            goto fail;
        }
        if (s->ext_l2) {
            error_setg(errp, "images with extended L2 entries can only be opened "
                       "read-only for now");
            r = -ENOTSUP;
            goto fail;
        }
        bool hdr = false;
        if (s->autoclear) {     /* we do not keep bitmaps up to date */
            s->autoclear = 0;
            hdr = true;
        }
        if ((s->incompat & QCOW2_INCOMPAT_DIRTY) && !(flags & BDRV_O_CHECK)) {
            r = qcow2_repair(s, errp);
            if (r < 0)
                goto fail;
            s->incompat &= ~QCOW2_INCOMPAT_DIRTY;
            hdr = true;
        }
        if (hdr && (r = qcow2_write_header(s, errp)) < 0)
            goto fail;
    }
    return 0;
fail:
    free(ftable);
    qcow2_free_state(s);
    return r;
}

static int qcow2_open(BlockDriverState *bs, int flags, Error **errp)
{
    return qcow2_do_open(bs, flags, errp);
}

static int qcow2_flush(BlockDriverState *bs, Error **errp)
{
    BDRVQcow2State *s = qcow2_state(bs);
    int r = qcow2_l2_flush(s, errp);
    if (r >= 0)
        r = qcow2_refcount_flush(s, errp);
    if (r >= 0)
        r = bdrv_file_sync(bs, errp);
    return r;
}

static void qcow2_close(BlockDriverState *bs)
{
    BDRVQcow2State *s = qcow2_state(bs);
    if (!bs->read_only && s->cluster_size) {
        Error *err = NULL;
        int r = qcow2_flush(bs, &err);
        if (r >= 0 && s->dirty_marked) {
            s->incompat &= ~QCOW2_INCOMPAT_DIRTY;
            r = qcow2_write_header(s, &err);
        }
        if (r < 0)
            error_report("%s: %s", bs->filename, err ? err->msg : "flush failed");
        error_free(err);
    }
    qcow2_free_state(s);
}

/* ---- info, resize, create ------------------------------------------------------- */

static void info_add(BlockInfo *info, const char *key, const char *human, int kind,
                     const char *str, int64_t num)
{
    BlockInfoItem *it = &info->items[info->nb_items++];
    it->json_key = key;
    it->human = human;
    it->kind = kind;
    snprintf(it->str, sizeof(it->str), "%s", str ? str : "");
    it->num = num;
}

static void qcow2_get_info(BlockDriverState *bs, BlockInfo *info)
{
    BDRVQcow2State *s = qcow2_state(bs);
    info->cluster_size = s->cluster_size;
    info->dirty = (s->incompat & QCOW2_INCOMPAT_DIRTY) && !s->dirty_marked;
    const char *ct = s->compression_type ? "zstd" : "zlib";
    if (s->version == 2) {
        info_add(info, "compat", "compat", INFO_STR, "0.10", 0);
        info_add(info, "compression-type", "compression type", INFO_STR, ct, 0);
        info_add(info, "refcount-bits", "refcount bits", INFO_INT, NULL, s->refcount_bits);
        return;
    }
    info_add(info, "compat", "compat", INFO_STR, "1.1", 0);
    info_add(info, "compression-type", "compression type", INFO_STR, ct, 0);
    info_add(info, "lazy-refcounts", "lazy refcounts", INFO_BOOL, NULL,
             (s->compat & QCOW2_COMPAT_LAZY_REFCOUNTS) != 0);
    info_add(info, "refcount-bits", "refcount bits", INFO_INT, NULL, s->refcount_bits);
    info_add(info, "corrupt", "corrupt", INFO_BOOL, NULL,
             (s->incompat & QCOW2_INCOMPAT_CORRUPT) != 0);
    info_add(info, "extended-l2", "extended l2", INFO_BOOL, NULL, s->ext_l2);
}

/* Allocate (and optionally fill) every cluster of [from, to). */
static int qcow2_preallocate(BlockDriverState *bs, uint64_t from, uint64_t to,
                             PreallocMode m, Error **errp)
{
    BDRVQcow2State *s = qcow2_state(bs);
    if (m == PREALLOC_OFF || from >= to)
        return 0;
    uint64_t first = from >> s->cluster_bits;
    uint64_t last = qcow2_size_to_clusters(s, to);
    uint64_t max_host = 0;
    for (uint64_t c = first; c < last; c++) {
        uint64_t guest = c << s->cluster_bits, e;
        int r = get_entry(s, guest, &e, NULL, errp);
        if (r < 0)
            return r;
        if (qcow2_cluster_type(s, e) != QCOW2_CLUSTER_UNALLOCATED)
            continue;
        int slot;
        r = get_l2_for_write(s, guest, &slot, errp);
        if (r < 0)
            return r;
        int64_t host = qcow2_alloc_clusters(s, 1, errp);
        if (host < 0)
            return (int)host;
        qcow2_l2_set(s, s->l2c[slot].data, l2_index(s, guest),
                     (uint64_t)host | QCOW_OFLAG_COPIED);
        s->l2c[slot].dirty = true;
        if (m == PREALLOC_FULL) {
            uint8_t *z = calloc(1, s->cluster_size);
            if (!z)
                pemu_abort("out of memory");
            r = bdrv_file_pwrite(bs, (uint64_t)host, z, s->cluster_size, errp);
            free(z);
            if (r < 0)
                return r;
        }
        if ((uint64_t)host + s->cluster_size > max_host)
            max_host = (uint64_t)host + s->cluster_size;
    }
    int r = qcow2_flush(bs, errp);
    int64_t fs = bdrv_file_size(bs);
    if (r >= 0 && fs >= 0 && (uint64_t)fs < max_host) {
        if (m == PREALLOC_FALLOC) {
            int e = posix_fallocate(bs->fd, fs, (off_t)(max_host - (uint64_t)fs));
            if (e && e != EINVAL && e != EOPNOTSUPP) {
                error_setg(errp, "preallocation=falloc failed: %s", strerror(e));
                return -e;
            }
        }
        fs = bdrv_file_size(bs);
        if (fs >= 0 && (uint64_t)fs < max_host)
            r = bdrv_file_truncate(bs, max_host, errp);
    }
    return r;
}

static int qcow2_truncate(BlockDriverState *bs, uint64_t size, bool shrink,
                          PreallocMode prealloc, Error **errp)
{
    BDRVQcow2State *s = qcow2_state(bs);
    if (size % BDRV_SECTOR_SIZE) {
        error_setg(errp, "the new size %" PRIu64 " is not a multiple of 512",
                   size);
        return -EINVAL;
    }
    uint64_t old = s->size;
    if (s->version == 2 && s->nb_snapshots && size != old) {
        /* v2 snapshot entries cannot record their own disk size. */
        error_setg(errp, "Can't resize a v2 image which has snapshots");
        return -ENOTSUP;
    }
    if (size < old) {
        if (!shrink) {
            error_setg(errp, "Use the --shrink option to perform a shrink operation.");
            return -EINVAL;
        }
        if (s->nb_snapshots) {
            error_setg(errp, "Can't shrink an image with internal snapshots "
                       "(delete them first)");
            return -ENOTSUP;
        }
        uint64_t from = (size + s->cluster_size - 1) & ~(s->cluster_size - 1);
        int r = check_writable(bs, errp);
        for (uint64_t g = from; r >= 0 && g < old; g += s->cluster_size) {
            uint64_t e;
            r = get_entry(s, g, &e, NULL, errp);
            if (r >= 0 && e)
                r = set_whole_cluster(bs, g, 0, false, errp);
        }
        if (r < 0)
            return r;
        s->size = size;
        return qcow2_write_header(s, errp);
    }
    uint64_t need = (qcow2_size_to_clusters(s, size) + s->l2_entries - 1) >> s->l2_bits;
    if (need > UINT32_MAX / 8) {
        error_setg(errp, "the size %" PRIu64 " is too large for cluster_size %"
                   PRIu64, size, s->cluster_size);
        return -EFBIG;
    }
    int r = qcow2_grow_l1(s, (uint32_t)need, errp);
    if (r < 0)
        return r;
    s->size = size;
    r = qcow2_write_header(s, errp);
    if (r < 0)
        return r;
    /* What the backing file has past our old end must not show through. */
    if (bs->backing && old < size) {
        int64_t blen = bdrv_getlength(bs->backing);
        uint64_t end = blen > 0 && (uint64_t)blen < size ? (uint64_t)blen : size;
        if (end > old)
            r = qcow2_pwrite_zeroes(bs, old, end - old, 0, errp);
    }
    if (r >= 0)
        r = qcow2_preallocate(bs, old, size, prealloc, errp);
    return r;
}

static const char *const qcow2_create_opts[] = {
    "size", "compat", "backing_file", "backing_fmt", "encryption", "encrypt.format",
    "cluster_size", "preallocation", "lazy_refcounts", "refcount_bits",
    "compression_type", "extended_l2", "data_file", "data_file_raw", NULL
};

static int qcow2_create(const char *filename, uint64_t size, BlockOpts *opts,
                        Error **errp)
{
    uint64_t cs = 65536, rbits = 16;
    int version = 3;
    bool lazy = false, extl2 = false, enc = false;
    int ctype = QCOW2_COMPRESS_ZLIB;
    PreallocMode pm = PREALLOC_OFF;
    const char *v;
    if ((v = block_opts_get(opts, "compat"))) {
        if (!strcmp(v, "0.10") || !strcmp(v, "v2"))
            version = 2;
        else if (!strcmp(v, "1.1") || !strcmp(v, "v3"))
            version = 3;
        else {
            error_setg(errp, "Invalid parameter value for 'compat': '%s' (use 0.10 "
                       "or 1.1)", v);
            return -EINVAL;
        }
    }
    if (block_opts_get_size(opts, "cluster_size", &cs, errp) < 0 ||
        block_opts_get_size(opts, "refcount_bits", &rbits, errp) < 0 ||
        block_opts_get_bool(opts, "lazy_refcounts", &lazy, errp) < 0 ||
        block_opts_get_bool(opts, "extended_l2", &extl2, errp) < 0 ||
        block_opts_get_bool(opts, "encryption", &enc, errp) < 0)
        return -EINVAL;
    if (cs < 512 || cs > (2u << 20) || (cs & (cs - 1))) {
        error_setg(errp, "Cluster size must be a power of two between 512 and "
                   "2048k (got %" PRIu64 ")", cs);
        return -EINVAL;
    }
    if (!rbits || rbits > 64 || (rbits & (rbits - 1))) {
        error_setg(errp, "Refcount width must be a power of two and may not "
                   "exceed 64 bits (got %" PRIu64 ")", rbits);
        return -EINVAL;
    }
    if (version == 2 && rbits != 16) {
        error_setg(errp, "Different refcount widths than 16 bits require "
                   "compatibility level 1.1 or above (use compat=1.1 or greater)");
        return -EINVAL;
    }
    if (version == 2 && lazy) {
        error_setg(errp, "Lazy refcounts only supported with compatibility level "
                   "1.1 and above (use compat=1.1 or greater)");
        return -EINVAL;
    }
    if ((v = block_opts_get(opts, "compression_type"))) {
        if (!strcmp(v, "zlib")) {
            ctype = QCOW2_COMPRESS_ZLIB;
        } else if (!strcmp(v, "zstd")) {
#ifdef CONFIG_ZSTD
            ctype = QCOW2_COMPRESS_ZSTD;
#else
            error_setg(errp, "compression_type=zstd: pemu was built without libzstd");
            return -ENOTSUP;
#endif
        } else {
            error_setg(errp, "Invalid parameter value for 'compression_type': '%s' "
                       "(use zlib or zstd)", v);
            return -EINVAL;
        }
        if (version == 2 && ctype != QCOW2_COMPRESS_ZLIB) {
            error_setg(errp, "Non-zlib compression type is only supported with "
                       "compatibility level 1.1 and above (use compat=1.1 or greater)");
            return -EINVAL;
        }
    }
    if ((v = block_opts_get(opts, "preallocation")) && block_parse_prealloc(v, &pm) < 0) {
        error_setg(errp, "Invalid parameter value for 'preallocation': '%s' (use "
                   "off, metadata, falloc or full)", v);
        return -EINVAL;
    }
    if (extl2) {
        error_setg(errp, "extended_l2=on: pemu creates no images with extended L2 "
                   "entries yet (it reads them)");
        return -ENOTSUP;
    }
    if (enc || block_opts_get(opts, "encrypt.format")) {
        error_setg(errp, "encrypted qcow2 images are not supported");
        return -ENOTSUP;
    }
    if (block_opts_get(opts, "data_file") || block_opts_get(opts, "data_file_raw")) {
        error_setg(errp, "qcow2 images with an external data file are not supported");
        return -ENOTSUP;
    }
    const char *backing = block_opts_get(opts, "backing_file");
    const char *bfmt = block_opts_get(opts, "backing_fmt");
    if (bfmt && !backing) {
        error_setg(errp, "backing_fmt given without backing_file");
        return -EINVAL;
    }
    if (backing && strlen(backing) > 1023) {
        error_setg(errp, "Backing file name too long (at most 1023 bytes)");
        return -EINVAL;
    }
    if (size == UINT64_MAX) {
        if (!backing) {
            error_setg(errp, "Image creation needs a size parameter");
            return -EINVAL;
        }
        char path[BDRV_PATH_MAX];
        bdrv_resolve_backing(filename, backing, path, sizeof(path));
        Error *err = NULL;
        BlockDriverState *b = bdrv_open(path, bfmt, 0, &err);
        if (!b) {
            error_setg(errp, "%s", err->msg);
            error_free(err);
            return -EINVAL;
        }
        size = (uint64_t)bdrv_getlength(b);
        bdrv_close(b);
    }
    size = (size + 511) & ~511ull;

    int cbits = ctz64(cs);
    int order = ctz64(rbits);
    int fd = open(filename, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        error_setg(errp, "Could not create '%s': %s", filename, strerror(errno));
        return -errno;
    }
    BlockDriverState *bs = calloc(1, sizeof(*bs));
    BDRVQcow2State *s = calloc(1, sizeof(*s));
    uint8_t *buf = calloc(3, cs);
    if (!bs || !s || !buf)
        pemu_abort("out of memory");
    bs->fd = fd;
    bs->opaque = s;
    bs->drv = &bdrv_qcow2;
    snprintf(bs->filename, sizeof(bs->filename), "%s", filename);
    s->bs = bs;
    s->version = (uint32_t)version;
    s->cluster_bits = cbits;
    s->cluster_size = cs;
    s->header_length = version == 3 ? 112 : QCOW2_V2_HEADER;
    s->header_raw = calloc(1, 112);
    if (!s->header_raw)
        pemu_abort("out of memory");
    s->refcount_order = order;
    s->rt_offset = cs;
    s->rt_clusters = 1;
    s->compat = lazy ? QCOW2_COMPAT_LAZY_REFCOUNTS : 0;
    s->compression_type = (uint8_t)ctype;
    s->incompat = ctype ? QCOW2_INCOMPAT_COMPRESSION : 0;
    qcow2_write_header(s, NULL);    /* read_only is false: only fills header_raw */
    int n = build_header_cluster(s, buf, backing, bfmt, true);
    int r = 0;
    if (n < 0) {
        error_setg(errp, "the backing file name does not fit in the first cluster");
        r = -EINVAL;
    }
    /* Cluster 1: the refcount table; cluster 2: its first block, which
     * counts clusters 0..2. The L1 table comes from the resize below. */
    st64_be(buf + cs, 2 * cs);
    for (int i = 0; i < 3; i++) {
        uint8_t *rb = buf + 2 * cs;
        if (order >= 3) {
            if (order == 3) rb[i] = 1;
            else if (order == 4) st16_be(rb + 2 * i, 1);
            else if (order == 5) st32_be(rb + 4 * i, 1);
            else st64_be(rb + 8 * i, 1);
        } else {
            rb[(i << order) >> 3] |= (uint8_t)(1u << ((i << order) & 7));
        }
    }
    if (r >= 0)
        r = bdrv_file_pwrite(bs, 0, buf, 3 * cs, errp);
    free(buf);
    free(s->header_raw);
    free(s);
    close(fd);
    free(bs);
    if (r < 0) {
        unlink(filename);
        return r;
    }
    /* Now open it as a real image and size it. */
    Error *err = NULL;
    BlockDriverState *img = bdrv_open(filename, "qcow2", BDRV_O_RDWR | BDRV_O_NO_BACKING,
                                      &err);
    if (!img) {
        error_setg(errp, "%s", err->msg);
        error_free(err);
        return -EIO;
    }
    r = qcow2_truncate(img, size, false, pm, errp);
    bdrv_close(img);
    return r;
}

static int qcow2_change_backing(BlockDriverState *bs, const char *file,
                                const char *fmt, Error **errp)
{
    BDRVQcow2State *s = qcow2_state(bs);
    int r = rewrite_header_cluster(s, file, fmt, errp);
    if (r < 0)
        return r;
    snprintf(bs->backing_file, sizeof(bs->backing_file), "%s", file ? file : "");
    snprintf(bs->backing_format, sizeof(bs->backing_format), "%s", fmt ? fmt : "");
    return 0;
}

static int qcow2_make_empty(BlockDriverState *bs, Error **errp)
{
    BDRVQcow2State *s = qcow2_state(bs);
    int r = check_writable(bs, errp);
    uint64_t span = s->l2_entries << s->cluster_bits;
    for (uint32_t i = 0; r >= 0 && i < s->l1_size; i++) {
        if (!(s->l1[i] & L1E_OFFSET_MASK))
            continue;
        for (uint64_t j = 0; r >= 0 && j < s->l2_entries; j++) {
            uint64_t g = (uint64_t)i * span + (j << s->cluster_bits), e;
            if (g >= s->size)
                break;
            r = get_entry(s, g, &e, NULL, errp);
            if (r >= 0 && e)
                r = set_whole_cluster(bs, g, 0, false, errp);
        }
    }
    return r < 0 ? r : qcow2_flush(bs, errp);
}

/* v3 -> v2: zero clusters do not exist in v2, so write them out. */
static int expand_zero_clusters(BlockDriverState *bs, Error **errp)
{
    BDRVQcow2State *s = qcow2_state(bs);
    uint8_t *z = calloc(1, s->cluster_size);
    if (!z)
        pemu_abort("out of memory");
    int r = 0;
    for (uint64_t g = 0; r >= 0 && g < s->size; g += s->cluster_size) {
        uint64_t e;
        r = get_entry(s, g, &e, NULL, errp);
        if (r < 0)
            break;
        Qcow2ClusterType t = qcow2_cluster_type(s, e);
        if (t == QCOW2_CLUSTER_ZERO_PLAIN && !bs->backing) {
            r = set_whole_cluster(bs, g, 0, false, errp);
        } else if (t == QCOW2_CLUSTER_ZERO_PLAIN || t == QCOW2_CLUSTER_ZERO_ALLOC) {
            /* write_cluster allocates (or reuses) a host cluster of zeros */
            r = write_cluster(bs, g, 0, s->cluster_size, z, errp);
        }
    }
    free(z);
    return r < 0 ? r : qcow2_flush(bs, errp);
}

static int qcow2_amend(BlockDriverState *bs, BlockOpts *opts, Error **errp)
{
    BDRVQcow2State *s = qcow2_state(bs);
    int version = (int)s->version;
    bool lazy = (s->compat & QCOW2_COMPAT_LAZY_REFCOUNTS) != 0;
    const char *v;
    uint64_t n;
    if ((v = block_opts_get(opts, "compat"))) {
        if (!strcmp(v, "0.10") || !strcmp(v, "v2"))
            version = 2;
        else if (!strcmp(v, "1.1") || !strcmp(v, "v3"))
            version = 3;
        else {
            error_setg(errp, "Invalid compatibility level: '%s'", v);
            return -EINVAL;
        }
    }
    if (block_opts_get_bool(opts, "lazy_refcounts", &lazy, errp) < 0)
        return -EINVAL;
    int r = block_opts_get_size(opts, "cluster_size", &n, errp);
    if (r < 0 || (r > 0 && n != s->cluster_size)) {
        if (r > 0)
            error_setg(errp, "Changing the cluster size is not supported");
        return -ENOTSUP;
    }
    r = block_opts_get_size(opts, "refcount_bits", &n, errp);
    if (r < 0 || (r > 0 && n != (uint64_t)s->refcount_bits)) {
        if (r > 0)
            error_setg(errp, "Changing the refcount width is not supported yet");
        return -ENOTSUP;
    }
    if ((v = block_opts_get(opts, "compression_type")) &&
        strcmp(v, s->compression_type ? "zstd" : "zlib")) {
        error_setg(errp, "Changing the compression type is not supported");
        return -ENOTSUP;
    }
    static const char *const fixed[] = { "preallocation", "extended_l2", "encryption",
                                         "encrypt.format", "data_file", "data_file_raw" };
    for (size_t i = 0; i < PEMU_ARRAY_SIZE(fixed); i++) {
        if (block_opts_get(opts, fixed[i])) {
            error_setg(errp, "Changing the %s option is not supported", fixed[i]);
            return -ENOTSUP;
        }
    }
    if (version == 2 && lazy) {
        error_setg(errp, "Lazy refcounts only supported with compatibility level "
                   "1.1 and above (use compat=1.1 or greater)");
        return -EINVAL;
    }
    if (version == 2 && s->version == 3) {
        if (s->refcount_order != 4 || s->compression_type || s->ext_l2) {
            error_setg(errp, "Cannot downgrade an image with refcount_bits != 16, "
                       "zstd compression or extended L2 entries to compat=0.10");
            return -ENOTSUP;
        }
        if (s->nb_snapshots) {
            error_setg(errp, "Downgrading an image with internal snapshots is not "
                       "supported yet");
            return -ENOTSUP;
        }
    }
    r = qcow2_flush(bs, errp);
    if (r >= 0 && version == 2 && s->version == 3)
        r = expand_zero_clusters(bs, errp);
    if (r < 0)
        return r;
    bool dirty_was_ours = s->dirty_marked;
    if (version != (int)s->version) {
        s->version = (uint32_t)version;
        if (version == 3) {
            s->header_length = 112;
            s->incompat = 0;
            s->autoclear = 0;
        } else {
            s->header_length = QCOW2_V2_HEADER;
            s->incompat = s->compat = s->autoclear = 0;
            memset(s->header_raw + QCOW2_V2_HEADER, 0, 112 - QCOW2_V2_HEADER);
        }
    }
    if (version == 3)
        s->compat = lazy ? s->compat | QCOW2_COMPAT_LAZY_REFCOUNTS
                         : s->compat & ~QCOW2_COMPAT_LAZY_REFCOUNTS;
    if (dirty_was_ours && !lazy) {
        s->incompat &= ~QCOW2_INCOMPAT_DIRTY;
        s->dirty_marked = false;
    }
    const char *bf = block_opts_get(opts, "backing_file");
    const char *bfmt = block_opts_get(opts, "backing_fmt");
    if (bf || bfmt) {
        if (bf) snprintf(bs->backing_file, sizeof(bs->backing_file), "%s", bf);
        if (bfmt) snprintf(bs->backing_format, sizeof(bs->backing_format), "%s", bfmt);
    }
    r = rewrite_header_cluster(s, bs->backing_file, bs->backing_format, errp);
    if (r >= 0 && block_opts_get_size(opts, "size", &n, errp) > 0 && n != s->size)
        r = qcow2_truncate(bs, n, true, PREALLOC_OFF, errp);
    return r;
}

/* QEMU's estimate: metadata for a fully allocated image (header, L1 and
 * L2 tables, refcount table and blocks covering all of it), plus data. */
static uint64_t rc_metadata(uint64_t clusters, uint64_t cs, int order)
{
    uint64_t per_table = cs / 8, per_block = cs * 8 >> order;
    uint64_t table = 0, blocks = 0, pt, pb;
    do {
        pt = table;
        pb = blocks;
        blocks = (clusters + table + blocks + per_block - 1) / per_block;
        table = (blocks + per_table - 1) / per_table;
    } while (pt != table || pb != blocks);
    return (blocks + table) * cs;
}

static int qcow2_measure(BlockOpts *opts, uint64_t size, BlockDriverState *src,
                         uint64_t *required, uint64_t *fully, Error **errp)
{
    uint64_t cs = 65536, rbits = 16;
    PreallocMode pm = PREALLOC_OFF;
    const char *v;
    if (block_opts_get_size(opts, "cluster_size", &cs, errp) < 0 ||
        block_opts_get_size(opts, "refcount_bits", &rbits, errp) < 0)
        return -EINVAL;
    if (cs < 512 || cs > (2u << 20) || (cs & (cs - 1)) || !rbits || rbits > 64 ||
        (rbits & (rbits - 1))) {
        error_setg(errp, "invalid cluster_size or refcount_bits");
        return -EINVAL;
    }
    if ((v = block_opts_get(opts, "preallocation")) && block_parse_prealloc(v, &pm) < 0) {
        error_setg(errp, "Invalid preallocation mode '%s'", v);
        return -EINVAL;
    }
    block_opts_get(opts, "compat");
    block_opts_get(opts, "lazy_refcounts");
    block_opts_get(opts, "compression_type");
    uint64_t data = 0;
    for (uint64_t off = 0; src && off < size;) {
        uint64_t pnum, map;
        int depth;
        BlockDriverState *file;
        int st = bdrv_block_status_above(src, off, size - off, &pnum, &map, &depth,
                                         &file, errp);
        if (st < 0)
            return st;
        if (!(st & BDRV_BLOCK_ZERO) && (st & BDRV_BLOCK_DATA)) {
            /* Whole clusters: continue from the end of this one. */
            uint64_t end = (off + pnum + cs - 1) / cs * cs;
            data += end - off;
            pnum = end - off;
        }
        off += pnum;
    }
    uint64_t al = (size + cs - 1) / cs * cs;
    uint64_t nl2e = al / cs, meta = cs;
    nl2e = (nl2e + cs / 8 - 1) / (cs / 8) * (cs / 8);
    meta += nl2e * 8;
    uint64_t nl1e = nl2e * 8 / cs;
    nl1e = (nl1e + cs / 8 - 1) / (cs / 8) * (cs / 8);
    meta += nl1e * 8;
    meta += rc_metadata((meta + al) / cs, cs, ctz64(rbits));
    *fully = meta + al;
    if (pm == PREALLOC_FULL || pm == PREALLOC_FALLOC)
        data = al;
    *required = meta + data;
    return 0;
}

const BlockDriver bdrv_qcow2 = {
    .format_name = "qcow2",
    .state_size = sizeof(BDRVQcow2State),
    .probe = qcow2_probe,
    .open = qcow2_open,
    .close = qcow2_close,
    .pread = qcow2_pread,
    .pwrite = qcow2_pwrite,
    .pwrite_compressed = qcow2_pwrite_compressed,
    .compress = qcow2_compress,
    .pwrite_precompressed = qcow2_pwrite_precompressed,
    .pwrite_zeroes = qcow2_pwrite_zeroes,
    .pdiscard = qcow2_pdiscard,
    .flush = qcow2_flush,
    .getlength = qcow2_getlength,
    .truncate = qcow2_truncate,
    .block_status = qcow2_block_status,
    .get_info = qcow2_get_info,
    .check = qcow2_check,
    .create = qcow2_create,
    .create_opts = qcow2_create_opts,
    .snapshot_create = qcow2_snapshot_create,
    .snapshot_goto = qcow2_snapshot_goto,
    .snapshot_delete = qcow2_snapshot_delete,
    .snapshot_list = qcow2_snapshot_list,
    .save_vmstate = qcow2_save_vmstate,
    .discard_vmstate = qcow2_discard_vmstate,
    .load_vmstate = qcow2_load_vmstate,
    .change_backing = qcow2_change_backing,
    .make_empty = qcow2_make_empty,
    .amend = qcow2_amend,
    .measure = qcow2_measure,
    .supports_backing = true,
};
