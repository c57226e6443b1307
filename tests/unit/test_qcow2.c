/* src/block/qcow2*.c: round trips against a model, COW, compression,
 * snapshots, check/repair, and crafted bad images. */
#include "unit.h"
#include "src/block/block.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *tpath(const char *name)
{
    static char buf[8][512];
    static int i;
    i = (i + 1) % 8;
    snprintf(buf[i], sizeof(buf[i]), "%s/%s", unit_tmpdir(), name);
    return buf[i];
}

static int create(const char *path, uint64_t size, const char *opts)
{
    BlockOpts o = { 0 };
    Error *err = NULL;
    if (opts && block_opts_parse(&o, opts, &err) < 0)
        return -1;
    int r = bdrv_create(&bdrv_qcow2, path, size, &o, &err);
    if (err) {
        fprintf(stderr, "create: %s\n", err->msg);
        error_free(err);
    }
    block_opts_free(&o);
    return r;
}

static BlockDriverState *open_img(const char *path, int flags)
{
    Error *err = NULL;
    BlockDriverState *bs = bdrv_open(path, "qcow2", flags, &err);
    if (!bs) {
        fprintf(stderr, "open: %s\n", err->msg);
        error_free(err);
    }
    return bs;
}

static int check_clean(const char *path)
{
    BlockDriverState *bs = open_img(path, BDRV_O_CHECK | BDRV_O_NO_BACKING);
    if (!bs)
        return -1;
    BlockCheckResult res;
    Error *err = NULL;
    int r = bs->drv->check(bs, &res, 0, &err);
    error_free(err);
    bdrv_close(bs);
    if (r < 0)
        return r;
    return (int)(res.corruptions + res.leaks + res.check_errors);
}

static uint32_t rnd_state = 12345;
static uint32_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 17;
    rnd_state ^= rnd_state << 5;
    return rnd_state;
}

/* Random writes, zero writes, discards and compressed writes, mirrored in
 * a flat buffer; the image must read back the same before and after a
 * reopen, and check clean. */
static void model_run(const char *opts, uint64_t size, uint64_t cs, int ops)
{
    const char *p = tpath("model.qcow2");
    unlink(p);
    CHECK(create(p, size, opts) == 0);
    uint8_t *model = calloc(1, size), *buf = malloc(size);
    CHECK(model && buf);
    BlockDriverState *bs = open_img(p, BDRV_O_RDWR);
    CHECK(bs);
    Error *err = NULL;
    for (int i = 0; i < ops; i++) {
        uint64_t off = rnd() % size;
        uint64_t len = 1 + rnd() % (cs * 3);
        if (len > size - off)
            len = size - off;
        int kind = rnd() % 8;
        if (kind == 0) {
            CHECK(bdrv_pwrite_zeroes(bs, off, len, rnd() & 1 ? BDRV_REQ_MAY_UNMAP : 0,
                                     &err) == 0);
            memset(model + off, 0, len);
        } else if (kind == 1) {
            /* Discard leaves the range unspecified in general; without a
             * backing file qcow2 reads zeros for whole clusters. */
            uint64_t a = (off + cs - 1) / cs * cs, e = (off + len) / cs * cs;
            if (off + len == size)
                e = size;
            CHECK(bdrv_pdiscard(bs, off, len, &err) == 0);
            if (e > a)
                memset(model + a, 0, e - a);
        } else if (kind == 2 && bs->drv->pwrite_compressed) {
            uint64_t c = (off / cs) * cs;
            uint64_t n = size - c < cs ? size - c : cs;
            memset(model + c, (int)(rnd() & 0xff), n);
            model[c + rnd() % n] ^= 0x5a;
            CHECK(bdrv_pwrite_compressed(bs, c, n, model + c, &err) == 0);
        } else {
            for (uint64_t k = 0; k < len; k++)
                model[off + k] = (uint8_t)rnd();
            CHECK(bdrv_pwrite(bs, off, len, model + off, &err) == 0);
        }
        if (err) {
            fprintf(stderr, "%s\n", err->msg);
            error_free(err);
            err = NULL;
        }
    }
    CHECK(bdrv_pread(bs, 0, size, buf, &err) == 0);
    CHECK(memcmp(buf, model, size) == 0);
    bdrv_close(bs);
    bs = open_img(p, 0);
    CHECK(bs);
    memset(buf, 0xee, size);
    CHECK(bdrv_pread(bs, 0, size, buf, &err) == 0);
    CHECK(memcmp(buf, model, size) == 0);
    bdrv_close(bs);
    CHECK_EQ(check_clean(p), 0);
    free(model);
    free(buf);
}

