/* src/vmstate: field tables, the stream format, checks before any load. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>

#include "src/timer.h"
#include "src/vmstate.h"

/* ---- helpers ---- */

/* Save the sections registered now into a malloc'd buffer. */
static uint8_t *save_bytes(size_t *len)
{
    VMStream *s = vmstate_mem_stream_new();
    Error *err = NULL;
    if (vmstate_save_all(s, &err) < 0) {
        fprintf(stderr, "save failed: %s\n", err->msg);
        error_free(err);
        vmstate_stream_free(s);
        return NULL;
    }
    const uint8_t *d = vmstate_stream_data(s, len);
    uint8_t *copy = malloc(*len ? *len : 1);
    memcpy(copy, d, *len);
    vmstate_stream_free(s);
    return copy;
}

/* Load; returns the error message (static copy) or NULL on success. */
static const char *load_bytes(const uint8_t *data, size_t len)
{
    static char msg[1024];
    VMStream *s = vmstate_mem_stream_open(data, len);
    Error *err = NULL;
    int r = vmstate_load_all(s, &err);
    vmstate_stream_free(s);
    if (r == 0) {
        if (err)
            return "returned 0 with an error set";
        return NULL;
    }
    if (!err)
        return "returned -1 without an error";
    snprintf(msg, sizeof(msg), "%s", err->msg);
    error_free(err);
    return msg;
}

/* Save with one description registered, unregister it: the stream as an
 * older (or other) pemu would have written it. */
static uint8_t *save_as(const char *name, const VMStateDescription *d, void *opaque, size_t *len)
{
    vmstate_register(name, 0, d, opaque);
    uint8_t *b = save_bytes(len);
    vmstate_unregister(d, opaque);
    return b;
}

static uint32_t rnd_state;
static uint32_t rnd(void)
{
    rnd_state = rnd_state * 1103515245u + 12345u;
    return rnd_state >> 8;
}

/* ---- a rich device using every field kind ---- */

typedef struct Chan {
    uint8_t mode;
    uint16_t latch[2];
    bool gate;
    Timer *timer;
    int32_t extra; /* since version 2 */
} Chan;

static int chan_post_loads;
static int chan_post_load(void *opaque, int version_id)
{
    chan_post_loads++;
    return 0;
}

static const VMStateDescription vmstate_chan = {
    .name = "chan",
    .version_id = 2,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT8(mode, Chan),
        VMSTATE_UINT16_ARRAY(latch, Chan, 2),
        VMSTATE_BOOL(gate, Chan),
        VMSTATE_TIMER(timer, Chan),
        VMSTATE_INT32_V(extra, Chan, 2),
        VMSTATE_END
    },
    .post_load = chan_post_load,
};

typedef struct Rich {
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
    int8_t i8;
    int16_t i16;
    int32_t i32;
    int64_t i64;
    bool b;
    uint8_t a8[5];
    uint32_t a32[4];
    int64_t a64[2];
    bool ab[3];
    uint8_t buf[16];
    uint8_t *vram;
    uint32_t vram_size;
    Chan chans[3];
    Chan one;
    uint16_t fifo[8];
    uint8_t fifo_len;
    Chan qs[4];
    uint32_t nq;
    Timer *timer;
    Timer *tarr[2];
    uint32_t late; /* since version 3 */
} Rich;

static int rich_pre_saves, rich_post_loads, rich_post_load_version;
static int rich_pre_save(void *opaque)
{
    rich_pre_saves++;
    return 0;
}

static int rich_post_load(void *opaque, int version_id)
{
    rich_post_loads++;
    rich_post_load_version = version_id;
    return 0;
}

static const VMStateDescription vmstate_rich = {
    .name = "rich",
    .version_id = 3,
    .minimum_version_id = 2,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT8(u8, Rich),
        VMSTATE_UINT16(u16, Rich),
        VMSTATE_UINT32(u32, Rich),
        VMSTATE_UINT64(u64, Rich),
        VMSTATE_INT8(i8, Rich),
        VMSTATE_INT16(i16, Rich),
        VMSTATE_INT32(i32, Rich),
        VMSTATE_INT64(i64, Rich),
        VMSTATE_BOOL(b, Rich),
        VMSTATE_UINT8_ARRAY(a8, Rich, 5),
        VMSTATE_UINT32_ARRAY(a32, Rich, 4),
        VMSTATE_INT64_ARRAY(a64, Rich, 2),
        VMSTATE_BOOL_ARRAY(ab, Rich, 3),
        VMSTATE_BUFFER(buf, Rich),
        VMSTATE_VBUFFER(vram, Rich, vram_size),
        VMSTATE_STRUCT_ARRAY(chans, Rich, 3, vmstate_chan),
        VMSTATE_STRUCT(one, Rich, vmstate_chan),
        VMSTATE_VARRAY_UINT16(fifo, Rich, fifo_len),
        VMSTATE_VARRAY_STRUCT(qs, Rich, nq, vmstate_chan),
        VMSTATE_TIMER(timer, Rich),
        VMSTATE_TIMER_ARRAY(tarr, Rich, 2),
        VMSTATE_UINT32_V(late, Rich, 3),
        VMSTATE_END
    },
    .pre_save = rich_pre_save,
    .post_load = rich_post_load,
};

