/*
 * The interpreter: the handler bodies of handlers.inc compiled into two
 * skins. The computed-goto skin is direct-threaded (each instruction's
 * first word is its handler's label address; each handler ends with its
 * own indirect jump); the switch skin is the portable fallback. Both are in
 * the binary when the compiler has labels-as-values (unless
 * DISPATCH=switch), selected per block at lowering time.
 *
 * Everything cold (slow paths, helpers, lookups) is a call out of these
 * functions, so that cpu/env and pc stay in host registers.
 */
#include "interp/interp.h"

#include <stdlib.h>
#include <string.h>
#include "interp/ldst.h"
#include "src/error.h"
#include "src/softmmu.h"
#include "src/tb.h"

/* Env fields and frame slots are read at their own type; may_alias keeps
 * the compiler honest about a frame slot being read at two widths. */
#if PEMU_GNUC
typedef uint8_t __attribute__((may_alias)) u8a;
typedef uint16_t __attribute__((may_alias)) u16a;
typedef uint32_t __attribute__((may_alias)) u32a;
typedef uint64_t __attribute__((may_alias)) u64a;
#else
typedef uint8_t u8a;
typedef uint16_t u16a;
typedef uint32_t u32a;
typedef uint64_t u64a;
#endif

#define OPW(i)   (pc[(i) + 1])
#define V32(off) (*(u32a *)(void *)(env + (off)))
#define V64(off) (*(u64a *)(void *)(env + (off)))
#define R32(i)   V32(OPW(i))
#define R64(i)   V64(OPW(i))
#define I32(i)   ((uint32_t)OPW(i))
#define I64(i)   ((uint64_t)(int64_t)(intptr_t)OPW(i))

#define CMP32_EQ(a, b)    ((uint32_t)(a) == (uint32_t)(b))
#define CMP32_NE(a, b)    ((uint32_t)(a) != (uint32_t)(b))
#define CMP32_LT(a, b)    ((int32_t)(a) < (int32_t)(b))
#define CMP32_GE(a, b)    ((int32_t)(a) >= (int32_t)(b))
#define CMP32_LE(a, b)    ((int32_t)(a) <= (int32_t)(b))
#define CMP32_GT(a, b)    ((int32_t)(a) > (int32_t)(b))
#define CMP32_LTU(a, b)   ((uint32_t)(a) < (uint32_t)(b))
#define CMP32_GEU(a, b)   ((uint32_t)(a) >= (uint32_t)(b))
#define CMP32_LEU(a, b)   ((uint32_t)(a) <= (uint32_t)(b))
#define CMP32_GTU(a, b)   ((uint32_t)(a) > (uint32_t)(b))
#define CMP32_TSTEQ(a, b) (((uint32_t)(a) & (uint32_t)(b)) == 0)
#define CMP32_TSTNE(a, b) (((uint32_t)(a) & (uint32_t)(b)) != 0)
#define CMP64_EQ(a, b)    ((uint64_t)(a) == (uint64_t)(b))
#define CMP64_NE(a, b)    ((uint64_t)(a) != (uint64_t)(b))
#define CMP64_LT(a, b)    ((int64_t)(a) < (int64_t)(b))
#define CMP64_GE(a, b)    ((int64_t)(a) >= (int64_t)(b))
#define CMP64_LE(a, b)    ((int64_t)(a) <= (int64_t)(b))
#define CMP64_GT(a, b)    ((int64_t)(a) > (int64_t)(b))
#define CMP64_LTU(a, b)   ((uint64_t)(a) < (uint64_t)(b))
#define CMP64_GEU(a, b)   ((uint64_t)(a) >= (uint64_t)(b))
#define CMP64_LEU(a, b)   ((uint64_t)(a) <= (uint64_t)(b))
#define CMP64_GTU(a, b)   ((uint64_t)(a) > (uint64_t)(b))
#define CMP64_TSTEQ(a, b) (((uint64_t)(a) & (uint64_t)(b)) == 0)
#define CMP64_TSTNE(a, b) (((uint64_t)(a) & (uint64_t)(b)) != 0)

/* ir.def semantics: counts modulo the width; x/0 = 0, x%0 = x,
 * MIN/-1 = MIN, MIN%-1 = 0. */
PEMU_INLINE uint32_t rotl32(uint32_t a, uint32_t b)
{
    b &= 31;
    return (a << b) | (a >> ((32 - b) & 31));
}
PEMU_INLINE uint32_t rotr32(uint32_t a, uint32_t b)
{
    b &= 31;
    return (a >> b) | (a << ((32 - b) & 31));
}
PEMU_INLINE uint64_t rotl64(uint64_t a, uint64_t b)
{
    b &= 63;
    return (a << b) | (a >> ((64 - b) & 63));
}
PEMU_INLINE uint64_t rotr64(uint64_t a, uint64_t b)
{
    b &= 63;
    return (a >> b) | (a << ((64 - b) & 63));
}
PEMU_INLINE uint32_t divs32(uint32_t a, uint32_t b)
{
    if (b == 0)
        return 0;
    if (b == UINT32_MAX)
        return 0u - a; /* also MIN/-1 = MIN */
    return (uint32_t)((int32_t)a / (int32_t)b);
}
PEMU_INLINE uint32_t rems32(uint32_t a, uint32_t b)
{
    if (b == 0)
        return a;
    if (b == UINT32_MAX)
        return 0;
    return (uint32_t)((int32_t)a % (int32_t)b);
}
PEMU_INLINE uint64_t divs64(uint64_t a, uint64_t b)
{
    if (b == 0)
        return 0;
    if (b == UINT64_MAX)
        return 0u - a;
    return (uint64_t)((int64_t)a / (int64_t)b);
}
PEMU_INLINE uint64_t rems64(uint64_t a, uint64_t b)
{
    if (b == 0)
        return a;
    if (b == UINT64_MAX)
        return 0;
    return (uint64_t)((int64_t)a % (int64_t)b);
}
/* 0 < len, pos + len <= 64 (checked at selection) */
PEMU_INLINE uint64_t extract64(uint64_t v, unsigned pos, unsigned len)
{
    return (v >> pos) & (~(uint64_t)0 >> (64 - len));
}
PEMU_INLINE uint64_t sextract64(uint64_t v, unsigned pos, unsigned len)
{
    return (uint64_t)((int64_t)(v << (64 - pos - len)) >> (64 - len));
}
PEMU_INLINE uint64_t deposit64(uint64_t a, uint64_t b, unsigned pos, unsigned len)
{
    uint64_t mask = (~(uint64_t)0 >> (64 - len)) << pos;
    return (a & ~mask) | ((b << pos) & mask);
}
/* Helper arguments arrive zero-extended: i32 temps are read at 32 bits. */
PEMU_INLINE uint64_t call_arg(const uint8_t *env, uintptr_t off, BCWord mask, unsigned i)
{
    return (mask >> i) & 1 ? *(const u64a *)(const void *)(env + off)
                           : *(const u32a *)(const void *)(env + off);
}

