/*
 * Software IEEE 754 arithmetic with x86 semantics (see softfloat.h).
 *
 * Every format is unpacked into one form: class, sign, unbiased exponent
 * and a 64-bit significand with the integer bit at bit 63 (value =
 * 1.f * 2^exp). Operations compute an exact or sticky-jammed 128-bit
 * significand and one routine, round_pack, rounds it to the destination
 * (24/53/64 significant bits, the format's exponent range) and raises the
 * flags. Facts used (Intel SDM Vol. 1, ch. 4 and 8; IEEE 754-2008):
 *  - tininess is detected after rounding (with unbounded exponent);
 *    masked underflow is flagged only when the tiny result is inexact;
 *  - x87 default NaN ("real indefinite") is -QNaN 0xC000000000000000;
 *  - x87 NaN choice: QNaN over SNaN, else the larger significand; SSE:
 *    the first operand that is a NaN; SNaNs are returned quieted;
 *  - 80-bit unnormals, pseudo-NaNs and pseudo-infinities are invalid
 *    operands; pseudo-denormals are read as denormals (exponent 1);
 *  - exception priority: invalid (SNaN/unsupported), QNaN, other invalid
 *    and divide-by-zero, denormal operand, overflow/underflow, inexact.
 */
#include "src/x86/softfloat.h"
#include <float.h>
#include <math.h>
#include <string.h>
#include "ports/host.h"

/* ---- formats and the unpacked form ----------------------------------------- */

enum { K_X80, K_F64, K_F32 };

typedef struct Fmt {
    uint8_t kind, prec;
    int32_t emin, emax, bias;
} Fmt;

static const Fmt fmt_f32 = { K_F32, 24, -126, 127, 127 };
static const Fmt fmt_f64 = { K_F64, 53, -1022, 1023, 1023 };
static const Fmt fmt_x80_64 = { K_X80, 64, -16382, 16383, 16383 };

static Fmt fmt_x80(int prec)
{
    Fmt f = fmt_x80_64;
    f.prec = (uint8_t)(prec == 24 || prec == 53 ? prec : 64);
    return f;
}

enum { C_ZERO, C_NORM, C_INF, C_QNAN, C_SNAN, C_BAD };

typedef struct Unp {
    uint8_t cls, sign, den; /* den: the operand was denormal (DE) */
    int32_t exp;
    uint64_t sig;           /* NORM: bit 63 set; NaN: payload below bits 63 (1) and 62 (quiet) */
} Unp;

/* A value in any format: binary32/64 bits are kept in .mant. */
typedef FloatX80 Box;

#define BIT63 0x8000000000000000ull
#define BIT62 0x4000000000000000ull

const FloatX80 sf_x80_default_nan = { 0xC000000000000000ull, 0xffff };

static Box box(uint64_t v)
{
    Box b = { v, 0 };
    return b;
}

static int is_nan(const Unp *a)
{
    return a->cls == C_QNAN || a->cls == C_SNAN;
}

static Unp unpack(int kind, Box v, const SfStatus *s)
{
    Unp u = { C_NORM, 0, 0, 0, 0 };
    uint32_t e, emax;
    uint64_t f;
    int fbits;
    if (kind == K_X80) {
        u.sign = v.sexp >> 15;
        e = v.sexp & 0x7fff;
        f = v.mant;
        if (e == 0) {
            if (f == 0) {
                u.cls = C_ZERO;
            } else { /* denormal or pseudo-denormal: exponent reads as 1 */
                int sh = clz64(f);
                u.den = 1;
                u.sig = f << sh;
                u.exp = -16382 - sh;
            }
        } else if (!(f & BIT63)) {
            u.cls = C_BAD; /* unnormal, pseudo-infinity, pseudo-NaN */
        } else if (e == 0x7fff) {
            u.sig = f;
            u.cls = (f << 1) == 0 ? C_INF : (f & BIT62) ? C_QNAN : C_SNAN;
        } else {
            u.sig = f;
            u.exp = (int32_t)e - 16383;
        }
        return u;
    }
    if (kind == K_F64) {
        u.sign = (uint8_t)(v.mant >> 63);
        e = (uint32_t)(v.mant >> 52) & 0x7ff;
        f = v.mant & 0xfffffffffffffull;
        fbits = 52;
        emax = 0x7ff;
    } else {
        u.sign = (uint8_t)(v.mant >> 31) & 1;
        e = (uint32_t)(v.mant >> 23) & 0xff;
        f = v.mant & 0x7fffff;
        fbits = 23;
        emax = 0xff;
    }
    int bias = kind == K_F64 ? 1023 : 127;
    if (e == 0) {
        if (f == 0 || (s->sse && s->daz)) {
            u.cls = C_ZERO;
        } else {
            int sh = clz64(f);
            u.den = 1;
            u.sig = f << sh;
            /* f * 2^(1 - bias - fbits) = sig * 2^(exp - 63) */
            u.exp = 1 - bias - fbits + 63 - sh;
        }
    } else if (e == emax) {
        u.sig = BIT63 | (f << (63 - fbits));
        u.cls = f == 0 ? C_INF : (u.sig & BIT62) ? C_QNAN : C_SNAN;
    } else {
        u.sig = BIT63 | (f << (63 - fbits));
        u.exp = (int32_t)e - bias;
    }
    return u;
}

/* be: biased exponent field; sig: significand with the integer bit at 63. */
static Box pack_raw(int kind, int sign, uint32_t be, uint64_t sig)
{
    Box r = { 0, 0 };
    switch (kind) {
    case K_X80:
        r.mant = sig;
        r.sexp = (uint16_t)((sign ? 0x8000 : 0) | (be & 0x7fff));
        break;
    case K_F64:
        r.mant = ((uint64_t)(sign != 0) << 63) | ((uint64_t)be << 52) | ((sig >> 11) & 0xfffffffffffffull);
        break;
    default:
        r.mant = ((uint64_t)(sign != 0) << 31) | ((uint64_t)be << 23) | ((sig >> 40) & 0x7fffff);
        break;
    }
    return r;
}

static uint32_t emax_field(int kind)
{
    return kind == K_X80 ? 0x7fff : kind == K_F64 ? 0x7ff : 0xff;
}

static Box pack_zero(int kind, int sign) { return pack_raw(kind, sign, 0, 0); }
static Box pack_inf(int kind, int sign) { return pack_raw(kind, sign, emax_field(kind), BIT63); }
static Box pack_nan(int kind, const Unp *n) { return pack_raw(kind, n->sign, emax_field(kind), n->sig); }
static Box default_nan(int kind) { return pack_raw(kind, 1, emax_field(kind), 0xC000000000000000ull); }

static Box invalid(int kind, SfStatus *s)
{
    s->flags |= SF_IE;
    return default_nan(kind);
}

/* ---- 128-bit helpers --------------------------------------------------------- */

/* Shift hi:lo right by n, OR-ing every bit shifted out into bit 0. */
static void shr_jam128(uint64_t *hi, uint64_t *lo, int32_t n)
{
    if (n <= 0)
        return;
    if (n >= 128) {
        *lo = (*hi | *lo) != 0;
        *hi = 0;
    } else if (n >= 64) {
        uint64_t lost = (n == 64 ? 0 : *hi << (128 - n)) | *lo;
        *lo = (n == 64 ? *hi : *hi >> (n - 64)) | (lost != 0);
        *hi = 0;
    } else {
        uint64_t lost = *lo << (64 - n);
        *lo = (*hi << (64 - n)) | (*lo >> n) | (lost != 0);
        *hi >>= n;
    }
}

static int add128(uint64_t *hi, uint64_t *lo, uint64_t bhi, uint64_t blo)
{
    uint64_t l = *lo + blo, c = l < blo;
    uint64_t h = *hi + bhi;
    int carry = h < bhi;
    h += c;
    carry |= h < c;
    *hi = h;
    *lo = l;
    return carry;
}

static void sub128(uint64_t *hi, uint64_t *lo, uint64_t bhi, uint64_t blo)
{
    uint64_t b = *lo < blo;
    *lo -= blo;
    *hi = *hi - bhi - b;
}

static int cmp128(uint64_t ahi, uint64_t alo, uint64_t bhi, uint64_t blo)
{
    if (ahi != bhi)
        return ahi < bhi ? -1 : 1;
    return alo < blo ? -1 : alo > blo;
}

