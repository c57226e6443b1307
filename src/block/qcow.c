/*
 * qcow version 1 images (QEMU's original format): a 48-byte big-endian
 * header, the backing file name right after it, a one-level L1 table of
 * L2 table offsets, and L2 entries that are host cluster offsets or
 * compressed cluster descriptors. There are no reference counts: space
 * is always taken at the end of the file and never reused.
 *
 * Header (all big-endian):
 *   0 magic "QFI\xfb"   4 version (1)   8 backing_file_offset (u64)
 *  16 backing_file_size (u32)   20 mtime (u32)   24 size in bytes (u64)
 *  32 cluster_bits (u8)  33 l2_bits (u8)  34 padding (u16)
 *  36 crypt_method (u32: 0 none, 1 AES)   40 l1_table_offset (u64)
 * L2 entry: bit 63 set = compressed; then bits 62..(63-cluster_bits) are
 * the compressed size in bytes and the low bits the host byte offset of
 * raw deflate data.
 *
 * Metadata is written through (no cache to flush) in the order data,
 * then L2 entry, then L1 entry, so that a crash only leaks space.
 */
#include "src/block/block.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define QCOW_MAGIC 0x514649fbu
#define QCOW_HEADER_SIZE 48
#define QCOW_OFLAG_COMPRESSED (1ull << 63)
#define QCOW_L2_CACHE 16

typedef struct BDRVQcowState {
    BlockDriverState *bs;
    int cluster_bits, l2_bits;
    uint64_t cluster_size;
    uint64_t l2_entries;
    uint64_t size;
    uint32_t l1_size;
    uint64_t l1_offset;
    uint64_t *l1;
    uint64_t coffset_mask;
    uint64_t file_end;          /* where the next allocation goes (before alignment) */
    struct {
        uint64_t offset;        /* 0: empty */
        uint8_t *data;
        uint64_t stamp;
    } l2c[QCOW_L2_CACHE];
    uint64_t stamp;
    uint8_t *cbuf, *dbuf;
    uint64_t dbuf_entry;
} BDRVQcowState;

static int qcow_probe(const uint8_t *buf, int n, const char *filename)
{
    if (n >= 8 && ld32_be(buf) == QCOW_MAGIC && ld32_be(buf + 4) == 1)
        return 100;
    return 0;
}

static void qcow_free(BDRVQcowState *s)
{
    for (int i = 0; i < QCOW_L2_CACHE; i++)
        free(s->l2c[i].data);
    free(s->l1);
    free(s->cbuf);
    free(s->dbuf);
    memset(s, 0, sizeof(*s));
}

