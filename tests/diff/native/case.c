/*
 * Test case and result: initial data area and the text forms (case.h).
 *
 * Built twice: into the host driver (diff) and into the 32-bit static
 * native runner (run32), so it is plain C11 with no pemu dependencies
 * beyond ports/host.h.
 */
#include "case.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ports/host.h"

static const char *const gpr32[8] = {
    "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
};
static const char *const gpr64[16] = {
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
    "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};

int case_ngpr(int mode)
{
    return mode == 64 ? 16 : 8;
}

const char *gpr_name(int mode, int r)
{
    return mode == 64 ? gpr64[r & 15] : gpr32[r & 7];
}

int case_code(const Case *c, uint8_t *buf, int size)
{
    int n = 0;
    for (int i = 0; i < c->ninsn; i++) {
        if (n + c->insn[i].len > size)
            break;
        memcpy(buf + n, c->insn[i].bytes, c->insn[i].len);
        n += c->insn[i].len;
    }
    return n;
}

uint32_t case_undef(const Case *c)
{
    uint32_t m = 0;
    for (int i = 0; i < c->ninsn; i++)
        m |= c->insn[i].undef;
    return m;
}

void case_fill_data(const Case *c, uint8_t *data)
{
    /* xorshift32: tiny, and the same on every host. */
    uint32_t s = c->data_seed ? c->data_seed : 0x9e3779b9u;
    for (uint32_t i = 0; i < DIFF_DATA_SIZE; i += 4) {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        st32_le(data + i, s);
    }
    for (int i = 0; i < c->npatch; i++) {
        const CasePatch *p = &c->patch[i];
        for (int j = 0; j < p->len && p->off + j < (int)DIFF_DATA_SIZE; j++)
            data[p->off + j] = p->bytes[j];
    }
}

/* ---- names ---------------------------------------------------------------- */

static const struct { int exc; const char *name; } exc_names[] = {
    { EXC_NONE, "none" }, { EXC_DE, "DE" }, { EXC_DB, "DB" }, { EXC_BP, "BP" },
    { EXC_OF, "OF" }, { EXC_BR, "BR" }, { EXC_UD, "UD" }, { EXC_NP, "NP" },
    { EXC_SS, "SS" }, { EXC_GP, "GP" }, { EXC_PF, "PF" }, { EXC_MF, "MF" },
    { EXC_AC, "AC" }, { EXC_XM, "XM" }, { EXC_OTHER, "other" },
};

const char *exc_name(int exc)
{
    for (size_t i = 0; i < sizeof(exc_names) / sizeof(exc_names[0]); i++)
        if (exc_names[i].exc == exc)
            return exc_names[i].name;
    return "other";
}

int exc_from_name(const char *name)
{
    for (size_t i = 0; i < sizeof(exc_names) / sizeof(exc_names[0]); i++)
        if (!strcmp(exc_names[i].name, name))
            return exc_names[i].exc;
    return -2;
}

const char *flags_names(uint32_t mask, char *buf, int size)
{
    static const struct { uint32_t bit; const char *name; } fl[] = {
        { FL_CF, "CF" }, { FL_PF, "PF" }, { FL_AF, "AF" }, { FL_ZF, "ZF" },
        { FL_SF, "SF" }, { FL_TF, "TF" }, { FL_IF, "IF" }, { FL_DF, "DF" },
        { FL_OF, "OF" }, { FL_IOPL, "IOPL" }, { FL_NT, "NT" }, { FL_RF, "RF" },
        { FL_VM, "VM" }, { FL_AC, "AC" }, { FL_ID, "ID" },
    };
    int n = 0;
    buf[0] = 0;
    for (size_t i = 0; i < sizeof(fl) / sizeof(fl[0]); i++)
        if (mask & fl[i].bit)
            n += snprintf(buf + n, n < size ? size - n : 0, "%s%s", n ? "|" : "", fl[i].name);
    if (!n)
        snprintf(buf, size, "-");
    return buf;
}

/* ---- printing --------------------------------------------------------------- */

static void print_regs(FILE *f, int mode, const uint64_t *gpr)
{
    fputs("regs", f);
    for (int i = 0; i < case_ngpr(mode); i++) {
        if (mode == 64)
            fprintf(f, " %s=%016" PRIx64, gpr_name(mode, i), gpr[i]);
        else
            fprintf(f, " %s=%08" PRIx32, gpr_name(mode, i), (uint32_t)gpr[i]);
    }
    fputc('\n', f);
}

void case_print(FILE *f, const Case *c)
{
    fprintf(f, "case %s\nmode %d\n", c->id[0] ? c->id : "-", c->mode);
    for (int i = 0; i < c->ninsn; i++) {
        const CaseInsn *in = &c->insn[i];
        fputs("insn", f);
        for (int j = 0; j < in->len; j++)
            fprintf(f, " %02x", in->bytes[j]);
        fprintf(f, " | %04" PRIx32 " | %s\n", in->undef, in->form[0] ? in->form : "-");
    }
    print_regs(f, c->mode, c->gpr);
    fprintf(f, "eflags %08" PRIx32 "\ndata %08" PRIx32 "\n", c->eflags, c->data_seed);
    for (int i = 0; i < c->npatch; i++) {
        fprintf(f, "patch %04x", c->patch[i].off);
        for (int j = 0; j < c->patch[i].len; j++)
            fprintf(f, " %02x", c->patch[i].bytes[j]);
        fputc('\n', f);
    }
    fputs("end\n", f);
}

void result_fp_init(ResultFp *fp)
{
    memset(fp, 0, sizeof(*fp));
    fp->fcw = 0x037f;
    fp->mxcsr = 0x1f80;
}

/* Only what differs from the initial state is printed. */
static void print_fp(FILE *f, const ResultFp *fp)
{
    ResultFp z;
    result_fp_init(&z);
    if (fp->fcw != z.fcw || fp->fsw != z.fsw || fp->ftw != z.ftw || fp->mxcsr != z.mxcsr)
        fprintf(f, "fpu fcw=%04x fsw=%04x ftw=%02x mxcsr=%08" PRIx32 "\n", fp->fcw, fp->fsw,
                fp->ftw, fp->mxcsr);
    for (int i = 0; i < 8; i++)
        if (fp->mant[i] || fp->sexp[i])
            fprintf(f, "fpr %d %04x:%016" PRIx64 "\n", i, fp->sexp[i], fp->mant[i]);
    for (int i = 0; i < DIFF_NXMM; i++)
        if (fp->xmm[i][0] || fp->xmm[i][1])
            fprintf(f, "xmm %d %016" PRIx64 ":%016" PRIx64 "\n", i, fp->xmm[i][1], fp->xmm[i][0]);
}

void result_print(FILE *f, const Case *c, const Result *r)
{
    uint8_t init[DIFF_DATA_SIZE];
    case_fill_data(c, init);
    fprintf(f, "result\nexc %s eip=%08" PRIx32, exc_name(r->exc), r->eip);
    if (r->exc == EXC_PF)
        fprintf(f, " addr=%08" PRIx64, r->addr);
    fputc('\n', f);
    print_regs(f, c->mode, r->gpr);
    fprintf(f, "eflags %08" PRIx32 "\n", r->eflags);
    print_fp(f, &r->fp);
    /* Memory: runs of changed bytes, at most 16 per line. */
    for (uint32_t i = 0; i < DIFF_DATA_SIZE;) {
        if (r->data[i] == init[i]) {
            i++;
            continue;
        }
        uint32_t j = i;
        while (j < DIFF_DATA_SIZE && j - i < 16 && r->data[j] != init[j])
            j++;
        fprintf(f, "mem %04" PRIx32, i);
        for (; i < j; i++)
            fprintf(f, " %02x", r->data[i]);
        fputc('\n', f);
    }
    if (r->sig)
        fprintf(f, "native sig=%d code=%d trapno=%d err=%d\n", r->sig, r->si_code,
                r->trapno, r->err);
    fputs("end\n", f);
}

/* ---- parsing ---------------------------------------------------------------- */

static int perr(char *err, int size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, size, fmt, ap);
    va_end(ap);
    return -1;
}

