/*
 * qcow2 internals shared by qcow2.c (header, mapping, I/O),
 * qcow2_refcount.c (refcounts, allocation, check) and qcow2_snapshot.c.
 * Layout facts are from QEMU's docs/interop/qcow2.txt; all on-disk
 * numbers are big-endian.
 */
#ifndef PEMU_QCOW2_H
#define PEMU_QCOW2_H

#include "src/block/block.h"

#define QCOW2_MAGIC 0x514649fbu            /* "QFI\xfb" */
#define QCOW2_V2_HEADER 72
#define QCOW2_V3_HEADER 104

/* Header extension types. */
#define QCOW2_EXT_END          0x00000000u
#define QCOW2_EXT_BACKING_FMT  0xe2792acau
#define QCOW2_EXT_FEATURES     0x6803f857u
#define QCOW2_EXT_BITMAPS      0x23852875u
#define QCOW2_EXT_CRYPTO       0x0537be77u
#define QCOW2_EXT_DATA_FILE    0x44415441u

/* incompatible_features */
#define QCOW2_INCOMPAT_DIRTY       (1ull << 0)
#define QCOW2_INCOMPAT_CORRUPT     (1ull << 1)
#define QCOW2_INCOMPAT_DATA_FILE   (1ull << 2)
#define QCOW2_INCOMPAT_COMPRESSION (1ull << 3)
#define QCOW2_INCOMPAT_EXTL2       (1ull << 4)
#define QCOW2_INCOMPAT_KNOWN       0x1full
/* compatible_features */
#define QCOW2_COMPAT_LAZY_REFCOUNTS (1ull << 0)
/* autoclear_features */
#define QCOW2_AUTOCLEAR_BITMAPS    (1ull << 0)
#define QCOW2_AUTOCLEAR_DATA_RAW   (1ull << 1)

/* L1/L2 entry bits. */
#define QCOW_OFLAG_COPIED     (1ull << 63)
#define QCOW_OFLAG_COMPRESSED (1ull << 62)
#define QCOW_OFLAG_ZERO       (1ull << 0)
#define L1E_OFFSET_MASK       0x00fffffffffffe00ull
#define L2E_OFFSET_MASK       0x00fffffffffffe00ull
#define REFT_OFFSET_MASK      0xfffffffffffffe00ull

/* QEMU's implementation limits, which we share so images stay portable. */
#define QCOW2_MAX_L1_BYTES   (32u << 20)
#define QCOW2_MAX_RT_BYTES   (8u << 20)
#define QCOW2_MAX_SNAPSHOTS  65536
#define QCOW2_L2_CACHE       16

enum { QCOW2_COMPRESS_ZLIB = 0, QCOW2_COMPRESS_ZSTD = 1 };

typedef enum {
    QCOW2_CLUSTER_UNALLOCATED,
    QCOW2_CLUSTER_ZERO_PLAIN,   /* zero flag, no host cluster */
    QCOW2_CLUSTER_ZERO_ALLOC,   /* zero flag, preallocated host cluster */
    QCOW2_CLUSTER_NORMAL,
    QCOW2_CLUSTER_COMPRESSED,
} Qcow2ClusterType;

typedef struct Qcow2Snapshot {
    uint64_t l1_offset;
    uint32_t l1_size;
    char *id, *name;
    uint32_t date_sec, date_nsec;
    uint64_t vm_clock_nsec;
    uint64_t vm_state_size;
    uint64_t disk_size;
    uint64_t icount;            /* UINT64_MAX when absent */
    uint32_t extra_size;        /* as read; we write at least 24 */
    uint8_t *extra_unknown;     /* extra data beyond the 24 bytes we know */
} Qcow2Snapshot;

typedef struct Qcow2L2Slot {
    uint64_t offset;            /* host offset of the table, 0: empty slot */
    uint8_t *data;
    bool dirty;
    uint64_t stamp;
} Qcow2L2Slot;

typedef struct Qcow2Ext {
    uint32_t type, len;
    uint8_t *data;
} Qcow2Ext;

