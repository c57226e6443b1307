/*
 * SMBIOS 2.8 structures (see smbios.h). Each structure is a formatted
 * area (type, length, handle, fields, little-endian) followed by its
 * strings, each NUL-terminated, and one more NUL; a structure with no
 * strings ends in two NULs. A string field holds the 1-based index of its
 * string, 0 for none. Handles follow QEMU's plan: type t, instance i ->
 * t * 0x100 + i.
 *
 * What is built (DSP0134 2.8 section numbers):
 *   0  BIOS (7.1)          only with -smbios type=0: otherwise SeaBIOS adds
 *                          its own (vendor SeaBIOS, its version and date)
 *   1  system (7.2)        manufacturer pemu, product, version, UUID
 *   2  baseboard (7.3)     only with -smbios type=2
 *   3  chassis (7.4)       type "other"
 *   4  processor (7.5)     one per CPU, socket "CPU n", CPUID.1 as the ID
 *   11 OEM strings (7.12)  -smbios type=11,value=...,path=...
 *   16 memory array (7.17), 17 memory devices (7.18) of up to 16 GiB,
 *   19 array mapped addresses (7.20) below and above 4 GiB,
 *   32 boot information (7.33), 127 end of table (7.45)
 */
#include "hw/smbios.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ports/host.h"

#define KIB 1024ull
#define MIB (1024ull * 1024)
#define DIMM_MAX (16ull << 30)     /* one type 17 per 16 GiB, as QEMU */

/* ---- the -smbios fields of each type ---------------------------------------- */

typedef struct Fields {
    int type;
    const char *const *keys;
} Fields;

static const char *const t0_keys[] = { "vendor", "version", "date", "release", "uefi", NULL };
static const char *const t1_keys[] = { "manufacturer", "product", "version", "serial", "uuid",
                                       "sku", "family", NULL };
static const char *const t2_keys[] = { "manufacturer", "product", "version", "serial", "asset",
                                       "location", NULL };
static const char *const t3_keys[] = { "manufacturer", "version", "serial", "asset", "sku", NULL };
static const char *const t4_keys[] = { "sock_pfx", "manufacturer", "version", "serial", "asset",
                                       "part", "max-speed", "current-speed", "processor-id", NULL };
static const char *const t11_keys[] = { "value", "path", NULL };
static const char *const t17_keys[] = { "loc_pfx", "bank", "manufacturer", "serial", "asset",
                                        "part", "speed", NULL };
static const Fields fields[] = {
    { 0, t0_keys }, { 1, t1_keys }, { 2, t2_keys }, { 3, t3_keys },
    { 4, t4_keys }, { 11, t11_keys }, { 17, t17_keys },
};

static const Fields *fields_of(int type)
{
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        if (fields[i].type == type)
            return &fields[i];
    return NULL;
}

/* The last value given for (type, key) across all -smbios options, or dflt. */
static const char *field(const OptionList *opts, int nopts, int type, const char *key,
                         const char *dflt)
{
    const char *v = dflt;
    for (int i = 0; i < nopts; i++) {
        if (atoi(options_list_get(&opts[i], "type")) != type)
            continue;
        const char *x = options_list_get(&opts[i], key);
        if (x)
            v = x;
    }
    return v;
}

static bool given(const OptionList *opts, int nopts, int type)
{
    for (int i = 0; i < nopts; i++)
        if (atoi(options_list_get(&opts[i], "type")) == type)
            return true;
    return false;
}

static char *opt_text(const OptionList *o)
{
    size_t n = 1;
    for (int i = 0; i < o->n; i++)
        n += strlen(o->v[i].key) + strlen(o->v[i].value) + 2;
    char *s = malloc(n), *p = s;
    if (!s)
        return NULL;
    *p = 0;
    for (int i = 0; i < o->n; i++)
        p += sprintf(p, "%s%s=%s", i ? "," : "", o->v[i].key, o->v[i].value);
    return s;
}

static int bad_option(Error **errp, const OptionList *o, const char *fmt, const char *what)
{
    char *t = opt_text(o);
    char msg[256];
    snprintf(msg, sizeof(msg), fmt, what);
    error_setg(errp, "-smbios %s: %s", t ? t : "", msg);
    free(t);
    return -1;
}

static bool parse_uint(const char *s, unsigned long max, unsigned long *v)
{
    char *end;
    if (!s || !*s || *s == '-')
        return false;
    *v = strtoul(s, &end, 0);
    return !*end && *v <= max;
}

