/* src/block/block.c and raw.c: options, sizes, probing, backing chains,
 * -snapshot overlays, raw images. */
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

TEST(sizes)
{
    uint64_t v;
    CHECK(block_parse_size("512", &v) == 0 && v == 512);
    CHECK(block_parse_size("10G", &v) == 0 && v == 10ull << 30);
    CHECK(block_parse_size("1.5M", &v) == 0 && v == 3ull << 19);
    CHECK(block_parse_size("64k", &v) == 0 && v == 65536);
    CHECK(block_parse_size("2E", &v) == 0 && v == 2ull << 60);
    CHECK(block_parse_size("16E", &v) < 0);
    CHECK(block_parse_size("-1", &v) < 0);
    CHECK(block_parse_size("12X", &v) < 0);
    CHECK(block_parse_size("", &v) < 0);
    char b[32];
    block_size_to_str(b, sizeof(b), 200704);
    CHECK_STR(b, "196 KiB");
    block_size_to_str(b, sizeof(b), 1073741824);
    CHECK_STR(b, "1 GiB");
    block_size_to_str(b, sizeof(b), 1536);
    CHECK_STR(b, "1.5 KiB");
    block_size_to_str(b, sizeof(b), 0);
    CHECK_STR(b, "0 B");
    block_size_to_str(b, sizeof(b), 1000);     /* 1000..1023 go up a unit */
    CHECK_STR(b, "0.977 KiB");
}

TEST(opts)
{
    BlockOpts o = { 0 };
    Error *err = NULL;
    CHECK(block_opts_parse(&o, "a=1,b=x,,y,c=", &err) == 0);
    CHECK_STR(block_opts_get(&o, "b"), "x,y");
    CHECK_STR(block_opts_get(&o, "c"), "");
    CHECK_STR(block_opts_unused(&o), "a");
    uint64_t v;
    CHECK(block_opts_get_size(&o, "a", &v, &err) == 1 && v == 1);
    CHECK(block_opts_unused(&o) == NULL);
    CHECK(block_opts_parse(&o, "novalue", &err) < 0);
    CHECK(err != NULL);
    error_free(err);
    block_opts_free(&o);
}

TEST(raw_roundtrip_and_sparse)
{
    const char *p = tpath("r.img");
    CHECK(create("raw", p, 4 << 20, NULL) == 0);
    Error *err = NULL;
    BlockDriverState *bs = bdrv_open(p, "raw", BDRV_O_RDWR, &err);
    CHECK(bs);
    CHECK(bdrv_getlength(bs) == 4 << 20);
    uint8_t w[3000], r[3000];
    for (int i = 0; i < 3000; i++)
        w[i] = (uint8_t)(i * 7);
    CHECK(bdrv_pwrite(bs, 1 << 20, 3000, w, &err) == 0);
    CHECK(bdrv_pread(bs, 1 << 20, 3000, r, &err) == 0);
    CHECK(memcmp(w, r, 3000) == 0);
    /* Reading past the end is refused, not zero-filled. */
    CHECK(bdrv_pread(bs, (4 << 20) - 10, 20, r, &err) < 0);
    CHECK(err && strstr(err->msg, "past the end"));
    error_free(err);
    err = NULL;
    uint64_t pnum, map;
    int st = bdrv_block_status(bs, 0, 4 << 20, &pnum, &map, &err);
    CHECK(st >= 0 && (st & BDRV_BLOCK_ZERO) && pnum <= (1 << 20));
    st = bdrv_block_status(bs, 1 << 20, 4096, &pnum, &map, &err);
    CHECK(st & BDRV_BLOCK_DATA);
    CHECK(bdrv_truncate(bs, 8 << 20, false, PREALLOC_OFF, &err) == 0);
    CHECK(bdrv_getlength(bs) == 8 << 20);
    bdrv_close(bs);
}

TEST(raw_prealloc_full)
{
    const char *p = tpath("full.img");
    CHECK(create("raw", p, 1 << 20, "preallocation=full") == 0);
    struct stat st;
    CHECK(stat(p, &st) == 0);
    CHECK(st.st_size == 1 << 20);
    CHECK((uint64_t)st.st_blocks * 512 >= 1 << 20);
    CHECK(create("raw", p, 1 << 20, "preallocation=bogus") < 0);
}

