/*
 * Device state description and the versioned, self-describing state stream.
 *
 * A device lists its state once, as a field table:
 *
 *   static const VMStateDescription vmstate_pit_channel = {
 *       .name = "pit-channel", .version_id = 2, .minimum_version_id = 1,
 *       .fields = (const VMStateField[]) {
 *           VMSTATE_UINT8(mode, PITChannel),
 *           VMSTATE_UINT16_ARRAY(latch, PITChannel, 2),
 *           VMSTATE_TIMER(timer, PITChannel),      // saves the expire time
 *           VMSTATE_UINT32_V(gate, PITChannel, 2), // present since version 2
 *           VMSTATE_END
 *       },
 *       .post_load = pit_channel_post_load,
 *   };
 *   ... VMSTATE_STRUCT_ARRAY(channels, PITState, 3, vmstate_pit_channel) ...
 *   vmstate_register("i8254", 0, &vmstate_pit, pit);
 *
 * The macros compute offsets with offsetof and fail to compile when the
 * member's type does not match the macro (except for nested structs, whose
 * type the description cannot name).
 *
 * Field kinds: u8/u16/u32/u64, i8..i64 and bool, alone or in fixed arrays;
 * byte buffers (a fixed uint8_t array, or a uint8_t pointer whose length is
 * another field: VBUFFER); nested structs and fixed arrays of them; timers
 * (Timer *, the expire time is saved, -1 when not armed; only virtual-clock
 * timers mean anything across runs); variable arrays (VARRAY) stored in a
 * fixed-capacity array whose used length is another, unsigned, field.
 * The length field of a VARRAY is written by the load (after a bound check)
 * and must not be listed as a field of its own; a VBUFFER's length field is
 * configuration (the buffer was allocated with it): the stream must match it.
 *
 * Stream format (all numbers big-endian, whatever the host):
 *   stream  := "PEMUVMS\n" u32:format(=1) section* 'E'
 *   section := 'S' str:name u32:instance_id u32:version_id fields
 *   fields  := field* 0x00
 *   field   := 'F' str:name u8:type u32:elem_size u64:count payload
 *   payload := count * elem_size bytes (integers big-endian, bool 0/1,
 *              timers as i64), or for structs:
 *              str:struct_name u32:struct_version count * fields
 *   str     := u8:length(1..255) bytes
 * Every field carries its name, type and size so that a reader can say
 * exactly what differs. A field newer than the section version in the
 * stream is skipped on load (it keeps its value; post_load gets the
 * version to fix it up).
 */
#ifndef PEMU_VMSTATE_H
#define PEMU_VMSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "src/error.h"

typedef struct Timer Timer;
typedef struct VMStateDescription VMStateDescription;

/* Stream type codes (stable: they are part of the format). */
typedef enum VMStateType {
    VMS_U8 = 1, VMS_U16, VMS_U32, VMS_U64,
    VMS_I8, VMS_I16, VMS_I32, VMS_I64,
    VMS_BOOL, VMS_BYTES, VMS_STRUCT, VMS_TIMER,
    VMS_TYPE_MAX
} VMStateType;

typedef enum VMStateLayout {
    VMS_ONE,        /* one element at offset */
    VMS_ARRAY,      /* num elements at offset */
    VMS_VARRAY,     /* *count_offset elements (at most num) at offset */
    VMS_POINTER,    /* pointer at offset to *count_offset bytes (VBUFFER) */
} VMStateLayout;

typedef struct VMStateField {
    const char *name;           /* NULL ends the table */
    uint8_t type;               /* VMStateType */
    uint8_t layout;             /* VMStateLayout */
    uint8_t count_size;         /* VARRAY, POINTER: size of the length field */
    int version_id;             /* present since this version (0: always) */
    size_t offset;
    size_t elem_size;           /* host size of one element */
    uint32_t num;               /* ARRAY: count; VARRAY: capacity */
    size_t count_offset;        /* VARRAY, POINTER: the length field */
    const VMStateDescription *vmsd; /* STRUCT */
} VMStateField;

struct VMStateDescription {
    const char *name;
    int version_id;             /* what this pemu writes */
    int minimum_version_id;     /* the oldest it can still read */
    const VMStateField *fields;
    /* Hooks return 0, or -1 to fail the save/load. */
    int (*pre_save)(void *opaque);
    int (*pre_load)(void *opaque);
    /* version_id: the version found in the stream. Runs after the whole
     * stream was validated; a failure here is reported but cannot undo
     * what was already loaded, so check what can be checked in the table. */
    int (*post_load)(void *opaque, int version_id);
};