/* ---- computed-goto skin ---------------------------------------------------- */

#if PEMU_HAVE_COMPUTED_GOTO
uintptr_t interp_run_goto(CPUState *cpu, const BCWord *pc)
{
    static const void *const labels[BC_NB_OPS] = {
#define BC(name, fmt, ...) &&L_##name,
#include "interp/bytecode.def"
#undef BC
    };
    if (!cpu)
        return (uintptr_t)labels;
    uint8_t *env = (uint8_t *)cpu;

#define DISPATCH() goto *(const void *)pc[0]
#define HANDLER(name, ...) L_##name: { __VA_ARGS__ } pc += BCLEN_##name; DISPATCH();
#define HANDLER_J(name, ...) L_##name: { __VA_ARGS__ }
#define SKIN_CFLAGS TB_CF_DISPATCH
    DISPATCH();
#include "interp/handlers.inc"
#undef DISPATCH
#undef HANDLER
#undef HANDLER_J
#undef SKIN_CFLAGS
}
#else
uintptr_t interp_run_goto(CPUState *cpu, const BCWord *pc)
{
    (void)cpu;
    (void)pc;
    return 0;
}
#endif

/* ---- switch skin ------------------------------------------------------------ */

uintptr_t interp_run_switch(CPUState *cpu, const BCWord *pc)
{
    uint8_t *env = (uint8_t *)cpu;

#define DISPATCH() goto top
#define HANDLER(name, ...) case BC_##name: { __VA_ARGS__ } pc += BCLEN_##name; DISPATCH();
#define HANDLER_J(name, ...) case BC_##name: { __VA_ARGS__ }
#define SKIN_CFLAGS 0
top:
    switch ((BCOpcode)pc[0]) {
#include "interp/handlers.inc"
    default:
        pemu_abort("interp: bad opcode %lu at %p", (unsigned long)pc[0], (const void *)pc);
    }
#undef DISPATCH
#undef HANDLER
#undef HANDLER_J
#undef SKIN_CFLAGS
    return 0;
}

/* ---- skin selection ------------------------------------------------------------- */

static InterpDispatch cur_dispatch = (InterpDispatch)-1;

bool interp_dispatch_available(InterpDispatch d)
{
    return d == INTERP_DISPATCH_SWITCH || (d == INTERP_DISPATCH_GOTO && PEMU_HAVE_COMPUTED_GOTO);
}

bool interp_set_dispatch(InterpDispatch d)
{
    if (!interp_dispatch_available(d))
        return false;
    cur_dispatch = d;
    return true;
}

InterpDispatch interp_get_dispatch(void)
{
    if ((int)cur_dispatch < 0) {
        const char *s = getenv("PEMU_DISPATCH");
        cur_dispatch = PEMU_HAVE_COMPUTED_GOTO ? INTERP_DISPATCH_GOTO : INTERP_DISPATCH_SWITCH;
        if (s && !strcmp(s, "switch"))
            cur_dispatch = INTERP_DISPATCH_SWITCH;
        else if (s && !strcmp(s, "goto") && !PEMU_HAVE_COMPUTED_GOTO)
            warn_report("PEMU_DISPATCH=goto: this build has only the switch interpreter "
                        "(built with DISPATCH=switch or without GNU C labels-as-values)");
    }
    return cur_dispatch;
}

const char *interp_dispatch_name(InterpDispatch d)
{
    return d == INTERP_DISPATCH_GOTO ? "goto" : "switch";
}

BCWord interp_handler_word(InterpDispatch d, BCOpcode op)
{
    if (d == INTERP_DISPATCH_GOTO) {
        const void *const *labels = (const void *const *)interp_run_goto(NULL, NULL);
        return (BCWord)labels[op];
    }
    return (BCWord)op;
}

int interp_word_opcode(InterpDispatch d, BCWord w)
{
    if (d == INTERP_DISPATCH_GOTO) {
        const void *const *labels = (const void *const *)interp_run_goto(NULL, NULL);
        for (int i = 0; i < BC_NB_OPS; i++)
            if ((BCWord)labels[i] == w)
                return i;
        return -1;
    }
    return w < BC_NB_OPS ? (int)w : -1;
}

uintptr_t interp_exec(CPUState *cpu, TranslationBlock *tb)
{
    if (PEMU_HAVE_COMPUTED_GOTO && (tb->cflags & TB_CF_DISPATCH))
        return interp_run_goto(cpu, (const BCWord *)tb->code);
    return interp_run_switch(cpu, (const BCWord *)tb->code);
}
