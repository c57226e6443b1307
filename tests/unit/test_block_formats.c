/* src/block/qcow.c, vmdk.c, vdi.c, vpc.c: random I/O against a shadow
 * copy through the block layer, reopen, compression, block status,
 * probing, and damaged headers that must fail cleanly. */
#include "unit.h"
#include "src/block/block.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *tpath(const char *name)
{
    static char buf[8][512];
    static int i;
    i = (i + 1) % 8;
    snprintf(buf[i], sizeof(buf[i]), "%s/%s", unit_tmpdir(), name);
    return buf[i];
}

static int create(const char *fmt, const char *path, uint64_t size, const char *opts)
{
    BlockOpts o = { 0 };
    Error *err = NULL;
    if (opts && block_opts_parse(&o, opts, &err) < 0)
        return -1;
    int r = bdrv_create(bdrv_find_format(fmt), path, size, &o, &err);
    if (err) {
        fprintf(stderr, "create: %s\n", err->msg);
        error_free(err);
    }
    block_opts_free(&o);
    return r;
}

static uint64_t rnd_state = 0x1234567;
static uint64_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state;
}

/* Whole-image comparison with the shadow; returns the first bad offset
 * or -1. */
static int64_t differs(BlockDriverState *bs, const uint8_t *shadow, uint64_t len)
{
    uint8_t *buf = malloc(len);
    Error *err = NULL;
    int64_t bad = -1;
    if (!buf || bdrv_pread(bs, 0, len, buf, &err) < 0) {
        error_free(err);
        free(buf);
        return 0;
    }
    for (uint64_t i = 0; i < len; i++) {
        if (buf[i] != shadow[i]) {
            bad = (int64_t)i;
            break;
        }
    }
    free(buf);
    return bad;
}

/* Random writes (data and zeros, unaligned, across block boundaries)
 * checked against a shadow copy, before and after reopening. */
static int roundtrip(const char *fmt, const char *opts, bool whole_grains_once)
{
    const char *path = tpath("rt.img");
    uint64_t req = 6u << 20;
    if (create(fmt, path, req, opts) < 0)
        return __LINE__;
    Error *err = NULL;
    BlockDriverState *bs = bdrv_open(path, fmt, BDRV_O_RDWR, &err);
    if (!bs) {
        fprintf(stderr, "%s\n", err->msg);
        return __LINE__;
    }
    uint64_t len = (uint64_t)bdrv_getlength(bs);
    if (len < req)
        return __LINE__;
    uint8_t *shadow = calloc(1, len), *data = malloc(300 << 10);
    bool *used = calloc(len >> 16, 1);
    int line = 0;
    if (differs(bs, shadow, len) != -1)
        line = __LINE__;
    for (int i = 0; i < 120 && !line; i++) {
        uint64_t off, n;
        if (whole_grains_once) {
            uint64_t g = rnd() % (len >> 16);
            if (used[g])
                continue;
            used[g] = true;
            off = g << 16;
            n = 65536;
        } else {
            off = rnd() % len;
            n = 1 + rnd() % (300 << 10);
            if (n > len - off)
                n = len - off;
        }
        bool zero = !whole_grains_once && rnd() % 4 == 0;
        uint8_t pat = (uint8_t)rnd();
        for (uint64_t k = 0; k < n; k++)
            data[k] = zero ? 0 : (uint8_t)(pat + k * 7);
        int r = zero ? bdrv_pwrite_zeroes(bs, off, n, 0, &err)
                     : bdrv_pwrite(bs, off, n, data, &err);
        if (r < 0) {
            fprintf(stderr, "write %llu+%llu: %s\n", (unsigned long long)off,
                    (unsigned long long)n, err->msg);
            line = __LINE__;
            break;
        }
        memcpy(shadow + off, data, n);
        if (i % 40 == 39 && differs(bs, shadow, len) != -1)
            line = __LINE__;
    }
    if (!line && bdrv_flush(bs, &err) < 0)
        line = __LINE__;
    bdrv_close(bs);
    if (!line) {
        bs = bdrv_open(path, NULL, 0, &err);       /* probed */
        if (!bs || strcmp(bs->drv->format_name, fmt))
            line = strcmp(fmt, "vpc") || !bs ? __LINE__ : 0;
        if (bs && !line) {
            int64_t bad = differs(bs, shadow, len);
            if (bad != -1) {
                fprintf(stderr, "after reopen: first difference at %lld\n", (long long)bad);
                line = __LINE__;
            }
        }
        if (bs && bs->drv->check && !line) {
            BlockCheckResult res;
            if (bs->drv->check(bs, &res, BDRV_CHECK_QUIET, &err) < 0 || res.corruptions)
                line = __LINE__;
        }
        bdrv_close(bs);
    }
    error_free(err);
    free(shadow);
    free(data);
    free(used);
    return line;
}

