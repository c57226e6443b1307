/*
 * pemu-img: disk image utility with qemu-img's commands, options, output
 * layout and exit codes, so scripts written for one work with the other.
 */
#include "src/block/block.h"
#include "ports/posix.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static bool quiet;

static void qprintf(const char *fmt, ...) PEMU_PRINTF(1, 2);
static void qprintf(const char *fmt, ...)
{
    if (quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
}

static void usage(FILE *f)
{
    fprintf(f,
"usage: pemu-img [standard options] command [command options]\n"
"pemu disk image utility (qemu-img compatible)\n"
"\n"
"    '-h', '--help'       display this help and exit\n"
"    '-V', '--version'    output version information and exit\n"
"\n"
"Command syntax:\n"
"  check [-q] [-f fmt] [--output=ofmt] [-r [leaks | all]] [-U] filename\n"
"  compare [-f fmt] [-F fmt] [-q] [-s] [-U] filename1 filename2\n"
"  convert [-c] [-p] [-q] [-n] [-f fmt] [-O output_fmt] [-B backing_file [-F backing_fmt]]\n"
"          [-o options] [-S sparse_size] [-U] filename [filename2 [...]] output_filename\n"
"  create [-q] [-f fmt] [-b backing_file [-F backing_fmt]] [-u] [-o options] filename [size]\n"
"  dd [-f fmt] [-O output_fmt] [bs=block_size] [count=blocks] [skip=blocks] if=input of=output\n"
"  info [-f fmt] [--output=ofmt] [--backing-chain] [-U] filename\n"
"  amend [-q] [-f fmt] -o options filename\n"
"  bench [-c count] [-d depth] [-f fmt] [-o offset] [-q] [-s buffer_size] [-S step_size] [-w]\n"
"        [--pattern=pattern] filename\n"
"  commit [-q] [-f fmt] [-b base] [-d] [-p] filename\n"
"  measure [--output=ofmt] [-O output_fmt] [-o options] [--size N | [-f fmt] filename]\n"
"  rebase [-q] [-f fmt] [-p] [-u] -b backing_file [-F backing_fmt] filename\n"
"  map [-f fmt] [--output=ofmt] [--start-offset=offset] [--max-length=len] [-U] filename\n"
"  resize [-f fmt] [--preallocation=prealloc] [-q] [--shrink] filename [+ | -]size\n"
"  snapshot [-q] [-l | -a snapshot | -c snapshot | -d snapshot] [-U] filename\n"
"\n"
"Not supported yet: bitmap.\n"
"\n"
"Supported formats: qcow2 qcow vmdk vdi vpc raw\n"
"Size suffixes: k, M, G, T, P, E (powers of 1024).\n");
}

static BlockDriverState *img_open(const char *filename, const char *fmt, int flags)
{
    Error *err = NULL;
    BlockDriverState *bs = bdrv_open(filename, fmt, flags, &err);
    if (!bs)
        error_report_err(err);
    return bs;
}

static int parse_output(const char *s, bool *json)
{
    if (!strcmp(s, "json")) {
        *json = true;
    } else if (!strcmp(s, "human")) {
        *json = false;
    } else {
        error_report("--output must be used with human or json as argument.");
        return -1;
    }
    return 0;
}

static void json_str(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

/* ---- create ----------------------------------------------------------------- */

static void print_create_opts_help(const BlockDriver *drv)
{
    printf("Supported options:\n");
    for (int i = 0; drv->create_opts && drv->create_opts[i]; i++)
        printf("  %s\n", drv->create_opts[i]);
}

static int img_create(int argc, char **argv)
{
    const char *fmt = "raw", *backing = NULL, *bfmt = NULL;
    BlockOpts opts = { 0 };
    bool unsafe = false;
    int c, ret = 1;
    static const struct option lo[] = { { "help", no_argument, 0, 'h' },
                                        { "object", required_argument, 0, 1 },
                                        { 0, 0, 0, 0 } };
    while ((c = getopt_long(argc, argv, ":F:b:f:ho:qu", lo, NULL)) != -1) {
        switch (c) {
        case 'f': fmt = optarg; break;
        case 'b': backing = optarg; break;
        case 'F': bfmt = optarg; break;
        case 'u': unsafe = true; break;
        case 'q': quiet = true; break;
        case 'h': usage(stdout); return 0;
        case 'o': {
            Error *err = NULL;
            if (!strcmp(optarg, "help") || !strcmp(optarg, "?")) {
                const BlockDriver *d = bdrv_find_format(fmt);
                if (d) {
                    print_create_opts_help(d);
                    return 0;
                }
                break;
            }
            if (block_opts_parse(&opts, optarg, &err) < 0) {
                error_report_err(err);
                goto out;
            }
            break;
        }
        case ':': error_report("option '%s' needs an argument", argv[optind - 1]); goto out;
        default: error_report("unrecognized option '%s'", argv[optind - 1]); goto out;
        }
    }
    if (optind >= argc) {
        error_report("Expecting image file name");
        goto out;
    }
    const char *filename = argv[optind++];
    const BlockDriver *drv = bdrv_find_format(fmt);
    if (!drv) {
        error_report("Unknown file format '%s' (supported: qcow2, qcow, vmdk, vdi, vpc, raw)", fmt);
        goto out;
    }
    uint64_t size = UINT64_MAX;
    const char *sz = optind < argc ? argv[optind++] : block_opts_get(&opts, "size");
    if (optind < argc) {
        error_report("Unexpected argument: %s", argv[optind]);
        goto out;
    }
    if (sz) {
        if (sz[0] == '-' || block_parse_size(sz, &size) < 0) {
            error_report("Invalid image size specified. You may use k, M, G, T, P "
                         "or E suffixes for kilobytes, megabytes, gigabytes, "
                         "terabytes, petabytes and exabytes.");
            goto out;
        }
        if (size > INT64_MAX) {
            error_report("Image size must be less than 8 EiB!");
            goto out;
        }
    }
    if (backing)
        block_opts_set(&opts, "backing_file", backing);
    if (bfmt)
        block_opts_set(&opts, "backing_fmt", bfmt);
    backing = block_opts_get(&opts, "backing_file");
    bfmt = block_opts_get(&opts, "backing_fmt");
    if (backing && !drv->supports_backing) {
        error_report("%s: the %s format does not support backing files", filename,
                     fmt);
        goto out;
    }
    if (backing && !bfmt) {
        char path[BDRV_PATH_MAX];
        bdrv_resolve_backing(filename, backing, path, sizeof(path));
        error_report("%s: Backing file specified without backing format", filename);
        Error *err = NULL;
        BlockDriverState *b = bdrv_open(path, NULL, BDRV_O_NO_BACKING, &err);
        if (b) {
            fprintf(stderr, "Detected format of %s.\n", b->drv->format_name);
            bdrv_close(b);
        }
        error_free(err);
        goto out;
    }
    if (backing && !unsafe && size != UINT64_MAX) {
        /* The backing file must open, unless -u says not to check. */
        char path[BDRV_PATH_MAX];
        bdrv_resolve_backing(filename, backing, path, sizeof(path));
        Error *err = NULL;
        BlockDriverState *b = bdrv_open(path, bfmt, 0, &err);
        if (!b) {
            error_report("%s: %s", filename, err->msg);
            error_free(err);
            goto out;
        }
        bdrv_close(b);
    }
    if (size == UINT64_MAX && !backing) {
        error_report("%s: Image creation needs a size parameter", filename);
        goto out;
    }
    /* The options a driver does not know are rejected before anything is written. */
    for (int i = 0; i < opts.n; i++) {
        bool known = false;
        for (int j = 0; drv->create_opts && drv->create_opts[j]; j++)
            known |= !strcmp(opts.v[i].key, drv->create_opts[j]);
        if (!known) {
            error_report("%s: Invalid parameter '%s'", filename, opts.v[i].key);
            goto out;
        }
    }
    if (!quiet) {
        printf("Formatting '%s', fmt=%s", filename, fmt);
        if (!strcmp(fmt, "qcow2")) {
            const char *cs = block_opts_get(&opts, "cluster_size");
            uint64_t csv = 65536;
            if (cs)
                block_parse_size(cs, &csv);
            const char *ct = block_opts_get(&opts, "compression_type");
            printf(" cluster_size=%" PRIu64 " extended_l2=off compression_type=%s",
                   csv, ct ? ct : "zlib");
        }
        if (size != UINT64_MAX)
            printf(" size=%" PRIu64, size);
        if (backing)
            printf(" backing_file=%s backing_fmt=%s", backing, bfmt);
        for (int i = 0; i < opts.n; i++) {
            const char *k = opts.v[i].key;
            if (!strcmp(k, "compat") || !strcmp(k, "preallocation") ||
                !strcmp(k, "encryption"))
                printf(" %s=%s", k, opts.v[i].value);
        }
        if (!strcmp(fmt, "qcow2")) {
            const char *lz = block_opts_get(&opts, "lazy_refcounts");
            const char *rb = block_opts_get(&opts, "refcount_bits");
            printf(" lazy_refcounts=%s refcount_bits=%s",
                   lz && (!strcmp(lz, "on") || !strcmp(lz, "true")) ? "on" : "off",
                   rb ? rb : "16");
        }
        printf("\n");
        fflush(stdout);
    }
    Error *err = NULL;
    if (bdrv_create(drv, filename, size, &opts, &err) < 0) {
        error_report("%s: %s", filename, err->msg);
        error_free(err);
        goto out;
    }
    ret = 0;
out:
    block_opts_free(&opts);
    return ret;
}

/* ---- info ------------------------------------------------------------------- */

static void info_one(BlockDriverState *bs, bool json, const char *ind)
{
    BlockInfo info;
    memset(&info, 0, sizeof(info));
    if (bs->drv->get_info)
        bs->drv->get_info(bs, &info);
    int64_t vsize = bdrv_getlength(bs);
    int64_t asize = bdrv_allocated_file_size(bs);
    BlockSnapshotInfo *sns = NULL;
    int nsn = bs->drv->snapshot_list ? bs->drv->snapshot_list(bs, &sns) : 0;
    char full[BDRV_PATH_MAX] = "";
    if (bs->backing_file[0])
        bdrv_resolve_backing(bs->filename, bs->backing_file, full, sizeof(full));
    if (json) {
        printf("%s{\n", ind);
        if (nsn > 0) {
            printf("%s    \"snapshots\": [\n", ind);
            for (int i = 0; i < nsn; i++) {
                printf("%s        {\n", ind);
                if (sns[i].icount != UINT64_MAX)
                    printf("%s            \"icount\": %" PRIu64 ",\n", ind, sns[i].icount);
                printf("%s            \"vm-clock-nsec\": %" PRIu64 ",\n", ind,
                       (uint64_t)(sns[i].vm_clock_nsec % 1000000000u));
                printf("%s            \"name\": ", ind);
                json_str(sns[i].name);
                printf(",\n%s            \"date-sec\": %u,\n", ind, sns[i].date_sec);
                printf("%s            \"date-nsec\": %u,\n", ind, sns[i].date_nsec);
                printf("%s            \"vm-clock-sec\": %" PRIu64 ",\n", ind,
                       (uint64_t)(sns[i].vm_clock_nsec / 1000000000u));
                printf("%s            \"id\": ", ind);
                json_str(sns[i].id);
                printf(",\n%s            \"vm-state-size\": %" PRIu64 "\n", ind,
                       sns[i].vm_state_size);
                printf("%s        }%s\n", ind, i + 1 < nsn ? "," : "");
            }
            printf("%s    ],\n", ind);
        }
        if (bs->backing_format[0]) {
            printf("%s    \"backing-filename-format\": ", ind);
            json_str(bs->backing_format);
            printf(",\n");
        }
        printf("%s    \"virtual-size\": %" PRId64 ",\n", ind, vsize);
        printf("%s    \"filename\": ", ind);
        json_str(bs->filename);
        printf(",\n");
        if (info.cluster_size)
            printf("%s    \"cluster-size\": %" PRIu64 ",\n", ind, info.cluster_size);
        printf("%s    \"format\": \"%s\",\n", ind, bs->drv->format_name);
        if (asize >= 0)
            printf("%s    \"actual-size\": %" PRId64 ",\n", ind, asize);
        if (info.nb_items) {
            printf("%s    \"format-specific\": {\n%s        \"type\": \"%s\",\n"
                   "%s        \"data\": {\n", ind, ind, bs->drv->format_name, ind);
            for (int i = 0; i < info.nb_items; i++) {
                BlockInfoItem *it = &info.items[i];
                printf("%s            \"%s\": ", ind, it->json_key);
                if (it->kind == INFO_STR)
                    json_str(it->str);
                else if (it->kind == INFO_BOOL)
                    printf("%s", it->num ? "true" : "false");
                else
                    printf("%" PRId64, it->num);
                printf("%s\n", i + 1 < info.nb_items || info.nb_extents ? "," : "");
            }
            if (info.nb_extents) {
                printf("%s            \"extents\": [\n", ind);
                for (int i = 0; i < info.nb_extents; i++) {
                    BlockInfoExtent *x = &info.extents[i];
                    printf("%s                {\n", ind);
                    if (x->compressed)
                        printf("%s                    \"compressed\": true,\n", ind);
                    printf("%s                    \"virtual-size\": %" PRIu64 ",\n"
                           "%s                    \"filename\": ", ind, x->virtual_size, ind);
                    json_str(x->filename);
                    printf(",\n");
                    if (x->cluster_size)
                        printf("%s                    \"cluster-size\": %" PRIu64 ",\n",
                               ind, x->cluster_size);
                    printf("%s                    \"format\": ", ind);
                    json_str(x->format);
                    printf("\n%s                }%s\n", ind, i + 1 < info.nb_extents ? "," : "");
                }
                printf("%s            ]\n", ind);
            }
            printf("%s        }\n%s    },\n", ind, ind);
        }
        if (bs->backing_file[0]) {
            printf("%s    \"full-backing-filename\": ", ind);
            json_str(full);
            printf(",\n%s    \"backing-filename\": ", ind);
            json_str(bs->backing_file);
            printf(",\n");
        }
        printf("%s    \"dirty-flag\": %s\n%s}", ind, info.dirty ? "true" : "false", ind);
    } else {
        char vs[32], ds[32];
        block_size_to_str(vs, sizeof(vs), (uint64_t)vsize);
        printf("image: %s\nfile format: %s\nvirtual size: %s (%" PRId64 " bytes)\n",
               bs->filename, bs->drv->format_name, vs, vsize);
        if (asize >= 0) {
            block_size_to_str(ds, sizeof(ds), (uint64_t)asize);
            printf("disk size: %s\n", ds);
        } else {
            printf("disk size: unavailable\n");
        }
        if (info.cluster_size)
            printf("cluster_size: %" PRIu64 "\n", info.cluster_size);
        if (bs->backing_file[0]) {
            printf("backing file: %s", bs->backing_file);
            if (strcmp(full, bs->backing_file))
                printf(" (actual path: %s)", full);
            printf("\n");
            if (bs->backing_format[0])
                printf("backing file format: %s\n", bs->backing_format);
        }
        if (nsn > 0) {
            printf("Snapshot list:\n");
            bdrv_snapshot_dump(stdout, NULL);
            for (int i = 0; i < nsn; i++)
                bdrv_snapshot_dump(stdout, &sns[i]);
        }
        if (info.nb_items) {
            printf("Format specific information:\n");
            for (int i = 0; i < info.nb_items; i++) {
                BlockInfoItem *it = &info.items[i];
                printf("    %s: ", it->human);
                if (it->kind == INFO_STR)
                    printf("%s\n", it->str);
                else if (it->kind == INFO_BOOL)
                    printf("%s\n", it->num ? "true" : "false");
                else
                    printf("%" PRId64 "\n", it->num);
            }
            if (info.nb_extents)
                printf("    extents:\n");
            for (int i = 0; i < info.nb_extents; i++) {
                BlockInfoExtent *x = &info.extents[i];
                printf("        [%d]:\n", i);
                if (x->compressed)
                    printf("            compressed: true\n");
                printf("            virtual size: %" PRIu64 "\n            filename: %s\n",
                       x->virtual_size, x->filename);
                if (x->cluster_size)
                    printf("            cluster size: %" PRIu64 "\n", x->cluster_size);
                printf("            format: %s\n", x->format);
            }
        }
    }
    free(info.extents);
    free(sns);
}

static int img_info(int argc, char **argv)
{
    const char *fmt = NULL;
    bool json = false, chain = false;
    int c;
    static const struct option lo[] = {
        { "help", no_argument, 0, 'h' }, { "output", required_argument, 0, 'O' },
        { "backing-chain", no_argument, 0, 'B' }, { "force-share", no_argument, 0, 'U' },
        { "image-opts", no_argument, 0, 'I' }, { 0, 0, 0, 0 } };
    while ((c = getopt_long(argc, argv, ":f:hU", lo, NULL)) != -1) {
        switch (c) {
        case 'f': fmt = optarg; break;
        case 'h': usage(stdout); return 0;
        case 'O': if (parse_output(optarg, &json) < 0) return 1; break;
        case 'B': chain = true; break;
        case 'U': break;
        case 'I': error_report("--image-opts: not supported yet"); return 1;
        default: error_report("unrecognized option '%s'", argv[optind - 1]); return 1;
        }
    }
    if (optind != argc - 1) {
        error_report("Expecting one image file name");
        return 1;
    }
    BlockDriverState *bs = img_open(argv[optind], fmt, chain ? 0 : BDRV_O_NO_BACKING);
    if (!bs)
        return 1;
    if (chain && json)
        printf("[\n");
    int n = 0;
    for (BlockDriverState *b = bs; b; b = chain ? b->backing : NULL, n++) {
        if (chain && !json && n)
            printf("\n");
        if (chain && json && n)
            printf(",\n");
        info_one(b, json, chain && json ? "    " : "");
        if (json && !chain)
            printf("\n");
    }
    if (chain && json)
        printf("\n]\n");
    bdrv_close(bs);
    return 0;
}

/* ---- check ------------------------------------------------------------------ */

static void dump_check(const BlockCheckResult *r, const char *filename,
                       const char *fmt, bool json)
{
    if (json) {
        printf("{\n");
        if (r->image_end_offset)
            printf("    \"image-end-offset\": %" PRId64 ",\n", r->image_end_offset);
        if (r->corruptions)
            printf("    \"corruptions\": %" PRId64 ",\n", r->corruptions);
        if (r->leaks)
            printf("    \"leaks\": %" PRId64 ",\n", r->leaks);
        if (r->corruptions_fixed)
            printf("    \"corruptions-fixed\": %" PRId64 ",\n", r->corruptions_fixed);
        if (r->leaks_fixed)
            printf("    \"leaks-fixed\": %" PRId64 ",\n", r->leaks_fixed);
        if (r->compressed_clusters)
            printf("    \"compressed-clusters\": %" PRId64 ",\n", r->compressed_clusters);
        if (r->total_clusters)
            printf("    \"total-clusters\": %" PRId64 ",\n", r->total_clusters);
        printf("    \"check-errors\": %" PRId64 ",\n", r->check_errors);
        if (r->allocated_clusters)
            printf("    \"allocated-clusters\": %" PRId64 ",\n", r->allocated_clusters);
        printf("    \"filename\": ");
        json_str(filename);
        printf(",\n    \"format\": \"%s\"%s\n", fmt, r->fragmented_clusters ? "," : "");
        if (r->fragmented_clusters)
            printf("    \"fragmented-clusters\": %" PRId64 "\n", r->fragmented_clusters);
        printf("}\n");
        return;
    }
    if (!r->corruptions && !r->leaks && !r->check_errors) {
        qprintf("No errors were found on the image.\n");
    } else {
        if (r->corruptions)
            qprintf("\n%" PRId64 " errors were found on the image.\nData may be "
                    "corrupted, or further writes to the image may corrupt it.\n",
                    r->corruptions);
        if (r->leaks)
            qprintf("\n%" PRId64 " leaked clusters were found on the image.\nThis "
                    "means waste of disk space, but no harm to data.\n", r->leaks);
        if (r->check_errors)
            qprintf("\n%" PRId64 " internal errors have occurred during the check.\n",
                    r->check_errors);
    }
    if (r->total_clusters && r->allocated_clusters)
        qprintf("%" PRId64 "/%" PRId64 " = %0.2f%% allocated, %0.2f%% fragmented, "
                "%0.2f%% compressed clusters\n", r->allocated_clusters,
                r->total_clusters, r->allocated_clusters * 100.0 / r->total_clusters,
                r->fragmented_clusters * 100.0 / r->allocated_clusters,
                r->compressed_clusters * 100.0 / r->allocated_clusters);
    if (r->image_end_offset)
        qprintf("Image end offset: %" PRId64 "\n", r->image_end_offset);
}

static int img_check(int argc, char **argv)
{
    const char *fmt = NULL;
    bool json = false;
    int fix = 0, c;
    static const struct option lo[] = {
        { "help", no_argument, 0, 'h' }, { "output", required_argument, 0, 'O' },
        { "repair", required_argument, 0, 'r' }, { "force-share", no_argument, 0, 'U' },
        { 0, 0, 0, 0 } };
    while ((c = getopt_long(argc, argv, ":f:hr:qUT:", lo, NULL)) != -1) {
        switch (c) {
        case 'f': fmt = optarg; break;
        case 'h': usage(stdout); return 0;
        case 'O': if (parse_output(optarg, &json) < 0) return 1; break;
        case 'q': quiet = true; break;
        case 'U': case 'T': break;
        case 'r':
            if (!strcmp(optarg, "leaks")) {
                fix = BDRV_FIX_LEAKS;
            } else if (!strcmp(optarg, "all")) {
                fix = BDRV_FIX_LEAKS | BDRV_FIX_ERRORS;
            } else {
                error_report("Unknown option value for -r (expecting 'leaks' or 'all'): %s",
                             optarg);
                return 1;
            }
            break;
        default: error_report("unrecognized option '%s'", argv[optind - 1]); return 1;
        }
    }
    if (optind != argc - 1) {
        error_report("Expecting one image file name");
        return 1;
    }
    const char *filename = argv[optind];
    BlockDriverState *bs = img_open(filename, fmt, BDRV_O_CHECK | BDRV_O_NO_BACKING |
                                    (fix ? BDRV_O_RDWR : 0));
    if (!bs)
        return 1;
    if (!bs->drv->check) {
        error_report("This image format does not support checks");
        bdrv_close(bs);
        return 63;
    }
    BlockCheckResult res;
    memset(&res, 0, sizeof(res));
    Error *err = NULL;
    int r = bs->drv->check(bs, &res, fix, &err);
    if (r >= 0 && (res.corruptions_fixed || res.leaks_fixed)) {
        int64_t lf = res.leaks_fixed, cf = res.corruptions_fixed;
        if (!json)
            qprintf("The following inconsistencies were found and repaired:\n\n"
                    "    %" PRId64 " leaked clusters\n    %" PRId64 " corruptions\n\n"
                    "Double checking the fixed image now...\n", lf, cf);
        r = bs->drv->check(bs, &res, 0, &err);
        res.leaks_fixed = lf;
        res.corruptions_fixed = cf;
    }
    if (r >= 0)
        dump_check(&res, filename, bs->drv->format_name, json);
    bdrv_close(bs);
    if (r < 0 || res.check_errors) {
        if (err)
            error_report("Check failed: %s", err->msg);
        else
            error_report("Check failed");
        error_free(err);
        return 1;
    }
    return res.corruptions ? 2 : res.leaks ? 3 : 0;
}

/* ---- convert ---------------------------------------------------------------- */

static void progress(bool on, double pct)
{
    if (on) {
        printf("    (%3.2f/100%%)\r", pct);
        fflush(stdout);
    }
}

static void progress_cb(void *opaque, double pct)
{
    progress(*(bool *)opaque, pct);
}

static bool is_zero(const uint8_t *p, size_t n)
{
    /* Every byte equals its successor and the first is 0: memcmp is the
     * fastest loop the C library has. */
    return !n || (!p[0] && !p[n - 1] && !memcmp(p, p + 1, n - 1));
}

/* Parallel cluster compression for convert -c. */
typedef struct CompressPool {
    BlockDriverState *bs;
    uint64_t cs;
    int threads;
    uint64_t n;             /* clusters per batch */
    const uint8_t *in;
    uint8_t *out;           /* n clusters of compressed output */
    long *len;              /* per cluster: size, or -1 */
    bool *todo;
    uint64_t count;         /* clusters in this batch */
    uint64_t next;          /* the next cluster to take (under lock) */
    HostMutex lock;
} CompressPool;

typedef struct CompressWorker {
    CompressPool *pool;
    int index;
    HostThread thread;
} CompressWorker;

/* Workers take clusters one at a time, so a thread the host schedules
 * less often does less of the batch instead of holding up the others. */
static void *compress_worker(void *opaque)
{
    CompressWorker *w = opaque;
    CompressPool *p = w->pool;
    for (;;) {
        host_mutex_lock(&p->lock);
        uint64_t i = p->next;
        while (i < p->count && !p->todo[i])
            i++;
        p->next = i + 1;
        host_mutex_unlock(&p->lock);
        if (i >= p->count)
            return NULL;
        p->len[i] = p->bs->drv->compress(p->bs, p->out + i * p->cs, p->cs,
                                         p->in + i * p->cs);
    }
}

/* Write n bytes of buf at `at` compressed: zero clusters skipped (or
 * zeroed), the rest compressed on all threads, then stored in order. */
static int compress_batch(CompressPool *p, uint8_t *buf, uint64_t n, uint64_t at,
                          bool target_zero, Error **errp)
{
    BlockDriverState *bs = p->bs;
    uint64_t len = (uint64_t)bdrv_getlength(bs);
    p->count = (n + p->cs - 1) / p->cs;
    p->in = buf;
    if (n % p->cs)      /* the image's last, short cluster: pad with zeros */
        memset(buf + n, 0, p->cs - n % p->cs);
    for (uint64_t i = 0; i < p->count; i++) {
        uint64_t m = n - i * p->cs < p->cs ? n - i * p->cs : p->cs;
        p->todo[i] = !is_zero(buf + i * p->cs, m) &&
                     (m == p->cs || at + i * p->cs + m == len);
        p->len[i] = -1;
    }
    CompressWorker w[16];
    bool running[16] = { false };
    p->next = 0;
    for (int t = 1; t < p->threads; t++) {
        w[t] = (CompressWorker){ p, t, { 0 } };
        running[t] = host_thread_create(&w[t].thread, compress_worker, &w[t]) == 0;
    }
    w[0] = (CompressWorker){ p, 0, { 0 } };
    compress_worker(&w[0]);     /* this thread works too, and takes up any slack */
    for (int t = 1; t < p->threads; t++)
        if (running[t])
            host_thread_join(&w[t].thread);
    int r = 0;
    for (uint64_t i = 0; i < p->count && r >= 0; i++) {
        uint64_t off = at + i * p->cs, m = n - i * p->cs < p->cs ? n - i * p->cs : p->cs;
        if (p->len[i] >= 0)
            r = bdrv_pwrite_precompressed(bs, off, m, p->out + i * p->cs,
                                          (size_t)p->len[i], errp);
        else if (!is_zero(buf + i * p->cs, m))
            r = bdrv_pwrite(bs, off, m, buf + i * p->cs, errp);
        else if (!target_zero)
            r = bdrv_pwrite_zeroes(bs, off, m, BDRV_REQ_MAY_UNMAP, errp);
    }
    return r;
}

typedef struct RawCopy {
    const char *src, *fmt, *dst;
    uint64_t len, sparse, chunk;
    int threads, index;
    int ret;
    Error *err;
    HostThread thread;
} RawCopy;

/* Copy every threads-th chunk of src into the raw file dst, leaving runs
 * of zeros as holes (dst was just created, so it reads as zeros). */
static void *raw_copy_worker(void *opaque)
{
    RawCopy *c = opaque;
    Error *err = NULL;
    BlockDriverState *s = bdrv_open(c->src, c->fmt, 0, &err);
    BlockDriverState *d = s ? bdrv_open(c->dst, "raw", BDRV_O_RDWR | BDRV_O_NO_FLUSH, &err)
                            : NULL;
    uint8_t *buf = malloc(c->chunk);
    if (!buf)
        pemu_abort("out of memory");
    int r = d ? 0 : -EIO;
    for (uint64_t off = (uint64_t)c->index * c->chunk; r >= 0 && off < c->len;
         off += (uint64_t)c->threads * c->chunk) {
        uint64_t end = c->len - off < c->chunk ? c->len : off + c->chunk;
        for (uint64_t pos = off; r >= 0 && pos < end;) {
            uint64_t pnum, map;
            int depth;
            BlockDriverState *file;
            int st = bdrv_block_status_above(s, pos, end - pos, &pnum, &map, &depth, &file,
                                             &err);
            if (st < 0) {
                r = st;
                break;
            }
            if (!pnum)
                pnum = end - pos;
            if (!((st & BDRV_BLOCK_ZERO) && !(st & BDRV_BLOCK_DATA))) {
                r = bdrv_pread(s, pos, pnum, buf, &err);
                for (uint64_t p = 0; r >= 0 && p < pnum;) {
                    uint64_t m = c->sparse - (pos + p) % c->sparse;
                    if (m > pnum - p)
                        m = pnum - p;
                    bool z = is_zero(buf + p, m);
                    uint64_t q = p + m;
                    while (q < pnum) {
                        uint64_t k = pnum - q < c->sparse ? pnum - q : c->sparse;
                        if (is_zero(buf + q, k) != z)
                            break;
                        q += k;
                    }
                    if (!z)
                        r = bdrv_pwrite(d, pos + p, q - p, buf + p, &err);
                    p = q;
                }
            }
            pos += pnum;
        }
    }
    free(buf);
    bdrv_close(d);
    bdrv_close(s);
    c->ret = r;
    c->err = err;       /* reported once, by the caller */
    return NULL;
}

static int convert_raw_parallel(const char *src, const char *fmt, const char *dst,
                                uint64_t len, uint64_t sparse)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int threads = ncpu < 2 ? 2 : ncpu > 8 ? 8 : (int)ncpu;
    RawCopy c[8];
    bool running[8] = { false };
    for (int t = 0; t < threads; t++) {
        c[t] = (RawCopy){ src, fmt, dst, len, sparse, 2u << 20, threads, t, 0, NULL, { 0 } };
        running[t] = t && host_thread_create(&c[t].thread, raw_copy_worker, &c[t]) == 0;
    }
    for (int t = 0; t < threads; t++)
        if (!running[t])
            raw_copy_worker(&c[t]);
    int r = 0;
    for (int t = 0; t < threads; t++) {
        if (running[t])
            host_thread_join(&c[t].thread);
        if (c[t].ret < 0 && r == 0) {
            r = c[t].ret;
            error_report("error while converting %s: %s", src,
                         c[t].err ? c[t].err->msg : strerror(-r));
        }
        error_free(c[t].err);
    }
    return r;
}

/* One piece of a source as convert copies it: where, how long, its block
 * status and, when it has data, its bytes. */
typedef struct ConvSeg {
    uint64_t off, n;
    int st;             /* BDRV_BLOCK_* flags, or a negative errno */
    bool read_failed;   /* st < 0 from the read, not from the block status */
    uint8_t *buf;
    Error *err;         /* with st < 0 */
} ConvSeg;

/* The segment of s (len bytes) at off, at most chunk bytes and not across
 * a chunk boundary of the target (dpos: where s starts in it); its data
 * is read into seg->buf. */
static void conv_next(BlockDriverState *s, uint64_t off, uint64_t len, uint64_t chunk,
                      uint64_t dpos, bool has_backing, bool compress, ConvSeg *seg)
{
    uint64_t n = len - off < chunk ? len - off : chunk;
    uint64_t mis = (dpos + off) % chunk;
    if (mis && n > chunk - mis)
        n = chunk - mis;
    uint64_t pnum, map;
    int depth;
    BlockDriverState *file;
    seg->err = NULL;
    seg->read_failed = false;
    int st;
    if (has_backing) {
        /* The target's backing file supplies what the top lacks. */
        st = bdrv_block_status(s, off, n, &pnum, &map, &seg->err);
    } else {
        st = bdrv_block_status_above(s, off, n, &pnum, &map, &depth, &file, &seg->err);
    }
    seg->off = off;
    seg->n = n;
    seg->st = st;
    if (st < 0)
        return;
    if (compress && !has_backing)
        st = BDRV_BLOCK_DATA;   /* whole clusters; zeros found by the writer */
    else if (pnum < n && pnum > 0)
        n = pnum;
    seg->n = n;
    seg->st = st;
    if ((has_backing && !(st & BDRV_BLOCK_ALLOCATED)) ||
        ((st & BDRV_BLOCK_ZERO) && !(st & BDRV_BLOCK_DATA)))
        return;
    int r = bdrv_pread(s, off, n, seg->buf, &seg->err);
    if (r < 0) {
        seg->st = r;
        seg->read_failed = true;
    }
}

/* Reader threads for one source, each with its own handle: reader r reads
 * the chunks r, r + CONV_READERS, ... and passes their segments in order
 * through its ring of CONV_SLOTS buffers; the writer takes a chunk's
 * segments from one ring, then the next chunk's from the next ring. One
 * reader: with two on a 2-CPU host the readers and the writer competed
 * and the 1 GiB raw -> qcow2 convert got slower (median 0.25 s vs 0.20). */
#define CONV_READERS 1
#define CONV_SLOTS 3
typedef struct ConvReader {
    struct ConvPrefetch *pf;
    int index;
    BlockDriverState *s;
    ConvSeg slot[CONV_SLOTS];
    bool last[CONV_SLOTS];      /* the slot's segment ends its chunk */
    unsigned head, count;       /* under lock */
    HostThread thread;
    bool running;
} ConvReader;

typedef struct ConvPrefetch {
    uint64_t len, chunk;
    bool has_backing;
    ConvReader r[CONV_READERS];
    unsigned cur;               /* the writer's reader */
    bool stop;                  /* under lock: the writer gave up */
    HostMutex lock;
    HostCond cond;
} ConvPrefetch;

static void *conv_reader_run(void *opaque)
{
    ConvReader *rd = opaque;
    ConvPrefetch *pf = rd->pf;
    unsigned tail = 0;
    for (uint64_t start = (uint64_t)rd->index * pf->chunk; start < pf->len;
         start += CONV_READERS * pf->chunk) {
        uint64_t end = pf->len - start < pf->chunk ? pf->len : start + pf->chunk;
        for (uint64_t off = start; off < end;) {
            host_mutex_lock(&pf->lock);
            while (rd->count == CONV_SLOTS && !pf->stop)
                host_cond_wait(&pf->cond, &pf->lock);
            bool stop = pf->stop;
            host_mutex_unlock(&pf->lock);
            if (stop)
                return NULL;
            /* The slot at tail is not the writer's until count says so. */
            ConvSeg *seg = &rd->slot[tail];
            conv_next(rd->s, off, pf->len, pf->chunk, 0, pf->has_backing, false, seg);
            bool failed = seg->st < 0;
            if (!failed)
                off += seg->n;
            rd->last[tail] = failed || off >= end;
            host_mutex_lock(&pf->lock);
            rd->count++;
            host_cond_broadcast(&pf->cond);
            host_mutex_unlock(&pf->lock);
            tail = (tail + 1) % CONV_SLOTS;
            if (failed)
                return NULL;
        }
    }
    return NULL;
}

static void conv_prefetch_stop(ConvPrefetch *pf)
{
    if (!pf)
        return;
    host_mutex_lock(&pf->lock);
    pf->stop = true;
    host_cond_broadcast(&pf->cond);
    host_mutex_unlock(&pf->lock);
    for (int i = 0; i < CONV_READERS; i++) {
        ConvReader *rd = &pf->r[i];
        if (rd->running)
            host_thread_join(&rd->thread);
        for (int j = 0; j < CONV_SLOTS; j++)
            free(rd->slot[j].buf);
        bdrv_close(rd->s);
    }
    host_cond_destroy(&pf->cond);
    host_mutex_destroy(&pf->lock);
    free(pf);
}

/* NULL when a handle or a thread cannot be had: the caller then reads in
 * line. */
static ConvPrefetch *conv_prefetch_start(const char *name, const char *fmt, uint64_t len,
                                         uint64_t chunk, bool has_backing)
{
    ConvPrefetch *pf = calloc(1, sizeof(*pf));
    if (!pf)
        pemu_abort("out of memory");
    pf->len = len;
    pf->chunk = chunk;
    pf->has_backing = has_backing;
    host_mutex_init(&pf->lock);
    host_cond_init(&pf->cond);
    bool ok = true;
    for (int i = 0; i < CONV_READERS; i++) {
        ConvReader *rd = &pf->r[i];
        rd->pf = pf;
        rd->index = i;
        for (int j = 0; j < CONV_SLOTS; j++) {
            rd->slot[j].buf = malloc(chunk);
            if (!rd->slot[j].buf)
                pemu_abort("out of memory");
        }
        Error *err = NULL;
        rd->s = ok ? bdrv_open(name, fmt, 0, &err) : NULL;
        error_free(err);
        ok = ok && rd->s;
    }
    for (int i = 0; ok && i < CONV_READERS; i++) {
        ConvReader *rd = &pf->r[i];
        rd->running = host_thread_create(&rd->thread, conv_reader_run, rd) == 0;
        ok = rd->running;
    }
    if (!ok) {
        conv_prefetch_stop(pf);
        return NULL;
    }
    return pf;
}

/* The next segment, in order; its buffer stays valid until the release. */
static void conv_prefetch_take(ConvPrefetch *pf, ConvSeg *seg)
{
    ConvReader *rd = &pf->r[pf->cur];
    host_mutex_lock(&pf->lock);
    while (!rd->count)
        host_cond_wait(&pf->cond, &pf->lock);
    *seg = rd->slot[rd->head];
    host_mutex_unlock(&pf->lock);
}

static void conv_prefetch_release(ConvPrefetch *pf)
{
    ConvReader *rd = &pf->r[pf->cur];
    host_mutex_lock(&pf->lock);
    bool last = rd->last[rd->head];
    rd->head = (rd->head + 1) % CONV_SLOTS;
    rd->count--;
    host_cond_broadcast(&pf->cond);
    host_mutex_unlock(&pf->lock);
    if (last)
        pf->cur = (pf->cur + 1) % CONV_READERS;
}

static int img_convert(int argc, char **argv)
{
    const char *fmt = NULL, *ofmt = "raw", *backing = NULL, *bfmt = NULL;
    bool compress = false, prog = false, no_create = false, unsafe_cache = true;
    int parallel = 8;
    bool nsrc_done = false;
    uint64_t sparse = 4096;
    BlockOpts opts = { 0 };
    int c, ret = 1;
    static const struct option lo[] = { { "help", no_argument, 0, 'h' },
                                        { "force-share", no_argument, 0, 'U' },
                                        { "target-is-zero", no_argument, 0, 2 },
                                        { 0, 0, 0, 0 } };
    while ((c = getopt_long(argc, argv, ":hf:O:B:F:co:S:pnqUWm:t:T:r:", lo, NULL)) != -1) {
        switch (c) {
        case 'f': fmt = optarg; break;
        case 'O': ofmt = optarg; break;
        case 'B': backing = optarg; break;
        case 'F': bfmt = optarg; break;
        case 'c': compress = true; break;
        case 'p': prog = true; break;
        case 'n': no_create = true; break;
        case 'q': quiet = true; break;
        case 'h': usage(stdout); return 0;
        case 't':
            /* qemu-img's default for convert is cache=unsafe: no fsync. */
            unsafe_cache = !strcmp(optarg, "unsafe");
            break;
        case 'm':
            /* qemu-img's parallel requests (1-16, default 8): here the
             * number of compression threads. */
            parallel = atoi(optarg);
            if (parallel < 1 || parallel > 16) {
                error_report("Invalid number of coroutines. Allowed number of "
                             "coroutines is between 1 and 16");
                goto out;
            }
            break;
        case 'U': case 'W': case 'T': case 'r': case 2: break;
        case 'S':
            if (block_parse_size(optarg, &sparse) < 0 || (sparse && sparse % 512)) {
                error_report("Invalid buffer size for sparse output specified. Valid "
                             "sizes are multiples of 512.");
                goto out;
            }
            break;
        case 'o': {
            Error *err = NULL;
            if (block_opts_parse(&opts, optarg, &err) < 0) {
                error_report_err(err);
                goto out;
            }
            break;
        }
        default: error_report("unrecognized option '%s'", argv[optind - 1]); goto out;
        }
    }
    if (quiet)
        prog = false;
    int nsrc = argc - optind - 1;
    if (nsrc < 1) {
        error_report("Must specify image file name");
        goto out;
    }
    const char *out_name = argv[argc - 1];
    BlockDriverState **src = calloc((size_t)nsrc, sizeof(*src));
    uint64_t *src_len = calloc((size_t)nsrc, sizeof(*src_len));
    if (!src || !src_len)
        pemu_abort("out of memory");
    uint64_t total = 0;
    BlockDriverState *dst = NULL;
    uint8_t *buf = NULL;
    ConvPrefetch *pf = NULL;
    for (int i = 0; i < nsrc; i++) {
        src[i] = img_open(argv[optind + i], fmt, 0);
        if (!src[i])
            goto out_close;
        src_len[i] = (uint64_t)bdrv_getlength(src[i]);
        total += src_len[i];
    }
    const BlockDriver *odrv = bdrv_find_format(ofmt);
    if (!odrv) {
        error_report("Unknown file format '%s' (supported: qcow2, qcow, vmdk, vdi, vpc, raw)", ofmt);
        goto out_close;
    }
    if (compress && !odrv->pwrite_compressed) {
        error_report("Compression not supported for this file format");
        goto out_close;
    }
    if (backing && no_create) {
        error_report("Specifying backing image makes no sense when not creating an "
                     "output image");
        goto out_close;
    }
    if (backing)
        block_opts_set(&opts, "backing_file", backing);
    if (bfmt)
        block_opts_set(&opts, "backing_fmt", bfmt);
    if (block_opts_get(&opts, "backing_file") && !block_opts_get(&opts, "backing_fmt")) {
        /* Like create: name the backing file's format explicitly. */
        char path[BDRV_PATH_MAX];
        bdrv_resolve_backing(out_name, block_opts_get(&opts, "backing_file"), path,
                             sizeof(path));
        Error *err = NULL;
        BlockDriverState *b = bdrv_open(path, NULL, BDRV_O_NO_BACKING, &err);
        if (!b) {
            error_report_err(err);
            goto out_close;
        }
        block_opts_set(&opts, "backing_fmt", b->drv->format_name);
        bdrv_close(b);
    }
    bool has_backing = block_opts_get(&opts, "backing_file") != NULL;
    if (!no_create) {
        for (int i = 0; i < opts.n; i++) {
            bool known = false;
            for (int j = 0; odrv->create_opts && odrv->create_opts[j]; j++)
                known |= !strcmp(opts.v[i].key, odrv->create_opts[j]);
            if (!known) {
                error_report("Invalid parameter '%s'", opts.v[i].key);
                goto out_close;
            }
        }
        Error *err = NULL;
        if (bdrv_create(odrv, out_name, total, &opts, &err) < 0) {
            error_report("%s: error while converting %s: %s", out_name, ofmt, err->msg);
            error_free(err);
            goto out_close;
        }
    }
    dst = img_open(out_name, ofmt, BDRV_O_RDWR | (unsafe_cache ? BDRV_O_NO_FLUSH : 0));
    if (!dst)
        goto out_close;
    if (no_create && (uint64_t)bdrv_getlength(dst) < total) {
        error_report("Target image is smaller than the source (%" PRId64 " < %" PRIu64
                     " bytes)", bdrv_getlength(dst), total);
        goto out_close;
    }
    uint64_t chunk = 2u << 20;
    BlockInfo oinfo;
    memset(&oinfo, 0, sizeof(oinfo));
    if (odrv->get_info)
        odrv->get_info(dst, &oinfo);
    free(oinfo.extents);
    uint64_t ocs = oinfo.cluster_size ? oinfo.cluster_size : 65536;
    if (compress || chunk % ocs)
        chunk = ocs > chunk ? ocs : (compress ? ocs : chunk);
    /* Compression runs on every CPU, a batch of clusters at a time. */
    CompressPool pool = { .bs = dst, .cs = ocs, .threads = 1 };
    if (compress && odrv->compress && odrv->pwrite_precompressed) {
        /* As many in flight as qemu-img's default 8 requests, and at
         * least one per CPU. */
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        pool.threads = ncpu > parallel ? (ncpu > 16 ? 16 : (int)ncpu) : parallel;
        uint64_t per = (16u << 20) / ocs;
        chunk = ocs * (per < 4 ? 4 : per);
        host_mutex_init(&pool.lock);
        pool.n = chunk / ocs;
        pool.out = malloc(chunk + ocs);
        pool.len = malloc(pool.n * sizeof(long));
        pool.todo = malloc(pool.n * sizeof(bool));
        if (!pool.out || !pool.len || !pool.todo)
            pemu_abort("out of memory");
    }
    buf = malloc(chunk + ocs);
    if (!buf)
        pemu_abort("out of memory");
    /* A target we created reads as zeros everywhere (no backing file). */
    bool target_zero = !no_create && !has_backing;
    uint64_t dpos = 0, done = 0;
    progress(prog, 0);
    if (!compress && !has_backing && nsrc == 1 && odrv == &bdrv_raw && !prog && sparse &&
        target_zero) {
        /* A raw target has no metadata: threads with their own handles
         * copy disjoint parts, so the host's copies run on every CPU as
         * qemu-img's parallel requests do. */
        int r = convert_raw_parallel(argv[optind], fmt, out_name, src_len[0], sparse);
        if (r < 0)
            goto out_close;
        nsrc_done = true;
    }
    /* One source, no compression: a reader thread with its own handle
     * reads ahead while this one writes, so the host's two copies (page
     * cache to buffer, buffer to page cache) overlap as qemu-img's
     * parallel requests make them. */
    if (!nsrc_done && nsrc == 1 && !compress)
        pf = conv_prefetch_start(argv[optind], fmt, src_len[0], chunk, has_backing);
    for (int i = 0; i < nsrc && !nsrc_done; i++) {
        BlockDriverState *s = src[i];
        uint64_t off = 0;
        while (off < src_len[i]) {
            ConvSeg seg = { .buf = buf };
            if (pf)
                conv_prefetch_take(pf, &seg);
            else
                conv_next(s, off, src_len[i], chunk, dpos, has_backing, compress, &seg);
            uint64_t n = seg.n;
            int st = seg.st;
            uint8_t *data = seg.buf;
            Error *err = seg.err;
            if (st < 0) {
                if (seg.read_failed)
                    error_report("error while reading %s at byte %" PRIu64 ": %s",
                                 argv[optind + i], off, err ? err->msg : strerror(-st));
                else
                    error_report("error while reading block status of %s at offset %" PRIu64
                                 ": %s", argv[optind + i], off, err ? err->msg : strerror(-st));
                error_free(err);
                goto out_close;
            }
            uint64_t at = dpos + off;
            int r = 0;
            if (has_backing && !(st & BDRV_BLOCK_ALLOCATED)) {
                /* leave it to the backing file */
            } else if ((st & BDRV_BLOCK_ZERO) && !(st & BDRV_BLOCK_DATA)) {
                if (!target_zero)
                    r = bdrv_pwrite_zeroes(dst, at, n, BDRV_REQ_MAY_UNMAP, &err);
            } else if (compress && pool.out) {
                r = compress_batch(&pool, data, n, at, target_zero, &err);
            } else if (compress) {
                for (uint64_t p = 0; p < n && r >= 0; p += ocs) {
                    uint64_t m = n - p < ocs ? n - p : ocs;
                    if (is_zero(data + p, m)) {
                        if (!target_zero)
                            r = bdrv_pwrite_zeroes(dst, at + p, m, BDRV_REQ_MAY_UNMAP, &err);
                    } else if (m == ocs || at + p + m == (uint64_t)bdrv_getlength(dst)) {
                        r = bdrv_pwrite_compressed(dst, at + p, m, data + p, &err);
                    } else {
                        r = bdrv_pwrite(dst, at + p, m, data + p, &err);
                    }
                }
            } else if (sparse) {
                /* Skip (or zero) runs of sparse-size zero blocks. */
                uint64_t p = 0;
                while (p < n && r >= 0) {
                    uint64_t m = sparse - (at + p) % sparse;
                    if (m > n - p)
                        m = n - p;
                    bool z = is_zero(data + p, m);
                    uint64_t q = p + m;
                    while (q < n) {
                        uint64_t k = n - q < sparse ? n - q : sparse;
                        if (is_zero(data + q, k) != z)
                            break;
                        q += k;
                    }
                    if (!z)
                        r = bdrv_pwrite(dst, at + p, q - p, data + p, &err);
                    else if (!target_zero)
                        r = bdrv_pwrite_zeroes(dst, at + p, q - p, 0, &err);
                    p = q;
                }
            } else {
                r = bdrv_pwrite(dst, at, n, data, &err);
            }
            if (pf)
                conv_prefetch_release(pf);
            if (r < 0) {
                error_report("error while writing at byte %" PRIu64 ": %s", at,
                             err ? err->msg : strerror(-r));
                error_free(err);
                goto out_close;
            }
            off += n;
            done += n;
            progress(prog, total ? done * 100.0 / total : 100);
        }
        dpos += src_len[i];
    }
    Error *err = NULL;
    int64_t fend = compress ? bdrv_file_size(dst) : 0;
    if (fend > 0 && fend % 512 &&
        bdrv_file_truncate(dst, ((uint64_t)fend + 511) & ~511ull, &err) < 0) {
        /* As qemu-img: compressed data may end mid-sector; the file
         * does not. */
        error_report("error while writing %s: %s", out_name, err->msg);
        error_free(err);
        goto out_close;
    }
    if (bdrv_flush(dst, &err) < 0) {
        error_report("error while flushing %s: %s", out_name, err->msg);
        error_free(err);
        goto out_close;
    }
    progress(prog, 100);
    if (prog)
        printf("\n");
    ret = 0;
out_close:
    conv_prefetch_stop(pf);
    if (pool.out)
        host_mutex_destroy(&pool.lock);
    free(pool.out);
    free(pool.len);
    free(pool.todo);
    free(buf);
    bdrv_close(dst);
    for (int i = 0; i < nsrc; i++)
        bdrv_close(src[i]);
    free(src);
    free(src_len);
out:
    block_opts_free(&opts);
    return ret;
}

/* ---- snapshot --------------------------------------------------------------- */

static int img_snapshot(int argc, char **argv)
{
    int c, action = 0;
    const char *name = NULL, *fmt = NULL;
    static const struct option lo[] = { { "help", no_argument, 0, 'h' },
                                        { "force-share", no_argument, 0, 'U' },
                                        { 0, 0, 0, 0 } };
    while ((c = getopt_long(argc, argv, ":la:c:d:f:hqU", lo, NULL)) != -1) {
        switch (c) {
        case 'l': case 'a': case 'c': case 'd':
            if (action) {
                error_report("Cannot mix '-l', '-a', '-c', '-d'");
                return 1;
            }
            action = c;
            name = optarg;
            break;
        case 'f': fmt = optarg; break;
        case 'q': quiet = true; break;
        case 'U': break;
        case 'h': usage(stdout); return 0;
        default: error_report("unrecognized option '%s'", argv[optind - 1]); return 1;
        }
    }
    if (optind != argc - 1) {
        error_report("Expecting one image file name");
        return 1;
    }
    if (!action)
        action = 'l';
    BlockDriverState *bs = img_open(argv[optind], fmt,
                                    BDRV_O_NO_BACKING | (action == 'l' ? 0 : BDRV_O_RDWR));
    if (!bs)
        return 1;
    int r = 0;
    Error *err = NULL;
    const char *what = action == 'c' ? "create" : action == 'a' ? "apply" : "delete";
    if (action == 'l') {
        BlockSnapshotInfo *l = NULL;
        int n = bs->drv->snapshot_list ? bs->drv->snapshot_list(bs, &l) : 0;
        if (n > 0) {
            printf("Snapshot list:\n");
            bdrv_snapshot_dump(stdout, NULL);
            for (int i = 0; i < n; i++)
                bdrv_snapshot_dump(stdout, &l[i]);
        }
        free(l);
    } else if (!bs->drv->snapshot_create) {
        error_report("Could not %s snapshot '%s': Operation not supported", what, name);
        r = -1;
    } else if (action == 'c') {
        BlockSnapshotInfo sn;
        memset(&sn, 0, sizeof(sn));
        snprintf(sn.name, sizeof(sn.name), "%s", name);
        struct timeval tv;
        gettimeofday(&tv, NULL);
        sn.date_sec = (uint32_t)tv.tv_sec;
        sn.date_nsec = (uint32_t)tv.tv_usec * 1000;
        sn.icount = 0;
        r = bs->drv->snapshot_create(bs, &sn, &err);
    } else if (action == 'a') {
        r = bs->drv->snapshot_goto(bs, name, &err);
    } else {
        r = bs->drv->snapshot_delete(bs, name, &err);
    }
    if (r < 0 && err) {
        error_report("Could not %s snapshot '%s': %s", what, name, err->msg);
        error_free(err);
    }
    bdrv_close(bs);
    return r < 0 ? 1 : 0;
}

/* ---- resize ----------------------------------------------------------------- */

static int img_resize(int argc, char **argv)
{
    const char *fmt = NULL;
    bool shrink = false;
    PreallocMode pm = PREALLOC_OFF;
    int c;
    static const struct option lo[] = {
        { "help", no_argument, 0, 'h' }, { "shrink", no_argument, 0, 'S' },
        { "preallocation", required_argument, 0, 'P' }, { 0, 0, 0, 0 } };
    /* A leading '-' in the size is not an option: stop at the first operand. */
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-' && argv[i][1] >= '0' && argv[i][1] <= '9') {
            argv[i][0] = '~';   /* restored below */
        }
    }
    while ((c = getopt_long(argc, argv, ":f:hq", lo, NULL)) != -1) {
        switch (c) {
        case 'f': fmt = optarg; break;
        case 'q': quiet = true; break;
        case 'S': shrink = true; break;
        case 'P':
            if (block_parse_prealloc(optarg, &pm) < 0) {
                error_report("Invalid preallocation mode '%s'", optarg);
                return 1;
            }
            break;
        case 'h': usage(stdout); return 0;
        default: error_report("unrecognized option '%s'", argv[optind - 1]); return 1;
        }
    }
    if (optind != argc - 2) {
        error_report("Expecting image file name and size");
        return 1;
    }
    const char *filename = argv[optind];
    char *sz = argv[optind + 1];
    int rel = 0;
    if (sz[0] == '~') {
        rel = -1;
        sz++;
    } else if (sz[0] == '+') {
        rel = 1;
        sz++;
    }
    uint64_t n;
    if (block_parse_size(sz, &n) < 0) {
        error_report("Invalid image size specified. You may use k, M, G, T, P or E "
                     "suffixes for kilobytes, megabytes, gigabytes, terabytes, "
                     "petabytes and exabytes.");
        return 1;
    }
    BlockDriverState *bs = img_open(filename, fmt, BDRV_O_RDWR | BDRV_O_NO_BACKING);
    if (!bs)
        return 1;
    uint64_t cur = (uint64_t)bdrv_getlength(bs), size;
    if (rel < 0) {
        if (n > cur) {
            error_report("New image size must be positive");
            bdrv_close(bs);
            return 1;
        }
        size = cur - n;
    } else {
        size = rel > 0 ? cur + n : n;
    }
    if (size < cur && !shrink) {
        error_report("Use the --shrink option to perform a shrink operation.");
        warn_report("Shrinking an image will delete all data beyond the shrunken "
                    "image's end. Before performing such an operation, make sure "
                    "there is no important data there.");
        bdrv_close(bs);
        return 1;
    }
    Error *err = NULL;
    int r = size == cur ? 0 : bdrv_truncate(bs, size, shrink, pm, &err);
    if (r < 0) {
        error_report("%s", err->msg);
        error_free(err);
    } else {
        qprintf("Image resized.\n");
    }
    bdrv_close(bs);
    return r < 0 ? 1 : 0;
}

