/*
 * IEEE 754 binary arithmetic in software for the x87 (80-bit extended)
 * and SSE (binary32, binary64) units, with x86's rules: NaN selection,
 * default NaN, tininess, denormal-operand flag, x87 precision control and
 * unmasked-exception results, SSE DAZ/FTZ.
 *
 * Only integer arithmetic is used, so every host produces the same bits.
 * binary32/64 values are their IEEE bit patterns in host integers; 80-bit
 * values are FloatX80 (64-bit significand with its explicit integer bit,
 * then sign and 15-bit exponent), the same layout as X86Float80.
 *
 * Every operation takes an SfStatus that gives the rounding mode, the
 * precision control, the exception masks and the unit's rules, and
 * accumulates the exception flags it raised. Results under unmasked
 * exceptions follow the x87 (SDM Vol. 1 4.9, 8.5):
 *  - IE, ZE, DE unmasked: the operation stops at that exception; the
 *    returned value is meaningless and the caller must not store it.
 *  - OE/UE unmasked, 80-bit destination (x87 only): the result is
 *    returned with its exponent wrapped by 2^-24576 / 2^+24576.
 *  - OE/UE unmasked, 32/64-bit destination: the flag is raised and the
 *    caller must not store (x87 FST to memory; SSE faults with #XM).
 */
#ifndef PEMU_X86_SOFTFLOAT_H
#define PEMU_X86_SOFTFLOAT_H

#include <stdint.h>

typedef struct FloatX80 {
    uint64_t mant;
    uint16_t sexp;
} FloatX80;

/* Rounding modes: the x87 RC field and MXCSR.RC encodings. */
enum { SF_RN = 0, SF_RD = 1, SF_RU = 2, SF_RZ = 3 };

/* Exception flags: the same bits in the x87 status word and MXCSR. */
enum { SF_IE = 0x01, SF_DE = 0x02, SF_ZE = 0x04, SF_OE = 0x08, SF_UE = 0x10, SF_PE = 0x20 };
#define SF_ALL_EXC 0x3f

typedef struct SfStatus {
    uint8_t rmode; /* SF_RN.. */
    uint8_t prec;  /* x87 precision control for 80-bit results: 24, 53 or 64 */
    uint8_t mask;  /* masked exceptions (x87 CW bits 0-5, MXCSR bits 7-12 >> 7) */
    uint8_t flags; /* raised exceptions, accumulated */
    uint8_t sse;   /* 1: SSE rules (NaN choice, DAZ, FTZ), 0: x87 */
    uint8_t daz;   /* SSE: denormal operands are zeros */
    uint8_t ftz;   /* SSE: tiny results are zeros when UE is masked */
    uint8_t c1;    /* x87: the last rounding increased the magnitude */
    uint8_t mem_den; /* x87: an operand was a denormal in its memory format
                      * (sf_x80_from_f32/f64 set it; the operation raises DE) */
} SfStatus;

/* Comparison results, ordered as x87 condition codes want them. */
enum { SF_LT = 0, SF_EQ = 1, SF_GT = 2, SF_UN = 3 };

/* FXAM classes: (C3 << 2 | C2 << 1 | C0), C1 is the sign. */
enum {
    SF_CLASS_UNSUPPORTED = 0, SF_CLASS_NAN = 1, SF_CLASS_NORMAL = 2, SF_CLASS_INF = 3,
    SF_CLASS_ZERO = 4, SF_CLASS_EMPTY = 5, SF_CLASS_DENORMAL = 6,
};

/* ---- 80-bit extended (x87) ------------------------------------------------ */

static inline FloatX80 sf_x80_make(int sign, int exp, uint64_t mant)
{
    FloatX80 r = { mant, (uint16_t)((sign ? 0x8000 : 0) | (exp & 0x7fff)) };
    return r;
}

extern const FloatX80 sf_x80_default_nan; /* real indefinite: -QNaN 0xC000... */

