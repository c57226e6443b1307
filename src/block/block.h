/*
 * The block layer: image format drivers (raw, qcow2, qcow, vmdk, vdi,
 * vpc), the
 * BlockDriverState graph (an image and its backing chain) and the
 * BlockBackend that devices and pemu-img talk to.
 *
 * Drivers are synchronous and not thread-safe: a BlockDriverState and its
 * backing chain must be used by one thread at a time. The BlockBackend
 * holds a lock around every call, so a later thread pool can run requests
 * for one image on any worker, one at a time, without touching drivers.
 *
 * Offsets and lengths are bytes (no sector units). Driver functions return
 * 0 (or a count) on success and a negative errno on failure with *errp set
 * to a message that names the file and the problem.
 */
#ifndef PEMU_BLOCK_H
#define PEMU_BLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <pthread.h>
#include "src/error.h"

#define BDRV_SECTOR_SIZE 512
#define BDRV_PATH_MAX 4096
#define BDRV_PROBE_BUF 2048

typedef struct BlockDriver BlockDriver;
typedef struct BlockDriverState BlockDriverState;

/* Open flags. */
enum {
    BDRV_O_RDWR       = 1u << 0,  /* open for writing */
    BDRV_O_NO_BACKING = 1u << 1,  /* do not open the backing file */
    BDRV_O_SNAPSHOT   = 1u << 2,  /* writes go to a temporary overlay */
    BDRV_O_UNSAFE     = 1u << 3,  /* backing missing is not an error */
    BDRV_O_CHECK      = 1u << 4,  /* open for check: tolerate some damage */
    BDRV_O_NO_REPAIR  = 1u << 5,  /* do not repair a dirty image on open */
    BDRV_O_NO_FLUSH   = 1u << 6,  /* cache=unsafe: write order kept, no fsync */
};

/* block_status result bits (for map and convert). */
enum {
    BDRV_BLOCK_DATA       = 1u << 0,  /* reads return data from this layer */
    BDRV_BLOCK_ZERO       = 1u << 1,  /* reads return zeros */
    BDRV_BLOCK_ALLOCATED  = 1u << 2,  /* decided by this layer, not the backing */
    BDRV_BLOCK_OFFSET_VALID = 1u << 3, /* *map is the host offset */
    BDRV_BLOCK_COMPRESSED = 1u << 4,
    /* The host file's holes refine DATA (they read as zeros): set by
     * drivers whose data may be sparse in its file, as QEMU's do. */
    BDRV_BLOCK_RECURSE    = 1u << 5,
};

/* Write flags. */
enum {
    BDRV_REQ_MAY_UNMAP = 1u << 0,  /* write_zeroes may deallocate */
};

/* Preallocation modes for create and truncate. */
typedef enum {
    PREALLOC_OFF, PREALLOC_METADATA, PREALLOC_FALLOC, PREALLOC_FULL,
} PreallocMode;

/* ---- key=value option lists (-o) ---------------------------------------- */

typedef struct BlockOpt {
    char *key, *value;
    bool used;
} BlockOpt;

typedef struct BlockOpts {
    int n;
    BlockOpt *v;
} BlockOpts;

/* Append "k=v,k2=v2" (",," is a literal comma). -1 and *errp on bad syntax. */
int block_opts_parse(BlockOpts *o, const char *str, Error **errp);
void block_opts_set(BlockOpts *o, const char *key, const char *value);
/* The last value given for key (marks it used), or NULL. */
const char *block_opts_get(BlockOpts *o, const char *key);
int block_opts_get_size(BlockOpts *o, const char *key, uint64_t *v, Error **errp);
int block_opts_get_bool(BlockOpts *o, const char *key, bool *v, Error **errp);
/* The first option no driver consumed, or NULL. */
const char *block_opts_unused(const BlockOpts *o);
void block_opts_free(BlockOpts *o);

