/*
 * VDI images (VirtualBox), version 1.1: a text banner, a little-endian
 * header, a block map of 32-bit entries and 1 MiB data blocks. Dynamic
 * images allocate blocks in write order at the end of the data area;
 * static ones have every block in place from creation.
 *
 * Header (little-endian, offsets from the start of the file):
 *   0x000 banner text (64 bytes)      0x040 signature 0xbeda107f
 *   0x044 version (0x00010001)        0x048 header size (0x190)
 *   0x04c image type (1 dynamic, 2 static)   0x050 flags
 *   0x054 description (256 bytes)     0x154 block map offset
 *   0x158 data offset   0x15c cylinders  0x160 heads  0x164 sectors
 *   0x168 sector size (512)           0x170 disk size (u64)
 *   0x178 block size   0x17c block extra   0x180 blocks in image
 *   0x184 blocks allocated            0x188 image UUID
 *   0x198 last snapshot UUID  0x1a8 link UUID  0x1b8 parent UUID
 * Block map entry: the data block index, 0xffffffff unallocated,
 * 0xfffffffe discarded (both read as zeros).
 *
 * A new block is written whole (data and zeros) before the map entry
 * that points at it and the header count, so a crash leaves at worst an
 * unreferenced block at the end.
 */
#include "src/block/block.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define VDI_SIGNATURE 0xbeda107fu
#define VDI_VERSION 0x00010001u
#define VDI_UNALLOCATED 0xffffffffu
#define VDI_DISCARDED 0xfffffffeu
#define VDI_TYPE_DYNAMIC 1
#define VDI_TYPE_STATIC 2
#define VDI_BLOCK_SIZE (1u << 20)
#define VDI_HEADER_SIZE 512
/* QEMU's limit: the block map stays below 512 MiB or so. */
#define VDI_BLOCKS_MAX (0x7fffffffu / 4 / 16)

static const char vdi_banner[] = "<<< QEMU VM Virtual Disk Image >>>\n";

typedef struct BDRVVdiState {
    uint8_t header[VDI_HEADER_SIZE];
    uint32_t type;
    uint32_t bmap_offset, data_offset;
    uint64_t disk_size;
    uint32_t block_size;
    uint32_t blocks, allocated;
    uint32_t *bmap;             /* host order */
} BDRVVdiState;

static int vdi_probe(const uint8_t *buf, int n, const char *filename)
{
    if (n >= 0x48 && ld32_le(buf + 0x40) == VDI_SIGNATURE)
        return 100;
    return 0;
}

static int vdi_open(BlockDriverState *bs, int flags, Error **errp)
{
    BDRVVdiState *s = bs->opaque;
    uint8_t *h = s->header;
    int r = bdrv_file_pread(bs, 0, h, VDI_HEADER_SIZE, true, errp);
    if (r < 0)
        return r;
    if (ld32_le(h + 0x40) != VDI_SIGNATURE) {
        error_setg(errp, "Image is not in vdi format (no signature)");
        return -EINVAL;
    }
    if (ld32_le(h + 0x44) != VDI_VERSION) {
        error_setg(errp, "unsupported VDI image (version %u.%u; only 1.1 is "
                   "supported)", ld32_le(h + 0x44) >> 16, ld32_le(h + 0x44) & 0xffff);
        return -ENOTSUP;
    }
    s->type = ld32_le(h + 0x4c);
    s->bmap_offset = ld32_le(h + 0x154);
    s->data_offset = ld32_le(h + 0x158);
    /* Some tools write sizes that are not whole sectors: the excess is
     * not addressable. */
    s->disk_size = ld64_le(h + 0x170) & ~511ull;
    s->block_size = ld32_le(h + 0x178);
    s->blocks = ld32_le(h + 0x180);
    s->allocated = ld32_le(h + 0x184);
    static const uint8_t zero16[16];
    if (s->type != VDI_TYPE_DYNAMIC && s->type != VDI_TYPE_STATIC) {
        error_setg(errp, "unsupported VDI image type %u", s->type);
        return -ENOTSUP;
    }
    if (s->bmap_offset % 512 || s->data_offset % 512) {
        error_setg(errp, "unsupported VDI image (block map at %#x or data at %#x "
                   "is not sector aligned)", s->bmap_offset, s->data_offset);
        return -ENOTSUP;
    }
    if (ld32_le(h + 0x168) != 512) {
        error_setg(errp, "unsupported VDI image (sector size %u is not 512)",
                   ld32_le(h + 0x168));
        return -ENOTSUP;
    }
    if (s->block_size != VDI_BLOCK_SIZE || ld32_le(h + 0x17c)) {
        error_setg(errp, "unsupported VDI image (block size %u, extra %u; only "
                   "1 MiB blocks are supported)", s->block_size, ld32_le(h + 0x17c));
        return -ENOTSUP;
    }
    if (memcmp(h + 0x1a8, zero16, 16) || memcmp(h + 0x1b8, zero16, 16)) {
        error_setg(errp, "unsupported VDI image (differencing images with a "
                   "parent or link UUID are not supported)");
        return -ENOTSUP;
    }
    if (s->blocks > VDI_BLOCKS_MAX) {
        error_setg(errp, "unsupported VDI image (%u blocks, at most %u)", s->blocks,
                   VDI_BLOCKS_MAX);
        return -ENOTSUP;
    }
    if (s->disk_size > (uint64_t)s->blocks * s->block_size) {
        error_setg(errp, "unsupported VDI image (disk size %" PRIu64 " is larger "
                   "than its %u blocks)", s->disk_size, s->blocks);
        return -ENOTSUP;
    }
    if (s->allocated > s->blocks) {
        error_setg(errp, "corrupt VDI image (%u blocks allocated of %u)", s->allocated,
                   s->blocks);
        return -EINVAL;
    }
    uint64_t bmap_bytes = ((uint64_t)s->blocks * 4 + 511) & ~511ull;
    if (s->bmap_offset < VDI_HEADER_SIZE || s->data_offset < s->bmap_offset + bmap_bytes) {
        error_setg(errp, "corrupt VDI image (the block map at %#x overlaps the "
                   "header or the data at %#x)", s->bmap_offset, s->data_offset);
        return -EINVAL;
    }
    s->bmap = malloc(bmap_bytes ? bmap_bytes : 4);
    uint8_t *raw = malloc(bmap_bytes ? bmap_bytes : 4);
    if (!s->bmap || !raw)
        pemu_abort("out of memory");
    r = bdrv_file_pread(bs, s->bmap_offset, raw, (uint64_t)s->blocks * 4, false, errp);
    for (uint32_t i = 0; r >= 0 && i < s->blocks; i++)
        s->bmap[i] = ld32_le(raw + 4 * i);
    free(raw);
    if (r < 0) {
        free(s->bmap);
        s->bmap = NULL;
    }
    return r;
}

