/*
 * VHD images (Virtual PC / Hyper-V, QEMU's "vpc"), fixed and dynamic.
 * Facts from Microsoft's "Virtual Hard Disk Image Format Specification"
 * 1.0; all numbers are big-endian.
 *
 * Footer (512 bytes; at the end of the file, and for dynamic disks also a
 * copy at offset 0):
 *   0 cookie "conectix"   8 features   12 version   16 data offset (u64:
 *   the dynamic header, or all ones for fixed disks)   24 timestamp (s
 *   since 2000-01-01)   28 creator app   32 creator version   36 creator
 *   OS   40 original size   48 current size   56 cylinders (u16)
 *   58 heads (u8)   59 sectors per track (u8)   60 disk type (2 fixed,
 *   3 dynamic, 4 differencing)   64 checksum   68 UUID   84 saved state
 * The checksum is the one's complement of the byte sum with the field 0.
 *
 * Dynamic header (1024 bytes): 0 cookie "cxsparse"   8 data offset
 *   16 table (BAT) offset   24 version   28 max table entries
 *   32 block size   36 checksum   40 parent UUID ...
 * BAT entry: the sector of a block's sector bitmap, the block's data
 * following the bitmap; all ones = unallocated (reads zeros).
 *
 * The disk size comes from the CHS geometry unless the creator is known
 * to use the footer's current size (Hyper-V, disk2vhd, XenServer, QEMU
 * with force_size) or the geometry is the maximum, as QEMU decides.
 */
#include "src/block/block.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define VHD_FOOTER 512
#define VHD_DYN_HEADER 1024
#define VHD_FIXED 2
#define VHD_DYNAMIC 3
#define VHD_DIFFERENCING 4
#define VHD_TIMESTAMP_BASE 946684800u       /* 2000-01-01 00:00:00 UTC */
#define VHD_MAX_GEOMETRY (65535ull * 16 * 255)
#define VHD_MAX_SECTORS 0xff000000ull        /* 2040 GiB, QEMU's limit */
#define VHD_BAT_FREE 0xffffffffu

typedef struct BDRVVpcState {
    uint8_t footer[VHD_FOOTER];
    uint32_t type;
    uint64_t size;              /* bytes the guest sees */
    uint64_t bat_offset;
    uint32_t max_entries;
    uint32_t block_size;
    uint32_t bitmap_size;       /* sector bitmap, padded to whole sectors */
    uint32_t *bat;              /* host order */
    uint64_t free_offset;       /* where the next block goes (and the footer) */
} BDRVVpcState;

static uint32_t vpc_checksum(const uint8_t *buf, size_t n)
{
    uint32_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += buf[i];
    return ~sum;
}

static int vpc_probe(const uint8_t *buf, int n, const char *filename)
{
    /* Only dynamic disks have the footer copy at offset 0; fixed disks
     * cannot be told from raw ones (as with QEMU, give -f vpc). */
    if (n >= 8 && !memcmp(buf, "conectix", 8))
        return 100;
    return 0;
}

static bool footer_ok(uint8_t *f)
{
    if (memcmp(f, "conectix", 8))
        return false;
    uint32_t sum = ld32_be(f + 64);
    st32_be(f + 64, 0);
    uint32_t c = vpc_checksum(f, VHD_FOOTER);
    st32_be(f + 64, sum);
    return c == sum;
}

