/* Device state tables: the registry, the stream writer and the checking reader. */
#include "src/vmstate.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ports/host.h"
#include "src/timer.h"

#define VMS_MAGIC "PEMUVMS\n"
#define VMS_FORMAT 1
#define TAG_SECTION 'S'
#define TAG_END 'E'
#define TAG_FIELD 'F'
#define TAG_FIELDS_END 0
#define VMS_MAX_DEPTH 16
#define VMS_READ_CHUNK (1u << 20)

/* ---- streams -------------------------------------------------------------- */

struct VMStream {
    FILE *f;                /* file stream, or NULL for memory */
    uint8_t *buf;           /* memory stream being written (owned) */
    const uint8_t *rdata;   /* memory stream being read (not owned) */
    size_t len, cap, pos;
};

static VMStream *stream_alloc(void)
{
    VMStream *s = calloc(1, sizeof(*s));
    if (!s)
        pemu_abort("out of memory");
    return s;
}

VMStream *vmstate_mem_stream_new(void)
{
    return stream_alloc();
}

VMStream *vmstate_mem_stream_open(const void *data, size_t len)
{
    VMStream *s = stream_alloc();
    s->rdata = data;
    s->len = len;
    return s;
}

VMStream *vmstate_file_stream_new(FILE *f)
{
    VMStream *s = stream_alloc();
    s->f = f;
    return s;
}

const uint8_t *vmstate_stream_data(const VMStream *s, size_t *len)
{
    *len = s->len;
    return s->rdata ? s->rdata : s->buf;
}

void vmstate_stream_free(VMStream *s)
{
    if (!s)
        return;
    free(s->buf);
    free(s);
}

size_t vmstate_stream_write(VMStream *s, const void *buf, size_t len)
{
    if (len == 0)
        return 0; /* buf may be NULL (an empty buffer field) */
    if (s->f)
        return fwrite(buf, 1, len, s->f);
    if (s->rdata)
        return 0;
    if (len > s->cap - s->len) {
        size_t cap = s->cap ? s->cap : 256;
        while (cap - s->len < len) {
            if (cap > SIZE_MAX / 2)
                return 0;
            cap *= 2;
        }
        uint8_t *n = realloc(s->buf, cap);
        if (!n)
            return 0;
        s->buf = n;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, buf, len);
    s->len += len;
    return len;
}

size_t vmstate_stream_read(VMStream *s, void *buf, size_t len)
{
    if (len == 0)
        return 0;
    if (s->f)
        return fread(buf, 1, len, s->f);
    if (!s->rdata)
        return 0;
    size_t n = s->len - s->pos < len ? s->len - s->pos : len;
    memcpy(buf, s->rdata + s->pos, n);
    s->pos += n;
    return n;
}

/* ---- types ---------------------------------------------------------------- */

/* Size of one element in the stream (structs have none of their own). */
static const uint8_t type_size[VMS_TYPE_MAX] = {
    [VMS_U8] = 1, [VMS_U16] = 2, [VMS_U32] = 4, [VMS_U64] = 8,
    [VMS_I8] = 1, [VMS_I16] = 2, [VMS_I32] = 4, [VMS_I64] = 8,
    [VMS_BOOL] = 1, [VMS_BYTES] = 1, [VMS_STRUCT] = 0, [VMS_TIMER] = 8,
};

static const char *type_name(unsigned t)
{
    static const char *const names[VMS_TYPE_MAX] = {
        [VMS_U8] = "u8", [VMS_U16] = "u16", [VMS_U32] = "u32", [VMS_U64] = "u64",
        [VMS_I8] = "i8", [VMS_I16] = "i16", [VMS_I32] = "i32", [VMS_I64] = "i64",
        [VMS_BOOL] = "bool", [VMS_BYTES] = "bytes", [VMS_STRUCT] = "struct",
        [VMS_TIMER] = "timer",
    };
    return t > 0 && t < VMS_TYPE_MAX ? names[t] : "unknown";
}

/* Host size of one element of a field of type t. */
static size_t host_elem_size(unsigned t)
{
    switch (t) {
    case VMS_BOOL: return sizeof(bool);
    case VMS_TIMER: return sizeof(Timer *);
    default: return type_size[t];
    }
}