/* ---- compare ---------------------------------------------------------------- */

static int img_compare(int argc, char **argv)
{
    const char *f1 = NULL, *f2 = NULL;
    bool strict = false;
    int c;
    static const struct option lo[] = { { "help", no_argument, 0, 'h' },
                                        { "force-share", no_argument, 0, 'U' },
                                        { 0, 0, 0, 0 } };
    while ((c = getopt_long(argc, argv, ":hf:F:sqpU", lo, NULL)) != -1) {
        switch (c) {
        case 'f': f1 = optarg; break;
        case 'F': f2 = optarg; break;
        case 's': strict = true; break;
        case 'q': quiet = true; break;
        case 'p': case 'U': break;
        case 'h': usage(stdout); return 0;
        default: error_report("unrecognized option '%s'", argv[optind - 1]); return 2;
        }
    }
    if (optind != argc - 2) {
        error_report("Expecting two image file names");
        return 2;
    }
    BlockDriverState *a = img_open(argv[optind], f1, 0);
    if (!a)
        return 2;
    BlockDriverState *b = img_open(argv[optind + 1], f2 ? f2 : f1, 0);
    if (!b) {
        bdrv_close(a);
        return 2;
    }
    uint64_t la = (uint64_t)bdrv_getlength(a), lb = (uint64_t)bdrv_getlength(b);
    int ret = 0;
    size_t chunk = 1 << 20;
    uint8_t *ba = malloc(chunk), *bb = malloc(chunk);
    if (!ba || !bb)
        pemu_abort("out of memory");
    if (la != lb && strict) {
        qprintf("Strict mode: Image size mismatch!\n");
        ret = 1;
        goto done;
    }
    uint64_t common = la < lb ? la : lb, big = la > lb ? la : lb;
    for (uint64_t off = 0; off < big; off += chunk) {
        uint64_t n = big - off < chunk ? big - off : chunk;
        Error *err = NULL;
        uint64_t na = off < la ? (la - off < n ? la - off : n) : 0;
        uint64_t nb = off < lb ? (lb - off < n ? lb - off : n) : 0;
        memset(ba, 0, n);
        memset(bb, 0, n);
        if ((na && bdrv_pread(a, off, na, ba, &err) < 0) ||
            (nb && bdrv_pread(b, off, nb, bb, &err) < 0)) {
            error_report("Error while reading offset %" PRIu64 ": %s", off, err->msg);
            error_free(err);
            ret = 2;
            goto done;
        }
        if (memcmp(ba, bb, n)) {
            uint64_t i = 0;
            while (ba[i] == bb[i])
                i++;
            /* QEMU reports the start of the mismatching 512-byte sector. */
            if (off + i >= common && la != lb)
                qprintf("Content mismatch at offset %" PRIu64 "!\n", off + i);
            else
                qprintf("Content mismatch at offset %" PRIu64 "!\n",
                        (uint64_t)((off + i) & ~(uint64_t)511));
            ret = 1;
            goto done;
        }
    }
    if (la != lb)
        qprintf("Warning: Image size mismatch!\n");
    qprintf("Images are identical.\n");
done:
    free(ba);
    free(bb);
    bdrv_close(a);
    bdrv_close(b);
    return ret;
}