static void nop_cb(void *opaque)
{
}

static void chan_init(Chan *c)
{
    memset(c, 0, sizeof(*c));
    c->timer = timer_new(PEMU_CLOCK_VIRTUAL, nop_cb, c);
}

static void rich_init(Rich *r, uint32_t vram_size)
{
    memset(r, 0, sizeof(*r));
    r->vram_size = vram_size;
    r->vram = calloc(1, vram_size);
    for (int i = 0; i < 3; i++)
        chan_init(&r->chans[i]);
    chan_init(&r->one);
    for (int i = 0; i < 4; i++)
        chan_init(&r->qs[i]);
    r->timer = timer_new(PEMU_CLOCK_VIRTUAL, nop_cb, r);
    r->tarr[0] = timer_new(PEMU_CLOCK_VIRTUAL, nop_cb, r);
    r->tarr[1] = timer_new(PEMU_CLOCK_VIRTUAL, nop_cb, r);
}

static void rich_fini(Rich *r)
{
    free(r->vram);
    for (int i = 0; i < 3; i++)
        timer_free(r->chans[i].timer);
    timer_free(r->one.timer);
    for (int i = 0; i < 4; i++)
        timer_free(r->qs[i].timer);
    timer_free(r->timer);
    timer_free(r->tarr[0]);
    timer_free(r->tarr[1]);
}

static void arm(Timer *t, uint32_t v)
{
    if (v % 3 == 0)
        timer_del(t);
    else
        timer_mod(t, (int64_t)(v % 100000) * 1000);
}

static void chan_fill(Chan *c)
{
    c->mode = (uint8_t)rnd();
    c->latch[0] = (uint16_t)rnd();
    c->latch[1] = (uint16_t)rnd();
    c->gate = rnd() & 1;
    arm(c->timer, rnd());
    c->extra = (int32_t)rnd() - 0x400000;
}

/* Every field from the seed; the same seed gives the same state. */
static void rich_fill(Rich *r, uint32_t seed)
{
    rnd_state = seed;
    r->u8 = (uint8_t)rnd();
    r->u16 = (uint16_t)rnd();
    r->u32 = rnd() * 257u;
    r->u64 = ((uint64_t)rnd() << 40) ^ rnd();
    r->i8 = (int8_t)-(int)(rnd() % 128);
    r->i16 = (int16_t)-(int)(rnd() % 30000);
    r->i32 = -(int32_t)(rnd() % 0x7fffff);
    r->i64 = -(int64_t)(((uint64_t)rnd() << 30) ^ rnd());
    r->b = rnd() & 1;
    for (int i = 0; i < 5; i++)
        r->a8[i] = (uint8_t)rnd();
    for (int i = 0; i < 4; i++)
        r->a32[i] = rnd() ^ 0x80000000u;
    for (int i = 0; i < 2; i++)
        r->a64[i] = (int64_t)(((uint64_t)rnd() << 33) ^ rnd());
    for (int i = 0; i < 3; i++)
        r->ab[i] = rnd() & 1;
    for (int i = 0; i < 16; i++)
        r->buf[i] = (uint8_t)rnd();
    for (uint32_t i = 0; i < r->vram_size; i++)
        r->vram[i] = (uint8_t)rnd();
    for (int i = 0; i < 3; i++)
        chan_fill(&r->chans[i]);
    chan_fill(&r->one);
    r->fifo_len = (uint8_t)(1 + rnd() % 8);
    for (int i = 0; i < 8; i++)
        r->fifo[i] = (uint16_t)rnd();
    r->nq = 1 + rnd() % 4;
    for (int i = 0; i < 4; i++)
        chan_fill(&r->qs[i]);
    arm(r->timer, rnd());
    arm(r->tarr[0], rnd());
    arm(r->tarr[1], rnd());
    r->late = rnd();
}

static bool chan_same(const Chan *a, const Chan *b, int version)
{
    return a->mode == b->mode && a->latch[0] == b->latch[0] && a->latch[1] == b->latch[1] &&
           a->gate == b->gate &&
           timer_expire_time(a->timer) == timer_expire_time(b->timer) &&
           (version < 2 || a->extra == b->extra);
}

/* Compare what the description saves (varrays: the used part only). */
static bool rich_same(const Rich *a, const Rich *b)
{
    if (a->u8 != b->u8 || a->u16 != b->u16 || a->u32 != b->u32 || a->u64 != b->u64 ||
        a->i8 != b->i8 || a->i16 != b->i16 || a->i32 != b->i32 || a->i64 != b->i64 ||
        a->b != b->b || memcmp(a->a8, b->a8, 5) || memcmp(a->a32, b->a32, sizeof(a->a32)) ||
        memcmp(a->a64, b->a64, sizeof(a->a64)) || memcmp(a->ab, b->ab, 3) ||
        memcmp(a->buf, b->buf, 16) || a->vram_size != b->vram_size ||
        memcmp(a->vram, b->vram, a->vram_size) || a->fifo_len != b->fifo_len ||
        a->nq != b->nq || a->late != b->late)
        return false;
    for (int i = 0; i < 3; i++)
        if (!chan_same(&a->chans[i], &b->chans[i], 2))
            return false;
    if (!chan_same(&a->one, &b->one, 2))
        return false;
    for (unsigned i = 0; i < a->fifo_len && i < 8; i++)
        if (a->fifo[i] != b->fifo[i])
            return false;
    for (unsigned i = 0; i < a->nq && i < 4; i++)
        if (!chan_same(&a->qs[i], &b->qs[i], 2))
            return false;
    return timer_expire_time(a->timer) == timer_expire_time(b->timer) &&
           timer_expire_time(a->tarr[0]) == timer_expire_time(b->tarr[0]) &&
           timer_expire_time(a->tarr[1]) == timer_expire_time(b->tarr[1]);
}

