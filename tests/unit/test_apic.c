/* hw/apic and hw/ioapic: priorities, EOI, the timer, IPIs, the IO APIC's
 * redirection table; the virtual clock is a fake counter the tests move. */
#include "unit.h"

#include <stdlib.h>
#include "hw/apic.h"
#include "hw/ioapic.h"
#include "src/machine.h"
#include "src/memory.h"
#include "src/timer.h"

static int64_t fake_ns;
static int64_t fake_now(void *opaque)
{
    (void)opaque;
    return fake_ns;
}

typedef struct Rig {
    Machine *m;
    APICBus *bus;
    APICState *a[2];
    Device *io;
    IRQLine *intr[2], *nmi[2];
    int level[2], nmis[2];
    int extint_calls;
    int startup_kind;
    uint8_t eoi_vec;
} Rig;

static Rig rig;

static void intr_set(void *opaque, int n, int level)
{
    (void)opaque;
    rig.level[n] = level;
}

static void nmi_set(void *opaque, int n, int level)
{
    (void)opaque;
    if (level)
        rig.nmis[n]++;
}

static int fake_pic_intack(void *opaque)
{
    (void)opaque;
    rig.extint_calls++;
    return 0x08;
}

static void startup_hook(void *opaque, int kind, uint8_t vector)
{
    (void)opaque;
    (void)vector;
    rig.startup_kind = kind;
}

/* ncpu APICs with IDs 0, 1; an IO APIC of version `ver` (0: none). */
static void setup(int ncpu, uint8_t ver)
{
    Error *err = NULL;
    memset(&rig, 0, sizeof(rig));
    fake_ns = 0;
    clock_set_icount_source(fake_now, NULL);        /* no bias: the clock is fake_ns */
    fake_ns = 1000;
    rig.m = machine_new_bare(0);
    rig.bus = apic_bus_new(rig.m);
    for (int i = 0; i < ncpu; i++) {
        rig.intr[i] = irq_new(intr_set, NULL, i);
        rig.nmi[i] = irq_new(nmi_set, NULL, i);
        rig.a[i] = apic_init(rig.m, rig.bus, (uint8_t)i, i == 0, rig.intr[i], rig.nmi[i], &err);
        if (!rig.a[i])
            abort();
        device_add_existing(rig.m, apic_device(rig.a[i]));
    }
    if (ver) {
        rig.io = ioapic_init(rig.m, rig.bus, IOAPIC_DEFAULT_BASE, 0, ver, &err);
        if (!rig.io)
            abort();
        device_add_existing(rig.m, rig.io);
    }
}

static void teardown(void)
{
    device_free_all(rig.m);
    apic_bus_free(rig.bus);
    for (int i = 0; i < 2; i++) {
        irq_free(rig.intr[i]);
        irq_free(rig.nmi[i]);
    }
    machine_free(rig.m);
    clock_set_icount_source(NULL, NULL);
}

static void advance_to(int64_t target)
{
    for (;;) {
        int64_t e = timerlist_earliest_ns(PEMU_CLOCK_VIRTUAL);
        if (e < 0 || e > target)
            break;
        if (e > fake_ns)
            fake_ns = e;
        timerlist_run_expired(PEMU_CLOCK_VIRTUAL);
    }
    fake_ns = target;
    timerlist_run_expired(PEMU_CLOCK_VIRTUAL);
}

static uint32_t rd(int cpu, uint32_t off) { return apic_reg_read(rig.a[cpu], off); }
static void wr(int cpu, uint32_t off, uint32_t v) { apic_reg_write(rig.a[cpu], off, v); }
static void enable(int cpu) { wr(cpu, APIC_SVR, 0x1ff); }
static void fixed(uint8_t dest, uint8_t vec) { apic_bus_deliver(rig.bus, dest, 0, APIC_DM_FIXED, vec, 0); }