/* Integers of 1, 2, 4 or 8 bytes: in host order at p (device memory)... */
static uint64_t ld_host(const void *p, unsigned size)
{
    uint8_t v8;
    uint16_t v16;
    uint32_t v32;
    uint64_t v64;
    switch (size) {
    case 1: memcpy(&v8, p, 1); return v8;
    case 2: memcpy(&v16, p, 2); return v16;
    case 4: memcpy(&v32, p, 4); return v32;
    default: memcpy(&v64, p, 8); return v64;
    }
}

static void st_host(void *p, unsigned size, uint64_t v)
{
    uint8_t v8 = (uint8_t)v;
    uint16_t v16 = (uint16_t)v;
    uint32_t v32 = (uint32_t)v;
    switch (size) {
    case 1: memcpy(p, &v8, 1); break;
    case 2: memcpy(p, &v16, 2); break;
    case 4: memcpy(p, &v32, 4); break;
    default: memcpy(p, &v, 8); break;
    }
}

/* ...and big-endian in the stream. */
static uint64_t ld_be(const uint8_t *b, unsigned size)
{
    switch (size) {
    case 1: return b[0];
    case 2: return ld16_be(b);
    case 4: return ld32_be(b);
    default: return ld64_be(b);
    }
}

static void st_be(uint8_t *b, unsigned size, uint64_t v)
{
    switch (size) {
    case 1: b[0] = (uint8_t)v; break;
    case 2: st16_be(b, (uint16_t)v); break;
    case 4: st32_be(b, (uint32_t)v); break;
    default: st64_be(b, v); break;
    }
}

/* Length fields are unsigned integers of 1, 2, 4 or 8 bytes. */
static uint64_t count_get(const void *base, const VMStateField *f)
{
    return ld_host((const uint8_t *)base + f->count_offset, f->count_size);
}

static void count_set(void *base, const VMStateField *f, uint64_t v)
{
    st_host((uint8_t *)base + f->count_offset, f->count_size, v);
}

/* ---- descriptions --------------------------------------------------------- */

static size_t field_span(const VMStateField *f)
{
    return f->layout == VMS_POINTER ? sizeof(uint8_t *) : f->elem_size * f->num;
}

static int check_desc(const VMStateDescription *d, int depth, Error **errp)
{
    if (depth > VMS_MAX_DEPTH) {
        error_setg(errp, "vmstate: description %s: nested more than %d deep "
                   "(does it contain itself?)", d->name ? d->name : "?", VMS_MAX_DEPTH);
        return -1;
    }
    if (!d->name || !d->name[0] || strlen(d->name) > 255) {
        error_setg(errp, "vmstate: a description needs a name of 1 to 255 bytes");
        return -1;
    }
    if (d->version_id < 0 || d->minimum_version_id < 0 ||
        d->minimum_version_id > d->version_id) {
        error_setg(errp, "vmstate: description %s: minimum version %d and version %d "
                   "must satisfy 0 <= minimum <= version", d->name,
                   d->minimum_version_id, d->version_id);
        return -1;
    }
    if (!d->fields) {
        error_setg(errp, "vmstate: description %s has no field table", d->name);
        return -1;
    }
    for (const VMStateField *f = d->fields; f->name; f++) {
        const char *bad = NULL;
        if (!f->name[0] || strlen(f->name) > 255)
            bad = "a field name must be 1 to 255 bytes";
        else if (f->version_id < 0 || f->version_id > d->version_id)
            bad = "its version is above the description's";
        else if (f->type == 0 || f->type >= VMS_TYPE_MAX || f->layout > VMS_POINTER)
            bad = "unknown type or layout";
        else if (f->type != VMS_STRUCT && f->elem_size != host_elem_size(f->type))
            bad = "element size does not match its type";
        else if (f->type == VMS_STRUCT && (!f->vmsd || f->elem_size == 0))
            bad = "a struct field needs a description";
        else if (f->layout == VMS_ONE && f->num != 1)
            bad = "a single field has num != 1";
        else if ((f->layout == VMS_ARRAY || f->layout == VMS_VARRAY) && f->num == 0)
            bad = "an array needs a size";
        else if (f->layout == VMS_POINTER && f->type != VMS_BYTES)
            bad = "only byte buffers can be reached through a pointer";
        else if ((f->layout == VMS_VARRAY || f->layout == VMS_POINTER) &&
                 f->count_size != 1 && f->count_size != 2 && f->count_size != 4 &&
                 f->count_size != 8)
            bad = "its length field must be an unsigned integer of 1, 2, 4 or 8 bytes";
        for (const VMStateField *g = d->fields; !bad && g < f; g++)
            if (!strcmp(g->name, f->name))
                bad = "the name is used twice";
        if (!bad && (f->layout == VMS_VARRAY || f->layout == VMS_POINTER)) {
            /* A saved length field would be loaded unchecked, past the bound. */
            for (const VMStateField *g = d->fields; !bad && g->name; g++)
                if (g->offset < f->count_offset + f->count_size &&
                    f->count_offset < g->offset + field_span(g))
                    bad = "its length field is also saved (or overlaps a saved field)";
        }
        if (bad) {
            error_setg(errp, "vmstate: description %s field %s: %s", d->name, f->name, bad);
            return -1;
        }
        if (f->type == VMS_STRUCT && check_desc(f->vmsd, depth + 1, errp) < 0)
            return -1;
    }
    return 0;
}

