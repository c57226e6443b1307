/*
 * Motorola MC146818A real-time clock with the PC's CMOS RAM (0x70/0x71).
 *
 * Facts used (MC146818A datasheet, IBM AT technical reference):
 *   0x70 write: bit 7 NMI disable (the PC's, not the chip's), bits 6-0 the
 *     register index (128 bytes on PC chipsets). 0x70 reads float here.
 *   0-9: seconds, alarm seconds, minutes, alarm minutes, hours, alarm hours,
 *     day of week (1 = Sunday), date, month, year; BCD or binary per B.DM;
 *     12-hour mode: hours 1-12 with bit 7 = PM. An alarm byte 0xC0-0xFF is
 *     "don't care" (matches every value).
 *   A: UIP (read-only) DV2-0 RS3-0. UIP is 1 from 244 us before an update
 *     until the update (the update is modelled as instantaneous at the
 *     second boundary); SET=1 clears it. DV 010 = 32.768 kHz (000/001, the
 *     other time bases, also run); 11x holds the divider in reset, and the
 *     first update comes 500 ms after it is released. RS selects the
 *     periodic rate: 1, 2 = 256, 128 Hz; 3-15 = 32768 >> (RS - 1) Hz.
 *   B: SET PIE AIE UIE SQWE DM 24/12 DSE. SET stops updates (the guest
 *     then writes the time) and clears UIE.
 *   C: IRQF PF AF UF, read-only, cleared by reading. IRQF = PF&PIE |
 *     AF&AIE | UF&UIE; it drives the IRQ pin (ISA IRQ 8). PF is set at each
 *     periodic edge, UF after each update, AF at an update whose time
 *     matches the alarm, whatever the enables.
 *   D: VRT (valid RAM and time) = 1.
 *   RESET pin (system reset): clears PIE AIE UIE SQWE and C; the time,
 *     A, the rest of B and the RAM are battery-backed.
 *
 * Model: the registers are not ticked. The time is base_sec (seconds, the
 * calendar read as UTC) at the divider phase div_ns of the source clock
 * (host or virtual) plus the seconds since; registers are computed when
 * read. Flags are accounted lazily over (checked_ns, now] whenever the
 * guest looks or the configuration changes, and a virtual-clock timer runs
 * only for an enabled interrupt whose flag is still clear, so an unread
 * register C costs nothing. SQWE has no pin to drive; DSE is stored but the
 * 1980s US daylight-saving jumps are not applied.
 */
#include "hw/mc146818.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "src/ioport.h"
#include "src/machine.h"
#include "src/timer.h"
#include "src/vmstate.h"

enum {
    REG_SEC, REG_SEC_ALARM, REG_MIN, REG_MIN_ALARM, REG_HOUR, REG_HOUR_ALARM,
    REG_WDAY, REG_MDAY, REG_MON, REG_YEAR, REG_A, REG_B, REG_C, REG_D,
};
enum { A_UIP = 0x80, A_DV = 0x70, A_RS = 0x0f };
enum { B_SET = 0x80, B_PIE = 0x40, B_AIE = 0x20, B_UIE = 0x10, B_SQWE = 0x08,
       B_DM = 0x04, B_24H = 0x02, B_DSE = 0x01 };
enum { C_IRQF = 0x80, C_PF = 0x40, C_AF = 0x20, C_UF = 0x10 };

#define RTC_HZ 32768
#define UIP_TICKS 8 /* 244.14 us before the update */
#define NEVER INT64_MAX

typedef struct RTCState {
    Device dev;
    Machine *m;
    char *base_prop;     /* "base" property */
    char *clock_prop;    /* "clock" property */
    uint8_t cmos[RTC_CMOS_SIZE];
    uint8_t index;
    uint8_t nmi_disabled;
    uint8_t irq_level;
    uint8_t wday_off;    /* day-of-week register minus the calendar's */
    uint8_t clock;       /* ClockType of the time source */
    int64_t div_ns;      /* source ns at a second boundary of the divider */
    int64_t base_sec;    /* the RTC's time at div_ns */
    int64_t checked_ns;  /* flags accounted up to here (source ns) */
    Timer *timer;
    MemoryRegion *io;
} RTCState;

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b) != 0 && ((a < 0) != (b < 0)))
        q--;
    return q;
}