/* Shift hi:lo left until bit 127 is set (non-zero input); adjusts *exp. */
static void norm128(uint64_t *hi, uint64_t *lo, int32_t *exp)
{
    if (*hi == 0) {
        *hi = *lo;
        *lo = 0;
        *exp -= 64;
    }
    int sh = clz64(*hi);
    if (sh) {
        *hi = (*hi << sh) | (*lo >> (64 - sh));
        *lo <<= sh;
        *exp -= sh;
    }
}

static int64_t s64(uint64_t v)
{
    return v >> 63 ? -(int64_t)(~v) - 1 : (int64_t)v;
}

/* ---- rounding ---------------------------------------------------------------- */

/*
 * Round hi:lo to the top `prec` bits of hi in mode rm. Returns whether the
 * value was inexact; *up: the magnitude was incremented; *carry: hi
 * overflowed (it is then 0 and stands for 2^64).
 */
static int rnd(int rm, int sign, uint64_t *hi, uint64_t lo, int prec, int *up, int *carry)
{
    int sh = 64 - prec, above, tie, inexact, inc = 0;
    *up = *carry = 0;
    if (sh) {
        uint64_t rest = *hi & ((1ull << sh) - 1), half = 1ull << (sh - 1);
        above = rest > half || (rest == half && lo);
        tie = rest == half && !lo;
        inexact = rest || lo;
    } else {
        above = lo > BIT63;
        tie = lo == BIT63;
        inexact = lo != 0;
    }
    if (!inexact)
        return 0;
    switch (rm) {
    case SF_RN: inc = above || (tie && ((*hi >> sh) & 1)); break;
    case SF_RD: inc = sign; break;
    case SF_RU: inc = !sign; break;
    default: break;
    }
    if (sh)
        *hi &= ~((1ull << sh) - 1);
    if (inc) {
        *hi += 1ull << sh;
        *carry = *hi == 0;
        *up = 1;
    }
    return 1;
}

/* x87: an unmasked OE/UE delivers the result scaled by 2^-+24576 (SDM 4.9.1.4/5). */
#define X87_BIAS_ADJUST 24576

/*
 * Round sign * hi:lo * 2^(exp - 127) (hi has bit 63 set, lo holds the
 * lower bits with a sticky bit 0) to format f, raising PE/UE/OE and
 * setting c1.
 */
static Box round_pack(const Fmt *f, SfStatus *s, int sign, int32_t exp, uint64_t hi, uint64_t lo)
{
    int up, carry, inexact;
    int x87reg = f->kind == K_X80 && !s->sse;
    s->c1 = 0;
    if (exp < f->emin) {
        uint64_t h2 = hi;
        int up2, c2;
        int inexact2 = rnd(s->rmode, sign, &h2, lo, f->prec, &up2, &c2);
        int tiny = !(c2 && exp + 1 >= f->emin);
        if (tiny && !(s->mask & SF_UE)) {
            s->flags |= SF_UE;
            /* SSE reports PE with an unmasked UE when the result rounded
             * with an unbounded exponent is inexact (the host CPU does,
             * tests/diff --class=sse) */
            if (s->sse && inexact2)
                s->flags |= SF_PE;
            if (!x87reg)
                return pack_zero(f->kind, sign); /* not stored: the caller faults */
            exp += X87_BIAS_ADJUST;
            if (exp >= f->emin)
                goto normal;
            /* still tiny after the wrap (FSCALE): the x87 delivers a zero */
            s->flags |= SF_PE;
            return pack_zero(f->kind, sign);
        } else if (tiny && s->sse && s->ftz) {
            s->flags |= SF_UE | SF_PE;
            return pack_zero(f->kind, sign);
        }
        shr_jam128(&hi, &lo, f->emin - exp);
        inexact = rnd(s->rmode, sign, &hi, lo, f->prec, &up, &carry);
        if (inexact) {
            s->flags |= SF_PE | (tiny ? SF_UE : 0);
            s->c1 = (uint8_t)up;
        }
        return pack_raw(f->kind, sign, (uint32_t)(hi >> 63), hi);
    }
normal:
    inexact = rnd(s->rmode, sign, &hi, lo, f->prec, &up, &carry);
    if (carry) {
        hi = BIT63;
        exp++;
    }
    if (exp > f->emax) {
        if (!(s->mask & SF_OE)) {
            s->flags |= SF_OE;
            if (s->sse && inexact)
                s->flags |= SF_PE;      /* as for UE above */
            if (!x87reg)
                return pack_inf(f->kind, sign);
            exp -= X87_BIAS_ADJUST;
            if (exp > f->emax) { /* still huge after the wrap (FSCALE): infinity */
                s->flags |= SF_PE;
                s->c1 = 1;
                return pack_inf(f->kind, sign);
            }
        }
        if (exp > f->emax) {
            int to_inf = s->rmode == SF_RN || (s->rmode == SF_RU && !sign) ||
                         (s->rmode == SF_RD && sign);
            s->flags |= SF_OE | SF_PE;
            s->c1 = (uint8_t)to_inf;
            if (to_inf)
                return pack_inf(f->kind, sign);
            return pack_raw(f->kind, sign, (uint32_t)(f->emax + f->bias), ~0ull << (64 - f->prec));
        }
    }
    if (inexact) {
        s->flags |= SF_PE;
        s->c1 = (uint8_t)up;
    }
    return pack_raw(f->kind, sign, (uint32_t)(exp + f->bias), hi);
}

/* ---- NaNs and common operand checks ----------------------------------------- */

static Unp pick_nan(const Unp *a, const Unp *b, const SfStatus *s)
{
    int an = is_nan(a), bn = b && is_nan(b);
    const Unp *r;
    if (!bn)
        r = a;
    else if (!an)
        r = b;
    else if (s->sse)
        r = a;
    else if (a->cls != b->cls)
        r = a->cls == C_QNAN ? a : b;
    else if (a->sig != b->sig)
        r = a->sig > b->sig ? a : b;
    else
        r = a->sign ? b : a; /* equal significands: the positive one */
    Unp n = *r;
    n.sig |= BIT62;
    n.cls = C_QNAN;
    return n;
}

/* Unsupported or NaN operands decide the result: returns 1 with *res. */
static int nan_operands(int kind, const Unp *a, const Unp *b, SfStatus *s, Box *res)
{
    if (a->cls == C_BAD || (b && b->cls == C_BAD)) {
        *res = invalid(kind, s);
        return 1;
    }
    if (is_nan(a) || (b && is_nan(b))) {
        if (a->cls == C_SNAN || (b && b->cls == C_SNAN))
            s->flags |= SF_IE;
        Unp n = pick_nan(a, b, s);
        *res = pack_nan(kind, &n);
        return 1;
    }
    return 0;
}

/* DE for denormal operands; returns 1 when it is unmasked (stop). */
static int denormal_stop(const Unp *a, const Unp *b, SfStatus *s)
{
    if (a->den || (b && b->den) || s->mem_den) {
        s->flags |= SF_DE;
        return !(s->mask & SF_DE);
    }
    return 0;
}

/* ---- arithmetic (any format) -------------------------------------------------- */

static Box do_add(const Fmt *f, Box A, Box B, int negb, SfStatus *s)
{
    Unp a = unpack(f->kind, A, s), b = unpack(f->kind, B, s);
    Box r;
    if (nan_operands(f->kind, &a, &b, s, &r))
        return r;
    b.sign ^= (uint8_t)negb;
    if (a.cls == C_INF && b.cls == C_INF && a.sign != b.sign)
        return invalid(f->kind, s);
    if (denormal_stop(&a, &b, s))
        return A;
    if (a.cls == C_INF || b.cls == C_INF)
        return pack_inf(f->kind, a.cls == C_INF ? a.sign : b.sign);
    if (a.cls == C_ZERO && b.cls == C_ZERO)
        return pack_zero(f->kind, a.sign == b.sign ? a.sign : s->rmode == SF_RD);
    if (a.cls == C_ZERO)
        return round_pack(f, s, b.sign, b.exp, b.sig, 0);
    if (b.cls == C_ZERO)
        return round_pack(f, s, a.sign, a.exp, a.sig, 0);
    if (a.exp < b.exp || (a.exp == b.exp && a.sig < b.sig)) {
        Unp t = a;
        a = b;
        b = t;
    }
    uint64_t hi = a.sig, lo = 0, bhi = b.sig, blo = 0;
    int32_t exp = a.exp;
    shr_jam128(&bhi, &blo, a.exp - b.exp);
    if (a.sign == b.sign) {
        if (add128(&hi, &lo, bhi, blo)) {
            shr_jam128(&hi, &lo, 1);
            hi |= BIT63;
            exp++;
        }
    } else {
        sub128(&hi, &lo, bhi, blo);
        if (!hi && !lo)
            return pack_zero(f->kind, s->rmode == SF_RD);
        norm128(&hi, &lo, &exp);
    }
    return round_pack(f, s, a.sign, exp, hi, lo);
}