int vmstate_check_description(const VMStateDescription *desc, Error **errp)
{
    return check_desc(desc, 0, errp);
}

/* ---- registry ------------------------------------------------------------- */

typedef struct Section {
    char *name;
    uint32_t instance_id;
    const VMStateDescription *desc;
    void *opaque;
    bool seen;          /* during a load */
} Section;

static Section *sections;
static size_t nsections, sections_cap;

static Section *section_find(const char *name, uint32_t instance_id)
{
    for (size_t i = 0; i < nsections; i++)
        if (sections[i].instance_id == instance_id && !strcmp(sections[i].name, name))
            return &sections[i];
    return NULL;
}

int vmstate_register(const char *name, int instance_id, const VMStateDescription *desc,
                     void *opaque)
{
    Error *err = NULL;
    if (vmstate_check_description(desc, &err) < 0)
        pemu_abort("%s", err->msg);
    if (!name)
        name = desc->name;
    if (instance_id == VMSTATE_INSTANCE_ANY) {
        instance_id = 0;
        while (section_find(name, (uint32_t)instance_id))
            instance_id++;
    } else if (instance_id < 0 || section_find(name, (uint32_t)instance_id)) {
        pemu_abort("vmstate_register: %s instance %d is taken or invalid", name, instance_id);
    }
    if (nsections == sections_cap) {
        size_t cap = sections_cap ? sections_cap * 2 : 16;
        Section *n = realloc(sections, cap * sizeof(*n));
        if (!n)
            pemu_abort("out of memory");
        sections = n;
        sections_cap = cap;
    }
    size_t len = strlen(name);
    if (len == 0 || len > 255)
        pemu_abort("vmstate_register: section names are 1 to 255 bytes");
    char *copy = malloc(len + 1);
    if (!copy)
        pemu_abort("out of memory");
    memcpy(copy, name, len + 1);
    sections[nsections++] = (Section){
        .name = copy, .instance_id = (uint32_t)instance_id, .desc = desc, .opaque = opaque,
    };
    return instance_id;
}

void vmstate_unregister(const VMStateDescription *desc, void *opaque)
{
    for (size_t i = 0; i < nsections; i++) {
        if (sections[i].desc == desc && sections[i].opaque == opaque) {
            free(sections[i].name);
            memmove(&sections[i], &sections[i + 1], (nsections - i - 1) * sizeof(*sections));
            nsections--;
            return;
        }
    }
}

/* ---- the walker ----------------------------------------------------------- */

/*
 * One walk over a description does all three jobs, so that what is written,
 * what is checked and what is loaded cannot drift apart:
 *   SAVE   device -> stream
 *   CHECK  stream -> nothing: every check, no write (the first load pass)
 *   APPLY  stream (replayed from memory) -> device (the second pass)
 */
enum { MODE_SAVE, MODE_CHECK, MODE_APPLY };

typedef struct Ctx {
    int mode;
    VMStream *s;
    bool io_error;          /* SAVE: a short write */
    uint8_t *buf;           /* load: every byte read so far */
    size_t len, cap, pos;
    Error **errp;
    const Section *sec;     /* for messages */
    char path[512];         /* field path in the section, for messages */
    size_t plen;
} Ctx;

static void path_push(Ctx *c, const char *fmt, ...) PEMU_PRINTF(2, 3);
static void path_push(Ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(c->path + c->plen, sizeof(c->path) - c->plen, fmt, ap);
    va_end(ap);
    if (n > 0)
        c->plen += (size_t)n < sizeof(c->path) - c->plen ? (size_t)n : sizeof(c->path) - c->plen - 1;
}