static int qcow_open(BlockDriverState *bs, int flags, Error **errp)
{
    BDRVQcowState *s = bs->opaque;
    s->bs = bs;
    uint8_t h[QCOW_HEADER_SIZE];
    int64_t fsize = bdrv_file_size(bs);
    if (fsize < QCOW_HEADER_SIZE) {
        error_setg(errp, "Image is not in qcow format (the file is only %lld bytes)",
                   (long long)fsize);
        return -EINVAL;
    }
    int r = bdrv_file_pread(bs, 0, h, sizeof(h), false, errp);
    if (r < 0)
        return r;
    if (ld32_be(h) != QCOW_MAGIC || ld32_be(h + 4) != 1) {
        error_setg(errp, "Image is not in qcow format (or is an unsupported "
                   "version %u)", ld32_be(h + 4));
        return -EINVAL;
    }
    uint64_t boff = ld64_be(h + 8);
    uint32_t blen = ld32_be(h + 16);
    s->size = ld64_be(h + 24);
    s->cluster_bits = h[32];
    s->l2_bits = h[33];
    uint32_t crypt = ld32_be(h + 36);
    s->l1_offset = ld64_be(h + 40);
    if (s->size <= 1) {
        error_setg(errp, "Image size is too small (must be at least 2 bytes)");
        return -EINVAL;
    }
    if (s->cluster_bits < 9 || s->cluster_bits > 16) {
        error_setg(errp, "Cluster size must be between 512 and 64k (cluster_bits %d)",
                   s->cluster_bits);
        return -EINVAL;
    }
    if (s->l2_bits < 6 || s->l2_bits > 13) {
        error_setg(errp, "L2 table size must be between 512 and 64k (l2_bits %d)",
                   s->l2_bits);
        return -EINVAL;
    }
    if (crypt > 1) {
        error_setg(errp, "invalid encryption method %u in the qcow header", crypt);
        return -EINVAL;
    }
    if (crypt) {
        error_setg(errp, "AES-encrypted qcow images are not supported (convert "
                   "them with qemu-img)");
        return -ENOTSUP;
    }
    int shift = s->cluster_bits + s->l2_bits;
    if (s->size > (1ull << 62)) {
        error_setg(errp, "virtual size %" PRIu64 " is too large", s->size);
        return -EINVAL;
    }
    uint64_t l1 = (s->size + (1ull << shift) - 1) >> shift;
    if (l1 > (32u << 20) / 8) {
        error_setg(errp, "Image is too big (%" PRIu64 " L1 entries)", l1);
        return -EFBIG;
    }
    s->l1_size = (uint32_t)l1;
    if (s->l1_offset > (uint64_t)fsize || (uint64_t)fsize - s->l1_offset < l1 * 8) {
        error_setg(errp, "L1 table at offset %" PRIu64 " lies past the end of the "
                   "file (the image is truncated or corrupt)", s->l1_offset);
        return -EINVAL;
    }
    s->cluster_size = 1ull << s->cluster_bits;
    s->l2_entries = 1ull << s->l2_bits;
    s->coffset_mask = (1ull << (63 - s->cluster_bits)) - 1;
    s->l1 = calloc(l1 ? l1 : 1, 8);
    uint8_t *raw = malloc(l1 ? l1 * 8 : 1);
    if (!s->l1 || !raw)
        pemu_abort("out of memory");
    r = bdrv_file_pread(bs, s->l1_offset, raw, l1 * 8, false, errp);
    for (uint64_t i = 0; r >= 0 && i < l1; i++)
        s->l1[i] = ld64_be(raw + 8 * i);
    free(raw);
    if (r < 0)
        goto fail;
    if (boff) {
        if (blen > 1023 || boff > (uint64_t)fsize || (uint64_t)fsize - boff < blen) {
            error_setg(errp, "Backing file name too long or out of the file "
                       "(offset %" PRIu64 ", %u bytes)", boff, blen);
            r = -EINVAL;
            goto fail;
        }
        r = bdrv_file_pread(bs, boff, bs->backing_file, blen, false, errp);
        if (r < 0)
            goto fail;
        bs->backing_file[blen] = 0;
    }
    for (int i = 0; i < QCOW_L2_CACHE; i++) {
        s->l2c[i].data = malloc(s->l2_entries * 8);
        if (!s->l2c[i].data)
            pemu_abort("out of memory");
    }
    s->cbuf = malloc(s->cluster_size + 1);
    s->dbuf = malloc(s->cluster_size);
    if (!s->cbuf || !s->dbuf)
        pemu_abort("out of memory");
    s->file_end = (uint64_t)fsize;
    return 0;
fail:
    qcow_free(s);
    return r;
}

static void qcow_close(BlockDriverState *bs)
{
    qcow_free(bs->opaque);
}

static int64_t qcow_getlength(BlockDriverState *bs)
{
    BDRVQcowState *s = bs->opaque;
    return (int64_t)(s->size & ~511ull);
}