/* Next meaningful line, newline stripped; NULL at EOF. */
static char *next_line(FILE *f, char *buf, int size, int skip_blank)
{
    for (;;) {
        if (!fgets(buf, size, f))
            return NULL;
        size_t n = strlen(buf);
        while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
            buf[--n] = 0;
        char *s = buf;
        while (*s == ' ' || *s == '\t')
            s++;
        if (skip_blank && (!*s || *s == '#'))
            continue;
        return s;
    }
}

static int parse_hex(const char *s, uint64_t *v, const char **end)
{
    char *e;
    if (!isxdigit((unsigned char)*s))
        return 0;
    *v = strtoull(s, &e, 16);
    if (end)
        *end = e;
    return 1;
}

/* "xx xx xx" into out; returns the count or -1. Stops at '|' or end. */
static int parse_bytes(const char *s, uint8_t *out, int max, const char **end)
{
    int n = 0;
    for (;;) {
        while (*s == ' ' || *s == '\t')
            s++;
        if (!*s || *s == '|')
            break;
        if (!isxdigit((unsigned char)s[0]) || !isxdigit((unsigned char)s[1]) ||
            (s[2] && s[2] != ' ' && s[2] != '\t' && s[2] != '|'))
            return -1;
        if (n == max)
            return -1;
        out[n++] = (uint8_t)strtoul((char[]){ s[0], s[1], 0 }, NULL, 16);
        s += 2;
    }
    if (end)
        *end = s;
    return n;
}

