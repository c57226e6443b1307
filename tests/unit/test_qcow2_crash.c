/*
 * qcow2 crash safety: a child process writes through the BlockBackend
 * (random writes, compressed writes, zero writes, discards, periodic
 * flushes), logging each request before it starts and each flush when it
 * completes. The parent kills it with SIGKILL at a random moment, then
 * qemu-img check must find no corruption (leaks are fine), and every byte
 * written before the last completed flush, and not touched since, must
 * read back (through qemu-img, not through pemu). The image carries on to
 * the next round, so pemu also reopens and extends crashed images.
 *
 * PEMU_CRASH_KILLS=N sets the number of kills (default 20); the seed is
 * printed so that a failure can be replayed with PEMU_CRASH_SEED.
 */
#include "unit.h"
#include "src/block/block.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { OP_WRITE = 1, OP_COMPRESSED, OP_ZERO, OP_DISCARD, OP_FLUSH_BEGIN, OP_FLUSH_DONE };

typedef struct LogRec {
    uint32_t type, seq;
    uint64_t off, len;
} LogRec;

static uint64_t rng;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static uint8_t pattern(uint32_t type, uint32_t seq, uint64_t pos)
{
    if (type == OP_COMPRESSED)
        return (uint8_t)(seq * 3 + (pos >> 9));
    uint32_t h = (uint32_t)(pos >> 3) * 0x9e3779b1u ^ seq * 0x85ebca6bu;
    h ^= h >> 15;
    h *= 0x2c1b3c6du;
    h ^= h >> 12;
    return (uint8_t)h;
}

static void fill(uint8_t *buf, uint32_t type, uint32_t seq, uint64_t off, uint64_t len)
{
    for (uint64_t i = 0; i < len; i++)
        buf[i] = pattern(type, seq, off + i);
}

static void log_rec(int fd, uint32_t type, uint32_t seq, uint64_t off, uint64_t len)
{
    LogRec r = { type, seq, off, len };
    if (write(fd, &r, sizeof(r)) != (ssize_t)sizeof(r))
        _exit(3);
    /* The log must survive what the image survives. */
    fdatasync(fd);
}