/* The cached L2 table at off (l2_entries host-order-agnostic raw bytes). */
static int l2_load(BDRVQcowState *s, uint64_t off, uint8_t **out, Error **errp)
{
    int v = 0;
    for (int i = 0; i < QCOW_L2_CACHE; i++) {
        if (s->l2c[i].offset == off) {
            s->l2c[i].stamp = ++s->stamp;
            *out = s->l2c[i].data;
            return 0;
        }
        if (s->l2c[i].stamp < s->l2c[v].stamp)
            v = i;
    }
    Error *err = NULL;
    s->l2c[v].offset = 0;
    int r = bdrv_file_pread(s->bs, off, s->l2c[v].data, s->l2_entries * 8, false, &err);
    if (r < 0) {
        error_setg(errp, "%s: cannot read the L2 table at offset %#" PRIx64 ": %s",
                   s->bs->filename, off, err->msg);
        error_free(err);
        return r;
    }
    s->l2c[v].offset = off;
    s->l2c[v].stamp = ++s->stamp;
    *out = s->l2c[v].data;
    return 0;
}

static int get_entry(BDRVQcowState *s, uint64_t guest, uint64_t *e, Error **errp)
{
    *e = 0;
    uint64_t i = guest >> (s->cluster_bits + s->l2_bits);
    if (i >= s->l1_size || !s->l1[i])
        return 0;
    uint8_t *l2;
    int r = l2_load(s, s->l1[i], &l2, errp);
    if (r < 0)
        return r;
    *e = ld64_be(l2 + 8 * ((guest >> s->cluster_bits) & (s->l2_entries - 1)));
    return 0;
}

static int decompress(BDRVQcowState *s, uint64_t e, Error **errp)
{
    if (s->dbuf_entry == e)
        return 0;
    uint64_t coff = e & s->coffset_mask;
    uint64_t clen = (e >> (63 - s->cluster_bits)) & (s->cluster_size - 1);
    int r = bdrv_file_pread(s->bs, coff, s->cbuf, clen, true, errp);
    if (r < 0)
        return r;
    z_stream z;
    memset(&z, 0, sizeof(z));
    s->dbuf_entry = 0;
    if (inflateInit2(&z, -15) != Z_OK) {
        error_setg(errp, "zlib initialisation failed");
        return -ENOMEM;
    }
    z.next_in = s->cbuf;
    z.avail_in = (uInt)clen;
    z.next_out = s->dbuf;
    z.avail_out = (uInt)s->cluster_size;
    int zr = inflate(&z, Z_FINISH);
    bool ok = (zr == Z_STREAM_END || zr == Z_BUF_ERROR || zr == Z_OK) && !z.avail_out;
    inflateEnd(&z);
    if (!ok) {
        error_setg(errp, "%s: compressed cluster at offset %#" PRIx64 " cannot be "
                   "decompressed (the image is corrupt)", s->bs->filename, coff);
        return -EIO;
    }
    s->dbuf_entry = e;
    return 0;
}

static int read_backing(BlockDriverState *bs, uint64_t off, uint64_t n, uint8_t *buf,
                        Error **errp)
{
    return bdrv_backing_pread(bs, off, n, buf, errp);
}

static int qcow_pread(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                      void *buf, Error **errp)
{
    BDRVQcowState *s = bs->opaque;
    uint8_t *p = buf;
    while (bytes) {
        uint64_t in = offset & (s->cluster_size - 1);
        uint64_t n = s->cluster_size - in < bytes ? s->cluster_size - in : bytes;
        uint64_t e;
        int r = get_entry(s, offset, &e, errp);
        if (r >= 0) {
            if (!e)
                r = read_backing(bs, offset, n, p, errp);
            else if (e & QCOW_OFLAG_COMPRESSED) {
                r = decompress(s, e, errp);
                if (r >= 0)
                    memcpy(p, s->dbuf + in, n);
            } else
                r = bdrv_file_pread(bs, e + in, p, n, true, errp);
        }
        if (r < 0)
            return r;
        p += n;
        offset += n;
        bytes -= n;
    }
    return 0;
}

/* Space at the end of the file: clusters are cluster-aligned, compressed
 * data is packed. */
