/*
 * VMDK images (VMware "Virtual Disk Format 1.1"): a text descriptor that
 * lists extents, either in its own file (monolithicFlat, twoGbMaxExtent*,
 * vmfs) or embedded in a hosted sparse extent (monolithicSparse,
 * streamOptimized). Extents are FLAT/VMFS (raw data at an offset), ZERO,
 * or SPARSE (version 4 "KDMV" files with a grain directory of grain
 * tables).
 *
 * Sparse extent header (little-endian, packed):
 *   0 magic "KDMV"   4 version (1-3)   8 flags   12 capacity (sectors)
 *  20 grain size (sectors)  28 descriptor offset  36 descriptor size
 *  44 grain table entries per table   48 redundant GD offset
 *  56 GD offset (sectors; all ones: in the footer at the end)
 *  64 first grain (sectors)  72 unclean shutdown  73 "\n \r\n" (line
 *  ending check)  77 compression (u16, 1 = deflate)
 * flags: bit 0 newline test valid, bit 1 redundant GD in use, bit 2 GTE 1
 * means a zeroed grain, bit 16 compressed grains, bit 17 grain markers.
 * A grain table entry is the sector of the grain (of its marker when
 * compressed: lba u64, size u32, then a zlib stream); 0 is unallocated.
 *
 * Grains and new grain tables are written before the entries that point
 * at them (both tables when there is a redundant copy), so a crash leaves
 * at worst unreferenced grains at the end of the file.
 */
#include "src/block/block.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define VMDK4_MAGIC 0x564d444bu     /* "KDMV" read little-endian */
#define VMDK3_MAGIC 0x44574f43u     /* "COWD" */
#define VMDK4_FLAG_NL_DETECT (1u << 0)
#define VMDK4_FLAG_RGD       (1u << 1)
#define VMDK4_FLAG_ZERO_GRAIN (1u << 2)
#define VMDK4_FLAG_COMPRESS  (1u << 16)
#define VMDK4_FLAG_MARKER    (1u << 17)
#define VMDK_GD_AT_END       UINT64_MAX
#define VMDK_MARKER_EOS      0
#define VMDK_MARKER_FOOTER   3
#define VMDK_DESC_MAX        (1u << 20)
#define VMDK_GT_CACHE        16

enum { EXT_FLAT, EXT_SPARSE, EXT_ZERO };

typedef struct VmdkExtent {
    BlockDriverState *file;     /* the image's own bs, or one we opened */
    bool own_file, read_only;
    int kind;
    char type[16];              /* as the descriptor says; "" for the image */
    uint64_t start, sectors;    /* guest range, in sectors */
    uint64_t flat_offset;       /* bytes, FLAT */
    /* SPARSE: */
    uint32_t version, flags;
    uint64_t grain;             /* sectors per grain */
    uint32_t gtes;              /* entries per grain table */
    uint32_t gd_entries;
    uint64_t gd_offset, rgd_offset;     /* bytes; rgd 0: none */
    uint32_t *gd, *rgd;         /* sectors, host order */
    uint64_t next_sector;       /* allocation point */
    bool compressed, markers, footer_gd;
} VmdkExtent;

typedef struct BDRVVmdkState {
    BlockDriverState *bs;
    int nb_extents;
    VmdkExtent *ext;
    uint64_t size;              /* bytes */
    uint32_t cid, parent_cid;
    bool cid_updated;
    char create_type[64];
    char *desc;                 /* descriptor text (NUL-terminated) */
    BlockDriverState *desc_file;        /* where the descriptor lives */
    uint64_t desc_offset, desc_room;    /* bytes; room 0: a whole file */
    struct {
        VmdkExtent *ext;
        uint64_t sector;        /* of the table; 0: empty */
        uint8_t *data;          /* on-disk layout (little-endian) */
        uint64_t stamp;
    } gtc[VMDK_GT_CACHE];
    uint64_t stamp;
    uint8_t *gbuf;              /* one grain */
    uint8_t *cbuf;              /* compressed scratch (2 grains + marker) */
    uint8_t *dbuf;              /* decompressed grain cache */
    const VmdkExtent *dbuf_ext;
    uint32_t dbuf_gte;
} BDRVVmdkState;

/* ---- probing and the descriptor ----------------------------------------- */

static bool text_descriptor(const uint8_t *buf, int n)
{
    /* Comment and blank lines, then "version=N" (1 to 3). */
    const char *p = (const char *)buf, *end = p + n;
    while (p < end) {
        if (*p == '#') {
            while (p < end && *p != '\n')
                p++;
            p++;
            continue;
        }
        const char *q = p;
        while (q < end && (*q == ' ' || *q == '\t' || *q == '\r'))
            q++;
        if (q < end && *q == '\n') {
            p = q + 1;
            continue;
        }
        if (end - p >= 10 && !memcmp(p, "version=", 8) && p[8] >= '1' && p[8] <= '3' &&
            (p[9] == '\n' || p[9] == '\r'))
            return true;
        return false;
    }
    return false;
}

static int vmdk_probe(const uint8_t *buf, int n, const char *filename)
{
    if (n >= 4 && (ld32_le(buf) == VMDK4_MAGIC || ld32_be(buf) == VMDK3_MAGIC))
        return 100;
    return text_descriptor(buf, n) ? 100 : 0;
}

/* The value of `key` in the descriptor (quotes removed), or false. */
static bool desc_get(const char *desc, const char *key, char *out, size_t n)
{
    size_t kl = strlen(key);
    for (const char *p = desc; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (strncmp(p, key, kl))
            continue;
        const char *q = p + kl;
        while (*q == ' ' || *q == '\t')
            q++;
        if (*q != '=')
            continue;
        q++;
        while (*q == ' ' || *q == '\t')
            q++;
        bool quoted = *q == '"';
        if (quoted)
            q++;
        size_t i = 0;
        while (*q && *q != '\n' && *q != '\r' && !(quoted && *q == '"') && i + 1 < n)
            out[i++] = *q++;
        while (!quoted && i && (out[i - 1] == ' ' || out[i - 1] == '\t'))
            i--;
        out[i] = 0;
        return true;
    }
    return false;
}

static void read_ids(BDRVVmdkState *s)
{
    char v[64];
    s->cid = s->parent_cid = UINT32_MAX;
    if (desc_get(s->desc, "CID", v, sizeof(v)))
        s->cid = (uint32_t)strtoul(v, NULL, 16);
    if (desc_get(s->desc, "parentCID", v, sizeof(v)))
        s->parent_cid = (uint32_t)strtoul(v, NULL, 16);
}

/* ---- extents ------------------------------------------------------------ */

static VmdkExtent *add_extent(BDRVVmdkState *s)
{
    VmdkExtent *e = realloc(s->ext, (size_t)(s->nb_extents + 1) * sizeof(*e));
    if (!e)
        pemu_abort("out of memory");
    s->ext = e;
    e = &s->ext[s->nb_extents++];
    memset(e, 0, sizeof(*e));
    return e;
}