static Box do_mul(const Fmt *f, Box A, Box B, SfStatus *s)
{
    Unp a = unpack(f->kind, A, s), b = unpack(f->kind, B, s);
    Box r;
    if (nan_operands(f->kind, &a, &b, s, &r))
        return r;
    int sign = a.sign ^ b.sign;
    if ((a.cls == C_INF && b.cls == C_ZERO) || (a.cls == C_ZERO && b.cls == C_INF))
        return invalid(f->kind, s);
    if (denormal_stop(&a, &b, s))
        return A;
    if (a.cls == C_INF || b.cls == C_INF)
        return pack_inf(f->kind, sign);
    if (a.cls == C_ZERO || b.cls == C_ZERO)
        return pack_zero(f->kind, sign);
    uint64_t lo, hi = mulu64_hi(a.sig, b.sig, &lo);
    int32_t exp = a.exp + b.exp;
    if (hi & BIT63) {
        exp++;
    } else {
        hi = (hi << 1) | (lo >> 63);
        lo <<= 1;
    }
    return round_pack(f, s, sign, exp, hi, lo);
}

/*
 * Quotient of num/den (both with bit 63 set), starting from 2*num when
 * num < den so that the first quotient bit is 1: 64 bits in *hi, two more
 * and a sticky bit in *lo. With r0 = num or 2*num (in [den, 2*den)):
 * hi = r0 * 2^63 / den, then the two bits of 4 * rest / den.
 */
static void div_sig(uint64_t num, uint64_t den, uint64_t *hi, uint64_t *lo)
{
    uint64_t nh, nl, rest, extra;
    if (num >= den) {
        nh = num >> 1;
        nl = num << 63;
    } else {
        nh = num;
        nl = 0;
    }
    *hi = divu128(nh, nl, den, &rest);
    extra = divu128(rest >> 62, rest << 2, den, &rest);
    *lo = (extra << 62) | (uint64_t)(rest != 0);
}

static Box do_div(const Fmt *f, Box A, Box B, SfStatus *s)
{
    Unp a = unpack(f->kind, A, s), b = unpack(f->kind, B, s);
    Box r;
    if (nan_operands(f->kind, &a, &b, s, &r))
        return r;
    int sign = a.sign ^ b.sign;
    if ((a.cls == C_INF && b.cls == C_INF) || (a.cls == C_ZERO && b.cls == C_ZERO))
        return invalid(f->kind, s);
    if (b.cls == C_ZERO && a.cls != C_INF) {
        s->flags |= SF_ZE;
        return pack_inf(f->kind, sign);
    }
    if (denormal_stop(&a, &b, s))
        return A;
    if (a.cls == C_INF || b.cls == C_ZERO)
        return pack_inf(f->kind, sign);
    if (a.cls == C_ZERO || b.cls == C_INF)
        return pack_zero(f->kind, sign);
    int32_t exp = a.exp - b.exp - (a.sig < b.sig);
    uint64_t hi, lo;
    div_sig(a.sig, b.sig, &hi, &lo);
    return round_pack(f, s, sign, exp, hi, lo);
}

/*
 * floor(sqrt(hi:lo)) (64 bits) and whether the remainder exceeds the
 * root. Newton's iteration x' = (x + N/x) / 2 from above stops at the
 * floor of the root; the host's double square root only gives the start
 * (within 2^12 of the root, plus a margin to be above it), so its accuracy
 * never shows in the result.
 */
static uint64_t isqrt128(uint64_t hi, uint64_t lo, int *above_half, int *inexact)
{
    double est = sqrt((double)hi * 18446744073709551616.0 + (double)lo);
    uint64_t x = est >= 18446744073709543424.0 ? UINT64_MAX : (uint64_t)est + 8192;
    for (;;) {
        if (hi >= x)            /* N / x >= 2^64 > x: x is the root */
            break;
        uint64_t rest, t = divu128(hi, lo, x, &rest);
        if (t >= x)
            break;
        x = t + (x - t) / 2;
    }
    uint64_t sl, sh = mulu64_hi(x, x, &sl);
    uint64_t rhi = hi, rlo = lo;
    sub128(&rhi, &rlo, sh, sl);
    *inexact = rhi || rlo;
    *above_half = cmp128(rhi, rlo, 0, x) > 0;
    return x;
}

static Box do_sqrt(const Fmt *f, Box A, SfStatus *s)
{
    Unp a = unpack(f->kind, A, s);
    Box r;
    if (nan_operands(f->kind, &a, NULL, s, &r))
        return r;
    if (a.sign && a.cls != C_ZERO)
        return invalid(f->kind, s);
    if (denormal_stop(&a, NULL, s))
        return A;
    if (a.cls == C_ZERO)
        return pack_zero(f->kind, a.sign);
    if (a.cls == C_INF)
        return pack_inf(f->kind, 0);
    int32_t exp;
    uint64_t nhi, nlo;
    if (a.exp & 1) {
        nhi = a.sig;
        nlo = 0;
        exp = (a.exp - 1) / 2;
    } else {
        nhi = a.sig >> 1;
        nlo = a.sig << 63;
        exp = a.exp / 2;
    }
    int above, inexact;
    uint64_t q = isqrt128(nhi, nlo, &above, &inexact);
    return round_pack(f, s, 0, exp, q, (above ? BIT63 : 0) | (uint64_t)inexact);
}

static int do_compare(int kind, Box A, Box B, int signaling, SfStatus *s)
{
    Unp a = unpack(kind, A, s), b = unpack(kind, B, s);
    if (a.cls == C_BAD || b.cls == C_BAD) {
        s->flags |= SF_IE;
        return SF_UN;
    }
    if (is_nan(&a) || is_nan(&b)) {
        if (signaling || a.cls == C_SNAN || b.cls == C_SNAN)
            s->flags |= SF_IE;
        return SF_UN;
    }
    /* No destination: the relation is reported even when DE is unmasked. */
    if (a.den || b.den || s->mem_den)
        s->flags |= SF_DE;
    if (a.cls == C_ZERO && b.cls == C_ZERO)
        return SF_EQ;
    if (a.cls == C_ZERO)
        return b.sign ? SF_GT : SF_LT;
    if (b.cls == C_ZERO)
        return a.sign ? SF_LT : SF_GT;
    if (a.sign != b.sign)
        return a.sign ? SF_LT : SF_GT;
    int c;
    if (a.cls != b.cls)
        c = a.cls == C_INF ? 1 : -1;
    else if (a.cls == C_INF)
        c = 0;
    else if (a.exp != b.exp)
        c = a.exp < b.exp ? -1 : 1;
    else
        c = a.sig < b.sig ? -1 : a.sig > b.sig;
    if (a.sign)
        c = -c;
    return c < 0 ? SF_LT : c > 0 ? SF_GT : SF_EQ;
}