TEST(qcow_roundtrip) { CHECK_EQ(roundtrip("qcow", NULL, false), 0); }
TEST(vdi_dynamic_roundtrip) { CHECK_EQ(roundtrip("vdi", NULL, false), 0); }
TEST(vdi_static_roundtrip) { CHECK_EQ(roundtrip("vdi", "static=on", false), 0); }
TEST(vpc_dynamic_roundtrip) { CHECK_EQ(roundtrip("vpc", NULL, false), 0); }
TEST(vpc_fixed_roundtrip) { CHECK_EQ(roundtrip("vpc", "subformat=fixed", false), 0); }
TEST(vmdk_sparse_roundtrip) { CHECK_EQ(roundtrip("vmdk", NULL, false), 0); }
TEST(vmdk_flat_roundtrip) { CHECK_EQ(roundtrip("vmdk", "subformat=monolithicFlat", false), 0); }
TEST(vmdk_zeroed_grain_roundtrip) { CHECK_EQ(roundtrip("vmdk", "zeroed_grain=on", false), 0); }
TEST(vmdk_stream_roundtrip) { CHECK_EQ(roundtrip("vmdk", "subformat=streamOptimized", true), 0); }
/* pemu also rewrites and partly writes stream grains (qemu refuses). */
TEST(vmdk_stream_rewrite) { CHECK_EQ(roundtrip("vmdk", "subformat=streamOptimized", false), 0); }

TEST(vpc_size_follows_chs_geometry)
{
    const char *p = tpath("g.vhd");
    Error *err = NULL;
    CHECK(create("vpc", p, 10 << 20, NULL) == 0);
    BlockDriverState *bs = bdrv_open(p, NULL, 0, &err);
    CHECK(bs);
    CHECK_EQ(bdrv_getlength(bs), 10514432);    /* 302 x 4 x 17 sectors */
    bdrv_close(bs);
    CHECK(create("vpc", p, 10 << 20, "force_size=on") == 0);
    bs = bdrv_open(p, NULL, 0, &err);
    CHECK(bs);
    CHECK_EQ(bdrv_getlength(bs), 10 << 20);
    bdrv_close(bs);
}