static uint64_t alloc_space(BDRVQcowState *s, uint64_t len, bool align)
{
    uint64_t off = s->file_end;
    if (align)
        off = (off + s->cluster_size - 1) & ~(s->cluster_size - 1);
    s->file_end = off + len;
    return off;
}

/* The L2 table for guest, allocated when missing: the table is written
 * before the L1 entry that points at it. */
static int l2_for_write(BDRVQcowState *s, uint64_t guest, uint8_t **l2, uint64_t *l2off,
                        Error **errp)
{
    uint64_t i = guest >> (s->cluster_bits + s->l2_bits);
    if (i >= s->l1_size) {
        error_setg(errp, "%s: write beyond the L1 table", s->bs->filename);
        return -EIO;
    }
    if (!s->l1[i]) {
        uint64_t bytes = s->l2_entries * 8;
        uint64_t off = alloc_space(s, bytes, true);
        uint8_t *z = calloc(1, bytes);
        if (!z)
            pemu_abort("out of memory");
        int r = bdrv_file_pwrite(s->bs, off, z, bytes, errp);
        free(z);
        uint8_t b[8];
        st64_be(b, off);
        if (r >= 0)
            r = bdrv_file_pwrite(s->bs, s->l1_offset + 8 * i, b, 8, errp);
        if (r < 0)
            return r;
        s->l1[i] = off;
    }
    *l2off = s->l1[i];
    return l2_load(s, s->l1[i], l2, errp);
}

static int set_entry(BDRVQcowState *s, uint8_t *l2, uint64_t l2off, uint64_t guest,
                     uint64_t e, Error **errp)
{
    uint64_t j = (guest >> s->cluster_bits) & (s->l2_entries - 1);
    uint8_t b[8];
    st64_be(b, e);
    int r = bdrv_file_pwrite(s->bs, l2off + 8 * j, b, 8, errp);
    if (r >= 0)
        memcpy(l2 + 8 * j, b, 8);
    return r;
}

static int write_cluster(BlockDriverState *bs, uint64_t guest, uint64_t in, uint64_t n,
                         const uint8_t *data, Error **errp)
{
    BDRVQcowState *s = bs->opaque;
    uint8_t *l2;
    uint64_t l2off, e;
    int r = l2_for_write(s, guest, &l2, &l2off, errp);
    if (r < 0)
        return r;
    e = ld64_be(l2 + 8 * ((guest >> s->cluster_bits) & (s->l2_entries - 1)));
    if (e && !(e & QCOW_OFLAG_COMPRESSED))
        return bdrv_file_pwrite(bs, e + in, data, n, errp);
    /* A new cluster: the old content (compressed, or from the backing
     * file) around the written bytes. */
    uint8_t *buf = malloc(s->cluster_size);
    if (!buf)
        pemu_abort("out of memory");
    if (n < s->cluster_size) {
        if (e) {
            r = decompress(s, e, errp);
            if (r >= 0)
                memcpy(buf, s->dbuf, s->cluster_size);
        } else {
            r = read_backing(bs, guest, s->cluster_size, buf, errp);
        }
    }
    memcpy(buf + in, data, n);
    uint64_t host = alloc_space(s, s->cluster_size, true);
    if (r >= 0)
        r = bdrv_file_pwrite(bs, host, buf, s->cluster_size, errp);
    free(buf);
    if (r >= 0)
        r = set_entry(s, l2, l2off, guest, host, errp);
    if (e == s->dbuf_entry)
        s->dbuf_entry = 0;
    return r;
}

static int qcow_pwrite(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                       const void *buf, Error **errp)
{
    BDRVQcowState *s = bs->opaque;
    const uint8_t *p = buf;
    while (bytes) {
        uint64_t in = offset & (s->cluster_size - 1);
        uint64_t n = s->cluster_size - in < bytes ? s->cluster_size - in : bytes;
        int r = write_cluster(bs, offset - in, in, n, p, errp);
        if (r < 0)
            return r;
        p += n;
        offset += n;
        bytes -= n;
    }
    return 0;
}

