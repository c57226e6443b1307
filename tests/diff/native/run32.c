/*
 * The native runner: runs diff cases on the host CPU (tests/diff/native/).
 *
 *   run32 < cases > results        (text forms of case.h, one block each)
 *
 * Built as a static 32-bit program (i686-linux-gnu-gcc -static) and run by
 * an x86-64 kernel, so mode-32 cases run in compatibility mode. Mode-16 cases
 * run in 16-bit segments this process installs in its LDT with modify_ldt:
 * code at DIFF_CODE_BASE, data/stack at DIFF_DATA_BASE, limits 0xfff.
 *
 * A run: copy the bytes into the code area (0xCC after them), fill the data
 * area, load EFLAGS and the GPRs (and DS/ES/SS:ESP), far-jump to the code.
 * Every run ends in a signal: normally the int3 after the last byte (SIGTRAP
 * at eip == length + 1), otherwise the fault. The handler runs on an
 * alternate stack (ESP may point anywhere), copies the interrupted state out
 * of the ucontext and siglongjmps back; no fork per case.
 *
 * Signal -> exception, as Linux x86 delivers them to a 32-bit process
 * (arch/x86/kernel/traps.c); the vector is the sigcontext's trapno:
 *   SIGFPE  trapno 0   #DE   divide error, aam 0
 *   SIGTRAP trapno 1   #DB   single step (TF set by popf)
 *   SIGTRAP trapno 3   #BP   int3 (the one after the code: normal end)
 *   SIGSEGV trapno 4   #OF   into / int 4 (trap: eip after the insn)
 *   SIGSEGV trapno 5   #BR   bound
 *   SIGILL  trapno 6   #UD   ud2, bad lock, ...
 *   SIGBUS  trapno 11  #NP
 *   SIGBUS  trapno 12  #SS   stack segment limit (mode 16)
 *   SIGSEGV trapno 13  #GP   privileged insns, segment limits, int n
 *   SIGSEGV trapno 14  #PF   si_addr = the faulting linear address (CR2)
 *   SIGBUS  trapno 17  #AC   misaligned access with EFLAGS.AC=1 (CR0.AM)
 *   SIGFPE  trapno 16/19  #MF/#XM (not generated)
 * anything else is "other".
 */
#define _GNU_SOURCE
#include <asm/ldt.h>
#include <setjmp.h>
#include <stddef.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "case.h"

#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1u << 31) /* Linux 4.7+, sigaltstack(2); glibc only has it in <linux/signal.h> */
#endif

#if !defined(__i386__)
#error "run32.c is the 32-bit native runner: build it with i686-linux-gnu-gcc -static"
#endif

/* The state the trampoline loads, in one block it addresses absolutely. */
struct Entry {
    uint32_t eflags;
    uint32_t gpr[8];
    uint32_t esp;     /* lss operand: offset then selector */
    uint16_t ss;
    uint16_t pad0;
    uint32_t eip;     /* ljmp operand: offset then selector */
    uint16_t cs;
    uint16_t pad1;
    uint16_t ds;
    uint16_t pad2;
};
struct Entry run_entry;
/* The FP state every run starts from (result_fp_init): FCW 037f, MXCSR
 * 1f80, the rest zero (tags empty). Loaded by the trampoline itself, as
 * the C library's own copies may use the XMM registers. */
uint8_t run_fx[512] __attribute__((aligned(16))) = { 0x7f, 0x03, [24] = 0x80, 0x1f };
_Static_assert(offsetof(struct Entry, gpr) == 4 && offsetof(struct Entry, esp) == 36 &&
               offsetof(struct Entry, eip) == 44 && offsetof(struct Entry, ds) == 52,
               "run_enter addresses struct Entry by these offsets");

/*
 * Never returns: the run ends in a signal. Flags are loaded first (on our
 * own stack); nothing after popfl changes them. Once DS may be a 16-bit
 * data segment, memory operands use CS (flat, readable).
 */
void run_enter(void);
__asm__(
    ".text\n"
    ".globl run_enter\n"
    "run_enter:\n"
    "  fxrstor run_fx\n"
    "  pushl run_entry\n"
    "  popfl\n"
    "  movl run_entry+4, %eax\n"
    "  movl run_entry+8, %ecx\n"
    "  movl run_entry+12, %edx\n"
    "  movl run_entry+16, %ebx\n"
    "  movl run_entry+24, %ebp\n"
    "  movl run_entry+28, %esi\n"
    "  movl run_entry+32, %edi\n"
    "  movw %cs:run_entry+52, %ds\n"
    "  movw %cs:run_entry+52, %es\n"
    "  lss %cs:run_entry+36, %esp\n"
    "  ljmp *%cs:run_entry+44\n");

static sigjmp_buf run_jb;
static volatile int run_active;
static struct {
    int sig, code, trapno, err;
    uint32_t gpr[8], eflags, eip, cs, addr;
    int have_fx;
    uint8_t fx[512];
} caught;

