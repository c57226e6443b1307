/*
 * The differential CPU tester's driver (tests/diff/native/README.md).
 *
 *   diff [--mode=16|32] [--seed=N] [--count=N] [--engine=native|pemu]
 *        [--world=pm|real|vm86]  (mode 16, engine pemu: where pemu runs it)
 *        [--break=adc|mem|exc] [--runner=PATH] [--max-fail=N] [--stats]
 *   diff --replay=FILE [...]     run the cases in FILE (reproducers)
 *   diff --gen [...]             print the generated cases
 *   diff --roundtrip [...]       check text round trips of cases and results
 *   diff --check-known=FILE      run case/expected-result pairs (known.txt)
 *
 * Generates cases (gen.c), runs each on the host CPU through the native
 * runner (run32, a separate 32-bit process) and on the engine under test
 * (engine.h), and compares registers, the flags the manual defines, the
 * data area and the exception. A mismatch is minimized (instructions and
 * patches dropped while it persists) and printed as a reproducer.
 *
 * Until pemu's CPU exists the engine is "native": a second runner process,
 * which checks that the oracle is deterministic. --break=adc corrupts that
 * engine's CF after adc (mem: a data byte, exc: the exception) to show the
 * comparator catches a wrong engine.
 *
 * Exit status: 0 no mismatch, 1 mismatches, 2 usage or infrastructure error.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "case.h"
#include "engine.h"
#include "gen.h"

/* ---- the native runner as a child process --------------------------------- */

typedef struct NativeProc {
    const char *path;
    pid_t pid;
    FILE *to;
    int from;          /* raw fd: read with a timeout */
    char *buf;         /* results read so far */
    size_t len, cap;
} NativeProc;

static int runner_timeout_ms = 10000;

static int proc_start(NativeProc *p)
{
    int in[2], out[2];
    if (pipe(in) || pipe(out)) {
        fprintf(stderr, "diff: pipe: %s\n", strerror(errno));
        return -1;
    }
    p->pid = fork();
    if (p->pid < 0) {
        fprintf(stderr, "diff: fork: %s\n", strerror(errno));
        return -1;
    }
    if (p->pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[0]);
        close(in[1]);
        close(out[0]);
        close(out[1]);
        execl(p->path, p->path, (char *)NULL);
        fprintf(stderr, "diff: cannot run the native runner %s: %s (build it, or pass --runner=PATH)\n",
                p->path, strerror(errno));
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    p->to = fdopen(in[1], "w");
    p->from = out[0];
    return p->to ? 0 : -1;
}

static void proc_stop(NativeProc *p)
{
    if (!p->pid)
        return;
    if (p->to)
        fclose(p->to);
    close(p->from);
    kill(p->pid, SIGKILL);
    waitpid(p->pid, NULL, 0);
    p->pid = 0;
    p->to = NULL;
}

/* Count result blocks ("end" lines) in buf. */
static int count_ends(const char *b, size_t len)
{
    int n = 0;
    for (size_t i = 0; i + 4 <= len; i++)
        if ((i == 0 || b[i - 1] == '\n') && !memcmp(b + i, "end\n", 4))
            n++;
    return n;
}

/*
 * Pipelined: write n cases, then read n results. The case text of a batch
 * (below 2 KiB a case) fits in the pipe, so writing never blocks while the
 * runner waits for us to read its results.
 */
#define BATCH 16

static int proc_run_batch(NativeProc *p, const Case *c, Result *r, int n)
{
    char err[256];
    if (!p->pid && proc_start(p) < 0)
        return -1;
    for (int i = 0; i < n; i++)
        case_print(p->to, &c[i]);
    if (fflush(p->to) != 0) {
        fprintf(stderr, "diff: the native runner %s died (case %s)\n", p->path, c[0].id);
        proc_stop(p);
        return -1;
    }
    p->len = 0;
    for (int have = 0; have < n;) {
        struct pollfd pf = { .fd = p->from, .events = POLLIN };
        if (poll(&pf, 1, runner_timeout_ms) == 0) {
            fprintf(stderr, "diff: the native runner hung on case %s (killed)\n", c[have].id);
            proc_stop(p);
            return -1;
        }
        if (p->cap - p->len < 65536) {
            p->cap = p->cap * 2 + 65536;
            p->buf = realloc(p->buf, p->cap);
            if (!p->buf) {
                fprintf(stderr, "diff: out of memory\n");
                exit(2);
            }
        }
        ssize_t got = read(p->from, p->buf + p->len, p->cap - p->len - 1);
        if (got <= 0) {
            if (got < 0 && errno == EINTR)
                continue;
            fprintf(stderr, "diff: the native runner died on case %s\n", c[have].id);
            proc_stop(p);
            return -1;
        }
        p->len += got;
        have = count_ends(p->buf, p->len);
    }
    FILE *f = fmemopen(p->buf, p->len, "r");
    if (!f)
        return -1;
    for (int i = 0; i < n; i++) {
        int rc = result_parse(f, &c[i], &r[i], err, sizeof(err));
        if (rc != 1) {
            fprintf(stderr, "diff: native runner on case %s: %s\n", c[i].id,
                    rc == 0 ? "no result" : err);
            fclose(f);
            proc_stop(p);
            return -1;
        }
    }
    fclose(f);
    return 0;
}