/* ---- calendar (proleptic Gregorian, days since 1970-01-01) ---------------- */

static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = floor_div(y, 400);
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* 0 = Sunday; 1970-01-01 was a Thursday. */
static int weekday(int64_t days)
{
    return (int)(((days + 4) % 7 + 7) % 7);
}

/* ---- register formats ----------------------------------------------------- */

static uint8_t rtc_to_reg(const RTCState *s, int v)
{
    return (s->cmos[REG_B] & B_DM) ? (uint8_t)v : (uint8_t)((v / 10) << 4 | v % 10);
}

static int rtc_from_reg(const RTCState *s, uint8_t v)
{
    return (s->cmos[REG_B] & B_DM) ? v : (v >> 4) * 10 + (v & 15);
}

static uint8_t rtc_hour_to_reg(const RTCState *s, int h)
{
    if (s->cmos[REG_B] & B_24H)
        return rtc_to_reg(s, h);
    return (uint8_t)(rtc_to_reg(s, h % 12 ? h % 12 : 12) | (h >= 12 ? 0x80 : 0));
}

static int rtc_hour_from_reg(const RTCState *s, uint8_t v)
{
    if (s->cmos[REG_B] & B_24H)
        return rtc_from_reg(s, v);
    return rtc_from_reg(s, v & 0x7f) % 12 + ((v & 0x80) ? 12 : 0);
}

/* The time the registers hold (as UTC seconds), normalizing odd values. */
static int64_t rtc_regs_time(const RTCState *s)
{
    const uint8_t *c = s->cmos;
    int64_t year = rtc_from_reg(s, c[RTC_REG_CENTURY]) * 100 + rtc_from_reg(s, c[REG_YEAR]);
    int mon = rtc_from_reg(s, c[REG_MON]);
    int64_t y = year + floor_div(mon - 1, 12);
    int m = (int)(((mon - 1) % 12 + 12) % 12) + 1;
    int64_t days = days_from_civil(y, m, 1) + rtc_from_reg(s, c[REG_MDAY]) - 1;
    return days * 86400 + rtc_hour_from_reg(s, c[REG_HOUR]) * 3600 +
           rtc_from_reg(s, c[REG_MIN]) * 60 + rtc_from_reg(s, c[REG_SEC]);
}

static void rtc_set_regs(RTCState *s, int64_t t)
{
    int64_t days = floor_div(t, 86400), sod = t - days * 86400, y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    s->cmos[REG_SEC] = rtc_to_reg(s, (int)(sod % 60));
    s->cmos[REG_MIN] = rtc_to_reg(s, (int)(sod / 60 % 60));
    s->cmos[REG_HOUR] = rtc_hour_to_reg(s, (int)(sod / 3600));
    s->cmos[REG_WDAY] = (uint8_t)((weekday(days) + s->wday_off) % 7 + 1);
    s->cmos[REG_MDAY] = rtc_to_reg(s, d);
    s->cmos[REG_MON] = rtc_to_reg(s, m);
    int64_t yy = ((y % 100) + 100) % 100, cc = floor_div(y, 100) % 100;
    s->cmos[REG_YEAR] = rtc_to_reg(s, (int)yy);
    s->cmos[RTC_REG_CENTURY] = rtc_to_reg(s, (int)((cc + 100) % 100));
}

/* ---- time base ------------------------------------------------------------ */

static int64_t rtc_src_now(const RTCState *s)
{
    return clock_get_ns((ClockType)s->clock);
}

static bool rtc_running(const RTCState *s)
{
    return (s->cmos[REG_A] & A_DV) <= 0x20;
}

static bool rtc_ticking(const RTCState *s)
{
    return rtc_running(s) && !(s->cmos[REG_B] & B_SET);
}

/* 32.768 kHz divider ticks since div_ns (floor). */
static int64_t rtc_tick_of(const RTCState *s, int64_t ns)
{
    int64_t d = ns - s->div_ns, q = floor_div(d, NS_PER_SEC), r = d - q * NS_PER_SEC;
    return q * RTC_HZ + r * RTC_HZ / NS_PER_SEC;
}