static int compressed_roundtrip(const char *fmt, const char *opts, uint64_t cs)
{
    const char *p = tpath("c.img");
    Error *err = NULL;
    if (create(fmt, p, 1 << 20, opts) < 0)
        return __LINE__;
    BlockDriverState *bs = bdrv_open(p, fmt, BDRV_O_RDWR, &err);
    if (!bs)
        return __LINE__;
    uint8_t *d = malloc(4 * cs), *r = malloc(4 * cs);
    for (uint64_t i = 0; i < 4 * cs; i++)
        d[i] = (uint8_t)(i / 100);
    int line = 0;
    if (bdrv_pwrite_compressed(bs, 2 * cs, 4 * cs, d, &err) < 0)
        line = __LINE__;
    uint64_t pnum, map;
    int st = line ? 0 : bdrv_block_status(bs, 2 * cs, cs, &pnum, &map, &err);
    if (!line && !(st & BDRV_BLOCK_COMPRESSED))
        line = __LINE__;
    /* A partial overwrite decompresses, merges and stores the cluster. */
    memset(d + 10, 0xee, 100);
    if (!line && bdrv_pwrite(bs, 2 * cs + 10, 100, d + 10, &err) < 0)
        line = __LINE__;
    bdrv_close(bs);
    bs = line ? NULL : bdrv_open(p, fmt, 0, &err);
    if (!line && (!bs || bdrv_pread(bs, 2 * cs, 4 * cs, r, &err) < 0 || memcmp(d, r, 4 * cs)))
        line = __LINE__;
    /* Compression must actually have shrunk the data. */
    if (!line && bdrv_allocated_file_size(bs) > (int64_t)(3 * cs + 96 * 1024))
        line = __LINE__;
    bdrv_close(bs);
    error_free(err);
    free(d);
    free(r);
    return line;
}

TEST(qcow_compressed) { CHECK_EQ(compressed_roundtrip("qcow", NULL, 4096), 0); }
TEST(vmdk_stream_compressed) { CHECK_EQ(compressed_roundtrip("vmdk", "subformat=streamOptimized", 65536), 0); }

TEST(compressed_needs_stream_vmdk)
{
    const char *p = tpath("s.vmdk");
    Error *err = NULL;
    CHECK(create("vmdk", p, 1 << 20, NULL) == 0);
    BlockDriverState *bs = bdrv_open(p, NULL, BDRV_O_RDWR, &err);
    CHECK(bs);
    uint8_t d[65536] = { 1 };
    CHECK(bdrv_pwrite_compressed(bs, 0, sizeof(d), d, &err) < 0);
    CHECK(err && strstr(err->msg, "streamOptimized"));
    error_free(err);
    bdrv_close(bs);
}

TEST(qcow_backing_cow)
{
    const char *base = tpath("base.raw"), *top = tpath("top.qcow");
    Error *err = NULL;
    CHECK(create("raw", base, 1 << 20, NULL) == 0);
    BlockDriverState *b = bdrv_open(base, "raw", BDRV_O_RDWR, &err);
    CHECK(b);
    uint8_t x[1 << 16];
    memset(x, 0x5a, sizeof(x));
    for (int i = 0; i < 16; i++)
        CHECK(bdrv_pwrite(b, (uint64_t)i << 16, sizeof(x), x, &err) == 0);
    bdrv_close(b);
    CHECK(create("qcow", top, UINT64_MAX, "backing_file=base.raw,backing_fmt=raw") == 0);
    BlockDriverState *bs = bdrv_open(top, NULL, BDRV_O_RDWR, &err);
    CHECK(bs);
    CHECK_EQ(bdrv_getlength(bs), 1 << 20);
    CHECK_STR(bs->backing_file, "base.raw");
    uint8_t w[100];
    memset(w, 0x11, sizeof(w));
    CHECK(bdrv_pwrite(bs, 1000, sizeof(w), w, &err) == 0);
    uint8_t r[4096];
    CHECK(bdrv_pread(bs, 0, sizeof(r), r, &err) == 0);
    for (int i = 0; i < 4096; i++)
        CHECK_EQ(r[i], i >= 1000 && i < 1100 ? 0x11 : 0x5a);
    bdrv_close(bs);
}