static void ioapic_rte(int pin, uint64_t v)
{
    ioapic_mmio_write(rig.io, 0, 0x10 + 2 * pin);
    ioapic_mmio_write(rig.io, 0x10, (uint32_t)v);
    ioapic_mmio_write(rig.io, 0, 0x11 + 2 * pin);
    ioapic_mmio_write(rig.io, 0x10, (uint32_t)(v >> 32));
}

static uint32_t ioapic_reg(int idx)
{
    ioapic_mmio_write(rig.io, 0, (uint32_t)idx);
    return ioapic_mmio_read(rig.io, 0x10);
}

TEST(reset_state_and_identity)
{
    setup(2, 0);
    CHECK_EQ(rd(0, APIC_VERSION), 0x50014u);
    CHECK_EQ(rd(1, APIC_ID), 1u << 24);
    CHECK_EQ(apic_get_base(rig.a[0]), 0xfee00000u | MSR_APICBASE_ENABLE | MSR_APICBASE_BSP);
    CHECK_EQ(apic_get_base(rig.a[1]), 0xfee00000u | MSR_APICBASE_ENABLE);
    CHECK_EQ(rd(0, APIC_SVR), 0xffu);
    CHECK_EQ(rd(0, APIC_DFR), 0xffffffffu);
    CHECK_EQ(rd(0, APIC_LVT_LINT0), 0x700u);        /* BSP: virtual wire */
    CHECK_EQ(rd(1, APIC_LVT_LINT0), APIC_LVT_MASKED);
    CHECK_EQ(rd(0, APIC_LVT_TIMER), APIC_LVT_MASKED);
    /* software-disabled: LVT writes stay masked */
    wr(0, APIC_LVT_TIMER, 0x40);
    CHECK_EQ(rd(0, APIC_LVT_TIMER), APIC_LVT_MASKED | 0x40);
    enable(0);
    wr(0, APIC_LVT_TIMER, 0x40);
    CHECK_EQ(rd(0, APIC_LVT_TIMER), 0x40u);
    /* disabling masks every LVT */
    wr(0, APIC_SVR, 0xff);
    CHECK_EQ(rd(0, APIC_LVT_TIMER), APIC_LVT_MASKED | 0x40);
    /* BSP bit is read-only; x2APIC (bit 10) is refused */
    CHECK(apic_set_base(rig.a[1], 0xfee00000u | MSR_APICBASE_ENABLE | MSR_APICBASE_BSP));
    CHECK_EQ(apic_get_base(rig.a[1]) & MSR_APICBASE_BSP, 0u);
    CHECK(!apic_set_base(rig.a[0], 0xfee00000u | MSR_APICBASE_ENABLE | (1u << 10)));
    teardown();
}

TEST(priority_isr_and_eoi)
{
    setup(1, 0);
    enable(0);
    fixed(0, 0x31);
    fixed(0, 0x52);
    CHECK_EQ(rig.level[0], 1);
    CHECK_EQ(rd(0, APIC_IRR + 0x10), (1u << (0x31 - 32)));
    CHECK_EQ(apic_intack(rig.a[0]), 0x52);
    CHECK_EQ(rd(0, APIC_ISR + 0x20), 1u << (0x52 - 64));
    CHECK_EQ(rd(0, APIC_PPR), 0x50u);
    CHECK_EQ(rig.level[0], 0);                      /* 0x31 is below PPR */
    fixed(0, 0x5f);                                 /* same class as in service: waits */
    CHECK_EQ(rig.level[0], 0);
    fixed(0, 0x61);                                 /* higher class: nests */
    CHECK_EQ(rig.level[0], 1);
    CHECK_EQ(apic_intack(rig.a[0]), 0x61);
    wr(0, APIC_EOI, 0);                             /* ends 0x61 */
    CHECK_EQ(rd(0, APIC_PPR), 0x50u);
    wr(0, APIC_EOI, 0);                             /* ends 0x52 */
    CHECK_EQ(rd(0, APIC_PPR), 0u);
    CHECK_EQ(apic_intack(rig.a[0]), 0x5f);
    wr(0, APIC_EOI, 0);
    CHECK_EQ(apic_intack(rig.a[0]), 0x31);
    wr(0, APIC_EOI, 0);
    CHECK_EQ(rig.level[0], 0);
    CHECK_EQ(rd(0, APIC_ISR + 0x10), 0u);
    teardown();
}

