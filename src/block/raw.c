/*
 * raw images: the file is the disk. Sparse-aware: block status uses
 * SEEK_DATA/SEEK_HOLE where the host has them, discard punches holes
 * where it can (both are feature-tested macros, not OS tests).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1   /* SEEK_DATA, SEEK_HOLE, FALLOC_FL_* on glibc */
#endif
#include "src/block/block.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int raw_probe(const uint8_t *buf, int buf_size, const char *filename)
{
    return 1;   /* anything is a raw image; every real format scores higher */
}

static int raw_open(BlockDriverState *bs, int flags, Error **errp)
{
    return 0;
}

/* Like QEMU, a raw image's length is its file size in whole sectors. */
static int64_t raw_getlength(BlockDriverState *bs)
{
    int64_t n = bdrv_file_size(bs);
    return n < 0 ? n : (n + BDRV_SECTOR_SIZE - 1) & ~(int64_t)(BDRV_SECTOR_SIZE - 1);
}

static int raw_pread(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                     void *buf, Error **errp)
{
    return bdrv_file_pread(bs, offset, buf, bytes, true, errp);
}

/*
 * A probed raw image must never turn into another format: QEMU's rule is
 * that writes to sector 0 which would make the image probe as something
 * else are refused (the guest could otherwise plant a qcow2 header that
 * names a host file as its backing file).
 */
static int raw_check_sector0(BlockDriverState *bs, uint64_t offset,
                             uint64_t bytes, const void *buf, Error **errp)
{
    if (!bs->probed || offset >= BDRV_SECTOR_SIZE)
        return 0;
    uint8_t s0[BDRV_SECTOR_SIZE];
    int r = bdrv_file_pread(bs, 0, s0, sizeof(s0), true, errp);
    if (r < 0)
        return r;
    uint64_t n = BDRV_SECTOR_SIZE - offset < bytes ? BDRV_SECTOR_SIZE - offset : bytes;
    if (buf)
        memcpy(s0 + offset, buf, n);
    else
        memset(s0 + offset, 0, n);
    if (bdrv_probe_buf(s0, sizeof(s0), bs->filename) != &bdrv_raw) {
        error_setg(errp, "%s: write to sector 0 refused: it would make this "
                   "probed raw image look like another format (open it with "
                   "format=raw to allow it)", bs->filename);
        return -EPERM;
    }
    return 0;
}

static int raw_pwrite(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                      const void *buf, Error **errp)
{
    int r = raw_check_sector0(bs, offset, bytes, buf, errp);
    if (r < 0)
        return r;
    return bdrv_file_pwrite(bs, offset, buf, bytes, errp);
}

static int raw_punch(BlockDriverState *bs, uint64_t offset, uint64_t bytes)
{
#if defined(FALLOC_FL_PUNCH_HOLE) && defined(FALLOC_FL_KEEP_SIZE)
    if (fallocate(bs->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                  (off_t)offset, (off_t)bytes) == 0)
        return 0;
#endif
    return -ENOTSUP;
}

static int raw_write_zero_bytes(BlockDriverState *bs, uint64_t offset,
                                uint64_t bytes, Error **errp)
{
    size_t chunk = 1 << 20;
    uint8_t *z = calloc(1, chunk);
    if (!z)
        pemu_abort("out of memory");
    int r = 0;
    while (bytes && r >= 0) {
        size_t n = bytes < chunk ? (size_t)bytes : chunk;
        r = bdrv_file_pwrite(bs, offset, z, n, errp);
        offset += n;
        bytes -= n;
    }
    free(z);
    return r;
}

static int raw_pwrite_zeroes(BlockDriverState *bs, uint64_t offset,
                             uint64_t bytes, int flags, Error **errp)
{
    int r = raw_check_sector0(bs, offset, bytes, NULL, errp);
    if (r < 0)
        return r;
    if ((flags & BDRV_REQ_MAY_UNMAP) && raw_punch(bs, offset, bytes) == 0)
        return 0;
    return raw_write_zero_bytes(bs, offset, bytes, errp);
}