/* Round to an integral value in mode rm (FRNDINT, ROUNDSD). */
static Box do_round_int(const Fmt *f, Box A, int rm, int report_pe, SfStatus *s)
{
    Unp a = unpack(f->kind, A, s);
    Box r;
    s->c1 = 0;
    if (nan_operands(f->kind, &a, NULL, s, &r))
        return r;
    /* FRNDINT reports denormal operands, ROUNDSS/SD do not */
    if (!s->sse && denormal_stop(&a, NULL, s))
        return A;
    if (a.cls == C_ZERO)
        return pack_zero(f->kind, a.sign);
    if (a.cls == C_INF)
        return pack_inf(f->kind, a.sign);
    if (a.exp >= 63)
        return pack_raw(f->kind, a.sign, (uint32_t)(a.exp + f->bias), a.sig);
    int inc = 0;
    uint64_t sig = a.sig;
    int32_t exp = a.exp;
    if (a.exp < 0) {
        switch (rm) {
        case SF_RN: inc = a.exp == -1 && a.sig > BIT63; break;
        case SF_RD: inc = a.sign; break;
        case SF_RU: inc = !a.sign; break;
        default: break;
        }
        if (report_pe)
            s->flags |= SF_PE;
        s->c1 = (uint8_t)inc;
        return inc ? pack_raw(f->kind, a.sign, (uint32_t)f->bias, BIT63) : pack_zero(f->kind, a.sign);
    }
    int sh = 63 - a.exp;
    uint64_t mask = (1ull << sh) - 1, frac = sig & mask, half = 1ull << (sh - 1);
    if (!frac)
        return pack_raw(f->kind, a.sign, (uint32_t)(exp + f->bias), sig);
    switch (rm) {
    case SF_RN: inc = frac > half || (frac == half && ((sig >> sh) & 1)); break;
    case SF_RD: inc = a.sign; break;
    case SF_RU: inc = !a.sign; break;
    default: break;
    }
    sig &= ~mask;
    if (inc) {
        sig += 1ull << sh;
        if (!sig) {
            sig = BIT63;
            exp++;
        }
    }
    if (report_pe)
        s->flags |= SF_PE;
    s->c1 = (uint8_t)inc;
    return pack_raw(f->kind, a.sign, (uint32_t)(exp + f->bias), sig);
}

static int64_t int_indefinite(int bits)
{
    return s64(~0ull << (bits - 1));
}

static int64_t do_to_int(int kind, Box A, int bits, int truncate, SfStatus *s)
{
    Unp a = unpack(kind, A, s);
    int rm = truncate ? SF_RZ : s->rmode, inc = 0;
    s->c1 = 0;
    if (a.cls >= C_INF || a.exp >= 64) {
        s->flags |= SF_IE;
        return int_indefinite(bits);
    }
    if (a.cls == C_ZERO)
        return 0;
    uint64_t ipart, frac, half;
    if (a.exp < 0) {
        ipart = 0;
        frac = a.sig;
        half = a.exp == -1 ? BIT63 : ~0ull; /* value vs 1/2 */
        if (a.exp < -1)
            half = ~0ull, frac = 1;
    } else {
        int sh = 63 - a.exp;
        ipart = a.sig >> sh;
        frac = sh ? a.sig << (64 - sh) : 0;
        half = BIT63;
    }
    if (frac) {
        switch (rm) {
        case SF_RN: inc = frac > half || (frac == half && (ipart & 1)); break;
        case SF_RD: inc = a.sign; break;
        case SF_RU: inc = !a.sign; break;
        default: break;
        }
    }
    ipart += (uint64_t)inc;
    uint64_t lim = 1ull << (bits - 1);
    if ((inc && ipart == 0) || ipart > lim || (ipart == lim && !a.sign)) {
        s->flags |= SF_IE;
        return int_indefinite(bits);
    }
    if (frac) {
        s->flags |= SF_PE;
        s->c1 = (uint8_t)inc;
    }
    return a.sign ? s64(0 - ipart) : s64(ipart);
}

static Box do_from_int(const Fmt *f, int64_t v, SfStatus *s)
{
    if (v == 0)
        return pack_zero(f->kind, 0);
    int sign = v < 0;
    uint64_t m = sign ? 0 - (uint64_t)v : (uint64_t)v;
    int sh = clz64(m);
    if (f->kind != K_X80 && m < (1ull << f->prec)) {
        /* fits the significand: exact, no flags, packed directly */
        int fb = f->prec - 1, msb = 63 - sh;
        uint64_t frac = (m << (fb - msb)) & ((1ull << fb) - 1);
        uint64_t sbit = (uint64_t)sign << (f->kind == K_F64 ? 63 : 31);
        return box(sbit | (uint64_t)(msb + f->bias) << fb | frac);
    }
    return round_pack(f, s, sign, 63 - sh, m << sh, 0);
}

/* Format conversion; `quiet` quiets SNaNs with IE (else they stay signaling). */
static Box do_convert(int from, const Fmt *to, Box A, int quiet, int check_den, SfStatus *s)
{
    Unp a = unpack(from, A, s);
    if (a.cls == C_BAD)
        return invalid(to->kind, s);
    if (is_nan(&a)) {
        if (a.cls == C_SNAN && quiet) {
            s->flags |= SF_IE;
            a.sig |= BIT62;
        }
        return pack_nan(to->kind, &a);
    }
    if (check_den && a.den) /* FLD m32/m64 loads even when DE is unmasked */
        s->flags |= SF_DE;
    if (a.cls == C_ZERO)
        return pack_zero(to->kind, a.sign);
    if (a.cls == C_INF)
        return pack_inf(to->kind, a.sign);
    return round_pack(to, s, a.sign, a.exp, a.sig, 0);
}

/* ---- 80-bit public operations --------------------------------------------------- */

int sf_x80_class(FloatX80 a)
{
    SfStatus s = { 0 };
    Unp u = unpack(K_X80, a, &s);
    switch (u.cls) {
    case C_ZERO: return SF_CLASS_ZERO;
    case C_NORM: return u.den ? SF_CLASS_DENORMAL : SF_CLASS_NORMAL;
    case C_INF: return SF_CLASS_INF;
    case C_BAD: return SF_CLASS_UNSUPPORTED;
    default: return SF_CLASS_NAN;
    }
}

int sf_x80_is_nan(FloatX80 a)
{
    return (a.sexp & 0x7fff) == 0x7fff && (a.mant & BIT63) && (a.mant << 1) != 0;
}

int sf_x80_is_snan(FloatX80 a)
{
    return sf_x80_is_nan(a) && !(a.mant & BIT62);
}

FloatX80 sf_x80_add(FloatX80 a, FloatX80 b, SfStatus *s)
{
    Fmt f = fmt_x80(s->prec);
    return do_add(&f, a, b, 0, s);
}

FloatX80 sf_x80_sub(FloatX80 a, FloatX80 b, SfStatus *s)
{
    Fmt f = fmt_x80(s->prec);
    return do_add(&f, a, b, 1, s);
}

FloatX80 sf_x80_mul(FloatX80 a, FloatX80 b, SfStatus *s)
{
    Fmt f = fmt_x80(s->prec);
    return do_mul(&f, a, b, s);
}

FloatX80 sf_x80_div(FloatX80 a, FloatX80 b, SfStatus *s)
{
    Fmt f = fmt_x80(s->prec);
    return do_div(&f, a, b, s);
}

FloatX80 sf_x80_sqrt(FloatX80 a, SfStatus *s)
{
    Fmt f = fmt_x80(s->prec);
    return do_sqrt(&f, a, s);
}

int sf_x80_compare(FloatX80 a, FloatX80 b, int signaling, SfStatus *s)
{
    return do_compare(K_X80, a, b, signaling, s);
}

FloatX80 sf_x80_round_int(FloatX80 a, SfStatus *s)
{
    return do_round_int(&fmt_x80_64, a, s->rmode, 1, s);
}

FloatX80 sf_x80_round_prec(FloatX80 a, SfStatus *s)
{
    Fmt f = fmt_x80(s->prec);
    return do_convert(K_X80, &f, a, 0, 0, s);
}