/* ---- tests ---- */

TEST(descriptions_pass_the_checker)
{
    Error *err = NULL;
    CHECK_EQ(vmstate_check_description(&vmstate_rich, &err), 0);
    CHECK(err == NULL);
}

TEST(rich_round_trip)
{
    Rich a, b, want;
    rich_init(&a, 300);
    rich_init(&b, 300);
    rich_init(&want, 300);
    rich_fill(&a, 1);
    rich_fill(&want, 1);
    rich_fill(&b, 2);
    CHECK(!rich_same(&a, &b));
    vmstate_register("rich", 0, &vmstate_rich, &a);
    size_t len;
    uint8_t *data = save_bytes(&len);
    CHECK(data != NULL);
    CHECK_EQ(rich_pre_saves, 1);
    vmstate_unregister(&vmstate_rich, &a);

    vmstate_register("rich", 0, &vmstate_rich, &b);
    const char *err = load_bytes(data, len);
    CHECK(err == NULL);
    CHECK(rich_same(&b, &want));
    CHECK_EQ(rich_post_loads, 1);
    CHECK_EQ(rich_post_load_version, 3);
    /* chans[3] + one + the used qs */
    CHECK_EQ(chan_post_loads, 4 + (int)want.nq);

    /* Saving again gives the same bytes. */
    size_t len2;
    uint8_t *again = save_bytes(&len2);
    CHECK_EQ(len2, len);
    CHECK(memcmp(again, data, len) == 0);
    free(again);
    free(data);
    rich_fini(&a);
    rich_fini(&b);
    rich_fini(&want);
}

TEST(file_stream_round_trip)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/state", unit_tmpdir());
    Rich a, want;
    rich_init(&a, 64);
    rich_init(&want, 64);
    rich_fill(&a, 11);
    rich_fill(&want, 11);
    vmstate_register(NULL, 0, &vmstate_rich, &a);
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    VMStream *s = vmstate_file_stream_new(f);
    Error *err = NULL;
    CHECK_EQ(vmstate_save_all(s, &err), 0);
    /* A trailer after the state must not be consumed by the load. */
    CHECK_EQ(vmstate_stream_write(s, "TAIL", 4), 4);
    vmstate_stream_free(s);
    fclose(f);

    rich_fill(&a, 12);
    f = fopen(path, "rb");
    CHECK(f != NULL);
    s = vmstate_file_stream_new(f);
    CHECK_EQ(vmstate_load_all(s, &err), 0);
    char tail[5] = { 0 };
    CHECK_EQ(vmstate_stream_read(s, tail, 4), 4);
    CHECK_STR(tail, "TAIL");
    vmstate_stream_free(s);
    fclose(f);
    CHECK(rich_same(&a, &want));
    rich_fini(&a);
    rich_fini(&want);
}

/* ---- exact bytes, both directions ---- */

typedef struct Tiny {
    uint8_t a;
    uint16_t b;
    int32_t c;
    bool d;
    uint64_t e;
} Tiny;

static const VMStateDescription vmstate_tiny = {
    .name = "tiny",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT8(a, Tiny),
        VMSTATE_UINT16(b, Tiny),
        VMSTATE_INT32(c, Tiny),
        VMSTATE_BOOL(d, Tiny),
        VMSTATE_UINT64(e, Tiny),
        VMSTATE_END
    },
};

static const uint8_t tiny_stream[] = {
    'P', 'E', 'M', 'U', 'V', 'M', 'S', '\n', 0, 0, 0, 1,
    'S', 4, 't', 'i', 'n', 'y', 0, 0, 0, 2, /* instance 2 */ 0, 0, 0, 1,
    'F', 1, 'a', VMS_U8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0x12,
    'F', 1, 'b', VMS_U16, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1, 0x34, 0x56,
    'F', 1, 'c', VMS_I32, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xfe,
    'F', 1, 'd', VMS_BOOL, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0x01,
    'F', 1, 'e', VMS_U64, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 1,
    0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
    0, 'E',
};