/* ---- field macros --------------------------------------------------------- */

/* 0, or a compile error if &T->f is not a `type *` (the
 * _Generic has no other association; its operand is never evaluated). */
#define VMS_TYPECHECK(T, f, type) _Generic(&((T *)0)->f, type *: 0)
/* 0, or a compile error if member f of T is not n elements of elem. */
#define VMS_COUNTCHECK(T, f, n, elem) \
    (0 * sizeof(char[sizeof(((T *)0)->f) == (size_t)(n) * sizeof(elem) ? 1 : -1]))
#define VMS_MEMBER_SIZE(T, f) sizeof(((T *)0)->f)
#define VMS_NELEMS(T, f) (VMS_MEMBER_SIZE(T, f) / sizeof(((T *)0)->f[0]))

#define VMSTATE_SINGLE_V(f, T, v, kind, ctype)                                \
    { .name = #f, .type = (kind), .layout = VMS_ONE, .version_id = (v),       \
      .offset = offsetof(T, f) + VMS_TYPECHECK(T, f, ctype),                  \
      .elem_size = sizeof(ctype), .num = 1 }

#define VMSTATE_ARRAY_V(f, T, n, v, kind, ctype)                              \
    { .name = #f, .type = (kind), .layout = VMS_ARRAY, .version_id = (v),     \
      .offset = offsetof(T, f) + VMS_TYPECHECK(T, f[0], ctype) +              \
                VMS_COUNTCHECK(T, f, n, ctype),                               \
      .elem_size = sizeof(ctype), .num = (n) }

#define VMSTATE_VARRAY_V(f, T, count_field, v, kind, ctype)                   \
    { .name = #f, .type = (kind), .layout = VMS_VARRAY, .version_id = (v),    \
      .offset = offsetof(T, f) + VMS_TYPECHECK(T, f[0], ctype),               \
      .elem_size = sizeof(ctype), .num = (uint32_t)VMS_NELEMS(T, f),          \
      .count_offset = offsetof(T, count_field),                               \
      .count_size = (uint8_t)VMS_MEMBER_SIZE(T, count_field) }

#define VMSTATE_UINT8_V(f, T, v)  VMSTATE_SINGLE_V(f, T, v, VMS_U8, uint8_t)
#define VMSTATE_UINT16_V(f, T, v) VMSTATE_SINGLE_V(f, T, v, VMS_U16, uint16_t)
#define VMSTATE_UINT32_V(f, T, v) VMSTATE_SINGLE_V(f, T, v, VMS_U32, uint32_t)
#define VMSTATE_UINT64_V(f, T, v) VMSTATE_SINGLE_V(f, T, v, VMS_U64, uint64_t)
#define VMSTATE_INT8_V(f, T, v)   VMSTATE_SINGLE_V(f, T, v, VMS_I8, int8_t)
#define VMSTATE_INT16_V(f, T, v)  VMSTATE_SINGLE_V(f, T, v, VMS_I16, int16_t)
#define VMSTATE_INT32_V(f, T, v)  VMSTATE_SINGLE_V(f, T, v, VMS_I32, int32_t)
#define VMSTATE_INT64_V(f, T, v)  VMSTATE_SINGLE_V(f, T, v, VMS_I64, int64_t)
#define VMSTATE_BOOL_V(f, T, v)   VMSTATE_SINGLE_V(f, T, v, VMS_BOOL, bool)

#define VMSTATE_UINT8(f, T)  VMSTATE_UINT8_V(f, T, 0)
#define VMSTATE_UINT16(f, T) VMSTATE_UINT16_V(f, T, 0)
#define VMSTATE_UINT32(f, T) VMSTATE_UINT32_V(f, T, 0)
#define VMSTATE_UINT64(f, T) VMSTATE_UINT64_V(f, T, 0)
#define VMSTATE_INT8(f, T)   VMSTATE_INT8_V(f, T, 0)
#define VMSTATE_INT16(f, T)  VMSTATE_INT16_V(f, T, 0)
#define VMSTATE_INT32(f, T)  VMSTATE_INT32_V(f, T, 0)
#define VMSTATE_INT64(f, T)  VMSTATE_INT64_V(f, T, 0)
#define VMSTATE_BOOL(f, T)   VMSTATE_BOOL_V(f, T, 0)