static void path_pop(Ctx *c, size_t plen)
{
    c->plen = plen;
    c->path[plen] = 0;
}

/* Set *errp to msg with where it is: "vmstate: i8254 field ch[1].mode: msg" */
static int report(Ctx *c, const char *msg)
{
    char where[800] = "";
    if (c->sec) {
        char inst[32] = "";
        if (c->sec->instance_id)
            snprintf(inst, sizeof(inst), " (instance %u)", c->sec->instance_id);
        snprintf(where, sizeof(where), "%s%s%s%s: ", c->sec->name, inst,
                 c->plen ? " field " : "", c->path);
    }
    error_setg(c->errp, "vmstate: %s%s", where, msg);
    return -1;
}

/* A mismatch in the stream. The APPLY pass replays bytes the CHECK pass
 * accepted, so there it is a bug in this file. */
static int fail(Ctx *c, const char *fmt, ...) PEMU_PRINTF(2, 3);
static int fail(Ctx *c, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (c->mode == MODE_APPLY)
        pemu_abort("vmstate: the stream changed between its check and its load: %s", msg);
    return report(c, msg);
}

/* A device hook refused (any mode). */
static int hook_failed(Ctx *c, const char *hook, const char *desc)
{
    char msg[300];
    snprintf(msg, sizeof(msg), "%s %s failed", desc, hook);
    return report(c, msg);
}

/* -- writing -- */

static void put(Ctx *c, const void *p, size_t n)
{
    if (!c->io_error && vmstate_stream_write(c->s, p, n) != n)
        c->io_error = true;
}

static void put_u8(Ctx *c, uint8_t v)
{
    put(c, &v, 1);
}

static void put_u32(Ctx *c, uint32_t v)
{
    uint8_t b[4];
    st32_be(b, v);
    put(c, b, 4);
}

static void put_u64(Ctx *c, uint64_t v)
{
    uint8_t b[8];
    st64_be(b, v);
    put(c, b, 8);
}

static void put_str(Ctx *c, const char *s)
{
    size_t n = strlen(s); /* 1..255, checked at registration */
    put_u8(c, (uint8_t)n);
    put(c, s, n);
}

/* -- reading: the CHECK pass reads from the stream and keeps every byte;
 *    the APPLY pass replays them -- */

static const uint8_t *get(Ctx *c, size_t n)
{
    while (c->len - c->pos < n) {
        if (c->mode == MODE_APPLY) {
            fail(c, "replay past the end");
            return NULL;
        }
        size_t want = n - (c->len - c->pos);
        if (want > VMS_READ_CHUNK)
            want = VMS_READ_CHUNK; /* grow as data arrives, not as lengths claim */
        if (want > c->cap - c->len) {
            size_t cap = c->cap ? c->cap : 4096;
            while (cap - c->len < want)
                cap *= 2;
            uint8_t *nb = realloc(c->buf, cap);
            if (!nb) {
                fail(c, "out of memory reading the stream");
                return NULL;
            }
            c->buf = nb;
            c->cap = cap;
        }
        size_t got = vmstate_stream_read(c->s, c->buf + c->len, want);
        c->len += got;
        if (got < want) {
            fail(c, "the stream is truncated (%zu bytes)", c->len);
            return NULL;
        }
    }
    const uint8_t *p = c->buf + c->pos;
    c->pos += n;
    return p;
}

static int get_u8(Ctx *c, uint8_t *v)
{
    const uint8_t *p = get(c, 1);
    if (!p)
        return -1;
    *v = *p;
    return 0;
}

static int get_u32(Ctx *c, uint32_t *v)
{
    const uint8_t *p = get(c, 4);
    if (!p)
        return -1;
    *v = ld32_be(p);
    return 0;
}

static int get_u64(Ctx *c, uint64_t *v)
{
    const uint8_t *p = get(c, 8);
    if (!p)
        return -1;
    *v = ld64_be(p);
    return 0;
}