static int proc_run(NativeProc *p, const Case *c, Result *r)
{
    return proc_run_batch(p, c, r, 1);
}

static NativeProc ref_proc, self_proc;

static int ref_init(const char *path)
{
    ref_proc.path = path;
    return proc_start(&ref_proc);
}

static int ref_run(const Case *c, Result *r)
{
    return proc_run(&ref_proc, c, r);
}

static int ref_run_batch(const Case *c, Result *r, int n)
{
    return proc_run_batch(&ref_proc, c, r, n);
}

static int self_init(const char *path)
{
    self_proc.path = path;
    return proc_start(&self_proc);
}

static int self_run(const Case *c, Result *r)
{
    return proc_run(&self_proc, c, r);
}

static int self_run_batch(const Case *c, Result *r, int n)
{
    return proc_run_batch(&self_proc, c, r, n);
}

static const DiffEngine engine_ref = { "native", ref_run, ref_init, ref_run_batch };
/* The self-check engine: a second, independent runner process. */
static const DiffEngine engine_native = { "native", self_run, self_init, self_run_batch };

/* ---- a deliberately broken engine (the comparator must catch it) -------- */

static const DiffEngine *broken_base;
static const char *break_what;

static int case_has(const Case *c, const char *mnemonic)
{
    size_t n = strlen(mnemonic);
    for (int i = 0; i < c->ninsn; i++) {
        const char *f = c->insn[i].form;
        for (const char *s = f; (s = strstr(s, mnemonic)); s++)
            if ((s == f || s[-1] == ' ') && (s[n] == ' ' || !s[n]))
                return 1;
    }
    return 0;
}

static int broken_run(const Case *c, Result *r)
{
    if (broken_base->run(c, r) < 0)
        return -1;
    if (!strcmp(break_what, "adc")) {
        if (case_has(c, "adc") && r->exc == EXC_NONE)
            r->eflags ^= FL_CF;
    } else if (!strcmp(break_what, "mem")) {
        if (case_has(c, "stosd") || case_has(c, "stosw") || case_has(c, "stosb"))
            r->data[DIFF_DATA_SIZE - 1] ^= 1;
    } else if (!strcmp(break_what, "exc")) {
        if (r->exc == EXC_DE)
            r->exc = EXC_GP;
    }
    return 0;
}

static const DiffEngine engine_broken = { "native+break", broken_run, NULL, NULL };

/* ---- comparison ------------------------------------------------------------ */