FloatX80 sf_x80_rem(FloatX80 A, FloatX80 B, int ieee, unsigned *quot, int *partial, SfStatus *s)
{
    Unp a = unpack(K_X80, A, s), b = unpack(K_X80, B, s);
    Box r;
    *quot = SF_REM_NO_QUOTIENT;
    *partial = 0;
    s->c1 = 0;
    if (nan_operands(K_X80, &a, &b, s, &r))
        return r;
    if (a.cls == C_INF || b.cls == C_ZERO)
        return invalid(K_X80, s);
    *quot = 0;
    if (denormal_stop(&a, &b, s))
        return A;
    if (a.cls == C_ZERO)
        return pack_zero(K_X80, a.sign);
    int32_t D = a.exp - b.exp, bexp = b.exp;
    if (b.cls == C_INF || D < -1 || (D == -1 && !ieee))
        return round_pack(&fmt_x80_64, s, a.sign, a.exp, a.sig, 0);
    uint64_t rem, q = 0;
    int flip = 0;
    if (D == -1) {
        if (a.sig <= b.sig)
            return round_pack(&fmt_x80_64, s, a.sign, a.exp, a.sig, 0);
        /* |b| - |a|, in units of 2^(bexp - 64) */
        rem = (b.sig << 1) - a.sig;
        bexp--;
        q = 1;
        flip = 1;
    } else {
        if (D >= 64) {
            /* Partial remainder (SDM FPREM): reduce the exponent difference to
             * N = 32..63 chosen so that D - N is a multiple of 32, truncating. */
            int32_t n = 32 + (D & 31);
            bexp += D - n;
            D = n;
            *partial = 1;
            ieee = 0;
        }
        uint64_t r0 = a.sig;
        int carry = 0;
        for (int32_t i = 0; i <= D; i++) {
            int bit = carry || r0 >= b.sig;
            if (bit)
                r0 -= b.sig;
            q = (q << 1) | (uint64_t)bit;
            if (i < D) {
                carry = (int)(r0 >> 63);
                r0 <<= 1;
            }
        }
        rem = r0;
        if (ieee) {
            int gt = (rem >> 63) || (rem << 1) > b.sig;
            int eq = !(rem >> 63) && (rem << 1) == b.sig;
            if (gt || (eq && (q & 1))) {
                rem = b.sig - rem;
                q++;
                flip = 1;
            }
        }
    }
    *quot = *partial ? 0 : (unsigned)(q & 7); /* C0/C3/C1 read 0 after a partial step */
    if (!rem)
        return pack_zero(K_X80, a.sign);
    int sh = clz64(rem);
    return round_pack(&fmt_x80_64, s, a.sign ^ flip, bexp - sh, rem << sh, 0);
}

FloatX80 sf_x80_scale(FloatX80 A, FloatX80 B, SfStatus *s)
{
    Unp a = unpack(K_X80, A, s), b = unpack(K_X80, B, s);
    Box r;
    if (nan_operands(K_X80, &a, &b, s, &r))
        return r;
    if ((a.cls == C_ZERO && b.cls == C_INF && !b.sign) || (a.cls == C_INF && b.cls == C_INF && b.sign))
        return invalid(K_X80, s);
    if (denormal_stop(&a, &b, s))
        return A;
    if (a.cls == C_ZERO)
        return pack_zero(K_X80, a.sign);
    if (a.cls == C_INF)
        return pack_inf(K_X80, a.sign);
    if (b.cls == C_INF)
        return b.sign ? pack_zero(K_X80, a.sign) : pack_inf(K_X80, a.sign);
    int32_t n = 0;
    if (b.cls == C_NORM && b.exp >= 0)
        n = b.exp > 20 ? 0x200000 : (int32_t)(b.sig >> (63 - b.exp));
    if (b.sign)
        n = -n;
    return round_pack(&fmt_x80_64, s, a.sign, a.exp + n, a.sig, 0);
}

void sf_x80_extract(FloatX80 A, FloatX80 *exp, FloatX80 *sig, SfStatus *s)
{
    Unp a = unpack(K_X80, A, s);
    Box r;
    if (nan_operands(K_X80, &a, NULL, s, &r)) {
        *exp = *sig = r;
        return;
    }
    if (a.cls == C_ZERO) {
        s->flags |= SF_ZE;
        *exp = pack_inf(K_X80, 1);
        *sig = pack_zero(K_X80, a.sign);
        return;
    }
    if (a.cls == C_INF) {
        *exp = pack_inf(K_X80, 0);
        *sig = pack_inf(K_X80, a.sign);
        return;
    }
    if (denormal_stop(&a, NULL, s)) {
        *exp = *sig = A;
        return;
    }
    *exp = sf_x80_from_int(a.exp);
    *sig = pack_raw(K_X80, a.sign, 16383, a.sig);
}

FloatX80 sf_x80_from_f32(uint32_t a, SfStatus *s)
{
    s->mem_den = (a & 0x7f800000u) == 0 && (a & 0x7fffffu) != 0;
    return do_convert(K_F32, &fmt_x80_64, box(a), 0, 0, s);
}

FloatX80 sf_x80_from_f64(uint64_t a, SfStatus *s)
{
    s->mem_den = (a & 0x7ff0000000000000ull) == 0 && (a & 0xfffffffffffffull) != 0;
    return do_convert(K_F64, &fmt_x80_64, box(a), 0, 0, s);
}
FloatX80 sf_x80_load_f32(uint32_t a, SfStatus *s) { return do_convert(K_F32, &fmt_x80_64, box(a), 1, 1, s); }
FloatX80 sf_x80_load_f64(uint64_t a, SfStatus *s) { return do_convert(K_F64, &fmt_x80_64, box(a), 1, 1, s); }

FloatX80 sf_x80_from_int(int64_t a)
{
    SfStatus s = { 0 };
    return do_from_int(&fmt_x80_64, a, &s);
}

uint32_t sf_x80_to_f32(FloatX80 a, SfStatus *s) { return (uint32_t)do_convert(K_X80, &fmt_f32, a, 1, 0, s).mant; }
uint64_t sf_x80_to_f64(FloatX80 a, SfStatus *s) { return do_convert(K_X80, &fmt_f64, a, 1, 0, s).mant; }

int64_t sf_x80_to_int(FloatX80 a, int bits, int truncate, SfStatus *s)
{
    return do_to_int(K_X80, a, bits, truncate, s);
}

/* ---- binary32 / binary64 --------------------------------------------------------- */

#define SF_DEFINE_OPS(T, n, F, K)                                                       \
    T sf_##n##_add(T a, T b, SfStatus *s) { return (T)do_add(&F, box(a), box(b), 0, s).mant; } \
    T sf_##n##_sub(T a, T b, SfStatus *s) { return (T)do_add(&F, box(a), box(b), 1, s).mant; } \
    T sf_##n##_mul(T a, T b, SfStatus *s) { return (T)do_mul(&F, box(a), box(b), s).mant; }    \
    T sf_##n##_div(T a, T b, SfStatus *s) { return (T)do_div(&F, box(a), box(b), s).mant; }    \
    T sf_##n##_sqrt(T a, SfStatus *s) { return (T)do_sqrt(&F, box(a), s).mant; }               \
    int sf_##n##_compare(T a, T b, int signaling, SfStatus *s)                                 \
    {                                                                                          \
        return do_compare(K, box(a), box(b), signaling, s);                                    \
    }                                                                                          \
    T sf_##n##_round_int(T a, int inexact, SfStatus *s)                                        \
    {                                                                                          \
        return (T)do_round_int(&F, box(a), s->rmode, inexact, s).mant;                         \
    }                                                                                          \
    int64_t sf_##n##_to_int(T a, int bits, int truncate, SfStatus *s)                          \
    {                                                                                          \
        return do_to_int(K, box(a), bits, truncate, s);                                        \
    }                                                                                          \
    T sf_##n##_from_int(int64_t a, SfStatus *s) { return (T)do_from_int(&F, a, s).mant; }

SF_DEFINE_OPS(uint32_t, f32, fmt_f32, K_F32)
SF_DEFINE_OPS(uint64_t, f64, fmt_f64, K_F64)

uint64_t sf_f32_to_f64(uint32_t a, SfStatus *s) { return do_convert(K_F32, &fmt_f64, box(a), 1, 1, s).mant; }
uint32_t sf_f64_to_f32(uint64_t a, SfStatus *s) { return (uint32_t)do_convert(K_F64, &fmt_f32, box(a), 1, 1, s).mant; }

/* ---- transcendental functions ------------------------------------------------------
 *
 * Computed on XF, a 128-bit-significand float with an unbounded exponent:
 * value = (hi:lo) * 2^(exp - 127), hi bit 63 set (zero: hi = lo = 0). Every
 * XF operation jams what it drops into bit 0, so a result carries ~125
 * good bits and always lies on the correct side of any 64-bit rounding
 * boundary it is not within 2^-120 of; round_pack then rounds it once.
 * Series stop right after adding the first term below 2^-120 of the sum:
 * that term decides the side of the tail (alternating series), while
 * adding further jammed terms could cancel into a falsely exact sum.
 */

typedef struct XF {
    int sign;
    int32_t exp;
    uint64_t hi, lo;
} XF;

