/*
 * The x86 registers as gdb sees them (GdbTargetOps, src/gdbstub.h): two
 * layouts described by target XML written here from gdb's documented
 * feature names ("Standard Target Features", i386 features):
 *
 *   org.gnu.gdb.i386.core      general registers, eip/rip, eflags, the six
 *                              selectors, st0-st7, fctrl fstat ftag fiseg
 *                              fioff foseg fooff fop
 *   org.gnu.gdb.i386.sse       xmm0-7 (xmm0-15 for x86-64), mxcsr
 *   org.gnu.gdb.i386.segments  fs_base, gs_base
 *   org.pemu.gdb.x86.sys       k_gs_base, cr0 cr2 cr3 cr4 cr8, efer
 *
 * Which layout: gdb reads the description once, when it connects, and
 * cannot switch later. pemu answers x86-64 when the CPU is in long mode
 * (EFER.LMA) at that moment, i386 otherwise: a 32-bit (Multiboot) kernel
 * gets a 32-bit gdb, and a 64-bit kernel stopped in long mode a 64-bit
 * one. To debug a 64-bit kernel from its 32-bit entry, break once it runs
 * in long mode, then `disconnect` and `target remote` again.
 *
 * The pc is the linear address: gdb's $pc (eip, rip) reads CS.base + EIP
 * outside 64-bit mode, so that breakpoints, memory and disassembly all use
 * one address space also in real mode and vm86 (CS:IP 0x07c0:0x0000 shows
 * as 0x7c00). It is EIP itself whenever CS.base is 0 (every flat kernel).
 * Writing $pc sets EIP = value - CS.base.
 */
#include "src/x86/gdb.h"

#include <stdio.h>
#include <string.h>
#include "src/softmmu.h"
#include "src/x86/cpu.h"
#include "src/x86/flags.h"
#include "src/x86/seg.h"

enum { LAYOUT_I386, LAYOUT_X86_64, NLAYOUTS };

typedef enum RegKind {
    K_GPR, K_PC, K_EFLAGS, K_SEG, K_ST, K_FCTRL, K_FSTAT, K_FTAG, K_FISEG, K_FIOFF,
    K_FOSEG, K_FOOFF, K_FOP, K_XMM, K_MXCSR, K_FS_BASE, K_GS_BASE, K_KGS_BASE, K_CR,
    K_CR8, K_EFER,
} RegKind;

typedef struct GdbReg {
    char name[12];
    uint8_t kind, idx, bits;
    const char *type, *group, *feature;
} GdbReg;

#define MAX_REGS 80
static GdbReg regs[NLAYOUTS][MAX_REGS];
static int nregs[NLAYOUTS];
static char xml[NLAYOUTS][16384];
static bool ready;

static const char F_CORE[] = "org.gnu.gdb.i386.core", F_SSE[] = "org.gnu.gdb.i386.sse",
                  F_SEGS[] = "org.gnu.gdb.i386.segments", F_SYS[] = "org.pemu.gdb.x86.sys";

static void add(int l, const char *name, RegKind kind, int idx, int bits, const char *type,
                const char *group, const char *feature)
{
    GdbReg *r = &regs[l][nregs[l]++];
    snprintf(r->name, sizeof(r->name), "%s", name);
    r->kind = (uint8_t)kind;
    r->idx = (uint8_t)idx;
    r->bits = (uint8_t)bits;
    r->type = type;
    r->group = group;
    r->feature = feature;
}

/* EFLAGS bits (SDM Vol. 1 3.4.3) for gdb's display. */
static const char eflags_type[] =
    "<flags id=\"x86_eflags\" size=\"4\">"
    "<field name=\"CF\" start=\"0\" end=\"0\"/><field name=\"\" start=\"1\" end=\"1\"/>"
    "<field name=\"PF\" start=\"2\" end=\"2\"/><field name=\"AF\" start=\"4\" end=\"4\"/>"
    "<field name=\"ZF\" start=\"6\" end=\"6\"/><field name=\"SF\" start=\"7\" end=\"7\"/>"
    "<field name=\"TF\" start=\"8\" end=\"8\"/><field name=\"IF\" start=\"9\" end=\"9\"/>"
    "<field name=\"DF\" start=\"10\" end=\"10\"/><field name=\"OF\" start=\"11\" end=\"11\"/>"
    "<field name=\"NT\" start=\"14\" end=\"14\"/><field name=\"RF\" start=\"16\" end=\"16\"/>"
    "<field name=\"VM\" start=\"17\" end=\"17\"/><field name=\"AC\" start=\"18\" end=\"18\"/>"
    "<field name=\"VIF\" start=\"19\" end=\"19\"/><field name=\"VIP\" start=\"20\" end=\"20\"/>"
    "<field name=\"ID\" start=\"21\" end=\"21\"/></flags>\n";