static int64_t rtc_ns_of(const RTCState *s, int64_t k)
{
    int64_t q = floor_div(k, RTC_HZ), r = k - q * RTC_HZ;
    return s->div_ns + q * NS_PER_SEC + (r * NS_PER_SEC + RTC_HZ - 1) / RTC_HZ;
}

static int64_t rtc_time_at(const RTCState *s, int64_t ns)
{
    return s->base_sec + floor_div(ns - s->div_ns, NS_PER_SEC);
}

/* Periodic interrupt period in divider ticks, 0 if off. */
static int64_t rtc_period(const RTCState *s)
{
    int rs = s->cmos[REG_A] & A_RS;
    if (!rs || (s->cmos[REG_A] & 0x60) == 0x60)
        return 0;
    return rs <= 2 ? (int64_t)64 << rs : (int64_t)1 << (rs - 1);
}

static void rtc_sync_regs(RTCState *s, int64_t now)
{
    if (rtc_ticking(s))
        rtc_set_regs(s, rtc_time_at(s, now));
}

/* The registers were set: the clock goes on from them, keeping the
 * divider's phase (the next update is at the next second boundary). */
static void rtc_rebase(RTCState *s, int64_t now)
{
    int64_t t = rtc_regs_time(s);
    s->base_sec = t - floor_div(now - s->div_ns, NS_PER_SEC);
    int wd = weekday(floor_div(t, 86400));
    s->wday_off = (uint8_t)(((s->cmos[REG_WDAY] - 1 - wd) % 7 + 7) % 7);
}

/* ---- alarm ---------------------------------------------------------------- */

static bool dont_care(uint8_t v)
{
    return (v & 0xc0) == 0xc0;
}

/* Does alarm byte v match x? The chip compares register bytes, so a byte
 * the clock can never hold (bad BCD, 12-hour code in 24-hour mode) never does. */
static bool alarm_match(const RTCState *s, uint8_t v, int x, bool hour)
{
    if (dont_care(v))
        return true;
    return (hour ? rtc_hour_to_reg(s, x) : rtc_to_reg(s, x)) == v;
}

/* The first time after `after` at which the registers equal the alarm. */
static int64_t rtc_alarm_next(const RTCState *s, int64_t after)
{
    uint8_t sa = s->cmos[REG_SEC_ALARM], ma = s->cmos[REG_MIN_ALARM], ha = s->cmos[REG_HOUR_ALARM];
    int64_t day = floor_div(after, 86400) * 86400;
    for (int64_t d = day; d <= day + 86400; d += 86400) {
        for (int h = 0; h < 24; h++) {
            if (d + h * 3600 + 3599 <= after || !alarm_match(s, ha, h, true))
                continue;
            for (int m = 0; m < 60; m++) {
                int64_t hm = d + h * 3600 + m * 60;
                if (hm + 59 <= after || !alarm_match(s, ma, m, false))
                    continue;
                for (int sec = 0; sec < 60; sec++)
                    if (hm + sec > after && alarm_match(s, sa, sec, false))
                        return hm + sec;
            }
        }
    }
    return NEVER;
}

/* ---- flags, IRQ, timer ---------------------------------------------------- */

static void rtc_update_irq(RTCState *s)
{
    uint8_t *c = &s->cmos[REG_C];
    if (*c & s->cmos[REG_B] & (C_PF | C_AF | C_UF))
        *c |= C_IRQF;
    else
        *c &= (uint8_t)~C_IRQF;
    uint8_t level = (*c & C_IRQF) != 0;
    if (level != s->irq_level) {
        s->irq_level = level;
        irq_set(s->m ? s->m->isa_irq[8] : NULL, level);
    }
}