static const XF xf_pi = { 0, 1, 0xC90FDAA22168C234ull, 0xC4C6628B80DC1CD1ull };
static const XF xf_ln2 = { 0, -1, 0xB17217F7D1CF79ABull, 0xC9E3B39803F2F6AFull };
static const XF xf_log2e = { 0, 0, 0xB8AA3B295C17F0BBull, 0xBE87FED0691D3E88ull };
static const XF xf_log2_10 = { 0, 1, 0xD49A784BCD1B8AFEull, 0x492BF6FF4DAFDB4Cull };
static const XF xf_log10_2 = { 0, -2, 0x9A209A84FBCFF798ull, 0x8F8959AC0B7C9178ull };
static const XF xf_one = { 0, 0, BIT63, 0 };

/*
 * The x87 reduces FSIN/FCOS/FSINCOS/FPTAN arguments with a 66-bit pi
 * (0xC90FDAA22168C234C * 2^-66, SDM Vol. 1 8.3.10): pi/2 as that value
 * times 2^127 / 2.
 */
#define PIO2_66_HI 0xC90FDAA22168C234ull
#define PIO2_66_LO 0xC000000000000000ull

static int xf_is_zero(const XF *a)
{
    return !a->hi && !a->lo;
}

static XF xf_from_unp(const Unp *u)
{
    XF r = { u->sign, u->exp, u->sig, 0 };
    return r;
}

static XF xf_from_int(int64_t v)
{
    XF r = { v < 0, 63, v < 0 ? 0 - (uint64_t)v : (uint64_t)v, 0 };
    if (!v)
        return r;
    int sh = clz64(r.hi);
    r.hi <<= sh;
    r.exp -= sh;
    return r;
}

static XF xf_neg(XF a)
{
    a.sign ^= 1;
    return a;
}

static XF xf_add(XF a, XF b)
{
    if (xf_is_zero(&a))
        return b;
    if (xf_is_zero(&b))
        return a;
    if (a.exp < b.exp || (a.exp == b.exp && cmp128(a.hi, a.lo, b.hi, b.lo) < 0)) {
        XF t = a;
        a = b;
        b = t;
    }
    int32_t d = a.exp - b.exp;
    shr_jam128(&b.hi, &b.lo, d > 200 ? 200 : d);
    if (a.sign == b.sign) {
        if (add128(&a.hi, &a.lo, b.hi, b.lo)) {
            shr_jam128(&a.hi, &a.lo, 1);
            a.hi |= BIT63;
            a.exp++;
        }
    } else {
        sub128(&a.hi, &a.lo, b.hi, b.lo);
        if (xf_is_zero(&a))
            return a;
        norm128(&a.hi, &a.lo, &a.exp);
    }
    return a;
}

static XF xf_sub(XF a, XF b)
{
    return xf_add(a, xf_neg(b));
}

/* acc (3 words, [0] lowest) += v << (64 * at) */
static void acc_add(uint64_t *acc, int n, int at, uint64_t v)
{
    for (int i = at; i < n && v; i++) {
        acc[i] += v;
        v = acc[i] < v;
    }
}

static XF xf_mul(XF a, XF b)
{
    XF r = { a.sign ^ b.sign, 0, 0, 0 };
    if (xf_is_zero(&a) || xf_is_zero(&b))
        return r;
    uint64_t p[4] = { 0, 0, 0, 0 }, lo, hi;
    hi = mulu64_hi(a.lo, b.lo, &lo);
    acc_add(p, 4, 0, lo);
    acc_add(p, 4, 1, hi);
    hi = mulu64_hi(a.lo, b.hi, &lo);
    acc_add(p, 4, 1, lo);
    acc_add(p, 4, 2, hi);
    hi = mulu64_hi(a.hi, b.lo, &lo);
    acc_add(p, 4, 1, lo);
    acc_add(p, 4, 2, hi);
    hi = mulu64_hi(a.hi, b.hi, &lo);
    acc_add(p, 4, 2, lo);
    acc_add(p, 4, 3, hi);
    r.exp = a.exp + b.exp;
    if (p[3] & BIT63) {
        r.exp++;
    } else {
        p[3] = (p[3] << 1) | (p[2] >> 63);
        p[2] = (p[2] << 1) | (p[1] >> 63);
        p[1] <<= 1;
    }
    r.hi = p[3];
    r.lo = p[2] | ((p[1] | p[0]) != 0);
    return r;
}

static XF xf_div(XF a, XF b)
{
    XF q = { a.sign ^ b.sign, a.exp - b.exp, 0, 0 };
    if (xf_is_zero(&a))
        return q;
    uint64_t rhi = a.hi, rlo = a.lo;
    int carry = 0;
    if (cmp128(rhi, rlo, b.hi, b.lo) < 0) {
        carry = (int)(rhi >> 63);
        rhi = (rhi << 1) | (rlo >> 63);
        rlo <<= 1;
        q.exp--;
    }
    for (int i = 0; i < 128; i++) {
        int bit = carry || cmp128(rhi, rlo, b.hi, b.lo) >= 0;
        if (bit)
            sub128(&rhi, &rlo, b.hi, b.lo);
        q.hi = (q.hi << 1) | (q.lo >> 63);
        q.lo = (q.lo << 1) | (uint64_t)bit;
        carry = (int)(rhi >> 63);
        rhi = (rhi << 1) | (rlo >> 63);
        rlo <<= 1;
    }
    q.lo |= (rhi || rlo || carry);
    return q;
}

/* a / n for a small integer n, by 32-bit chunks. */
static XF xf_div_small(XF a, uint32_t n)
{
    if (xf_is_zero(&a))
        return a;
    uint32_t w[6] = { (uint32_t)(a.hi >> 32), (uint32_t)a.hi, (uint32_t)(a.lo >> 32), (uint32_t)a.lo, 0, 0 };
    uint64_t rem = 0, q[3];
    for (int i = 0; i < 6; i++) {
        uint64_t cur = (rem << 32) | w[i];
        w[i] = (uint32_t)(cur / n);
        rem = cur % n;
    }
    q[2] = ((uint64_t)w[0] << 32) | w[1];
    q[1] = ((uint64_t)w[2] << 32) | w[3];
    q[0] = ((uint64_t)w[4] << 32) | w[5];
    int z = q[2] ? clz64(q[2]) : 64 + clz64(q[1]);
    XF r = { a.sign, a.exp - z, 0, 0 };
    if (z >= 64) {
        z -= 64;
        q[2] = q[1];
        q[1] = q[0];
        q[0] = 0;
    }
    if (z) {
        q[2] = (q[2] << z) | (q[1] >> (64 - z));
        q[1] = (q[1] << z) | (q[0] >> (64 - z));
        q[0] <<= z;
    }
    r.hi = q[2];
    r.lo = q[1] | (q[0] != 0 || rem != 0);
    return r;
}

static XF xf_sqrt(XF a)
{
    if (xf_is_zero(&a))
        return a;
    /* 64 good bits from the integer square root, then two Newton steps */
    uint64_t hi = a.hi, lo = a.lo;
    int32_t e = a.exp - 127;
    if (e & 1) {
        shr_jam128(&hi, &lo, 1);
        e++;
    }
    int above, inexact;
    XF y = { 0, 63 + e / 2, isqrt128(hi, lo, &above, &inexact), 0 };
    for (int i = 0; i < 2; i++) {
        y = xf_add(y, xf_div(a, y));
        y.exp--;
    }
    return y;
}

/* Taylor series sum of x^k/k! terms: sin (start = 1) or cos (start = 0) of r. */
static XF xf_sincos_series(XF r, int sine)
{
    XF r2 = xf_mul(r, r), term = sine ? r : xf_one, sum = term;
    for (uint32_t n = sine ? 2 : 1; n < 80; n += 2) {
        term = xf_div_small(xf_mul(term, r2), n * (n + 1));
        term.sign ^= 1;
        sum = xf_add(sum, term);
        if (xf_is_zero(&term) || term.exp < sum.exp - 120)
            break;
    }
    return sum;
}

/* 2 atanh(t) = ln((1 + t) / (1 - t)) */
static XF xf_2atanh(XF t)
{
    XF t2 = xf_mul(t, t), p = t, sum = t;
    for (uint32_t n = 3; n < 400; n += 2) {
        p = xf_mul(p, t2);
        XF term = xf_div_small(p, n);
        sum = xf_add(sum, term);
        if (xf_is_zero(&term) || term.exp < sum.exp - 120)
            break;
    }
    sum.exp++;
    return sum;
}

