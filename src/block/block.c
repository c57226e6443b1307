/*
 * Block layer core: option lists, sizes, the driver registry and
 * probing, opening images with their backing chains, -snapshot overlays,
 * bounds-checked requests and the BlockBackend.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1   /* SEEK_DATA, SEEK_HOLE on glibc (feature-tested below) */
#endif
#include "src/block/block.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- option lists ---------------------------------------------------------- */

static char *xstrndup(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (!p)
        pemu_abort("out of memory");
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

void block_opts_set(BlockOpts *o, const char *key, const char *value)
{
    BlockOpt *v = realloc(o->v, (size_t)(o->n + 1) * sizeof(*v));
    if (!v)
        pemu_abort("out of memory");
    o->v = v;
    v[o->n].key = xstrndup(key, strlen(key));
    v[o->n].value = xstrndup(value, strlen(value));
    v[o->n].used = false;
    o->n++;
}

int block_opts_parse(BlockOpts *o, const char *str, Error **errp)
{
    const char *p = str;
    while (*p) {
        const char *eq = p;
        while (*eq && *eq != '=' && *eq != ',')
            eq++;
        if (*eq != '=' || eq == p) {
            error_setg(errp, "Invalid option list '%s': expected key=value", str);
            return -1;
        }
        /* The value runs to the next single comma; ",," is a comma. */
        size_t cap = strlen(eq), n = 0;
        char *val = malloc(cap + 1);
        if (!val)
            pemu_abort("out of memory");
        const char *q = eq + 1;
        for (;;) {
            if (*q == ',' && q[1] == ',') {
                val[n++] = ',';
                q += 2;
            } else if (*q == ',' || !*q) {
                break;
            } else {
                val[n++] = *q++;
            }
        }
        val[n] = 0;
        char *key = xstrndup(p, (size_t)(eq - p));
        block_opts_set(o, key, val);
        free(key);
        free(val);
        p = *q ? q + 1 : q;
    }
    return 0;
}

const char *block_opts_get(BlockOpts *o, const char *key)
{
    const char *r = NULL;
    for (int i = 0; o && i < o->n; i++) {
        if (!strcmp(o->v[i].key, key)) {
            o->v[i].used = true;
            r = o->v[i].value;
        }
    }
    return r;
}

int block_opts_get_size(BlockOpts *o, const char *key, uint64_t *v, Error **errp)
{
    const char *s = block_opts_get(o, key);
    if (!s)
        return 0;
    if (block_parse_size(s, v) < 0) {
        error_setg(errp, "Parameter '%s' expects a size (a number with an optional "
                   "k, M, G, T, P or E suffix), got '%s'", key, s);
        return -1;
    }
    return 1;
}

int block_opts_get_bool(BlockOpts *o, const char *key, bool *v, Error **errp)
{
    const char *s = block_opts_get(o, key);
    if (!s)
        return 0;
    if (!strcmp(s, "on") || !strcmp(s, "true") || !strcmp(s, "yes")) {
        *v = true;
    } else if (!strcmp(s, "off") || !strcmp(s, "false") || !strcmp(s, "no")) {
        *v = false;
    } else {
        error_setg(errp, "Parameter '%s' expects 'on' or 'off', got '%s'", key, s);
        return -1;
    }
    return 1;
}

const char *block_opts_unused(const BlockOpts *o)
{
    for (int i = 0; o && i < o->n; i++)
        if (!o->v[i].used)
            return o->v[i].key;
    return NULL;
}

void block_opts_free(BlockOpts *o)
{
    for (int i = 0; i < o->n; i++) {
        free(o->v[i].key);
        free(o->v[i].value);
    }
    free(o->v);
    o->v = NULL;
    o->n = 0;
}

/* ---- sizes --------------------------------------------------------------- */

int block_parse_size(const char *s, uint64_t *v)
{
    char *end;
    if (!s || !*s || *s == '-' || *s == '+')
        return -1;
    errno = 0;
    unsigned long long n = strtoull(s, &end, 10);
    if (errno || end == s)
        return -1;
    double frac = 0;
    if (*end == '.') {
        char *fend;
        frac = strtod(end, &fend);
        if (fend == end + 1)
            return -1;
        end = fend;
    }
    int shift = 0;
    switch (*end) {
    case 0: break;
    case 'b': case 'B': shift = 0; end++; break;
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    case 't': case 'T': shift = 40; end++; break;
    case 'p': case 'P': shift = 50; end++; break;
    case 'e': case 'E': shift = 60; end++; break;
    default: return -1;
    }
    if (*end)
        return -1;
    if (frac != 0 && shift == 0)
        return -1;          /* "1.5" bytes is not a size */
    if (shift && n > (UINT64_MAX >> shift))
        return -1;
    uint64_t r = (uint64_t)n << shift;
    if (frac != 0) {
        double f = frac * (double)((uint64_t)1 << shift);
        if ((double)(UINT64_MAX - r) < f)
            return -1;
        r += (uint64_t)f;
    }
    *v = r;
    return 0;
}

void block_size_to_str(char *buf, size_t n, uint64_t v)
{
    static const char *const units[] = { "", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei" };
    /* Pick the unit so that the number is below 1000 (1000..1023 go up). */
    int e;
    frexp((double)v / (1000.0 / 1024.0), &e);
    int i = (e - 1) / 10;
    if (i < 0)
        i = 0;
    if (i > 6)
        i = 6;
    snprintf(buf, n, "%0.3g %sB", (double)v / (double)((uint64_t)1 << (i * 10)),
             units[i]);
}

int block_parse_prealloc(const char *s, PreallocMode *m)
{
    static const char *const names[] = { "off", "metadata", "falloc", "full" };
    for (int i = 0; i < 4; i++) {
        if (!strcmp(s, names[i])) {
            *m = (PreallocMode)i;
            return 0;
        }
    }
    return -1;
}

const char *block_prealloc_name(PreallocMode m)
{
    static const char *const names[] = { "off", "metadata", "falloc", "full" };
    return names[m];
}

/* ---- drivers and probing ----------------------------------------------------- */

static const BlockDriver *const drivers[] = {
    &bdrv_qcow2, &bdrv_qcow, &bdrv_vmdk, &bdrv_vdi, &bdrv_vpc, &bdrv_raw, NULL
};

const BlockDriver *const *bdrv_drivers(void)
{
    return drivers;
}

const BlockDriver *bdrv_find_format(const char *name)
{
    for (int i = 0; drivers[i]; i++)
        if (!strcmp(drivers[i]->format_name, name))
            return drivers[i];
    return NULL;
}

const BlockDriver *bdrv_probe_buf(const uint8_t *buf, int n, const char *filename)
{
    const BlockDriver *best = &bdrv_raw;
    int best_score = 0;
    for (int i = 0; drivers[i]; i++) {
        if (!drivers[i]->probe)
            continue;
        int s = drivers[i]->probe(buf, n, filename);
        if (s > best_score) {
            best_score = s;
            best = drivers[i];
        }
    }
    return best;
}

void bdrv_random_bytes(void *buf, size_t n)
{
    uint8_t *p = buf;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    size_t got = 0;
    while (fd >= 0 && got < n) {
        ssize_t r = read(fd, p + got, n - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    if (fd >= 0)
        close(fd);
    if (got == n)
        return;
    /* No /dev/urandom: a time- and address-seeded xorshift is enough for
     * identifiers that only need to differ between images. */
    static uint64_t x;
    struct stat st;
    x ^= (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)buf ^
         (uint64_t)getpid() << 32 ^ (uint64_t)(stat(".", &st) == 0 ? st.st_ino : 0);
    for (; got < n; got++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        p[got] = (uint8_t)(x >> 24);
    }
}

int64_t bdrv_backing_size(const char *overlay, const char *backing,
                          const char *fmt, Error **errp)
{
    char path[BDRV_PATH_MAX];
    bdrv_resolve_backing(overlay, backing, path, sizeof(path));
    Error *err = NULL;
    BlockDriverState *b = bdrv_open(path, fmt && *fmt ? fmt : NULL, 0, &err);
    if (!b) {
        error_setg(errp, "%s", err->msg);
        error_free(err);
        return -EINVAL;
    }
    int64_t n = bdrv_getlength(b);
    bdrv_close(b);
    return n;
}

/* ---- raw file access ------------------------------------------------------------ */

int bdrv_file_pread(BlockDriverState *bs, uint64_t off, void *buf, size_t len,
                    bool zero_fill, Error **errp)
{
    uint8_t *p = buf;
    while (len) {
        ssize_t r = pread(bs->fd, p, len, (off_t)off);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            error_setg(errp, "read error at file offset %llu: %s",
                       (unsigned long long)off, strerror(e));
            return -e;
        }
        if (r == 0) {
            if (zero_fill) {
                memset(p, 0, len);
                return 0;
            }
            error_setg(errp, "unexpected end of file at offset %llu "
                       "(the image is truncated or corrupt)",
                       (unsigned long long)off);
            return -EIO;
        }
        p += r;
        off += (uint64_t)r;
        len -= (size_t)r;
    }
    return 0;
}

int bdrv_file_pwrite(BlockDriverState *bs, uint64_t off, const void *buf,
                     size_t len, Error **errp)
{
    const uint8_t *p = buf;
    if (bs->read_only) {
        error_setg(errp, "the image is opened read-only");
        return -EACCES;
    }
    while (len) {
        ssize_t r = pwrite(bs->fd, p, len, (off_t)off);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            error_setg(errp, "write error at file offset %llu: %s",
                       (unsigned long long)off, strerror(e));
            return -e;
        }
        p += r;
        off += (uint64_t)r;
        len -= (size_t)r;
    }
    return 0;
}

int64_t bdrv_file_size(BlockDriverState *bs)
{
    struct stat st;
    if (fstat(bs->fd, &st) < 0)
        return -errno;
    if (S_ISBLK(st.st_mode)) {
        off_t end = lseek(bs->fd, 0, SEEK_END);
        return end < 0 ? -errno : (int64_t)end;
    }
    return (int64_t)st.st_size;
}

int bdrv_file_block_status(BlockDriverState *bs, uint64_t off, uint64_t bytes,
                           uint64_t *pnum)
{
    *pnum = bytes;
#if defined(SEEK_DATA) && defined(SEEK_HOLE)
    off_t data = lseek(bs->fd, (off_t)off, SEEK_DATA);
    if (data < 0 && errno == ENXIO) {
        return BDRV_BLOCK_ZERO;     /* a hole up to the end of file */
    } else if (data >= 0 && (uint64_t)data > off) {
        if ((uint64_t)data - off < bytes)
            *pnum = (uint64_t)data - off;
        return BDRV_BLOCK_ZERO;
    } else if (data >= 0) {
        off_t hole = lseek(bs->fd, (off_t)off, SEEK_HOLE);
        if (hole > (off_t)off && (uint64_t)hole - off < bytes)
            *pnum = (uint64_t)hole - off;
    }
#endif
    return BDRV_BLOCK_DATA;
}

int bdrv_file_truncate(BlockDriverState *bs, uint64_t size, Error **errp)
{
    if (ftruncate(bs->fd, (off_t)size) < 0) {
        int e = errno;
        error_setg(errp, "cannot resize the file to %llu bytes: %s",
                   (unsigned long long)size, strerror(e));
        return -e;
    }
    return 0;
}

int bdrv_file_sync(BlockDriverState *bs, Error **errp)
{
    if (bs->read_only || (bs->flags & BDRV_O_NO_FLUSH))
        return 0;
    if (fsync(bs->fd) < 0 && errno != EINVAL) {
        int e = errno;
        error_setg(errp, "flush failed: %s", strerror(e));
        return -e;
    }
    return 0;
}

int64_t bdrv_allocated_file_size(BlockDriverState *bs)
{
    if (bs->drv && bs->drv->allocated_file_size)
        return bs->drv->allocated_file_size(bs);
    struct stat st;
    if (fstat(bs->fd, &st) < 0)
        return -1;
    return (int64_t)st.st_blocks * 512;
}

/* ---- opening ---------------------------------------------------------------- */

void bdrv_resolve_backing(const char *overlay, const char *backing,
                          char *out, size_t n)
{
    const char *slash = strrchr(overlay, '/');
    if (backing[0] == '/' || !slash || strstr(backing, "://")) {
        snprintf(out, n, "%s", backing);
        return;
    }
    snprintf(out, n, "%.*s/%s", (int)(slash - overlay), overlay, backing);
}

typedef struct ChainLink {
    const struct ChainLink *up;
    dev_t dev;
    ino_t ino;
    const char *name;
} ChainLink;

static BlockDriverState *open_one(const char *filename, const char *fmt,
                                  int flags, const ChainLink *chain, int depth,
                                  Error **errp);

static int open_backing(BlockDriverState *bs, const ChainLink *link, int depth,
                        Error **errp)
{
    bdrv_resolve_backing(bs->filename, bs->backing_file, bs->backing_path,
                         sizeof(bs->backing_path));
    if (depth > 256) {
        error_setg(errp, "Could not open backing file '%s': the backing chain "
                   "of '%s' is longer than 256 images", bs->backing_path,
                   bs->filename);
        return -ELOOP;
    }
    Error *err = NULL;
    int bflags = bs->flags & (BDRV_O_UNSAFE);
    BlockDriverState *b = open_one(bs->backing_path,
                                   bs->backing_format[0] ? bs->backing_format : NULL,
                                   bflags, link, depth + 1, &err);
    if (!b) {
        if (bs->flags & BDRV_O_UNSAFE) {
            error_free(err);
            return 0;
        }
        error_setg(errp, "Could not open backing file: %s", err->msg);
        error_free(err);
        return -EINVAL;
    }
    bs->backing = b;
    return 0;
}

static BlockDriverState *open_one(const char *filename, const char *fmt,
                                  int flags, const ChainLink *chain, int depth,
                                  Error **errp)
{
    const BlockDriver *drv = NULL;
    if (fmt) {
        drv = bdrv_find_format(fmt);
        if (!drv) {
            error_setg(errp, "Unknown driver '%s' for '%s' (supported formats: "
                       "raw, qcow2)", fmt, filename);
            return NULL;
        }
    }
    bool rw = flags & BDRV_O_RDWR;
    int fd = open(filename, (rw ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    if (fd < 0) {
        error_setg(errp, "Could not open '%s': %s", filename, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || S_ISDIR(st.st_mode)) {
        error_setg(errp, "Could not open '%s': %s", filename,
                   S_ISDIR(st.st_mode) ? "Is a directory" : strerror(errno));
        close(fd);
        return NULL;
    }
    for (const ChainLink *l = chain; l; l = l->up) {
        if (l->dev == st.st_dev && l->ino == st.st_ino) {
            error_setg(errp, "backing chain loop: '%s' is its own backing file "
                       "(through '%s')", filename, chain->name);
            close(fd);
            return NULL;
        }
    }
    BlockDriverState *bs = calloc(1, sizeof(*bs));
    if (!bs)
        pemu_abort("out of memory");
    bs->fd = fd;
    bs->flags = flags;
    bs->read_only = !rw;
    snprintf(bs->filename, sizeof(bs->filename), "%s", filename);
    if (!drv) {
        uint8_t buf[BDRV_PROBE_BUF];
        Error *err = NULL;
        ssize_t n = pread(fd, buf, sizeof(buf), 0);
        if (n < 0) {
            error_setg(errp, "Could not open '%s': %s", filename, strerror(errno));
            error_free(err);
            close(fd);
            free(bs);
            return NULL;
        }
        drv = bdrv_probe_buf(buf, (int)n, filename);
        bs->probed = true;
    }
    bs->drv = drv;
    bs->opaque = drv->state_size ? calloc(1, drv->state_size) : NULL;
    if (drv->state_size && !bs->opaque)
        pemu_abort("out of memory");
    Error *err = NULL;
    if (drv->open(bs, flags, &err) < 0) {
        error_setg(errp, "Could not open '%s': %s", filename,
                   err ? err->msg : "unknown error");
        error_free(err);
        free(bs->opaque);
        close(fd);
        free(bs);
        return NULL;
    }
    if (bs->probed && drv == &bdrv_raw && rw && depth == 0)
        warn_report("Image format was not specified for '%s' and probing "
                    "guessed raw.\n         Automatically detecting the format "
                    "is dangerous for raw images, write operations on block 0 "
                    "will be restricted.\n         Specify the 'raw' format "
                    "explicitly to remove the restrictions.", filename);
    if (drv->supports_backing && bs->backing_file[0] &&
        !(flags & BDRV_O_NO_BACKING)) {
        ChainLink link = { chain, st.st_dev, st.st_ino, filename };
        if (open_backing(bs, &link, depth, errp) < 0) {
            bdrv_close(bs);
            return NULL;
        }
    }
    return bs;
}

static BlockDriverState *open_snapshot_overlay(BlockDriverState *base, int flags,
                                               Error **errp)
{
    const char *tmp = getenv("TMPDIR");
    char path[BDRV_PATH_MAX], abs[BDRV_PATH_MAX];
    snprintf(path, sizeof(path), "%s/pemu-snapshot-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0) {
        error_setg(errp, "Could not create the temporary overlay for -snapshot "
                   "in %s: %s", path, strerror(errno));
        return NULL;
    }
    close(fd);
    if (!realpath(base->filename, abs))
        snprintf(abs, sizeof(abs), "%s", base->filename);
    BlockOpts o = { 0 };
    block_opts_set(&o, "backing_file", abs);
    block_opts_set(&o, "backing_fmt", base->drv->format_name);
    int64_t len = bdrv_getlength(base);
    int r = bdrv_qcow2.create(path, (uint64_t)(len < 0 ? 0 : len), &o, errp);
    block_opts_free(&o);
    if (r < 0) {
        unlink(path);
        return NULL;
    }
    BlockDriverState *top = open_one(path, "qcow2",
                                     BDRV_O_RDWR | BDRV_O_NO_BACKING |
                                     (flags & BDRV_O_UNSAFE), NULL, 0, errp);
    unlink(path);   /* the open fd keeps it alive; nothing is left behind */
    if (!top)
        return NULL;
    top->is_temporary = true;
    top->backing = base;
    snprintf(top->backing_path, sizeof(top->backing_path), "%s", base->filename);
    return top;
}

BlockDriverState *bdrv_open(const char *filename, const char *fmt, int flags,
                            Error **errp)
{
    if (flags & BDRV_O_SNAPSHOT) {
        BlockDriverState *base = open_one(filename, fmt, flags & ~(BDRV_O_RDWR |
                                          BDRV_O_SNAPSHOT), NULL, 0, errp);
        if (!base)
            return NULL;
        BlockDriverState *top = open_snapshot_overlay(base, flags, errp);
        if (!top)
            bdrv_close(base);
        return top;
    }
    return open_one(filename, fmt, flags, NULL, 0, errp);
}

void bdrv_close(BlockDriverState *bs)
{
    if (!bs)
        return;
    if (bs->drv->close)
        bs->drv->close(bs);
    bdrv_close(bs->backing);
    free(bs->opaque);
    close(bs->fd);
    free(bs);
}

/* ---- requests ---------------------------------------------------------------- */

static int check_range(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                       const char *what, Error **errp)
{
    int64_t len = bdrv_getlength(bs);
    if (len < 0) {
        error_setg(errp, "%s: cannot get the image length", bs->filename);
        return -EIO;
    }
    if (offset > (uint64_t)len || bytes > (uint64_t)len - offset) {
        error_setg(errp, "%s: %s of %llu bytes at offset %llu is past the end "
                   "of the image (%lld bytes)", bs->filename, what,
                   (unsigned long long)bytes, (unsigned long long)offset,
                   (long long)len);
        return -EIO;
    }
    return 0;
}

static int check_write(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                       Error **errp)
{
    if (bs->read_only) {
        error_setg(errp, "%s: image is opened read-only", bs->filename);
        return -EACCES;
    }
    return check_range(bs, offset, bytes, "write", errp);
}

int bdrv_pread(BlockDriverState *bs, uint64_t offset, uint64_t bytes, void *buf,
               Error **errp)
{
    int r = check_range(bs, offset, bytes, "read", errp);
    if (r < 0 || !bytes)
        return r;
    return bs->drv->pread(bs, offset, bytes, buf, errp);
}

int bdrv_pwrite(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                const void *buf, Error **errp)
{
    int r = check_write(bs, offset, bytes, errp);
    if (r < 0 || !bytes)
        return r;
    return bs->drv->pwrite(bs, offset, bytes, buf, errp);
}

int bdrv_pwrite_compressed(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                           const void *buf, Error **errp)
{
    if (!bs->drv->pwrite_compressed) {
        error_setg(errp, "%s: the %s format does not support compression",
                   bs->filename, bs->drv->format_name);
        return -ENOTSUP;
    }
    int r = check_write(bs, offset, bytes, errp);
    if (r < 0 || !bytes)
        return r;
    return bs->drv->pwrite_compressed(bs, offset, bytes, buf, errp);
}

int bdrv_pwrite_precompressed(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                              const void *cdata, size_t clen, Error **errp)
{
    if (!bs->drv->pwrite_precompressed) {
        error_setg(errp, "%s: the %s format does not support compression",
                   bs->filename, bs->drv->format_name);
        return -ENOTSUP;
    }
    int r = check_write(bs, offset, bytes, errp);
    if (r < 0 || !bytes)
        return r;
    return bs->drv->pwrite_precompressed(bs, offset, bytes, cdata, clen, errp);
}

int bdrv_pwrite_zeroes(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                       int flags, Error **errp)
{
    int r = check_write(bs, offset, bytes, errp);
    if (r < 0 || !bytes)
        return r;
    if (bs->drv->pwrite_zeroes)
        return bs->drv->pwrite_zeroes(bs, offset, bytes, flags, errp);
    uint8_t *z = calloc(1, 65536);
    if (!z)
        pemu_abort("out of memory");
    while (bytes && r >= 0) {
        uint64_t n = bytes < 65536 ? bytes : 65536;
        r = bs->drv->pwrite(bs, offset, n, z, errp);
        offset += n;
        bytes -= n;
    }
    free(z);
    return r < 0 ? r : 0;
}

int bdrv_pdiscard(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                  Error **errp)
{
    int r = check_write(bs, offset, bytes, errp);
    if (r < 0 || !bytes || !bs->drv->pdiscard)
        return r;
    return bs->drv->pdiscard(bs, offset, bytes, errp);
}

int bdrv_flush(BlockDriverState *bs, Error **errp)
{
    if (bs->read_only || !bs->drv->flush)
        return 0;
    return bs->drv->flush(bs, errp);
}

int64_t bdrv_getlength(BlockDriverState *bs)
{
    return bs->drv->getlength(bs);
}

int bdrv_truncate(BlockDriverState *bs, uint64_t size, bool shrink,
                  PreallocMode prealloc, Error **errp)
{
    if (bs->read_only) {
        error_setg(errp, "%s: image is opened read-only", bs->filename);
        return -EACCES;
    }
    if (!bs->drv->truncate) {
        error_setg(errp, "%s: the %s format cannot be resized", bs->filename,
                   bs->drv->format_name);
        return -ENOTSUP;
    }
    return bs->drv->truncate(bs, size, shrink, prealloc, errp);
}

int bdrv_block_status(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                      uint64_t *pnum, uint64_t *map, Error **errp)
{
    *map = 0;
    if (!bs->drv->block_status) {
        *pnum = bytes;
        *map = offset;
        return BDRV_BLOCK_DATA | BDRV_BLOCK_ALLOCATED | BDRV_BLOCK_OFFSET_VALID;
    }
    int st = bs->drv->block_status(bs, offset, bytes, pnum, map, errp);
    /* As QEMU: data the format maps into a hole of its file reads as
     * zeros, and says so. */
    if (st >= 0 && (st & BDRV_BLOCK_RECURSE) && (st & BDRV_BLOCK_OFFSET_VALID) &&
        (st & BDRV_BLOCK_DATA) && !(st & BDRV_BLOCK_ZERO)) {
        BlockDriverState *f = bs->drv->map_file ? bs->drv->map_file(bs, offset) : bs;
        uint64_t fn;
        if (f && bdrv_file_block_status(f, *map, *pnum, &fn) == BDRV_BLOCK_ZERO) {
            st |= BDRV_BLOCK_ZERO;
            *pnum = fn;
        } else if (f && fn < *pnum) {
            *pnum = fn;
        }
    }
    return st < 0 ? st : st & ~BDRV_BLOCK_RECURSE;
}

int bdrv_block_status_above(BlockDriverState *bs, uint64_t offset,
                            uint64_t bytes, uint64_t *pnum, uint64_t *map,
                            int *depth, BlockDriverState **file, Error **errp)
{
    int d = 0;
    uint64_t limit = bytes;
    BlockDriverState *cur = bs;
    for (;;) {
        int64_t len = bdrv_getlength(cur);
        if (len >= 0 && offset >= (uint64_t)len) {
            /* Past the end of a shorter backing image: reads as zeros. */
            *pnum = limit;
            *map = 0;
            *depth = d;
            *file = cur;
            return BDRV_BLOCK_ZERO | (d ? 0 : BDRV_BLOCK_ALLOCATED);
        }
        uint64_t n;
        if (len >= 0 && limit > (uint64_t)len - offset)
            limit = (uint64_t)len - offset;
        int st = bdrv_block_status(cur, offset, limit, &n, map, errp);
        if (st < 0)
            return st;
        if (n < limit)
            limit = n;
        if ((st & BDRV_BLOCK_ALLOCATED) || !cur->backing) {
            if (!(st & BDRV_BLOCK_ALLOCATED))
                st |= BDRV_BLOCK_ZERO;  /* unallocated down to the bottom */
            *pnum = limit;
            *depth = d;
            *file = cur;
            return st;
        }
        cur = cur->backing;
        d++;
    }
}

int bdrv_create(const BlockDriver *drv, const char *filename, uint64_t size,
                BlockOpts *opts, Error **errp)
{
    if (!drv->create) {
        error_setg(errp, "Format '%s' does not support image creation",
                   drv->format_name);
        return -ENOTSUP;
    }
    return drv->create(filename, size, opts, errp);
}

int bdrv_backing_pread(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                       void *buf, Error **errp)
{
    BlockDriverState *b = bs->backing;
    if (!b) {
        memset(buf, 0, bytes);
        return 0;
    }
    int64_t len = bdrv_getlength(b);
    if (len < 0)
        len = 0;
    uint64_t n = 0;
    if (offset < (uint64_t)len)
        n = (uint64_t)len - offset < bytes ? (uint64_t)len - offset : bytes;
    if (n) {
        int r = b->drv->pread(b, offset, n, buf, errp);
        if (r < 0)
            return r;
    }
    memset((uint8_t *)buf + n, 0, bytes - n);
    return 0;
}

/* ---- BlockBackend ---------------------------------------------------------- */

static BlockBackend *blk_list;

BlockBackend *blk_open(const char *filename, const char *fmt, int flags,
                       Error **errp)
{
    BlockDriverState *bs = bdrv_open(filename, fmt, flags, errp);
    if (!bs)
        return NULL;
    BlockBackend *blk = calloc(1, sizeof(*blk));
    if (!blk)
        pemu_abort("out of memory");
    blk->bs = bs;
    pthread_mutex_init(&blk->lock, NULL);
    BlockBackend **pp = &blk_list;
    while (*pp)
        pp = &(*pp)->next;
    *pp = blk;
    return blk;
}

void blk_close(BlockBackend *blk)
{
    if (!blk)
        return;
    Error *err = NULL;
    if (bdrv_flush(blk->bs, &err) < 0)
        error_report_err(err);
    bdrv_close(blk->bs);
    for (BlockBackend **pp = &blk_list; *pp; pp = &(*pp)->next) {
        if (*pp == blk) {
            *pp = blk->next;
            break;
        }
    }
    pthread_mutex_destroy(&blk->lock);
    free(blk);
}

BlockDriverState *blk_bs(BlockBackend *blk)
{
    return blk->bs;
}

#define BLK_LOCKED(blk, call)               \
    do {                                    \
        pthread_mutex_lock(&(blk)->lock);   \
        int r_ = (call);                    \
        pthread_mutex_unlock(&(blk)->lock); \
        return r_;                          \
    } while (0)

int blk_pread(BlockBackend *blk, uint64_t offset, uint64_t bytes, void *buf,
              Error **errp)
{
    pthread_mutex_lock(&blk->lock);
    int r = bdrv_pread(blk->bs, offset, bytes, buf, errp);
    BlockAcctStats *st = &blk->stats;
    if (r < 0) {
        st->failed_rd_operations++;
    } else {
        st->rd_operations++;
        st->rd_bytes += bytes;
    }
    pthread_mutex_unlock(&blk->lock);
    return r;
}

int blk_pwrite(BlockBackend *blk, uint64_t offset, uint64_t bytes,
               const void *buf, Error **errp)
{
    pthread_mutex_lock(&blk->lock);
    int r = bdrv_pwrite(blk->bs, offset, bytes, buf, errp);
    BlockAcctStats *st = &blk->stats;
    if (r < 0) {
        st->failed_wr_operations++;
    } else {
        st->wr_operations++;
        st->wr_bytes += bytes;
        if (offset + bytes > st->wr_highest_offset)
            st->wr_highest_offset = offset + bytes;
    }
    pthread_mutex_unlock(&blk->lock);
    return r;
}

int blk_pwrite_zeroes(BlockBackend *blk, uint64_t offset, uint64_t bytes,
                      int flags, Error **errp)
{
    BLK_LOCKED(blk, bdrv_pwrite_zeroes(blk->bs, offset, bytes, flags, errp));
}

int blk_pdiscard(BlockBackend *blk, uint64_t offset, uint64_t bytes, Error **errp)
{
    BLK_LOCKED(blk, bdrv_pdiscard(blk->bs, offset, bytes, errp));
}

int blk_flush(BlockBackend *blk, Error **errp)
{
    pthread_mutex_lock(&blk->lock);
    int r = bdrv_flush(blk->bs, errp);
    if (r < 0)
        blk->stats.failed_flush_operations++;
    else
        blk->stats.flush_operations++;
    pthread_mutex_unlock(&blk->lock);
    return r;
}

void blk_get_stats(BlockBackend *blk, BlockAcctStats *out)
{
    pthread_mutex_lock(&blk->lock);
    *out = blk->stats;
    pthread_mutex_unlock(&blk->lock);
}

BlockBackend *blk_next(const BlockBackend *prev)
{
    return prev ? prev->next : blk_list;
}

int64_t blk_getlength(BlockBackend *blk)
{
    pthread_mutex_lock(&blk->lock);
    int64_t r = bdrv_getlength(blk->bs);
    pthread_mutex_unlock(&blk->lock);
    return r;
}

/* ---- commit ----------------------------------------------------------------- */

int bdrv_commit_data(BlockDriverState *top, BlockDriverState *dst, int depth,
                     void (*progress)(void *opaque, double pct), void *opaque, Error **errp)
{
    uint64_t len = (uint64_t)bdrv_getlength(top), chunk = 1 << 20;
    if ((uint64_t)bdrv_getlength(dst) < len && bdrv_truncate(dst, len, false, PREALLOC_OFF, errp) < 0)
        return -1;
    uint8_t *buf = malloc(chunk);
    if (!buf)
        pemu_abort("out of memory");
    int r = 0;
    if (progress)
        progress(opaque, 0);
    for (uint64_t off = 0; off < len;) {
        uint64_t n = len - off < chunk ? len - off : chunk, pnum, map;
        int d;
        BlockDriverState *file;
        int st = bdrv_block_status_above(top, off, n, &pnum, &map, &d, &file, errp);
        if (st < 0) {
            r = -1;
            break;
        }
        if (pnum && pnum < n)
            n = pnum;
        /* only what the images above dst (depth < depth) hold */
        if ((st & BDRV_BLOCK_ALLOCATED) && d < depth) {
            if ((st & BDRV_BLOCK_ZERO) && !(st & BDRV_BLOCK_DATA)) {
                r = bdrv_pwrite_zeroes(dst, off, n, 0, errp);
            } else {
                r = bdrv_pread(top, off, n, buf, errp);
                if (r >= 0)
                    r = bdrv_pwrite(dst, off, n, buf, errp);
            }
            if (r < 0)
                break;
        }
        off += n;
        if (progress)
            progress(opaque, off * 100.0 / (double)len);
    }
    free(buf);
    return r < 0 ? -1 : bdrv_flush(dst, errp) < 0 ? -1 : 0;
}

/*
 * The monitor's commit: top's data into its backing image, then top
 * emptied. The backing image is written through a second, writable open;
 * the read-only one in the chain is then replaced by a fresh open, because
 * a format with metadata caches (qcow2) would otherwise keep serving the
 * layout from before the commit. Until top is emptied its data stays, so
 * a failure at any step leaves what the guest reads unchanged.
 */
int blk_commit(BlockBackend *blk, Error **errp)
{
    pthread_mutex_lock(&blk->lock);
    BlockDriverState *top = blk->bs, *base = top->backing;
    int r = -1;
    if (!base) {
        error_setg(errp, "'%s' has no backing file to commit to", top->filename);
        goto out;
    }
    if (!(top->flags & BDRV_O_RDWR)) {
        error_setg(errp, "'%s' is read-only: nothing to commit", top->filename);
        goto out;
    }
    BlockDriverState *w = open_one(base->filename, base->drv->format_name,
                                   (base->flags | BDRV_O_RDWR | BDRV_O_NO_BACKING) &
                                       ~BDRV_O_SNAPSHOT, NULL, 0, errp);
    if (!w)
        goto out;
    r = bdrv_commit_data(top, w, 1, NULL, NULL, errp);
    bdrv_close(w);
    if (r < 0)
        goto out;
    r = -1;
    BlockDriverState *fresh = open_one(base->filename, base->drv->format_name, base->flags,
                                       NULL, 0, errp);
    if (!fresh)
        goto out;
    bdrv_close(base);
    top->backing = fresh;
    if (top->drv->make_empty && top->drv->make_empty(top, errp) < 0)
        goto out;
    r = 0;
out:
    pthread_mutex_unlock(&blk->lock);
    return r;
}

/* ---- snapshots and the VM state (savevm) ---------------------------------- */

static int no_snapshots(BlockBackend *blk, Error **errp)
{
    error_setg(errp, "%s: the %s format has no internal snapshots (convert the image "
               "to qcow2)", blk->bs->filename, blk->bs->drv->format_name);
    return -ENOTSUP;
}

void bdrv_snapshot_dump(FILE *f, const BlockSnapshotInfo *sn)
{
    if (!sn) {
        fprintf(f, "%-10s%-17s%8s%20s%13s%11s\n", "ID", "TAG", "VM SIZE", "DATE", "VM CLOCK",
                "ICOUNT");
        return;
    }
    char size[32], date[32] = "", clock[32], icount[32] = "";
    block_size_to_str(size, sizeof(size), sn->vm_state_size);
    time_t t = (time_t)sn->date_sec;
    struct tm tm;
    if (localtime_r(&t, &tm))
        strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm);
    uint64_t secs = sn->vm_clock_nsec / 1000000000ull;
    snprintf(clock, sizeof(clock), "%02u:%02u:%02u.%03u", (unsigned)(secs / 3600),
             (unsigned)((secs / 60) % 60), (unsigned)(secs % 60),
             (unsigned)((sn->vm_clock_nsec / 1000000) % 1000));
    if (sn->icount != UINT64_MAX)
        snprintf(icount, sizeof(icount), "%" PRIu64, sn->icount);
    fprintf(f, "%-9s %-16s %8s%20s%13s%11s\n", sn->id, sn->name, size, date, clock, icount);
}

bool blk_can_snapshot(BlockBackend *blk)
{
    const BlockDriver *d = blk->bs->drv;
    return d->snapshot_create && d->snapshot_goto && d->snapshot_delete && d->snapshot_list;
}

int blk_snapshot_create(BlockBackend *blk, const BlockSnapshotInfo *sn, Error **errp)
{
    if (!blk_can_snapshot(blk))
        return no_snapshots(blk, errp);
    pthread_mutex_lock(&blk->lock);
    int r = blk->bs->drv->snapshot_create(blk->bs, sn, errp);
    pthread_mutex_unlock(&blk->lock);
    return r;
}

int blk_snapshot_goto(BlockBackend *blk, const char *id_or_name, Error **errp)
{
    if (!blk_can_snapshot(blk))
        return no_snapshots(blk, errp);
    pthread_mutex_lock(&blk->lock);
    int r = blk->bs->drv->snapshot_goto(blk->bs, id_or_name, errp);
    pthread_mutex_unlock(&blk->lock);
    return r;
}

int blk_snapshot_delete(BlockBackend *blk, const char *id_or_name, Error **errp)
{
    if (!blk_can_snapshot(blk))
        return no_snapshots(blk, errp);
    pthread_mutex_lock(&blk->lock);
    int r = blk->bs->drv->snapshot_delete(blk->bs, id_or_name, errp);
    pthread_mutex_unlock(&blk->lock);
    return r;
}

int blk_snapshot_list(BlockBackend *blk, BlockSnapshotInfo **list)
{
    *list = NULL;
    if (!blk_can_snapshot(blk))
        return 0;
    pthread_mutex_lock(&blk->lock);
    int n = blk->bs->drv->snapshot_list(blk->bs, list);
    pthread_mutex_unlock(&blk->lock);
    return n;
}

bool blk_snapshot_find(BlockBackend *blk, const char *id_or_name, BlockSnapshotInfo *out)
{
    BlockSnapshotInfo *l;
    int n = blk_snapshot_list(blk, &l);
    bool found = false;
    /* as qcow2's own lookup: an id first, then a name */
    for (int pass = 0; pass < 2 && !found; pass++)
        for (int i = 0; i < n && !found; i++)
            if (!strcmp(pass ? l[i].name : l[i].id, id_or_name)) {
                *out = l[i];
                found = true;
            }
    free(l);
    return found;
}

int blk_save_vmstate(BlockBackend *blk, const void *buf, uint64_t pos, uint64_t len,
                     Error **errp)
{
    if (!blk->bs->drv->save_vmstate)
        return no_snapshots(blk, errp);
    pthread_mutex_lock(&blk->lock);
    int r = blk->bs->drv->save_vmstate(blk->bs, buf, pos, len, errp);
    pthread_mutex_unlock(&blk->lock);
    return r;
}

int blk_discard_vmstate(BlockBackend *blk, uint64_t len, Error **errp)
{
    if (!blk->bs->drv->discard_vmstate)
        return no_snapshots(blk, errp);
    pthread_mutex_lock(&blk->lock);
    int r = blk->bs->drv->discard_vmstate(blk->bs, len, errp);
    pthread_mutex_unlock(&blk->lock);
    return r;
}

int blk_load_vmstate(BlockBackend *blk, const char *id_or_name, void *buf, uint64_t pos,
                     uint64_t len, Error **errp)
{
    if (!blk->bs->drv->load_vmstate)
        return no_snapshots(blk, errp);
    pthread_mutex_lock(&blk->lock);
    int r = blk->bs->drv->load_vmstate(blk->bs, id_or_name, buf, pos, len, errp);
    pthread_mutex_unlock(&blk->lock);
    return r;
}