/* Every option names a known type and only that type's fields, with values
 * that parse. */
static int check_options(const OptionList *opts, int nopts, Error **errp)
{
    for (int i = 0; i < nopts; i++) {
        const OptionList *o = &opts[i];
        const char *t = options_list_get(o, "type");
        if (options_list_get(o, "file"))
            return bad_option(errp, o, "%s", "file= (binary SMBIOS tables) is not supported: "
                              "give the fields with type=N,...");
        unsigned long type;
        const Fields *f = NULL;
        if (!t)
            return bad_option(errp, o, "%s", "type= is missing (0, 1, 2, 3, 4, 11 or 17)");
        if (!parse_uint(t, 255, &type) || !(f = fields_of((int)type)))
            return bad_option(errp, o, "type=%s is not supported (0, 1, 2, 3, 4, 11 or 17)", t);
        for (int k = 0; k < o->n; k++) {
            const char *key = o->v[k].key, *val = o->v[k].value;
            if (!strcmp(key, "type"))
                continue;
            bool known = false;
            for (const char *const *kk = f->keys; *kk; kk++)
                known |= !strcmp(*kk, key);
            if (!known) {
                char list[256] = "";
                for (const char *const *kk = f->keys; *kk; kk++)
                    snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
                             kk == f->keys ? "" : ", ", *kk);
                char what[320];
                snprintf(what, sizeof(what), "'%s' is not a field of type %lu (it has %s)", key,
                         type, list);
                return bad_option(errp, o, "%s", what);
            }
            unsigned long n;
            if ((!strcmp(key, "max-speed") || !strcmp(key, "current-speed") ||
                 !strcmp(key, "speed")) && !parse_uint(val, 0xffff, &n))
                return bad_option(errp, o, "%s: a speed in MHz, 0 to 65535", key);
            if (!strcmp(key, "processor-id") && !parse_uint(val, ~0ul, &n))
                return bad_option(errp, o, "%s: a number", key);
            if (!strcmp(key, "uuid")) {
                uint8_t u[16];
                if (options_parse_uuid(val, u) < 0)
                    return bad_option(errp, o, "uuid=%s: expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", val);
            }
            if (!strcmp(key, "uefi") && strcmp(val, "on") && strcmp(val, "off"))
                return bad_option(errp, o, "uefi=%s: on or off", val);
            if (!strcmp(key, "release")) {
                unsigned a, b;
                char c;
                if (sscanf(val, "%u.%u%c", &a, &b, &c) != 2 || a > 255 || b > 255)
                    return bad_option(errp, o, "release=%s: expected MAJOR.MINOR (0-255 each)", val);
            }
            if (!*val && strcmp(key, "value"))
                return bad_option(errp, o, "%s= is empty", key);
        }
    }
    return 0;
}

/* ---- building structures ---------------------------------------------------------- */

typedef struct Buf {
    uint8_t *p;
    size_t len, cap;
    bool oom;
    unsigned count;            /* structures */
    size_t max_size;           /* the largest structure, strings included */
    /* the structure being built */
    size_t start;
    uint8_t nstr;
} Buf;

static uint8_t *grow(Buf *b, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 1024;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return NULL;
        }
        b->p = p;
        b->cap = cap;
    }
    uint8_t *r = b->p + b->len;
    memset(r, 0, n);
    b->len += n;
    return r;
}

/* Start a structure: the formatted area of `len` bytes, zeroed. */
static void begin(Buf *b, uint8_t type, uint8_t len, uint16_t handle)
{
    b->start = b->len;
    b->nstr = 0;
    uint8_t *h = grow(b, len);
    if (!h)
        return;
    h[0] = type;
    h[1] = len;
    st16_le(h + 2, handle);
}

static void set8(Buf *b, unsigned off, uint8_t v)
{
    if (!b->oom)
        b->p[b->start + off] = v;
}

static void set16(Buf *b, unsigned off, uint16_t v)
{
    if (!b->oom)
        st16_le(b->p + b->start + off, v);
}

static void set32(Buf *b, unsigned off, uint32_t v)
{
    if (!b->oom)
        st32_le(b->p + b->start + off, v);
}

static void set64(Buf *b, unsigned off, uint64_t v)
{
    if (!b->oom)
        st64_le(b->p + b->start + off, v);
}