static int vpc_open(BlockDriverState *bs, int flags, Error **errp)
{
    BDRVVpcState *s = bs->opaque;
    uint8_t *f = s->footer;
    int64_t fsize = bdrv_file_size(bs);
    if (fsize < VHD_FOOTER) {
        error_setg(errp, "Image is not in vpc format (the file is only %lld bytes)",
                   (long long)fsize);
        return -EINVAL;
    }
    int r = bdrv_file_pread(bs, 0, f, VHD_FOOTER, false, errp);
    if (r < 0)
        return r;
    if (memcmp(f, "conectix", 8)) {
        r = bdrv_file_pread(bs, (uint64_t)fsize - VHD_FOOTER, f, VHD_FOOTER, false, errp);
        if (r < 0)
            return r;
        if (memcmp(f, "conectix", 8)) {
            error_setg(errp, "invalid VHD footer (no \"conectix\" cookie at the "
                       "start or the end of the file)");
            return -EINVAL;
        }
    }
    if (!footer_ok(f)) {
        error_setg(errp, "Incorrect header checksum");
        return -EINVAL;
    }
    s->type = ld32_be(f + 60);
    if (s->type == VHD_DIFFERENCING) {
        error_setg(errp, "differencing VHD images are not supported");
        return -ENOTSUP;
    }
    if (s->type != VHD_FIXED && s->type != VHD_DYNAMIC) {
        error_setg(errp, "unknown VHD disk type %u", s->type);
        return -EINVAL;
    }
    uint64_t chs = (uint64_t)ld16_be(f + 56) * f[58] * f[59];
    uint64_t cur = ld64_be(f + 48) / 512;
    static const char *const size_apps[] = { "win ", "qem2", "d2v ", "tap", "CTXS" };
    bool use_chs = true;
    for (size_t i = 0; i < PEMU_ARRAY_SIZE(size_apps); i++)
        if (!memcmp(f + 28, size_apps[i], 4))
            use_chs = false;
    uint64_t sectors = (!use_chs || chs == VHD_MAX_GEOMETRY) ? cur : chs;
    if (sectors > VHD_MAX_SECTORS) {
        error_setg(errp, "VHD disk size %" PRIu64 " sectors is larger than the "
                   "2040 GiB this format allows", sectors);
        return -EFBIG;
    }
    s->size = sectors * 512;
    if (s->type == VHD_FIXED) {
        if (s->size > (uint64_t)fsize - VHD_FOOTER) {
            error_setg(errp, "fixed VHD image is truncated (%" PRIu64 " bytes of "
                       "data, the file holds %lld)", s->size, (long long)fsize);
            return -EINVAL;
        }
        return 0;
    }
    uint8_t d[VHD_DYN_HEADER];
    uint64_t doff = ld64_be(f + 16);
    if (doff > (uint64_t)fsize || (uint64_t)fsize - doff < VHD_DYN_HEADER) {
        error_setg(errp, "VHD dynamic header offset %#" PRIx64 " is out of the file",
                   doff);
        return -EINVAL;
    }
    r = bdrv_file_pread(bs, doff, d, sizeof(d), false, errp);
    if (r < 0)
        return r;
    if (memcmp(d, "cxsparse", 8)) {
        error_setg(errp, "invalid VHD dynamic header (no \"cxsparse\" cookie)");
        return -EINVAL;
    }
    s->bat_offset = ld64_be(d + 16);
    s->max_entries = ld32_be(d + 28);
    s->block_size = ld32_be(d + 32);
    if (s->block_size < 512 || s->block_size > (256u << 20) ||
        (s->block_size & (s->block_size - 1))) {
        error_setg(errp, "Invalid VHD block size %u (a power of two from 512 bytes "
                   "is needed)", s->block_size);
        return -EINVAL;
    }
    if (s->max_entries > (256u << 20) / 4) {
        error_setg(errp, "VHD block allocation table too large (%u entries)",
                   s->max_entries);
        return -EINVAL;
    }
    if ((uint64_t)s->max_entries * s->block_size < s->size) {
        error_setg(errp, "Page table too small (%u blocks of %u bytes for a %" PRIu64
                   "-byte disk)", s->max_entries, s->block_size, s->size);
        return -EINVAL;
    }
    uint64_t bat_bytes = (uint64_t)s->max_entries * 4;
    if (s->bat_offset > (uint64_t)fsize || (uint64_t)fsize - s->bat_offset < bat_bytes) {
        error_setg(errp, "VHD block allocation table at %#" PRIx64 " is out of the "
                   "file", s->bat_offset);
        return -EINVAL;
    }
    s->bitmap_size = ((s->block_size / 512 / 8) + 511) & ~511u;
    s->bat = malloc(bat_bytes ? bat_bytes : 4);
    uint8_t *raw = malloc(bat_bytes ? bat_bytes : 4);
    if (!s->bat || !raw)
        pemu_abort("out of memory");
    r = bdrv_file_pread(bs, s->bat_offset, raw, bat_bytes, false, errp);
    s->free_offset = (s->bat_offset + bat_bytes + 511) & ~511ull;
    for (uint32_t i = 0; r >= 0 && i < s->max_entries; i++) {
        s->bat[i] = ld32_be(raw + 4 * i);
        if (s->bat[i] != VHD_BAT_FREE) {
            uint64_t end = (uint64_t)s->bat[i] * 512 + s->bitmap_size + s->block_size;
            if (end > s->free_offset)
                s->free_offset = end;
        }
    }
    free(raw);
    if (r >= 0 && s->free_offset > (uint64_t)fsize) {
        error_setg(errp, "block-vpc: free_data_block_offset points after the end of "
                   "file. The image has been truncated.");
        r = -EINVAL;
    }
    if (r < 0) {
        free(s->bat);
        s->bat = NULL;
    }
    return r;
}