/* ---- map ---------------------------------------------------------------------- */

typedef struct MapEntry {
    uint64_t start, length, offset;
    int depth, flags;
    bool has_offset;
    const char *file;
} MapEntry;

static void map_dump(const MapEntry *e, bool json, bool first)
{
    if (json) {
        printf("%s{ \"start\": %" PRIu64 ", \"length\": %" PRIu64 ", \"depth\": %d,"
               " \"present\": %s, \"zero\": %s, \"data\": %s", first ? "[" : ",\n",
               e->start, e->length, e->depth,
               e->flags & BDRV_BLOCK_ALLOCATED ? "true" : "false",
               e->flags & BDRV_BLOCK_ZERO ? "true" : "false",
               e->flags & BDRV_BLOCK_DATA ? "true" : "false");
        if (e->has_offset)
            printf(", \"offset\": %" PRIu64, e->offset);
        putchar('}');
    } else if ((e->flags & BDRV_BLOCK_DATA) && e->has_offset) {
        printf("%#-16" PRIx64 "%#-16" PRIx64 "%#-16" PRIx64 "%s\n", e->start,
               e->length, e->offset, e->file);
    }
}

static int img_map(int argc, char **argv)
{
    const char *fmt = NULL;
    bool json = false;
    uint64_t start = 0, maxlen = UINT64_MAX;
    int c;
    static const struct option lo[] = {
        { "help", no_argument, 0, 'h' }, { "output", required_argument, 0, 'O' },
        { "start-offset", required_argument, 0, 's' },
        { "max-length", required_argument, 0, 'l' },
        { "force-share", no_argument, 0, 'U' }, { 0, 0, 0, 0 } };
    while ((c = getopt_long(argc, argv, ":f:hU", lo, NULL)) != -1) {
        switch (c) {
        case 'f': fmt = optarg; break;
        case 'O': if (parse_output(optarg, &json) < 0) return 1; break;
        case 's':
        case 'l':
            if (block_parse_size(optarg, c == 's' ? &start : &maxlen) < 0) {
                error_report("Invalid %s specified", c == 's' ? "start offset" : "length");
                return 1;
            }
            break;
        case 'U': break;
        case 'h': usage(stdout); return 0;
        default: error_report("unrecognized option '%s'", argv[optind - 1]); return 1;
        }
    }
    if (optind != argc - 1) {
        error_report("Expecting one image file name");
        return 1;
    }
    BlockDriverState *bs = img_open(argv[optind], fmt, 0);
    if (!bs)
        return 1;
    uint64_t len = (uint64_t)bdrv_getlength(bs);
    uint64_t end = maxlen < len - (start < len ? start : len) ? start + maxlen : len;
    if (!json)
        printf("%-16s%-16s%-16s%s\n", "Offset", "Length", "Mapped to", "File");
    MapEntry cur = { 0 };
    bool have = false, first = true;
    int ret = 0;
    for (uint64_t off = start; off < end;) {
        uint64_t pnum, map;
        int depth;
        BlockDriverState *file;
        Error *err = NULL;
        uint64_t want = end - off < (1ull << 30) ? end - off : (1ull << 30);
        int st = bdrv_block_status_above(bs, off, want, &pnum, &map, &depth, &file, &err);
        if (st < 0) {
            error_report("%s", err->msg);
            error_free(err);
            ret = 1;
            break;
        }
        MapEntry e = { off, pnum, map, depth,
                       st & (BDRV_BLOCK_ALLOCATED | BDRV_BLOCK_ZERO | BDRV_BLOCK_DATA),
                       (st & BDRV_BLOCK_OFFSET_VALID) != 0, file->filename };
        if (depth > 0 && !(st & BDRV_BLOCK_ALLOCATED))
            e.flags &= ~BDRV_BLOCK_ALLOCATED;
        if (depth > 0 && (st & BDRV_BLOCK_ALLOCATED))
            e.flags |= BDRV_BLOCK_ALLOCATED;
        if (have && cur.flags == e.flags && cur.depth == e.depth &&
            cur.has_offset == e.has_offset && cur.file == e.file &&
            (!e.has_offset || cur.offset + cur.length == e.offset)) {
            cur.length += e.length;
        } else {
            if (have) {
                map_dump(&cur, json, first);
                first = false;
            }
            cur = e;
            have = true;
        }
        off += pnum;
    }
    if (have)
        map_dump(&cur, json, first);
    if (json)
        printf("%s]\n", have ? "" : "[");
    bdrv_close(bs);
    return ret;
}

