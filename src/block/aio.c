/*
 * The block request thread pool. See src/block/aio.h.
 *
 * One pool of up to AIO_MAX_THREADS workers, started on demand. A queue
 * with work and no worker sits in the pool's ready list; a worker takes
 * the queue, runs its first request, puts the request on the queue's done
 * list, schedules the queue's bottom half, and puts the queue back at the
 * tail of the ready list if it has more (so busy disks take turns). The
 * bottom half runs the callbacks in the main loop thread.
 */
#include "src/block/aio.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "ports/posix.h"
#include "src/error.h"
#include "src/mainloop.h"

#define AIO_MAX_THREADS 4

typedef enum { AIO_READ, AIO_WRITE, AIO_FLUSH, AIO_DISCARD } AioOp;

typedef struct AioReq {
    struct AioReq *next;
    AioOp op;
    uint64_t offset, bytes;
    int niov;
    BlockIOVec *iov;
    BlockIOVec one;             /* iov for single-buffer requests */
    BlockAioCb *cb;
    void *opaque;
    int ret;
    Error *err;
} AioReq;

struct BlockAioQueue {
    BlockBackend *blk;
    BlockCacheMode mode;
    char *name;
    bool write_cache;
    BH *bh;
    /* Guarded by pool.lock: */
    AioReq *pend_head, *pend_tail;  /* not started */
    AioReq *done_head, *done_tail;  /* finished, callback not run */
    bool busy;                      /* a worker runs a request of q */
    bool ready;                     /* in pool's ready list */
    BlockAioQueue *ready_next;
    BlockAioStats stats;
    /* Main loop thread only: */
    unsigned in_flight;
    bool dispatching, dead;
    bool error_reported;
};

static struct {
    HostMutex lock;
    HostCond work, idle;
    BlockAioQueue *ready_head, *ready_tail;
    HostThread threads[AIO_MAX_THREADS];
    int nthreads, nidle;
    bool stop;
    bool inited;
} pool = { .lock = HOST_MUTEX_INITIALIZER };

/* ---- cache modes ------------------------------------------------------- */

static const char *const cache_names[] = {
    [BLK_CACHE_WRITEBACK] = "writeback",
    [BLK_CACHE_WRITETHROUGH] = "writethrough",
    [BLK_CACHE_NONE] = "none",
    [BLK_CACHE_UNSAFE] = "unsafe",
    [BLK_CACHE_DIRECTSYNC] = "directsync",
};

int blk_cache_mode_parse(const char *s, BlockCacheMode *mode)
{
    for (int i = 0; i < (int)(sizeof(cache_names) / sizeof(cache_names[0])); i++)
        if (s && !strcmp(s, cache_names[i])) {
            *mode = (BlockCacheMode)i;
            return 0;
        }
    return -1;
}

const char *blk_cache_mode_name(BlockCacheMode mode)
{
    return (unsigned)mode < sizeof(cache_names) / sizeof(cache_names[0]) ? cache_names[mode] : "?";
}

/* ---- workers ----------------------------------------------------------- */

static void ready_push_locked(BlockAioQueue *q)
{
    if (q->ready || q->busy || !q->pend_head)
        return;
    q->ready = true;
    q->ready_next = NULL;
    if (pool.ready_tail)
        pool.ready_tail->ready_next = q;
    else
        pool.ready_head = q;
    pool.ready_tail = q;
}

static void ready_remove_locked(BlockAioQueue *q)
{
    if (!q->ready)
        return;
    BlockAioQueue **pp = &pool.ready_head, *prev = NULL;
    while (*pp && *pp != q) {
        prev = *pp;
        pp = &(*pp)->ready_next;
    }
    if (*pp) {
        *pp = q->ready_next;
        if (pool.ready_tail == q)
            pool.ready_tail = prev;
    }
    q->ready = false;
}

static bool writes_flushed(BlockAioQueue *q)
{
    if (q->mode == BLK_CACHE_UNSAFE)
        return false;
    return q->mode == BLK_CACHE_WRITETHROUGH || q->mode == BLK_CACHE_DIRECTSYNC ||
           !q->write_cache;
}