static void vpc_close(BlockDriverState *bs)
{
    BDRVVpcState *s = bs->opaque;
    free(s->bat);
    s->bat = NULL;
}

static int64_t vpc_getlength(BlockDriverState *bs)
{
    return (int64_t)((BDRVVpcState *)bs->opaque)->size;
}

/* Host offset of guest offset (within one block), or 0: not allocated. */
static uint64_t host_offset(BDRVVpcState *s, uint64_t offset, uint64_t *n)
{
    if (s->type == VHD_FIXED)
        return offset;
    uint64_t b = offset / s->block_size, in = offset % s->block_size;
    if (*n > s->block_size - in)
        *n = s->block_size - in;
    if (s->bat[b] == VHD_BAT_FREE)
        return 0;
    return (uint64_t)s->bat[b] * 512 + s->bitmap_size + in;
}

static int vpc_pread(BlockDriverState *bs, uint64_t offset, uint64_t bytes, void *buf,
                     Error **errp)
{
    BDRVVpcState *s = bs->opaque;
    uint8_t *p = buf;
    while (bytes) {
        uint64_t n = bytes;
        uint64_t host = host_offset(s, offset, &n);
        int r = 0;
        if (!host && s->type != VHD_FIXED)
            memset(p, 0, n);
        else
            r = bdrv_file_pread(bs, host, p, n, true, errp);
        if (r < 0)
            return r;
        p += n;
        offset += n;
        bytes -= n;
    }
    return 0;
}

static int write_footer(BlockDriverState *bs, uint64_t off, Error **errp)
{
    BDRVVpcState *s = bs->opaque;
    st32_be(s->footer + 64, 0);
    st32_be(s->footer + 64, vpc_checksum(s->footer, VHD_FOOTER));
    return bdrv_file_pwrite(bs, off, s->footer, VHD_FOOTER, errp);
}

/*
 * A new block goes where the footer is: its bitmap (all sectors present,
 * the data reads as zeros until written) and data first, then the footer
 * after it, then the BAT entry, so a crash leaves at worst an unused
 * block (the footer copy at offset 0 keeps the image readable).
 */
static int alloc_block(BlockDriverState *bs, uint64_t b, Error **errp)
{
    BDRVVpcState *s = bs->opaque;
    uint64_t off = s->free_offset;
    if ((off >> 9) >= VHD_BAT_FREE) {
        error_setg(errp, "%s: the VHD file cannot grow beyond 2 TiB", bs->filename);
        return -EFBIG;
    }
    uint8_t *bm = malloc(s->bitmap_size);
    if (!bm)
        pemu_abort("out of memory");
    memset(bm, 0xff, s->bitmap_size);
    int r = bdrv_file_pwrite(bs, off, bm, s->bitmap_size, errp);
    free(bm);
    uint64_t end = off + s->bitmap_size + s->block_size;
    if (r >= 0)
        r = write_footer(bs, end, errp);
    uint8_t e[4];
    st32_be(e, (uint32_t)(off >> 9));
    if (r >= 0)
        r = bdrv_file_pwrite(bs, s->bat_offset + 4 * b, e, 4, errp);
    if (r < 0)
        return r;
    s->bat[b] = (uint32_t)(off >> 9);
    s->free_offset = end;
    return 0;
}

static int vpc_pwrite(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                      const void *buf, Error **errp)
{
    BDRVVpcState *s = bs->opaque;
    const uint8_t *p = buf;
    while (bytes) {
        uint64_t n = bytes;
        uint64_t host = host_offset(s, offset, &n);
        int r = 0;
        if (!host && s->type != VHD_FIXED) {
            r = alloc_block(bs, offset / s->block_size, errp);
            if (r >= 0)
                host = host_offset(s, offset, &n);
        }
        if (r >= 0)
            r = bdrv_file_pwrite(bs, host, p, n, errp);
        if (r < 0)
            return r;
        p += n;
        offset += n;
        bytes -= n;
    }
    return 0;
}

