/*
 * screendump: a console's picture as PPM (P6) or PNG.
 *
 * PNG (ISO/IEC 15948): the 8-byte signature, then chunks of
 * length(u32 BE) type(4) data crc32(type+data, BE): IHDR (width, height,
 * bit depth 8, colour type 2 = RGB, compression 0, filter 0, interlace 0),
 * IDAT (a zlib stream of the rows, each preceded by its filter type byte,
 * 0 = none here) and IEND.
 */
#include "ui/display.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

int screendump_parse_format(const char *format, const char *filename, ScreendumpFormat *fmt,
                            Error **errp)
{
    if (format && *format) {
        if (!strcmp(format, "ppm")) {
            *fmt = SCREENDUMP_PPM;
        } else if (!strcmp(format, "png")) {
            *fmt = SCREENDUMP_PNG;
        } else {
            error_setg(errp, "screendump: unknown format '%s' (use ppm or png)", format);
            return -1;
        }
        return 0;
    }
    size_t n = filename ? strlen(filename) : 0;
    *fmt = SCREENDUMP_PPM;
    if (n >= 4 && filename[n - 4] == '.' && tolower((unsigned char)filename[n - 3]) == 'p' &&
        tolower((unsigned char)filename[n - 2]) == 'n' &&
        tolower((unsigned char)filename[n - 1]) == 'g')
        *fmt = SCREENDUMP_PNG;
    return 0;
}

static void rgb_row(const DisplaySurface *s, int y, uint8_t *out)
{
    const uint32_t *p = display_surface_row(s, y);
    for (int x = 0; x < s->width; x++) {
        out[3 * x] = (uint8_t)(p[x] >> 16);
        out[3 * x + 1] = (uint8_t)(p[x] >> 8);
        out[3 * x + 2] = (uint8_t)p[x];
    }
}

static int write_ppm(const DisplaySurface *s, FILE *f)
{
    uint8_t *row = malloc((size_t)s->width * 3);
    if (!row)
        return -1;
    int ok = fprintf(f, "P6\n%d %d\n255\n", s->width, s->height) > 0;
    for (int y = 0; ok && y < s->height; y++) {
        rgb_row(s, y, row);
        ok = fwrite(row, 3, (size_t)s->width, f) == (size_t)s->width;
    }
    free(row);
    return ok ? 0 : -1;
}

static int png_chunk(FILE *f, const char *type, const uint8_t *data, uint32_t len)
{
    uint8_t hdr[8], tail[4];
    st32_be(hdr, len);
    memcpy(hdr + 4, type, 4);
    uLong crc = crc32(0L, Z_NULL, 0);
    crc = crc32(crc, (const Bytef *)type, 4);
    if (len)
        crc = crc32(crc, data, len);
    st32_be(tail, (uint32_t)crc);
    return fwrite(hdr, 1, 8, f) == 8 && (!len || fwrite(data, 1, len, f) == len) &&
                   fwrite(tail, 1, 4, f) == 4
               ? 0
               : -1;
}

static int write_png(const DisplaySurface *s, FILE *f)
{
    static const uint8_t sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
    uint8_t ihdr[13];
    st32_be(ihdr, (uint32_t)s->width);
    st32_be(ihdr + 4, (uint32_t)s->height);
    ihdr[8] = 8;  /* bit depth */
    ihdr[9] = 2;  /* colour type: RGB */
    ihdr[10] = 0; /* deflate */
    ihdr[11] = 0; /* adaptive filtering, per-row filter byte */
    ihdr[12] = 0; /* no interlace */
    if (fwrite(sig, 1, 8, f) != 8 || png_chunk(f, "IHDR", ihdr, 13))
        return -1;

    enum { OUT = 65536 };
    size_t rowlen = 1 + (size_t)s->width * 3;
    uint8_t *row = malloc(rowlen), *out = malloc(OUT);
    z_stream z;
    memset(&z, 0, sizeof(z));
    int rc = -1;
    if (!row || !out || deflateInit(&z, 6) != Z_OK)
        goto done_nostream;
    for (int y = 0; y <= s->height; y++) {
        int flush = y == s->height ? Z_FINISH : Z_NO_FLUSH;
        if (y < s->height) {
            row[0] = 0; /* filter: none */
            rgb_row(s, y, row + 1);
            z.next_in = row;
            z.avail_in = (uInt)rowlen;
        }
        int zr;
        do {
            z.next_out = out;
            z.avail_out = OUT;
            zr = deflate(&z, flush);
            if (zr == Z_STREAM_ERROR)
                goto done;
            uint32_t have = OUT - z.avail_out;
            if (have && png_chunk(f, "IDAT", out, have))
                goto done;
        } while (z.avail_out == 0 || (flush == Z_FINISH && zr != Z_STREAM_END));
    }
    rc = png_chunk(f, "IEND", NULL, 0);
done:
    deflateEnd(&z);
done_nostream:
    free(row);
    free(out);
    return rc;
}

int screendump_write_surface(const DisplaySurface *s, FILE *f, ScreendumpFormat fmt,
                             Error **errp)
{
    int rc = fmt == SCREENDUMP_PNG ? write_png(s, f) : write_ppm(s, f);
    if (rc || ferror(f)) {
        error_setg(errp, "screendump: write failed: %s", errno ? strerror(errno) : "I/O error");
        return -1;
    }
    return 0;
}

int screendump_console(Console *con, const char *filename, const char *format, Error **errp)
{
    ScreendumpFormat fmt;
    if (screendump_parse_format(format, filename, &fmt, errp))
        return -1;
    if (!con) {
        error_setg(errp, "screendump: there is no display (no graphics device)");
        return -1;
    }
    console_update(con);
    DisplaySurface *s = console_surface(con), *tmp = NULL;
    ConsoleText *t = console_text(con);
    if (t) {
        int w, h;
        console_text_pixel_size(t, &w, &h);
        tmp = display_surface_new(w, h, errp);
        if (!tmp)
            return -1;
        console_text_render(t, tmp, 0, 0, t->cols, t->rows, true, true);
        s = tmp;
    }
    if (!s) {
        error_setg(errp, "screendump: console '%s' shows nothing yet", console_name(con));
        return -1;
    }
    FILE *f = fopen(filename, "wb");
    if (!f) {
        error_setg(errp, "screendump: cannot create '%s': %s", filename, strerror(errno));
        display_surface_free(tmp);
        return -1;
    }
    errno = 0;
    Error *err = NULL;
    int rc = screendump_write_surface(s, f, fmt, &err);
    if (fclose(f) && !rc)
        rc = -1;
    if (rc)
        error_setg(errp, "screendump: cannot write '%s': %s", filename,
                   errno ? strerror(errno) : "I/O error");
    error_free(err);
    if (rc)
        remove(filename);
    display_surface_free(tmp);
    return rc;
}