TEST(tpr_masks_by_class_and_cr8)
{
    setup(1, 0);
    enable(0);
    wr(0, APIC_TPR, 0x45);
    fixed(0, 0x4f);
    CHECK_EQ(rig.level[0], 0);                      /* class 4 <= TPR class 4 */
    CHECK_EQ(rd(0, APIC_PPR), 0x45u);
    /* An INTA when nothing is above PPR gets the spurious vector, ISR untouched. */
    CHECK_EQ(apic_intack(rig.a[0]), 0xff);
    CHECK_EQ(rd(0, APIC_ISR + 0x20), 0u);
    apic_set_cr8(rig.a[0], 3);
    CHECK_EQ(rd(0, APIC_TPR), 0x30u);
    CHECK_EQ(apic_get_cr8(rig.a[0]), 3);
    CHECK_EQ(rig.level[0], 1);
    CHECK_EQ(apic_intack(rig.a[0]), 0x4f);
    /* software disable holds pending interrupts */
    wr(0, APIC_EOI, 0);
    fixed(0, 0x80);
    wr(0, APIC_SVR, 0xff);
    CHECK_EQ(rig.level[0], 0);
    enable(0);
    CHECK_EQ(rig.level[0], 1);
    teardown();
}

TEST(timer_periodic_oneshot_and_divider)
{
    setup(1, 0);
    enable(0);
    wr(0, APIC_TIMER_DCR, 0x3);                     /* divide by 16 */
    wr(0, APIC_LVT_TIMER, (1u << 17) | 0x40);       /* periodic */
    int64_t t0 = fake_ns;
    wr(0, APIC_TIMER_ICR, 1000);                    /* 16 us period */
    advance_to(t0 + 8000);
    CHECK_EQ(rd(0, APIC_TIMER_CCR), 500u);
    CHECK_EQ(rig.level[0], 0);
    int taken = 0;
    for (int k = 1; k <= 5; k++) {
        advance_to(t0 + 16000 * k - 1);
        CHECK_EQ(rig.level[0], 0);
        advance_to(t0 + 16000 * k);
        CHECK_EQ(rig.level[0], 1);
        CHECK_EQ(apic_intack(rig.a[0]), 0x40);
        wr(0, APIC_EOI, 0);
        taken++;
    }
    CHECK_EQ(taken, 5);
    CHECK_EQ(rd(0, APIC_TIMER_CCR), 1000u);         /* reloaded */
    /* one-shot, divide by 1 (DCR 0xb) */
    wr(0, APIC_TIMER_DCR, 0xb);
    wr(0, APIC_LVT_TIMER, 0x41);
    t0 = fake_ns;
    wr(0, APIC_TIMER_ICR, 300);
    advance_to(t0 + 100);
    CHECK_EQ(rd(0, APIC_TIMER_CCR), 200u);
    advance_to(t0 + 300);
    CHECK_EQ(apic_intack(rig.a[0]), 0x41);
    wr(0, APIC_EOI, 0);
    CHECK_EQ(rd(0, APIC_TIMER_CCR), 0u);
    advance_to(t0 + 10000);
    CHECK_EQ(rig.level[0], 0);                      /* once only */
    /* masked: counts, no interrupt */
    wr(0, APIC_LVT_TIMER, APIC_LVT_MASKED | 0x42);
    wr(0, APIC_TIMER_ICR, 10);
    advance_to(fake_ns + 100);
    CHECK_EQ(rig.level[0], 0);
    CHECK_EQ(rd(0, APIC_TIMER_CCR), 0u);
    teardown();
}