TEST(model_v3_64k) { model_run("compat=1.1", 8 << 20, 65536, 300); }
TEST(model_v2_64k) { model_run("compat=0.10", 8 << 20, 65536, 300); }
TEST(model_512) { model_run("cluster_size=512", 2 << 20, 512, 2000); }
TEST(model_2M) { model_run("cluster_size=2M", 12 << 20, 2 << 20, 60); }
TEST(model_refcount_bits_2) { model_run("refcount_bits=2,cluster_size=4096", 2 << 20, 4096, 600); }
TEST(model_refcount_bits_64) { model_run("refcount_bits=64,cluster_size=4096", 2 << 20, 4096, 300); }
TEST(model_lazy_refcounts) { model_run("lazy_refcounts=on", 4 << 20, 65536, 200); }
#ifdef CONFIG_ZSTD
TEST(model_zstd) { model_run("compression_type=zstd,cluster_size=16k", 4 << 20, 16384, 300); }
#endif

/* Enough 512-byte clusters that the refcount table must move. */
TEST(refcount_table_grows)
{
    const char *p = tpath("grow.qcow2");
    CHECK(create(p, 24 << 20, "cluster_size=512") == 0);
    BlockDriverState *bs = open_img(p, BDRV_O_RDWR);
    CHECK(bs);
    uint8_t *b = malloc(1 << 20);
    CHECK(b);
    Error *err = NULL;
    for (int i = 0; i < 24; i++) {
        memset(b, i + 1, 1 << 20);
        CHECK(bdrv_pwrite(bs, (uint64_t)i << 20, 1 << 20, b, &err) == 0);
    }
    bdrv_close(bs);
    CHECK_EQ(check_clean(p), 0);
    bs = open_img(p, 0);
    CHECK(bs);
    for (int i = 0; i < 24; i++) {
        CHECK(bdrv_pread(bs, (uint64_t)i << 20, 1 << 20, b, &err) == 0);
        CHECK(b[0] == i + 1 && b[(1 << 20) - 1] == i + 1);
    }
    bdrv_close(bs);
    free(b);
}

TEST(cow_from_backing)
{
    const char *base = tpath("base.qcow2"), *top = tpath("top.qcow2");
    CHECK(create(base, 1 << 20, NULL) == 0);
    BlockDriverState *bs = open_img(base, BDRV_O_RDWR);
    CHECK(bs);
    uint8_t *b = malloc(1 << 20), *r = malloc(1 << 20);
    CHECK(b && r);
    for (int i = 0; i < 1 << 20; i++)
        b[i] = (uint8_t)(i / 511);
    Error *err = NULL;
    CHECK(bdrv_pwrite(bs, 0, 1 << 20, b, &err) == 0);
    bdrv_close(bs);
    CHECK(create(top, UINT64_MAX, "backing_file=base.qcow2,backing_fmt=qcow2") == 0);
    bs = open_img(top, BDRV_O_RDWR);
    CHECK(bs && bs->backing);
    memset(b + 100000, 0xab, 10);
    CHECK(bdrv_pwrite(bs, 100000, 10, b + 100000, &err) == 0);
    memset(b + 200000, 0, 70000);
    CHECK(bdrv_pwrite_zeroes(bs, 200000, 70000, 0, &err) == 0);
    CHECK(bdrv_pread(bs, 0, 1 << 20, r, &err) == 0);
    CHECK(memcmp(b, r, 1 << 20) == 0);
    /* Only the touched clusters are allocated in the overlay. */
    uint64_t pnum, map;
    int st = bdrv_block_status(bs, 0, 65536, &pnum, &map, &err);
    CHECK(!(st & BDRV_BLOCK_ALLOCATED));
    st = bdrv_block_status(bs, 65536, 65536, &pnum, &map, &err);
    CHECK(st & BDRV_BLOCK_DATA);
    bdrv_close(bs);
    CHECK_EQ(check_clean(top), 0);
    free(b);
    free(r);
}