/* "10G", "1.5M", "512": suffixes b k K M G T P E (powers of 1024). */
int block_parse_size(const char *s, uint64_t *v);
/* QEMU's human size: three significant digits, binary units ("196 KiB"). */
void block_size_to_str(char *buf, size_t n, uint64_t v);
int block_parse_prealloc(const char *s, PreallocMode *m);
const char *block_prealloc_name(PreallocMode m);

/* ---- info, check, snapshots --------------------------------------------- */

/* One line of "Format specific information" (and one JSON key). */
typedef struct BlockInfoItem {
    const char *json_key;   /* "compat" */
    const char *human;      /* "compat" */
    enum { INFO_STR, INFO_BOOL, INFO_INT } kind;
    char str[64];
    int64_t num;
} BlockInfoItem;

/* One extent of a multi-file format (vmdk), as "info" lists them. */
typedef struct BlockInfoExtent {
    char filename[BDRV_PATH_MAX];
    char format[16];        /* "FLAT", "SPARSE", or "" (the image itself) */
    uint64_t virtual_size;
    uint64_t cluster_size;  /* 0: not printed */
    bool compressed;
} BlockInfoExtent;

typedef struct BlockInfo {
    uint64_t cluster_size;  /* 0: not printed */
    bool dirty;
    int nb_items;
    BlockInfoItem items[16];
    /* Printed after the items when nb_extents > 0; malloc'd by get_info,
     * freed by the caller. */
    int nb_extents;
    BlockInfoExtent *extents;
} BlockInfo;

typedef struct BlockCheckResult {
    int64_t corruptions, leaks, check_errors;
    int64_t corruptions_fixed, leaks_fixed;
    int64_t image_end_offset;
    int64_t total_clusters, allocated_clusters;
    int64_t fragmented_clusters, compressed_clusters;
} BlockCheckResult;

enum { BDRV_FIX_LEAKS = 1, BDRV_FIX_ERRORS = 2, BDRV_CHECK_QUIET = 0x100 };

typedef struct BlockSnapshotInfo {
    char id[128];
    char name[256];
    uint64_t vm_state_size;
    uint32_t date_sec, date_nsec;
    uint64_t vm_clock_nsec;
    uint64_t icount;        /* UINT64_MAX: not recorded */
} BlockSnapshotInfo;

/* ---- the driver record --------------------------------------------------- */