TEST(exact_bytes_are_big_endian_on_any_host)
{
    Tiny t = { .a = 0x12, .b = 0x3456, .c = -2, .d = true, .e = 0x0123456789abcdefull };
    CHECK_EQ(vmstate_register("tiny", 2, &vmstate_tiny, &t), 2);
    size_t len;
    uint8_t *data = save_bytes(&len);
    CHECK_EQ(len, sizeof(tiny_stream));
    for (size_t i = 0; i < len; i++)
        if (data[i] != tiny_stream[i]) {
            free(data);
            CHECK_EQ(i, (size_t)-1); /* reports the first differing offset */
        }
    free(data);

    /* The same bytes, as written by a host of the other byte order, load. */
    Tiny u = { 0 };
    vmstate_unregister(&vmstate_tiny, &t);
    vmstate_register("tiny", 2, &vmstate_tiny, &u);
    CHECK(load_bytes(tiny_stream, sizeof(tiny_stream)) == NULL);
    CHECK_EQ(u.a, 0x12);
    CHECK_EQ(u.b, 0x3456);
    CHECK_EQ(u.c, -2);
    CHECK(u.d);
    CHECK_EQ(u.e, 0x0123456789abcdefull);
}

TEST(duplicate_section_rejected)
{
    /* header, the section twice, end mark */
    size_t sec = sizeof(tiny_stream) - 12 - 1;
    uint8_t s[sizeof(tiny_stream) * 2];
    memcpy(s, tiny_stream, 12 + sec);
    memcpy(s + 12 + sec, tiny_stream + 12, sec + 1);
    Tiny u = { 0 };
    vmstate_register("tiny", 2, &vmstate_tiny, &u);
    CHECK_STR(load_bytes(s, 12 + 2 * sec + 1),
              "vmstate: tiny instance 2 appears twice in the stream");
    CHECK_EQ(u.a, 0);
    CHECK(load_bytes(s, 12 + sec) != NULL); /* no end mark */
    memcpy(s + 12 + sec, "E", 1);
    CHECK(load_bytes(s, 12 + sec + 1) == NULL);
    CHECK_EQ(u.a, 0x12);
}

TEST(bad_bool_rejected)
{
    uint8_t s[sizeof(tiny_stream)];
    memcpy(s, tiny_stream, sizeof(s));
    size_t at = 0;
    while (memcmp(s + at, "F\001d", 3))
        at++;
    s[at + 16] = 2; /* the bool's byte, after 'F' name type elem_size count */
    Tiny u = { 0 };
    vmstate_register("tiny", 2, &vmstate_tiny, &u);
    const char *err = load_bytes(s, sizeof(s));
    CHECK_STR(err, "vmstate: tiny (instance 2) field d: bool value 2 is neither 0 nor 1 "
                   "(corrupted stream)");
    CHECK_EQ(u.a, 0); /* nothing loaded */
}

/* ---- versions ---- */

typedef struct Pit {
    uint8_t mode;
    uint16_t count;
    uint32_t extra; /* since version 3 */
} Pit;

static const VMStateField pit_fields_v3[] = {
    VMSTATE_UINT8(mode, Pit),
    VMSTATE_UINT16(count, Pit),
    VMSTATE_UINT32_V(extra, Pit, 3),
    VMSTATE_END
};
static const VMStateField pit_fields_v2[] = {
    VMSTATE_UINT8(mode, Pit),
    VMSTATE_UINT16(count, Pit),
    VMSTATE_END
};

static int pit_loaded_version;
static int pit_post_load(void *opaque, int version_id)
{
    Pit *p = opaque;
    pit_loaded_version = version_id;
    if (version_id < 3)
        p->extra = 0xdefa; /* what the device does for old streams */
    return 0;
}

static const VMStateDescription pit_v3 = {
    .name = "i8254", .version_id = 3, .minimum_version_id = 2,
    .fields = pit_fields_v3, .post_load = pit_post_load,
};
static const VMStateDescription pit_v4 = {
    .name = "i8254", .version_id = 4, .minimum_version_id = 2, .fields = pit_fields_v3,
};
static const VMStateDescription pit_v2 = {
    .name = "i8254", .version_id = 2, .minimum_version_id = 1, .fields = pit_fields_v2,
};
static const VMStateDescription pit_v1 = {
    .name = "i8254", .version_id = 1, .minimum_version_id = 1, .fields = pit_fields_v2,
};

TEST(newer_version_rejected)
{
    Pit old = { 1, 2, 3 }, cur = { 7, 7, 7 };
    size_t len;
    uint8_t *data = save_as("i8254", &pit_v4, &old, &len);
    vmstate_register("i8254", 0, &pit_v3, &cur);
    CHECK_STR(load_bytes(data, len), "vmstate: i8254 version 4 is newer than this pemu supports (3)");
    CHECK_EQ(cur.mode, 7);
    free(data);
}

TEST(older_than_minimum_rejected)
{
    Pit old = { 1, 2, 3 }, cur = { 7, 7, 7 };
    size_t len;
    uint8_t *data = save_as("i8254", &pit_v1, &old, &len);
    vmstate_register("i8254", 0, &pit_v3, &cur);
    CHECK_STR(load_bytes(data, len),
              "vmstate: i8254 version 1 is older than the oldest this pemu can load (2)");
    free(data);
}