/* log2(x), x > 0 */
static XF xf_log2(XF x)
{
    int32_t e = x.exp;
    x.exp = 0;
    if (x.hi > 0xB504F333F9DE6484ull) { /* m > sqrt(2): use m / 2 */
        x.exp = -1;
        e++;
    }
    XF t = xf_div(xf_sub(x, xf_one), xf_add(x, xf_one));
    return xf_add(xf_from_int(e), xf_mul(xf_2atanh(t), xf_log2e));
}

/* atan(t), 0 < t <= 1: halve the angle until t < 1/4, then the series */
static XF xf_atan(XF t)
{
    int k = 0;
    while (t.exp >= -2) {
        XF root = xf_sqrt(xf_add(xf_one, xf_mul(t, t)));
        t = xf_div(t, xf_add(xf_one, root));
        k++;
    }
    XF t2 = xf_mul(t, t), p = t, sum = t;
    for (uint32_t n = 3; n < 200; n += 2) {
        p = xf_mul(p, t2);
        XF term = xf_div_small(p, n);
        if ((n >> 1) & 1)
            term.sign ^= 1;
        sum = xf_add(sum, term);
        if (xf_is_zero(&term) || term.exp < sum.exp - 120)
            break;
    }
    sum.exp += k;
    return sum;
}

/* e^z - 1 */
static XF xf_expm1(XF z)
{
    XF term = z, sum = z;
    for (uint32_t n = 2; n < 200; n++) {
        term = xf_div_small(xf_mul(term, z), n);
        sum = xf_add(sum, term);
        if (xf_is_zero(&term) || term.exp < sum.exp - 120)
            break;
    }
    return sum;
}

static Box xf_round(const XF *x, SfStatus *s)
{
    if (xf_is_zero(x))
        return pack_zero(K_X80, x->sign);
    return round_pack(&fmt_x80_64, s, x->sign, x->exp, x->hi, x->lo);
}

/*
 * |a| reduced by the 66-bit pi/2: r = |a| - k * pi66/2 exactly, |r| <= pi66/4.
 * Returns k mod 4.
 */
static unsigned trig_reduce(const Unp *a, XF *r)
{
    *r = xf_from_unp(a);
    r->sign = 0;
    if (a->exp < -1)
        return 0;
    /* X = |a| * 2^127 = sig << (exp + 64): long division by pi66/2 * 2^127 */
    uint64_t rhi = 0, rlo = 0, k = 0;
    int total = a->exp + 128;
    for (int i = 0; i < total; i++) {
        uint64_t bit = i < 64 ? (a->sig >> (63 - i)) & 1 : 0;
        int carry = (int)(rhi >> 63);
        rhi = (rhi << 1) | (rlo >> 63);
        rlo = (rlo << 1) | bit;
        k <<= 1;
        if (carry || cmp128(rhi, rlo, PIO2_66_HI, PIO2_66_LO) >= 0) {
            sub128(&rhi, &rlo, PIO2_66_HI, PIO2_66_LO);
            k |= 1;
        }
    }
    int flip = 0;
    if (cmp128(rhi, rlo, PIO2_66_HI >> 1, (PIO2_66_HI << 63) | (PIO2_66_LO >> 1)) > 0) {
        uint64_t h = PIO2_66_HI, l = PIO2_66_LO;
        sub128(&h, &l, rhi, rlo);
        rhi = h;
        rlo = l;
        k++;
        flip = 1;
    }
    r->sign = flip;
    r->exp = 0;
    r->hi = rhi;
    r->lo = rlo;
    if (!rhi && !rlo)
        return (unsigned)(k & 3);
    norm128(&r->hi, &r->lo, &r->exp);
    return (unsigned)(k & 3);
}

enum { TRIG_SIN, TRIG_COS, TRIG_TAN };

static Box do_trig(int fn, Box A, int *oor, SfStatus *s)
{
    Unp a = unpack(K_X80, A, s);
    Box r;
    *oor = 0;
    s->c1 = 0;
    if (nan_operands(K_X80, &a, NULL, s, &r))
        return r;
    if (a.cls == C_INF)
        return invalid(K_X80, s);
    if (a.cls == C_NORM && a.exp >= 63) {
        *oor = 1;
        return A;
    }
    if (denormal_stop(&a, NULL, s))
        return A;
    if (a.cls == C_ZERO)
        return fn == TRIG_COS ? pack_raw(K_X80, 0, 16383, BIT63) : pack_zero(K_X80, a.sign);
    XF red, res;
    unsigned q = trig_reduce(&a, &red);
    if (fn == TRIG_TAN) {
        XF sn = xf_sincos_series(red, 1), cs = xf_sincos_series(red, 0);
        res = (q & 1) ? xf_neg(xf_div(cs, sn)) : xf_div(sn, cs);
    } else {
        if (fn == TRIG_COS)
            q = (q + 1) & 3; /* cos(x) = sin(x + pi/2) */
        res = xf_sincos_series(red, !(q & 1));
        if (q & 2)
            res = xf_neg(res);
    }
    if (a.sign && fn != TRIG_COS)
        res = xf_neg(res);
    return xf_round(&res, s);
}

FloatX80 sf_x80_sin(FloatX80 a, int *oor, SfStatus *s) { return do_trig(TRIG_SIN, a, oor, s); }
FloatX80 sf_x80_cos(FloatX80 a, int *oor, SfStatus *s) { return do_trig(TRIG_COS, a, oor, s); }
FloatX80 sf_x80_tan(FloatX80 a, int *oor, SfStatus *s) { return do_trig(TRIG_TAN, a, oor, s); }

static Box round_xf_const(const XF *c, int sign, int dexp, SfStatus *s)
{
    XF x = *c;
    x.sign = sign;
    x.exp += dexp;
    return xf_round(&x, s);
}

FloatX80 sf_x80_atan2(FloatX80 Y, FloatX80 X, SfStatus *s)
{
    Unp y = unpack(K_X80, Y, s), x = unpack(K_X80, X, s);
    Box r;
    s->c1 = 0;
    if (nan_operands(K_X80, &x, &y, s, &r))
        return r;
    if (denormal_stop(&x, &y, s))
        return X;
    /* SDM FPATAN table: zeros and infinities */
    if (y.cls == C_ZERO || (x.cls == C_INF && y.cls != C_INF)) {
        if (x.sign)
            return round_xf_const(&xf_pi, y.sign, 0, s);
        return pack_zero(K_X80, y.sign);
    }
    if (y.cls == C_INF && x.cls == C_INF) {
        XF q = xf_pi; /* pi/4 or 3pi/4 */
        q.exp -= 2;
        if (x.sign)
            q = xf_add(q, xf_add(q, q));
        q.sign = y.sign;
        return xf_round(&q, s);
    }
    if (y.cls == C_INF || x.cls == C_ZERO)
        return round_xf_const(&xf_pi, y.sign, -1, s);
    int swap = y.exp > x.exp || (y.exp == x.exp && y.sig > x.sig);
    XF ax = xf_from_unp(&x), ay = xf_from_unp(&y);
    ax.sign = ay.sign = 0;
    XF res = xf_atan(swap ? xf_div(ax, ay) : xf_div(ay, ax));
    if (swap) {
        XF pio2 = xf_pi;
        pio2.exp--;
        res = xf_sub(pio2, res);
    }
    if (x.sign)
        res = xf_sub(xf_pi, res);
    res.sign = y.sign;
    return xf_round(&res, s);
}

FloatX80 sf_x80_f2xm1(FloatX80 A, SfStatus *s)
{
    Unp a = unpack(K_X80, A, s);
    Box r;
    s->c1 = 0;
    if (nan_operands(K_X80, &a, NULL, s, &r))
        return r;
    if (denormal_stop(&a, NULL, s))
        return A;
    if (a.cls == C_ZERO)
        return pack_zero(K_X80, a.sign);
    if (a.cls == C_INF)
        return a.sign ? pack_raw(K_X80, 1, 16383, BIT63) : pack_inf(K_X80, 0);
    if (a.exp >= 0) {
        /* Outside -1..+1 the result is undefined (SDM); the reference x87
         * (AMD EPYC) returns +1 -> 1 and -1 -> -1/2 with PE set, and any
         * other operand unchanged with PE. */
        s->flags |= SF_PE;
        if (a.sig != BIT63 || a.exp > 0)
            return A;
        s->c1 = (uint8_t)!a.sign;
        return a.sign ? pack_raw(K_X80, 1, 16382, BIT63) : A;
    }
    XF z = xf_mul(xf_from_unp(&a), xf_ln2);
    XF res = xf_expm1(z);
    return xf_round(&res, s);
}