typedef struct BDRVQcow2State {
    BlockDriverState *bs;
    uint32_t version;
    int cluster_bits;
    uint64_t cluster_size;
    bool ext_l2;
    int l2_entry_bytes;         /* 8, or 16 with extended L2 entries */
    int l2_bits;                /* log2 of entries per L2 table */
    uint64_t l2_entries;
    int subcluster_bits;        /* log2 of subcluster size (extended L2) */
    int csize_shift;            /* compressed descriptor layout */
    uint64_t csize_mask, coffset_mask;
    uint64_t size;              /* virtual disk size */

    uint32_t l1_size;
    uint64_t l1_offset;
    uint64_t *l1;               /* host order, with flags */

    int refcount_order, refcount_bits;
    uint64_t refcount_max;
    uint64_t rb_entries;        /* refcounts per refcount block */
    int rb_bits;
    uint64_t rt_offset;
    uint32_t rt_clusters;
    uint64_t rt_size;           /* entries in memory (>= on disk) */
    uint64_t *rt;               /* host order */
    uint8_t **rb;               /* loaded refcount blocks, on-disk layout */
    bool *rb_dirty;
    bool rt_dirty, rt_relocate;
    uint64_t free_cluster_index;
    uint64_t free_byte_offset;  /* tail of the last compressed allocation */
    /* Refcount decrements wait until the tables that stopped using the
     * clusters are on disk (see qcow2_l2_flush). */
    struct Qcow2Free { uint64_t off, len; } *frees;
    size_t nb_frees, cap_frees;
    const uint64_t *check_refs; /* during repair: computed references */
    uint64_t check_refs_n;

    uint64_t incompat, compat, autoclear;
    uint32_t header_length;
    uint8_t *header_raw;        /* header_length bytes, unknown fields kept */
    uint8_t compression_type;
    int nb_exts;
    Qcow2Ext *exts;             /* unknown header extensions, kept as is */

    uint32_t nb_snapshots;
    uint64_t snapshots_offset;
    Qcow2Snapshot *snapshots;

    Qcow2L2Slot l2c[QCOW2_L2_CACHE];
    uint64_t l2_stamp;
    uint8_t *cbuf;              /* compressed data scratch (2 clusters) */
    uint8_t *dbuf;              /* decompressed cluster cache */
    uint64_t dbuf_entry;        /* descriptor of the cached cluster, 0: none */
    bool dirty_marked;          /* we set the dirty bit (lazy refcounts) */
} BDRVQcow2State;

static inline BDRVQcow2State *qcow2_state(BlockDriverState *bs)
{
    return bs->opaque;
}

static inline uint64_t qcow2_offset_into_cluster(const BDRVQcow2State *s, uint64_t o)
{
    return o & (s->cluster_size - 1);
}

static inline uint64_t qcow2_size_to_clusters(const BDRVQcow2State *s, uint64_t n)
{
    return (n + s->cluster_size - 1) >> s->cluster_bits;
}

Qcow2ClusterType qcow2_cluster_type(const BDRVQcow2State *s, uint64_t l2e);
/* Host byte range [*start, *start + *len) of a compressed cluster's data,
 * rounded to whole 512-byte sectors as refcounting sees it. */
void qcow2_compressed_range(const BDRVQcow2State *s, uint64_t l2e,
                            uint64_t *start, uint64_t *len);

/* qcow2.c */
int qcow2_write_header(BDRVQcow2State *s, Error **errp);
int qcow2_l2_load(BDRVQcow2State *s, uint64_t l2_offset, int *slot, Error **errp);
/*
 * Write back all metadata in crash-safe order: refcount increments,
 * barrier, L2 tables, barrier, then the deferred refcount decrements. A
 * crash at any point leaves at worst leaked clusters.
 */