static int parse_regs(const char *s, int mode, uint64_t *gpr, char *err, int errsize)
{
    char name[8];
    for (;;) {
        while (*s == ' ')
            s++;
        if (!*s)
            return 0;
        int n = 0;
        while (*s && *s != '=' && *s != ' ' && n < 7)
            name[n++] = *s++;
        name[n] = 0;
        uint64_t v;
        if (*s != '=' || !parse_hex(s + 1, &v, &s))
            return perr(err, errsize, "regs: expected name=hex at '%s'", name);
        int r;
        for (r = 0; r < case_ngpr(mode); r++)
            if (!strcmp(name, gpr_name(mode, r)))
                break;
        if (r == case_ngpr(mode))
            return perr(err, errsize, "regs: unknown register '%s' in mode %d", name, mode);
        gpr[r] = v;
    }
}

int case_parse(FILE *f, Case *c, char *err, int errsize)
{
    char buf[1024];
    char *s = next_line(f, buf, sizeof(buf), 1);
    memset(c, 0, sizeof(*c));
    c->mode = 32;
    c->eflags = 0x202;
    if (!s)
        return 0;
    if (strncmp(s, "case", 4) || (s[4] && s[4] != ' '))
        return perr(err, errsize, "expected 'case <id>', got '%.40s'", s);
    snprintf(c->id, sizeof(c->id), "%s", s[4] ? s + 5 : "-");
    while ((s = next_line(f, buf, sizeof(buf), 1))) {
        const char *e;
        uint64_t v;
        if (!strcmp(s, "end")) {
            int len = 0;
            for (int i = 0; i < c->ninsn; i++)
                len += c->insn[i].len;
            if (len > CASE_MAX_CODE)
                return perr(err, errsize, "case %s: %d code bytes, at most %d", c->id, len, CASE_MAX_CODE);
            return 1;
        }
        if (!strncmp(s, "mode ", 5)) {
            c->mode = atoi(s + 5);
            if (c->mode != 16 && c->mode != 32 && c->mode != 64)
                return perr(err, errsize, "mode %s: expected 16, 32 or 64", s + 5);
        } else if (!strncmp(s, "insn ", 5)) {
            if (c->ninsn == CASE_MAX_INSNS)
                return perr(err, errsize, "more than %d insn lines", CASE_MAX_INSNS);
            CaseInsn *in = &c->insn[c->ninsn];
            int n = parse_bytes(s + 5, in->bytes, CASE_MAX_INSN_BYTES, &e);
            if (n <= 0)
                return perr(err, errsize, "insn: expected hex bytes, got '%.40s'", s + 5);
            in->len = n;
            if (*e == '|') {
                e++;
                while (*e == ' ')
                    e++;
                if (!parse_hex(e, &v, &e))
                    return perr(err, errsize, "insn: expected undefined-flags mask after '|'");
                in->undef = (uint32_t)v;
                while (*e == ' ')
                    e++;
                if (*e == '|') {
                    e++;
                    while (*e == ' ')
                        e++;
                    snprintf(in->form, sizeof(in->form), "%s", e);
                }
            }
            c->ninsn++;
        } else if (!strncmp(s, "regs ", 5)) {
            if (parse_regs(s + 5, c->mode, c->gpr, err, errsize) < 0)
                return -1;
        } else if (!strncmp(s, "eflags ", 7)) {
            if (!parse_hex(s + 7, &v, NULL))
                return perr(err, errsize, "eflags: expected hex");
            c->eflags = (uint32_t)v;
        } else if (!strncmp(s, "data ", 5)) {
            if (!parse_hex(s + 5, &v, NULL))
                return perr(err, errsize, "data: expected hex seed");
            c->data_seed = (uint32_t)v;
        } else if (!strncmp(s, "patch ", 6)) {
            if (c->npatch == CASE_MAX_PATCHES)
                return perr(err, errsize, "more than %d patch lines", CASE_MAX_PATCHES);
            CasePatch *p = &c->patch[c->npatch];
            if (!parse_hex(s + 6, &v, &e) || v >= DIFF_DATA_SIZE)
                return perr(err, errsize, "patch: expected offset below %#x", DIFF_DATA_SIZE);
            p->off = (uint16_t)v;
            int n = parse_bytes(e, p->bytes, CASE_MAX_PATCH_BYTES, NULL);
            if (n <= 0 || p->off + n > (int)DIFF_DATA_SIZE)
                return perr(err, errsize, "patch %04x: expected 1-%d bytes inside the data area",
                            p->off, CASE_MAX_PATCH_BYTES);
            p->len = n;
            c->npatch++;
        } else {
            return perr(err, errsize, "unknown case line '%.40s'", s);
        }
    }
    return perr(err, errsize, "case %s: missing 'end'", c->id);
}