TEST(timer_tsc_deadline)
{
    setup(1, 0);
    enable(0);
    apic_set_tsc_deadline(rig.a[0], 5, 5000);       /* not in deadline mode: ignored */
    CHECK_EQ(apic_get_tsc_deadline(rig.a[0]), 0u);
    wr(0, APIC_LVT_TIMER, (2u << 17) | 0x50);
    wr(0, APIC_TIMER_ICR, 100);                     /* ignored in this mode */
    CHECK_EQ(rd(0, APIC_TIMER_ICR), 0u);
    apic_set_tsc_deadline(rig.a[0], 0x1234, 7000);
    CHECK_EQ(apic_get_tsc_deadline(rig.a[0]), 0x1234u);
    advance_to(6999);
    CHECK_EQ(rig.level[0], 0);
    advance_to(7000);
    CHECK_EQ(rig.level[0], 1);
    CHECK_EQ(apic_get_tsc_deadline(rig.a[0]), 0u);  /* reads 0 once fired */
    CHECK_EQ(apic_intack(rig.a[0]), 0x50);
    wr(0, APIC_EOI, 0);
    /* leaving the mode disarms */
    apic_set_tsc_deadline(rig.a[0], 1, 9000);
    wr(0, APIC_LVT_TIMER, 0x50);
    advance_to(20000);
    CHECK_EQ(rig.level[0], 0);
    teardown();
}

TEST(ipi_self_broadcast_errors)
{
    setup(2, 0);
    enable(0);
    enable(1);
    wr(0, APIC_ICR_LO, (1u << 18) | 0x66);          /* self */
    CHECK_EQ(rig.level[0], 1);
    CHECK_EQ(rig.level[1], 0);
    CHECK_EQ(rd(0, APIC_ICR_LO) & (1u << 12), 0u);  /* idle */
    CHECK_EQ(apic_intack(rig.a[0]), 0x66);
    wr(0, APIC_ICR_LO, (3u << 18) | 0x67);          /* all excluding self */
    CHECK_EQ(rig.level[1], 1);
    CHECK_EQ(apic_intack(rig.a[1]), 0x67);
    CHECK_EQ(apic_intack(rig.a[0]), 0xff);          /* nothing new on 0: spurious */
    wr(0, APIC_ICR_HI, 1u << 24);                   /* physical dest 1 */
    wr(0, APIC_ICR_LO, (APIC_DM_NMI << 8));
    CHECK_EQ(rig.nmis[1], 1);
    CHECK_EQ(rig.nmis[0], 0);
    apic_set_startup_hook(rig.a[1], startup_hook, NULL);
    wr(0, APIC_ICR_LO, (APIC_DM_INIT << 8) | (1u << 14));
    CHECK_EQ(rig.startup_kind, APIC_DM_INIT);
    wr(0, APIC_ICR_LO, (APIC_DM_SIPI << 8) | 0x9a);
    CHECK_EQ(rig.startup_kind, APIC_DM_SIPI);
    /* illegal vector: ESR after the latching write */
    wr(0, APIC_ICR_LO, (1u << 18) | 0x05);
    CHECK_EQ(rd(0, APIC_ESR), 0u);
    wr(0, APIC_ESR, 0);
    CHECK_EQ(rd(0, APIC_ESR), APIC_ESR_SEND_ILLEGAL);
    wr(0, APIC_ESR, 0);
    CHECK_EQ(rd(0, APIC_ESR), 0u);
    teardown();
}

