/* Firmware search path and loading. */
#include "src/firmware.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef PEMU_PREFIX
#define PEMU_PREFIX "/usr/local"
#endif

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (!p)
        pemu_abort("out of memory");
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static int is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* `dir/name` if it is a file (malloc'd); otherwise note dir in the searched list. */
static char *try_dir(const char *dir, const char *name, char *searched, size_t size, size_t *used)
{
    char *p = join(dir, name);
    if (is_file(p))
        return p;
    free(p);
    if (*used < size) {
        *used += (size_t)snprintf(searched + *used, size - *used, "%s%s", *used ? ", " : "", dir);
        if (*used >= size)
            *used = size - 1;
    }
    return NULL;
}

char *firmware_find(const char *name, char *const *dirs, int ndirs, const char *package,
                    Error **errp)
{
    static const char *const builtin[] = { "/usr/share/seabios", "/usr/share/qemu",
                                           PEMU_PREFIX "/share/pemu" };
    char searched[2048] = "";
    size_t used = 0;
    char *p;

    if (strchr(name, '/')) {
        if (is_file(name))
            return strdup(name);
        error_setg(errp, "could not load firmware '%s': %s", name, strerror(errno ? errno : ENOENT));
        return NULL;
    }
    for (int i = 0; i < ndirs; i++)
        if ((p = try_dir(dirs[i], name, searched, sizeof(searched), &used)))
            return p;
    const char *env = getenv("PEMU_FIRMWARE_PATH");
    if (env && *env) {
        char *copy = strdup(env), *save = NULL;
        for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
            if ((p = try_dir(d, name, searched, sizeof(searched), &used))) {
                free(copy);
                return p;
            }
        }
        free(copy);
    }
    for (size_t i = 0; i < PEMU_ARRAY_SIZE(builtin); i++)
        if ((p = try_dir(builtin[i], name, searched, sizeof(searched), &used)))
            return p;
    if (package)
        error_setg(errp, "could not find firmware '%s' (looked in %s): install the Debian package "
                   "'%s' (apt-get install %s), or give its directory with -L DIR or "
                   "PEMU_FIRMWARE_PATH", name, searched, package, package);
    else
        error_setg(errp, "could not find firmware '%s' (looked in %s): give its directory with "
                   "-L DIR or PEMU_FIRMWARE_PATH", name, searched);
    return NULL;
}

uint8_t *firmware_load(const char *path, uint64_t max_size, uint64_t *len, Error **errp)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        error_setg(errp, "could not load firmware '%s': %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(f), &st) < 0 || st.st_size <= 0 || (uint64_t)st.st_size > max_size) {
        error_setg(errp, "firmware '%s': size %lld is not between 1 byte and %llu bytes", path,
                   (long long)st.st_size, (unsigned long long)max_size);
        fclose(f);
        return NULL;
    }
    uint8_t *data = malloc((size_t)st.st_size);
    if (!data)
        pemu_abort("out of memory");
    if (fread(data, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
        error_setg(errp, "could not read firmware '%s'", path);
        free(data);
        fclose(f);
        return NULL;
    }
    fclose(f);
    *len = (uint64_t)st.st_size;
    return data;
}