TEST(probe_scores)
{
    uint8_t b[512];
    memset(b, 0, sizeof(b));
    memcpy(b, "QFI\xfb\0\0\0\1", 8);
    CHECK_STR(bdrv_probe_buf(b, sizeof(b), "x")->format_name, "qcow");
    b[7] = 3;
    CHECK_STR(bdrv_probe_buf(b, sizeof(b), "x")->format_name, "qcow2");
    memset(b, 0, sizeof(b));
    memcpy(b, "KDMV", 4);
    CHECK_STR(bdrv_probe_buf(b, sizeof(b), "x")->format_name, "vmdk");
    memset(b, 0, sizeof(b));
    st32_le(b + 0x40, 0xbeda107f);
    CHECK_STR(bdrv_probe_buf(b, sizeof(b), "x")->format_name, "vdi");
    memset(b, 0, sizeof(b));
    memcpy(b, "conectix", 8);
    CHECK_STR(bdrv_probe_buf(b, sizeof(b), "x")->format_name, "vpc");
    const char *d = "# Disk DescriptorFile\n\nversion=1\nCID=1\n";
    CHECK_STR(bdrv_probe_buf((const uint8_t *)d, (int)strlen(d), "x")->format_name, "vmdk");
    d = "# Disk DescriptorFile\nversion=7\n";
    CHECK_STR(bdrv_probe_buf((const uint8_t *)d, (int)strlen(d), "x")->format_name, "raw");
}

/* Overwrite bytes of a file. */
static void poke(const char *path, uint64_t off, const void *v, size_t n)
{
    int fd = open(path, O_WRONLY);
    if (fd >= 0) {
        if (pwrite(fd, v, n, (off_t)off) != (ssize_t)n)
            perror("poke");
        close(fd);
    }
}

static bool open_fails(const char *path, const char *fmt, const char *what)
{
    Error *err = NULL;
    BlockDriverState *bs = bdrv_open(path, fmt, 0, &err);
    bool ok = !bs && err && strstr(err->msg, path) && (!what || strstr(err->msg, what));
    if (!ok)
        fprintf(stderr, "open %s: %s\n", path, bs ? "opened" : err ? err->msg : "?");
    bdrv_close(bs);
    error_free(err);
    return ok;
}

TEST(damaged_headers_fail_cleanly)
{
    const char *p = tpath("d.img");
    uint8_t v[8];
    /* qcow: cluster_bits out of range, L1 past the end, encryption. */
    CHECK(create("qcow", p, 1 << 20, NULL) == 0);
    poke(p, 32, "\x20", 1);
    CHECK(open_fails(p, NULL, "Cluster size"));
    CHECK(create("qcow", p, 1 << 20, NULL) == 0);
    st64_be(v, 1ull << 40);
    poke(p, 40, v, 8);
    CHECK(open_fails(p, NULL, "L1 table"));
    CHECK(create("qcow", p, 1 << 20, NULL) == 0);
    poke(p, 36, "\0\0\0\1", 4);
    CHECK(open_fails(p, NULL, "encrypted"));
    /* vdi: wrong block size, bmap overlapping the header. */
    CHECK(create("vdi", p, 4 << 20, NULL) == 0);
    poke(p, 0x178, "\0\0\1\0", 4);
    CHECK(open_fails(p, NULL, "block size"));
    CHECK(create("vdi", p, 4 << 20, NULL) == 0);
    poke(p, 0x158, "\0\2\0\0", 4);
    CHECK(open_fails(p, NULL, "overlaps"));
    /* vdi: a map entry past the image reads as an error, not a wild read. */
    CHECK(create("vdi", p, 4 << 20, "static=on") == 0);
    poke(p, 0x200, "\x55\0\0\0", 4);
    Error *err = NULL;
    BlockDriverState *bs = bdrv_open(p, NULL, 0, &err);
    CHECK(bs);
    uint8_t buf[512];
    CHECK(bdrv_pread(bs, 0, 512, buf, &err) < 0);
    CHECK(err && strstr(err->msg, "corrupt"));
    error_free(err);
    err = NULL;
    BlockCheckResult res;
    CHECK(bs->drv->check(bs, &res, BDRV_CHECK_QUIET, &err) == 0 && res.corruptions == 1);
    bdrv_close(bs);
    /* vpc: checksum, and a BAT that cannot cover the disk. */
    CHECK(create("vpc", p, 4 << 20, NULL) == 0);
    poke(p, 0x40, "\0", 1);
    CHECK(open_fails(p, NULL, "checksum"));
    CHECK(create("vpc", p, 4 << 20, NULL) == 0);
    poke(p, 512 + 28, "\0\0\0\1", 4);
    CHECK(open_fails(p, NULL, "Page table too small"));
    /* vmdk: granularity, a descriptor naming a missing extent. */
    CHECK(create("vmdk", p, 4 << 20, NULL) == 0);
    poke(p, 20, "\x03", 1);
    CHECK(open_fails(p, NULL, "granularity"));
    const char *dp = tpath("desc.vmdk");
    const char *desc = "# Disk DescriptorFile\nversion=1\nCID=1\nparentCID=ffffffff\n"
                       "createType=\"monolithicFlat\"\nRW 2048 FLAT \"missing-flat.vmdk\" 0\n";
    int fd = open(dp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0 && write(fd, desc, strlen(desc)) == (ssize_t)strlen(desc));
    close(fd);
    CHECK(open_fails(dp, NULL, "missing-flat.vmdk"));
}