static int raw_pdiscard(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                        Error **errp)
{
    raw_punch(bs, offset, bytes);   /* advisory: failure leaves the data */
    return 0;
}

static int raw_flush(BlockDriverState *bs, Error **errp)
{
    return bdrv_file_sync(bs, errp);
}

static int raw_block_status(BlockDriverState *bs, uint64_t offset,
                            uint64_t bytes, uint64_t *pnum, uint64_t *map,
                            Error **errp)
{
    *map = offset;
    return BDRV_BLOCK_ALLOCATED | BDRV_BLOCK_OFFSET_VALID |
           bdrv_file_block_status(bs, offset, bytes, pnum);
}

static int raw_preallocate(BlockDriverState *bs, uint64_t from, uint64_t to,
                           PreallocMode m, Error **errp)
{
    if (to <= from)
        return 0;
    if (m == PREALLOC_FALLOC) {
        int e = posix_fallocate(bs->fd, (off_t)from, (off_t)(to - from));
        if (e) {
            error_setg(errp, "%s: preallocation=falloc failed: %s", bs->filename,
                       strerror(e));
            return -e;
        }
    } else if (m == PREALLOC_FULL) {
        return raw_write_zero_bytes(bs, from, to - from, errp);
    }
    return 0;
}

static int raw_truncate(BlockDriverState *bs, uint64_t size, bool shrink,
                        PreallocMode prealloc, Error **errp)
{
    int64_t old = bdrv_file_size(bs);
    if (old < 0) {
        error_setg(errp, "%s: cannot get the file size", bs->filename);
        return (int)old;
    }
    if (prealloc == PREALLOC_METADATA) {
        error_setg(errp, "preallocation=metadata is not supported for raw images");
        return -ENOTSUP;
    }
    int r = bdrv_file_truncate(bs, size, errp);
    if (r < 0)
        return r;
    return raw_preallocate(bs, (uint64_t)old, size, prealloc, errp);
}

static int raw_create(const char *filename, uint64_t size, BlockOpts *opts,
                      Error **errp)
{
    PreallocMode pm = PREALLOC_OFF;
    const char *p = block_opts_get(opts, "preallocation");
    if (p && (block_parse_prealloc(p, &pm) < 0 || pm == PREALLOC_METADATA)) {
        error_setg(errp, "Invalid preallocation mode '%s' for raw (use off, "
                   "falloc or full)", p);
        return -EINVAL;
    }
    int fd = open(filename, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        error_setg(errp, "Could not create '%s': %s", filename, strerror(errno));
        return -errno;
    }
    BlockDriverState tmp = { .fd = fd };
    snprintf(tmp.filename, sizeof(tmp.filename), "%s", filename);
    int r = bdrv_file_truncate(&tmp, size, errp);
    if (r >= 0)
        r = raw_preallocate(&tmp, 0, size, pm, errp);
    close(fd);
    return r;
}

static int raw_measure(BlockOpts *opts, uint64_t size, BlockDriverState *src,
                       uint64_t *required, uint64_t *fully, Error **errp)
{
    block_opts_get(opts, "preallocation");
    *required = *fully = (size + BDRV_SECTOR_SIZE - 1) & ~(uint64_t)(BDRV_SECTOR_SIZE - 1);
    return 0;
}

static const char *const raw_create_opts[] = { "size", "preallocation", NULL };

const BlockDriver bdrv_raw = {
    .format_name = "raw",
    .probe = raw_probe,
    .open = raw_open,
    .pread = raw_pread,
    .pwrite = raw_pwrite,
    .pwrite_zeroes = raw_pwrite_zeroes,
    .pdiscard = raw_pdiscard,
    .flush = raw_flush,
    .getlength = raw_getlength,
    .truncate = raw_truncate,
    .block_status = raw_block_status,
    .create = raw_create,
    .create_opts = raw_create_opts,
    .measure = raw_measure,
};