static void vdi_close(BlockDriverState *bs)
{
    BDRVVdiState *s = bs->opaque;
    free(s->bmap);
    s->bmap = NULL;
}

static int64_t vdi_getlength(BlockDriverState *bs)
{
    return (int64_t)((BDRVVdiState *)bs->opaque)->disk_size;
}

static bool block_present(const BDRVVdiState *s, uint32_t e)
{
    return e != VDI_UNALLOCATED && e != VDI_DISCARDED;
}

/* A map entry that points past the map's range is corruption: reads and
 * writes refuse it instead of touching arbitrary file offsets. */
static int block_host(BlockDriverState *bs, uint32_t b, uint64_t *host, Error **errp)
{
    BDRVVdiState *s = bs->opaque;
    uint32_t e = s->bmap[b];
    if (e >= s->blocks) {
        error_setg(errp, "%s: block map entry %u points at block %u beyond the "
                   "image (the image is corrupt; try 'pemu-img check')",
                   bs->filename, b, e);
        return -EIO;
    }
    *host = s->data_offset + (uint64_t)e * s->block_size;
    return 0;
}

static int vdi_pread(BlockDriverState *bs, uint64_t offset, uint64_t bytes, void *buf,
                     Error **errp)
{
    BDRVVdiState *s = bs->opaque;
    uint8_t *p = buf;
    while (bytes) {
        uint32_t b = (uint32_t)(offset / s->block_size);
        uint64_t in = offset % s->block_size;
        uint64_t n = s->block_size - in < bytes ? s->block_size - in : bytes;
        uint64_t host;
        int r = 0;
        if (!block_present(s, s->bmap[b]))
            memset(p, 0, n);
        else if ((r = block_host(bs, b, &host, errp)) >= 0)
            r = bdrv_file_pread(bs, host + in, p, n, true, errp);
        if (r < 0)
            return r;
        p += n;
        offset += n;
        bytes -= n;
    }
    return 0;
}

static int write_header(BlockDriverState *bs, Error **errp)
{
    BDRVVdiState *s = bs->opaque;
    st32_le(s->header + 0x184, s->allocated);
    return bdrv_file_pwrite(bs, 0, s->header, VDI_HEADER_SIZE, errp);
}

static int write_bmap_entry(BlockDriverState *bs, uint32_t b, Error **errp)
{
    BDRVVdiState *s = bs->opaque;
    uint8_t v[4];
    st32_le(v, s->bmap[b]);
    return bdrv_file_pwrite(bs, s->bmap_offset + 4ull * b, v, 4, errp);
}