#define VMSTATE_UINT8_ARRAY_V(f, T, n, v)  VMSTATE_ARRAY_V(f, T, n, v, VMS_U8, uint8_t)
#define VMSTATE_UINT16_ARRAY_V(f, T, n, v) VMSTATE_ARRAY_V(f, T, n, v, VMS_U16, uint16_t)
#define VMSTATE_UINT32_ARRAY_V(f, T, n, v) VMSTATE_ARRAY_V(f, T, n, v, VMS_U32, uint32_t)
#define VMSTATE_UINT64_ARRAY_V(f, T, n, v) VMSTATE_ARRAY_V(f, T, n, v, VMS_U64, uint64_t)
#define VMSTATE_INT8_ARRAY_V(f, T, n, v)   VMSTATE_ARRAY_V(f, T, n, v, VMS_I8, int8_t)
#define VMSTATE_INT16_ARRAY_V(f, T, n, v)  VMSTATE_ARRAY_V(f, T, n, v, VMS_I16, int16_t)
#define VMSTATE_INT32_ARRAY_V(f, T, n, v)  VMSTATE_ARRAY_V(f, T, n, v, VMS_I32, int32_t)
#define VMSTATE_INT64_ARRAY_V(f, T, n, v)  VMSTATE_ARRAY_V(f, T, n, v, VMS_I64, int64_t)
#define VMSTATE_BOOL_ARRAY_V(f, T, n, v)   VMSTATE_ARRAY_V(f, T, n, v, VMS_BOOL, bool)

#define VMSTATE_UINT8_ARRAY(f, T, n)  VMSTATE_UINT8_ARRAY_V(f, T, n, 0)
#define VMSTATE_UINT16_ARRAY(f, T, n) VMSTATE_UINT16_ARRAY_V(f, T, n, 0)
#define VMSTATE_UINT32_ARRAY(f, T, n) VMSTATE_UINT32_ARRAY_V(f, T, n, 0)
#define VMSTATE_UINT64_ARRAY(f, T, n) VMSTATE_UINT64_ARRAY_V(f, T, n, 0)
#define VMSTATE_INT8_ARRAY(f, T, n)   VMSTATE_INT8_ARRAY_V(f, T, n, 0)
#define VMSTATE_INT16_ARRAY(f, T, n)  VMSTATE_INT16_ARRAY_V(f, T, n, 0)
#define VMSTATE_INT32_ARRAY(f, T, n)  VMSTATE_INT32_ARRAY_V(f, T, n, 0)
#define VMSTATE_INT64_ARRAY(f, T, n)  VMSTATE_INT64_ARRAY_V(f, T, n, 0)
#define VMSTATE_BOOL_ARRAY(f, T, n)   VMSTATE_BOOL_ARRAY_V(f, T, n, 0)

/* Variable arrays: f is a fixed-capacity array, count_field its used length. */
#define VMSTATE_VARRAY_UINT8(f, T, count_field)  VMSTATE_VARRAY_V(f, T, count_field, 0, VMS_U8, uint8_t)
#define VMSTATE_VARRAY_UINT16(f, T, count_field) VMSTATE_VARRAY_V(f, T, count_field, 0, VMS_U16, uint16_t)
#define VMSTATE_VARRAY_UINT32(f, T, count_field) VMSTATE_VARRAY_V(f, T, count_field, 0, VMS_U32, uint32_t)
#define VMSTATE_VARRAY_UINT64(f, T, count_field) VMSTATE_VARRAY_V(f, T, count_field, 0, VMS_U64, uint64_t)

/* Byte buffers: a fixed uint8_t array (BUFFER), or a uint8_t pointer to
 * size_field bytes (VBUFFER). */
#define VMSTATE_BUFFER_V(f, T, v)                                             \
    { .name = #f, .type = VMS_BYTES, .layout = VMS_ARRAY, .version_id = (v),  \
      .offset = offsetof(T, f) + VMS_TYPECHECK(T, f[0], uint8_t),             \
      .elem_size = 1, .num = (uint32_t)VMS_MEMBER_SIZE(T, f) }
#define VMSTATE_BUFFER(f, T) VMSTATE_BUFFER_V(f, T, 0)
#define VMSTATE_VBUFFER_V(f, T, size_field, v)                                \
    { .name = #f, .type = VMS_BYTES, .layout = VMS_POINTER, .version_id = (v), \
      .offset = offsetof(T, f) + VMS_TYPECHECK(T, f, uint8_t *),              \
      .elem_size = 1, .count_offset = offsetof(T, size_field),                \
      .count_size = (uint8_t)VMS_MEMBER_SIZE(T, size_field) }
#define VMSTATE_VBUFFER(f, T, size_field) VMSTATE_VBUFFER_V(f, T, size_field, 0)