TEST(older_version_skips_newer_fields)
{
    Pit old = { 0x11, 0x2233, 0 }, cur = { 7, 7, 7 };
    size_t len;
    uint8_t *data = save_as("i8254", &pit_v2, &old, &len);
    vmstate_register("i8254", 0, &pit_v3, &cur);
    CHECK(load_bytes(data, len) == NULL);
    CHECK_EQ(cur.mode, 0x11);
    CHECK_EQ(cur.count, 0x2233);
    CHECK_EQ(pit_loaded_version, 2);
    CHECK_EQ(cur.extra, 0xdefa);
    free(data);
}

TEST(nested_struct_older_version_skips_field)
{
    /* A chan saved at version 1 (no "extra") loads into version 2. */
    static const VMStateField chan_v1_fields[] = {
        VMSTATE_UINT8(mode, Chan),
        VMSTATE_UINT16_ARRAY(latch, Chan, 2),
        VMSTATE_BOOL(gate, Chan),
        VMSTATE_TIMER(timer, Chan),
        VMSTATE_END
    };
    static const VMStateDescription chan_v1 = {
        .name = "chan", .version_id = 1, .minimum_version_id = 1, .fields = chan_v1_fields,
    };
    typedef struct Holder { Chan c; } Holder;
    static const VMStateField holder_old_fields[] = {
        VMSTATE_STRUCT(c, Holder, chan_v1),
        VMSTATE_END
    };
    static const VMStateField holder_fields[] = {
        VMSTATE_STRUCT(c, Holder, vmstate_chan),
        VMSTATE_END
    };
    static const VMStateDescription holder_old = {
        .name = "holder", .version_id = 1, .minimum_version_id = 1, .fields = holder_old_fields,
    };
    static const VMStateDescription holder = {
        .name = "holder", .version_id = 1, .minimum_version_id = 1, .fields = holder_fields,
    };
    Holder a, b;
    chan_init(&a.c);
    chan_init(&b.c);
    a.c.mode = 5;
    a.c.latch[1] = 0xbeef;
    timer_mod(a.c.timer, 4242);
    b.c.extra = 99;
    size_t len;
    uint8_t *data = save_as("holder", &holder_old, &a, &len);
    vmstate_register("holder", 0, &holder, &b);
    CHECK(load_bytes(data, len) == NULL);
    CHECK_EQ(b.c.mode, 5);
    CHECK_EQ(b.c.latch[1], 0xbeef);
    CHECK_EQ(timer_expire_time(b.c.timer), 4242);
    CHECK_EQ(b.c.extra, 99);
    free(data);
    timer_free(a.c.timer);
    timer_free(b.c.timer);
}

/* ---- mismatches ---- */

typedef struct PitB { uint8_t mode; uint16_t cnt; } PitB;
typedef struct PitC { uint8_t mode; uint8_t count; } PitC;

TEST(field_name_mismatch)
{
    const VMStateDescription d = {
        .name = "i8254", .version_id = 2, .minimum_version_id = 1,
        .fields = (const VMStateField[]) { VMSTATE_UINT8(mode, PitB), VMSTATE_UINT16(cnt, PitB), VMSTATE_END },
    };
    PitB old = { 1, 2 };
    Pit cur = { 7, 7, 7 };
    size_t len;
    uint8_t *data = save_as("i8254", &d, &old, &len);
    vmstate_register("i8254", 0, &pit_v3, &cur);
    CHECK_STR(load_bytes(data, len), "vmstate: i8254 field count: the stream has field cnt here instead");
    CHECK_EQ(cur.mode, 7); /* mode came before the mismatch: still untouched */
    free(data);
}

TEST(field_type_mismatch)
{
    const VMStateDescription d = {
        .name = "i8254", .version_id = 2, .minimum_version_id = 1,
        .fields = (const VMStateField[]) { VMSTATE_UINT8(mode, PitC), VMSTATE_UINT8(count, PitC), VMSTATE_END },
    };
    PitC old = { 1, 2 };
    Pit cur = { 7, 7, 7 };
    size_t len;
    uint8_t *data = save_as("i8254", &d, &old, &len);
    vmstate_register("i8254", 0, &pit_v3, &cur);
    CHECK_STR(load_bytes(data, len), "vmstate: i8254 field count: type u8 in the stream, u16 here");
    free(data);
}

typedef struct Regs4 { uint32_t regs[4]; } Regs4;
typedef struct Regs8 { uint32_t regs[8]; } Regs8;

TEST(array_size_mismatch)
{
    const VMStateDescription d4 = {
        .name = "regs", .version_id = 1, .minimum_version_id = 1,
        .fields = (const VMStateField[]) { VMSTATE_UINT32_ARRAY(regs, Regs4, 4), VMSTATE_END },
    };
    const VMStateDescription d8 = {
        .name = "regs", .version_id = 1, .minimum_version_id = 1,
        .fields = (const VMStateField[]) { VMSTATE_UINT32_ARRAY(regs, Regs8, 8), VMSTATE_END },
    };
    Regs4 a = { { 1, 2, 3, 4 } };
    Regs8 b = { { 0 } };
    size_t len;
    uint8_t *data = save_as("regs", &d4, &a, &len);
    vmstate_register("regs", 0, &d8, &b);
    CHECK_STR(load_bytes(data, len), "vmstate: regs field regs: 4 elements in the stream, 8 here");
    free(data);
}