static int vdi_pwrite(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                      const void *buf, Error **errp)
{
    BDRVVdiState *s = bs->opaque;
    const uint8_t *p = buf;
    while (bytes) {
        uint32_t b = (uint32_t)(offset / s->block_size);
        uint64_t in = offset % s->block_size;
        uint64_t n = s->block_size - in < bytes ? s->block_size - in : bytes;
        uint64_t host;
        int r;
        if (block_present(s, s->bmap[b])) {
            r = block_host(bs, b, &host, errp);
            if (r >= 0)
                r = bdrv_file_pwrite(bs, host + in, p, n, errp);
        } else if (s->allocated >= s->blocks) {
            error_setg(errp, "%s: no free block left (the header's allocation "
                       "count is wrong; try 'pemu-img check -r all')", bs->filename);
            r = -EIO;
        } else {
            /* Blocks are allocated in order: the next one after the data
             * area's current end. Write it whole so no hole is left. */
            uint32_t idx = s->allocated;
            host = s->data_offset + (uint64_t)idx * s->block_size;
            uint8_t *blk = calloc(1, s->block_size);
            if (!blk)
                pemu_abort("out of memory");
            memcpy(blk + in, p, n);
            r = bdrv_file_pwrite(bs, host, blk, s->block_size, errp);
            free(blk);
            if (r >= 0) {
                s->bmap[b] = idx;
                s->allocated++;
                r = write_bmap_entry(bs, b, errp);
            }
            if (r >= 0)
                r = write_header(bs, errp);
        }
        if (r < 0)
            return r;
        p += n;
        offset += n;
        bytes -= n;
    }
    return 0;
}

static int vdi_flush(BlockDriverState *bs, Error **errp)
{
    return bdrv_file_sync(bs, errp);
}

static int vdi_block_status(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                            uint64_t *pnum, uint64_t *map, Error **errp)
{
    BDRVVdiState *s = bs->opaque;
    uint32_t b = (uint32_t)(offset / s->block_size);
    uint64_t in = offset % s->block_size;
    *pnum = s->block_size - in < bytes ? s->block_size - in : bytes;
    *map = 0;
    if (!block_present(s, s->bmap[b]))
        return BDRV_BLOCK_ZERO | BDRV_BLOCK_ALLOCATED;   /* reads zeros, no backing */
    uint64_t host;
    int r = block_host(bs, b, &host, errp);
    if (r < 0)
        return r;
    *map = host + in;
    return BDRV_BLOCK_DATA | BDRV_BLOCK_ALLOCATED | BDRV_BLOCK_OFFSET_VALID |
           (s->type == VDI_TYPE_STATIC ? BDRV_BLOCK_RECURSE : 0);
}

static void vdi_get_info(BlockDriverState *bs, BlockInfo *info)
{
    info->cluster_size = ((BDRVVdiState *)bs->opaque)->block_size;
}

/* Block map sanity, as QEMU's check: every entry in range and used
 * once, and the header's allocation count right. */
static int vdi_check(BlockDriverState *bs, BlockCheckResult *res, int fix, Error **errp)
{
    BDRVVdiState *s = bs->opaque;
    if (fix & (BDRV_FIX_LEAKS | BDRV_FIX_ERRORS)) {
        error_setg(errp, "repairing VDI images is not supported");
        return -ENOTSUP;
    }
    bool quiet = fix & BDRV_CHECK_QUIET;
    memset(res, 0, sizeof(*res));
    uint32_t *seen = calloc(s->blocks ? s->blocks : 1, sizeof(uint32_t));
    if (!seen)
        pemu_abort("out of memory");
    uint32_t used = 0;
    for (uint32_t b = 0; b < s->blocks; b++) {
        uint32_t e = s->bmap[b];
        if (!block_present(s, e))
            continue;
        used++;
        if (e >= s->blocks) {
            if (!quiet)
                fprintf(stderr, "ERROR: block index %u too large, is %u\n", b, e);
            res->corruptions++;
        } else if (seen[e]) {
            if (!quiet)
                fprintf(stderr, "ERROR: block index %u also used by %u\n", seen[e] - 1, b);
            res->corruptions++;
        } else {
            seen[e] = b + 1;
        }
    }
    if (used != s->allocated) {
        if (!quiet)
            fprintf(stderr, "ERROR: allocated blocks mismatch, is %u, should be %u\n",
                    used, s->allocated);
        res->corruptions++;
    }
    free(seen);
    return 0;
}

