/*
 * The differential CPU tester's test case and result (tests/diff/native/).
 *
 * A Case is a short user-mode instruction sequence plus the machine state it
 * starts from; a Result is the state it ends in. Both have a stable text form
 * (a reproducer that can be pasted into a unit test or replayed with
 * `diff --replay FILE`), described in README.md next to this file.
 *
 * The environment every engine must reproduce (the "segment setup implied by
 * the mode"):
 *   code area  DIFF_CODE_SIZE bytes at linear DIFF_CODE_BASE: the case's
 *              instruction bytes at offset 0, then 0xCC (int3) up to the end;
 *              the int3 right after the last byte ends the run normally.
 *   data area  DIFF_DATA_SIZE bytes at linear DIFF_DATA_BASE, filled by
 *              case_fill_data() (pseudo-random from the case's data seed,
 *              then the case's patches). Nothing else is mapped near them.
 *   mode 32    flat 4 GiB user segments (CS, DS, ES, SS base 0), CPL 3,
 *              paging: only the two areas above are accessible; any other
 *              access is #PF. EIP starts at DIFF_CODE_BASE.
 *   mode 16    CPL 3 protected mode with 16-bit segments: CS base
 *              DIFF_CODE_BASE limit 0xfff (16-bit, readable code); DS, ES,
 *              SS base DIFF_DATA_BASE limit 0xfff (16-bit, writable data,
 *              B=0 so the stack uses SP). EIP starts at 0. Accesses beyond a
 *              limit are #GP (#SS through SS).
 *   mode 64    CPL 3 64-bit code (CS L=1), flat; 16 GPRs with 64-bit values;
 *              paging as in mode 32. RIP starts at DIFF_CODE_BASE.
 * CR0.AM is set, so EFLAGS.AC=1 makes misaligned accesses #AC.
 */
#ifndef PEMU_DIFF_CASE_H
#define PEMU_DIFF_CASE_H

#include <stdint.h>
#include <stdio.h>

#define DIFF_CODE_BASE 0x10000000u
#define DIFF_CODE_SIZE 4096u
#define DIFF_DATA_BASE 0x10010000u
#define DIFF_DATA_SIZE 4096u
#define DIFF_SEG_LIMIT 0xfffu /* mode 16: limit of every segment */

#define CASE_MAX_INSNS 8      /* top-level slots of a sequence */
#define CASE_MAX_INSN_BYTES 64  /* FXSAVE with its vendor fix-ups (gen.c) */
#define CASE_MAX_CODE 160
#define CASE_MAX_PATCHES 8
#define CASE_MAX_PATCH_BYTES 8
#define CASE_NGPR_MAX 16

/* EFLAGS bits (Intel SDM vol. 1, 3.4.3). */
enum {
    FL_CF = 1u << 0, FL_PF = 1u << 2, FL_AF = 1u << 4, FL_ZF = 1u << 6,
    FL_SF = 1u << 7, FL_TF = 1u << 8, FL_IF = 1u << 9, FL_DF = 1u << 10,
    FL_OF = 1u << 11, FL_IOPL = 3u << 12, FL_NT = 1u << 14, FL_RF = 1u << 16,
    FL_VM = 1u << 17, FL_AC = 1u << 18, FL_ID = 1u << 21,
};
#define FL_ARITH (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)
/* The bits compared between engines: what a CPL-3 program can change. */
#define FL_COMPARE (FL_ARITH | FL_DF | FL_AC | FL_ID)

/* GPR numbering is the x86 encoding order. */
enum { R_AX, R_CX, R_DX, R_BX, R_SP, R_BP, R_SI, R_DI };

/* Exceptions a run can end with (vector numbers, SDM vol. 3 table 6-1). */
enum {
    EXC_NONE = -1, EXC_DE = 0, EXC_DB = 1, EXC_BP = 3, EXC_OF = 4,
    EXC_BR = 5, EXC_UD = 6, EXC_NP = 11, EXC_SS = 12, EXC_GP = 13,
    EXC_PF = 14, EXC_MF = 16, EXC_AC = 17, EXC_XM = 19,
    EXC_OTHER = 100,          /* a signal the runner could not map */
};

typedef struct CaseInsn {
    uint8_t len;
    uint8_t bytes[CASE_MAX_INSN_BYTES];
    uint32_t undef;           /* EFLAGS bits this slot leaves undefined */
    char form[48];            /* generator's form name, informative */
} CaseInsn;

typedef struct CasePatch {
    uint16_t off;             /* offset in the data area */
    uint8_t len;
    uint8_t bytes[CASE_MAX_PATCH_BYTES];
} CasePatch;

typedef struct Case {
    char id[32];              /* "mode:seed:index", informative */
    int mode;                 /* 16, 32 or 64 */
    int ninsn;
    CaseInsn insn[CASE_MAX_INSNS];
    uint64_t gpr[CASE_NGPR_MAX];
    uint32_t eflags;
    uint32_t data_seed;
    int npatch;
    CasePatch patch[CASE_MAX_PATCHES];
} Case;

/*
 * The x87/MMX/SSE state at the end of a run. Every run starts from the
 * same one (result_fp_init: FNINIT's control and status, all registers
 * and tags zero/empty, MXCSR 0x1f80, XMM zero), which the generator's
 * loads then change. FIP/FDP/FOP are not compared (vendors differ; FSTENV
 * images in memory are). ftw is FXSAVE's abridged tag byte.
 */
#define DIFF_NXMM 8
typedef struct ResultFp {
    uint16_t fcw, fsw;
    uint8_t ftw;
    uint32_t mxcsr;
    uint64_t mant[8];         /* physical registers R0..R7 (MMX: mant) */
    uint16_t sexp[8];
    uint64_t xmm[DIFF_NXMM][2];
} ResultFp;

void result_fp_init(ResultFp *fp);

typedef struct Result {
    uint64_t gpr[CASE_NGPR_MAX];
    uint32_t eflags;
    int exc;                  /* EXC_* */
    uint32_t eip;             /* offset from the code area (CS base) */
    uint64_t addr;            /* #PF: faulting linear address */
    /* What the native runner saw, informative (not compared). */
    int sig, si_code, trapno, err;
    ResultFp fp;
    uint8_t data[DIFF_DATA_SIZE];
} Result;

int case_ngpr(int mode);
/* Concatenated instruction bytes; returns the length. */
int case_code(const Case *c, uint8_t *buf, int size);
/* EFLAGS bits whose value the manual leaves undefined after this case. */
uint32_t case_undef(const Case *c);
/* The initial data area: the seed's pseudo-random bytes, then the patches. */
void case_fill_data(const Case *c, uint8_t *data);

/* Text forms. Printers write a block ending in "end\n". */
void case_print(FILE *f, const Case *c);
void result_print(FILE *f, const Case *c, const Result *r);
/*
 * Parsers read the next block from f (skipping blank and '#' lines before
 * it). Return 1 on success, 0 at end of file, -1 on bad input with a
 * message in err.
 */
int case_parse(FILE *f, Case *c, char *err, int errsize);
int result_parse(FILE *f, const Case *c, Result *r, char *err, int errsize);

const char *exc_name(int exc);
int exc_from_name(const char *name);
/* Names of the set bits of an EFLAGS mask ("CF|ZF") into buf. */
const char *flags_names(uint32_t mask, char *buf, int size);
const char *gpr_name(int mode, int r);

#endif