/* Describes the differences into buf; returns their number. */
static int compare(const Case *c, const Result *a, const Result *b, char *buf, size_t size)
{
    size_t n = 0;
    int nd = 0;
    char f1[64], f2[64];
#define ADD(...) do { nd++; if (n < size) n += snprintf(buf + n, size - n, __VA_ARGS__); } while (0)
    buf[0] = 0;
    if (a->exc != b->exc || a->eip != b->eip)
        ADD("  exception: native %s at eip %08" PRIx32 ", engine %s at eip %08" PRIx32 "\n",
            exc_name(a->exc), a->eip, exc_name(b->exc), b->eip);
    else if (a->exc == EXC_PF && a->addr != b->addr)
        ADD("  #PF address: native %08" PRIx64 ", engine %08" PRIx64 "\n", a->addr, b->addr);
    for (int i = 0; i < case_ngpr(c->mode); i++) {
        uint64_t m = c->mode == 64 ? ~0ull : 0xffffffffull;
        if ((a->gpr[i] & m) != (b->gpr[i] & m))
            ADD("  %s: native %08" PRIx64 ", engine %08" PRIx64 "\n", gpr_name(c->mode, i),
                a->gpr[i] & m, b->gpr[i] & m);
    }
    uint32_t undef = case_undef(c), mask = FL_COMPARE & ~undef;
    if ((a->eflags ^ b->eflags) & mask)
        ADD("  eflags: native %08" PRIx32 ", engine %08" PRIx32 " (differ in %s; undefined here: %s)\n",
            a->eflags, b->eflags, flags_names((a->eflags ^ b->eflags) & mask, f1, sizeof(f1)),
            flags_names(undef, f2, sizeof(f2)));
    const ResultFp *x = &a->fp, *y = &b->fp;
    if (x->fcw != y->fcw || x->fsw != y->fsw || x->ftw != y->ftw || x->mxcsr != y->mxcsr)
        ADD("  fpu: native fcw=%04x fsw=%04x ftw=%02x mxcsr=%08" PRIx32 ", engine fcw=%04x "
            "fsw=%04x ftw=%02x mxcsr=%08" PRIx32 "\n", x->fcw, x->fsw, x->ftw, x->mxcsr, y->fcw,
            y->fsw, y->ftw, y->mxcsr);
    for (int i = 0; i < 8; i++)
        if (x->mant[i] != y->mant[i] || x->sexp[i] != y->sexp[i])
            ADD("  R%d: native %04x:%016" PRIx64 ", engine %04x:%016" PRIx64 "\n", i, x->sexp[i],
                x->mant[i], y->sexp[i], y->mant[i]);
    for (int i = 0; i < DIFF_NXMM; i++)
        if (x->xmm[i][0] != y->xmm[i][0] || x->xmm[i][1] != y->xmm[i][1])
            ADD("  xmm%d: native %016" PRIx64 ":%016" PRIx64 ", engine %016" PRIx64 ":%016" PRIx64
                "\n", i, x->xmm[i][1], x->xmm[i][0], y->xmm[i][1], y->xmm[i][0]);
    int shown = 0;
    for (uint32_t i = 0; i < DIFF_DATA_SIZE; i++)
        if (a->data[i] != b->data[i]) {
            if (shown++ < 8)
                ADD("  data[%04" PRIx32 "]: native %02x, engine %02x\n", i, a->data[i], b->data[i]);
            else
                nd++;
        }
#undef ADD
    return nd;
}

/* ---- driver ---------------------------------------------------------------- */

static const DiffEngine *eng;
static int max_fail = 5;
static int quiet;
static int world = DIFF_WORLD_PM;

static int has_form(const Case *c, const char *name)
{
    for (int i = 0; i < c->ninsn; i++)
        if (strstr(c->insn[i].form, name))
            return 1;
    return 0;
}

/* Whether a mode-16 case means the same in the engine's world as in the
 * native 16-bit protected mode (limits 0xfff, CPL 3, IOPL 0):
 * - real mode and vm86 segments have the architectural limit 0xffff, so a
 *   native #GP/#SS (a limit, or a privileged instruction) has no
 *   counterpart: the engine would run on;
 * - real mode is CPL 0: no #AC, and POPF may change IF and IOPL (which a
 *   later PUSHF would store); the privileged forms execute;
 * - vm86 at IOPL 0 makes PUSHF/POPF #GP (without VME);
 * - FNSTENV/FNSAVE store the x87 instruction and operand pointers in the
 *   real-address-mode layout in both (20-bit linear addresses and the
 *   opcode where protected mode stores offset and selector: SDM vol. 1,
 *   8.1.10), so their images differ by design.
 * Everything else (results, #DE/#UD/#BR/#BP/#OF, #AC in vm86) must match. */
static int world_comparable(const Case *c, const Result *native)
{
    if (world == DIFF_WORLD_PM)
        return 1;
    if (native->exc == EXC_GP || native->exc == EXC_SS || has_form(c, "fnstenv") ||
        has_form(c, "fnsave"))
        return 0;
    if (world == DIFF_WORLD_REAL)
        return native->exc != EXC_AC && !has_form(c, "popf") && !has_form(c, "(#GP)");
    return !has_form(c, "pushf") && !has_form(c, "popf");
}

static long incomparable;

