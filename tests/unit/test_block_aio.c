/* src/block/aio.c: the block request thread pool: completions through the
 * main loop, ordering, scatter lists, cache modes, cancel, drain, errors. */
#include "unit.h"
#include "src/block/aio.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include "ports/posix.h"
#include "src/mainloop.h"
#include "src/timer.h"

static const char *tpath(const char *name)
{
    static char buf[4][512];
    static int i;
    i = (i + 1) % 4;
    snprintf(buf[i], sizeof(buf[i]), "%s/%s", unit_tmpdir(), name);
    return buf[i];
}

static BlockBackend *new_image(const char *fmt, const char *name, uint64_t size)
{
    BlockOpts o = { 0 };
    Error *err = NULL;
    if (bdrv_create(bdrv_find_format(fmt), tpath(name), size, &o, &err) < 0) {
        error_report_err(err);
        return NULL;
    }
    BlockBackend *blk = blk_open(tpath(name), fmt, BDRV_O_RDWR, &err);
    if (!blk)
        error_report_err(err);
    return blk;
}

/* Completion log: which requests completed, in what order, with what. */
typedef struct Log {
    int n;
    int order[64];
    int ret[64];
    pthread_t thread[64];
} Log;

typedef struct Tag {
    Log *log;
    int id;
} Tag;

static void log_cb(void *opaque, int ret)
{
    Tag *t = opaque;
    Log *l = t->log;
    if (l->n < 64) {
        l->order[l->n] = t->id;
        l->ret[l->n] = ret;
        l->thread[l->n] = pthread_self();
    }
    l->n++;
}

/* Run the loop until *n reaches want or 5 s pass. */
static bool wait_for(const int *n, int want)
{
    int64_t end = host_clock_monotonic_ns() + 5 * NS_PER_SEC;
    while (*n < want && host_clock_monotonic_ns() < end)
        mainloop_wait(10 * NS_PER_MS);
    return *n >= want;
}

TEST(cache_mode_names)
{
    BlockCacheMode m;
    CHECK(blk_cache_mode_parse("writethrough", &m) == 0 && m == BLK_CACHE_WRITETHROUGH);
    CHECK(blk_cache_mode_parse("unsafe", &m) == 0 && m == BLK_CACHE_UNSAFE);
    CHECK(blk_cache_mode_parse("none", &m) == 0 && m == BLK_CACHE_NONE);
    CHECK(blk_cache_mode_parse("directsync", &m) == 0 && m == BLK_CACHE_DIRECTSYNC);
    CHECK(blk_cache_mode_parse("writeback", &m) == 0 && m == BLK_CACHE_WRITEBACK);
    CHECK(blk_cache_mode_parse("fast", &m) < 0);
    CHECK(blk_cache_mode_parse(NULL, &m) < 0);
    CHECK_STR(blk_cache_mode_name(BLK_CACHE_UNSAFE), "unsafe");
}

TEST(write_read_completes_in_loop_in_order)
{
    BlockBackend *blk = new_image("raw", "a.img", 1 << 20);
    CHECK(blk);
    BlockAioQueue *q = blk_aio_queue_new(blk, BLK_CACHE_WRITEBACK, "a");
    static uint8_t w[8][4096], r[8][4096];
    Log log = { 0 };
    Tag tags[16];
    for (int i = 0; i < 8; i++) {
        memset(w[i], 0x10 + i, sizeof(w[i]));
        tags[i] = (Tag){ &log, i };
        blk_aio_pwrite(q, (uint64_t)i * 4096 + 512, w[i], 4096, log_cb, &tags[i]);
    }
    /* Reads queued behind the writes must see them. */
    for (int i = 0; i < 8; i++) {
        tags[8 + i] = (Tag){ &log, 8 + i };
        blk_aio_pread(q, (uint64_t)i * 4096 + 512, r[i], 4096, log_cb, &tags[8 + i]);
    }
    CHECK_EQ(blk_aio_in_flight(q), 16);
    /* Nothing runs a callback behind the caller's back. */
    host_sleep_ns(20 * NS_PER_MS);
    CHECK_EQ(log.n, 0);
    CHECK(wait_for(&log.n, 16));
    CHECK_EQ(blk_aio_in_flight(q), 0);
    for (int i = 0; i < 16; i++) {
        CHECK_EQ(log.order[i], i);
        CHECK_EQ(log.ret[i], 0);
        CHECK(pthread_equal(log.thread[i], pthread_self()));
    }
    for (int i = 0; i < 8; i++)
        CHECK(memcmp(r[i], w[i], 4096) == 0);
    uint8_t chk[512];
    CHECK(blk_pread(blk, 512 + 3 * 4096, sizeof(chk), chk, NULL) == 0);
    CHECK_EQ(chk[0], 0x13);
    BlockAioStats st;
    blk_aio_queue_stats(q, &st);
    CHECK_EQ(st.writes, 8);
    CHECK_EQ(st.reads, 8);
    CHECK_EQ(st.flushes, 0);
    blk_aio_queue_free(q);
    blk_close(blk);
}