/* A probed raw image must not be turned into a qcow2 by a guest write. */
TEST(probed_raw_sector0_guard)
{
    const char *p = tpath("guard.img");
    CHECK(create("raw", p, 1 << 20, NULL) == 0);
    Error *err = NULL;
    BlockDriverState *bs = bdrv_open(p, NULL, BDRV_O_RDWR, &err);
    CHECK(bs && bs->probed && bs->drv == &bdrv_raw);
    uint8_t hdr[512] = { 'Q', 'F', 'I', 0xfb, 0, 0, 0, 3 };
    CHECK(bdrv_pwrite(bs, 0, 512, hdr, &err) < 0);
    CHECK(err && strstr(err->msg, "sector 0"));
    error_free(err);
    err = NULL;
    uint8_t ok[512] = { 0x55, 0xaa };
    CHECK(bdrv_pwrite(bs, 0, 512, ok, &err) == 0);
    bdrv_close(bs);
    /* format=raw given explicitly: allowed. */
    bs = bdrv_open(p, "raw", BDRV_O_RDWR, &err);
    CHECK(bs && !bs->probed);
    CHECK(bdrv_pwrite(bs, 0, 512, hdr, &err) == 0);
    bdrv_close(bs);
}

TEST(backing_chain_relative_and_loop)
{
    CHECK(mkdir(tpath("d"), 0755) == 0);
    CHECK(create("raw", tpath("d/base.raw"), 1 << 20, NULL) == 0);
    CHECK(create("qcow2", tpath("d/mid.qcow2"), UINT64_MAX,
                 "backing_file=base.raw,backing_fmt=raw") == 0);
    CHECK(create("qcow2", tpath("d/top.qcow2"), UINT64_MAX,
                 "backing_file=mid.qcow2,backing_fmt=qcow2") == 0);
    Error *err = NULL;
    BlockDriverState *b = bdrv_open(tpath("d/base.raw"), "raw", BDRV_O_RDWR, &err);
    CHECK(b);
    uint8_t x[512];
    memset(x, 0x5a, sizeof(x));
    CHECK(bdrv_pwrite(b, 4096, 512, x, &err) == 0);
    bdrv_close(b);
    /* Opened from another directory: names resolve against the overlay. */
    BlockDriverState *top = bdrv_open(tpath("d/top.qcow2"), NULL, 0, &err);
    CHECK(top && top->backing && top->backing->backing);
    CHECK(bdrv_getlength(top) == 1 << 20);
    uint8_t r[512];
    CHECK(bdrv_pread(top, 4096, 512, r, &err) == 0);
    CHECK(memcmp(r, x, 512) == 0);
    uint64_t pnum, map;
    int depth;
    BlockDriverState *file;
    int st = bdrv_block_status_above(top, 4096, 512, &pnum, &map, &depth, &file, &err);
    CHECK(st & BDRV_BLOCK_DATA);
    CHECK_EQ(depth, 2);
    bdrv_close(top);

    /* a -> b -> a is reported, not followed forever. */
    CHECK(create("qcow2", tpath("d/a.qcow2"), 1 << 20, NULL) == 0);
    CHECK(create("qcow2", tpath("d/b.qcow2"), 1 << 20,
                 "backing_file=a.qcow2,backing_fmt=qcow2") == 0);
    BlockDriverState *a = bdrv_open(tpath("d/a.qcow2"), "qcow2",
                                    BDRV_O_RDWR | BDRV_O_NO_BACKING, &err);
    CHECK(a);
    CHECK(a->drv->change_backing(a, "b.qcow2", "qcow2", &err) == 0);
    bdrv_close(a);
    a = bdrv_open(tpath("d/a.qcow2"), NULL, 0, &err);
    CHECK(a == NULL);
    CHECK(err && strstr(err->msg, "loop"));
    error_free(err);
    err = NULL;
    /* A missing backing file is an error naming it. */
    CHECK(create("qcow2", tpath("d/orphan.qcow2"), 1 << 20,
                 "backing_file=gone.qcow2,backing_fmt=qcow2") == 0);
    CHECK(bdrv_open(tpath("d/orphan.qcow2"), NULL, 0, &err) == NULL);
    CHECK(err && strstr(err->msg, "gone.qcow2"));
    error_free(err);
}