/* Set the flags for what happened in (checked_ns, now]. */
static void rtc_account(RTCState *s, int64_t now)
{
    int64_t then = s->checked_ns;
    if (now <= then)
        return;
    s->checked_ns = now;
    int64_t p = rtc_period(s);
    if (p && floor_div(rtc_tick_of(s, now), p) > floor_div(rtc_tick_of(s, then), p))
        s->cmos[REG_C] |= C_PF;
    if (rtc_ticking(s)) {
        int64_t t0 = rtc_time_at(s, then), t1 = rtc_time_at(s, now);
        if (t1 > t0) {
            s->cmos[REG_C] |= C_UF;
            if (!(s->cmos[REG_C] & C_AF) && rtc_alarm_next(s, t0) <= t1)
                s->cmos[REG_C] |= C_AF;
        }
    }
    rtc_update_irq(s);
}

/* Arm the timer for the next event that would raise IRQ 8. */
static void rtc_rearm(RTCState *s, int64_t now)
{
    uint8_t b = s->cmos[REG_B], c = s->cmos[REG_C];
    int64_t next = NEVER, p = rtc_period(s);
    if ((b & B_PIE) && !(c & C_PF) && p)
        next = rtc_ns_of(s, (floor_div(rtc_tick_of(s, now), p) + 1) * p);
    if (rtc_ticking(s)) {
        int64_t sec = floor_div(now - s->div_ns, NS_PER_SEC);
        if ((b & B_UIE) && !(c & C_UF)) {
            int64_t e = s->div_ns + (sec + 1) * NS_PER_SEC;
            next = e < next ? e : next;
        }
        if ((b & B_AIE) && !(c & C_AF)) {
            int64_t t = rtc_alarm_next(s, s->base_sec + sec);
            if (t != NEVER) {
                int64_t e = s->div_ns + (t - s->base_sec) * NS_PER_SEC;
                next = e < next ? e : next;
            }
        }
    }
    if (next == NEVER) {
        timer_del(s->timer);
        return;
    }
    int64_t vnow = clock_get_ns(PEMU_CLOCK_VIRTUAL);
    timer_mod(s->timer, vnow + (next > now ? next - now : 0));
}

static void rtc_timer_cb(void *opaque)
{
    RTCState *s = opaque;
    int64_t now = rtc_src_now(s);
    rtc_account(s, now);
    rtc_rearm(s, now);
}

/* ---- registers ------------------------------------------------------------ */

static bool is_clock_reg(int i)
{
    return i == REG_SEC || i == REG_MIN || i == REG_HOUR || (i >= REG_WDAY && i <= REG_YEAR) ||
           i == RTC_REG_CENTURY;
}

static uint8_t rtc_read_reg(RTCState *s, int i, bool side_effects)
{
    int64_t now = rtc_src_now(s);
    uint8_t v;
    switch (i) {
    case REG_A: {
        v = s->cmos[REG_A] & 0x7f;
        if (rtc_ticking(s) && ((rtc_tick_of(s, now) % RTC_HZ) + RTC_HZ) % RTC_HZ >= RTC_HZ - UIP_TICKS)
            v |= A_UIP;
        return v;
    }
    case REG_C:
        rtc_account(s, now);
        v = s->cmos[REG_C];
        if (side_effects) {
            s->cmos[REG_C] = 0;
            rtc_update_irq(s);
            rtc_rearm(s, now);
        }
        return v;
    case REG_D:
        return 0x80;
    default:
        if (is_clock_reg(i))
            rtc_sync_regs(s, now);
        return s->cmos[i];
    }
}

static void rtc_write_reg(RTCState *s, int i, uint8_t val)
{
    int64_t now = rtc_src_now(s);
    rtc_account(s, now);
    switch (i) {
    case REG_A: {
        bool was = rtc_running(s);
        if (was && (val & A_DV) > 0x20)
            rtc_sync_regs(s, now); /* the time stops here */
        s->cmos[REG_A] = val & 0x7f;
        if (!was && rtc_running(s)) {
            s->div_ns = now - NS_PER_SEC / 2; /* first update in 500 ms */
            s->checked_ns = now;
            rtc_rebase(s, now);
        }
        break;
    }
    case REG_B: {
        uint8_t old = s->cmos[REG_B];
        if (!(old & B_SET) && (val & B_SET)) {
            rtc_sync_regs(s, now);
            val &= (uint8_t)~B_UIE;
        }
        s->cmos[REG_B] = val;
        if ((old & B_SET) && !(val & B_SET) && rtc_running(s))
            rtc_rebase(s, now);
        rtc_update_irq(s);
        break;
    }
    case REG_C:
    case REG_D:
        break; /* read-only */
    default:
        if (is_clock_reg(i) && rtc_ticking(s)) {
            rtc_sync_regs(s, now);
            s->cmos[i] = val;
            rtc_rebase(s, now);
        } else {
            s->cmos[i] = val;
        }
        break;
    }
    rtc_rearm(s, now);
}