/* Runs in a worker, without pool.lock. q->mode and write_cache are read
 * racily by design: a switch applies to requests that start after it. */
static void run_request(BlockAioQueue *q, AioReq *r, BlockAioStats *st)
{
    BlockBackend *blk = q->blk;
    uint64_t off = r->offset;
    int ret = 0;
    switch (r->op) {
    case AIO_READ:
        st->reads++;
        for (int i = 0; i < r->niov && ret >= 0; i++) {
            ret = blk_pread(blk, off, r->iov[i].len, r->iov[i].base, &r->err);
            off += r->iov[i].len;
        }
        break;
    case AIO_WRITE:
        st->writes++;
        for (int i = 0; i < r->niov && ret >= 0; i++) {
            ret = blk_pwrite(blk, off, r->iov[i].len, r->iov[i].base, &r->err);
            off += r->iov[i].len;
        }
        if (ret >= 0 && writes_flushed(q)) {
            st->flushes++;
            ret = blk_flush(blk, &r->err);
        }
        break;
    case AIO_FLUSH:
        if (q->mode == BLK_CACHE_UNSAFE) {
            st->flushes_skipped++;
        } else {
            st->flushes++;
            ret = blk_flush(blk, &r->err);
        }
        break;
    case AIO_DISCARD:
        st->discards++;
        ret = blk_pdiscard(blk, r->offset, r->bytes, &r->err);
        break;
    }
    if (ret < 0)
        st->errors++;
    r->ret = ret < 0 ? ret : 0;
}

static void *worker_main(void *arg)
{
    (void)arg;
    host_mutex_lock(&pool.lock);
    for (;;) {
        while (!pool.ready_head && !pool.stop) {
            pool.nidle++;
            host_cond_wait(&pool.work, &pool.lock);
            pool.nidle--;
        }
        if (pool.stop)
            break;
        BlockAioQueue *q = pool.ready_head;
        pool.ready_head = q->ready_next;
        if (!pool.ready_head)
            pool.ready_tail = NULL;
        q->ready = false;
        AioReq *r = q->pend_head;
        q->pend_head = r->next;
        if (!q->pend_head)
            q->pend_tail = NULL;
        r->next = NULL;
        q->busy = true;
        BlockAioStats st = { 0 };
        host_mutex_unlock(&pool.lock);

        run_request(q, r, &st);

        host_mutex_lock(&pool.lock);
        q->stats.reads += st.reads;
        q->stats.writes += st.writes;
        q->stats.discards += st.discards;
        q->stats.flushes += st.flushes;
        q->stats.flushes_skipped += st.flushes_skipped;
        q->stats.errors += st.errors;
        if (q->done_tail)
            q->done_tail->next = r;
        else
            q->done_head = r;
        q->done_tail = r;
        q->busy = false;
        ready_push_locked(q);
        /* Under pool.lock: q cannot be freed before this returns. */
        bh_schedule(q->bh);
        host_cond_broadcast(&pool.idle);
    }
    host_mutex_unlock(&pool.lock);
    return NULL;
}

static void pool_init_locked(void)
{
    if (pool.inited)
        return;
    host_cond_init(&pool.work);
    host_cond_init(&pool.idle);
    pool.inited = true;
}

/* With pool.lock: make sure someone will pick up the ready list. */
static void wake_worker_locked(void)
{
    if (pool.nidle > 0) {
        host_cond_signal(&pool.work);
        return;
    }
    if (pool.nthreads < AIO_MAX_THREADS) {
        int e = host_thread_create(&pool.threads[pool.nthreads], worker_main, NULL);
        if (e == 0) {
            pool.nthreads++;
            return;
        }
        if (pool.nthreads == 0)
            fatal("cannot start a block I/O thread: %s", strerror(e));
    }
    /* Every worker is busy: one of them takes the queue when it is done. */
}

void blk_aio_pool_shutdown(void)
{
    host_mutex_lock(&pool.lock);
    if (!pool.inited || pool.nthreads == 0) {
        host_mutex_unlock(&pool.lock);
        return;
    }
    pool.stop = true;
    host_cond_broadcast(&pool.work);
    int n = pool.nthreads;
    host_mutex_unlock(&pool.lock);
    for (int i = 0; i < n; i++)
        host_thread_join(&pool.threads[i]);
    host_mutex_lock(&pool.lock);
    pool.nthreads = 0;
    pool.stop = false;
    host_mutex_unlock(&pool.lock);
}