/* String field at off: appended to the string set, or index 0 when s is NULL or empty. */
static void str(Buf *b, unsigned off, const char *s)
{
    if (!s || !*s || b->oom)
        return;
    size_t n = strlen(s) + 1;
    uint8_t *d = grow(b, n);
    if (!d)
        return;
    memcpy(d, s, n);
    set8(b, off, ++b->nstr);
}

static void end(Buf *b)
{
    grow(b, b->nstr ? 1 : 2);
    if (b->oom)
        return;
    b->count++;
    if (b->len - b->start > b->max_size)
        b->max_size = b->len - b->start;
}

static uint8_t checksum(const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    while (n--)
        s = (uint8_t)(s + *p++);
    return s;
}

/* SMBIOS 2.6+ stores the UUID's first three fields little-endian (7.2.1). */
static void uuid_field(Buf *b, unsigned off, const uint8_t *u)
{
    static const uint8_t zero[16];
    if (!u)
        u = zero;
    const uint8_t swapped[16] = { u[3], u[2], u[1], u[0], u[5], u[4], u[7], u[6],
                                  u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15] };
    for (unsigned i = 0; i < 16; i++)
        set8(b, off + i, swapped[i]);
}

/* The contents of file `path` for a type 11 string, or NULL with *errp. */
static char *read_text(const char *path, Error **errp)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        error_setg(errp, "-smbios type=11,path=%s: cannot open it", path);
        return NULL;
    }
    char *s = malloc(65536);
    size_t n = s ? fread(s, 1, 65535, f) : 0;
    bool big = s && !feof(f);
    fclose(f);
    if (!s || big || memchr(s, 0, n)) {
        free(s);
        error_setg(errp, "-smbios type=11,path=%s: a string of text under 64 KiB is expected", path);
        return NULL;
    }
    s[n] = 0;
    return s;
}

