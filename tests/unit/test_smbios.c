/* hw/smbios.c: the entry point, the structure walk a guest does, the
 * default strings, the -smbios fields, the UUID encoding and the errors. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "hw/smbios.h"
#include "src/options.h"

static uint8_t sum(const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    while (n--)
        s = (uint8_t)(s + *p++);
    return s;
}

/* The structures as a guest walks them. */
typedef struct Walk {
    const uint8_t *s[64];
    int n;
    bool ok;
} Walk;

static Walk walk(const SmbiosTables *t)
{
    Walk w = { .ok = true };
    size_t off = 0;
    while (off < t->len && w.n < 64) {
        const uint8_t *h = t->tables + off;
        if (t->len - off < 4 || h[1] < 4 || t->len - off < h[1]) {
            w.ok = false;
            break;
        }
        w.s[w.n++] = h;
        size_t p = off + h[1];
        while (p + 1 < t->len && (t->tables[p] || t->tables[p + 1]))
            p++;
        if (p + 1 >= t->len) {
            w.ok = false;
            break;
        }
        off = p + 2;
        if (h[0] == 127)
            break;
    }
    w.ok = w.ok && off == t->len;
    return w;
}

static const uint8_t *find(const Walk *w, int type, int nth)
{
    for (int i = 0; i < w->n; i++)
        if (w->s[i][0] == type && nth-- == 0)
            return w->s[i];
    return NULL;
}

/* String `idx` (1-based) of structure h, "" for 0 or a missing one. */
static const char *string(const uint8_t *h, uint8_t idx)
{
    if (!idx)
        return "";
    const char *p = (const char *)h + h[1];
    while (--idx) {
        if (!*p)
            return "";
        p += strlen(p) + 1;
    }
    return p;
}

static const SmbiosMachine machine = {
    .cpus = 2, .cpuid_eax = 0x000663, .cpuid_edx = 0x078bfbfd, .long_mode = true,
    .below_4g = 3ull << 30, .above_4g = 30ull << 30,
    .product = "Standard PC (i440FX + PIIX, 1996)",
};

static int build(const char *const *argv, int argc, SmbiosTables *t, Error **err)
{
    OptionList o[8];
    memset(o, 0, sizeof(o));
    for (int i = 0; i < argc; i++)
        if (options_list_parse(argv[i], NULL, &o[i], err) < 0)
            return -2;
    int r = smbios_build(&machine, o, argc, t, err);
    for (int i = 0; i < argc; i++)
        options_list_free(&o[i]);
    return r;
}