TEST(logical_destinations_and_lowest_priority)
{
    setup(2, 0);
    enable(0);
    enable(1);
    wr(0, APIC_LDR, 0x01u << 24);
    wr(1, APIC_LDR, 0x02u << 24);
    CHECK_EQ(apic_bus_deliver(rig.bus, 0x02, 1, APIC_DM_FIXED, 0x70, 0), 1);
    CHECK_EQ(rig.level[1], 1);
    CHECK_EQ(rig.level[0], 0);
    CHECK_EQ(apic_intack(rig.a[1]), 0x70);
    wr(1, APIC_EOI, 0);
    CHECK_EQ(apic_bus_deliver(rig.bus, 0x03, 1, APIC_DM_FIXED, 0x71, 0), 2);
    apic_intack(rig.a[0]);
    apic_intack(rig.a[1]);
    wr(0, APIC_EOI, 0);
    wr(1, APIC_EOI, 0);
    /* lowest priority: the APIC with the lower TPR takes it */
    wr(0, APIC_TPR, 0x20);
    CHECK_EQ(apic_bus_deliver(rig.bus, 0x03, 1, APIC_DM_LOWEST, 0x72, 0), 1);
    CHECK_EQ(rig.level[1], 1);
    CHECK_EQ(rig.level[0], 0);
    CHECK_EQ(apic_intack(rig.a[1]), 0x72);
    wr(1, APIC_EOI, 0);
    /* cluster model: cluster 1, member bit 0 */
    wr(1, APIC_DFR, 0x0fffffff);
    wr(1, APIC_LDR, 0x11u << 24);
    CHECK_EQ(apic_bus_deliver(rig.bus, 0x21, 1, APIC_DM_FIXED, 0x73, 0), 1);
    CHECK_EQ(rig.level[1], 0);                      /* that was APIC 0 (flat, bit 0) */
    CHECK_EQ(apic_bus_deliver(rig.bus, 0x11, 1, APIC_DM_FIXED, 0x74, 0), 2);
    CHECK_EQ(rig.level[1], 1);
    teardown();
}

TEST(lint_extint_nmi_and_global_disable)
{
    setup(1, 0);
    apic_set_extint(rig.a[0], fake_pic_intack, NULL);
    irq_raise(apic_lint(rig.a[0], 0));              /* virtual wire from reset */
    CHECK_EQ(rig.level[0], 1);
    CHECK_EQ(apic_intack(rig.a[0]), 0x08);
    CHECK_EQ(rig.extint_calls, 1);
    irq_lower(apic_lint(rig.a[0], 0));
    CHECK_EQ(rig.level[0], 0);
    enable(0);
    wr(0, APIC_LVT_LINT0, APIC_LVT_MASKED | 0x700);
    irq_raise(apic_lint(rig.a[0], 0));
    CHECK_EQ(rig.level[0], 0);                      /* masked */
    irq_lower(apic_lint(rig.a[0], 0));
    wr(0, APIC_LVT_LINT1, APIC_DM_NMI << 8);
    irq_pulse(apic_lint(rig.a[0], 1));
    CHECK_EQ(rig.nmis[0], 1);
    /* globally disabled: LINT0 is INTR again whatever the LVT says */
    CHECK(apic_set_base(rig.a[0], 0xfee00000u | MSR_APICBASE_BSP));
    irq_raise(apic_lint(rig.a[0], 0));
    CHECK_EQ(rig.level[0], 1);
    CHECK_EQ(apic_intack(rig.a[0]), 0x08);
    teardown();
}

TEST(mmio_window_relocation)
{
    setup(1, 0);
    CHECK_EQ(address_space_ldl_le(rig.m->as, 0xfee00030), 0x50014u);
    address_space_stl_le(rig.m->as, 0xfee00080, 0x23);
    CHECK_EQ(rd(0, APIC_TPR), 0x23u);
    CHECK(apic_set_base(rig.a[0], 0xfed00000u | MSR_APICBASE_ENABLE));
    CHECK_EQ(address_space_ldl_le(rig.m->as, 0xfed00080), 0x23u);
    CHECK(address_space_ldl_le(rig.m->as, 0xfee00030) != 0x50014u);
    CHECK(apic_set_base(rig.a[0], 0xfed00000u));
    CHECK(address_space_ldl_le(rig.m->as, 0xfed00030) != 0x50014u);
    teardown();
}