static int get_str(Ctx *c, char out[256])
{
    uint8_t n;
    const uint8_t *p;
    if (get_u8(c, &n) < 0)
        return -1;
    if (n == 0)
        return fail(c, "corrupted stream: an empty name at offset %zu", c->pos - 1);
    if (!(p = get(c, n)))
        return -1;
    memcpy(out, p, n);
    out[n] = 0;
    for (unsigned i = 0; i < n; i++)
        if (out[i] < 0x20 || out[i] > 0x7e)
            return fail(c, "corrupted stream: a name with byte 0x%02x at offset %zu",
                        (uint8_t)out[i], c->pos - n + i);
    return 0;
}

/* -- fields -- */

static int walk_fields(Ctx *c, const VMStateDescription *d, void *base, int version);

/* Scalars (integers, bool, timers): element by element, big-endian. */
static int walk_scalars(Ctx *c, const VMStateField *f, uint8_t *p, uint64_t count)
{
    unsigned sz = type_size[f->type];
    const uint8_t *in = NULL;
    if (c->mode != MODE_SAVE && !(in = get(c, (size_t)count * sz)))
        return -1;
    for (uint64_t i = 0; i < count; i++, p += f->elem_size) {
        uint64_t v;
        if (c->mode == MODE_SAVE) {
            if (f->type == VMS_BOOL) {
                bool b;
                memcpy(&b, p, sizeof(b));
                v = b;
            } else if (f->type == VMS_TIMER) {
                Timer *t;
                memcpy(&t, p, sizeof(t));
                v = (uint64_t)(t ? timer_expire_time(t) : -1);
            } else {
                v = ld_host(p, sz);
            }
            uint8_t b[8];
            st_be(b, sz, v);
            put(c, b, sz);
            continue;
        }
        v = ld_be(in + i * sz, sz);
        if (f->type == VMS_BOOL) {
            if (v > 1)
                return fail(c, "bool value %u is neither 0 nor 1 (corrupted stream)", (unsigned)v);
            if (c->mode == MODE_APPLY) {
                bool bv = v != 0;
                memcpy(p, &bv, sizeof(bv));
            }
        } else if (f->type == VMS_TIMER) {
            int64_t e = (int64_t)v;
            Timer *t;
            memcpy(&t, p, sizeof(t));
            if (e < -1)
                return fail(c, "timer expire time %lld is invalid (corrupted stream)", (long long)e);
            if (!t && e != -1)
                return fail(c, "the stream arms a timer this device has not created");
            if (c->mode == MODE_APPLY && t) {
                if (e < 0)
                    timer_del(t);
                else
                    timer_mod(t, e);
            }
        } else if (c->mode == MODE_APPLY) {
            st_host(p, sz, v);
        }
    }
    return 0;
}

static int walk_structs(Ctx *c, const VMStateField *f, uint8_t *p, uint64_t count)
{
    const VMStateDescription *d = f->vmsd;
    int version = d->version_id;
    if (c->mode == MODE_SAVE) {
        put_str(c, d->name);
        put_u32(c, (uint32_t)d->version_id);
    } else {
        char name[256];
        uint32_t v;
        if (get_str(c, name) < 0 || get_u32(c, &v) < 0)
            return -1;
        if (strcmp(name, d->name))
            return fail(c, "a %s in the stream, a %s here", name, d->name);
        if (v > (uint32_t)d->version_id)
            return fail(c, "%s version %u is newer than this pemu supports (%d)", d->name, v,
                        d->version_id);
        if (v < (uint32_t)d->minimum_version_id)
            return fail(c, "%s version %u is older than the oldest this pemu can load (%d)",
                        d->name, v, d->minimum_version_id);
        version = (int)v;
    }
    size_t plen = c->plen;
    for (uint64_t i = 0; i < count; i++) {
        void *elem = p + i * f->elem_size;
        if (f->layout != VMS_ONE)
            path_push(c, "[%llu]", (unsigned long long)i);
        if (c->mode == MODE_SAVE && d->pre_save && d->pre_save(elem) < 0)
            return hook_failed(c, "pre_save", d->name);
        if (c->mode == MODE_APPLY && d->pre_load && d->pre_load(elem) < 0)
            return hook_failed(c, "pre_load", d->name);
        if (walk_fields(c, d, elem, version) < 0)
            return -1;
        if (c->mode == MODE_APPLY && d->post_load && d->post_load(elem, version) < 0)
            return hook_failed(c, "post_load", d->name);
        path_pop(c, plen);
    }
    return 0;
}

