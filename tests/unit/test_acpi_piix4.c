/* hw/acpi_piix4: PM base mapping, the PM timer, status/enable/SCI, the
 * power button, sleep (S5 = power off) and the APM ACPI enable command. */
#include "unit.h"

#include <stdlib.h>
#include "hw/acpi_piix4.h"
#include "hw/pci.h"
#include "src/ioport.h"
#include "src/machine.h"
#include "src/timer.h"

static int64_t fake_ns;
static int64_t fake_now(void *opaque)
{
    (void)opaque;
    return fake_ns;
}

static Machine *m;
static PCIBus *bus;
static Device *pm;
static int shutdowns;

static void shutdown_cb(void *opaque, int n, int level)
{
    (void)opaque;
    (void)n;
    if (level)
        shutdowns++;
}

#define BASE 0xb000
#define DEVFN PIIX4_PM_DEVFN

static void setup(bool map)
{
    Error *err = NULL;
    fake_ns = 0;
    clock_set_icount_source(fake_now, NULL);
    m = machine_new_bare(0);
    m->shutdown_request = irq_new(shutdown_cb, NULL, 0);
    bus = pci_bus_new(m, NULL, NULL);
    pm = acpi_piix4_init(m, &err);
    if (!pm)
        abort();
    device_add_existing(m, pm);
    if (map) {
        pci_bus_config_write(bus, DEVFN, 0x40, BASE | 1, 4);
        pci_bus_config_write(bus, DEVFN, 0x80, 1, 1);
    }
}

static void teardown(void)
{
    device_free_all(m);
    pci_bus_free(bus);
    irq_free(m->shutdown_request);
    m->shutdown_request = NULL;
    machine_free(m);
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

static uint32_t in(uint16_t port, unsigned size) { return ioport_read(m->io, port, size); }
static void out(uint16_t port, uint32_t v, unsigned size) { ioport_write(m->io, port, v, size); }
static int sci(void) { return machine_bare_irq_level(m, 9); }

TEST(identity_and_pm_base)
{
    setup(false);
    CHECK_EQ(pci_bus_config_read(bus, DEVFN, 0, 4), 0x71138086u);
    CHECK_EQ(pci_bus_config_read(bus, DEVFN, 0x08, 4) >> 8, 0x068000u);
    CHECK_EQ(pci_bus_config_read(bus, DEVFN, 0x40, 4), 1u);
    /* APMC_EN preset: firmware must not try to set up SMM */
    CHECK_EQ(pci_bus_config_read(bus, DEVFN, 0x58, 4) & (1u << 25), 1u << 25);
    CHECK_EQ(in(BASE + 8, 4), 0xffffffffu);        /* not decoded yet */
    pci_bus_config_write(bus, DEVFN, 0x40, 0xb03f, 4);
    CHECK_EQ(pci_bus_config_read(bus, DEVFN, 0x40, 4), 0xb001u);
    CHECK_EQ(in(BASE + 8, 4), 0xffffffffu);        /* PMIOSE still off */
    pci_bus_config_write(bus, DEVFN, 0x80, 1, 1);
    CHECK_EQ(in(BASE + 4, 2), 0u);
    pci_bus_config_write(bus, DEVFN, 0x40, 0x601, 4);  /* QEMU's own-tables base */
    CHECK_EQ(in(BASE + 4, 2), 0xffffu);
    CHECK_EQ(in(0x604, 2), 0u);
    teardown();
}

TEST(pm_timer_rate)
{
    setup(true);
    advance_to(NS_PER_SEC);
    CHECK_EQ(in(BASE + 8, 4), ACPI_PM_TIMER_HZ & 0xffffffu);
    advance_to(NS_PER_SEC + 1000);                  /* 3.58 ticks per us */
    CHECK_EQ(in(BASE + 8, 4), (ACPI_PM_TIMER_HZ + 3) & 0xffffffu);
    CHECK_EQ(acpi_pm_timer_ticks(10 * NS_PER_SEC), (10u * ACPI_PM_TIMER_HZ) & 0xffffffu);
    /* a byte read sees the same counter */
    CHECK_EQ(in(BASE + 8, 1), (ACPI_PM_TIMER_HZ + 3) & 0xffu);
    teardown();
}

TEST(timer_overflow_status_and_sci)
{
    setup(true);
    CHECK_EQ(in(BASE, 2) & ACPI_PM1_TMR_STS, 0u);
    /* bit 23 flips after 2^23 ticks (2.34 s) */
    int64_t flip = (int64_t)((1ull << 23) * NS_PER_SEC / ACPI_PM_TIMER_HZ) + 1;
    advance_to(flip);
    CHECK_EQ(in(BASE, 2) & ACPI_PM1_TMR_STS, ACPI_PM1_TMR_STS);
    CHECK_EQ(sci(), 0);                             /* not enabled */
    out(BASE, ACPI_PM1_TMR_STS, 2);                 /* write 1 to clear */
    CHECK_EQ(in(BASE, 2) & ACPI_PM1_TMR_STS, 0u);
    out(BASE + 2, ACPI_PM1_TMR_EN, 2);
    advance_to(2 * flip - 2000);
    CHECK_EQ(sci(), 0);
    advance_to(2 * flip);
    CHECK_EQ(sci(), 1);
    out(BASE, ACPI_PM1_TMR_STS, 2);
    CHECK_EQ(sci(), 0);
    teardown();
}

TEST(power_button_gpe_and_sleep)
{
    setup(true);
    acpi_piix4_powerdown(pm);
    CHECK_EQ(in(BASE, 2) & ACPI_PM1_PWRBTN_STS, ACPI_PM1_PWRBTN_STS);
    CHECK_EQ(sci(), 0);
    out(BASE + 2, ACPI_PM1_PWRBTN_EN, 2);
    CHECK_EQ(sci(), 1);
    out(BASE, ACPI_PM1_PWRBTN_STS, 2);
    CHECK_EQ(sci(), 0);
    /* GPE0 at 0xafe0: status W1C, enable */
    out(ACPI_GPE0_BASE + 2, 0x02, 1);
    CHECK_EQ(in(ACPI_GPE0_BASE + 2, 1), 0x02u);
    CHECK_EQ(sci(), 0);
    /* ACPI enable through the APM port */
    CHECK_EQ(in(BASE + 4, 2) & ACPI_PM1_SCI_EN, 0u);
    out(ACPI_APM_CNT, 0xf1, 1);
    CHECK_EQ(in(BASE + 4, 2) & ACPI_PM1_SCI_EN, ACPI_PM1_SCI_EN);
    out(ACPI_APM_CNT, 0xf0, 1);
    CHECK_EQ(in(BASE + 4, 2) & ACPI_PM1_SCI_EN, 0u);
    /* S3 (SLP_TYP 1) is not power off; S5 (SLP_TYP 0) is */
    out(BASE + 4, (1u << 10) | ACPI_PM1_SLP_EN | ACPI_PM1_SCI_EN, 2);
    CHECK_EQ(shutdowns, 0);
    CHECK_EQ(in(BASE + 4, 2), (1u << 10) | ACPI_PM1_SCI_EN); /* SLP_EN reads 0 */
    out(BASE + 4, ACPI_PM1_SCI_EN, 2);
    CHECK_EQ(shutdowns, 0);                         /* SLP_EN not set */
    out(BASE + 4, ACPI_PM1_SLP_EN | ACPI_PM1_SCI_EN, 2);
    CHECK_EQ(shutdowns, 1);
    teardown();
}