/* The child: runs until killed (or until 100000 requests). */
static void workload(const char *img, const char *logp, uint64_t seed, uint64_t cs)
{
    int lfd = open(logp, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
    Error *err = NULL;
    BlockBackend *blk = blk_open(img, "qcow2", BDRV_O_RDWR, &err);
    if (lfd < 0 || !blk) {
        fprintf(stderr, "workload: %s\n", err ? err->msg : "log");
        _exit(2);
    }
    uint64_t size = (uint64_t)blk_getlength(blk);
    uint8_t *buf = malloc(1 << 20);
    rng = seed | 1;
    for (uint32_t seq = 1; seq < 100000; seq++) {
        uint64_t k = next_rand() % 100, off, len;
        int r = 0;
        if (k < 8) {
            log_rec(lfd, OP_FLUSH_BEGIN, seq, 0, 0);
            r = blk_flush(blk, &err);
            if (r >= 0)
                log_rec(lfd, OP_FLUSH_DONE, seq, 0, 0);
        } else if (k < 60) {
            len = 1 + next_rand() % (next_rand() % 4 ? 16384 : 300000);
            off = next_rand() % (size - len);
            if (next_rand() % 2)
                off &= ~511ull;
            fill(buf, OP_WRITE, seq, off, len);
            log_rec(lfd, OP_WRITE, seq, off, len);
            r = blk_pwrite(blk, off, len, buf, &err);
        } else if (k < 78) {
            uint64_t n = 1 + next_rand() % 4;
            off = next_rand() % (size / cs - n) * cs;
            len = n * cs;
            fill(buf, OP_COMPRESSED, seq, off, len);
            log_rec(lfd, OP_COMPRESSED, seq, off, len);
            pthread_mutex_lock(&blk->lock);
            r = bdrv_pwrite_compressed(blk_bs(blk), off, len, buf, &err);
            pthread_mutex_unlock(&blk->lock);
        } else if (k < 90) {
            len = 1 + next_rand() % (8 * cs);
            off = next_rand() % (size - len);
            if (next_rand() % 2) {
                off &= ~(cs - 1);
                len = (len + cs - 1) & ~(cs - 1);
                if (off + len > size)
                    len = size - off;
            }
            log_rec(lfd, OP_ZERO, seq, off, len);
            r = blk_pwrite_zeroes(blk, off, len, next_rand() % 2 ? BDRV_REQ_MAY_UNMAP : 0,
                                  &err);
        } else {
            uint64_t n = 1 + next_rand() % 8;
            off = next_rand() % (size / cs - n) * cs;
            len = n * cs;
            log_rec(lfd, OP_DISCARD, seq, off, len);
            r = blk_pdiscard(blk, off, len, &err);
        }
        if (r < 0) {
            fprintf(stderr, "workload: request %u failed: %s\n", seq, err ? err->msg : "?");
            _exit(4);
        }
    }
    _exit(0);
}

static int run(const char *cmd)
{
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static uint8_t *read_file(const char *p, uint64_t len)
{
    uint8_t *b = calloc(1, len);
    int fd = open(p, O_RDONLY);
    if (!b || fd < 0 || read(fd, b, len) < 0) {
        free(b);
        b = NULL;
    }
    if (fd >= 0)
        close(fd);
    return b;
}

typedef struct Variant {
    const char *opts;
    uint64_t size, cs;
    bool snapshot;
} Variant;

static const Variant variants[] = {
    { "cluster_size=4k", 64 << 20, 4096, false },
    { "cluster_size=4k,compat=0.10", 64 << 20, 4096, true },
    { "cluster_size=64k", 128 << 20, 65536, false },
    { "cluster_size=512,refcount_bits=8", 8 << 20, 512, false },
    { "cluster_size=4k,refcount_bits=2", 32 << 20, 4096, true },
};

TEST(sigkill_during_writes)
{
    if (run("qemu-img --version >/dev/null 2>&1"))
        SKIP("qemu-img is not installed (Debian: qemu-utils)");
    const char *e = getenv("PEMU_CRASH_KILLS");
    int kills = e ? atoi(e) : 20;
    e = getenv("PEMU_CRASH_SEED");
    uint64_t seed = e ? strtoull(e, NULL, 0) : (uint64_t)time(NULL);
    printf("# crash test: %d kills, PEMU_CRASH_SEED=%llu\n", kills,
           (unsigned long long)seed);
    fflush(stdout);
    rng = seed * 2 + 1;
    const char *dir = unit_tmpdir();
    char img[512], logp[512], raw[512], cmd[2048];
    snprintf(img, sizeof(img), "%s/crash.qcow2", dir);
    snprintf(logp, sizeof(logp), "%s/crash.log", dir);
    snprintf(raw, sizeof(raw), "%s/crash.raw", dir);
    const Variant *v = NULL;
    uint8_t *base = NULL;
    int leaks = 0, total_ops = 0;
    for (int it = 0; it < kills; it++) {
        if (it % 5 == 0) {
            /* A new image every five kills, in another variant. */
            v = &variants[(it / 5 + seed) % PEMU_ARRAY_SIZE(variants)];
            BlockOpts o = { 0 };
            Error *err = NULL;
            CHECK(block_opts_parse(&o, v->opts, &err) == 0);
            CHECK(bdrv_create(&bdrv_qcow2, img, v->size, &o, &err) == 0);
            block_opts_free(&o);
            if (v->snapshot) {
                /* Data under a snapshot: writes go through COW paths. */
                snprintf(cmd, sizeof(cmd), "qemu-io -f qcow2 -c 'write -P 0x5c 0 %llu' '%s'"
                         " >/dev/null && qemu-img snapshot -c s1 '%s'",
                         (unsigned long long)(v->size / 2), img, img);
                CHECK_EQ(run(cmd), 0);
            }
            free(base);
            base = calloc(1, v->size);
            CHECK(base);
            if (v->snapshot)
                memset(base, 0x5c, v->size / 2);
        }
        uint64_t wseed = next_rand();
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0)
            workload(img, logp, wseed, v->cs);
        struct timespec ts = { 0, (long)(5 + next_rand() % 300) * 1000000L };
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        int st;
        waitpid(pid, &st, 0);
        if (!(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) &&
            !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
            unit_fail(__FILE__, __LINE__, "kill %d: the workload failed on its own (%d)",
                      it, st);
            return;
        }
        /* 1. No corruption: exit 0 (clean) or 3 (leaks only). */
        snprintf(cmd, sizeof(cmd), "qemu-img check '%s' > '%s.check' 2>&1", img, img);
        int cr = run(cmd);
        if (cr == 3)
            leaks++;
        if (cr != 0 && cr != 3) {
            snprintf(cmd, sizeof(cmd), "head -20 '%s.check' >&2", img);
            run(cmd);
            unit_fail(__FILE__, __LINE__, "kill %d (seed %llu, %s): qemu-img check exit %d",
                      it, (unsigned long long)seed, v->opts, cr);
            return;
        }
        /* 2. Replay the log: what was flushed must read back. */
        int lfd = open(logp, O_RDONLY);
        CHECK(lfd >= 0);
        struct stat lst;
        fstat(lfd, &lst);
        size_t nrec = (size_t)lst.st_size / sizeof(LogRec);
        LogRec *recs = malloc(nrec * sizeof(LogRec) + 1);
        CHECK(recs && read(lfd, recs, nrec * sizeof(LogRec)) == (ssize_t)(nrec * sizeof(LogRec)));
        close(lfd);
        size_t durable = 0;     /* records before the last completed flush's begin */
        for (size_t i = 0; i < nrec; i++)
            if (recs[i].type == OP_FLUSH_DONE && i > 0)
                durable = i - 1;
        total_ops += (int)nrec;
        uint8_t *expect = base;
        bool *unsure = calloc(1, v->size);
        CHECK(unsure);
        for (size_t i = 0; i < nrec; i++) {
            LogRec *r = &recs[i];
            if (r->type >= OP_FLUSH_BEGIN)
                continue;
            CHECK(r->off + r->len <= v->size);
            if (i >= durable) {
                memset(unsure + r->off, 1, r->len);
                continue;
            }
            if (r->type == OP_WRITE || r->type == OP_COMPRESSED)
                fill(expect + r->off, r->type, r->seq, r->off, r->len);
            else
                memset(expect + r->off, 0, r->len);
        }
        snprintf(cmd, sizeof(cmd), "qemu-img convert -f qcow2 -O raw '%s' '%s'", img, raw);
        CHECK_EQ(run(cmd), 0);
        uint8_t *got = read_file(raw, v->size);
        CHECK(got);
        for (uint64_t i = 0; i < v->size; i++) {
            if (!unsure[i] && got[i] != expect[i]) {
                unit_fail(__FILE__, __LINE__, "kill %d (seed %llu, %s): flushed byte at "
                          "%llu reads %#x, expected %#x", it, (unsigned long long)seed,
                          v->opts, (unsigned long long)i, got[i], expect[i]);
                return;
            }
        }
        /* The image's content is the base for the next round. */
        memcpy(base, got, v->size);
        free(got);
        free(unsure);
        free(recs);
    }
    free(base);
    printf("# %d kills, %d requests logged, %d images with leaks, no corruption\n",
           kills, total_ops, leaks);
}