int sf_x80_class(FloatX80 a);          /* SF_CLASS_* (never EMPTY) */
int sf_x80_is_nan(FloatX80 a);
int sf_x80_is_snan(FloatX80 a);

FloatX80 sf_x80_add(FloatX80 a, FloatX80 b, SfStatus *s);
FloatX80 sf_x80_sub(FloatX80 a, FloatX80 b, SfStatus *s);
FloatX80 sf_x80_mul(FloatX80 a, FloatX80 b, SfStatus *s);
FloatX80 sf_x80_div(FloatX80 a, FloatX80 b, SfStatus *s);
FloatX80 sf_x80_sqrt(FloatX80 a, SfStatus *s);
/*
 * FPREM (ieee = 0: truncated quotient) and FPREM1 (ieee = 1: nearest).
 * *quot gets the quotient's low 3 bits (SF_REM_NO_QUOTIENT for a NaN
 * result: the x87 then leaves C0/C3 alone), *partial is set when the
 * exponent difference was 64 or more and only a partial reduction was
 * done (C2).
 */
#define SF_REM_NO_QUOTIENT 0xffffffffu
FloatX80 sf_x80_rem(FloatX80 a, FloatX80 b, int ieee, unsigned *quot, int *partial, SfStatus *s);
/* FCOM-style (signaling = 1: any NaN is invalid) and FUCOM-style compare. */
int sf_x80_compare(FloatX80 a, FloatX80 b, int signaling, SfStatus *s);
FloatX80 sf_x80_round_int(FloatX80 a, SfStatus *s);          /* FRNDINT */
FloatX80 sf_x80_scale(FloatX80 a, FloatX80 b, SfStatus *s);  /* FSCALE: a * 2^trunc(b) */
/* FXTRACT: a = sig * 2^exp, 1 <= |sig| < 2. */
void sf_x80_extract(FloatX80 a, FloatX80 *exp, FloatX80 *sig, SfStatus *s);
/* Rounds to the x87 precision control and 15-bit range (FLD of a register
 * does not; this is for results computed elsewhere). */
FloatX80 sf_x80_round_prec(FloatX80 a, SfStatus *s);

/* Conversions. The widening ones are exact: from_f32/from_f64 make operands
 * of arithmetic (SNaNs stay signaling; a denormal sets s->mem_den, so that
 * the operation raises DE with the right priority); load_f32/load_f64
 * (FLD m32/m64) raise DE and quiet SNaNs with IE. */
FloatX80 sf_x80_from_f32(uint32_t a, SfStatus *s);
FloatX80 sf_x80_from_f64(uint64_t a, SfStatus *s);
FloatX80 sf_x80_load_f32(uint32_t a, SfStatus *s);
FloatX80 sf_x80_load_f64(uint64_t a, SfStatus *s);
FloatX80 sf_x80_from_int(int64_t a);
uint32_t sf_x80_to_f32(FloatX80 a, SfStatus *s);
uint64_t sf_x80_to_f64(FloatX80 a, SfStatus *s);
/* To a signed integer of `bits` (16, 32, 64) with the current rounding or
 * truncating; out of range or NaN: IE and the integer indefinite (the
 * lowest value). */
int64_t sf_x80_to_int(FloatX80 a, int bits, int truncate, SfStatus *s);

/*
 * Transcendental functions as the x87 computes them: results rounded to 64
 * bits from an internal value good to ~120 bits. sin/cos/tan reduce the
 * argument with the x87's 66-bit pi; |a| >= 2^63 sets *out_of_range (C2)
 * and returns a unchanged.
 */