static void on_signal(int sig, siginfo_t *si, void *ucv)
{
    /* The snippet may have left AC set; our own code must not trip on it. */
    __asm__ volatile("pushfl; andl $~0x40400, (%%esp); popfl" ::: "memory", "cc");
    ucontext_t *uc = ucv;
    greg_t *g = uc->uc_mcontext.gregs;
    if (!run_active) {
        /* A fault in the runner itself: say so and die with the signal. */
        static const char msg[] = "run32: fault outside a snippet\n";
        if (write(2, msg, sizeof(msg) - 1) < 0) {
        }
        signal(sig, SIG_DFL);
        raise(sig);
        _exit(3);
    }
    caught.sig = sig;
    caught.code = si->si_code;
    caught.trapno = g[REG_TRAPNO];
    caught.err = g[REG_ERR];
    caught.addr = (uint32_t)(uintptr_t)si->si_addr;
    caught.gpr[R_AX] = g[REG_EAX];
    caught.gpr[R_CX] = g[REG_ECX];
    caught.gpr[R_DX] = g[REG_EDX];
    caught.gpr[R_BX] = g[REG_EBX];
    caught.gpr[R_SP] = g[REG_UESP];
    caught.gpr[R_BP] = g[REG_EBP];
    caught.gpr[R_SI] = g[REG_ESI];
    caught.gpr[R_DI] = g[REG_EDI];
    caught.eflags = g[REG_EFL];
    caught.eip = g[REG_EIP];
    caught.cs = g[REG_CS] & 0xffff;
    /* A 32-bit signal frame's FP state: the FSAVE-format header (112
     * bytes, magic at 110: 0 = an FXSAVE image follows), then the FXSAVE
     * image (arch/x86/kernel/fpu/signal.c). */
    const uint8_t *fp = (const uint8_t *)uc->uc_mcontext.fpregs;
    caught.have_fx = fp && fp[110] == 0 && fp[111] == 0;
    if (caught.have_fx)
        memcpy(caught.fx, fp + 112, 512);
    run_active = 0;
    siglongjmp(run_jb, 1);
}

/* The signal stack (at a fixed place, so known.txt can aim ESP into it). */
#define RUN_ALT_BASE 0x10100000u
#define RUN_ALT_SIZE 0x40000u
static stack_t alt_ss;

static uint8_t *code_area, *data_area;
static uint16_t flat_cs, flat_ds, code16_sel, data16_sel;

static void *map_at(uint32_t addr, uint32_t size, int prot)
{
    void *p = mmap((void *)(uintptr_t)addr, size, prot,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p != (void *)(uintptr_t)addr) {
        fprintf(stderr, "run32: cannot map %u bytes at %#x (%s)\n", size, addr,
                p == MAP_FAILED ? "mmap failed" : "placed elsewhere");
        exit(2);
    }
    return p;
}

static uint16_t ldt_entry(int n, uint32_t base, int code)
{
    struct user_desc d;
    memset(&d, 0, sizeof(d));
    d.entry_number = n;
    d.base_addr = base;
    d.limit = DIFF_SEG_LIMIT;
    d.seg_32bit = 0;
    d.contents = code ? MODIFY_LDT_CONTENTS_CODE : MODIFY_LDT_CONTENTS_DATA;
    d.read_exec_only = 0; /* code: readable; data: writable */
    d.limit_in_pages = 0;
    d.seg_not_present = 0;
    d.useable = 1;
    if (syscall(SYS_modify_ldt, 0x11, &d, sizeof(d)) != 0) {
        perror("run32: modify_ldt");
        return 0;
    }
    return (uint16_t)(n << 3 | 4 | 3); /* LDT, RPL 3 */
}