static uint64_t rtc_io_read(void *opaque, hwaddr off, unsigned size)
{
    RTCState *s = opaque;
    (void)size;
    if (off == 0)
        return 0xff; /* the index register is write-only */
    return rtc_read_reg(s, s->index, true);
}

static void rtc_io_write(void *opaque, hwaddr off, uint64_t val, unsigned size)
{
    RTCState *s = opaque;
    (void)size;
    if (off == 0) {
        s->index = val & 0x7f;
        s->nmi_disabled = (val >> 7) & 1;
    } else {
        rtc_write_reg(s, s->index, (uint8_t)val);
    }
}

static const MemOps rtc_ops = { rtc_io_read, rtc_io_write, { 1, 4 }, { 1, 1 } };

void mc146818_cmos_set(Device *dev, int index, uint8_t value)
{
    if (index >= 0 && index < RTC_CMOS_SIZE)
        rtc_write_reg((RTCState *)dev, index, value);
}

uint8_t mc146818_cmos_get(Device *dev, int index)
{
    if (index < 0 || index >= RTC_CMOS_SIZE)
        return 0xff;
    return rtc_read_reg((RTCState *)dev, index, false);
}

int mc146818_nmi_disabled(Device *dev)
{
    return ((RTCState *)dev)->nmi_disabled;
}

/* ---- -rtc base=, clock= --------------------------------------------------- */