/* ---- completions (main loop thread) -------------------------------------- */

static void queue_destroy(BlockAioQueue *q)
{
    bh_delete(q->bh);
    free(q->name);
    free(q);
}

static void free_req(AioReq *r)
{
    if (r->iov != &r->one)
        free(r->iov);
    error_free(r->err);
    free(r);
}

static void complete_bh(void *opaque)
{
    BlockAioQueue *q = opaque;
    q->dispatching = true;
    while (!q->dead) {
        host_mutex_lock(&pool.lock);
        AioReq *r = q->done_head;
        if (r) {
            q->done_head = r->next;
            if (!q->done_head)
                q->done_tail = NULL;
        }
        host_mutex_unlock(&pool.lock);
        if (!r)
            break;
        q->in_flight--;
        if (r->ret < 0 && !q->error_reported) {
            /* Once per queue: a failing disk must not flood the terminal. */
            q->error_reported = true;
            if (r->err)
                error_report("%s (disk %s)", r->err->msg, q->name);
            else
                error_report("%s: I/O error: %s", q->name, strerror(-r->ret));
        }
        r->cb(r->opaque, r->ret);
        free_req(r);
    }
    q->dispatching = false;
    if (q->dead)
        queue_destroy(q);
}

/* ---- queues ---------------------------------------------------------------- */

BlockAioQueue *blk_aio_queue_new(BlockBackend *blk, BlockCacheMode mode, const char *name)
{
    BlockAioQueue *q = calloc(1, sizeof(*q));
    if (!q)
        fatal("out of memory creating a block request queue");
    q->blk = blk;
    q->mode = mode;
    q->write_cache = true;
    const char *n = name ? name : blk ? blk_bs(blk)->filename : "block";
    q->name = malloc(strlen(n) + 1);
    if (!q->name)
        fatal("out of memory creating a block request queue");
    strcpy(q->name, n);
    q->bh = bh_new(complete_bh, q);
    if (mode == BLK_CACHE_NONE || mode == BLK_CACHE_DIRECTSYNC) {
        static bool noted;
        if (!noted) {
            noted = true;
            warn_report("%s: cache=%s: host page cache bypass (O_DIRECT) is not "
                        "implemented by the block layer; using the host page cache%s",
                        q->name, blk_cache_mode_name(mode),
                        mode == BLK_CACHE_DIRECTSYNC ? " with every write flushed" : "");
        }
    }
    host_mutex_lock(&pool.lock);
    pool_init_locked();
    host_mutex_unlock(&pool.lock);
    return q;
}

void blk_aio_queue_free(BlockAioQueue *q)
{
    if (!q)
        return;
    blk_aio_cancel_all(q);
    if (q->dispatching) {
        q->dead = true; /* complete_bh frees it when the callback returns */
        return;
    }
    queue_destroy(q);
}

BlockBackend *blk_aio_queue_backend(BlockAioQueue *q) { return q->blk; }
BlockCacheMode blk_aio_cache_mode(BlockAioQueue *q) { return q->mode; }

void blk_aio_set_write_cache(BlockAioQueue *q, bool enabled)
{
    host_mutex_lock(&pool.lock);
    q->write_cache = enabled;
    host_mutex_unlock(&pool.lock);
}

bool blk_aio_write_cache(BlockAioQueue *q) { return q->write_cache; }

void blk_aio_queue_stats(BlockAioQueue *q, BlockAioStats *st)
{
    host_mutex_lock(&pool.lock);
    *st = q->stats;
    host_mutex_unlock(&pool.lock);
}

unsigned blk_aio_in_flight(BlockAioQueue *q) { return q->in_flight; }

static AioReq *req_new(AioOp op, uint64_t offset, uint64_t bytes, BlockAioCb *cb, void *opaque)
{
    AioReq *r = calloc(1, sizeof(*r));
    if (!r)
        fatal("out of memory queueing a block request");
    r->op = op;
    r->offset = offset;
    r->bytes = bytes;
    r->cb = cb;
    r->opaque = opaque;
    r->iov = &r->one;
    return r;
}