TEST(scatter_lists)
{
    BlockBackend *blk = new_image("raw", "s.img", 64 << 10);
    CHECK(blk);
    BlockAioQueue *q = blk_aio_queue_new(blk, BLK_CACHE_WRITEBACK, NULL);
    uint8_t a[100], b[412], c[1024];
    memset(a, 0xaa, sizeof(a));
    memset(b, 0xbb, sizeof(b));
    memset(c, 0xcc, sizeof(c));
    BlockIOVec wv[3] = { { a, sizeof(a) }, { b, sizeof(b) }, { c, sizeof(c) } };
    Log log = { 0 };
    Tag t0 = { &log, 0 }, t1 = { &log, 1 };
    blk_aio_pwritev(q, 1000, wv, 3, log_cb, &t0);
    uint8_t whole[1536], p1[7], p2[1529];
    BlockIOVec rv[2] = { { p1, sizeof(p1) }, { p2, sizeof(p2) } };
    blk_aio_preadv(q, 1000, rv, 2, log_cb, &t1);
    CHECK(wait_for(&log.n, 2));
    CHECK_EQ(log.ret[0], 0);
    CHECK_EQ(log.ret[1], 0);
    CHECK(blk_pread(blk, 1000, sizeof(whole), whole, NULL) == 0);
    CHECK_EQ(whole[0], 0xaa);
    CHECK_EQ(whole[99], 0xaa);
    CHECK_EQ(whole[100], 0xbb);
    CHECK_EQ(whole[511], 0xbb);
    CHECK_EQ(whole[512], 0xcc);
    CHECK_EQ(whole[1535], 0xcc);
    CHECK(memcmp(p1, whole, 7) == 0);
    CHECK(memcmp(p2, whole + 7, sizeof(p2)) == 0);
    blk_aio_queue_free(q);
    blk_close(blk);
}

static void check_mode(BlockCacheMode mode, bool write_cache, uint64_t want_flushes,
                       uint64_t want_skipped, int *fail_line)
{
    *fail_line = 0;
    BlockBackend *blk = new_image("raw", "c.img", 64 << 10);
    if (!blk) {
        *fail_line = __LINE__;
        return;
    }
    BlockAioQueue *q = blk_aio_queue_new(blk, mode, "c");
    blk_aio_set_write_cache(q, write_cache);
    static uint8_t buf[512];
    Log log = { 0 };
    Tag t = { &log, 0 };
    for (int i = 0; i < 3; i++)
        blk_aio_pwrite(q, (uint64_t)i * 512, buf, 512, log_cb, &t);
    blk_aio_flush(q, log_cb, &t);
    blk_aio_flush(q, log_cb, &t);
    if (!wait_for(&log.n, 5))
        *fail_line = __LINE__;
    for (int i = 0; i < 5 && !*fail_line; i++)
        if (log.ret[i] != 0)
            *fail_line = __LINE__;
    BlockAioStats st;
    blk_aio_queue_stats(q, &st);
    if (!*fail_line && (st.flushes != want_flushes || st.flushes_skipped != want_skipped)) {
        fprintf(stderr, "mode %s wc %d: flushes %llu skipped %llu\n", blk_cache_mode_name(mode),
                write_cache, (unsigned long long)st.flushes,
                (unsigned long long)st.flushes_skipped);
        *fail_line = __LINE__;
    }
    blk_aio_queue_free(q);
    blk_close(blk);
}