static int parse_date(const char *p, int64_t *t)
{
    int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;
    if (sscanf(p, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
        return -1;
    if (p[n]) {
        int n2 = 0;
        if (sscanf(p + n, "T%2d:%2d:%2d%n", &h, &mi, &sec, &n2) != 3 || n2 != 9 || p[n + n2])
            return -1;
    }
    static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || sec > 59)
        return -1;
    if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return -1;
    *t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
    return 0;
}

/* Seconds to add to UTC for the host's local time at t. */
static int64_t local_offset(int64_t t)
{
    time_t tt = (time_t)t;
    struct tm *lt = localtime(&tt);
    if (!lt)
        return 0;
    int64_t local = days_from_civil(lt->tm_year + 1900, lt->tm_mon + 1, lt->tm_mday) * 86400 +
                    lt->tm_hour * 3600 + lt->tm_min * 60 + lt->tm_sec;
    return local - t;
}

int mc146818_setup(Device *dev, const char *base, const char *clock, Error **errp)
{
    RTCState *s = (RTCState *)dev;
    ClockType ck;
    int64_t given = 0;

    if (!clock || !strcmp(clock, "host"))
        ck = PEMU_CLOCK_HOST;
    else if (!strcmp(clock, "rt"))
        ck = PEMU_CLOCK_REALTIME;
    else if (!strcmp(clock, "vm"))
        ck = PEMU_CLOCK_VIRTUAL;
    else {
        error_setg(errp, "-rtc clock=%s: expected host, rt or vm", clock);
        return -1;
    }
    bool utc = !base || !strcmp(base, "utc"), local = base && !strcmp(base, "localtime");
    if (!utc && !local && parse_date(base, &given) < 0) {
        error_setg(errp, "-rtc base=%s: expected utc, localtime or a date as "
                   "YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS", base);
        return -1;
    }

    s->clock = (uint8_t)ck;
    int64_t now = rtc_src_now(s);
    if (utc || local) {
        int64_t host = clock_get_ns(PEMU_CLOCK_HOST);
        int64_t sec = floor_div(host, NS_PER_SEC);
        /* tick in step with the host's seconds */
        s->div_ns = now - (host - sec * NS_PER_SEC);
        s->base_sec = sec + (local ? local_offset(sec) : 0);
    } else {
        s->div_ns = now;
        s->base_sec = given;
    }
    s->wday_off = 0;
    s->checked_ns = now;
    s->cmos[REG_C] = 0;
    s->cmos[REG_A] = (uint8_t)((s->cmos[REG_A] & A_RS) | 0x20);
    s->cmos[REG_B] &= (uint8_t)~B_SET;
    rtc_set_regs(s, s->base_sec);
    rtc_update_irq(s);
    rtc_rearm(s, now);
    return 0;
}

/* ---- device --------------------------------------------------------------- */

static int rtc_realize(Device *dev, Machine *m, Error **errp)
{
    RTCState *s = (RTCState *)dev;
    s->m = m;
    /* Power-on as the BIOS leaves it: 32.768 kHz, 1024 Hz rate, 24-hour BCD. */
    s->cmos[REG_A] = 0x26;
    s->cmos[REG_B] = B_24H;
    s->timer = timer_new(PEMU_CLOCK_VIRTUAL, rtc_timer_cb, s);
    if (mc146818_setup(dev, s->base_prop, s->clock_prop, errp) < 0) {
        timer_free(s->timer);
        s->timer = NULL;
        return -1;
    }
    s->io = ioport_register(m->io, 0x70, 2, &rtc_ops, s, "rtc");
    return 0;
}

static void rtc_unrealize(Device *dev)
{
    RTCState *s = (RTCState *)dev;
    ioport_unregister(s->m->io, s->io);
    timer_free(s->timer);
    s->timer = NULL;
}

/* The RESET pin: interrupt enables and flags only. */
static void rtc_reset(Device *dev)
{
    RTCState *s = (RTCState *)dev;
    int64_t now = rtc_src_now(s);
    rtc_account(s, now);
    s->cmos[REG_B] &= (uint8_t)~(B_PIE | B_AIE | B_UIE | B_SQWE);
    s->cmos[REG_C] = 0;
    rtc_update_irq(s);
    rtc_rearm(s, now);
}

static int rtc_post_load(void *opaque, int version_id)
{
    RTCState *s = opaque;
    (void)version_id;
    if (s->clock >= PEMU_CLOCK_MAX)
        s->clock = PEMU_CLOCK_HOST;
    s->index &= 0x7f;
    s->wday_off %= 7;
    irq_set(s->m ? s->m->isa_irq[8] : NULL, s->irq_level);
    return 0;
}

static const VMStateDescription vmstate_rtc = {
    .name = "mc146818rtc", .version_id = 1, .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_BUFFER(cmos, RTCState),
        VMSTATE_UINT8(index, RTCState),
        VMSTATE_UINT8(nmi_disabled, RTCState),
        VMSTATE_UINT8(irq_level, RTCState),
        VMSTATE_UINT8(wday_off, RTCState),
        VMSTATE_UINT8(clock, RTCState),
        VMSTATE_INT64(div_ns, RTCState),
        VMSTATE_INT64(base_sec, RTCState),
        VMSTATE_INT64(checked_ns, RTCState),
        VMSTATE_TIMER(timer, RTCState),
        VMSTATE_END
    },
    .post_load = rtc_post_load,
};

static const DeviceProp rtc_props[] = {
    DEVICE_PROP("base", PROP_STR, RTCState, base_prop, "utc",
                "start time: utc, localtime or YYYY-MM-DDTHH:MM:SS"),
    DEVICE_PROP("clock", PROP_STR, RTCState, clock_prop, "host",
                "time source: host (wall clock), rt (host monotonic), vm (virtual)"),
    DEVICE_PROP_END
};

const DeviceClass mc146818_class = {
    .name = "mc146818rtc",
    .desc = "MC146818 real-time clock and CMOS RAM (0x70/0x71, IRQ 8)",
    .category = "Misc devices",
    .bus = "ISA",
    .instance_size = sizeof(RTCState),
    .props = rtc_props,
    .realize = rtc_realize,
    .reset = rtc_reset,
    .unrealize = rtc_unrealize,
    .vmsd = &vmstate_rtc,
};