static int vpc_flush(BlockDriverState *bs, Error **errp)
{
    return bdrv_file_sync(bs, errp);
}

static int vpc_block_status(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                            uint64_t *pnum, uint64_t *map, Error **errp)
{
    BDRVVpcState *s = bs->opaque;
    uint64_t n = bytes;
    uint64_t host = host_offset(s, offset, &n);
    *pnum = n;
    *map = host;
    if (!host && s->type != VHD_FIXED)
        return BDRV_BLOCK_ZERO | BDRV_BLOCK_ALLOCATED;   /* reads zeros, no backing */
    return BDRV_BLOCK_DATA | BDRV_BLOCK_ALLOCATED | BDRV_BLOCK_OFFSET_VALID |
           (s->type == VHD_FIXED ? BDRV_BLOCK_RECURSE : 0);
}

static void vpc_get_info(BlockDriverState *bs, BlockInfo *info)
{
    BDRVVpcState *s = bs->opaque;
    if (s->type == VHD_DYNAMIC)
        info->cluster_size = s->block_size;
}

/* The VHD spec's CHS algorithm (appendix "CHS calculation"). */
static void vpc_geometry(uint64_t sectors, uint16_t *c, uint8_t *h, uint8_t *sp)
{
    uint64_t cth, heads, spt;
    if (sectors > VHD_MAX_GEOMETRY)
        sectors = VHD_MAX_GEOMETRY;
    if (sectors >= 65535ull * 16 * 63) {
        spt = 255;
        heads = 16;
        cth = sectors / spt;
    } else {
        spt = 17;
        cth = sectors / spt;
        heads = (cth + 1023) / 1024;
        if (heads < 4)
            heads = 4;
        if (cth >= heads * 1024 || heads > 16) {
            spt = 31;
            heads = 16;
            cth = sectors / spt;
        }
        if (cth >= heads * 1024) {
            spt = 63;
            heads = 16;
            cth = sectors / spt;
        }
    }
    *c = (uint16_t)(cth / heads);
    *h = (uint8_t)heads;
    *sp = (uint8_t)spt;
}