TEST(ioapic_registers)
{
    setup(1, 0x20);
    CHECK_EQ(ioapic_reg(1), 0x00170020u);
    ioapic_mmio_write(rig.io, 0, 0);
    ioapic_mmio_write(rig.io, 0x10, 0x0a000000);
    CHECK_EQ(ioapic_reg(0), 0x0a000000u);
    CHECK_EQ(ioapic_reg(0x10), 0x00010000u);       /* masked at reset */
    ioapic_rte(3, 0xff00000000000000ull | (1u << 14) | (1u << 12) | 0x1a931);
    CHECK_EQ(ioapic_reg(0x16), 0x0001a931u);        /* RO bits stay clear */
    CHECK_EQ(ioapic_reg(0x17), 0xff000000u);
    CHECK_EQ(address_space_ldl_le(rig.m->as, 0xfec00010), 0xff000000u);
    teardown();
}

TEST(ioapic_edge_and_mask)
{
    setup(1, 0x20);
    enable(0);
    IRQLine *pin2 = ioapic_pin(rig.io, 2);
    ioapic_rte(2, 0x30);                            /* edge, fixed, physical dest 0 */
    irq_raise(pin2);
    CHECK_EQ(rig.level[0], 1);
    CHECK_EQ(apic_intack(rig.a[0]), 0x30);
    wr(0, APIC_EOI, 0);
    irq_raise(pin2);                                /* no new edge */
    CHECK_EQ(rig.level[0], 0);
    irq_lower(pin2);
    ioapic_rte(2, 0x30 | (1u << 16));
    irq_raise(pin2);
    CHECK_EQ(rig.level[0], 0);                      /* masked */
    irq_lower(pin2);
    ioapic_rte(2, 0x30 | (1ull << 56));             /* dest APIC 1: nobody */
    irq_pulse(pin2);
    CHECK_EQ(rig.level[0], 0);
    teardown();
}

static void level_test(uint8_t ver, bool by_register)
{
    setup(1, ver);
    enable(0);
    IRQLine *pin = ioapic_pin(rig.io, 11);
    ioapic_rte(11, (1u << 15) | 0x3b);              /* level */
    irq_raise(pin);
    CHECK_EQ(apic_intack(rig.a[0]), 0x3b);
    CHECK_EQ(ioapic_reg(0x10 + 22) & (1u << 14), 1u << 14); /* remote IRR */
    CHECK_EQ(rd(0, APIC_TMR + 0x10), 1u << (0x3b - 32));
    if (by_register) {
        ioapic_mmio_write(rig.io, 0x40, 0x3b);
    } else {
        wr(0, APIC_EOI, 0);                         /* EOI broadcast */
    }
    if (by_register && ver < 0x20) {
        CHECK_EQ(ioapic_reg(0x10 + 22) & (1u << 14), 1u << 14); /* no EOI register */
        teardown();
        return;
    }
    /* still asserted: sent again */
    CHECK_EQ(ioapic_reg(0x10 + 22) & (1u << 14), 1u << 14);
    if (by_register)
        wr(0, APIC_EOI, 0);
    CHECK_EQ(apic_intack(rig.a[0]), 0x3b);
    irq_lower(pin);
    wr(0, APIC_EOI, 0);
    CHECK_EQ(ioapic_reg(0x10 + 22) & (1u << 14), 0u);
    CHECK_EQ(rig.level[0], 0);
    /* unmasking an asserted level pin sends at once */
    ioapic_rte(11, (1u << 16) | (1u << 15) | 0x3b);
    irq_raise(pin);
    CHECK_EQ(rig.level[0], 0);
    ioapic_rte(11, (1u << 15) | 0x3b);
    CHECK_EQ(rig.level[0], 1);
    teardown();
}

TEST(ioapic_level_eoi_broadcast) { level_test(0x20, false); }
TEST(ioapic_level_eoi_register) { level_test(0x20, true); }
TEST(ioapic_v11_has_no_eoi_register) { level_test(0x11, true); }