struct BlockDriver {
    const char *format_name;
    size_t state_size;
    /* Score 0..100 for the first bytes of a file (buf_size may be short). */
    int (*probe)(const uint8_t *buf, int buf_size, const char *filename);
    int (*open)(BlockDriverState *bs, int flags, Error **errp);
    void (*close)(BlockDriverState *bs);
    int (*pread)(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                 void *buf, Error **errp);
    int (*pwrite)(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                  const void *buf, Error **errp);
    /* Whole clusters only; NULL when the format cannot compress. */
    int (*pwrite_compressed)(BlockDriverState *bs, uint64_t offset,
                             uint64_t bytes, const void *buf, Error **errp);
    /*
     * Compression split in two so that callers (convert) can compress
     * clusters on several threads: compress() is thread-safe and only
     * reads settings fixed at open; it compresses one whole cluster into
     * dst and returns the size, or -1 when it does not shrink (write the
     * data normally then). pwrite_precompressed() stores such a result
     * for the cluster at offset (bytes: its guest bytes). Both NULL when
     * the format cannot.
     */
    long (*compress)(BlockDriverState *bs, void *dst, size_t cap, const void *src);
    int (*pwrite_precompressed)(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                                const void *cdata, size_t clen, Error **errp);
    int (*pwrite_zeroes)(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                         int flags, Error **errp);
    int (*pdiscard)(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                    Error **errp);
    int (*flush)(BlockDriverState *bs, Error **errp);
    int64_t (*getlength)(BlockDriverState *bs);
    int (*truncate)(BlockDriverState *bs, uint64_t size, bool shrink,
                    PreallocMode prealloc, Error **errp);
    /*
     * Status of [offset, offset+bytes): returns BDRV_BLOCK_* bits for the
     * first *pnum bytes (>= 1), *map the host offset when OFFSET_VALID.
     */
    int (*block_status)(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                        uint64_t *pnum, uint64_t *map, Error **errp);
    /* The file that holds the data block_status maps at guest offset
     * (NULL: bs's own file). */
    BlockDriverState *(*map_file)(BlockDriverState *bs, uint64_t offset);
    void (*get_info)(BlockDriverState *bs, BlockInfo *info);
    int (*check)(BlockDriverState *bs, BlockCheckResult *res, int fix,
                 Error **errp);
    /* Create a new image file; opts unknown to the driver stay unused. */
    int (*create)(const char *filename, uint64_t size, BlockOpts *opts,
                  Error **errp);
    /* Option names create understands, for "-o help". */
    const char *const *create_opts;
    int (*snapshot_create)(BlockDriverState *bs, const BlockSnapshotInfo *sn,
                           Error **errp);
    int (*snapshot_goto)(BlockDriverState *bs, const char *id_or_name,
                         Error **errp);
    int (*snapshot_delete)(BlockDriverState *bs, const char *id_or_name,
                           Error **errp);
    /* Returns the count; *list is malloc'd (free() it). */
    int (*snapshot_list)(BlockDriverState *bs, BlockSnapshotInfo **list);
    /*
     * The VM state of savevm, kept in the image (qcow2: past the end of
     * the virtual disk, where snapshot_create's copy of the L1 table takes
     * it along). save_vmstate writes bytes at pos of the area in the
     * active image; discard_vmstate drops len bytes of it there again
     * once a snapshot holds them; load_vmstate reads them from snapshot
     * id_or_name without applying it (the image is not modified).
     */
    int (*save_vmstate)(BlockDriverState *bs, const void *buf, uint64_t pos,
                        uint64_t len, Error **errp);
    int (*discard_vmstate)(BlockDriverState *bs, uint64_t len, Error **errp);
    int (*load_vmstate)(BlockDriverState *bs, const char *id_or_name, void *buf,
                        uint64_t pos, uint64_t len, Error **errp);
    /* Rewrite the backing file name/format in the header (rebase). */
    int (*change_backing)(BlockDriverState *bs, const char *file,
                          const char *fmt, Error **errp);
    /* Drop every allocation so that reads fall through (commit). */
    int (*make_empty)(BlockDriverState *bs, Error **errp);
    /* Change creation options of an existing image (pemu-img amend). */
    int (*amend)(BlockDriverState *bs, BlockOpts *opts, Error **errp);
    /* Space a new image of this format needs (pemu-img measure) to hold
     * `size` bytes, or a copy of src when src is not NULL. */
    int (*measure)(BlockOpts *opts, uint64_t size, BlockDriverState *src,
                   uint64_t *required, uint64_t *fully, Error **errp);
    /* Host bytes used when the image spans several files (NULL: the
     * image file's own). */
    int64_t (*allocated_file_size)(BlockDriverState *bs);
    bool supports_backing;
};

extern const BlockDriver bdrv_raw;
extern const BlockDriver bdrv_qcow2;
extern const BlockDriver bdrv_qcow;
extern const BlockDriver bdrv_vmdk;
extern const BlockDriver bdrv_vdi;
extern const BlockDriver bdrv_vpc;

/* ---- the BlockDriverState ------------------------------------------------ */

struct BlockDriverState {
    const BlockDriver *drv;
    void *opaque;                   /* driver state, drv->state_size bytes */
    char filename[BDRV_PATH_MAX];   /* as given */
    int fd;                         /* the image file */
    int flags;                      /* BDRV_O_* it was opened with */
    bool read_only;
    bool probed;                    /* format was guessed, not given */
    bool is_temporary;              /* a -snapshot overlay: unlink on close */
    /* Backing chain: the name as stored in the image, its format (may be
     * empty), the path it resolved to, and the open image (or NULL). */
    char backing_file[1024];
    char backing_format[32];
    char backing_path[BDRV_PATH_MAX];
    BlockDriverState *backing;
};