static int walk_field(Ctx *c, const VMStateField *f, void *base)
{
    uint8_t *p = (uint8_t *)base + f->offset;
    uint64_t count = 1;
    size_t plen = c->plen;

    if (f->layout == VMS_POINTER) {
        const void *member = p;
        memcpy(&p, member, sizeof(p)); /* the buffer's address */
    }
    switch (f->layout) {
    case VMS_ARRAY: count = f->num; break;
    case VMS_VARRAY: case VMS_POINTER: count = count_get(base, f); break;
    }

    path_push(c, "%s%s", plen ? "." : "", f->name);
    if (c->mode == MODE_SAVE) {
        if (f->layout == VMS_VARRAY && count > f->num)
            return fail(c, "length %llu is over the capacity %u (a device bug)",
                        (unsigned long long)count, f->num);
        if (count && !p)
            return fail(c, "the buffer is not allocated (a device bug)");
        put_u8(c, TAG_FIELD);
        put_str(c, f->name);
        put_u8(c, f->type);
        put_u32(c, type_size[f->type]);
        put_u64(c, count);
    } else {
        char name[256];
        uint8_t tag, type;
        uint32_t esz;
        uint64_t n;
        if (get_u8(c, &tag) < 0)
            return -1;
        if (tag == TAG_FIELDS_END)
            return fail(c, "missing from the stream");
        if (tag != TAG_FIELD)
            return fail(c, "corrupted stream: byte 0x%02x at offset %zu where this field "
                        "should start", tag, c->pos - 1);
        if (get_str(c, name) < 0)
            return -1;
        if (strcmp(name, f->name))
            return fail(c, "the stream has field %s here instead", name);
        if (get_u8(c, &type) < 0 || get_u32(c, &esz) < 0 || get_u64(c, &n) < 0)
            return -1;
        if (type != f->type)
            return fail(c, "type %s in the stream, %s here", type_name(type), type_name(f->type));
        if (esz != type_size[f->type])
            return fail(c, "element size %u in the stream, %u here", esz, type_size[f->type]);
        switch (f->layout) {
        case VMS_ONE:
        case VMS_ARRAY:
            if (n != count)
                return fail(c, "%llu elements in the stream, %llu here",
                            (unsigned long long)n, (unsigned long long)count);
            break;
        case VMS_VARRAY:
            if (n > f->num)
                return fail(c, "%llu elements in the stream exceed the bound %u",
                            (unsigned long long)n, f->num);
            if (c->mode == MODE_APPLY)
                count_set(base, f, n);
            count = n;
            break;
        case VMS_POINTER:
            if (n != count)
                return fail(c, "%llu bytes in the stream, %llu here (the size depends on the "
                            "machine configuration: load with the options used to save)",
                            (unsigned long long)n, (unsigned long long)count);
            break;
        }
    }

    int r;
    if (f->type == VMS_STRUCT) {
        r = walk_structs(c, f, p, count);
    } else if (f->type == VMS_BYTES) {
        r = 0;
        if (c->mode == MODE_SAVE) {
            put(c, p, (size_t)count);
        } else {
            const uint8_t *in = get(c, (size_t)count);
            if (!in)
                r = -1;
            else if (c->mode == MODE_APPLY && count)
                memcpy(p, in, (size_t)count);
        }
    } else {
        r = walk_scalars(c, f, p, count);
    }
    if (r == 0)
        path_pop(c, plen);
    return r;
}

static int walk_fields(Ctx *c, const VMStateDescription *d, void *base, int version)
{
    for (const VMStateField *f = d->fields; f->name; f++) {
        if (f->version_id > version)
            continue; /* newer than the stream: keeps its value */
        if (walk_field(c, f, base) < 0)
            return -1;
    }
    if (c->mode == MODE_SAVE) {
        put_u8(c, TAG_FIELDS_END);
        return 0;
    }
    uint8_t tag;
    if (get_u8(c, &tag) < 0)
        return -1;
    if (tag == TAG_FIELDS_END)
        return 0;
    char name[256];
    if (tag == TAG_FIELD && get_str(c, name) == 0)
        return fail(c, "the stream has a field %s that %s version %d does not have", name,
                    d->name, version);
    return fail(c, "corrupted stream: byte 0x%02x at offset %zu where the fields of %s end",
                tag, c->pos - 1, d->name);
}

/* ---- whole streams -------------------------------------------------------- */