TEST(entry_point_and_default_structures)
{
    SmbiosTables t;
    Error *err = NULL;
    CHECK_EQ(build(NULL, 0, &t, &err), 0);
    const uint8_t *a = t.anchor;
    CHECK(!memcmp(a, "_SM_", 4) && !memcmp(a + 0x10, "_DMI_", 5));
    CHECK_EQ(sum(a, 0x10), 0);                          /* what SeaBIOS checks */
    CHECK_EQ(sum(a + 0x10, SMBIOS_ANCHOR_SIZE - 0x10), 0);
    CHECK_EQ(a[5], 31);
    CHECK_EQ(a[6] << 8 | a[7], 0x0208);                 /* version 2.8 */
    CHECK_EQ(a[0x16] | a[0x17] << 8, t.len);
    Walk w = walk(&t);
    CHECK(w.ok);
    CHECK_EQ(a[0x1c] | a[0x1d] << 8, (unsigned)w.n);
    size_t max = 0;
    for (int i = 0; i < w.n; i++) {
        size_t len = (size_t)((i + 1 < w.n ? w.s[i + 1] : t.tables + t.len) - w.s[i]);
        max = len > max ? len : max;
    }
    CHECK_EQ(a[8] | a[9] << 8, max);
    /* no type 0 (SeaBIOS adds its own), 1, 3, two 4s, 16, two 17s (33 GiB
     * in 16 GiB DIMMs is three), two 19s, 32, 127 last */
    CHECK(find(&w, 0, 0) == NULL && find(&w, 2, 0) == NULL && find(&w, 11, 0) == NULL);
    const uint8_t *t1 = find(&w, 1, 0);
    CHECK(t1 && t1[1] == 0x1b && (t1[2] | t1[3] << 8) == 0x100);
    CHECK_STR(string(t1, t1[4]), "pemu");
    CHECK_STR(string(t1, t1[5]), "Standard PC (i440FX + PIIX, 1996)");
    CHECK_STR(string(t1, t1[6]), "pemu-" PEMU_VERSION);
    CHECK_EQ(t1[7], 0);                                 /* no serial */
    static const uint8_t zero[16];
    CHECK(!memcmp(t1 + 8, zero, 16));
    CHECK(find(&w, 3, 0) != NULL);
    const uint8_t *c1 = find(&w, 4, 1);
    CHECK(c1 && find(&w, 4, 2) == NULL);
    CHECK_STR(string(c1, c1[4]), "CPU 1");
    CHECK_EQ(c1[8] | c1[9] << 8 | c1[10] << 16, 0x000663);  /* CPUID.1 EAX, then EDX */
    CHECK_EQ(c1[12] | c1[13] << 8 | c1[14] << 16 | (uint32_t)c1[15] << 24, 0x078bfbfdu);
    CHECK_EQ(c1[0x26], 0x04);                           /* 64-bit capable */
    const uint8_t *a16 = find(&w, 16, 0);
    CHECK(a16 && (a16[0xd] | a16[0xe] << 8) == 3);
    CHECK_EQ(a16[7] | a16[8] << 8 | a16[9] << 16 | (uint32_t)a16[10] << 24, 33u << 20); /* KiB */
    const uint8_t *d0 = find(&w, 17, 0), *d2 = find(&w, 17, 2);
    CHECK(d0 && d2 && find(&w, 17, 3) == NULL);
    CHECK_EQ(d0[0xc] | d0[0xd] << 8, 16384);            /* MiB */
    CHECK_EQ(d2[0xc] | d2[0xd] << 8, 1024);
    CHECK_STR(string(d2, d2[0x10]), "DIMM 2");
    const uint8_t *m1 = find(&w, 19, 1);
    CHECK(m1 != NULL);
    /* above 4 GiB: 4 GiB .. 34 GiB - 1, in KiB */
    CHECK_EQ(m1[4] | m1[5] << 8 | m1[6] << 16 | (uint32_t)m1[7] << 24, 4u << 20);
    CHECK_EQ(m1[8] | m1[9] << 8 | m1[10] << 16 | (uint32_t)m1[11] << 24, (34u << 20) - 1);
    CHECK(find(&w, 32, 0) != NULL);
    CHECK_EQ(w.s[w.n - 1][0], 127);
    smbios_tables_free(&t);
}