static int both(const Case *c, Result *a, Result *b, char *why, size_t size)
{
    if (engine_ref.run(c, a) < 0 || eng->run(c, b) < 0)
        return -1;
    if (!world_comparable(c, a))
        return 0;
    return compare(c, a, b, why, size);
}

/* Slots whose jump target is absolute depend on the position of everything before them. */
static int position_dependent(const CaseInsn *in)
{
    return !strncmp(in->form, "call reg", 8) || !strncmp(in->form, "call [m]", 8) ||
           !strncmp(in->form, "jmp reg", 7) || !strncmp(in->form, "jmp [m]", 7);
}

/* Drop instructions and patches while the mismatch persists. */
static void minimize(Case *c)
{
    static Result a, b;
    char why[2048];
    for (int i = c->ninsn - 1; i >= 0 && c->ninsn > 1; i--) {
        int dep = 0;
        for (int j = i + 1; j < c->ninsn; j++)
            dep |= position_dependent(&c->insn[j]);
        if (dep)
            continue;
        Case t = *c;
        memmove(&t.insn[i], &t.insn[i + 1], (t.ninsn - i - 1) * sizeof(t.insn[0]));
        t.ninsn--;
        if (both(&t, &a, &b, why, sizeof(why)) > 0)
            *c = t;
    }
    for (int i = c->npatch - 1; i >= 0; i--) {
        Case t = *c;
        memmove(&t.patch[i], &t.patch[i + 1], (t.npatch - i - 1) * sizeof(t.patch[0]));
        t.npatch--;
        if (both(&t, &a, &b, why, sizeof(why)) > 0)
            *c = t;
    }
}

static void report(const Case *orig)
{
    static Result a, b;
    char why[4096];
    Case c = *orig;
    minimize(&c);
    if (both(&c, &a, &b, why, sizeof(why)) <= 0) {
        c = *orig; /* flaky: show the original */
        both(&c, &a, &b, why, sizeof(why));
    }
    printf("MISMATCH case %s: engine %s differs from the host CPU\n%s", orig->id, eng->name, why);
    printf("reproducer (%d of %d instructions; replay with: diff --replay=FILE --engine=%s):\n",
           c.ninsn, orig->ninsn, eng == &engine_broken ? "native" : eng->name);
    case_print(stdout, &c);
    printf("native:\n");
    result_print(stdout, &c, &a);
    printf("engine %s:\n", eng->name);
    result_print(stdout, &c, &b);
    fflush(stdout);
}

typedef struct Stats {
    long cases, fails, exc[EXC_OTHER + 2], insns;
    char names[512][24];
    long counts[512];
    int nnames;
} Stats;

static void stats_count(Stats *s, const char *f)
{
    /* The mnemonic: the first word, two for "rep stosb", "loop back", "call reg". */
    static const char *const two[] = { "rep", "repe", "repne", "call", "jmp", "loop", "loope", "loopne" };
    char m[24];
    int n = 0;
    while (f[n] && f[n] != ' ' && n < 23)
        m[n] = f[n], n++;
    m[n] = 0;
    for (size_t i = 0; i < sizeof(two) / sizeof(two[0]); i++)
        if (!strcmp(m, two[i]) && f[n] == ' ' && f[n + 1] != '{') {
            m[n] = ' ', n++;
            for (int j = n; f[j] && f[j] != ' ' && n < 23; j++)
                m[n++] = f[j];
            m[n] = 0;
            break;
        }
    int k;
    for (k = 0; k < s->nnames; k++)
        if (!strcmp(s->names[k], m))
            break;
    if (k == s->nnames && s->nnames < 512)
        snprintf(s->names[s->nnames++], sizeof(s->names[0]), "%s", m);
    if (k < 512)
        s->counts[k]++;
}

static void stats_add(Stats *s, const Case *c, const Result *r)
{
    s->cases++;
    s->exc[r->exc < 0 ? EXC_OTHER + 1 : r->exc]++;
    for (int i = 0; i < c->ninsn; i++) {
        const char *f = c->insn[i].form;
        const char *body = strchr(f, '{');
        s->insns++;
        stats_count(s, f); /* the form, or the head of a composite */
        if (body)
            stats_count(s, body + 2);
    }
}