TEST(snapshot_mode_leaves_image_untouched)
{
    const char *p = tpath("s.raw");
    CHECK(create("raw", p, 1 << 20, NULL) == 0);
    Error *err = NULL;
    BlockBackend *blk = blk_open(p, "raw", BDRV_O_RDWR | BDRV_O_SNAPSHOT, &err);
    CHECK(blk);
    uint8_t x[4096], r[4096];
    memset(x, 0x77, sizeof(x));
    CHECK(blk_pwrite(blk, 8192, 4096, x, &err) == 0);
    CHECK(blk_pread(blk, 8192, 4096, r, &err) == 0);
    CHECK(memcmp(x, r, 4096) == 0);
    CHECK(blk_getlength(blk) == 1 << 20);
    blk_close(blk);
    blk = blk_open(p, "raw", 0, &err);
    CHECK(blk);
    CHECK(blk_pread(blk, 8192, 4096, r, &err) == 0);
    for (int i = 0; i < 4096; i++)
        CHECK(r[i] == 0);
    /* A read-only backend refuses writes. */
    CHECK(blk_pwrite(blk, 0, 512, x, &err) < 0);
    error_free(err);
    blk_close(blk);
}

/* The monitor's commit of a -snapshot overlay, onto raw and onto qcow2
 * (whose metadata the chain must not serve stale afterwards: the commit
 * allocates new clusters in the base behind the read-only open's back). */
static void commit_case(const char *fmt, const char *name)
{
    const char *p = tpath(name);
    CHECK(create(fmt, p, 4 << 20, NULL) == 0);
    Error *err = NULL;
    BlockBackend *blk = blk_open(p, fmt, BDRV_O_RDWR | BDRV_O_SNAPSHOT, &err);
    CHECK(blk);
    if (!blk)
        return;
    uint8_t x[4096], r[4096];
    memset(x, 0x5a, sizeof(x));
    CHECK(blk_pwrite(blk, 3 << 20, 4096, x, &err) == 0);
    CHECK(blk_commit(blk, &err) == 0);
    /* reads go through the emptied overlay to the committed base */
    memset(r, 0, sizeof(r));
    CHECK(blk_pread(blk, 3 << 20, 4096, r, &err) == 0);
    CHECK(memcmp(x, r, 4096) == 0);
    /* later writes still land in the overlay only */
    uint8_t y[512];
    memset(y, 0x11, sizeof(y));
    CHECK(blk_pwrite(blk, 0, 512, y, &err) == 0);
    blk_close(blk);
    blk = blk_open(p, fmt, 0, &err);
    CHECK(blk);
    if (!blk)
        return;
    CHECK(blk_pread(blk, 3 << 20, 4096, r, &err) == 0);
    CHECK(memcmp(x, r, 4096) == 0);               /* committed */
    CHECK(blk_pread(blk, 0, 512, r, &err) == 0);
    CHECK(r[0] == 0 && r[511] == 0);              /* not committed */
    blk_close(blk);
    error_free(err);
}

TEST(commit_snapshot_overlay)
{
    commit_case("raw", "c.raw");
    commit_case("qcow2", "c.qcow2");
    /* nothing to commit to */
    Error *err = NULL;
    CHECK(create("raw", tpath("nb.raw"), 1 << 20, NULL) == 0);
    BlockBackend *blk = blk_open(tpath("nb.raw"), "raw", BDRV_O_RDWR, &err);
    CHECK(blk);
    CHECK(blk_commit(blk, &err) < 0);
    CHECK(err && strstr(err->msg, "no backing file"));
    error_free(err);
    blk_close(blk);
}

TEST(not_an_image_errors)
{
    Error *err = NULL;
    CHECK(bdrv_open(tpath("nonexistent"), NULL, 0, &err) == NULL);
    CHECK(err && strstr(err->msg, "nonexistent"));
    error_free(err);
    err = NULL;
    CHECK(bdrv_open(unit_tmpdir(), NULL, 0, &err) == NULL);
    error_free(err);
    err = NULL;
    CHECK(bdrv_open(tpath("x"), "vmdk9", 0, &err) == NULL);
    CHECK(err && strstr(err->msg, "vmdk9"));
    error_free(err);
}