TEST(compressed_clusters_share_host_clusters)
{
    const char *p = tpath("c.qcow2");
    CHECK(create(p, 4 << 20, NULL) == 0);
    BlockDriverState *bs = open_img(p, BDRV_O_RDWR);
    CHECK(bs);
    uint8_t *b = malloc(65536), *r = malloc(65536);
    Error *err = NULL;
    for (int i = 0; i < 16; i++) {
        memset(b, 'a' + i, 65536);
        CHECK(bdrv_pwrite_compressed(bs, (uint64_t)i * 65536, 65536, b, &err) == 0);
    }
    /* Incompressible data falls back to a normal cluster. */
    for (int i = 0; i < 65536; i++)
        b[i] = (uint8_t)rnd();
    CHECK(bdrv_pwrite_compressed(bs, 16 * 65536, 65536, b, &err) == 0);
    CHECK(bdrv_pread(bs, 16 * 65536, 65536, r, &err) == 0);
    CHECK(memcmp(b, r, 65536) == 0);
    uint64_t pnum, map;
    CHECK(bdrv_block_status(bs, 0, 65536, &pnum, &map, &err) & BDRV_BLOCK_COMPRESSED);
    CHECK(!(bdrv_block_status(bs, 16 * 65536, 65536, &pnum, &map, &err) &
            BDRV_BLOCK_COMPRESSED));
    /* Overwrite one compressed cluster partially: COW through decompression. */
    memset(r, 'x', 100);
    CHECK(bdrv_pwrite(bs, 3 * 65536 + 10, 100, r, &err) == 0);
    bdrv_close(bs);
    CHECK_EQ(check_clean(p), 0);
    bs = open_img(p, 0);
    for (int i = 0; i < 16; i++) {
        CHECK(bdrv_pread(bs, (uint64_t)i * 65536, 65536, r, &err) == 0);
        for (int k = 0; k < 65536; k++) {
            int want = i == 3 && k >= 10 && k < 110 ? 'x' : 'a' + i;
            if (r[k] != want)
                CHECK_EQ(r[k], want);
        }
    }
    /* 16 compressed clusters of one repeated byte fit in one host cluster. */
    struct stat st;
    CHECK(stat(p, &st) == 0);
    CHECK(st.st_size < 9 * 65536);
    bdrv_close(bs);
    free(b);
    free(r);
}

TEST(snapshots)
{
    const char *p = tpath("snap.qcow2");
    CHECK(create(p, 2 << 20, NULL) == 0);
    BlockDriverState *bs = open_img(p, BDRV_O_RDWR);
    CHECK(bs);
    uint8_t b[4096], r[4096];
    Error *err = NULL;
    memset(b, 1, sizeof(b));
    CHECK(bdrv_pwrite(bs, 0, 4096, b, &err) == 0);
    BlockSnapshotInfo sn = { .name = "one", .date_sec = 1000, .icount = 0 };
    CHECK(bs->drv->snapshot_create(bs, &sn, &err) == 0);
    CHECK(bs->drv->snapshot_create(bs, &sn, &err) < 0);     /* same name */
    error_free(err);
    err = NULL;
    memset(b, 2, sizeof(b));
    CHECK(bdrv_pwrite(bs, 0, 4096, b, &err) == 0);
    CHECK(bdrv_pwrite(bs, 1 << 20, 4096, b, &err) == 0);
    snprintf(sn.name, sizeof(sn.name), "two");
    CHECK(bs->drv->snapshot_create(bs, &sn, &err) == 0);
    memset(b, 3, sizeof(b));
    CHECK(bdrv_pwrite(bs, 0, 4096, b, &err) == 0);
    BlockSnapshotInfo *l;
    CHECK_EQ(bs->drv->snapshot_list(bs, &l), 2);
    CHECK_STR(l[0].id, "1");
    CHECK_STR(l[1].name, "two");
    free(l);
    bdrv_close(bs);
    CHECK_EQ(check_clean(p), 0);

    bs = open_img(p, BDRV_O_RDWR);
    CHECK(bs->drv->snapshot_goto(bs, "one", &err) == 0);
    CHECK(bdrv_pread(bs, 0, 4096, r, &err) == 0);
    CHECK(r[0] == 1 && r[4095] == 1);
    CHECK(bdrv_pread(bs, 1 << 20, 4096, r, &err) == 0);
    CHECK(r[0] == 0);
    CHECK(bs->drv->snapshot_goto(bs, "2", &err) == 0);     /* by id */
    CHECK(bdrv_pread(bs, 0, 4096, r, &err) == 0);
    CHECK(r[0] == 2);
    CHECK(bs->drv->snapshot_goto(bs, "nope", &err) < 0);
    CHECK(err && strstr(err->msg, "nope"));
    error_free(err);
    err = NULL;
    CHECK(bs->drv->snapshot_delete(bs, "one", &err) == 0);
    CHECK(bs->drv->snapshot_delete(bs, "two", &err) == 0);
    CHECK(bdrv_pread(bs, 0, 4096, r, &err) == 0);
    CHECK(r[0] == 2);
    bdrv_close(bs);
    CHECK_EQ(check_clean(p), 0);
}