static void stats_print(const Stats *s)
{
    printf("exceptions:");
    for (int e = 0; e <= EXC_OTHER + 1; e++)
        if (s->exc[e])
            printf(" %s=%ld", exc_name(e == EXC_OTHER + 1 ? EXC_NONE : e), s->exc[e]);
    printf("\nmnemonics (%d):", s->nnames);
    for (int k = 0; k < s->nnames; k++)
        printf("%s %s=%ld", k % 8 ? "" : "\n ", s->names[k], s->counts[k]);
    printf("\n");
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int parse_num(const char *s, uint64_t *v)
{
    char *e;
    errno = 0;
    *v = strtoull(s, &e, 0);
    return !errno && *s && !*e;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: diff [--mode=16|32|64] [--seed=N] [--count=N] [--engine=native|pemu]\n"
            "            [--class=int|x87|x87t|mmx|sse] [--world=pm|real|vm86]\n"
            "            [--break=adc|mem|exc] [--runner=PATH] [--max-fail=N] [--stats] [--quiet]\n"
            "       diff --replay=FILE [--engine=...]   run reproducers from FILE ('-': stdin)\n"
            "       diff --gen [--mode=...] [--seed=N] [--count=N]   print generated cases\n"
            "       diff --roundtrip [--mode=...] [--seed=N] [--count=N]   check the text forms\n"
            "       diff --check-known=FILE   run case + expected result pairs on the host CPU\n");
    exit(2);
}