FloatX80 sf_x80_yl2x(FloatX80 Y, FloatX80 X, SfStatus *s)
{
    Unp y = unpack(K_X80, Y, s), x = unpack(K_X80, X, s);
    Box r;
    s->c1 = 0;
    if (nan_operands(K_X80, &x, &y, s, &r))
        return r;
    if (x.sign && x.cls != C_ZERO)
        return invalid(K_X80, s);
    int x_is_one = x.cls == C_NORM && x.exp == 0 && x.sig == BIT63;
    if (x.cls == C_ZERO) {
        if (y.cls == C_ZERO)
            return invalid(K_X80, s);
        if (y.cls != C_INF) {
            s->flags |= SF_ZE;
            if (!(s->mask & SF_ZE))
                return X;
        }
        if (denormal_stop(&y, NULL, s))
            return X;
        return pack_inf(K_X80, !y.sign);
    }
    if (x.cls == C_INF) {
        if (y.cls == C_ZERO)
            return invalid(K_X80, s);
        if (denormal_stop(&y, NULL, s))
            return X;
        return pack_inf(K_X80, y.sign);
    }
    if (y.cls == C_INF && x_is_one)
        return invalid(K_X80, s);
    if (denormal_stop(&x, &y, s))
        return X;
    int below_one = x.exp < 0;
    if (y.cls == C_INF)
        return pack_inf(K_X80, y.sign ^ below_one);
    if (y.cls == C_ZERO || x_is_one)
        return pack_zero(K_X80, y.sign ^ below_one);
    XF res = xf_mul(xf_from_unp(&y), xf_log2(xf_from_unp(&x)));
    return xf_round(&res, s);
}

FloatX80 sf_x80_yl2xp1(FloatX80 Y, FloatX80 X, SfStatus *s)
{
    Unp y = unpack(K_X80, Y, s), x = unpack(K_X80, X, s);
    Box r;
    s->c1 = 0;
    if (nan_operands(K_X80, &x, &y, s, &r))
        return r;
    if ((x.cls == C_ZERO && y.cls == C_INF) || (x.cls == C_INF && (x.sign || y.cls == C_ZERO)))
        return invalid(K_X80, s);
    if (denormal_stop(&x, &y, s))
        return X;
    if (x.cls == C_INF)
        return pack_inf(K_X80, y.sign);
    if (x.cls == C_ZERO || y.cls == C_ZERO)
        return pack_zero(K_X80, x.sign ^ y.sign);
    XF ax = xf_from_unp(&x), l2;
    if (y.cls == C_INF)
        return pack_inf(K_X80, y.sign ^ x.sign);
    if (x.sign && x.exp >= 0) { /* x <= -1: undefined; the reference x87 returns x with PE */
        s->flags |= SF_PE;
        return X;
    }
    if (x.exp < -2) /* |x| < 1/4: log2(1+x) = 2 atanh(x / (2 + x)) * log2(e) */
        l2 = xf_mul(xf_2atanh(xf_div(ax, xf_add(ax, xf_from_int(2)))), xf_log2e);
    else
        l2 = xf_log2(xf_add(ax, xf_one));
    XF res = xf_mul(xf_from_unp(&y), l2);
    return xf_round(&res, s);
}

FloatX80 sf_x80_const(int which, SfStatus *s)
{
    static const XF *const tab[] = { &xf_log2_10, &xf_log2e, &xf_pi, &xf_log10_2, &xf_ln2 };
    uint8_t flags = s->flags, mask = s->mask;
    s->mask = SF_ALL_EXC;
    Box r = xf_round(tab[which], s);
    s->flags = flags;
    s->mask = mask;
    s->c1 = 0;
    return r;
}

/*
 * Self-check of the 128-bit constants against series (for the tests):
 * returns a bit mask of the constants that disagree beyond 2^-120.
 */
int sf_constants_selfcheck(void);
int sf_constants_selfcheck(void)
{
    int bad = 0;
    XF c[5];
    /* pi = 16 atan(1/5) - 4 atan(1/239) */
    XF a5 = xf_atan(xf_div_small(xf_one, 5)), a239 = xf_atan(xf_div_small(xf_one, 239));
    a5.exp += 4;
    a239.exp += 2;
    c[0] = xf_sub(a5, a239);
    c[1] = xf_2atanh(xf_div_small(xf_one, 3)); /* ln 2 = 2 atanh(1/3) */
    c[2] = xf_div(xf_one, c[1]);               /* log2 e */
    c[3] = xf_log2(xf_from_int(10));
    c[4] = xf_div(xf_one, c[3]);
    const XF *want[5] = { &xf_pi, &xf_ln2, &xf_log2e, &xf_log2_10, &xf_log10_2 };
    for (int i = 0; i < 5; i++) {
        XF d = xf_sub(c[i], *want[i]);
        if (!xf_is_zero(&d) && d.exp > want[i]->exp - 120)
            bad |= 1 << i;
    }
    return bad;
}

/* ---- the host's FPU for the common case -------------------------------------- */

/* Only where C's float and double are IEEE binary32/64 and each operation
 * is rounded to its own type (not to the x87's 80 bits first). The host's
 * rounding mode is never changed by pemu: it is nearest. */
#if defined(__STDC_IEC_559__) && defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
#define SF_HOST_FP 1
#else
#define SF_HOST_FP 0
#endif
const int sf_host_fp = SF_HOST_FP;

int sf_f64_host(int op, uint64_t a, uint64_t b, uint64_t *r)
{
#if SF_HOST_FP
    /* normal or zero: the exponent field is neither all ones nor, with a
     * fraction, zero (a denormal would raise DE or meet DAZ) */
    uint32_t ea = (uint32_t)(a >> 52) & 0x7ff, eb = (uint32_t)(b >> 52) & 0x7ff;
    if (eb == 0x7ff || (eb == 0 && (b << 1)))
        return 0;
    if (op != SF_OP_SQRT && (ea == 0x7ff || (ea == 0 && (a << 1))))
        return 0;
    double x, y, z;
    memcpy(&x, &a, 8);
    memcpy(&y, &b, 8);
    switch (op) {
    case SF_OP_ADD: z = x + y; break;
    case SF_OP_SUB: z = x - y; break;
    case SF_OP_MUL: z = x * y; break;
    case SF_OP_DIV: z = x / y; break;
    default: z = sqrt(y); break;
    }
    uint64_t zb;
    memcpy(&zb, &z, 8);
    /* zero, denormal (underflow, FTZ), infinity (overflow, divide by
     * zero) or NaN (invalid): the flags need the software's care. So does
     * the lowest binade: a result that rounded up to 2^-1022 was tiny
     * before rounding, which x86 reports as underflow (and FTZ flushes). */
    uint32_t ez = (uint32_t)(zb >> 52) & 0x7ff;
    if (ez <= 1 || ez == 0x7ff)
        return 0;
    *r = zb;
    return 1;
#else
    (void)op, (void)a, (void)b, (void)r;
    return 0;
#endif
}

int sf_f32_host(int op, uint32_t a, uint32_t b, uint32_t *r)
{
#if SF_HOST_FP
    uint32_t ea = (a >> 23) & 0xff, eb = (b >> 23) & 0xff;
    if (eb == 0xff || (eb == 0 && (b << 1)))
        return 0;
    if (op != SF_OP_SQRT && (ea == 0xff || (ea == 0 && (a << 1))))
        return 0;
    float x, y, z;
    memcpy(&x, &a, 4);
    memcpy(&y, &b, 4);
    switch (op) {
    case SF_OP_ADD: z = x + y; break;
    case SF_OP_SUB: z = x - y; break;
    case SF_OP_MUL: z = x * y; break;
    case SF_OP_DIV: z = x / y; break;
    default: z = sqrtf(y); break;
    }
    uint32_t zb;
    memcpy(&zb, &z, 4);
    uint32_t ez = (zb >> 23) & 0xff;
    if (ez <= 1 || ez == 0xff)  /* as for f64 */
        return 0;
    *r = zb;
    return 1;
#else
    (void)op, (void)a, (void)b, (void)r;
    return 0;
#endif
}
