/*
 * libFuzzer harness for the image formats' open paths: the input is an
 * image file; it is opened (read-only, then read/write), read, mapped,
 * described, checked and written a little. Anything but a clean error or
 * success is a bug: ASan/UBSan findings, crashes, hangs.
 *
 * Built once per format by tests/fuzz/run.sh with -DFUZZ_FORMAT="fmt"
 * ("" probes). tests/unit/test_block_fuzz.c includes this file with
 * FUZZ_NO_MAIN to replay the regression inputs and seeds in make check.
 */
#include "src/block/block.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* Names in a text descriptor or a backing file name could reach files
 * outside the scratch directory: only bare names are allowed. */
static bool names_are_local(const uint8_t *data, size_t size)
{
    return !memchr(data, '/', size);
}

static void exercise(BlockDriverState *bs, const uint8_t *data, size_t size, bool rw)
{
    Error *err = NULL;
    int64_t len = bdrv_getlength(bs);
    if (len <= 0)
        return;
    static uint8_t buf[1 << 17];
    /* A few reads: the start, the end, and places the input picks. */
    uint64_t offs[6] = { 0, (uint64_t)len > sizeof(buf) ? (uint64_t)len - sizeof(buf) : 0 };
    for (int i = 2; i < 6; i++) {
        uint64_t v = 0;
        if (size >= (size_t)(8 * i))
            memcpy(&v, data + size - 8 * (size_t)i, 8);
        offs[i] = v % (uint64_t)len;
    }
    for (int i = 0; i < 6; i++) {
        uint64_t n = (uint64_t)len - offs[i] < sizeof(buf) ? (uint64_t)len - offs[i] : sizeof(buf);
        if (bdrv_pread(bs, offs[i], n, buf, &err) < 0) {
            error_free(err);
            err = NULL;
        }
    }
    /* Block status over the first part of the image (bounded work). */
    uint64_t off = 0, pnum, map;
    for (int i = 0; i < 256 && off < (uint64_t)len; i++) {
        int depth;
        BlockDriverState *file;
        int st = bdrv_block_status_above(bs, off, (uint64_t)len - off, &pnum, &map, &depth,
                                         &file, &err);
        if (st < 0 || !pnum) {
            error_free(err);
            err = NULL;
            break;
        }
        off += pnum;
    }
    BlockInfo info;
    memset(&info, 0, sizeof(info));
    if (bs->drv->get_info)
        bs->drv->get_info(bs, &info);
    free(info.extents);
    BlockSnapshotInfo *sns = NULL;
    if (bs->drv->snapshot_list && bs->drv->snapshot_list(bs, &sns) >= 0)
        free(sns);
    if (!rw)
        return;
    /* Small writes through the allocation paths, then a flush. */
    memset(buf, 0xa5, 4096);
    for (int i = 2; i < 5; i++) {
        uint64_t o = offs[i] & ~511ull;
        uint64_t n = (uint64_t)len - o < 4096 ? (uint64_t)len - o : 4096;
        if (bdrv_pwrite(bs, o, n, buf, &err) < 0) {
            error_free(err);
            err = NULL;
        }
    }
    if (bdrv_pwrite_zeroes(bs, offs[5] & ~511ull, (uint64_t)len - (offs[5] & ~511ull) < 65536
                           ? (uint64_t)len - (offs[5] & ~511ull) : 65536, 0, &err) < 0) {
        error_free(err);
        err = NULL;
    }
    if (bdrv_flush(bs, &err) < 0)
        error_free(err);
}

/* Run one input; returns 0 (the harness never judges the input). */
static int fuzz_img_one(const char *fmt, const uint8_t *data, size_t size, const char *dir)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/img", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return 0;
    bool ok = write(fd, data, size) == (ssize_t)size;
    close(fd);
    if (!ok)
        return 0;
    if (fmt && !*fmt)
        fmt = NULL;
    bool local = names_are_local(data, size);
    const BlockDriver *drv = fmt ? bdrv_find_format(fmt) : bdrv_probe_buf(data, (int)(size < BDRV_PROBE_BUF ? size : BDRV_PROBE_BUF), path);
    if (drv == &bdrv_vmdk && !local)
        return 0;
    Error *err = NULL;
    for (int pass = 0; pass < 2; pass++) {
        int flags = BDRV_O_NO_BACKING | (pass ? BDRV_O_RDWR | BDRV_O_NO_FLUSH : 0);
        BlockDriverState *bs = bdrv_open(path, fmt, flags, &err);
        if (!bs) {
            error_free(err);
            return 0;
        }
        bool chain = local && bs->backing_file[0] && !pass;
        if (bs->drv->check) {
            BlockCheckResult res;
            if (bs->drv->check(bs, &res, BDRV_CHECK_QUIET, &err) < 0)
                error_free(err);
            err = NULL;
        }
        exercise(bs, data, size, pass);
        bdrv_close(bs);
        if (chain) {
            /* A backing chain within the scratch directory (loops too). */
            bs = bdrv_open(path, fmt, BDRV_O_UNSAFE, &err);
            if (bs)
                exercise(bs, data, size, false);
            else
                error_free(err);
            err = NULL;
            bdrv_close(bs);
        }
    }
    return 0;
}

#ifndef FUZZ_NO_MAIN
#ifndef FUZZ_FORMAT
#define FUZZ_FORMAT ""
#endif

static char scratch[256];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *t = getenv("TMPDIR");
    snprintf(scratch, sizeof(scratch), "%s/pemu-fuzz-XXXXXX", t ? t : "/tmp");
    if (!mkdtemp(scratch))
        abort();
    /* A corrupt image may point a write far away: cap file sizes, and
     * make the excess an error instead of a signal. */
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl = { 256u << 20, 256u << 20 };
    setrlimit(RLIMIT_FSIZE, &rl);
    error_set_progname("fuzz");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_img_one(FUZZ_FORMAT, data, size, scratch);
}
#endif