TEST(fields_and_uuid)
{
    char path[64];
    snprintf(path, sizeof(path), "/tmp/pemu-smbios-%d.txt", (int)getpid());
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    fputs("from a file", f);
    fclose(f);
    char t11[128];
    snprintf(t11, sizeof(t11), "type=11,value=io.systemd.credential:a=b,path=%s", path);
    const char *argv[] = {
        "type=0,vendor=Acme BIOS,version=9.9,date=01/02/2026,release=3.4,uefi=on",
        "type=1,manufacturer=Acme,serial=SN-42,uuid=01234567-89ab-cdef-0011-223344556677,family=F",
        "type=1,product=Box,,Model 2",
        "type=2,manufacturer=Board Co",
        "type=4,sock_pfx=Socket,max-speed=3000",
        t11,
        "type=17,loc_pfx=Slot,speed=2400",
    };
    SmbiosTables t;
    Error *err = NULL;
    CHECK_EQ(build(argv, 7, &t, &err), 0);
    unlink(path);
    Walk w = walk(&t);
    CHECK(w.ok);
    CHECK_EQ(w.s[0][0], 0);                             /* type 0 first */
    const uint8_t *b0 = w.s[0];
    CHECK_STR(string(b0, b0[4]), "Acme BIOS");
    CHECK_STR(string(b0, b0[5]), "9.9");
    CHECK_STR(string(b0, b0[8]), "01/02/2026");
    CHECK(b0[0x14] == 3 && b0[0x15] == 4 && (b0[0x13] & 0x08));
    const uint8_t *t1 = find(&w, 1, 0);
    CHECK_STR(string(t1, t1[4]), "Acme");
    CHECK_STR(string(t1, t1[5]), "Box,Model 2");        /* ",," is a comma; the later option adds */
    CHECK_STR(string(t1, t1[7]), "SN-42");
    CHECK_STR(string(t1, t1[0x1a]), "F");
    /* SMBIOS 2.6+: time_low, time_mid, time_hi little-endian, the rest as is */
    static const uint8_t want[16] = { 0x67, 0x45, 0x23, 0x01, 0xab, 0x89, 0xef, 0xcd,
                                      0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77 };
    CHECK(!memcmp(t1 + 8, want, 16));
    const uint8_t *t2 = find(&w, 2, 0);
    CHECK(t2 && !strcmp(string(t2, t2[4]), "Board Co"));
    const uint8_t *c0 = find(&w, 4, 0);
    CHECK_STR(string(c0, c0[4]), "Socket 0");
    CHECK_EQ(c0[0x14] | c0[0x15] << 8, 3000);
    CHECK_EQ(c0[0x16] | c0[0x17] << 8, 2000);
    const uint8_t *o = find(&w, 11, 0);
    CHECK(o && o[4] == 2);
    CHECK_STR(string(o, 1), "io.systemd.credential:a=b");
    CHECK_STR(string(o, 2), "from a file");
    const uint8_t *d0 = find(&w, 17, 0);
    CHECK_STR(string(d0, d0[0x10]), "Slot 0");
    CHECK_EQ(d0[0x15] | d0[0x16] << 8, 2400);
    smbios_tables_free(&t);
}

TEST(bad_options_name_the_field)
{
    static const struct { const char *opt, *want; } cases[] = {
        { "type=1,colour=red", "'colour' is not a field of type 1" },
        { "type=5,vendor=x", "type=5 is not supported" },
        { "type=1,uuid=1234", "uuid=1234: expected" },
        { "type=4,max-speed=fast", "max-speed: a speed in MHz" },
        { "type=0,release=1", "release=1: expected MAJOR.MINOR" },
        { "type=0,uefi=maybe", "uefi=maybe: on or off" },
        { "file=/tmp/x.bin", "file= (binary SMBIOS tables) is not supported" },
        { "type=11,path=/nonexistent/oem", "path=/nonexistent/oem: cannot open it" },
        { "type=1,serial=", "serial= is empty" },
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        SmbiosTables t;
        Error *err = NULL;
        const char *argv[1] = { cases[i].opt };
        CHECK_EQ(build(argv, 1, &t, &err), -1);
        CHECK(err != NULL);
        if (err && !strstr(err->msg, cases[i].want))
            CHECK_STR(err->msg, cases[i].want);
        CHECK(err && !strncmp(err->msg, "-smbios ", 8));
        error_free(err);
    }
}

TEST(uuid_parser)
{
    uint8_t u[16];
    CHECK_EQ(options_parse_uuid("01234567-89AB-cdef-0011-223344556677", u), 0);
    CHECK(u[0] == 0x01 && u[4] == 0x89 && u[5] == 0xab && u[15] == 0x77);
    const char *bad[] = { "", "01234567-89ab-cdef-0011-22334455667", "01234567-89ab-cdef-0011-2233445566778",
                          "0123456789ab-cdef-0011-223344556677-", "01234567-89ab-cdef-0011_223344556677",
                          "g1234567-89ab-cdef-0011-223344556677" };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK_EQ(options_parse_uuid(bad[i], u), -1);
}