/* Raw deflate with a 4 KiB window, as QEMU writes it; -1 when the
 * cluster does not shrink. */
static long deflate_cluster(uint8_t *dst, size_t cap, const uint8_t *src, size_t len)
{
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
    return r == Z_STREAM_END && (size_t)n < len ? n : -1;
}

static int qcow_pwrite_compressed(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                                  const void *buf, Error **errp)
{
    BDRVQcowState *s = bs->opaque;
    uint64_t len = (uint64_t)qcow_getlength(bs);
    if (offset & (s->cluster_size - 1) ||
        (bytes % s->cluster_size && offset + bytes != len)) {
        error_setg(errp, "%s: compressed writes must cover whole clusters", bs->filename);
        return -EINVAL;
    }
    const uint8_t *p = buf;
    uint8_t *tmp = malloc(s->cluster_size);
    if (!tmp)
        pemu_abort("out of memory");
    int r = 0;
    while (r >= 0 && bytes) {
        uint64_t n = bytes < s->cluster_size ? bytes : s->cluster_size;
        const uint8_t *src = p;
        if (n < s->cluster_size) {
            memset(tmp, 0, s->cluster_size);
            memcpy(tmp, p, n);
            src = tmp;
        }
        long clen = deflate_cluster(s->cbuf, s->cluster_size, src, s->cluster_size);
        if (clen < 0) {
            r = write_cluster(bs, offset, 0, n, p, errp);
        } else {
            uint8_t *l2;
            uint64_t l2off;
            r = l2_for_write(s, offset, &l2, &l2off, errp);
            if (r >= 0) {
                uint64_t host = alloc_space(s, (uint64_t)clen, false);
                r = bdrv_file_pwrite(bs, host, s->cbuf, (size_t)clen, errp);
                if (r >= 0)
                    r = set_entry(s, l2, l2off, offset, QCOW_OFLAG_COMPRESSED |
                                  ((uint64_t)clen << (63 - s->cluster_bits)) | host, errp);
                s->dbuf_entry = 0;
            }
        }
        p += n;
        offset += n;
        bytes -= n;
    }
    free(tmp);
    return r;
}

static int qcow_flush(BlockDriverState *bs, Error **errp)
{
    return bdrv_file_sync(bs, errp);
}

static int qcow_block_status(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                             uint64_t *pnum, uint64_t *map, Error **errp)
{
    BDRVQcowState *s = bs->opaque;
    int st0 = -1;
    uint64_t done = 0, host0 = 0;
    *map = 0;
    while (done < bytes) {
        uint64_t off = offset + done, in = off & (s->cluster_size - 1);
        uint64_t n = s->cluster_size - in < bytes - done ? s->cluster_size - in
                                                        : bytes - done;
        uint64_t e;
        uint64_t l1i = off >> (s->cluster_bits + s->l2_bits);
        if (l1i >= s->l1_size || !s->l1[l1i]) {
            /* No L2 table: its whole range is unallocated. */
            uint64_t span = 1ull << (s->cluster_bits + s->l2_bits);
            uint64_t left = span - (off & (span - 1));
            n = left < bytes - done ? left : bytes - done;
        }
        int r = get_entry(s, off, &e, errp);
        if (r < 0)
            return r;
        int st = !e ? 0 : (e & QCOW_OFLAG_COMPRESSED)
                 ? BDRV_BLOCK_DATA | BDRV_BLOCK_ALLOCATED | BDRV_BLOCK_COMPRESSED
                 : BDRV_BLOCK_DATA | BDRV_BLOCK_ALLOCATED | BDRV_BLOCK_OFFSET_VALID;
        uint64_t host = (st & BDRV_BLOCK_OFFSET_VALID) ? e + in : 0;
        if (st0 < 0) {
            st0 = st;
            host0 = *map = host;
        } else if (st != st0 || ((st & BDRV_BLOCK_OFFSET_VALID) && host != host0 + done)) {
            break;
        }
        done += n;
    }
    *pnum = done;
    return st0;
}