/* serialize -> parse -> serialize must be identical, for cases and results. */
static int roundtrip(const Case *c, const Result *r)
{
    static char b1[65536], b2[65536], b3[65536], b4[65536];
    char err[256];
    static Case c2;
    static Result r2;
    FILE *f = fmemopen(b1, sizeof(b1), "w");
    case_print(f, c);
    fclose(f);
    f = fmemopen(b1, strlen(b1), "r");
    int ok = case_parse(f, &c2, err, sizeof(err)) == 1;
    fclose(f);
    if (!ok) {
        printf("roundtrip case %s: parse error: %s\n", c->id, err);
        return -1;
    }
    f = fmemopen(b2, sizeof(b2), "w");
    case_print(f, &c2);
    fclose(f);
    if (strcmp(b1, b2)) {
        printf("roundtrip case %s: text differs after parsing:\n%s---\n%s", c->id, b1, b2);
        return -1;
    }
    f = fmemopen(b3, sizeof(b3), "w");
    result_print(f, c, r);
    fclose(f);
    f = fmemopen(b3, strlen(b3), "r");
    ok = result_parse(f, &c2, &r2, err, sizeof(err)) == 1;
    fclose(f);
    if (!ok) {
        printf("roundtrip result %s: parse error: %s\n", c->id, err);
        return -1;
    }
    f = fmemopen(b4, sizeof(b4), "w");
    result_print(f, &c2, &r2);
    fclose(f);
    if (strcmp(b3, b4)) {
        printf("roundtrip result %s: text differs after parsing:\n%s---\n%s", c->id, b3, b4);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    uint64_t seed = 1, count = 1000;
    int mode = 32, gen_only = 0, do_stats = 0, do_roundtrip = 0;
    const char *replay = NULL, *known = NULL, *engine = "native", *brk = NULL, *runner = NULL;
    static char defrunner[4096];

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        uint64_t v;
        if (!strncmp(a, "--mode=", 7)) {
            mode = atoi(a + 7);
            if (mode != 16 && mode != 32 && mode != 64) {
                fprintf(stderr, "diff: --mode=%s: expected 16, 32 or 64\n", a + 7);
                return 2;
            }
        } else if (!strncmp(a, "--seed=", 7) && parse_num(a + 7, &v)) {
            seed = v;
        } else if (!strncmp(a, "--count=", 8) && parse_num(a + 8, &v)) {
            count = v;
        } else if (!strncmp(a, "--max-fail=", 11) && parse_num(a + 11, &v)) {
            max_fail = (int)v;
        } else if (!strncmp(a, "--engine=", 9)) {
            engine = a + 9;
        } else if (!strncmp(a, "--break=", 8)) {
            brk = a + 8;
            if (strcmp(brk, "adc") && strcmp(brk, "mem") && strcmp(brk, "exc")) {
                fprintf(stderr, "diff: --break=%s: expected adc, mem or exc\n", brk);
                return 2;
            }
        } else if (!strncmp(a, "--runner=", 9)) {
            runner = a + 9;
        } else if (!strncmp(a, "--check-known=", 14)) {
            known = a + 14;
        } else if (!strncmp(a, "--replay=", 9)) {
            replay = a + 9;
        } else if (!strncmp(a, "--class=", 8)) {
            static const char *const names[] = { "int", "x87", "x87t", "mmx", "sse" };
            int k = 0;
            while (k < 5 && strcmp(a + 8, names[k]))
                k++;
            if (k == 5) {
                fprintf(stderr, "diff: --class=%s: expected int, x87, x87t, mmx or sse\n", a + 8);
                return 2;
            }
            gen_set_class(k);
        } else if (!strncmp(a, "--world=", 8)) {
            if (!strcmp(a + 8, "pm"))
                world = DIFF_WORLD_PM;
            else if (!strcmp(a + 8, "real"))
                world = DIFF_WORLD_REAL;
            else if (!strcmp(a + 8, "vm86"))
                world = DIFF_WORLD_VM86;
            else {
                fprintf(stderr, "diff: --world=%s: expected pm, real or vm86\n", a + 8);
                return 2;
            }
        } else if (!strcmp(a, "--gen")) {
            gen_only = 1;
        } else if (!strcmp(a, "--stats")) {
            do_stats = 1;
        } else if (!strcmp(a, "--roundtrip")) {
            do_roundtrip = 1;
        } else if (!strcmp(a, "--quiet")) {
            quiet = 1;
        } else {
            fprintf(stderr, "diff: unknown argument '%s'\n", a);
            usage();
        }
    }

    if (gen_only) {
        static Case c;
        for (uint64_t i = 0; i < count; i++) {
            gen_case(&c, mode, seed, i);
            case_print(stdout, &c);
        }
        return 0;
    }

    if (!runner) {
        /* default: run32 (run64 for mode 64) next to this program */
        const char *slash = strrchr(argv[0], '/');
        snprintf(defrunner, sizeof(defrunner), "%.*srun%d", slash ? (int)(slash - argv[0] + 1) : 0,
                 argv[0], mode == 64 ? 64 : 32);
        runner = defrunner;
    }
    signal(SIGPIPE, SIG_IGN);

    if (!strcmp(engine, "native")) {
        eng = &engine_native;
    } else if (!strcmp(engine, "pemu")) {
#ifdef DIFF_HAVE_PEMU
        eng = &diff_engine_pemu;
#else
        fprintf(stderr, "diff: --engine=pemu: this diff was built without pemu's CPU engine "
                        "(it does not exist yet; see tests/diff/native/engine.h)\n");
        return 2;
#endif
    } else {
        fprintf(stderr, "diff: --engine=%s: expected native or pemu\n", engine);
        return 2;
    }
    if (world != DIFF_WORLD_PM) {
        if (mode != 16 || eng == &engine_native) {
            fprintf(stderr, "diff: --world=%s: only for --mode=16 with --engine=pemu (the native "
                            "runner has only 16-bit protected mode)\n", world == DIFF_WORLD_REAL ? "real" : "vm86");
            return 2;
        }
#ifdef DIFF_HAVE_PEMU
        diff_pemu_world = world;
#endif
    }
    if (engine_ref.init(runner) < 0 || (eng->init && eng->init(runner) < 0))
        return 2;
    if (brk) {
        broken_base = eng;
        break_what = brk;
        eng = &engine_broken;
    }

    static Case c;
    static Result a, b;
    static Stats st;
    char why[4096];
    int infra = 0;

    if (known) {
        /* case, expected result, case, expected result, ... */
        FILE *f = fopen(known, "r");
        char err[256];
        int rc, nok = 0;
        static Result want;
        if (!f) {
            fprintf(stderr, "diff: --check-known=%s: %s\n", known, strerror(errno));
            return 2;
        }
        while ((rc = case_parse(f, &c, err, sizeof(err))) == 1) {
            if (result_parse(f, &c, &want, err, sizeof(err)) != 1) {
                fprintf(stderr, "diff: %s: case %s: expected result: %s\n", known, c.id, err);
                return 2;
            }
            if (engine_ref.run(&c, &a) < 0)
                return 2;
            if (compare(&c, &want, &a, why, sizeof(why))) {
                st.fails++;
                printf("WRONG case %s: the host CPU run differs from the expected result\n%s"
                       "(\"native\" above is the expected result, \"engine\" the run)\n", c.id, why);
                result_print(stdout, &c, &a);
            } else {
                nok++;
            }
        }
        if (rc < 0) {
            fprintf(stderr, "diff: %s: %s\n", known, err);
            return 2;
        }
        printf("diff: %s: %d known answers right, %ld wrong\n", known, nok, st.fails);
        return st.fails || !nok ? 1 : 0;
    }

    if (replay) {
        FILE *f = strcmp(replay, "-") ? fopen(replay, "r") : stdin;
        char err[256];
        int rc;
        if (!f) {
            fprintf(stderr, "diff: --replay=%s: %s\n", replay, strerror(errno));
            return 2;
        }
        while ((rc = case_parse(f, &c, err, sizeof(err))) == 1) {
            int nd = both(&c, &a, &b, why, sizeof(why));
            if (nd < 0)
                return 2;
            stats_add(&st, &c, &a);
            if (nd) {
                st.fails++;
                printf("MISMATCH case %s: engine %s differs from the host CPU\n%s", c.id, eng->name, why);
            } else {
                printf("ok case %s\n", c.id);
            }
            if (!quiet) {
                printf("native:\n");
                result_print(stdout, &c, &a);
            }
        }
        if (rc < 0) {
            fprintf(stderr, "diff: --replay=%s: %s\n", replay, err);
            return 2;
        }
        return st.fails ? 1 : 0;
    }

    static Case cs[BATCH];
    static Result as[BATCH], bs[BATCH];
    double t0 = now();
    for (uint64_t i = 0; i < count; i++) {
        /* Run a batch ahead through both engines, then compare case by case. */
        int k = i % BATCH, nb = count - (i - k) < BATCH ? (int)(count - (i - k)) : BATCH;
        int nd;
        if (k == 0) {
            for (int j = 0; j < nb; j++)
                gen_case(&cs[j], mode, seed, i + j);
            int rc = engine_ref.run_batch(cs, as, nb);
            if (rc == 0 && eng->run_batch)
                rc = eng->run_batch(cs, bs, nb);
            else
                for (int j = 0; j < nb && rc == 0; j++)
                    rc = eng->run(&cs[j], &bs[j]);
            if (rc < 0) {
                /* find the failing case one at a time */
                for (int j = 0; j < nb; j++)
                    as[j].exc = -3;
            }
        }
        c = cs[k];
        if (as[k].exc == -3) {
            nd = both(&c, &a, &b, why, sizeof(why));
        } else {
            a = as[k];
            b = bs[k];
            nd = world_comparable(&c, &a) ? compare(&c, &a, &b, why, sizeof(why)) : 0;
        }
        if (nd >= 0 && !world_comparable(&c, &a))
            incomparable++;
        if (nd < 0) {
            printf("FAIL infrastructure: an engine failed on case %s:\n", c.id);
            case_print(stdout, &c);
            if (++infra >= 3)
                break;
            /* the runner is restarted on the next case */
            if (eng->init && eng != &engine_broken && !self_proc.pid)
                eng->init(runner);
            if (!ref_proc.pid)
                engine_ref.init(runner);
            continue;
        }
        stats_add(&st, &c, &a);
        if (do_roundtrip && roundtrip(&c, &a) < 0) {
            st.fails++;
            if (st.fails >= max_fail)
                break;
            continue;
        }
        if (nd) {
            st.fails++;
            if (st.fails <= max_fail)
                report(&c);
            if (st.fails >= max_fail)
                break;
        }
    }
    double dt = now() - t0;
    static const char *const world_name[] = { "", " in real mode", " in vm86 mode" };
    char skipped[64] = "";
    if (world != DIFF_WORLD_PM)
        snprintf(skipped, sizeof(skipped), " (%ld not comparable there)", incomparable);
    printf("diff: mode %d seed %" PRIu64 ": %ld cases (%ld insns), %ld mismatches%s, %.0f cases/s, engine %s%s%s%s%s\n",
           mode, seed, st.cases, st.insns, st.fails, st.fails >= max_fail ? " (stopped)" : "",
           dt > 0 ? st.cases / dt : 0.0, eng->name, brk ? "=" : "", brk ? brk : "",
           world_name[world], skipped);
    if (do_stats)
        stats_print(&st);
    proc_stop(&ref_proc);
    proc_stop(&self_proc);
    if (infra)
        return 2;
    return st.fails ? 1 : 0;
}
