/*
 * Finding firmware files (bios.bin, vgabios-stdvga.bin, option ROMs).
 * Search order, as DESIGN.md says: a path given with -bios (used as is),
 * the -L directories in order, $PEMU_FIRMWARE_PATH (colon-separated),
 * /usr/share/seabios, /usr/share/qemu, and <prefix>/share/pemu.
 */
#ifndef PEMU_FIRMWARE_H
#define PEMU_FIRMWARE_H

#include <stdint.h>
#include "src/error.h"

/*
 * The path of firmware file `name` (malloc'd), or NULL with an error that
 * names the file, where it was looked for and the Debian package that
 * provides it (`package` may be NULL).
 */
char *firmware_find(const char *name, char *const *dirs, int ndirs, const char *package,
                    Error **errp);
/* Read a whole firmware file: malloc'd data, size in *len. */
uint8_t *firmware_load(const char *path, uint64_t max_size, uint64_t *len, Error **errp);

#endif