static void setup(void)
{
    code_area = map_at(DIFF_CODE_BASE, DIFF_CODE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC);
    data_area = map_at(DIFF_DATA_BASE, DIFF_DATA_SIZE, PROT_READ | PROT_WRITE);
    memset(code_area, 0xcc, DIFF_CODE_SIZE);

    /*
     * The handler's stack. A snippet can leave ESP anywhere (random values,
     * or random high bits in mode 16), even inside the alternate stack;
     * the kernel would then take it for a nested signal and build the frame
     * below ESP, or kill us for overflowing the stack. SS_AUTODISARM makes
     * it always switch to the top; it also disarms the stack until a
     * sigreturn, which siglongjmp never does, so run_case() re-arms it.
     */
    alt_ss.ss_sp = map_at(RUN_ALT_BASE, RUN_ALT_SIZE, PROT_READ | PROT_WRITE);
    alt_ss.ss_size = RUN_ALT_SIZE;
    alt_ss.ss_flags = SS_AUTODISARM;
    if (sigaltstack(&alt_ss, NULL)) {
        perror("run32: sigaltstack");
        exit(2);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_signal;
    /* NODEFER: we leave by siglongjmp without restoring a mask. */
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    int sigs[] = { SIGSEGV, SIGILL, SIGFPE, SIGTRAP, SIGBUS };
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        sigaction(sigs[i], &sa, NULL);

    __asm__ volatile("movw %%cs, %0; movw %%ds, %1" : "=r"(flat_cs), "=r"(flat_ds));
    code16_sel = ldt_entry(0, DIFF_CODE_BASE, 1);
    data16_sel = ldt_entry(1, DIFF_DATA_BASE, 0);
}

static int map_exc(int sig, int trapno)
{
    switch (sig) {
    case SIGFPE:
        return trapno == 0 ? EXC_DE : trapno == 16 ? EXC_MF : trapno == 19 ? EXC_XM : EXC_OTHER;
    case SIGTRAP:
        return trapno == 1 ? EXC_DB : trapno == 3 ? EXC_BP : EXC_OTHER;
    case SIGILL:
        return trapno == 6 ? EXC_UD : EXC_OTHER;
    case SIGSEGV:
        return trapno == 4 ? EXC_OF : trapno == 5 ? EXC_BR : trapno == 13 ? EXC_GP
             : trapno == 14 ? EXC_PF : EXC_OTHER;
    case SIGBUS:
        return trapno == 11 ? EXC_NP : trapno == 12 ? EXC_SS : trapno == 17 ? EXC_AC : EXC_OTHER;
    }
    return EXC_OTHER;
}

static int run_case(const Case *c, Result *r)
{
    static int used = 0;
    uint8_t code[CASE_MAX_CODE];
    int len = case_code(c, code, sizeof(code));

    if (c->mode != 32 && c->mode != 16)
        return -1;
    if (c->mode == 16 && (!code16_sel || !data16_sel))
        return -1;
    memset(code_area, 0xcc, used);
    memcpy(code_area, code, len);
    used = len;
    case_fill_data(c, data_area);

    run_entry.eflags = c->eflags;
    for (int i = 0; i < 8; i++)
        run_entry.gpr[i] = (uint32_t)c->gpr[i];
    run_entry.esp = (uint32_t)c->gpr[R_SP];
    if (c->mode == 32) {
        run_entry.cs = flat_cs;
        run_entry.ds = run_entry.ss = flat_ds;
        run_entry.eip = DIFF_CODE_BASE;
    } else {
        run_entry.cs = code16_sel;
        run_entry.ds = run_entry.ss = data16_sel;
        run_entry.eip = 0;
    }
    if (sigsetjmp(run_jb, 0) == 0) {
        run_active = 1;
        run_enter();
    }
    if (sigaltstack(&alt_ss, NULL)) { /* re-arm (SS_AUTODISARM) */
        perror("run32: sigaltstack");
        exit(2);
    }
    uint32_t base = c->mode == 32 ? DIFF_CODE_BASE : 0;
    memset(r, 0, sizeof(*r));
    for (int i = 0; i < 8; i++)
        r->gpr[i] = caught.gpr[i];
    r->eflags = caught.eflags;
    r->sig = caught.sig;
    r->si_code = caught.code;
    r->trapno = caught.trapno;
    r->err = caught.err;
    r->eip = caught.eip - base;
    r->exc = map_exc(caught.sig, caught.trapno);
    if (r->exc == EXC_BP && r->eip == (uint32_t)len + 1) {
        /* Our trailing int3: a normal end, reported at the end of the code. */
        r->exc = EXC_NONE;
        r->eip = len;
        r->sig = 0;
        r->si_code = r->trapno = r->err = 0;
    }
    if (r->exc == EXC_PF)
        r->addr = caught.addr;
    result_fp_init(&r->fp);
    if (caught.have_fx) {
        const uint8_t *x = caught.fx;
        unsigned top;
        memcpy(&r->fp.fcw, x, 2);
        memcpy(&r->fp.fsw, x + 2, 2);
        r->fp.ftw = x[4];
        memcpy(&r->fp.mxcsr, x + 24, 4);
        top = (r->fp.fsw >> 11) & 7;
        for (int i = 0; i < 8; i++) { /* the image holds ST(i): R[(top + i) & 7] */
            memcpy(&r->fp.mant[(top + i) & 7], x + 32 + 16 * i, 8);
            memcpy(&r->fp.sexp[(top + i) & 7], x + 40 + 16 * i, 2);
        }
        for (int i = 0; i < DIFF_NXMM; i++)
            memcpy(r->fp.xmm[i], x + 160 + 16 * i, 16);
    }
    memcpy(r->data, data_area, DIFF_DATA_SIZE);
    return 0;
}

int main(int argc, char **argv)
{
    (void)argv;
    static char outbuf[1 << 16];
    char err[256];
    Case c;
    static Result r;
    int rc;

    if (argc > 1) {
        fprintf(stderr, "usage: run32 < cases > results (see tests/diff/native/README.md)\n");
        return 2;
    }
    setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
    setup();
    while ((rc = case_parse(stdin, &c, err, sizeof(err))) == 1) {
        if (run_case(&c, &r) < 0) {
            printf("result\nerror case %s: mode %d is not supported by run32\nend\n", c.id, c.mode);
        } else {
            result_print(stdout, &c, &r);
        }
        fflush(stdout);
    }
    if (rc < 0) {
        printf("result\nerror %s\nend\n", err);
        fflush(stdout);
        fprintf(stderr, "run32: bad case on stdin: %s\n", err);
        return 2;
    }
    return 0;
}