TEST(refcount_overflow_is_an_error)
{
    const char *p = tpath("rc1.qcow2");
    CHECK(create(p, 1 << 20, "refcount_bits=1") == 0);
    BlockDriverState *bs = open_img(p, BDRV_O_RDWR);
    uint8_t b[512] = { 1 };
    Error *err = NULL;
    CHECK(bdrv_pwrite(bs, 0, 512, b, &err) == 0);
    BlockSnapshotInfo sn = { .name = "s" };
    CHECK(bs->drv->snapshot_create(bs, &sn, &err) < 0);
    CHECK(err && strstr(err->msg, "refcount"));
    error_free(err);
    bdrv_close(bs);
    CHECK_EQ(check_clean(p), 0);
}

static void patch(const char *p, long off, const void *data, size_t n)
{
    int fd = open(p, O_WRONLY);
    if (fd >= 0) {
        if (pwrite(fd, data, n, off) != (ssize_t)n)
            fprintf(stderr, "patch failed\n");
        close(fd);
    }
}

static void be32(uint8_t *b, uint32_t v) { st32_be(b, v); }
static void be64(uint8_t *b, uint64_t v) { st64_be(b, v); }

static uint8_t *slurp(const char *p, size_t *n)
{
    FILE *f = fopen(p, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(*n + 1);
    if (fread(b, 1, *n, f) != *n)
        *n = 0;
    fclose(f);
    return b;
}

/* Open must fail read/write with a message containing `want`, and leave
 * the file byte for byte as it was. */
static int bad_open(const char *p, const char *want)
{
    size_t n0, n1;
    uint8_t *before = slurp(p, &n0);
    Error *err = NULL;
    BlockDriverState *bs = bdrv_open(p, "qcow2", BDRV_O_RDWR, &err);
    int ok = !bs && err && strstr(err->msg, want) && strstr(err->msg, p);
    if (!ok)
        fprintf(stderr, "bad_open(%s): %s\n", want, err ? err->msg : "opened");
    bdrv_close(bs);
    error_free(err);
    uint8_t *after = slurp(p, &n1);
    ok = ok && n0 == n1 && !memcmp(before, after, n0);
    free(before);
    free(after);
    return ok;
}

TEST(bad_headers)
{
    const char *p = tpath("bad.qcow2");
    uint8_t b[8];
#define FRESH() do { unlink(p); CHECK(create(p, 1 << 20, NULL) == 0); } while (0)
    FRESH();
    CHECK(truncate(p, 40) == 0);
    CHECK(bad_open(p, "too short"));
    FRESH();
    patch(p, 0, "QFI\xfa", 4);
    CHECK(bad_open(p, "not in qcow2 format"));
    FRESH();
    be32(b, 4); patch(p, 4, b, 4);
    CHECK(bad_open(p, "version 4"));
    FRESH();
    be32(b, 30); patch(p, 20, b, 4);
    CHECK(bad_open(p, "cluster size"));
    FRESH();
    be32(b, 50); patch(p, 100, b, 4);
    CHECK(bad_open(p, "header length"));
    FRESH();
    be32(b, 0x7fffffff); patch(p, 36, b, 4);
    CHECK(bad_open(p, "L1 table too large"));
    FRESH();
    be64(b, 1ull << 40); patch(p, 40, b, 8);
    CHECK(bad_open(p, "L1 table offset"));
    FRESH();
    be64(b, 1ull << 40); patch(p, 48, b, 8);
    CHECK(bad_open(p, "Reference count table offset"));
    FRESH();
    be64(b, 1ull << 20); patch(p, 72, b, 8);
    CHECK(bad_open(p, "Unsupported qcow2 feature"));
    FRESH();
    be64(b, 1ull << 2); patch(p, 72, b, 8);
    CHECK(bad_open(p, "external data file"));
    FRESH();
    be64(b, 1ull << 62); patch(p, 24, b, 8);    /* size needs a huge L1 */
    CHECK(bad_open(p, "L1 table is too small"));
    FRESH();
    be32(b, 0xe2792aca); patch(p, 112, b, 4);   /* extension longer than the cluster */
    be32(b, 0x10000); patch(p, 116, b, 4);
    CHECK(bad_open(p, "extension"));
    FRESH();
    be32(b, 2000); patch(p, 16, b, 4);          /* backing name too long */
    be64(b, 0x200); patch(p, 8, b, 8);
    CHECK(bad_open(p, "backing file name"));
    FRESH();
    be64(b, 2); patch(p, 72, b, 8);             /* corrupt bit: read-only only */
    CHECK(bad_open(p, "corrupt"));
    Error *err = NULL;
    BlockDriverState *bs = bdrv_open(p, "qcow2", 0, &err);
    CHECK(bs);
    bdrv_close(bs);
#undef FRESH
}

TEST(l2_past_eof_is_a_clear_error)
{
    const char *p = tpath("l2.qcow2");
    CHECK(create(p, 1 << 20, NULL) == 0);
    BlockDriverState *bs = open_img(p, BDRV_O_RDWR);
    uint8_t d[512] = { 9 };
    Error *err = NULL;
    CHECK(bdrv_pwrite(bs, 0, 512, d, &err) == 0);
    bdrv_close(bs);
    uint8_t b[8];
    be64(b, 0x8000000100000000ull);    /* L1[0] -> 4 GiB, past the end */
    patch(p, 0x30000, b, 8);
    bs = open_img(p, 0);
    CHECK(bs);
    CHECK(bdrv_pread(bs, 0, 512, d, &err) < 0);
    CHECK(err && strstr(err->msg, "L2 table"));
    error_free(err);
    err = NULL;
    bdrv_close(bs);
    bs = open_img(p, BDRV_O_CHECK);
    BlockCheckResult res;
    CHECK(bs->drv->check(bs, &res, 0, &err) == 0);
    CHECK(res.corruptions > 0);
    bdrv_close(bs);
}

TEST(check_finds_and_repairs_leaks)
{
    const char *p = tpath("leak.qcow2");
    CHECK(create(p, 1 << 20, NULL) == 0);
    BlockDriverState *bs = open_img(p, BDRV_O_RDWR);
    uint8_t d[65536] = { 1 };
    Error *err = NULL;
    CHECK(bdrv_pwrite(bs, 0, 65536, d, &err) == 0);
    bdrv_close(bs);
    CHECK(truncate(p, 8 * 65536) == 0);
    uint8_t one[2] = { 0, 1 };
    patch(p, 0x20000 + 2 * 7, one, 2);      /* cluster 7: referenced by nothing */
    patch(p, 0x20000 + 2 * 4, "\0\0", 2);   /* cluster 4 (L2 table): in use, count 0 */
    bs = open_img(p, BDRV_O_CHECK);
    BlockCheckResult res;
    CHECK(bs->drv->check(bs, &res, 0, &err) == 0);
    CHECK_EQ(res.leaks, 1);
    CHECK(res.corruptions >= 1);
    bdrv_close(bs);
    bs = open_img(p, BDRV_O_CHECK | BDRV_O_RDWR);
    CHECK(bs->drv->check(bs, &res, BDRV_FIX_LEAKS | BDRV_FIX_ERRORS, &err) == 0);
    CHECK_EQ(res.leaks_fixed, 1);
    CHECK(res.corruptions_fixed >= 1);
    bdrv_close(bs);
    CHECK_EQ(check_clean(p), 0);
}

/* A lazy-refcounts image left dirty (process died) is repaired on open. */
TEST(dirty_image_is_repaired)
{
    const char *p = tpath("dirty.qcow2");
    CHECK(create(p, 4 << 20, "lazy_refcounts=on") == 0);
    pid_t pid = fork();
    if (pid == 0) {
        BlockDriverState *bs = open_img(p, BDRV_O_RDWR);
        uint8_t d[65536];
        memset(d, 7, sizeof(d));
        Error *err = NULL;
        for (int i = 0; i < 8; i++)
            bdrv_pwrite(bs, (uint64_t)i * 3 * 65536, sizeof(d), d, &err);
        bdrv_flush(bs, &err);
        _exit(0);       /* no close: the dirty bit stays set */
    }
    int status;
    waitpid(pid, &status, 0);
    Error *err = NULL;
    BlockDriverState *bs = open_img(p, 0);
    BlockInfo info = { 0 };
    bs->drv->get_info(bs, &info);
    CHECK(info.dirty);
    bdrv_close(bs);
    bs = open_img(p, BDRV_O_RDWR);
    CHECK(bs);
    uint8_t r[65536];
    CHECK(bdrv_pread(bs, 3 * 65536, sizeof(r), r, &err) == 0);
    CHECK(r[0] == 7);
    memset(&info, 0, sizeof(info));
    bdrv_close(bs);
    bs = open_img(p, 0);
    bs->drv->get_info(bs, &info);
    CHECK(!info.dirty);
    bdrv_close(bs);
    CHECK_EQ(check_clean(p), 0);
}

/* Random damage to the metadata: errors are fine, crashes are not. */
TEST(fuzzed_metadata_never_crashes)
{
    const char *good = tpath("good.qcow2"), *p = tpath("fuzz.qcow2");
    CHECK(create(good, 2 << 20, "cluster_size=4096") == 0);
    BlockDriverState *bs = open_img(good, BDRV_O_RDWR);
    uint8_t d[8192];
    memset(d, 3, sizeof(d));
    Error *err = NULL;
    for (int i = 0; i < 20; i++)
        bdrv_pwrite(bs, (uint64_t)i * 50000, sizeof(d), d, &err);
    BlockSnapshotInfo sn = { .name = "s" };
    bs->drv->snapshot_create(bs, &sn, &err);
    bdrv_pwrite_compressed(bs, 0, 4096, d, &err);
    bdrv_close(bs);
    size_t n;
    uint8_t *img = slurp(good, &n);
    CHECK(img && n > 0);
    uint8_t *buf = malloc(2 << 20);
    for (int round = 0; round < 150; round++) {
        uint8_t *m = malloc(n);
        memcpy(m, img, n);
        for (int k = 0; k < 8; k++) {
            size_t at = rnd() % (n < 8 * 4096 ? n : 8 * 4096);
            m[at] = (uint8_t)rnd();
        }
        FILE *f = fopen(p, "wb");
        fwrite(m, 1, n, f);
        fclose(f);
        free(m);
        err = NULL;
        bs = bdrv_open(p, "qcow2", round & 1 ? BDRV_O_RDWR : 0, &err);
        if (!bs) {
            CHECK(err && err->msg[0]);
            error_free(err);
            continue;
        }
        int64_t len = bdrv_getlength(bs);
        if (len > 0 && len <= (2 << 20))
            bdrv_pread(bs, 0, (uint64_t)len, buf, &err);
        error_free(err);
        err = NULL;
        if (round & 1 && len > 8192)
            bdrv_pwrite(bs, 4096, 4096, d, &err);
        error_free(err);
        err = NULL;
        BlockCheckResult res;
        bs->drv->check(bs, &res, BDRV_CHECK_QUIET, &err);
        error_free(err);
        bdrv_close(bs);
    }
    free(buf);
    free(img);
}