FloatX80 sf_x80_sin(FloatX80 a, int *out_of_range, SfStatus *s);
FloatX80 sf_x80_cos(FloatX80 a, int *out_of_range, SfStatus *s);
FloatX80 sf_x80_tan(FloatX80 a, int *out_of_range, SfStatus *s);
FloatX80 sf_x80_atan2(FloatX80 y, FloatX80 x, SfStatus *s);   /* FPATAN: atan(y / x) */
FloatX80 sf_x80_f2xm1(FloatX80 a, SfStatus *s);               /* 2^a - 1 */
FloatX80 sf_x80_yl2x(FloatX80 y, FloatX80 x, SfStatus *s);    /* y * log2(x) */
FloatX80 sf_x80_yl2xp1(FloatX80 y, FloatX80 x, SfStatus *s);  /* y * log2(x + 1) */
/* FLDPI etc.: the 66-bit constant the x87 holds, rounded by s->rmode
 * (no flags raised). */
enum { SF_CONST_L2T, SF_CONST_L2E, SF_CONST_PI, SF_CONST_LG2, SF_CONST_LN2 };
FloatX80 sf_x80_const(int which, SfStatus *s);

/* ---- binary32 / binary64 (SSE; also the x87's memory formats) --------------- */

uint32_t sf_f32_add(uint32_t a, uint32_t b, SfStatus *s);
uint32_t sf_f32_sub(uint32_t a, uint32_t b, SfStatus *s);
uint32_t sf_f32_mul(uint32_t a, uint32_t b, SfStatus *s);
uint32_t sf_f32_div(uint32_t a, uint32_t b, SfStatus *s);
uint32_t sf_f32_sqrt(uint32_t a, SfStatus *s);
int sf_f32_compare(uint32_t a, uint32_t b, int signaling, SfStatus *s);
uint32_t sf_f32_round_int(uint32_t a, int inexact, SfStatus *s); /* ROUNDSS; inexact=0 suppresses PE */
int64_t sf_f32_to_int(uint32_t a, int bits, int truncate, SfStatus *s); /* 32 or 64 */
uint32_t sf_f32_from_int(int64_t a, SfStatus *s);
uint64_t sf_f32_to_f64(uint32_t a, SfStatus *s);

uint64_t sf_f64_add(uint64_t a, uint64_t b, SfStatus *s);
uint64_t sf_f64_sub(uint64_t a, uint64_t b, SfStatus *s);
uint64_t sf_f64_mul(uint64_t a, uint64_t b, SfStatus *s);
uint64_t sf_f64_div(uint64_t a, uint64_t b, SfStatus *s);
uint64_t sf_f64_sqrt(uint64_t a, SfStatus *s);
int sf_f64_compare(uint64_t a, uint64_t b, int signaling, SfStatus *s);
uint64_t sf_f64_round_int(uint64_t a, int inexact, SfStatus *s);
int64_t sf_f64_to_int(uint64_t a, int bits, int truncate, SfStatus *s);
uint64_t sf_f64_from_int(int64_t a, SfStatus *s);
uint32_t sf_f64_to_f32(uint64_t a, SfStatus *s);

/*
 * The host's FPU for the common case of an SSE operation: a op b (for
 * SF_OP_SQRT: sqrt b) computed by the host, when that is exactly the IEEE
 * result and no flag other than inexact can be due: operands normal or
 * zero, result normal and finite, rounding to nearest. The caller makes
 * sure that an inexact result needs no report (MXCSR.PE already set and
 * masked) and that RC is nearest. Returns false (and *r untouched) when
 * the sf_ functions must do it, always so on hosts whose C floating point
 * is not IEEE binary32/64 evaluated at its own precision (FLT_EVAL_METHOD
 * 0: the x87 host, i686, falls back everywhere).
 */
enum { SF_OP_ADD, SF_OP_SUB, SF_OP_MUL, SF_OP_DIV, SF_OP_SQRT };
int sf_f64_host(int op, uint64_t a, uint64_t b, uint64_t *r);
int sf_f32_host(int op, uint32_t a, uint32_t b, uint32_t *r);
extern const int sf_host_fp;  /* 1 where the shortcut is compiled in */

#endif