/* ---- dd ------------------------------------------------------------------------- */

static int img_dd(int argc, char **argv)
{
    const char *fmt = NULL, *ofmt = "raw", *in = NULL, *outn = NULL;
    uint64_t bs_ = 512, count = UINT64_MAX, skip = 0;
    int c;
    while ((c = getopt(argc, argv, ":hf:O:U")) != -1) {
        switch (c) {
        case 'f': fmt = optarg; break;
        case 'O': ofmt = optarg; break;
        case 'U': break;
        case 'h': usage(stdout); return 0;
        default: error_report("unrecognized option '%s'", argv[optind - 1]); return 1;
        }
    }
    for (int i = optind; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        uint64_t v = 0;
        if (!eq) {
            error_report("unrecognized operand %s", argv[i]);
            return 1;
        }
        *eq = 0;
        const char *val = eq + 1;
        if (!strcmp(argv[i], "if")) {
            in = val;
        } else if (!strcmp(argv[i], "of")) {
            outn = val;
        } else if (block_parse_size(val, &v) < 0) {
            error_report("invalid number: '%s'", val);
            return 1;
        } else if (!strcmp(argv[i], "bs")) {
            if (!v) {
                error_report("invalid number: '%s'", val);
                return 1;
            }
            bs_ = v;
        } else if (!strcmp(argv[i], "count")) {
            count = v;
        } else if (!strcmp(argv[i], "skip")) {
            skip = v;
        } else {
            error_report("unrecognized operand %s", argv[i]);
            return 1;
        }
    }
    if (!in || !outn) {
        error_report("Must specify both input and output files");
        return 1;
    }
    BlockDriverState *src = img_open(in, fmt, 0);
    if (!src)
        return 1;
    uint64_t len = (uint64_t)bdrv_getlength(src);
    /* As qemu-img does it, count limits the input size including the
     * skipped blocks. */
    uint64_t end = count != UINT64_MAX && count * bs_ < len ? count * bs_ : len;
    uint64_t from = skip * bs_ < end ? skip * bs_ : end;
    uint64_t n = end - from;
    const BlockDriver *odrv = bdrv_find_format(ofmt);
    Error *err = NULL;
    BlockOpts o = { 0 };
    int ret = 1;
    BlockDriverState *dst = NULL;
    uint8_t *buf = NULL;
    if (!odrv) {
        error_report("Unknown file format '%s'", ofmt);
        goto out;
    }
    if (bdrv_create(odrv, outn, n, &o, &err) < 0 ||
        !(dst = bdrv_open(outn, ofmt, BDRV_O_RDWR, &err))) {
        error_report("%s: %s", outn, err->msg);
        error_free(err);
        goto out;
    }
    buf = malloc(bs_ < (1u << 20) ? (1u << 20) : bs_);
    if (!buf)
        pemu_abort("out of memory");
    uint64_t step = bs_ < (1u << 20) ? ((1u << 20) / bs_) * bs_ : bs_;
    for (uint64_t p = 0; p < n; p += step) {
        uint64_t m = n - p < step ? n - p : step;
        if (bdrv_pread(src, from + p, m, buf, &err) < 0 ||
            (!is_zero(buf, m) && bdrv_pwrite(dst, p, m, buf, &err) < 0)) {
            error_report("%s", err->msg);
            error_free(err);
            goto out;
        }
    }
    ret = 0;
out:
    free(buf);
    bdrv_close(dst);
    bdrv_close(src);
    return ret;
}

