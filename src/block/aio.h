/*
 * Asynchronous block requests: a small pool of host threads runs
 * BlockBackend reads, writes, flushes and discards, and the completion
 * callbacks run later in the main loop thread (through a bottom half), so
 * a device model never waits for the host disk on the vCPU thread.
 *
 * A device owns one BlockAioQueue per BlockBackend. Ordering: requests of
 * one queue run one at a time, in submission order (the BlockBackend's
 * lock serializes the drivers anyway), so a flush always follows the
 * writes submitted before it and a read sees every earlier write.
 * Requests of different queues run in parallel on different workers.
 * Callbacks of one queue run in completion order, which is submission
 * order.
 *
 * Cache modes (-drive cache=):
 *   writeback     host page cache; guest flushes reach the disk (default)
 *   writethrough  every write is flushed before it completes
 *   none          meant to bypass the host page cache (O_DIRECT): the block
 *                 layer has no O_DIRECT path yet, so this is writeback and
 *                 a note says so once
 *   directsync    none + writethrough: writethrough, with the same note
 *   unsafe        guest flushes complete at once without touching the disk
 * The guest's own write-cache switch (ATA SET FEATURES 02h/82h) turns a
 * writeback queue into writethrough (blk_aio_set_write_cache).
 *
 * Threads: submit, cancel, drain and free from the main loop thread (with
 * the global lock held when there is one); callbacks run there too.
 * Buffers passed to a request must stay valid until its callback ran or
 * the request was cancelled.
 */
#ifndef PEMU_BLOCK_AIO_H
#define PEMU_BLOCK_AIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "src/block/block.h"

typedef enum BlockCacheMode {
    BLK_CACHE_WRITEBACK,
    BLK_CACHE_WRITETHROUGH,
    BLK_CACHE_NONE,
    BLK_CACHE_UNSAFE,
    BLK_CACHE_DIRECTSYNC,
} BlockCacheMode;

/* "writeback", "writethrough", "none", "unsafe", "directsync": 0, else -1. */
int blk_cache_mode_parse(const char *s, BlockCacheMode *mode);
const char *blk_cache_mode_name(BlockCacheMode mode);

/* One piece of a scatter list. */
typedef struct BlockIOVec {
    void *base;
    size_t len;
} BlockIOVec;

/* ret: 0 on success, a negative errno on failure. Main loop thread. */
typedef void BlockAioCb(void *opaque, int ret);

typedef struct BlockAioQueue BlockAioQueue;

typedef struct BlockAioStats {
    uint64_t reads, writes, discards;
    uint64_t flushes;           /* flushes that reached the BlockBackend */
    uint64_t flushes_skipped;   /* guest flushes ignored (cache=unsafe) */
    uint64_t errors;
} BlockAioStats;

/*
 * A queue for blk (not owned: close it after freeing the queue). name is
 * used in error messages (copied; NULL: the image file name).
 */
BlockAioQueue *blk_aio_queue_new(BlockBackend *blk, BlockCacheMode mode, const char *name);
/* Cancel what is pending (blk_aio_cancel_all), then free. NULL is allowed.
 * May be called from one of the queue's own callbacks. */
void blk_aio_queue_free(BlockAioQueue *q);
BlockBackend *blk_aio_queue_backend(BlockAioQueue *q);
BlockCacheMode blk_aio_cache_mode(BlockAioQueue *q);
/* The guest's write cache switch (on at creation). Off: writes are
 * flushed before they complete, except with cache=unsafe. */
void blk_aio_set_write_cache(BlockAioQueue *q, bool enabled);
bool blk_aio_write_cache(BlockAioQueue *q);
void blk_aio_queue_stats(BlockAioQueue *q, BlockAioStats *st);

/* Byte offsets; the scatter list is copied, its buffers are not. */
void blk_aio_preadv(BlockAioQueue *q, uint64_t offset, const BlockIOVec *iov, int niov,
                    BlockAioCb *cb, void *opaque);
void blk_aio_pwritev(BlockAioQueue *q, uint64_t offset, const BlockIOVec *iov, int niov,
                     BlockAioCb *cb, void *opaque);
void blk_aio_pread(BlockAioQueue *q, uint64_t offset, void *buf, uint64_t bytes,
                   BlockAioCb *cb, void *opaque);
void blk_aio_pwrite(BlockAioQueue *q, uint64_t offset, const void *buf, uint64_t bytes,
                    BlockAioCb *cb, void *opaque);
void blk_aio_flush(BlockAioQueue *q, BlockAioCb *cb, void *opaque);
void blk_aio_pdiscard(BlockAioQueue *q, uint64_t offset, uint64_t bytes,
                      BlockAioCb *cb, void *opaque);

/*
 * Device reset: requests not started are dropped, the one running (if
 * any) is waited for, completions not yet delivered are dropped. No
 * callback of a request submitted before the call runs afterwards.
 */
void blk_aio_cancel_all(BlockAioQueue *q);
/*
 * Wait until every request of q has completed and its callback ran,
 * including requests those callbacks submit (savevm, shutdown, tests).
 * A callback run by drain must not free q.
 */
void blk_aio_drain(BlockAioQueue *q);
/* Requests submitted whose callback has not run yet. */
unsigned blk_aio_in_flight(BlockAioQueue *q);

/* Stop and join the worker threads (they restart on demand). Every queue
 * must be idle. For tests and exit. */
void blk_aio_pool_shutdown(void);

#endif