TEST(nested_struct_mismatch_names_the_element_path)
{
    Rich a, b;
    rich_init(&a, 16);
    rich_init(&b, 16);
    rich_fill(&a, 5);
    vmstate_register("rich", 0, &vmstate_rich, &a);
    size_t len;
    uint8_t *data = save_bytes(&len);
    vmstate_unregister(&vmstate_rich, &a);
    /* Corrupt chans[1].gate (the second "gate" in the stream) to 5. */
    int seen = 0;
    for (size_t i = 0; i + 6 < len; i++) {
        if (data[i] == 'F' && data[i + 1] == 4 && !memcmp(data + i + 2, "gate", 4) && ++seen == 2) {
            data[i + 2 + 4 + 1 + 4 + 8] = 5;
            break;
        }
    }
    CHECK_EQ(seen, 2);
    vmstate_register("rich", 0, &vmstate_rich, &b);
    CHECK_STR(load_bytes(data, len),
              "vmstate: rich field chans[1].gate: bool value 5 is neither 0 nor 1 (corrupted stream)");
    free(data);
    rich_fini(&a);
    rich_fini(&b);
}

TEST(extra_field_in_stream_rejected)
{
    Pit old = { 1, 2, 3 };
    PitC cur = { 9, 9 };
    const VMStateDescription d = {
        .name = "i8254", .version_id = 3, .minimum_version_id = 1,
        .fields = (const VMStateField[]) { VMSTATE_UINT8(mode, PitC), VMSTATE_END },
    };
    size_t len;
    uint8_t *data = save_as("i8254", &pit_v2, &old, &len);
    vmstate_register("i8254", 0, &d, &cur);
    CHECK_STR(load_bytes(data, len),
              "vmstate: i8254: the stream has a field count that i8254 version 2 does not have");
    CHECK_EQ(cur.mode, 9);
    free(data);
}

TEST(unknown_and_missing_sections_rejected)
{
    Pit a = { 1, 2, 3 }, b = { 4, 5, 6 };
    size_t len;
    uint8_t *data = save_as("foo", &pit_v3, &a, &len);
    vmstate_register("i8254", 0, &pit_v3, &b);
    CHECK_STR(load_bytes(data, len),
              "vmstate: the stream has state for foo instance 0, which this machine does not have");
    free(data);

    data = save_bytes(&len); /* i8254 instance 0 only */
    vmstate_register("i8254", 1, &pit_v3, &a);
    CHECK_STR(load_bytes(data, len),
              "vmstate: the stream has no state for i8254 instance 1 (saved by a machine with "
              "other devices?)");
    free(data);
}

TEST(mismatch_in_a_later_section_touches_no_device)
{
    Pit a = { 1, 2, 3 };
    Regs4 r = { { 1, 2, 3, 4 } };
    Regs8 r8 = { { 0 } };
    const VMStateDescription d4 = {
        .name = "regs", .version_id = 1, .minimum_version_id = 1,
        .fields = (const VMStateField[]) { VMSTATE_UINT32_ARRAY(regs, Regs4, 4), VMSTATE_END },
    };
    const VMStateDescription d8 = {
        .name = "regs", .version_id = 1, .minimum_version_id = 1,
        .fields = (const VMStateField[]) { VMSTATE_UINT32_ARRAY(regs, Regs8, 8), VMSTATE_END },
    };
    vmstate_register("i8254", 0, &pit_v3, &a);
    vmstate_register("regs", 0, &d4, &r);
    size_t len;
    uint8_t *data = save_bytes(&len);
    vmstate_unregister(&d4, &r);
    vmstate_register("regs", 0, &d8, &r8);
    a.mode = 0x77;
    pit_loaded_version = 0;
    CHECK(load_bytes(data, len) != NULL);
    CHECK_EQ(a.mode, 0x77); /* the first section was valid but not loaded */
    CHECK_EQ(pit_loaded_version, 0);
    free(data);
}

/* ---- bounds ---- */

typedef struct Fifo16 { uint16_t fifo[16]; uint8_t fifo_len; } Fifo16;
typedef struct Fifo8 { uint16_t fifo[8]; uint8_t fifo_len; } Fifo8;

TEST(varray_bound_checked_on_load)
{
    const VMStateDescription d16 = {
        .name = "fifo", .version_id = 1, .minimum_version_id = 1,
        .fields = (const VMStateField[]) { VMSTATE_VARRAY_UINT16(fifo, Fifo16, fifo_len), VMSTATE_END },
    };
    const VMStateDescription d8 = {
        .name = "fifo", .version_id = 1, .minimum_version_id = 1,
        .fields = (const VMStateField[]) { VMSTATE_VARRAY_UINT16(fifo, Fifo8, fifo_len), VMSTATE_END },
    };
    Fifo16 a = { .fifo_len = 9 };
    for (int i = 0; i < 16; i++)
        a.fifo[i] = (uint16_t)(i * 3);
    Fifo8 b = { .fifo_len = 2 };
    size_t len;
    uint8_t *data = save_as("fifo", &d16, &a, &len);
    vmstate_register("fifo", 0, &d8, &b);
    CHECK_STR(load_bytes(data, len), "vmstate: fifo field fifo: 9 elements in the stream exceed the bound 8");
    CHECK_EQ(b.fifo_len, 2);
    free(data);

    /* Within the bound it loads, and sets the length field. */
    a.fifo_len = 5;
    vmstate_unregister(&d8, &b);
    data = save_as("fifo", &d16, &a, &len);
    vmstate_register("fifo", 0, &d8, &b);
    CHECK(load_bytes(data, len) == NULL);
    CHECK_EQ(b.fifo_len, 5);
    CHECK_EQ(b.fifo[4], 12);
    CHECK_EQ(b.fifo[5], 0);
    free(data);
}