static void qcow_get_info(BlockDriverState *bs, BlockInfo *info)
{
    info->cluster_size = ((BDRVQcowState *)bs->opaque)->cluster_size;
}

static int qcow_create(const char *filename, uint64_t size, BlockOpts *opts,
                       Error **errp)
{
    const char *backing = block_opts_get(opts, "backing_file");
    const char *bfmt = block_opts_get(opts, "backing_fmt");
    bool enc = false;
    if (block_opts_get_bool(opts, "encryption", &enc, errp) < 0)
        return -EINVAL;
    if (enc || block_opts_get(opts, "encrypt.format")) {
        error_setg(errp, "encrypted qcow images are not supported");
        return -ENOTSUP;
    }
    const char *pa = block_opts_get(opts, "preallocation");
    if (pa && strcmp(pa, "off")) {
        error_setg(errp, "Unsupported preallocation mode '%s' for qcow (only off)", pa);
        return -ENOTSUP;
    }
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
        int64_t n = bdrv_backing_size(filename, backing, bfmt, errp);
        if (n < 0)
            return (int)n;
        size = (uint64_t)n;
    }
    size = (size + 511) & ~511ull;
    if (size > (1ull << 62)) {
        error_setg(errp, "Image size %" PRIu64 " is too large for qcow", size);
        return -EFBIG;
    }
    /* QEMU's layout: with a backing file 512-byte clusters (so that sector
     * writes never need copy-on-write) and 32 KiB L2 tables; else 4 KiB. */
    int cbits = backing ? 9 : 12, l2bits = backing ? 12 : 9;
    uint64_t blen = backing ? strlen(backing) : 0;
    uint64_t hsize = (QCOW_HEADER_SIZE + blen + 7) & ~7ull;
    int shift = cbits + l2bits;
    uint64_t l1 = (size + (1ull << shift) - 1) >> shift;
    uint64_t l1_bytes = (l1 * 8 + 511) & ~511ull;
    uint8_t *buf = calloc(1, hsize + l1_bytes);
    if (!buf)
        pemu_abort("out of memory");
    st32_be(buf, QCOW_MAGIC);
    st32_be(buf + 4, 1);
    if (backing) {
        st64_be(buf + 8, QCOW_HEADER_SIZE);
        st32_be(buf + 16, (uint32_t)blen);
        memcpy(buf + QCOW_HEADER_SIZE, backing, blen);
    }
    st64_be(buf + 24, size);
    buf[32] = (uint8_t)cbits;
    buf[33] = (uint8_t)l2bits;
    st64_be(buf + 40, hsize);
    int fd = open(filename, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        int e = errno;
        error_setg(errp, "Could not create '%s': %s", filename, strerror(e));
        free(buf);
        return -e;
    }
    BlockDriverState tmp = { .fd = fd };
    snprintf(tmp.filename, sizeof(tmp.filename), "%s", filename);
    int r = bdrv_file_pwrite(&tmp, 0, buf, hsize + l1_bytes, errp);
    free(buf);
    close(fd);
    return r;
}

static const char *const qcow_create_opts[] = {
    "size", "backing_file", "backing_fmt", "encryption", "encrypt.format",
    "preallocation", NULL
};

const BlockDriver bdrv_qcow = {
    .format_name = "qcow",
    .state_size = sizeof(BDRVQcowState),
    .probe = qcow_probe,
    .open = qcow_open,
    .close = qcow_close,
    .pread = qcow_pread,
    .pwrite = qcow_pwrite,
    .pwrite_compressed = qcow_pwrite_compressed,
    .flush = qcow_flush,
    .getlength = qcow_getlength,
    .block_status = qcow_block_status,
    .get_info = qcow_get_info,
    .create = qcow_create,
    .create_opts = qcow_create_opts,
    .supports_backing = true,
};