/* ---- rebase ----------------------------------------------------------------- */

static int img_rebase(int argc, char **argv)
{
    const char *fmt = NULL, *nb = NULL, *nbfmt = NULL;
    bool unsafe = false, prog = false;
    int c;
    static const struct option lo[] = { { "help", no_argument, 0, 'h' },
                                        { "force-share", no_argument, 0, 'U' },
                                        { 0, 0, 0, 0 } };
    while ((c = getopt_long(argc, argv, ":hf:F:b:upqt:T:U", lo, NULL)) != -1) {
        switch (c) {
        case 'f': fmt = optarg; break;
        case 'F': nbfmt = optarg; break;
        case 'b': nb = optarg; break;
        case 'u': unsafe = true; break;
        case 'p': prog = true; break;
        case 'q': quiet = true; break;
        case 't': case 'T': case 'U': break;
        case 'h': usage(stdout); return 0;
        default: error_report("unrecognized option '%s'", argv[optind - 1]); return 1;
        }
    }
    if (quiet)
        prog = false;
    if (optind != argc - 1) {
        error_report("Expecting one image file name");
        return 1;
    }
    if (!nb) {
        error_report("Must specify backing file (-b) or use '-b \"\"' to remove it");
        return 1;
    }
    const char *filename = argv[optind];
    BlockDriverState *bs = img_open(filename, fmt, BDRV_O_RDWR |
                                    (unsafe ? BDRV_O_NO_BACKING : 0));
    if (!bs)
        return 1;
    if (!bs->drv->change_backing) {
        error_report("Could not change the backing file to '%s': the %s format has "
                     "no backing files", nb, bs->drv->format_name);
        bdrv_close(bs);
        return 1;
    }
    int ret = 1;
    BlockDriverState *nbs = NULL;
    uint8_t *a = NULL, *b = NULL;
    Error *err = NULL;
    if (*nb && !nbfmt) {
        /* Record the new backing file's format, as QEMU wants it named. */
        char path[BDRV_PATH_MAX];
        bdrv_resolve_backing(filename, nb, path, sizeof(path));
        nbs = bdrv_open(path, NULL, BDRV_O_NO_BACKING, &err);
        if (!nbs) {
            error_report("Could not open new backing file '%s': %s", path, err->msg);
            goto out;
        }
        nbfmt = nbs->drv->format_name;
        bdrv_close(nbs);
        nbs = NULL;
    }
    if (!unsafe) {
        if (*nb) {
            char path[BDRV_PATH_MAX];
            bdrv_resolve_backing(filename, nb, path, sizeof(path));
            nbs = bdrv_open(path, nbfmt, 0, &err);
            if (!nbs) {
                error_report("Could not open new backing file '%s': %s", path, err->msg);
                goto out;
            }
        }
        /* Where the image defers to its old backing file and the old and new
         * backing contents differ, copy the old contents into the image. */
        uint64_t len = (uint64_t)bdrv_getlength(bs), chunk = 65536;
        uint64_t nlen = nbs ? (uint64_t)bdrv_getlength(nbs) : 0;
        a = malloc(chunk);
        b = malloc(chunk);
        if (!a || !b)
            pemu_abort("out of memory");
        progress(prog, 0);
        for (uint64_t off = 0; off < len;) {
            uint64_t n = len - off < chunk ? len - off : chunk, pnum, map;
            int st = bdrv_block_status(bs, off, n, &pnum, &map, &err);
            if (st < 0)
                goto io_err;
            if (pnum && pnum < n)
                n = pnum;
            if (!(st & BDRV_BLOCK_ALLOCATED)) {
                if (bdrv_backing_pread(bs, off, n, a, &err) < 0)
                    goto io_err;
                memset(b, 0, n);
                if (off < nlen &&
                    bdrv_pread(nbs, off, nlen - off < n ? nlen - off : n, b, &err) < 0)
                    goto io_err;
                if (memcmp(a, b, n) && bdrv_pwrite(bs, off, n, a, &err) < 0)
                    goto io_err;
            }
            off += n;
            progress(prog, off * 100.0 / len);
        }
        if (prog)
            printf("\n");
    }
    if (bs->drv->change_backing(bs, *nb ? nb : NULL, *nb ? nbfmt : NULL, &err) < 0) {
        error_report("Could not change the backing file to '%s': %s", nb, err->msg);
        goto out;
    }
    ret = 0;
    goto out;
io_err:
    error_report("error while rebasing %s: %s", filename, err->msg);
out:
    error_free(err);
    free(a);
    free(b);
    bdrv_close(nbs);
    bdrv_close(bs);
    return ret;
}