int qcow2_l2_flush(BDRVQcow2State *s, Error **errp);
/* Make everything written so far durable before what follows (fsync). */
int qcow2_barrier(BDRVQcow2State *s, Error **errp);
void qcow2_l2_drop_cache(BDRVQcow2State *s);
uint64_t qcow2_l2_get(const BDRVQcow2State *s, const uint8_t *l2, uint64_t i);
void qcow2_l2_set(const BDRVQcow2State *s, uint8_t *l2, uint64_t i, uint64_t e);
int qcow2_write_l1_entry(BDRVQcow2State *s, uint32_t i, Error **errp);
int qcow2_grow_l1(BDRVQcow2State *s, uint32_t min_size, Error **errp);
int qcow2_mark_dirty(BDRVQcow2State *s, Error **errp);

/* qcow2_refcount.c */
int qcow2_refcount_init(BDRVQcow2State *s, Error **errp);
void qcow2_refcount_close(BDRVQcow2State *s);
int qcow2_get_refcount(BDRVQcow2State *s, uint64_t cluster, uint64_t *rc,
                       Error **errp);
/* Add delta to the refcount of every cluster touching [offset, offset+len). */
int qcow2_update_refcount(BDRVQcow2State *s, uint64_t offset, uint64_t len,
                          int64_t delta, Error **errp);
int qcow2_set_refcount(BDRVQcow2State *s, uint64_t cluster, uint64_t rc,
                       Error **errp);
/* Allocate n contiguous clusters (refcount 1); returns offset or -errno. */
int64_t qcow2_alloc_clusters(BDRVQcow2State *s, uint64_t n, Error **errp);
/* Allocate bytes for compressed data; returns offset or -errno. */
int64_t qcow2_alloc_bytes(BDRVQcow2State *s, uint64_t size, Error **errp);
/* Drop the reference an L2 entry holds (normal or compressed), deferred
 * like qcow2_free_deferred. */
int qcow2_free_l2_entry(BDRVQcow2State *s, uint64_t l2e, Error **errp);
/* Decrement the refcounts of [offset, offset+len) once the metadata that
 * no longer points there is durable (at the next qcow2_l2_flush); until
 * then the clusters are not reused. */
int qcow2_free_deferred(BDRVQcow2State *s, uint64_t offset, uint64_t len,
                        Error **errp);
/* Apply the deferred decrements now (callers made the referrers durable). */
int qcow2_apply_frees(BDRVQcow2State *s, Error **errp);
int qcow2_refcount_flush(BDRVQcow2State *s, Error **errp);
int qcow2_check(BlockDriverState *bs, BlockCheckResult *res, int fix,
                Error **errp);
/* Repair silently (dirty image opened read/write). */
int qcow2_repair(BDRVQcow2State *s, Error **errp);

/* qcow2_snapshot.c */
int qcow2_read_snapshots(BDRVQcow2State *s, Error **errp);
void qcow2_free_snapshots(BDRVQcow2State *s);
/* Add delta to the refcounts of everything an L1 table references. */
int qcow2_update_l1_refcounts(BDRVQcow2State *s, const uint64_t *l1,
                              uint32_t l1_size, int delta, Error **errp);
/* Recompute the COPIED flags of the active L1 and its L2 tables. */
int qcow2_fix_copied_flags(BDRVQcow2State *s, Error **errp);
int qcow2_snapshot_create(BlockDriverState *bs, const BlockSnapshotInfo *sn,
                          Error **errp);
int qcow2_snapshot_goto(BlockDriverState *bs, const char *id, Error **errp);
int qcow2_snapshot_delete(BlockDriverState *bs, const char *id, Error **errp);
int qcow2_snapshot_list(BlockDriverState *bs, BlockSnapshotInfo **list);
int qcow2_save_vmstate(BlockDriverState *bs, const void *buf, uint64_t pos,
                       uint64_t len, Error **errp);
int qcow2_discard_vmstate(BlockDriverState *bs, uint64_t len, Error **errp);
int qcow2_load_vmstate(BlockDriverState *bs, const char *id_or_name, void *buf,
                       uint64_t pos, uint64_t len, Error **errp);

#endif