static int vdi_create(const char *filename, uint64_t size, BlockOpts *opts, Error **errp)
{
    bool is_static = false;
    PreallocMode pm = PREALLOC_OFF;
    const char *v;
    if (block_opts_get_bool(opts, "static", &is_static, errp) < 0)
        return -EINVAL;
    if ((v = block_opts_get(opts, "preallocation")) &&
        (block_parse_prealloc(v, &pm) < 0 || pm == PREALLOC_METADATA)) {
        error_setg(errp, "Invalid preallocation mode '%s' for vdi (use off, falloc "
                   "or full)", v);
        return -EINVAL;
    }
    if (pm != PREALLOC_OFF)
        is_static = true;
    if (size == UINT64_MAX) {
        error_setg(errp, "Image creation needs a size parameter");
        return -EINVAL;
    }
    size = (size + 511) & ~511ull;
    uint64_t blocks = (size + VDI_BLOCK_SIZE - 1) / VDI_BLOCK_SIZE;
    if (blocks > VDI_BLOCKS_MAX) {
        error_setg(errp, "Unsupported VDI image size (size is %" PRIu64 ", max "
                   "supported is %" PRIu64 ")", size, (uint64_t)VDI_BLOCKS_MAX *
                   VDI_BLOCK_SIZE);
        return -ENOTSUP;
    }
    uint64_t bmap_bytes = (blocks * 4 + 511) & ~511ull;
    uint64_t data_off = VDI_HEADER_SIZE + bmap_bytes;
    uint8_t *buf = calloc(1, data_off);
    if (!buf)
        pemu_abort("out of memory");
    memcpy(buf, vdi_banner, sizeof(vdi_banner) - 1);
    st32_le(buf + 0x40, VDI_SIGNATURE);
    st32_le(buf + 0x44, VDI_VERSION);
    st32_le(buf + 0x48, 0x190);
    st32_le(buf + 0x4c, is_static ? VDI_TYPE_STATIC : VDI_TYPE_DYNAMIC);
    st32_le(buf + 0x154, VDI_HEADER_SIZE);
    st32_le(buf + 0x158, (uint32_t)data_off);
    st32_le(buf + 0x168, 512);
    st64_le(buf + 0x170, size);
    st32_le(buf + 0x178, VDI_BLOCK_SIZE);
    st32_le(buf + 0x180, (uint32_t)blocks);
    st32_le(buf + 0x184, is_static ? (uint32_t)blocks : 0);
    /* Random version-4 UUIDs for the image and its "last snapshot". */
    for (int u = 0; u < 2; u++) {
        uint8_t *id = buf + 0x188 + 16 * u;
        bdrv_random_bytes(id, 16);
        id[6] = (uint8_t)((id[6] & 0x0f) | 0x40);
        id[8] = (uint8_t)((id[8] & 0x3f) | 0x80);
    }
    for (uint64_t i = 0; i < blocks; i++)
        st32_le(buf + VDI_HEADER_SIZE + 4 * i, is_static ? (uint32_t)i : VDI_UNALLOCATED);
    int fd = open(filename, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        int e = errno;
        error_setg(errp, "Could not create '%s': %s", filename, strerror(e));
        free(buf);
        return -e;
    }
    BlockDriverState tmp = { .fd = fd };
    snprintf(tmp.filename, sizeof(tmp.filename), "%s", filename);
    int r = bdrv_file_pwrite(&tmp, 0, buf, data_off, errp);
    free(buf);
    uint64_t end = data_off + (is_static ? blocks * VDI_BLOCK_SIZE : 0);
    if (r >= 0 && is_static)
        r = bdrv_file_truncate(&tmp, end, errp);
    if (r >= 0 && pm == PREALLOC_FALLOC && end > data_off) {
        int e = posix_fallocate(fd, (off_t)data_off, (off_t)(end - data_off));
        if (e && e != EINVAL && e != EOPNOTSUPP) {
            error_setg(errp, "preallocation=falloc failed: %s", strerror(e));
            r = -e;
        }
    } else if (r >= 0 && pm == PREALLOC_FULL) {
        uint8_t *z = calloc(1, VDI_BLOCK_SIZE);
        if (!z)
            pemu_abort("out of memory");
        for (uint64_t i = 0; r >= 0 && i < blocks; i++)
            r = bdrv_file_pwrite(&tmp, data_off + i * VDI_BLOCK_SIZE, z, VDI_BLOCK_SIZE,
                                 errp);
        free(z);
    }
    close(fd);
    return r;
}

static const char *const vdi_create_opts[] = { "size", "static", "preallocation", NULL };

const BlockDriver bdrv_vdi = {
    .format_name = "vdi",
    .state_size = sizeof(BDRVVdiState),
    .probe = vdi_probe,
    .open = vdi_open,
    .close = vdi_close,
    .pread = vdi_pread,
    .pwrite = vdi_pwrite,
    .flush = vdi_flush,
    .getlength = vdi_getlength,
    .block_status = vdi_block_status,
    .get_info = vdi_get_info,
    .check = vdi_check,
    .create = vdi_create,
    .create_opts = vdi_create_opts,
};