/* ---- commit ----------------------------------------------------------------- */

static int img_commit(int argc, char **argv)
{
    const char *fmt = NULL, *base_name = NULL;
    bool keep = false, prog = false;
    int c;
    static const struct option lo[] = { { "help", no_argument, 0, 'h' },
                                        { 0, 0, 0, 0 } };
    while ((c = getopt_long(argc, argv, ":hf:b:dpqt:r:", lo, NULL)) != -1) {
        switch (c) {
        case 'f': fmt = optarg; break;
        case 'b': base_name = optarg; keep = true; break;
        case 'd': keep = true; break;
        case 'p': prog = true; break;
        case 'q': quiet = true; break;
        case 't': case 'r': break;
        case 'h': usage(stdout); return 0;
        default: error_report("unrecognized option '%s'", argv[optind - 1]); return 1;
        }
    }
    if (quiet)
        prog = false;
    if (optind != argc - 1) {
        error_report("Expecting one image file name");
        return 1;
    }
    const char *filename = argv[optind];
    BlockDriverState *top = img_open(filename, fmt, 0);
    if (!top)
        return 1;
    int ret = 1, depth = 1;
    BlockDriverState *base = top->backing, *wbase = NULL;
    Error *err = NULL;
    uint8_t *buf = NULL;
    if (!base) {
        error_report("Image does not have a backing file");
        goto out;
    }
    if (base_name) {
        char want[BDRV_PATH_MAX], got[BDRV_PATH_MAX];
        if (!realpath(base_name, want))
            snprintf(want, sizeof(want), "%s", base_name);
        for (; base; base = base->backing, depth++) {
            if (realpath(base->filename, got) && !strcmp(got, want))
                break;
        }
        if (!base) {
            error_report("Did not find '%s' in the backing chain of '%s'", base_name,
                         filename);
            goto out;
        }
    }
    wbase = bdrv_open(base->filename, base->drv->format_name,
                      BDRV_O_RDWR | BDRV_O_NO_BACKING, &err);
    if (!wbase) {
        error_report("%s", err->msg);
        goto out;
    }
    if (bdrv_commit_data(top, wbase, depth, progress_cb, &prog, &err) < 0)
        goto io_err;
    if (!keep) {
        bdrv_close(top);
        top = img_open(filename, fmt, BDRV_O_RDWR | BDRV_O_NO_BACKING);
        if (!top)
            goto out;
        if (top->drv->make_empty && top->drv->make_empty(top, &err) < 0) {
            error_report("Could not empty %s: %s", filename, err->msg);
            goto out;
        }
    }
    if (prog)
        printf("\n");
    qprintf("Image committed.\n");
    ret = 0;
    goto out;
io_err:
    error_report("Block job failed: %s", err->msg);
out:
    error_free(err);
    free(buf);
    bdrv_close(wbase);
    bdrv_close(top);
    return ret;
}