int vmstate_save_all(VMStream *s, Error **errp)
{
    Ctx c = { .mode = MODE_SAVE, .s = s, .errp = errp };
    put(&c, VMS_MAGIC, 8);
    put_u32(&c, VMS_FORMAT);
    for (size_t i = 0; i < nsections; i++) {
        Section *sec = &sections[i];
        c.sec = sec;
        if (sec->desc->pre_save && sec->desc->pre_save(sec->opaque) < 0)
            return hook_failed(&c, "pre_save", sec->desc->name);
        put_u8(&c, TAG_SECTION);
        put_str(&c, sec->name);
        put_u32(&c, sec->instance_id);
        put_u32(&c, (uint32_t)sec->desc->version_id);
        if (walk_fields(&c, sec->desc, sec->opaque, sec->desc->version_id) < 0)
            return -1;
    }
    c.sec = NULL;
    put_u8(&c, TAG_END);
    if (s->f && fflush(s->f) != 0)
        c.io_error = true;
    if (c.io_error)
        return fail(&c, "could not write the state (disk full or I/O error?)");
    return 0;
}

/* One pass over the stream in CHECK or APPLY mode. */
static int load_pass(Ctx *c)
{
    const uint8_t *magic;
    uint32_t format;
    c->pos = 0;
    c->sec = NULL;
    if (!(magic = get(c, 8)))
        return -1;
    if (memcmp(magic, VMS_MAGIC, 8))
        return fail(c, "not a pemu state stream (bad magic)");
    if (get_u32(c, &format) < 0)
        return -1;
    if (format != VMS_FORMAT)
        return fail(c, "state stream format %u is not supported (this pemu reads format %d)",
                    format, VMS_FORMAT);
    for (;;) {
        uint8_t tag;
        char name[256];
        uint32_t instance, version;
        c->sec = NULL;
        path_pop(c, 0);
        if (get_u8(c, &tag) < 0)
            return -1;
        if (tag == TAG_END)
            break;
        if (tag != TAG_SECTION)
            return fail(c, "corrupted stream: byte 0x%02x at offset %zu where a section "
                        "should start", tag, c->pos - 1);
        if (get_str(c, name) < 0 || get_u32(c, &instance) < 0 || get_u32(c, &version) < 0)
            return -1;
        Section *sec = section_find(name, instance);
        if (!sec)
            return fail(c, "the stream has state for %s instance %u, which this machine "
                        "does not have", name, instance);
        const VMStateDescription *d = sec->desc;
        if (c->mode == MODE_CHECK) {
            if (sec->seen)
                return fail(c, "%s instance %u appears twice in the stream", name, instance);
            sec->seen = true;
        }
        if (version > (uint32_t)d->version_id)
            return fail(c, "%s version %u is newer than this pemu supports (%d)", name, version,
                        d->version_id);
        if (version < (uint32_t)d->minimum_version_id)
            return fail(c, "%s version %u is older than the oldest this pemu can load (%d)",
                        name, version, d->minimum_version_id);
        c->sec = sec;
        if (c->mode == MODE_APPLY && d->pre_load && d->pre_load(sec->opaque) < 0)
            return hook_failed(c, "pre_load", d->name);
        if (walk_fields(c, d, sec->opaque, (int)version) < 0)
            return -1;
        if (c->mode == MODE_APPLY && d->post_load && d->post_load(sec->opaque, (int)version) < 0)
            return hook_failed(c, "post_load", d->name);
    }
    c->sec = NULL;
    if (c->mode == MODE_CHECK) {
        for (size_t i = 0; i < nsections; i++)
            if (!sections[i].seen)
                return fail(c, "the stream has no state for %s instance %u (saved by a "
                            "machine with other devices?)", sections[i].name,
                            sections[i].instance_id);
    }
    return 0;
}

int vmstate_check_all(VMStream *s, Error **errp)
{
    Ctx c = { .mode = MODE_CHECK, .s = s, .errp = errp };
    for (size_t i = 0; i < nsections; i++)
        sections[i].seen = false;
    int r = load_pass(&c);
    free(c.buf);
    return r;
}

int vmstate_load_all(VMStream *s, Error **errp)
{
    Ctx c = { .mode = MODE_CHECK, .s = s, .errp = errp };
    for (size_t i = 0; i < nsections; i++)
        sections[i].seen = false;
    int r = load_pass(&c);
    if (r == 0) {
        c.mode = MODE_APPLY;
        r = load_pass(&c);
    }
    free(c.buf);
    return r;
}