/* Nested structs described by another VMStateDescription (an object, not
 * a pointer: VMSTATE_STRUCT(cfg, Foo, vmstate_cfg)). */
#define VMSTATE_STRUCT_V(f, T, v, desc)                                       \
    { .name = #f, .type = VMS_STRUCT, .layout = VMS_ONE, .version_id = (v),   \
      .offset = offsetof(T, f), .elem_size = VMS_MEMBER_SIZE(T, f),           \
      .num = 1, .vmsd = &(desc) }
#define VMSTATE_STRUCT(f, T, desc) VMSTATE_STRUCT_V(f, T, 0, desc)
#define VMSTATE_STRUCT_ARRAY_V(f, T, n, v, desc)                              \
    { .name = #f, .type = VMS_STRUCT, .layout = VMS_ARRAY, .version_id = (v), \
      .offset = offsetof(T, f) + VMS_COUNTCHECK(T, f, n, ((T *)0)->f[0]),     \
      .elem_size = sizeof(((T *)0)->f[0]), .num = (n), .vmsd = &(desc) }
#define VMSTATE_STRUCT_ARRAY(f, T, n, desc) VMSTATE_STRUCT_ARRAY_V(f, T, n, 0, desc)
#define VMSTATE_VARRAY_STRUCT(f, T, count_field, desc)                        \
    { .name = #f, .type = VMS_STRUCT, .layout = VMS_VARRAY,                   \
      .offset = offsetof(T, f), .elem_size = sizeof(((T *)0)->f[0]),          \
      .num = (uint32_t)VMS_NELEMS(T, f), .vmsd = &(desc),                     \
      .count_offset = offsetof(T, count_field),                               \
      .count_size = (uint8_t)VMS_MEMBER_SIZE(T, count_field) }

/* Timers: f is a Timer * (or an array of them) created by the device. */
#define VMSTATE_TIMER_V(f, T, v) VMSTATE_SINGLE_V(f, T, v, VMS_TIMER, Timer *)
#define VMSTATE_TIMER(f, T) VMSTATE_TIMER_V(f, T, 0)
#define VMSTATE_TIMER_ARRAY(f, T, n) VMSTATE_ARRAY_V(f, T, n, 0, VMS_TIMER, Timer *)

#define VMSTATE_END { .name = NULL }

/* ---- streams -------------------------------------------------------------- */

typedef struct VMStream VMStream;

/* A growing memory buffer to write to. */
VMStream *vmstate_mem_stream_new(void);
/* Read from data[0..len) (not copied: keep it alive while the stream is). */
VMStream *vmstate_mem_stream_open(const void *data, size_t len);
/* Read or write f (not closed by vmstate_stream_free). */
VMStream *vmstate_file_stream_new(FILE *f);
/* A memory stream's contents so far. */
const uint8_t *vmstate_stream_data(const VMStream *s, size_t *len);
void vmstate_stream_free(VMStream *s);
/* Raw access for callers that add their own data around the state:
 * return the number of bytes moved; short means EOF or an I/O error. */
size_t vmstate_stream_write(VMStream *s, const void *buf, size_t len);
size_t vmstate_stream_read(VMStream *s, void *buf, size_t len);

/* ---- registry ------------------------------------------------------------- */

#define VMSTATE_INSTANCE_ANY (-1)

/*
 * Check a description (and its nested ones) for mistakes the macros cannot
 * catch: versions, duplicate names, overlapping length fields...
 * vmstate_register aborts on a bad one: it is a bug in pemu.
 */
int vmstate_check_description(const VMStateDescription *desc, Error **errp);

/*
 * Add a section named `name` (desc->name if NULL) for the state at opaque.
 * instance_id tells apart several devices of one kind; VMSTATE_INSTANCE_ANY
 * picks the lowest free one. Returns the instance id.
 */
int vmstate_register(const char *name, int instance_id, const VMStateDescription *desc,
                     void *opaque);
void vmstate_unregister(const VMStateDescription *desc, void *opaque);

/* Write every registered section, in registration order. */
int vmstate_save_all(VMStream *s, Error **errp);
/*
 * Load a stream written by vmstate_save_all. The whole stream is read and
 * checked against the registered descriptions first (names, types, sizes,
 * versions, bounds, truncation, every registered section present exactly
 * once); only if all of it matches is any device touched. Returns 0, or -1
 * with *errp naming what differs.
 */
int vmstate_load_all(VMStream *s, Error **errp);
/* Only the checks of vmstate_load_all: nothing is touched. */
int vmstate_check_all(VMStream *s, Error **errp);

#endif