TEST(vmdk_descriptor_multi_extent)
{
    /* A hand-written descriptor: a flat extent with an offset, a zero
     * extent and a sparse extent, read back in order. */
    const char *dp = tpath("multi.vmdk"), *fp = tpath("multi-f.raw");
    CHECK(create("raw", fp, 2 << 20, NULL) == 0);
    CHECK(create("vmdk", tpath("multi-s.vmdk"), 1 << 20, NULL) == 0);
    uint8_t a[4096];
    memset(a, 0xa1, sizeof(a));
    poke(fp, 1 << 20, a, sizeof(a));
    const char *desc = "# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\n"
                       "createType=\"twoGbMaxExtentFlat\"\n\n# Extent description\n"
                       "RW 2048 FLAT \"multi-f.raw\" 2048\nRW 1024 ZERO\n"
                       "RW 2048 SPARSE \"multi-s.vmdk\"\n";
    int fd = open(dp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0 && write(fd, desc, strlen(desc)) == (ssize_t)strlen(desc));
    close(fd);
    Error *err = NULL;
    BlockDriverState *bs = bdrv_open(dp, NULL, BDRV_O_RDWR, &err);
    if (!bs)
        fprintf(stderr, "%s\n", err->msg);
    CHECK(bs);
    CHECK_EQ(bdrv_getlength(bs), 5 << 19);
    uint8_t r[4096];
    CHECK(bdrv_pread(bs, 0, sizeof(r), r, &err) == 0 && !memcmp(r, a, sizeof(r)));
    /* Writes land in the sparse extent, zero extents refuse them. */
    CHECK(bdrv_pwrite(bs, 3 << 19, sizeof(a), a, &err) == 0);
    CHECK(bdrv_pwrite(bs, 2 << 19, 512, a, &err) < 0);
    error_free(err);
    err = NULL;
    BlockInfo info;
    memset(&info, 0, sizeof(info));
    bs->drv->get_info(bs, &info);
    CHECK_EQ(info.nb_extents, 3);
    CHECK_STR(info.extents[1].format, "ZERO");
    CHECK_EQ(info.extents[2].virtual_size, 1 << 20);
    int64_t cid = info.items[0].num;
    CHECK(cid != 0xfffffffe);
    free(info.extents);
    bdrv_close(bs);
    bs = bdrv_open(tpath("multi-s.vmdk"), NULL, 0, &err);
    CHECK(bs);
    CHECK(bdrv_pread(bs, 0, sizeof(r), r, &err) == 0 && !memcmp(r, a, sizeof(r)));
    bdrv_close(bs);
    /* The first write of the session gave the image a new content ID,
     * and the descriptor file kept it. */
    bs = bdrv_open(dp, NULL, 0, &err);
    CHECK(bs);
    memset(&info, 0, sizeof(info));
    bs->drv->get_info(bs, &info);
    CHECK_EQ(info.items[0].num, cid);
    free(info.extents);
    bdrv_close(bs);
}