int result_parse(FILE *f, const Case *c, Result *r, char *err, int errsize)
{
    char buf[1024];
    char *s = next_line(f, buf, sizeof(buf), 1);
    memset(r, 0, sizeof(*r));
    result_fp_init(&r->fp);
    r->exc = -2;
    if (!s)
        return 0;
    if (strcmp(s, "result"))
        return perr(err, errsize, "expected 'result', got '%.60s'", s);
    case_fill_data(c, r->data);
    while ((s = next_line(f, buf, sizeof(buf), 1))) {
        const char *e;
        uint64_t v;
        if (!strcmp(s, "end")) {
            if (r->exc == -2)
                return perr(err, errsize, "result: missing 'exc' line");
            return 1;
        }
        if (!strncmp(s, "exc ", 4)) {
            char name[16];
            int n = 0;
            for (e = s + 4; *e && *e != ' ' && n < 15;)
                name[n++] = *e++;
            name[n] = 0;
            r->exc = exc_from_name(name);
            if (r->exc == -2)
                return perr(err, errsize, "exc: unknown exception '%s'", name);
            if (strncmp(e, " eip=", 5) || !parse_hex(e + 5, &v, &e))
                return perr(err, errsize, "exc: expected ' eip=hex'");
            r->eip = (uint32_t)v;
            if (!strncmp(e, " addr=", 6)) {
                if (!parse_hex(e + 6, &v, &e))
                    return perr(err, errsize, "exc: bad addr");
                r->addr = v;
            }
        } else if (!strncmp(s, "regs ", 5)) {
            if (parse_regs(s + 5, c->mode, r->gpr, err, errsize) < 0)
                return -1;
        } else if (!strncmp(s, "eflags ", 7)) {
            if (!parse_hex(s + 7, &v, NULL))
                return perr(err, errsize, "eflags: expected hex");
            r->eflags = (uint32_t)v;
        } else if (!strncmp(s, "mem ", 4)) {
            uint8_t b[64];
            if (!parse_hex(s + 4, &v, &e) || v >= DIFF_DATA_SIZE)
                return perr(err, errsize, "mem: expected offset below %#x", DIFF_DATA_SIZE);
            int n = parse_bytes(e, b, sizeof(b), NULL);
            if (n <= 0 || v + n > DIFF_DATA_SIZE)
                return perr(err, errsize, "mem %04x: bad bytes", (unsigned)v);
            memcpy(r->data + v, b, n);
        } else if (!strncmp(s, "fpu ", 4)) {
            unsigned cw, sw, tw, mx;
            if (sscanf(s + 4, "fcw=%x fsw=%x ftw=%x mxcsr=%x", &cw, &sw, &tw, &mx) != 4)
                return perr(err, errsize, "fpu: expected fcw= fsw= ftw= mxcsr=");
            r->fp.fcw = (uint16_t)cw;
            r->fp.fsw = (uint16_t)sw;
            r->fp.ftw = (uint8_t)tw;
            r->fp.mxcsr = mx;
        } else if (!strncmp(s, "fpr ", 4)) {
            int i;
            unsigned se;
            unsigned long long m;
            if (sscanf(s + 4, "%d %x:%llx", &i, &se, &m) != 3 || i < 0 || i > 7)
                return perr(err, errsize, "fpr: expected 'N sexp:mant'");
            r->fp.sexp[i] = (uint16_t)se;
            r->fp.mant[i] = m;
        } else if (!strncmp(s, "xmm ", 4)) {
            int i;
            unsigned long long hi, lo;
            if (sscanf(s + 4, "%d %llx:%llx", &i, &hi, &lo) != 3 || i < 0 || i >= DIFF_NXMM)
                return perr(err, errsize, "xmm: expected 'N hi:lo'");
            r->fp.xmm[i][0] = lo;
            r->fp.xmm[i][1] = hi;
        } else if (!strncmp(s, "native ", 7)) {
            if (sscanf(s + 7, "sig=%d code=%d trapno=%d err=%d", &r->sig, &r->si_code,
                       &r->trapno, &r->err) != 4)
                return perr(err, errsize, "native: expected sig= code= trapno= err=");
        } else if (!strncmp(s, "error ", 6)) {
            return perr(err, errsize, "runner: %s", s + 6);
        } else {
            return perr(err, errsize, "unknown result line '%.40s'", s);
        }
    }
    return perr(err, errsize, "result: missing 'end'");
}
