/*
 * Replays the fuzzers' inputs (tests/fuzz/regress/<fmt>/: inputs that
 * once crashed pemu; tests/fuzz/corpus/<fmt>/: the seeds) through the
 * same code the libFuzzer harness runs. Each must open cleanly or fail
 * with a message that names the file; under make check SANITIZE=1 any
 * memory error is caught as well.
 */
#define FUZZ_NO_MAIN 1
#include "unit.h"
#include "tests/fuzz/fuzz_img.c"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>

static const char *const formats[] = { "qcow2", "qcow", "vmdk", "vdi", "vpc" };

static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *b = malloc(1 << 20);
    *n = b ? fread(b, 1, 1 << 20, f) : 0;
    fclose(f);
    return b;
}

/* Replay every file of dir/<fmt>; returns the number replayed, -1 on a
 * failed expectation. */
static int replay(const char *kind, const char *fmt)
{
    const char *src = getenv("PEMU_SRC");
    char dir[1024], path[2048];
    snprintf(dir, sizeof(dir), "%s/tests/fuzz/%s/%s", src ? src : ".", kind, fmt);
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl = { 256u << 20, 256u << 20 };
    setrlimit(RLIMIT_FSIZE, &rl);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        size_t len;
        uint8_t *data = slurp(path, &len);
        if (!data)
            continue;
        for (int probe = 0; probe < 2; probe++)
            fuzz_img_one(probe ? "" : fmt, data, len, unit_tmpdir());
        /* The harness left the input in <tmp>/img: open it once more and
         * look at the error, if any. */
        char img[600];
        snprintf(img, sizeof(img), "%s/img", unit_tmpdir());
        FILE *f = fopen(img, "wb");
        if (f) {
            fwrite(data, 1, len, f);
            fclose(f);
        }
        Error *err = NULL;
        BlockDriverState *bs = names_are_local(data, len) || strcmp(fmt, "vmdk")
                               ? bdrv_open(img, fmt, BDRV_O_NO_BACKING, &err) : NULL;
        bool ok = bs || !err || strstr(err->msg, img);
        if (!ok)
            fprintf(stderr, "%s: error does not name the file: %s\n", path, err->msg);
        error_free(err);
        bdrv_close(bs);
        free(data);
        if (!ok) {
            closedir(d);
            return -1;
        }
        n++;
    }
    closedir(d);
    return n;
}

TEST(regression_inputs)
{
    int total = 0;
    for (size_t i = 0; i < PEMU_ARRAY_SIZE(formats); i++) {
        int n = replay("regress", formats[i]);
        CHECK(n >= 0);
        total += n;
    }
    printf("# %d regression inputs\n", total);
}

TEST(seed_corpus)
{
    int total = 0;
    for (size_t i = 0; i < PEMU_ARRAY_SIZE(formats); i++) {
        int n = replay("corpus", formats[i]);
        CHECK(n >= 0);
        total += n;
    }
    CHECK(total >= 10);     /* the seeds are there (PEMU_SRC is right) */
}