/* An XMM register seen as every lane width. */
static const char vec_type[] =
    "<vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>"
    "<vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>"
    "<vector id=\"v16i8\" type=\"int8\" count=\"16\"/>"
    "<vector id=\"v8i16\" type=\"int16\" count=\"8\"/>"
    "<vector id=\"v4i32\" type=\"int32\" count=\"4\"/>"
    "<vector id=\"v2i64\" type=\"int64\" count=\"2\"/>"
    "<union id=\"vec128\"><field name=\"v4_float\" type=\"v4f\"/>"
    "<field name=\"v2_double\" type=\"v2d\"/><field name=\"v16_int8\" type=\"v16i8\"/>"
    "<field name=\"v8_int16\" type=\"v8i16\"/><field name=\"v4_int32\" type=\"v4i32\"/>"
    "<field name=\"v2_int64\" type=\"v2i64\"/><field name=\"uint128\" type=\"uint128\"/>"
    "</union>\n";

static void build(int l)
{
    bool w = l == LAYOUT_X86_64;
    int gbits = w ? 64 : 32;
    const char *gint = w ? "int64" : "int32";
    static const char *const n32[8] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" };
    /* gdb's amd64 order, and where each lives in regs[] */
    static const char *const n64[16] = { "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
                                         "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };
    static const int i64[16] = { R_EAX, R_EBX, R_ECX, R_EDX, R_ESI, R_EDI, R_EBP, R_ESP,
                                 8, 9, 10, 11, 12, 13, 14, 15 };
    static const char *const segn[6] = { "cs", "ss", "ds", "es", "fs", "gs" };
    static const int segi[6] = { R_CS, R_SS, R_DS, R_ES, R_FS, R_GS };
    char name[12];

    for (int i = 0; i < (w ? 16 : 8); i++) {
        int idx = w ? i64[i] : i;
        const char *type = idx == R_ESP || idx == R_EBP ? "data_ptr" : gint;
        add(l, w ? n64[i] : n32[i], K_GPR, idx, gbits, type, "general", F_CORE);
    }
    add(l, w ? "rip" : "eip", K_PC, 0, gbits, "code_ptr", "general", F_CORE);
    add(l, "eflags", K_EFLAGS, 0, 32, "x86_eflags", "general", F_CORE);
    for (int i = 0; i < 6; i++)
        add(l, segn[i], K_SEG, segi[i], 32, "int32", "general", F_CORE);
    for (int i = 0; i < 8; i++) {
        snprintf(name, sizeof(name), "st%d", i);
        add(l, name, K_ST, i, 80, "i387_ext", "float", F_CORE);
    }
    static const char *const fn[8] = { "fctrl", "fstat", "ftag", "fiseg", "fioff", "foseg", "fooff", "fop" };
    for (int i = 0; i < 8; i++)
        add(l, fn[i], (RegKind)(K_FCTRL + i), 0, 32, "int", "float", F_CORE);
    for (int i = 0; i < (w ? 16 : 8); i++) {
        snprintf(name, sizeof(name), "xmm%d", i);
        add(l, name, K_XMM, i, 128, "vec128", "vector", F_SSE);
    }
    add(l, "mxcsr", K_MXCSR, 0, 32, "int", "vector", F_SSE);
    add(l, "fs_base", K_FS_BASE, 0, gbits, gint, "system", w ? F_SEGS : F_SYS);
    add(l, "gs_base", K_GS_BASE, 0, gbits, gint, "system", w ? F_SEGS : F_SYS);
    add(l, "k_gs_base", K_KGS_BASE, 0, gbits, gint, "system", F_SYS);
    static const int crs[4] = { 0, 2, 3, 4 };
    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof(name), "cr%d", crs[i]);
        add(l, name, K_CR, crs[i], gbits, gint, "system", F_SYS);
    }
    add(l, "cr8", K_CR8, 0, gbits, gint, "system", F_SYS);
    add(l, "efer", K_EFER, 0, gbits, gint, "system", F_SYS);

    char *p = xml[l];
    size_t cap = sizeof(xml[l]), n = 0;
