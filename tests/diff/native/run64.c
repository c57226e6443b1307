/*
 * The 64-bit native runner: runs mode-64 diff cases on the host CPU
 * (tests/diff/native/, the mode-32/16 one is run32.c).
 *
 *   run64 < cases > results        (text forms of case.h, one block each)
 *
 * A static 64-bit program. A run: copy the bytes into the code area (0xCC
 * after them), fill the data area, load RFLAGS and the 16 GPRs, jump to the
 * code in the process's own 64-bit code segment. Every run ends in a
 * signal, handled on an alternate stack and left by siglongjmp, exactly as
 * in run32.c (see there for the signal -> exception table). Linux reports a
 * non-canonical address as #GP (SIGSEGV, trapno 13) with si_addr 0.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stddef.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "case.h"

#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1u << 31)
#endif

#if !defined(__x86_64__)
#error "run64.c is the 64-bit native runner: build it for x86-64"
#endif

struct Entry {
    uint64_t rflags;
    uint64_t gpr[16];
    uint64_t rip;
};
struct Entry run_entry;
_Static_assert(offsetof(struct Entry, gpr) == 8 && offsetof(struct Entry, rip) == 136,
               "run_enter addresses struct Entry by these offsets");

/* Never returns: the run ends in a signal. RSP is loaded last. */
void run_enter(void);
__asm__(
    ".text\n"
    ".globl run_enter\n"
    "run_enter:\n"
    "  pushq run_entry(%rip)\n"
    "  popfq\n"
    "  movq run_entry+8(%rip), %rax\n"
    "  movq run_entry+16(%rip), %rcx\n"
    "  movq run_entry+24(%rip), %rdx\n"
    "  movq run_entry+32(%rip), %rbx\n"
    "  movq run_entry+48(%rip), %rbp\n"
    "  movq run_entry+56(%rip), %rsi\n"
    "  movq run_entry+64(%rip), %rdi\n"
    "  movq run_entry+72(%rip), %r8\n"
    "  movq run_entry+80(%rip), %r9\n"
    "  movq run_entry+88(%rip), %r10\n"
    "  movq run_entry+96(%rip), %r11\n"
    "  movq run_entry+104(%rip), %r12\n"
    "  movq run_entry+112(%rip), %r13\n"
    "  movq run_entry+120(%rip), %r14\n"
    "  movq run_entry+128(%rip), %r15\n"
    "  movq run_entry+40(%rip), %rsp\n"
    "  jmpq *run_entry+136(%rip)\n");

static sigjmp_buf run_jb;
static volatile int run_active;
static struct {
    int sig, code, trapno, err;
    uint64_t gpr[16], rflags, rip, addr;
} caught;

static void on_signal(int sig, siginfo_t *si, void *ucv)
{
    __asm__ volatile("pushfq; andq $~0x40400, (%%rsp); popfq" ::: "memory", "cc");
    ucontext_t *uc = ucv;
    greg_t *g = uc->uc_mcontext.gregs;
    static const int map[16] = { REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI,
                                 REG_RDI, REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13,
                                 REG_R14, REG_R15 };
    if (!run_active) {
        static const char msg[] = "run64: fault outside a snippet\n";
        if (write(2, msg, sizeof(msg) - 1) < 0) {
        }
        signal(sig, SIG_DFL);
        raise(sig);
        _exit(3);
    }
    caught.sig = sig;
    caught.code = si->si_code;
    caught.trapno = (int)g[REG_TRAPNO];
    caught.err = (int)g[REG_ERR];
    caught.addr = (uint64_t)(uintptr_t)si->si_addr;
    for (int i = 0; i < 16; i++)
        caught.gpr[i] = (uint64_t)g[map[i]];
    caught.rflags = (uint64_t)g[REG_EFL];
    caught.rip = (uint64_t)g[REG_RIP];
    run_active = 0;
    siglongjmp(run_jb, 1);
}

#define RUN_ALT_BASE 0x10100000u
#define RUN_ALT_SIZE 0x40000u
static stack_t alt_ss;
static uint8_t *code_area, *data_area;

static void *map_at(uint64_t addr, uint32_t size, int prot)
{
    void *p = mmap((void *)(uintptr_t)addr, size, prot,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p != (void *)(uintptr_t)addr) {
        fprintf(stderr, "run64: cannot map %u bytes at %#llx (%s)\n", size, (unsigned long long)addr,
                p == MAP_FAILED ? "mmap failed" : "placed elsewhere");
        exit(2);
    }
    return p;
}

static void setup(void)
{
    code_area = map_at(DIFF_CODE_BASE, DIFF_CODE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC);
    data_area = map_at(DIFF_DATA_BASE, DIFF_DATA_SIZE, PROT_READ | PROT_WRITE);
    memset(code_area, 0xcc, DIFF_CODE_SIZE);
    alt_ss.ss_sp = map_at(RUN_ALT_BASE, RUN_ALT_SIZE, PROT_READ | PROT_WRITE);
    alt_ss.ss_size = RUN_ALT_SIZE;
    alt_ss.ss_flags = SS_AUTODISARM;
    if (sigaltstack(&alt_ss, NULL)) {
        perror("run64: sigaltstack");
        exit(2);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    int sigs[] = { SIGSEGV, SIGILL, SIGFPE, SIGTRAP, SIGBUS };
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        sigaction(sigs[i], &sa, NULL);
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

    if (c->mode != 64)
        return -1;
    memset(code_area, 0xcc, used);
    memcpy(code_area, code, len);
    used = len;
    case_fill_data(c, data_area);
    run_entry.rflags = c->eflags;
    for (int i = 0; i < 16; i++)
        run_entry.gpr[i] = c->gpr[i];
    run_entry.rip = DIFF_CODE_BASE;
    if (sigsetjmp(run_jb, 0) == 0) {
        run_active = 1;
        run_enter();
    }
    if (sigaltstack(&alt_ss, NULL)) {
        perror("run64: sigaltstack");
        exit(2);
    }
    memset(r, 0, sizeof(*r));
    /* No FP forms in mode 64 yet: the state stays the one every run starts
     * from, which is what the engines report for an untouched FPU. */
    result_fp_init(&r->fp);
    for (int i = 0; i < 16; i++)
        r->gpr[i] = caught.gpr[i];
    r->eflags = (uint32_t)caught.rflags;
    r->sig = caught.sig;
    r->si_code = caught.code;
    r->trapno = caught.trapno;
    r->err = caught.err;
    r->eip = (uint32_t)(caught.rip - DIFF_CODE_BASE);
    r->exc = map_exc(caught.sig, caught.trapno);
    if (r->exc == EXC_BP && r->eip == (uint32_t)len + 1) {
        r->exc = EXC_NONE;
        r->eip = len;
        r->sig = 0;
        r->si_code = r->trapno = r->err = 0;
    }
    if (r->exc == EXC_PF)
        r->addr = caught.addr;
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
        fprintf(stderr, "usage: run64 < cases > results (see tests/diff/native/README.md)\n");
        return 2;
    }
    setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
    setup();
    while ((rc = case_parse(stdin, &c, err, sizeof(err))) == 1) {
        if (run_case(&c, &r) < 0)
            printf("result\nerror case %s: mode %d is not supported by run64\nend\n", c.id, c.mode);
        else
            result_print(stdout, &c, &r);
        fflush(stdout);
    }
    if (rc < 0) {
        printf("result\nerror %s\nend\n", err);
        fflush(stdout);
        fprintf(stderr, "run64: bad case on stdin: %s\n", err);
        return 2;
    }
    return 0;
}