/* ---- measure ---------------------------------------------------------------- */

static int img_measure(int argc, char **argv)
{
    const char *fmt = NULL, *ofmt = "raw", *size_s = NULL;
    bool json = false;
    BlockOpts opts = { 0 };
    int c, ret = 1;
    static const struct option lo[] = {
        { "help", no_argument, 0, 'h' }, { "output", required_argument, 0, 'J' },
        { "size", required_argument, 0, 'Z' }, { "force-share", no_argument, 0, 'U' },
        { 0, 0, 0, 0 } };
    while ((c = getopt_long(argc, argv, ":hf:O:o:qU", lo, NULL)) != -1) {
        switch (c) {
        case 'f': fmt = optarg; break;
        case 'O': ofmt = optarg; break;
        case 'J': if (parse_output(optarg, &json) < 0) goto out; break;
        case 'Z': size_s = optarg; break;
        case 'q': case 'U': break;
        case 'o': {
            Error *err = NULL;
            if (block_opts_parse(&opts, optarg, &err) < 0) {
                error_report_err(err);
                goto out;
            }
            break;
        }
        case 'h': usage(stdout); return 0;
        default: error_report("unrecognized option '%s'", argv[optind - 1]); goto out;
        }
    }
    const char *filename = optind < argc ? argv[optind] : NULL;
    if (optind < argc - 1 || (filename && size_s)) {
        error_report("--size N cannot be used together with a filename.");
        goto out;
    }
    if (!filename && !size_s) {
        error_report("Either --size N or one filename must be specified.");
        goto out;
    }
    const BlockDriver *odrv = bdrv_find_format(ofmt);
    if (!odrv || !odrv->measure) {
        error_report("Format driver '%s' does not support measure", ofmt);
        goto out;
    }
    uint64_t size = 0;
    BlockDriverState *src = NULL;
    if (size_s && block_parse_size(size_s, &size) < 0) {
        error_report("Invalid image size specified. You may use k, M, G, T, P or E "
                     "suffixes for kilobytes, megabytes, gigabytes, terabytes, "
                     "petabytes and exabytes.");
        goto out;
    }
    if (filename) {
        src = img_open(filename, fmt, 0);
        if (!src)
            goto out;
        size = (uint64_t)bdrv_getlength(src);
    }
    uint64_t req, full;
    Error *err = NULL;
    int r = odrv->measure(&opts, size, src, &req, &full, &err);
    bool bitmaps = src && src->drv == &bdrv_qcow2 && odrv == &bdrv_qcow2;
    bdrv_close(src);
    if (r < 0) {
        error_report_err(err);
        goto out;
    }
    if (block_opts_unused(&opts)) {
        error_report("Invalid parameter '%s'", block_opts_unused(&opts));
        goto out;
    }
    if (json) {
        printf("{\n%s    \"required\": %" PRIu64 ",\n    \"fully-allocated\": %" PRIu64
               "\n}\n", bitmaps ? "    \"bitmaps\": 0,\n" : "", req, full);
    } else {
        printf("required size: %" PRIu64 "\nfully allocated size: %" PRIu64 "\n", req, full);
        if (bitmaps)
            printf("bitmaps size: 0\n");
    }
    ret = 0;
out:
    block_opts_free(&opts);
    return ret;
}