int smbios_build(const SmbiosMachine *m, const OptionList *opts, int nopts, SmbiosTables *out,
                 Error **errp)
{
    memset(out, 0, sizeof(*out));
    if (check_options(opts, nopts, errp) < 0)
        return -1;
    Buf b = { 0 };
    char version[32];
    snprintf(version, sizeof(version), "pemu-%s", PEMU_VERSION);
#define F(type, key, dflt) field(opts, nopts, type, key, dflt)

    if (given(opts, nopts, 0)) {        /* 7.1 BIOS information, 2.4+ layout */
        begin(&b, 0, 0x18, 0x000);
        str(&b, 0x04, F(0, "vendor", NULL));
        str(&b, 0x05, F(0, "version", NULL));
        set16(&b, 0x06, 0xe800);        /* starting segment, as SeaBIOS says */
        str(&b, 0x08, F(0, "date", NULL));
        set8(&b, 0x0a, 0x08);           /* characteristics: not supported */
        set8(&b, 0x13, 0x04 | (strcmp(F(0, "uefi", "off"), "on") ? 0 : 0x08));
        unsigned maj = 0, min = 0;
        if (sscanf(F(0, "release", "0.0"), "%u.%u", &maj, &min) == 2) {
            set8(&b, 0x14, (uint8_t)maj);
            set8(&b, 0x15, (uint8_t)min);
        }
        set8(&b, 0x16, 0xff);           /* no embedded controller */
        set8(&b, 0x17, 0xff);
        end(&b);
    }

    /* 7.2 system information */
    begin(&b, 1, 0x1b, 0x100);
    str(&b, 0x04, F(1, "manufacturer", "pemu"));
    str(&b, 0x05, F(1, "product", m->product));
    str(&b, 0x06, F(1, "version", version));
    str(&b, 0x07, F(1, "serial", NULL));
    uint8_t u[16];
    const char *us = F(1, "uuid", NULL);
    uuid_field(&b, 0x08, us && options_parse_uuid(us, u) == 0 ? u : m->uuid);
    set8(&b, 0x18, 0x06);               /* wake-up type: power switch */
    str(&b, 0x19, F(1, "sku", NULL));
    str(&b, 0x1a, F(1, "family", NULL));
    end(&b);

    if (given(opts, nopts, 2)) {        /* 7.3 baseboard */
        begin(&b, 2, 0x0f, 0x200);
        str(&b, 0x04, F(2, "manufacturer", "pemu"));
        str(&b, 0x05, F(2, "product", m->product));
        str(&b, 0x06, F(2, "version", version));
        str(&b, 0x07, F(2, "serial", NULL));
        str(&b, 0x08, F(2, "asset", NULL));
        set8(&b, 0x09, 0x01);           /* a hosting board */
        str(&b, 0x0a, F(2, "location", NULL));
        set16(&b, 0x0b, 0x300);         /* in the chassis */
        set8(&b, 0x0d, 0x0a);           /* motherboard */
        end(&b);
    }

    /* 7.4 chassis */
    begin(&b, 3, 0x16, 0x300);
    str(&b, 0x04, F(3, "manufacturer", "pemu"));
    set8(&b, 0x05, 0x01);               /* other */
    str(&b, 0x06, F(3, "version", version));
    str(&b, 0x07, F(3, "serial", NULL));
    str(&b, 0x08, F(3, "asset", NULL));
    set8(&b, 0x09, 0x03);               /* boot-up, power supply, thermal state: safe */
    set8(&b, 0x0a, 0x03);
    set8(&b, 0x0b, 0x03);
    set8(&b, 0x0c, 0x02);               /* security: unknown */
    str(&b, 0x15, F(3, "sku", NULL));
    end(&b);

    /* 7.5 processors */
    unsigned long maxs = strtoul(F(4, "max-speed", "2000"), NULL, 0);
    unsigned long curs = strtoul(F(4, "current-speed", "2000"), NULL, 0);
    const char *pid = F(4, "processor-id", NULL);
    uint64_t id = pid ? strtoull(pid, NULL, 0) : ((uint64_t)m->cpuid_edx << 32 | m->cpuid_eax);
    for (unsigned i = 0; i < m->cpus; i++) {
        char sock[64];
        snprintf(sock, sizeof(sock), "%s %u", F(4, "sock_pfx", "CPU"), i);
        begin(&b, 4, 0x2a, (uint16_t)(0x400 + i));
        str(&b, 0x04, sock);
        set8(&b, 0x05, 0x03);           /* central processor */
        set8(&b, 0x06, 0x01);           /* family: other */
        str(&b, 0x07, F(4, "manufacturer", "pemu"));
        set64(&b, 0x08, id);
        str(&b, 0x10, F(4, "version", version));
        set16(&b, 0x14, (uint16_t)maxs);
        set16(&b, 0x16, (uint16_t)curs);
        set8(&b, 0x18, 0x41);           /* socket populated, CPU enabled */
        set8(&b, 0x19, 0x01);           /* upgrade: other */
        set16(&b, 0x1a, 0xffff);        /* no cache structures */
        set16(&b, 0x1c, 0xffff);
        set16(&b, 0x1e, 0xffff);
        str(&b, 0x20, F(4, "serial", NULL));
        str(&b, 0x21, F(4, "asset", NULL));
        str(&b, 0x22, F(4, "part", NULL));
        set8(&b, 0x23, 1);              /* cores, enabled cores, threads */
        set8(&b, 0x24, 1);
        set8(&b, 0x25, 1);
        set16(&b, 0x26, m->long_mode ? 0x0004 : 0x0002); /* 64-bit capable, or unknown */
        set16(&b, 0x28, 0x0001);        /* family 2: other */
        end(&b);
    }

    /* 7.12 OEM strings: every value= and path= of every type 11 option, in order */
    if (given(opts, nopts, 11)) {
        begin(&b, 11, 0x05, 0xb00);
        unsigned n = 0;
        for (int i = 0; i < nopts; i++) {
            if (atoi(options_list_get(&opts[i], "type")) != 11)
                continue;
            for (int k = 0; k < opts[i].n; k++) {
                const OptionPair *pr = &opts[i].v[k];
                char *text = NULL;
                const char *s = pr->value;
                if (!strcmp(pr->key, "path")) {
                    text = read_text(pr->value, errp);
                    if (!text) {
                        free(b.p);
                        return -1;
                    }
                    s = text;
                } else if (strcmp(pr->key, "value")) {
                    continue;
                }
                /* an empty string cannot be stored; a single space stands for it */
                str(&b, 0x04, *s ? s : " ");
                free(text);
                n++;
            }
        }
        set8(&b, 0x04, (uint8_t)n);
        end(&b);
    }

    /* 7.17 the memory array, 7.18 its devices, 7.20 its address ranges */
    uint64_t ram = m->below_4g + m->above_4g;
    unsigned ndimm = (unsigned)((ram + DIMM_MAX - 1) / DIMM_MAX);
    begin(&b, 16, 0x17, 0x1000);
    set8(&b, 0x04, 0x01);               /* location: other */
    set8(&b, 0x05, 0x03);               /* use: system memory */
    set8(&b, 0x06, 0x06);               /* error correction: multi-bit ECC */
    if (ram / KIB < 0x80000000ull) {
        set32(&b, 0x07, (uint32_t)(ram / KIB));
    } else {
        set32(&b, 0x07, 0x80000000u);
        set64(&b, 0x0f, ram);
    }
    set16(&b, 0x0b, 0xfffe);            /* no error information */
    set16(&b, 0x0d, (uint16_t)ndimm);
    end(&b);
    for (unsigned i = 0; i < ndimm; i++) {
        uint64_t size = i + 1 < ndimm ? DIMM_MAX : ram - (uint64_t)i * DIMM_MAX;
        uint64_t mb = size / MIB;
        char loc[64];
        snprintf(loc, sizeof(loc), "%s %u", F(17, "loc_pfx", "DIMM"), i);
        begin(&b, 17, 0x28, (uint16_t)(0x1100 + i));
        set16(&b, 0x04, 0x1000);
        set16(&b, 0x06, 0xfffe);
        set16(&b, 0x08, 0xffff);        /* total and data width unknown */
        set16(&b, 0x0a, 0xffff);
        if (mb < 0x7fff) {
            set16(&b, 0x0c, (uint16_t)mb);
        } else {
            set16(&b, 0x0c, 0x7fff);
            set32(&b, 0x1c, (uint32_t)mb);
        }
        set8(&b, 0x0e, 0x09);           /* DIMM */
        str(&b, 0x10, loc);
        str(&b, 0x11, F(17, "bank", NULL));
        set8(&b, 0x12, 0x07);           /* RAM */
        set16(&b, 0x13, 0x0002);        /* detail: other */
        set16(&b, 0x15, (uint16_t)strtoul(F(17, "speed", "0"), NULL, 0));
        str(&b, 0x17, F(17, "manufacturer", "pemu"));
        str(&b, 0x18, F(17, "serial", NULL));
        str(&b, 0x19, F(17, "asset", NULL));
        str(&b, 0x1a, F(17, "part", NULL));
        end(&b);
    }
    const struct { uint64_t start, size; } ranges[2] = { { 0, m->below_4g },
                                                         { 1ull << 32, m->above_4g } };
    for (unsigned i = 0; i < 2; i++) {
        if (!ranges[i].size)
            continue;
        uint64_t first = ranges[i].start, last = ranges[i].start + ranges[i].size - 1;
        begin(&b, 19, 0x1f, (uint16_t)(0x1300 + i));
        if (last / KIB < 0xffffffffull) {
            set32(&b, 0x04, (uint32_t)(first / KIB));
            set32(&b, 0x08, (uint32_t)(last / KIB));
        } else {
            set32(&b, 0x04, 0xffffffffu);
            set32(&b, 0x08, 0xffffffffu);
            set64(&b, 0x0f, first);
            set64(&b, 0x17, last);
        }
        set16(&b, 0x0c, 0x1000);
        set8(&b, 0x0e, (uint8_t)ndimm);
        end(&b);
    }

    begin(&b, 32, 0x0b, 0x2000);        /* 7.33: no errors detected */
    end(&b);
    begin(&b, 127, 0x04, 0x7f00);
    end(&b);
#undef F
    if (b.oom || b.len > 0xffff) {
        free(b.p);
        error_setg(errp, "-smbios: the tables do not fit in 64 KiB (%zu bytes)", b.len);
        return -1;
    }

    /* 2.1 entry point (5.2.1): the firmware sets the table address and
     * fixes the checksums after it places the tables. */
    uint8_t *a = out->anchor;
    memcpy(a, "_SM_", 4);
    a[5] = SMBIOS_ANCHOR_SIZE;
    a[6] = 2;
    a[7] = 8;
    st16_le(a + 8, (uint16_t)b.max_size);
    memcpy(a + 0x10, "_DMI_", 5);
    st16_le(a + 0x16, (uint16_t)b.len);
    st16_le(a + 0x1c, (uint16_t)b.count);
    a[0x1e] = 0x28;
    a[0x15] = (uint8_t)-checksum(a + 0x10, SMBIOS_ANCHOR_SIZE - 0x10);
    a[4] = (uint8_t)-checksum(a, SMBIOS_ANCHOR_SIZE);
    out->tables = b.p;
    out->len = b.len;
    return 0;
}

void smbios_tables_free(SmbiosTables *t)
{
    free(t->tables);
    t->tables = NULL;
    t->len = 0;
}