TEST(cache_modes)
{
    int line;
    /* 3 writes then 2 guest flushes. */
    check_mode(BLK_CACHE_WRITEBACK, true, 2, 0, &line);
    CHECK_EQ(line, 0);
    check_mode(BLK_CACHE_WRITETHROUGH, true, 5, 0, &line);
    CHECK_EQ(line, 0);
    check_mode(BLK_CACHE_DIRECTSYNC, true, 5, 0, &line);
    CHECK_EQ(line, 0);
    check_mode(BLK_CACHE_NONE, true, 2, 0, &line); /* falls back to writeback */
    CHECK_EQ(line, 0);
    check_mode(BLK_CACHE_UNSAFE, true, 0, 2, &line);
    CHECK_EQ(line, 0);
    /* The guest turned its write cache off. */
    check_mode(BLK_CACHE_WRITEBACK, false, 5, 0, &line);
    CHECK_EQ(line, 0);
    check_mode(BLK_CACHE_UNSAFE, false, 0, 2, &line);
    CHECK_EQ(line, 0);
}

TEST(errors_reach_the_callback)
{
    BlockBackend *blk = new_image("raw", "e.img", 4096);
    CHECK(blk);
    BlockAioQueue *q = blk_aio_queue_new(blk, BLK_CACHE_WRITEBACK, "e");
    uint8_t buf[1024];
    Log log = { 0 };
    Tag t0 = { &log, 0 }, t1 = { &log, 1 };
    blk_aio_pread(q, 1 << 20, buf, sizeof(buf), log_cb, &t0); /* past the end */
    blk_aio_pread(q, 0, buf, sizeof(buf), log_cb, &t1);
    CHECK(wait_for(&log.n, 2));
    CHECK(log.ret[0] < 0);
    CHECK_EQ(log.ret[1], 0);
    BlockAioStats st;
    blk_aio_queue_stats(q, &st);
    CHECK_EQ(st.errors, 1);
    blk_aio_queue_free(q);
    blk_close(blk);
}

/* Holds the backend's lock for a while, so that a worker blocks inside a request. */
typedef struct Holder {
    BlockBackend *blk;
    HostMutex m;
    HostCond c;
    bool locked;
} Holder;

static void *holder_main(void *opaque)
{
    Holder *h = opaque;
    pthread_mutex_lock(&h->blk->lock);
    host_mutex_lock(&h->m);
    h->locked = true;
    host_cond_signal(&h->c);
    host_mutex_unlock(&h->m);
    host_sleep_ns(100 * NS_PER_MS);
    pthread_mutex_unlock(&h->blk->lock);
    return NULL;
}

TEST(cancel_drops_callbacks)
{
    BlockBackend *blk = new_image("raw", "x.img", 4 << 20);
    CHECK(blk);
    BlockAioQueue *q = blk_aio_queue_new(blk, BLK_CACHE_WRITETHROUGH, "x");
    static uint8_t buf[32][4096];
    Log log = { 0 };
    Tag t = { &log, 0 };
    Holder h = { .blk = blk };
    host_mutex_init(&h.m);
    host_cond_init(&h.c);
    HostThread th;
    CHECK_EQ(host_thread_create(&th, holder_main, &h), 0);
    host_mutex_lock(&h.m);
    while (!h.locked)
        host_cond_wait(&h.c, &h.m);
    host_mutex_unlock(&h.m);
    for (int i = 0; i < 32; i++) {
        memset(buf[i], i + 1, sizeof(buf[i]));
        blk_aio_pwrite(q, (uint64_t)i << 12, buf[i], sizeof(buf[i]), log_cb, &t);
    }
    CHECK_EQ(blk_aio_in_flight(q), 32);
    host_sleep_ns(20 * NS_PER_MS); /* a worker takes the first write and blocks */
    blk_aio_cancel_all(q);         /* waits for that one only */
    host_thread_join(&th);
    CHECK_EQ(blk_aio_in_flight(q), 0);
    for (int i = 0; i < 20; i++)
        mainloop_wait(NS_PER_MS);
    CHECK_EQ(log.n, 0);
    BlockAioStats st;
    blk_aio_queue_stats(q, &st);
    CHECK_EQ(st.writes, 1);
    uint8_t chk[4096];
    CHECK(blk_pread(blk, 4096, sizeof(chk), chk, NULL) == 0);
    CHECK_EQ(chk[0], 0); /* the second write never ran */
    /* The queue still works after a cancel. */
    blk_aio_flush(q, log_cb, &t);
    CHECK(wait_for(&log.n, 1));
    blk_aio_queue_free(q);
    blk_close(blk);
}