/* ---- amend ------------------------------------------------------------------ */

static int img_amend(int argc, char **argv)
{
    const char *fmt = NULL;
    BlockOpts opts = { 0 };
    int c, ret = 1;
    bool have = false;
    static const struct option lo[] = { { "help", no_argument, 0, 'h' },
                                        { "force", no_argument, 0, 'F' },
                                        { 0, 0, 0, 0 } };
    while ((c = getopt_long(argc, argv, ":ho:f:t:pq", lo, NULL)) != -1) {
        switch (c) {
        case 'f': fmt = optarg; break;
        case 'o': {
            Error *err = NULL;
            have = true;
            if (block_opts_parse(&opts, optarg, &err) < 0) {
                error_report_err(err);
                goto out;
            }
            break;
        }
        case 'q': quiet = true; break;
        case 't': case 'p': case 'F': break;
        case 'h': usage(stdout); return 0;
        default: error_report("unrecognized option '%s'", argv[optind - 1]); goto out;
        }
    }
    if (!have) {
        error_report("Must specify options (-o)");
        goto out;
    }
    if (optind != argc - 1) {
        error_report("Expecting one image file name");
        goto out;
    }
    BlockDriverState *bs = img_open(argv[optind], fmt, BDRV_O_RDWR | BDRV_O_NO_BACKING);
    if (!bs)
        goto out;
    Error *err = NULL;
    if (!bs->drv->amend) {
        error_report("Format driver '%s' does not support option amendment",
                     bs->drv->format_name);
    } else if (bs->drv->amend(bs, &opts, &err) < 0) {
        error_report("Error while amending options: %s", err->msg);
        error_free(err);
    } else if (block_opts_unused(&opts)) {
        error_report("Invalid parameter '%s'", block_opts_unused(&opts));
    } else {
        ret = 0;
    }
    bdrv_close(bs);
out:
    block_opts_free(&opts);
    return ret;
}

/* ---- bench ------------------------------------------------------------------ */

static int img_bench(int argc, char **argv)
{
    const char *fmt = NULL;
    uint64_t count = 75000, depth = 64, offset = 0, bufsize = 4096, step = 0;
    bool write = false;
    int pattern = 0, c;
    static const struct option lo[] = {
        { "help", no_argument, 0, 'h' }, { "pattern", required_argument, 0, 'P' },
        { "flush-interval", required_argument, 0, 'I' }, { "no-drain", no_argument, 0, 'D' },
        { "force-share", no_argument, 0, 'U' }, { 0, 0, 0, 0 } };
    while ((c = getopt_long(argc, argv, ":hc:d:f:ni:o:qs:S:t:wU", lo, NULL)) != -1) {
        uint64_t *dst = NULL;
        switch (c) {
        case 'c': dst = &count; break;
        case 'd': dst = &depth; break;
        case 'o': dst = &offset; break;
        case 's': dst = &bufsize; break;
        case 'S': dst = &step; break;
        case 'f': fmt = optarg; break;
        case 'w': write = true; break;
        case 'P': pattern = (int)strtol(optarg, NULL, 0); break;
        case 'q': quiet = true; break;
        case 'n': case 'i': case 't': case 'I': case 'D': case 'U': break;
        case 'h': usage(stdout); return 0;
        default: error_report("unrecognized option '%s'", argv[optind - 1]); return 1;
        }
        if (dst && (block_parse_size(optarg, dst) < 0 || (dst != &offset && dst != &step && !*dst))) {
            error_report("Invalid value for -%c: '%s'", c, optarg);
            return 1;
        }
    }
    if (optind != argc - 1) {
        error_report("Expecting one image file name");
        return 1;
    }
    if (!step)
        step = bufsize;
    BlockDriverState *bs = img_open(argv[optind], fmt, write ? BDRV_O_RDWR : 0);
    if (!bs)
        return 1;
    uint64_t len = (uint64_t)bdrv_getlength(bs);
    if (bufsize > len || offset > len - bufsize) {
        error_report("The request size or offset does not fit the image (%" PRIu64
                     " bytes)", len);
        bdrv_close(bs);
        return 1;
    }
    qprintf("Sending %" PRIu64 " %s requests, %" PRIu64 " bytes each, %" PRIu64
            " in parallel (starting at offset %" PRIu64 ", step size %" PRIu64 ")\n",
            count, write ? "write" : "read", bufsize, depth, offset, step);
    uint8_t *buf = malloc(bufsize);
    if (!buf)
        pemu_abort("out of memory");
    memset(buf, pattern, bufsize);
    struct timeval t0, t1;
    gettimeofday(&t0, NULL);
    uint64_t off = offset;
    int ret = 0;
    Error *err = NULL;
    for (uint64_t i = 0; i < count; i++) {
        int r = write ? bdrv_pwrite(bs, off, bufsize, buf, &err)
                      : bdrv_pread(bs, off, bufsize, buf, &err);
        if (r < 0) {
            error_report("Failed request: %s", err->msg);
            error_free(err);
            ret = 1;
            break;
        }
        /* As qemu-img: the offset wraps around the image size, so a
         * large step visits the image in a scattered order. */
        off = (off + step) % len;
        if (off > len - bufsize)
            off = 0;
    }
    if (!ret && write && bdrv_flush(bs, &err) < 0) {
        error_report_err(err);
        ret = 1;
    }
    gettimeofday(&t1, NULL);
    if (!ret)
        qprintf("Run completed in %3.3f seconds.\n", (double)(t1.tv_sec - t0.tv_sec) +
                (double)(t1.tv_usec - t0.tv_usec) / 1e6);
    free(buf);
    bdrv_close(bs);
    return ret;
}

/* ---- io (hidden, for tests): qemu-io's write/read/discard ------------------------ */

static int img_io(int argc, char **argv)
{
    const char *fmt = NULL;
    int c;
    while ((c = getopt(argc, argv, "+f:")) != -1) {
        if (c == 'f')
            fmt = optarg;
        else
            return 1;
    }
    if (optind >= argc) {
        error_report("io: expecting an image file name");
        return 1;
    }
    BlockDriverState *bs = img_open(argv[optind++], fmt, BDRV_O_RDWR);
    if (!bs)
        return 1;
    int ret = 0;
    for (; optind < argc && !ret; optind++) {
        /* One command per argument: "write [-P pat|-z|-c] off len", "read -P
         * pat off len" (verifies), "discard off len". */
        char cmd[256], *tok[8];
        int nt = 0;
        snprintf(cmd, sizeof(cmd), "%s", argv[optind]);
        for (char *t = strtok(cmd, " "); t && nt < 8; t = strtok(NULL, " "))
            tok[nt++] = t;
        int pat = 0xcd;
        bool zero = false, comp = false;
        int i = 1;
        for (; i < nt && tok[i][0] == '-'; i++) {
            if (!strcmp(tok[i], "-P") && i + 1 < nt)
                pat = (int)strtol(tok[++i], NULL, 0);
            else if (!strcmp(tok[i], "-z"))
                zero = true;
            else if (!strcmp(tok[i], "-c"))
                comp = true;
        }
        uint64_t off, len;
        if (nt < 1 || i + 2 != nt || block_parse_size(tok[i], &off) < 0 ||
            block_parse_size(tok[i + 1], &len) < 0) {
            error_report("io: bad command '%s'", argv[optind]);
            ret = 1;
            break;
        }
        uint8_t *buf = malloc(len ? len : 1);
        if (!buf)
            pemu_abort("out of memory");
        Error *err = NULL;
        int r = 0;
        if (!strcmp(tok[0], "write")) {
            memset(buf, pat, len);
            r = zero ? bdrv_pwrite_zeroes(bs, off, len, 0, &err)
                : comp ? bdrv_pwrite_compressed(bs, off, len, buf, &err)
                       : bdrv_pwrite(bs, off, len, buf, &err);
        } else if (!strcmp(tok[0], "discard")) {
            r = bdrv_pdiscard(bs, off, len, &err);
        } else if (!strcmp(tok[0], "read")) {
            r = bdrv_pread(bs, off, len, buf, &err);
            for (uint64_t k = 0; r >= 0 && k < len; k++) {
                if (buf[k] != (uint8_t)pat) {
                    error_report("io: pattern mismatch at offset %" PRIu64 ": %#x, "
                                 "expected %#x", off + k, buf[k], pat);
                    r = -EIO;
                }
            }
        } else {
            error_report("io: unknown command '%s'", tok[0]);
            r = -EINVAL;
        }
        if (r < 0 && err) {
            error_report("io: %s: %s", argv[optind], err->msg);
            error_free(err);
        }
        free(buf);
        ret = r < 0;
    }
    bdrv_close(bs);
    return ret;
}

/* ---- main ------------------------------------------------------------------- */

static const struct {
    const char *name;
    int (*fn)(int argc, char **argv);
} commands[] = {
    { "check", img_check }, { "compare", img_compare }, { "convert", img_convert },
    { "create", img_create }, { "dd", img_dd }, { "info", img_info },
    { "map", img_map }, { "resize", img_resize }, { "snapshot", img_snapshot },
    { "rebase", img_rebase }, { "commit", img_commit }, { "measure", img_measure },
    { "amend", img_amend }, { "bench", img_bench }, { "io", img_io },
};

static const char *const unsupported[] = { "bitmap" };

int main(int argc, char **argv)
{
    error_set_progname("pemu-img");
    if (argc < 2) {
        error_report("Not enough arguments\nTry 'pemu-img --help' for more information");
        return 1;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
        printf("pemu-img version %s\n", PEMU_VERSION);
        return 0;
    }
    for (size_t i = 0; i < PEMU_ARRAY_SIZE(commands); i++) {
        if (!strcmp(cmd, commands[i].name)) {
            optind = 1;
            return commands[i].fn(argc - 1, argv + 1);
        }
    }
    for (size_t i = 0; i < PEMU_ARRAY_SIZE(unsupported); i++) {
        if (!strcmp(cmd, unsupported[i])) {
            error_report("%s: not supported yet", cmd);
            return 1;
        }
    }
    error_report("Command not found: %s\nTry 'pemu-img --help' for more information",
                 cmd);
    return 1;
}