const BlockDriver *bdrv_find_format(const char *name);
/* Every driver, for listing; NULL-terminated. */
const BlockDriver *const *bdrv_drivers(void);

/*
 * Open an image and its backing chain. fmt NULL probes; a probed raw
 * image opened for writing prints QEMU's warning and refuses writes to
 * sector 0 that would make it probe as another format.
 */
BlockDriverState *bdrv_open(const char *filename, const char *fmt, int flags,
                            Error **errp);
void bdrv_close(BlockDriverState *bs);

int bdrv_pread(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
               void *buf, Error **errp);
int bdrv_pwrite(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                const void *buf, Error **errp);
int bdrv_pwrite_compressed(BlockDriverState *bs, uint64_t offset,
                           uint64_t bytes, const void *buf, Error **errp);
int bdrv_pwrite_precompressed(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                              const void *cdata, size_t clen, Error **errp);
int bdrv_pwrite_zeroes(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                       int flags, Error **errp);
int bdrv_pdiscard(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                  Error **errp);
int bdrv_flush(BlockDriverState *bs, Error **errp);
int64_t bdrv_getlength(BlockDriverState *bs);
int bdrv_truncate(BlockDriverState *bs, uint64_t size, bool shrink,
                  PreallocMode prealloc, Error **errp);
int bdrv_block_status(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                      uint64_t *pnum, uint64_t *map, Error **errp);
/* Status through the backing chain: *depth is the layer that decided. */
int bdrv_block_status_above(BlockDriverState *bs, uint64_t offset,
                            uint64_t bytes, uint64_t *pnum, uint64_t *map,
                            int *depth, BlockDriverState **file, Error **errp);
/* Bytes the image file takes on the host disk (st_blocks), -1 unknown. */
int64_t bdrv_allocated_file_size(BlockDriverState *bs);
int bdrv_create(const BlockDriver *drv, const char *filename, uint64_t size,
                BlockOpts *opts, Error **errp);

/* Read guest data of bs's backing image; zeros past its end or when none. */
int bdrv_backing_pread(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                       void *buf, Error **errp);
/* Resolve a backing name relative to the directory of the overlay. */
void bdrv_resolve_backing(const char *overlay, const char *backing,
                          char *out, size_t n);
/* Random bytes for UUIDs and content IDs (not for secrets). */
void bdrv_random_bytes(void *buf, size_t n);
/* The virtual size of the image `backing` names (resolved relative to
 * `overlay`), for "create" without a size; -errno and *errp on failure. */
int64_t bdrv_backing_size(const char *overlay, const char *backing,
                          const char *fmt, Error **errp);
/* Probe a buffer: the best driver (never NULL: raw scores 1). */
const BlockDriver *bdrv_probe_buf(const uint8_t *buf, int n, const char *filename);

/* Raw file access for drivers: short reads past EOF are errors
 * unless zero_fill; all messages name bs->filename. */
int bdrv_file_pread(BlockDriverState *bs, uint64_t off, void *buf, size_t len,
                    bool zero_fill, Error **errp);
int bdrv_file_pwrite(BlockDriverState *bs, uint64_t off, const void *buf,
                     size_t len, Error **errp);
int64_t bdrv_file_size(BlockDriverState *bs);
/* Holes of the host file: BDRV_BLOCK_ZERO (a hole, or past the end) or
 * BDRV_BLOCK_DATA for the first *pnum bytes of [off, off+bytes). */
int bdrv_file_block_status(BlockDriverState *bs, uint64_t off, uint64_t bytes,
                           uint64_t *pnum);
int bdrv_file_truncate(BlockDriverState *bs, uint64_t size, Error **errp);
int bdrv_file_sync(BlockDriverState *bs, Error **errp);

/* ---- the BlockBackend ---------------------------------------------------- */