#define OUT(...) (n += (size_t)snprintf(p + n, n < cap ? cap - n : 0, __VA_ARGS__))
    OUT("<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
        "<target version=\"1.0\">\n<architecture>%s</architecture>\n", w ? "i386:x86-64" : "i386");
    const char *feature = NULL;
    for (int i = 0; i < nregs[l]; i++) {
        const GdbReg *r = &regs[l][i];
        if (r->feature != feature) {
            if (feature)
                OUT("</feature>\n");
            feature = r->feature;
            OUT("<feature name=\"%s\">\n", feature);
            if (feature == F_CORE)
                OUT("%s", eflags_type);
            if (feature == F_SSE)
                OUT("%s", vec_type);
        }
        OUT("<reg name=\"%s\" bitsize=\"%d\" type=\"%s\" group=\"%s\" regnum=\"%d\"/>\n", r->name,
            r->bits, r->type, r->group, i);
    }
    OUT("</feature>\n</target>\n");
#undef OUT
    if (n >= cap)
        pemu_abort("x86 gdb: target description larger than %zu bytes", cap);
}

static void init(void)
{
    if (ready)
        return;
    ready = true;
    for (int l = 0; l < NLAYOUTS; l++)
        build(l);
}

static int x86_gdb_select(CPUState *cs)
{
    return (x86_cpu(cs)->env.efer & EFER_LMA) ? LAYOUT_X86_64 : LAYOUT_I386;
}

static const char *x86_gdb_xml(int layout, const char *annex)
{
    init();
    if (layout < 0 || layout >= NLAYOUTS || strcmp(annex, "target.xml"))
        return NULL;
    return xml[layout];
}

/* x87 tag word from the empty flags and the register contents (SDM Vol. 1
 * 8.1.7): 0 valid, 1 zero, 2 special (NaN, infinity, denormal, unnormal), 3 empty. */
static uint16_t full_tag_word(const X86State *s)
{
    uint16_t tw = 0;
    for (int i = 0; i < 8; i++) {
        unsigned t;
        uint16_t e = s->fpregs[i].sexp & 0x7fff;
        uint64_t m = s->fpregs[i].mant;
        if (s->fptags[i])
            t = 3;
        else if (!e && !m)
            t = 1;
        else if (e == 0x7fff || !e || !(m >> 63))
            t = 2;
        else
            t = 0;
        tw |= (uint16_t)(t << (2 * i));
    }
    return tw;
}

static uint64_t linear_pc(const X86State *s)
{
    if (s->hflags & HF_CS64)
        return s->rip;
    return (s->segs[R_CS].base + s->rip) & 0xffffffffu;
}

static const GdbReg *reg_of(int layout, int n)
{
    init();
    if (layout < 0 || layout >= NLAYOUTS || n < 0 || n >= nregs[layout])
        return NULL;
    return &regs[layout][n];
}

static int x86_gdb_read(CPUState *cs, int layout, int n, uint8_t *buf)
{
    const GdbReg *r = reg_of(layout, n);
    const X86State *s = &x86_cpu(cs)->env;
    uint64_t v = 0;
    if (!r)
        return 0;
    switch ((RegKind)r->kind) {
    case K_GPR: v = s->regs[r->idx]; break;
    case K_PC: v = linear_pc(s); break;
    case K_EFLAGS: v = x86_eflags_get(s); break;
    case K_SEG: v = s->segs[r->idx].selector; break;
    case K_ST: {
        const X86Float80 *f = &s->fpregs[(s->fpstt + r->idx) & 7];
        st64_le(buf, f->mant);
        st16_le(buf + 8, f->sexp);
        return 10;
    }
    case K_FCTRL: v = s->fpuc; break;
    case K_FSTAT: v = (s->fpus & ~0x3800u) | ((s->fpstt & 7) << 11); break;
    case K_FTAG: v = full_tag_word(s); break;
    case K_FISEG: v = s->fpcs; break;
    case K_FIOFF: v = s->fpip; break;
    case K_FOSEG: v = s->fpds; break;
    case K_FOOFF: v = s->fpdp; break;
    case K_FOP: v = s->fpop; break;
    case K_XMM:
        st64_le(buf, s->xmm[r->idx].q[0]);
        st64_le(buf + 8, s->xmm[r->idx].q[1]);
        return 16;
    case K_MXCSR: v = s->mxcsr; break;
    case K_FS_BASE: v = s->segs[R_FS].base; break;
    case K_GS_BASE: v = s->segs[R_GS].base; break;
    case K_KGS_BASE: v = s->kernel_gs_base; break;
    case K_CR: v = s->cr[r->idx]; break;
    case K_CR8: v = s->cr8; break;
    case K_EFER: v = s->efer; break;
    }
    if (r->bits == 64) {
        st64_le(buf, v);
        return 8;
    }
    st32_le(buf, (uint32_t)v);
    return 4;
}