typedef struct Chain {
    BlockAioQueue *q;
    uint8_t buf[512];
    int left, done;
} Chain;

static void chain_cb(void *opaque, int ret)
{
    Chain *c = opaque;
    if (ret == 0)
        c->done++;
    if (--c->left > 0)
        blk_aio_pwrite(c->q, (uint64_t)c->left * 512, c->buf, 512, chain_cb, c);
}

TEST(drain_follows_chained_requests)
{
    BlockBackend *blk = new_image("raw", "d.img", 64 << 10);
    CHECK(blk);
    Chain c = { .left = 10 };
    c.q = blk_aio_queue_new(blk, BLK_CACHE_WRITEBACK, "d");
    blk_aio_pwrite(c.q, 0, c.buf, 512, chain_cb, &c);
    blk_aio_drain(c.q);
    CHECK_EQ(c.done, 10);
    CHECK_EQ(blk_aio_in_flight(c.q), 0);
    blk_aio_queue_free(c.q);
    blk_close(blk);
}

static void free_self_cb(void *opaque, int ret)
{
    (void)ret;
    BlockAioQueue **qp = opaque;
    blk_aio_queue_free(*qp);
    *qp = NULL;
}

TEST(free_from_own_callback)
{
    BlockBackend *blk = new_image("raw", "f.img", 64 << 10);
    CHECK(blk);
    BlockAioQueue *q = blk_aio_queue_new(blk, BLK_CACHE_WRITEBACK, "f");
    static uint8_t buf[512];
    Log log = { 0 };
    Tag t = { &log, 0 };
    blk_aio_flush(q, free_self_cb, &q);
    blk_aio_pwrite(q, 0, buf, 512, log_cb, &t); /* dropped by the free */
    int64_t end = host_clock_monotonic_ns() + 5 * NS_PER_SEC;
    while (q && host_clock_monotonic_ns() < end)
        mainloop_wait(10 * NS_PER_MS);
    CHECK(q == NULL);
    for (int i = 0; i < 10; i++)
        mainloop_wait(NS_PER_MS);
    CHECK_EQ(log.n, 0);
    blk_close(blk);
}

TEST(queues_run_in_parallel_and_pool_restarts)
{
    BlockBackend *b1 = new_image("raw", "p1.img", 1 << 20);
    BlockBackend *b2 = new_image("qcow2", "p2.qcow2", 1 << 20);
    CHECK(b1 && b2);
    BlockAioQueue *q1 = blk_aio_queue_new(b1, BLK_CACHE_WRITEBACK, "p1");
    BlockAioQueue *q2 = blk_aio_queue_new(b2, BLK_CACHE_WRITEBACK, "p2");
    static uint8_t w[2][65536], r[2][65536];
    for (int i = 0; i < 65536; i++) {
        w[0][i] = (uint8_t)i;
        w[1][i] = (uint8_t)(i * 7 + 1);
    }
    Log log = { 0 };
    Tag t = { &log, 0 };
    for (int round = 0; round < 2; round++) {
        log.n = 0;
        blk_aio_pwrite(q1, 4096, w[0], sizeof(w[0]), log_cb, &t);
        blk_aio_pwrite(q2, 8192, w[1], sizeof(w[1]), log_cb, &t);
        blk_aio_pread(q1, 4096, r[0], sizeof(r[0]), log_cb, &t);
        blk_aio_pread(q2, 8192, r[1], sizeof(r[1]), log_cb, &t);
        CHECK(wait_for(&log.n, 4));
        CHECK(memcmp(w[0], r[0], sizeof(r[0])) == 0);
        CHECK(memcmp(w[1], r[1], sizeof(r[1])) == 0);
        blk_aio_pool_shutdown(); /* workers come back on the next request */
    }
    blk_aio_queue_free(q1);
    blk_aio_queue_free(q2);
    blk_close(b1);
    blk_close(b2);
}