/* I/O accounting of a BlockBackend (QMP query-blockstats, QEMU's names). */
typedef struct BlockAcctStats {
    uint64_t rd_bytes, wr_bytes;
    uint64_t rd_operations, wr_operations, flush_operations;
    uint64_t failed_rd_operations, failed_wr_operations, failed_flush_operations;
    uint64_t wr_highest_offset;     /* end of the highest write */
} BlockAcctStats;

typedef struct BlockBackend {
    BlockDriverState *bs;
    pthread_mutex_t lock;   /* one request at a time per image */
    BlockAcctStats stats;   /* under lock */
    struct BlockBackend *next; /* every open backend (blk_next) */
} BlockBackend;

BlockBackend *blk_open(const char *filename, const char *fmt, int flags,
                       Error **errp);
void blk_close(BlockBackend *blk);
BlockDriverState *blk_bs(BlockBackend *blk);
int blk_pread(BlockBackend *blk, uint64_t offset, uint64_t bytes, void *buf,
              Error **errp);
int blk_pwrite(BlockBackend *blk, uint64_t offset, uint64_t bytes,
               const void *buf, Error **errp);
int blk_pwrite_zeroes(BlockBackend *blk, uint64_t offset, uint64_t bytes,
                      int flags, Error **errp);
int blk_pdiscard(BlockBackend *blk, uint64_t offset, uint64_t bytes,
                 Error **errp);
int blk_flush(BlockBackend *blk, Error **errp);
int64_t blk_getlength(BlockBackend *blk);
/* Read-only queries (monitor, QMP): a copy of the I/O counters, and every
 * open backend in opening order: for (b = blk_next(NULL); b; b = blk_next(b)).
 * Main-loop thread only (backends are opened and closed there). */
void blk_get_stats(BlockBackend *blk, BlockAcctStats *out);
BlockBackend *blk_next(const BlockBackend *prev);
/* Commit: top's own data (and that of the images down to depth - 1) into
 * dst, flushed. progress may be NULL. */
int bdrv_commit_data(BlockDriverState *top, BlockDriverState *dst, int depth,
                     void (*progress)(void *opaque, double pct), void *opaque, Error **errp);
/* The monitor's `commit`: the image's (or the -snapshot overlay's) data
 * into its backing file, then the image emptied; -1 with *errp otherwise. */
int blk_commit(BlockBackend *blk, Error **errp);

/*
 * Internal snapshots and the VM state through a backend (savevm, loadvm,
 * delvm, info snapshots). Main-loop thread, with the device's request
 * queue drained. A format without snapshots: -ENOTSUP and *errp.
 */
bool blk_can_snapshot(BlockBackend *blk);
/* One line of a snapshot list as qemu-img and QEMU's monitor print it
 * (sn NULL: the column header). */
void bdrv_snapshot_dump(FILE *f, const BlockSnapshotInfo *sn);
int blk_snapshot_create(BlockBackend *blk, const BlockSnapshotInfo *sn, Error **errp);
int blk_snapshot_goto(BlockBackend *blk, const char *id_or_name, Error **errp);
int blk_snapshot_delete(BlockBackend *blk, const char *id_or_name, Error **errp);
/* The count (0 without snapshots); *list is malloc'd (free it), or NULL. */
int blk_snapshot_list(BlockBackend *blk, BlockSnapshotInfo **list);
/* The snapshot whose id or name is id_or_name: true and *out filled. */
bool blk_snapshot_find(BlockBackend *blk, const char *id_or_name, BlockSnapshotInfo *out);
int blk_save_vmstate(BlockBackend *blk, const void *buf, uint64_t pos, uint64_t len,
                     Error **errp);
int blk_discard_vmstate(BlockBackend *blk, uint64_t len, Error **errp);
int blk_load_vmstate(BlockBackend *blk, const char *id_or_name, void *buf, uint64_t pos,
                     uint64_t len, Error **errp);

#endif