TEST(varray_over_capacity_fails_save)
{
    const VMStateDescription d8 = {
        .name = "fifo", .version_id = 1, .minimum_version_id = 1,
        .fields = (const VMStateField[]) { VMSTATE_VARRAY_UINT16(fifo, Fifo8, fifo_len), VMSTATE_END },
    };
    Fifo8 b = { .fifo_len = 9 };
    vmstate_register("fifo", 0, &d8, &b);
    VMStream *s = vmstate_mem_stream_new();
    Error *err = NULL;
    CHECK_EQ(vmstate_save_all(s, &err), -1);
    CHECK_STR(err->msg, "vmstate: fifo field fifo: length 9 is over the capacity 8 (a device bug)");
    error_free(err);
    vmstate_stream_free(s);
}

TEST(vbuffer_size_must_match)
{
    Rich a, b;
    rich_init(&a, 64);
    rich_init(&b, 32);
    rich_fill(&a, 3);
    rich_fill(&b, 4);
    size_t len;
    uint8_t *data = save_as("rich", &vmstate_rich, &a, &len);
    vmstate_register("rich", 0, &vmstate_rich, &b);
    CHECK_STR(load_bytes(data, len),
              "vmstate: rich field vram: 64 bytes in the stream, 32 here (the size depends on the "
              "machine configuration: load with the options used to save)");
    free(data);
    rich_fini(&a);
    rich_fini(&b);
}

TEST(bad_descriptions_rejected)
{
    typedef struct Bad { uint8_t fifo[4]; uint8_t n; uint32_t x; } Bad;
    const VMStateDescription saves_length = {
        .name = "bad", .version_id = 1, .minimum_version_id = 1,
        .fields = (const VMStateField[]) {
            VMSTATE_VARRAY_UINT8(fifo, Bad, n), VMSTATE_UINT8(n, Bad), VMSTATE_END },
    };
    const VMStateDescription field_too_new = {
        .name = "bad", .version_id = 1, .minimum_version_id = 1,
        .fields = (const VMStateField[]) { VMSTATE_UINT32_V(x, Bad, 2), VMSTATE_END },
    };
    const VMStateDescription twice = {
        .name = "bad", .version_id = 1, .minimum_version_id = 1,
        .fields = (const VMStateField[]) { VMSTATE_UINT32(x, Bad), VMSTATE_UINT32(x, Bad), VMSTATE_END },
    };
    const VMStateDescription min_above = {
        .name = "bad", .version_id = 1, .minimum_version_id = 2,
        .fields = (const VMStateField[]) { VMSTATE_UINT32(x, Bad), VMSTATE_END },
    };
    Error *err = NULL;
    CHECK_EQ(vmstate_check_description(&saves_length, &err), -1);
    CHECK_STR(err->msg, "vmstate: description bad field fifo: its length field is also saved "
                        "(or overlaps a saved field)");
    error_free(err);
    err = NULL;
    CHECK_EQ(vmstate_check_description(&field_too_new, &err), -1);
    CHECK_STR(err->msg, "vmstate: description bad field x: its version is above the description's");
    error_free(err);
    err = NULL;
    CHECK_EQ(vmstate_check_description(&twice, &err), -1);
    CHECK_STR(err->msg, "vmstate: description bad field x: the name is used twice");
    error_free(err);
    err = NULL;
    CHECK_EQ(vmstate_check_description(&min_above, &err), -1);
    error_free(err);
}

TEST(instance_any_picks_lowest_free)
{
    Pit a, b, c;
    CHECK_EQ(vmstate_register("i8254", VMSTATE_INSTANCE_ANY, &pit_v3, &a), 0);
    CHECK_EQ(vmstate_register("i8254", 2, &pit_v3, &b), 2);
    CHECK_EQ(vmstate_register("i8254", VMSTATE_INSTANCE_ANY, &pit_v3, &c), 1);
}

/* ---- corrupted streams ---- */