/* The EFLAGS bits software can hold (the rest read as fixed values). */
#define EFLAGS_WRITABLE 0x003f7fd5u

static int x86_gdb_write(CPUState *cs, int layout, int n, const uint8_t *buf)
{
    const GdbReg *r = reg_of(layout, n);
    X86State *s = &x86_cpu(cs)->env;
    if (!r)
        return 0;
    uint64_t v = r->bits == 64 ? ld64_le(buf) : r->bits == 32 ? ld32_le(buf) : 0;
    bool mode = false; /* the mode or the address space may have changed */
    switch ((RegKind)r->kind) {
    case K_GPR: s->regs[r->idx] = v; break;
    case K_PC:
        s->rip = (s->hflags & HF_CS64) ? v : (v - s->segs[R_CS].base) & 0xffffffffu;
        break;
    case K_EFLAGS:
        x86_eflags_set(s, (uint32_t)v, EFLAGS_WRITABLE);
        mode = true;
        break;
    case K_SEG:
        if (v > 0xffff)
            return 0;
        if (v == s->segs[r->idx].selector)
            break;
        /* Real mode and vm86 have no descriptors to check; a protected-mode
         * selector would need its descriptor loaded: not from gdb. */
        if ((s->cr[0] & CR0_PE) && !(s->eflags & EF_VM))
            return 0;
        x86_seg_load_vm(s, r->idx, (uint16_t)v, (s->eflags & EF_VM) != 0);
        mode = true;
        break;
    case K_ST: {
        X86Float80 *f = &s->fpregs[(s->fpstt + r->idx) & 7];
        f->mant = ld64_le(buf);
        f->sexp = ld16_le(buf + 8);
        return 10;
    }
    case K_FCTRL: s->fpuc = (uint16_t)v; break;
    case K_FSTAT:
        s->fpus = (uint16_t)(v & ~0x3800u);
        s->fpstt = (uint32_t)(v >> 11) & 7;
        break;
    case K_FTAG:
        for (int i = 0; i < 8; i++)
            s->fptags[i] = ((v >> (2 * i)) & 3) == 3;
        break;
    case K_FISEG: s->fpcs = (uint16_t)v; break;
    case K_FIOFF: s->fpip = v; break;
    case K_FOSEG: s->fpds = (uint16_t)v; break;
    case K_FOOFF: s->fpdp = v; break;
    case K_FOP: s->fpop = (uint16_t)v; break;
    case K_XMM:
        s->xmm[r->idx].q[0] = ld64_le(buf);
        s->xmm[r->idx].q[1] = ld64_le(buf + 8);
        return 16;
    case K_MXCSR: s->mxcsr = (uint32_t)v; break;
    case K_FS_BASE: s->segs[R_FS].base = v; break;
    case K_GS_BASE: s->segs[R_GS].base = v; break;
    case K_KGS_BASE: s->kernel_gs_base = v; break;
    case K_CR: s->cr[r->idx] = v; mode = true; break;
    case K_CR8: s->cr8 = v & 15; break;
    case K_EFER: s->efer = v; mode = true; break;
    }
    if (mode) {
        x86_update_hflags(s);
        softmmu_flush_all(cs);
    }
    return r->bits / 8;
}

const GdbTargetOps x86_gdb_ops = {
    x86_gdb_select, x86_gdb_xml, x86_gdb_read, x86_gdb_write,
};