static BlockDriverState *open_file(const char *path, bool rw, Error **errp)
{
    int fd = open(path, (rw ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    if (fd < 0) {
        error_setg(errp, "Could not open extent file '%s': %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || S_ISDIR(st.st_mode)) {
        error_setg(errp, "Could not open extent file '%s': not a regular file", path);
        close(fd);
        return NULL;
    }
    BlockDriverState *f = calloc(1, sizeof(*f));
    if (!f)
        pemu_abort("out of memory");
    f->fd = fd;
    f->read_only = !rw;
    snprintf(f->filename, sizeof(f->filename), "%s", path);
    return f;
}

static void close_file(BlockDriverState *f)
{
    close(f->fd);
    free(f);
}

static int read_table(BlockDriverState *f, uint64_t off, uint32_t n, uint32_t **out,
                      Error **errp)
{
    uint8_t *raw = malloc(n ? 4ull * n : 4);
    uint32_t *t = malloc(n ? 4ull * n : 4);
    if (!raw || !t)
        pemu_abort("out of memory");
    int r = bdrv_file_pread(f, off, raw, 4ull * n, false, errp);
    for (uint32_t i = 0; r >= 0 && i < n; i++)
        t[i] = ld32_le(raw + 4 * i);
    free(raw);
    if (r < 0) {
        free(t);
        return r;
    }
    *out = t;
    return 0;
}

/* Parse a hosted sparse extent header in e->file (desc receives the
 * embedded descriptor when wanted). */
static int open_sparse(BDRVVmdkState *s, VmdkExtent *e, char **desc, Error **errp)
{
    BlockDriverState *f = e->file;
    uint8_t h[512];
    int64_t fsize = bdrv_file_size(f);
    int r = bdrv_file_pread(f, 0, h, sizeof(h), true, errp);
    if (r < 0)
        return r;
    if (ld32_be(h) == VMDK3_MAGIC) {
        error_setg(errp, "%s: VMDK version 3 (COWD) sparse extents are not supported",
                   f->filename);
        return -ENOTSUP;
    }
    if (ld32_le(h) != VMDK4_MAGIC) {
        error_setg(errp, "%s: not a VMDK sparse extent (bad magic)", f->filename);
        return -EINVAL;
    }
    if (ld64_le(h + 56) == VMDK_GD_AT_END) {
        /* Stream images keep the real header in a footer: a footer marker
         * sector, the header sector, an end-of-stream marker. */
        uint8_t ft[1536];
        if (fsize < 1536 + 512 ||
            (r = bdrv_file_pread(f, (uint64_t)fsize - 1536, ft, sizeof(ft), false, errp)) < 0) {
            if (r >= 0)
                error_setg(errp, "%s: the grain directory is in a footer, but the "
                           "file is too short to hold one", f->filename);
            return r < 0 ? r : -EINVAL;
        }
        if (ld64_le(ft) || ld32_le(ft + 8) || ld32_le(ft + 12) != VMDK_MARKER_FOOTER ||
            ld32_le(ft + 512) != VMDK4_MAGIC || ld64_le(ft + 1024) || ld32_le(ft + 1032) ||
            ld32_le(ft + 1036) != VMDK_MARKER_EOS) {
            error_setg(errp, "%s: invalid VMDK footer (the stream was cut short?)",
                       f->filename);
            return -EINVAL;
        }
        memcpy(h, ft + 512, 512);
        e->footer_gd = true;
    }
    e->version = ld32_le(h + 4);
    e->flags = ld32_le(h + 8);
    uint64_t capacity = ld64_le(h + 12);
    e->grain = ld64_le(h + 20);
    uint64_t desc_off = ld64_le(h + 28), desc_size = ld64_le(h + 36);
    e->gtes = ld32_le(h + 44);
    uint64_t rgd = ld64_le(h + 48), gd = ld64_le(h + 56);
    e->next_sector = ld64_le(h + 64);
    if (e->version == 0 || e->version > 3) {
        error_setg(errp, "%s: unsupported VMDK version %u", f->filename, e->version);
        return -ENOTSUP;
    }
    if ((e->flags & VMDK4_FLAG_NL_DETECT) && memcmp(h + 73, "\n \r\n", 4)) {
        error_setg(errp, "%s: the VMDK header's line ending check failed (the file "
                   "was transferred in text mode?)", f->filename);
        return -EINVAL;
    }
    e->compressed = e->flags & VMDK4_FLAG_COMPRESS;
    e->markers = e->flags & VMDK4_FLAG_MARKER;
    if (e->compressed && ld16_le(h + 77) != 1) {
        error_setg(errp, "%s: unknown VMDK compression algorithm %u", f->filename,
                   ld16_le(h + 77));
        return -ENOTSUP;
    }
    if (!e->grain || e->grain > 0x200000 || (e->grain & (e->grain - 1))) {
        error_setg(errp, "%s: invalid granularity %" PRIu64 " sectors (image may be "
                   "corrupt)", f->filename, e->grain);
        return -EINVAL;
    }
    if (!e->gtes || e->gtes > 512) {
        error_setg(errp, "%s: L2 table size %u is invalid (at most 512 entries)",
                   f->filename, e->gtes);
        return -EINVAL;
    }
    if (capacity > (1ull << 53)) {
        error_setg(errp, "%s: capacity %" PRIu64 " sectors is too large", f->filename,
                   capacity);
        return -EFBIG;
    }
    uint64_t grains = (capacity + e->grain - 1) / e->grain;
    uint64_t gds = (grains + e->gtes - 1) / e->gtes;
    if (gds > (32u << 20) / 4) {
        error_setg(errp, "%s: L1 size too big (%" PRIu64 " entries)", f->filename, gds);
        return -EFBIG;
    }
    e->gd_entries = (uint32_t)gds;
    if (gd > (uint64_t)fsize / 512 || (rgd && (e->flags & VMDK4_FLAG_RGD) &&
                                       rgd > (uint64_t)fsize / 512)) {
        error_setg(errp, "%s: grain directory at sector %" PRIu64 " lies past the end "
                   "of the file", f->filename, gd);
        return -EINVAL;
    }
    e->gd_offset = gd * 512;
    e->rgd_offset = (e->flags & VMDK4_FLAG_RGD) ? rgd * 512 : 0;
    if (!e->sectors)
        e->sectors = capacity;
    r = read_table(f, e->gd_offset, e->gd_entries, &e->gd, errp);
    if (r >= 0 && e->rgd_offset)
        r = read_table(f, e->rgd_offset, e->gd_entries, &e->rgd, errp);
    if (r < 0)
        return r;
    uint64_t endsec = ((uint64_t)fsize + 511) / 512;
    if (e->next_sector < endsec)
        e->next_sector = endsec;
    if (desc && desc_off && desc_size) {
        if (desc_size > VMDK_DESC_MAX / 512 || desc_off > endsec) {
            error_setg(errp, "%s: embedded descriptor (sector %" PRIu64 ", %" PRIu64
                       " sectors) is invalid", f->filename, desc_off, desc_size);
            return -EINVAL;
        }
        char *d = calloc(1, desc_size * 512 + 1);
        if (!d)
            pemu_abort("out of memory");
        r = bdrv_file_pread(f, desc_off * 512, d, desc_size * 512, true, errp);
        if (r < 0) {
            free(d);
            return r;
        }
        *desc = d;
        s->desc_offset = desc_off * 512;
        s->desc_room = desc_size * 512;
    }
    return 0;
}

static bool known_create_type(const char *t)
{
    static const char *const types[] = {
        "monolithicSparse", "streamOptimized", "monolithicFlat", "twoGbMaxExtentSparse",
        "twoGbMaxExtentFlat", "vmfs", "vmfsSparse", "seSparse", "custom",
    };
    for (size_t i = 0; i < PEMU_ARRAY_SIZE(types); i++)
        if (!strcmp(t, types[i]))
            return true;
    return false;
}

/* Extent lines: ACCESS SECTORS TYPE ["FILE" [OFFSET]]. */
static int parse_extents(BlockDriverState *bs, Error **errp)
{
    BDRVVmdkState *s = bs->opaque;
    uint64_t start = 0;
    for (const char *p = s->desc; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        while (*p == ' ' || *p == '\t')
            p++;
        char access[16], type[16], name[1024] = "";
        unsigned long long sectors, off = 0;
        int used = 0;
        if (strncmp(p, "RW ", 3) && strncmp(p, "RDONLY ", 7) && strncmp(p, "NOACCESS ", 9))
            continue;
        if (sscanf(p, "%15s %llu %15s%n", access, &sectors, type, &used) != 3) {
            error_setg(errp, "Invalid extent line: %.60s", p);
            return -EINVAL;
        }
        const char *q = p + used;
        while (*q == ' ' || *q == '\t')
            q++;
        if (*q == '"') {
            const char *qe = strchr(q + 1, '"');
            const char *nl = strchr(q, '\n');
            if (!qe || (nl && qe > nl) || (size_t)(qe - q - 1) >= sizeof(name)) {
                error_setg(errp, "Invalid extent line (file name): %.60s", p);
                return -EINVAL;
            }
            memcpy(name, q + 1, (size_t)(qe - q - 1));
            name[qe - q - 1] = 0;
            q = qe + 1;
            char *endp;
            while (*q == ' ' || *q == '\t')
                q++;
            if (*q >= '0' && *q <= '9')
                off = strtoull(q, &endp, 10);
        }
        if (!strcmp(access, "NOACCESS")) {
            error_setg(errp, "extent access NOACCESS is not supported");
            return -ENOTSUP;
        }
        if (sectors == 0 || sectors > (1ull << 53) || start + sectors > (1ull << 53)) {
            error_setg(errp, "Invalid extent size %llu sectors", sectors);
            return -EINVAL;
        }
        VmdkExtent *e = add_extent(s);
        snprintf(e->type, sizeof(e->type), "%s", type);
        e->start = start;
        e->sectors = sectors;
        e->read_only = !strcmp(access, "RDONLY") || bs->read_only;
        if (!strcmp(type, "ZERO")) {
            e->kind = EXT_ZERO;
        } else if (!strcmp(type, "FLAT") || !strcmp(type, "VMFS")) {
            e->kind = EXT_FLAT;
            if (off > (1ull << 53)) {
                error_setg(errp, "Invalid extent offset %llu", off);
                return -EINVAL;
            }
            e->flat_offset = off * 512;
        } else if (!strcmp(type, "SPARSE")) {
            e->kind = EXT_SPARSE;
        } else {
            error_setg(errp, "Unsupported extent type '%s'", type);
            return -ENOTSUP;
        }
        if (e->kind != EXT_ZERO) {
            if (!name[0]) {
                error_setg(errp, "extent line without a file name: %.60s", p);
                return -EINVAL;
            }
            char path[BDRV_PATH_MAX];
            bdrv_resolve_backing(bs->filename, name, path, sizeof(path));
            e->file = open_file(path, !bs->read_only, errp);
            if (!e->file)
                return -EINVAL;
            e->file->flags = bs->flags;
            e->own_file = true;
            if (e->kind == EXT_SPARSE) {
                int r = open_sparse(s, e, NULL, errp);
                if (r < 0)
                    return r;
                e->sectors = sectors;
            }
        }
        start += sectors;
    }
    if (!s->nb_extents) {
        error_setg(errp, "the VMDK descriptor lists no extents");
        return -EINVAL;
    }
    s->size = start * 512;
    return 0;
}

static void vmdk_free(BDRVVmdkState *s)
{
    for (int i = 0; i < s->nb_extents; i++) {
        VmdkExtent *e = &s->ext[i];
        if (e->own_file)
            close_file(e->file);
        free(e->gd);
        free(e->rgd);
    }
    for (int i = 0; i < VMDK_GT_CACHE; i++)
        free(s->gtc[i].data);
    free(s->ext);
    free(s->desc);
    free(s->gbuf);
    free(s->cbuf);
    free(s->dbuf);
    memset(s, 0, sizeof(*s));
}

static int vmdk_open(BlockDriverState *bs, int flags, Error **errp)
{
    BDRVVmdkState *s = bs->opaque;
    s->bs = bs;
    s->desc_file = bs;
    uint8_t m[4] = { 0 };
    int r = bdrv_file_pread(bs, 0, m, 4, true, errp);
    if (r < 0)
        return r;
    char ct[64] = "";
    if (ld32_le(m) == VMDK4_MAGIC || ld32_be(m) == VMDK3_MAGIC) {
        /* A hosted sparse file opened directly: one extent, itself. */
        VmdkExtent *e = add_extent(s);
        e->file = bs;
        e->kind = EXT_SPARSE;
        e->read_only = bs->read_only;
        r = open_sparse(s, e, &s->desc, errp);
        if (r < 0)
            goto fail;
        s->size = e->sectors * 512;
        if (!s->desc) {
            s->desc = calloc(1, 1);
            if (!s->desc)
                pemu_abort("out of memory");
        }
        if (!desc_get(s->desc, "createType", ct, sizeof(ct)))
            snprintf(ct, sizeof(ct), "%s", e->compressed ? "streamOptimized"
                                                          : "monolithicSparse");
    } else {
        int64_t fsize = bdrv_file_size(bs);
        if (fsize < 4 || fsize >= VMDK_DESC_MAX) {
            error_setg(errp, "Image is not in vmdk format (a %lld-byte file is neither "
                       "a sparse extent nor a descriptor)", (long long)fsize);
            r = -EINVAL;
            goto fail;
        }
        s->desc = calloc(1, (size_t)fsize + 1);
        if (!s->desc)
            pemu_abort("out of memory");
        r = bdrv_file_pread(bs, 0, s->desc, (size_t)fsize, false, errp);
        if (r < 0)
            goto fail;
        /* QEMU pads a rewritten descriptor file with NULs: the text ends
         * at the first one. */
        if (!text_descriptor((uint8_t *)s->desc, (int)strlen(s->desc))) {
            error_setg(errp, "Image is not in vmdk format (not a descriptor file)");
            r = -EINVAL;
            goto fail;
        }
        if (!desc_get(s->desc, "createType", ct, sizeof(ct))) {
            error_setg(errp, "the VMDK descriptor has no createType");
            r = -EINVAL;
            goto fail;
        }
        if (!known_create_type(ct)) {
            error_setg(errp, "Unsupported image type '%s'", ct);
            r = -ENOTSUP;
            goto fail;
        }
        r = parse_extents(bs, errp);
        if (r < 0)
            goto fail;
    }
    snprintf(s->create_type, sizeof(s->create_type), "%s", ct);
    read_ids(s);
    char parent[1024];
    if (desc_get(s->desc, "parentFileNameHint", parent, sizeof(parent)) && parent[0]) {
        error_setg(errp, "VMDK images with a parent (parentFileNameHint=\"%s\") are "
                   "not supported", parent);
        r = -ENOTSUP;
        goto fail;
    }
    uint64_t gmax = 1;
    for (int i = 0; i < s->nb_extents; i++)
        if (s->ext[i].kind == EXT_SPARSE && s->ext[i].grain > gmax)
            gmax = s->ext[i].grain;
    s->gbuf = malloc(gmax * 512);
    s->dbuf = malloc(gmax * 512);
    s->cbuf = malloc(gmax * 1024 + 512);
    if (!s->gbuf || !s->dbuf || !s->cbuf)
        pemu_abort("out of memory");
    return 0;
fail:
    vmdk_free(s);
    return r;
}

static void vmdk_close(BlockDriverState *bs)
{
    vmdk_free(bs->opaque);
}

static int64_t vmdk_getlength(BlockDriverState *bs)
{
    return (int64_t)((BDRVVmdkState *)bs->opaque)->size;
}

/* ---- grain tables ------------------------------------------------------- */

static int gt_load(BDRVVmdkState *s, VmdkExtent *e, uint64_t sector, uint8_t **out,
                   Error **errp)
{
    int v = 0;
    for (int i = 0; i < VMDK_GT_CACHE; i++) {
        if (s->gtc[i].ext == e && s->gtc[i].sector == sector) {
            s->gtc[i].stamp = ++s->stamp;
            *out = s->gtc[i].data;
            return 0;
        }
        if (s->gtc[i].stamp < s->gtc[v].stamp)
            v = i;
    }
    if (!s->gtc[v].data) {
        s->gtc[v].data = malloc(512 * 4);
        if (!s->gtc[v].data)
            pemu_abort("out of memory");
    }
    s->gtc[v].sector = 0;
    Error *err = NULL;
    int r = bdrv_file_pread(e->file, sector * 512, s->gtc[v].data, 4ull * e->gtes, false,
                            &err);
    if (r < 0) {
        error_setg(errp, "cannot read the grain table at sector %" PRIu64 ": %s",
                   sector, err->msg);
        error_free(err);
        return r;
    }
    s->gtc[v].ext = e;
    s->gtc[v].sector = sector;
    s->gtc[v].stamp = ++s->stamp;
    *out = s->gtc[v].data;
    return 0;
}

/* The grain table entry for extent sector `sec`, 0 when none. */
static int get_gte(BDRVVmdkState *s, VmdkExtent *e, uint64_t sec, uint32_t *gte,
                   Error **errp)
{
    uint64_t g = sec / e->grain;
    uint64_t i = g / e->gtes;
    *gte = 0;
    if (i >= e->gd_entries || !e->gd[i])
        return 0;
    uint8_t *gt;
    int r = gt_load(s, e, e->gd[i], &gt, errp);
    if (r >= 0)
        *gte = ld32_le(gt + 4 * (g % e->gtes));
    return r;
}

static bool gte_zero(const VmdkExtent *e, uint32_t gte)
{
    return gte == 1 && (e->flags & VMDK4_FLAG_ZERO_GRAIN) && e->version >= 2;
}

/* Decompress the grain at gte into s->dbuf (the rest zero-filled). */
static int read_compressed(BDRVVmdkState *s, VmdkExtent *e, uint32_t gte, Error **errp)
{
    if (s->dbuf_ext == e && s->dbuf_gte == gte)
        return 0;
    uint64_t gbytes = e->grain * 512;
    uint64_t cap = 2 * gbytes + 12;
    int r = bdrv_file_pread(e->file, (uint64_t)gte * 512, s->cbuf, cap, true, errp);
    if (r < 0)
        return r;
    uint8_t *data = s->cbuf;
    uint64_t len = cap;
    if (e->markers) {
        len = ld32_le(s->cbuf + 8);
        data += 12;
        if (len > cap - 12) {
            error_setg(errp, "%s: compressed grain at sector %u has an invalid size %"
                       PRIu64, e->file->filename, gte, len);
            return -EIO;
        }
    }
    z_stream z;
    memset(&z, 0, sizeof(z));
    s->dbuf_ext = NULL;
    if (inflateInit(&z) != Z_OK) {
        error_setg(errp, "zlib initialisation failed");
        return -ENOMEM;
    }
    z.next_in = data;
    z.avail_in = (uInt)len;
    z.next_out = s->dbuf;
    z.avail_out = (uInt)gbytes;
    int zr = inflate(&z, Z_FINISH);
    uint64_t got = gbytes - z.avail_out;
    inflateEnd(&z);
    if (zr != Z_STREAM_END) {
        error_setg(errp, "%s: compressed grain at sector %u cannot be decompressed "
                   "(the image is corrupt)", e->file->filename, gte);
        return -EIO;
    }
    memset(s->dbuf + got, 0, gbytes - got);
    s->dbuf_ext = e;
    s->dbuf_gte = gte;
    return 0;
}

/* Read n bytes at byte `in` of the extent's sector-aligned grain. */
static int read_sparse(BDRVVmdkState *s, VmdkExtent *e, uint64_t eoff, uint64_t n,
                       uint8_t *p, Error **errp)
{
    uint32_t gte;
    int r = get_gte(s, e, eoff / 512, &gte, errp);
    if (r < 0)
        return r;
    uint64_t in = eoff % (e->grain * 512);
    if (!gte || gte_zero(e, gte)) {
        memset(p, 0, n);
        return 0;
    }
    if (e->compressed) {
        r = read_compressed(s, e, gte, errp);
        if (r >= 0)
            memcpy(p, s->dbuf + in, n);
        return r;
    }
    return bdrv_file_pread(e->file, (uint64_t)gte * 512 + in, p, n, true, errp);
}

static VmdkExtent *find_extent(BDRVVmdkState *s, uint64_t offset, uint64_t *eoff,
                               uint64_t *n)
{
    uint64_t sec = offset / 512;
    for (int i = 0; i < s->nb_extents; i++) {
        VmdkExtent *e = &s->ext[i];
        if (sec >= e->start && sec < e->start + e->sectors) {
            *eoff = offset - e->start * 512;
            uint64_t left = e->sectors * 512 - *eoff;
            if (*n > left)
                *n = left;
            if (e->kind == EXT_SPARSE) {
                uint64_t gb = e->grain * 512, gl = gb - *eoff % gb;
                if (*n > gl)
                    *n = gl;
            }
            return e;
        }
    }
    return NULL;
}

static int vmdk_pread(BlockDriverState *bs, uint64_t offset, uint64_t bytes, void *buf,
                      Error **errp)
{
    BDRVVmdkState *s = bs->opaque;
    uint8_t *p = buf;
    while (bytes) {
        uint64_t n = bytes, eoff;
        VmdkExtent *e = find_extent(s, offset, &eoff, &n);
        int r = 0;
        if (!e) {
            error_setg(errp, "%s: no extent covers offset %" PRIu64, bs->filename, offset);
            return -EIO;
        }
        if (e->kind == EXT_ZERO)
            memset(p, 0, n);
        else if (e->kind == EXT_FLAT)
            r = bdrv_file_pread(e->file, e->flat_offset + eoff, p, n, true, errp);
        else
            r = read_sparse(s, e, eoff, n, p, errp);
        if (r < 0)
            return r;
        p += n;
        offset += n;
        bytes -= n;
    }
    return 0;
}

/* ---- writes ------------------------------------------------------------- */

/* A new content ID at the first write of a session, as VMware does, so
 * that children can tell their parent changed. */
static int update_cid(BDRVVmdkState *s, Error **errp)
{
    if (s->cid_updated)
        return 0;
    s->cid_updated = true;
    const char *p = strstr(s->desc, "\nCID=");
    if (!p)
        return 0;
    p += 5;
    const char *q = p;
    while ((*q >= '0' && *q <= '9') || (*q >= 'a' && *q <= 'f') || (*q >= 'A' && *q <= 'F'))
        q++;
    uint32_t cid;
    bdrv_random_bytes(&cid, sizeof(cid));
    char hex[16];
    snprintf(hex, sizeof(hex), "%08x", cid);
    size_t pre = (size_t)(p - s->desc), len = strlen(s->desc);
    char *nd = malloc(len + 16);
    if (!nd)
        pemu_abort("out of memory");
    memcpy(nd, s->desc, pre);
    memcpy(nd + pre, hex, 8);
    memcpy(nd + pre + 8, q, len - (size_t)(q - s->desc) + 1);
    size_t nl = strlen(nd);
    if (s->desc_room && nl > s->desc_room) {
        free(nd);
        return 0;       /* no room: keep the old ID rather than fail the write */
    }
    int r;
    if (s->desc_room) {
        char *pad = calloc(1, s->desc_room);
        if (!pad)
            pemu_abort("out of memory");
        memcpy(pad, nd, nl);
        r = bdrv_file_pwrite(s->desc_file, s->desc_offset, pad, s->desc_room, errp);
        free(pad);
    } else {
        r = bdrv_file_pwrite(s->desc_file, 0, nd, nl, errp);
        if (r >= 0)
            r = bdrv_file_truncate(s->desc_file, nl, errp);
    }
    if (r < 0) {
        free(nd);
        return r;
    }
    free(s->desc);
    s->desc = nd;
    s->cid = cid;
    return 0;
}

static int write_gte(BDRVVmdkState *s, VmdkExtent *e, uint64_t g, uint32_t v,
                     Error **errp)
{
    uint64_t i = g / e->gtes, j = g % e->gtes;
    uint8_t b[4];
    st32_le(b, v);
    int r = bdrv_file_pwrite(e->file, (uint64_t)e->gd[i] * 512 + 4 * j, b, 4, errp);
    if (r >= 0 && e->rgd && e->rgd[i])
        r = bdrv_file_pwrite(e->file, (uint64_t)e->rgd[i] * 512 + 4 * j, b, 4, errp);
    uint8_t *gt;
    if (r >= 0 && (r = gt_load(s, e, e->gd[i], &gt, errp)) >= 0)
        memcpy(gt + 4 * j, b, 4);
    return r;
}

/* Grain tables for a directory entry that has none (stream images and
 * sparse directories): zeroed tables first, then the directory entries. */
static int alloc_gt(BDRVVmdkState *s, VmdkExtent *e, uint64_t i, Error **errp)
{
    uint64_t secs = (4ull * e->gtes + 511) / 512;
    uint8_t *z = calloc(1, secs * 512);
    if (!z)
        pemu_abort("out of memory");
    int copies = e->rgd ? 2 : 1;
    uint64_t at[2];
    int r = 0;
    for (int c = 0; c < copies && r >= 0; c++) {
        at[c] = e->next_sector;
        e->next_sector += secs;
        r = bdrv_file_pwrite(e->file, at[c] * 512, z, secs * 512, errp);
    }
    free(z);
    if (at[copies - 1] + secs > UINT32_MAX) {
        error_setg(errp, "%s: the extent file cannot grow beyond 2 TiB",
                   e->file->filename);
        return -EFBIG;
    }
    for (int c = 0; c < copies && r >= 0; c++) {
        uint8_t b[4];
        st32_le(b, (uint32_t)at[c]);
        r = bdrv_file_pwrite(e->file, (c ? e->rgd_offset : e->gd_offset) + 4 * i, b, 4,
                             errp);
        if (r >= 0)
            (c ? e->rgd : e->gd)[i] = (uint32_t)at[c];
    }
    return r;
}

static int compress_grain(uint8_t *dst, uint64_t cap, const uint8_t *src, uint64_t len,
                          uint64_t *out)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (deflateInit(&z, Z_DEFAULT_COMPRESSION) != Z_OK)
        return -1;
    z.next_in = (Bytef *)(uintptr_t)src;
    z.avail_in = (uInt)len;
    z.next_out = dst;
    z.avail_out = (uInt)cap;
    int r = deflate(&z, Z_FINISH);
    *out = cap - z.avail_out;
    deflateEnd(&z);
    return r == Z_STREAM_END ? 0 : -1;
}

static int write_sparse(BDRVVmdkState *s, VmdkExtent *e, uint64_t eoff, uint64_t n,
                        const uint8_t *p, bool zero, Error **errp)
{
    uint64_t gbytes = e->grain * 512;
    uint64_t g = eoff / gbytes, in = eoff % gbytes;
    uint64_t i = g / e->gtes;
    if (e->footer_gd) {
        error_setg(errp, "%s: writing to stream images whose grain directory is in "
                   "a footer is not supported (convert the image first)",
                   e->file->filename);
        return -ENOTSUP;
    }
    if (i >= e->gd_entries) {
        error_setg(errp, "%s: grain %" PRIu64 " is beyond the grain directory",
                   e->file->filename, g);
        return -EIO;
    }
    int r = 0;
    if (!e->gd[i] || (e->rgd && !e->rgd[i]))
        r = e->gd[i] ? -1 : alloc_gt(s, e, i, errp);
    if (r == -1) {
        error_setg(errp, "%s: grain directory entry %" PRIu64 " is missing in one copy "
                   "only (the image is corrupt)", e->file->filename, i);
        return -EIO;
    }
    uint32_t gte;
    if (r >= 0)
        r = get_gte(s, e, eoff / 512, &gte, errp);
    if (r < 0)
        return r;
    bool whole = !in && n == gbytes;
    if (zero && whole && (e->flags & VMDK4_FLAG_ZERO_GRAIN) && e->version >= 2)
        return gte == 1 ? 0 : write_gte(s, e, g, 1, errp);
    if (zero) {
        memset(s->gbuf, 0, n);
        p = s->gbuf;
    }
    bool present = gte && !gte_zero(e, gte);
    if (present && !e->compressed)
        return bdrv_file_pwrite(e->file, (uint64_t)gte * 512 + in, p, n, errp);
    /* A new grain: merge with the old content (zeros, or a compressed
     * grain's data). */
    uint8_t *grain = malloc(gbytes);
    if (!grain)
        pemu_abort("out of memory");
    if (present && !whole) {
        r = read_compressed(s, e, gte, errp);
        if (r >= 0)
            memcpy(grain, s->dbuf, gbytes);
    } else if (!whole) {
        memset(grain, 0, gbytes);
    }
    if (r >= 0)
        memcpy(grain + in, p, n);
    uint64_t at = e->next_sector, len = gbytes;
    const uint8_t *out = grain;
    if (r >= 0 && e->compressed) {
        uint64_t hdr = e->markers ? 12 : 0, clen = 0;
        if (compress_grain(s->cbuf + hdr, 2 * gbytes, grain, gbytes, &clen) < 0) {
            error_setg(errp, "%s: zlib compression failed", e->file->filename);
            r = -EIO;
        }
        if (e->markers) {
            st64_le(s->cbuf, g * e->grain);
            st32_le(s->cbuf + 8, (uint32_t)clen);
        }
        len = hdr + clen;
        out = s->cbuf;
    }
    uint64_t secs = (len + 511) / 512;
    if (r >= 0 && at + secs > UINT32_MAX) {
        error_setg(errp, "%s: the extent file cannot grow beyond 2 TiB",
                   e->file->filename);
        r = -EFBIG;
    }
    if (r >= 0)
        r = bdrv_file_pwrite(e->file, at * 512, out, len, errp);
    free(grain);
    if (r < 0)
        return r;
    e->next_sector = at + secs;
    if (s->dbuf_ext == e && s->dbuf_gte == gte)
        s->dbuf_ext = NULL;
    return write_gte(s, e, g, (uint32_t)at, errp);
}

static int do_write(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                    const uint8_t *p, bool zero, Error **errp)
{
    BDRVVmdkState *s = bs->opaque;
    int r = update_cid(s, errp);
    while (r >= 0 && bytes) {
        uint64_t n = bytes, eoff;
        VmdkExtent *e = find_extent(s, offset, &eoff, &n);
        if (!e) {
            error_setg(errp, "%s: no extent covers offset %" PRIu64, bs->filename, offset);
            return -EIO;
        }
        if (e->read_only || e->kind == EXT_ZERO) {
            error_setg(errp, "%s: the extent at offset %" PRIu64 " is read-only",
                       bs->filename, offset);
            return -EACCES;
        }
        if (e->kind == EXT_FLAT) {
            if (zero) {
                memset(s->gbuf, 0, 512);
                for (uint64_t k = 0; r >= 0 && k < n; k += 512)
                    r = bdrv_file_pwrite(e->file, e->flat_offset + eoff + k, s->gbuf,
                                         n - k < 512 ? n - k : 512, errp);
            } else {
                r = bdrv_file_pwrite(e->file, e->flat_offset + eoff, p, n, errp);
            }
        } else {
            r = write_sparse(s, e, eoff, n, p, zero, errp);
        }
        if (!zero)
            p += n;
        offset += n;
        bytes -= n;
    }
    return r < 0 ? r : 0;
}

static int vmdk_pwrite(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                       const void *buf, Error **errp)
{
    return do_write(bs, offset, bytes, buf, false, errp);
}

static int vmdk_pwrite_zeroes(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                              int flags, Error **errp)
{
    return do_write(bs, offset, bytes, NULL, true, errp);
}

static int vmdk_pwrite_compressed(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                                  const void *buf, Error **errp)
{
    BDRVVmdkState *s = bs->opaque;
    for (int i = 0; i < s->nb_extents; i++) {
        if (!s->ext[i].compressed) {
            error_setg(errp, "%s: compressed writes need a streamOptimized image",
                       bs->filename);
            return -ENOTSUP;
        }
    }
    return do_write(bs, offset, bytes, buf, false, errp);
}

static int vmdk_flush(BlockDriverState *bs, Error **errp)
{
    BDRVVmdkState *s = bs->opaque;
    int r = bdrv_file_sync(bs, errp);
    for (int i = 0; r >= 0 && i < s->nb_extents; i++)
        if (s->ext[i].own_file)
            r = bdrv_file_sync(s->ext[i].file, errp);
    return r;
}

static int vmdk_block_status(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                             uint64_t *pnum, uint64_t *map, Error **errp)
{
    BDRVVmdkState *s = bs->opaque;
    uint64_t n = bytes, eoff;
    VmdkExtent *e = find_extent(s, offset, &eoff, &n);
    *pnum = n;
    *map = 0;
    if (!e) {
        error_setg(errp, "%s: no extent covers offset %" PRIu64, bs->filename, offset);
        return -EIO;
    }
    if (e->kind == EXT_ZERO)
        return BDRV_BLOCK_ZERO | BDRV_BLOCK_ALLOCATED;
    if (e->kind == EXT_FLAT) {
        *map = e->flat_offset + eoff;
        return BDRV_BLOCK_DATA | BDRV_BLOCK_ALLOCATED | BDRV_BLOCK_OFFSET_VALID |
               BDRV_BLOCK_RECURSE;
    }
    uint32_t gte;
    int r = get_gte(s, e, eoff / 512, &gte, errp);
    if (r < 0)
        return r;
    if (!gte) {
        /* Unallocated grains in a row (whole missing tables at once). */
        uint64_t gb = e->grain * 512, end = e->sectors * 512, pos = eoff + n;
        while (pos < end && pos - eoff < bytes) {
            uint64_t gi = pos / gb / e->gtes;
            if (gi >= e->gd_entries || !e->gd[gi]) {
                pos = (gi + 1) * e->gtes * gb;
                continue;
            }
            uint32_t g2;
            if (get_gte(s, e, pos / 512, &g2, errp) < 0 || g2)
                break;
            pos += gb;
        }
        if (pos > end)
            pos = end;
        *pnum = pos - eoff < bytes ? pos - eoff : bytes;
        return 0;
    }
    if (gte_zero(e, gte))
        return BDRV_BLOCK_ZERO | BDRV_BLOCK_ALLOCATED;
    if (e->compressed)
        return BDRV_BLOCK_DATA | BDRV_BLOCK_ALLOCATED | BDRV_BLOCK_COMPRESSED;
    *map = (uint64_t)gte * 512 + eoff % (e->grain * 512);
    return BDRV_BLOCK_DATA | BDRV_BLOCK_ALLOCATED | BDRV_BLOCK_OFFSET_VALID;
}

static BlockDriverState *vmdk_map_file(BlockDriverState *bs, uint64_t offset)
{
    uint64_t n = 1, eoff;
    VmdkExtent *e = find_extent(bs->opaque, offset, &eoff, &n);
    return e ? e->file : NULL;
}

static void vmdk_get_info(BlockDriverState *bs, BlockInfo *info)
{
    BDRVVmdkState *s = bs->opaque;
    if (s->ext[0].kind == EXT_SPARSE)
        info->cluster_size = s->ext[0].grain * 512;
    BlockInfoItem *it = info->items;
    it[0] = (BlockInfoItem){ "cid", "cid", INFO_INT, "", s->cid };
    it[1] = (BlockInfoItem){ "parent-cid", "parent cid", INFO_INT, "", s->parent_cid };
    it[2] = (BlockInfoItem){ "create-type", "create type", INFO_STR, "", 0 };
    snprintf(it[2].str, sizeof(it[2].str), "%s", s->create_type);
    info->nb_items = 3;
    info->extents = calloc((size_t)s->nb_extents, sizeof(BlockInfoExtent));
    if (!info->extents)
        pemu_abort("out of memory");
    info->nb_extents = s->nb_extents;
    for (int i = 0; i < s->nb_extents; i++) {
        VmdkExtent *e = &s->ext[i];
        BlockInfoExtent *x = &info->extents[i];
        snprintf(x->filename, sizeof(x->filename), "%s", e->file ? e->file->filename : "");
        snprintf(x->format, sizeof(x->format), "%s", e->type);
        x->virtual_size = e->sectors * 512;
        x->cluster_size = e->kind == EXT_SPARSE ? e->grain * 512 : 0;
        x->compressed = e->compressed;
    }
}

static int64_t vmdk_allocated_file_size(BlockDriverState *bs)
{
    BDRVVmdkState *s = bs->opaque;
    struct stat st;
    if (fstat(bs->fd, &st) < 0)
        return -1;
    int64_t sum = (int64_t)st.st_blocks * 512;
    for (int i = 0; i < s->nb_extents; i++) {
        if (!s->ext[i].own_file)
            continue;
        if (fstat(s->ext[i].file->fd, &st) < 0)
            return -1;
        sum += (int64_t)st.st_blocks * 512;
    }
    return sum;
}

/* As QEMU's check: every allocated grain must start inside its file. */
static int vmdk_check(BlockDriverState *bs, BlockCheckResult *res, int fix, Error **errp)
{
    BDRVVmdkState *s = bs->opaque;
    bool quiet = fix & BDRV_CHECK_QUIET;
    memset(res, 0, sizeof(*res));
    if (fix & (BDRV_FIX_LEAKS | BDRV_FIX_ERRORS)) {
        error_setg(errp, "repairing VMDK images is not supported");
        return -ENOTSUP;
    }
    for (int i = 0; i < s->nb_extents; i++) {
        VmdkExtent *e = &s->ext[i];
        if (e->kind != EXT_SPARSE)
            continue;
        int64_t flen = bdrv_file_size(e->file);
        for (uint64_t sec = 0; sec < e->sectors; sec += e->grain) {
            uint32_t gte;
            Error *err = NULL;
            uint64_t gi = sec / e->grain / e->gtes;
            if (gi < e->gd_entries && e->gd[gi] &&
                (uint64_t)e->gd[gi] * 512 >= (uint64_t)flen) {
                if (!quiet)
                    fprintf(stderr, "ERROR: grain table for sector %" PRIu64 " points "
                            "after EOF\n", e->start + sec);
                res->corruptions++;
                break;
            }
            if (get_gte(s, e, sec, &gte, &err) < 0) {
                if (!quiet)
                    fprintf(stderr, "ERROR: could not get cluster_offset for sector %"
                            PRIu64 ": %s\n", e->start + sec, err->msg);
                error_free(err);
                res->check_errors++;
                break;
            }
            if (gte && !gte_zero(e, gte) && (uint64_t)gte * 512 >= (uint64_t)flen) {
                if (!quiet)
                    fprintf(stderr, "ERROR: cluster offset for sector %" PRIu64
                            " points after EOF\n", e->start + sec);
                res->corruptions++;
                break;
            }
        }
    }
    return 0;
}

/* ---- create --------------------------------------------------------------- */

static int write_new_file(const char *path, const void *buf, size_t len,
                          uint64_t size, Error **errp)
{
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        int e = errno;
        error_setg(errp, "Could not create '%s': %s", path, strerror(e));
        return -e;
    }
    BlockDriverState tmp = { .fd = fd };
    snprintf(tmp.filename, sizeof(tmp.filename), "%s", path);
    int r = len ? bdrv_file_pwrite(&tmp, 0, buf, len, errp) : 0;
    if (r >= 0 && size > len)
        r = bdrv_file_truncate(&tmp, size, errp);
    close(fd);
    return r;
}

/* A hosted sparse extent laid out as QEMU does: header, embedded
 * descriptor (20 sectors), redundant GD and its tables, GD and its
 * tables, then grains from a grain-aligned offset. */
static int create_sparse(const char *path, uint64_t sectors, bool compress, bool zeroed,
                         const char *desc, Error **errp)
{
    const uint64_t grain = 128, gtes = 512;
    uint64_t grains = (sectors + grain - 1) / grain;
    uint64_t gt_secs = (gtes * 4 + 511) / 512;
    uint64_t gt_count = (grains + gtes - 1) / gtes;
    uint64_t gd_secs = (gt_count * 4 + 511) / 512;
    uint64_t desc_off = desc ? 1 : 0, desc_secs = desc ? 20 : 0;
    uint64_t rgd = 1 + desc_secs;
    uint64_t gd = rgd + gd_secs + gt_secs * gt_count;
    uint64_t first = (gd + gd_secs + gt_secs * gt_count + grain - 1) / grain * grain;
    if (desc && strlen(desc) > desc_secs * 512) {
        error_setg(errp, "the descriptor does not fit in %" PRIu64 " sectors", desc_secs);
        return -EINVAL;
    }
    if (gd + gd_secs + gt_secs * gt_count > UINT32_MAX) {
        error_setg(errp, "the disk is too large for a VMDK sparse extent");
        return -EFBIG;
    }
    size_t meta = (size_t)((gd + gd_secs + gt_secs * gt_count) * 512);
    uint8_t *buf = calloc(1, meta);
    if (!buf)
        pemu_abort("out of memory");
    st32_le(buf, VMDK4_MAGIC);
    st32_le(buf + 4, compress ? 3 : zeroed ? 2 : 1);
    st32_le(buf + 8, VMDK4_FLAG_NL_DETECT | VMDK4_FLAG_RGD |
            (compress ? VMDK4_FLAG_COMPRESS | VMDK4_FLAG_MARKER : 0) |
            (zeroed ? VMDK4_FLAG_ZERO_GRAIN : 0));
    st64_le(buf + 12, sectors);
    st64_le(buf + 20, grain);
    st64_le(buf + 28, desc_off);
    st64_le(buf + 36, desc_secs);
    st32_le(buf + 44, (uint32_t)gtes);
    st64_le(buf + 48, rgd);
    st64_le(buf + 56, gd);
    st64_le(buf + 64, first);
    memcpy(buf + 73, "\n \r\n", 4);
    st16_le(buf + 77, compress ? 1 : 0);
    if (desc)
        memcpy(buf + 512, desc, strlen(desc));
    for (uint64_t i = 0; i < gt_count; i++) {
        st32_le(buf + rgd * 512 + 4 * i, (uint32_t)(rgd + gd_secs + i * gt_secs));
        st32_le(buf + gd * 512 + 4 * i, (uint32_t)(gd + gd_secs + i * gt_secs));
    }
    int r = write_new_file(path, buf, meta, first * 512, errp);
    free(buf);
    return r;
}

static const char *path_base(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static int vmdk_create(const char *filename, uint64_t size, BlockOpts *opts, Error **errp)
{
    const char *sub = block_opts_get(opts, "subformat");
    const char *adapter = block_opts_get(opts, "adapter_type");
    const char *hw = block_opts_get(opts, "hwversion");
    const char *tools = block_opts_get(opts, "toolsversion");
    const char *pa = block_opts_get(opts, "preallocation");
    bool compat6 = false, zeroed = false;
    if (block_opts_get_bool(opts, "compat6", &compat6, errp) < 0 ||
        block_opts_get_bool(opts, "zeroed_grain", &zeroed, errp) < 0)
        return -EINVAL;
    if (block_opts_get(opts, "backing_file") || block_opts_get(opts, "backing_fmt")) {
        error_setg(errp, "VMDK images with a backing file are not supported yet");
        return -ENOTSUP;
    }
    if (pa && strcmp(pa, "off")) {
        error_setg(errp, "Unsupported preallocation mode '%s' for vmdk (only off)", pa);
        return -ENOTSUP;
    }
    if (!sub)
        sub = "monolithicSparse";
    bool flat = !strcmp(sub, "monolithicFlat");
    bool stream = !strcmp(sub, "streamOptimized");
    if (!flat && !stream && strcmp(sub, "monolithicSparse")) {
        error_setg(errp, "Unknown subformat: %s (pemu creates monolithicSparse, "
                   "monolithicFlat and streamOptimized)", sub);
        return -EINVAL;
    }
    if (!adapter)
        adapter = "ide";
    if (strcmp(adapter, "ide") && strcmp(adapter, "lsilogic") &&
        strcmp(adapter, "buslogic") && strcmp(adapter, "legacyESX")) {
        error_setg(errp, "Unknown adapter type: '%s'", adapter);
        return -EINVAL;
    }
    if (compat6 && hw) {
        error_setg(errp, "Cannot set both compat6 and hwversion");
        return -EINVAL;
    }
    if (!hw)
        hw = compat6 ? "6" : "4";
    if (!tools)
        tools = "2147483647";
    if (size == UINT64_MAX) {
        error_setg(errp, "Image creation needs a size parameter");
        return -EINVAL;
    }
    uint64_t sectors = (size + 511) / 512;
    int heads = strcmp(adapter, "ide") ? 255 : 16;
    uint32_t cid;
    bdrv_random_bytes(&cid, sizeof(cid));
    char ext_line[BDRV_PATH_MAX + 64], flat_path[BDRV_PATH_MAX];
    if (flat) {
        /* name.vmdk -> name-flat.vmdk, next to the descriptor */
        const char *dot = strrchr(filename, '.');
        if (!dot || strchr(dot, '/'))
            dot = filename + strlen(filename);
        snprintf(flat_path, sizeof(flat_path), "%.*s-flat%s", (int)(dot - filename),
                 filename, dot);
        snprintf(ext_line, sizeof(ext_line), "RW %" PRIu64 " FLAT \"%s\" 0\n", sectors,
                 path_base(flat_path));
    } else {
        snprintf(ext_line, sizeof(ext_line), "RW %" PRIu64 " SPARSE \"%s\"\n", sectors,
                 path_base(filename));
    }
    char *desc = malloc(strlen(ext_line) + 1024);
    if (!desc)
        pemu_abort("out of memory");
    sprintf(desc,
            "# Disk DescriptorFile\n"
            "version=1\n"
            "CID=%08x\n"
            "parentCID=ffffffff\n"
            "createType=\"%s\"\n"
            "\n"
            "# Extent description\n"
            "%s"
            "\n"
            "# The Disk Data Base\n"
            "#DDB\n"
            "\n"
            "ddb.virtualHWVersion = \"%s\"\n"
            "ddb.geometry.cylinders = \"%" PRIu64 "\"\n"
            "ddb.geometry.heads = \"%d\"\n"
            "ddb.geometry.sectors = \"63\"\n"
            "ddb.adapterType = \"%s\"\n"
            "ddb.toolsVersion = \"%s\"\n",
            cid, sub, ext_line, hw, (uint64_t)(sectors / (63u * (unsigned)heads)), heads, adapter,
            tools);
    int r;
    if (flat) {
        r = write_new_file(flat_path, NULL, 0, sectors * 512, errp);
        if (r >= 0)
            r = write_new_file(filename, desc, strlen(desc), 0, errp);
    } else {
        r = create_sparse(filename, sectors, stream, zeroed && !stream, desc, errp);
    }
    free(desc);
    return r;
}

static const char *const vmdk_create_opts[] = {
    "size", "subformat", "adapter_type", "hwversion", "toolsversion", "compat6",
    "zeroed_grain", "backing_file", "backing_fmt", "preallocation", NULL
};

const BlockDriver bdrv_vmdk = {
    .format_name = "vmdk",
    .state_size = sizeof(BDRVVmdkState),
    .probe = vmdk_probe,
    .open = vmdk_open,
    .close = vmdk_close,
    .pread = vmdk_pread,
    .pwrite = vmdk_pwrite,
    .pwrite_zeroes = vmdk_pwrite_zeroes,
    .pwrite_compressed = vmdk_pwrite_compressed,
    .flush = vmdk_flush,
    .getlength = vmdk_getlength,
    .block_status = vmdk_block_status,
    .map_file = vmdk_map_file,
    .get_info = vmdk_get_info,
    .check = vmdk_check,
    .allocated_file_size = vmdk_allocated_file_size,
    .create = vmdk_create,
    .create_opts = vmdk_create_opts,
};