TEST(every_truncation_rejected)
{
    Rich a, b, snap;
    rich_init(&a, 40);
    rich_init(&b, 40);
    rich_init(&snap, 40);
    rich_fill(&a, 21);
    size_t len;
    uint8_t *data = save_as("rich", &vmstate_rich, &a, &len);
    vmstate_register("rich", 0, &vmstate_rich, &b);
    rich_fill(&b, 22);
    rich_fill(&snap, 22);
    for (size_t n = 0; n < len; n++) {
        const char *err = load_bytes(data, n);
        CHECK(err != NULL);
        CHECK(!strncmp(err, "vmstate: ", 9));
        CHECK(rich_same(&b, &snap));
    }
    char want[64];
    snprintf(want, sizeof(want), "vmstate: the stream is truncated (%zu bytes)", len - 1);
    CHECK_STR(load_bytes(data, len - 1), want); /* only the end mark is missing */
    CHECK(load_bytes(data, len) == NULL);
    free(data);
    rich_fini(&a);
    rich_fini(&b);
    rich_fini(&snap);
}

TEST(fuzzed_streams_load_whole_or_not_at_all)
{
    Rich a, b, snap;
    rich_init(&a, 48);
    rich_init(&b, 48);
    rich_init(&snap, 48);
    rich_fill(&a, 31);
    size_t len;
    uint8_t *data = save_as("rich", &vmstate_rich, &a, &len);
    vmstate_register("rich", 0, &vmstate_rich, &b);
    uint8_t *m = malloc(len + 64);
    int rejected = 0, loaded = 0;
    uint32_t seed = 0x5eed;
    for (int iter = 0; iter < 600; iter++) {
        size_t mlen = len;
        memcpy(m, data, len);
        rnd_state = seed;
        int nmut = 1 + (int)(rnd() % 3);
        for (int k = 0; k < nmut && mlen > 0; k++) {
            size_t at = rnd() % mlen;
            switch (rnd() % 6) {
            case 0: m[at] ^= (uint8_t)(1u << (rnd() % 8)); break;
            case 1: m[at] = (uint8_t)rnd(); break;
            case 2: mlen = at; break;
            case 3: { /* delete a run */
                size_t n = 1 + rnd() % 8;
                if (n > mlen - at)
                    n = mlen - at;
                memmove(m + at, m + at + n, mlen - at - n);
                mlen -= n;
                break;
            }
            case 4: { /* insert bytes */
                size_t n = 1 + rnd() % 8;
                memmove(m + at + n, m + at, mlen - at);
                for (size_t i = 0; i < n; i++)
                    m[at + i] = (uint8_t)rnd();
                mlen += n;
                break;
            }
            default: /* a huge length or count */
                if (at + 4 <= mlen)
                    memset(m + at, 0xff, 4);
                break;
            }
        }
        seed = rnd();
        rich_fill(&b, 1000 + (uint32_t)iter);
        rich_fill(&snap, 1000 + (uint32_t)iter);
        const char *err = load_bytes(m, mlen);
        if (err) {
            rejected++;
            CHECK(!strncmp(err, "vmstate: ", 9));
            CHECK(rich_same(&b, &snap)); /* untouched */
        } else {
            loaded++;
        }
    }
    CHECK(rejected > 300);
    CHECK(loaded > 0); /* mutated payload bytes are still valid state */
    free(m);
    free(data);
    rich_fini(&a);
    rich_fini(&b);
    rich_fini(&snap);
}

TEST(bad_magic_and_format)
{
    uint8_t s[sizeof(tiny_stream)];
    Tiny u = { 0 };
    vmstate_register("tiny", 2, &vmstate_tiny, &u);
    memcpy(s, tiny_stream, sizeof(s));
    s[0] = 'Q';
    CHECK_STR(load_bytes(s, sizeof(s)), "vmstate: not a pemu state stream (bad magic)");
    memcpy(s, tiny_stream, sizeof(s));
    s[11] = 2;
    CHECK_STR(load_bytes(s, sizeof(s)),
              "vmstate: state stream format 2 is not supported (this pemu reads format 1)");
    CHECK_STR(load_bytes(tiny_stream, 30), "vmstate: tiny (instance 2) field a: the stream is truncated (30 bytes)");
}

/* ---- the virtual clock travels with the state ---- */

typedef struct Dev { Timer *t; } Dev;

TEST(clock_section_restores_virtual_time)
{
    const VMStateDescription d = {
        .name = "dev", .version_id = 1, .minimum_version_id = 1,
        .fields = (const VMStateField[]) { VMSTATE_TIMER(t, Dev), VMSTATE_END },
    };
    Dev dev = { timer_new(PEMU_CLOCK_VIRTUAL, nop_cb, NULL) };
    clock_vmstate_register();
    vmstate_register("dev", 0, &d, &dev);
    clock_warp_virtual(5000);
    timer_mod(dev.t, 6000);
    size_t len;
    uint8_t *data = save_bytes(&len);
    clock_warp_virtual(100000);
    timer_del(dev.t);
    CHECK(load_bytes(data, len) == NULL);
    CHECK_EQ(clock_get_ns(PEMU_CLOCK_VIRTUAL), 5000);
    CHECK_EQ(timer_expire_time(dev.t), 6000);
    CHECK_EQ(timerlist_earliest_ns(PEMU_CLOCK_VIRTUAL), 6000);
    /* loadvm needs a stopped VM: the clock's post_load refuses otherwise */
    clock_vm_start();
    CHECK_STR(load_bytes(data, len), "vmstate: clock: clock post_load failed");
    clock_vm_stop();
    free(data);
    timer_free(dev.t);
}