static int vpc_create(const char *filename, uint64_t size, BlockOpts *opts, Error **errp)
{
    const char *sub = block_opts_get(opts, "subformat");
    bool force = false;
    PreallocMode pm = PREALLOC_OFF;
    const char *v;
    if (block_opts_get_bool(opts, "force_size", &force, errp) < 0)
        return -EINVAL;
    uint32_t type = VHD_DYNAMIC;
    if (sub && !strcmp(sub, "fixed"))
        type = VHD_FIXED;
    else if (sub && strcmp(sub, "dynamic")) {
        error_setg(errp, "Invalid subformat '%s' for vpc (use dynamic or fixed)", sub);
        return -EINVAL;
    }
    if ((v = block_opts_get(opts, "preallocation")) &&
        (block_parse_prealloc(v, &pm) < 0 || pm == PREALLOC_METADATA ||
         (pm != PREALLOC_OFF && type != VHD_FIXED))) {
        error_setg(errp, "Invalid preallocation mode '%s' for vpc (off; falloc or "
                   "full only with subformat=fixed)", v);
        return -EINVAL;
    }
    if (size == UINT64_MAX) {
        error_setg(errp, "Image creation needs a size parameter");
        return -EINVAL;
    }
    uint64_t total = size / 512;
    uint16_t cyls = 0;
    uint8_t heads = 0, spt = 0;
    if (force) {
        cyls = 65535;
        heads = 16;
        spt = 255;
    } else {
        /* Round up to the first size the geometry can express, so that a
         * convert never truncates. */
        uint64_t want = total < VHD_MAX_GEOMETRY ? total : VHD_MAX_GEOMETRY;
        for (uint64_t i = 0; want > (uint64_t)cyls * heads * spt; i++)
            vpc_geometry(want + i, &cyls, &heads, &spt);
        if ((uint64_t)cyls * heads * spt != VHD_MAX_GEOMETRY)
            total = (uint64_t)cyls * heads * spt;
    }
    if (total > VHD_MAX_SECTORS) {
        error_setg(errp, "Disk size is too large, max size is 2040 GiB");
        return -EFBIG;
    }
    uint64_t bytes = total * 512;
    uint8_t f[VHD_FOOTER];
    memset(f, 0, sizeof(f));
    memcpy(f, "conectix", 8);
    st32_be(f + 8, 2);
    st32_be(f + 12, 0x00010000);
    st64_be(f + 16, type == VHD_DYNAMIC ? VHD_FOOTER : UINT64_MAX);
    st32_be(f + 24, (uint32_t)(time(NULL) - VHD_TIMESTAMP_BASE));
    memcpy(f + 28, force ? "qem2" : "qemu", 4);
    st32_be(f + 32, 0x00050003);        /* the Virtual PC 2007 version */
    memcpy(f + 36, "Wi2k", 4);
    st64_be(f + 40, bytes);
    st64_be(f + 48, bytes);
    st16_be(f + 56, cyls);
    f[58] = heads;
    f[59] = spt;
    st32_be(f + 60, type);
    bdrv_random_bytes(f + 68, 16);
    f[68 + 6] = (uint8_t)((f[68 + 6] & 0x0f) | 0x40);
    f[68 + 8] = (uint8_t)((f[68 + 8] & 0x3f) | 0x80);
    st32_be(f + 64, vpc_checksum(f, sizeof(f)));

    int fd = open(filename, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        int e = errno;
        error_setg(errp, "Could not create '%s': %s", filename, strerror(e));
        return -e;
    }
    BlockDriverState tmp = { .fd = fd };
    snprintf(tmp.filename, sizeof(tmp.filename), "%s", filename);
    int r;
    if (type == VHD_FIXED) {
        r = bdrv_file_truncate(&tmp, bytes, errp);
        if (r >= 0 && pm == PREALLOC_FALLOC && bytes) {
            int e = posix_fallocate(fd, 0, (off_t)bytes);
            if (e && e != EINVAL && e != EOPNOTSUPP) {
                error_setg(errp, "preallocation=falloc failed: %s", strerror(e));
                r = -e;
            }
        } else if (r >= 0 && pm == PREALLOC_FULL) {
            uint8_t *z = calloc(1, 1 << 20);
            if (!z)
                pemu_abort("out of memory");
            for (uint64_t o = 0; r >= 0 && o < bytes; o += 1 << 20)
                r = bdrv_file_pwrite(&tmp, o, z, bytes - o < (1 << 20) ? bytes - o
                                                                    : (1 << 20), errp);
            free(z);
        }
        if (r >= 0)
            r = bdrv_file_pwrite(&tmp, bytes, f, sizeof(f), errp);
        close(fd);
        return r;
    }
    uint32_t bsize = 2u << 20;
    uint64_t entries = (total + bsize / 512 - 1) / (bsize / 512);
    uint64_t bat_bytes = (entries * 4 + 511) & ~511ull;
    uint64_t len = 3 * 512 + bat_bytes + VHD_FOOTER;
    uint8_t *buf = malloc(len);
    if (!buf)
        pemu_abort("out of memory");
    memset(buf, 0, 3 * 512);
    memcpy(buf, f, VHD_FOOTER);
    uint8_t *d = buf + 512;
    memcpy(d, "cxsparse", 8);
    st64_be(d + 8, UINT64_MAX);
    st64_be(d + 16, 3 * 512);
    st32_be(d + 24, 0x00010000);
    st32_be(d + 28, (uint32_t)entries);
    st32_be(d + 32, bsize);
    st32_be(d + 36, vpc_checksum(d, VHD_DYN_HEADER));
    memset(buf + 3 * 512, 0xff, bat_bytes);
    memcpy(buf + 3 * 512 + bat_bytes, f, VHD_FOOTER);
    r = bdrv_file_pwrite(&tmp, 0, buf, len, errp);
    free(buf);
    close(fd);
    return r;
}

static const char *const vpc_create_opts[] = {
    "size", "subformat", "force_size", "preallocation", NULL
};

const BlockDriver bdrv_vpc = {
    .format_name = "vpc",
    .state_size = sizeof(BDRVVpcState),
    .probe = vpc_probe,
    .open = vpc_open,
    .close = vpc_close,
    .pread = vpc_pread,
    .pwrite = vpc_pwrite,
    .flush = vpc_flush,
    .getlength = vpc_getlength,
    .block_status = vpc_block_status,
    .get_info = vpc_get_info,
    .create = vpc_create,
    .create_opts = vpc_create_opts,
};