static void submit(BlockAioQueue *q, AioReq *r)
{
    q->in_flight++;
    host_mutex_lock(&pool.lock);
    if (q->pend_tail)
        q->pend_tail->next = r;
    else
        q->pend_head = r;
    q->pend_tail = r;
    bool was_ready = q->ready;
    ready_push_locked(q);
    if (!was_ready && q->ready)
        wake_worker_locked();
    host_mutex_unlock(&pool.lock);
}

static void submit_vec(BlockAioQueue *q, AioOp op, uint64_t offset, const BlockIOVec *iov,
                       int niov, BlockAioCb *cb, void *opaque)
{
    uint64_t bytes = 0;
    for (int i = 0; i < niov; i++)
        bytes += iov[i].len;
    AioReq *r = req_new(op, offset, bytes, cb, opaque);
    if (niov == 1) {
        r->one = iov[0];
    } else if (niov > 1) {
        r->iov = malloc((size_t)niov * sizeof(*iov));
        if (!r->iov)
            fatal("out of memory queueing a block request");
        memcpy(r->iov, iov, (size_t)niov * sizeof(*iov));
    }
    r->niov = niov < 0 ? 0 : niov;
    submit(q, r);
}

void blk_aio_preadv(BlockAioQueue *q, uint64_t offset, const BlockIOVec *iov, int niov,
                    BlockAioCb *cb, void *opaque)
{
    submit_vec(q, AIO_READ, offset, iov, niov, cb, opaque);
}

void blk_aio_pwritev(BlockAioQueue *q, uint64_t offset, const BlockIOVec *iov, int niov,
                     BlockAioCb *cb, void *opaque)
{
    submit_vec(q, AIO_WRITE, offset, iov, niov, cb, opaque);
}

void blk_aio_pread(BlockAioQueue *q, uint64_t offset, void *buf, uint64_t bytes,
                   BlockAioCb *cb, void *opaque)
{
    BlockIOVec v = { buf, (size_t)bytes };
    submit_vec(q, AIO_READ, offset, &v, 1, cb, opaque);
}

void blk_aio_pwrite(BlockAioQueue *q, uint64_t offset, const void *buf, uint64_t bytes,
                    BlockAioCb *cb, void *opaque)
{
    BlockIOVec v = { (void *)buf, (size_t)bytes };
    submit_vec(q, AIO_WRITE, offset, &v, 1, cb, opaque);
}

void blk_aio_flush(BlockAioQueue *q, BlockAioCb *cb, void *opaque)
{
    submit(q, req_new(AIO_FLUSH, 0, 0, cb, opaque));
}

void blk_aio_pdiscard(BlockAioQueue *q, uint64_t offset, uint64_t bytes,
                      BlockAioCb *cb, void *opaque)
{
    submit(q, req_new(AIO_DISCARD, offset, bytes, cb, opaque));
}

void blk_aio_cancel_all(BlockAioQueue *q)
{
    host_mutex_lock(&pool.lock);
    ready_remove_locked(q);
    AioReq *drop = q->pend_head;
    q->pend_head = q->pend_tail = NULL;
    while (q->busy)
        host_cond_wait(&pool.idle, &pool.lock);
    /* The request that was running is on the done list now. */
    AioReq *done = q->done_head;
    q->done_head = q->done_tail = NULL;
    host_mutex_unlock(&pool.lock);
    for (AioReq *lists[2] = { drop, done }, **l = lists; l < lists + 2; l++)
        while (*l) {
            AioReq *r = *l;
            *l = r->next;
            free_req(r);
            q->in_flight--;
        }
    bh_cancel(q->bh);
}

void blk_aio_drain(BlockAioQueue *q)
{
    while (q->in_flight) {
        host_mutex_lock(&pool.lock);
        while (q->pend_head || q->busy)
            host_cond_wait(&pool.idle, &pool.lock);
        host_mutex_unlock(&pool.lock);
        bh_cancel(q->bh);
        complete_bh(q); /* may submit more; loop until none is left */
    }
}
