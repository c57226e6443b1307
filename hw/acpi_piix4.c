/*
 * PIIX4 power management (ACPI fixed hardware): see acpi_piix4.h.
 * Reference: Intel 82371AB (PIIX4) datasheet 290562, 3.4 (PM config) and
 * 7.2 (PM I/O); ACPI 1.0b 4.7.3 (fixed hardware registers).
 */
#include "hw/acpi_piix4.h"

#include <stdlib.h>
#include <string.h>

#include "src/log.h"
#include "src/machine.h"
#include "src/timer.h"
#include "src/vmstate.h"

#define PMBA 0x40
#define PMREGMISC 0x80
#define DEVACTB 0x58
#define SMBBA 0x90
#define SMBHSTCFG 0xd2
#define PM_IO_SIZE 64
#define SCI_IRQ 9
#define PM1_STS_MASK (ACPI_PM1_TMR_STS | ACPI_PM1_GBL_STS | ACPI_PM1_PWRBTN_STS | \
                      ACPI_PM1_RTC_STS | ACPI_PM1_WAK_STS)

typedef struct PIIX4PMState {
    Device dev;
    Machine *m;
    PCIDevice pci;
    MemoryRegion *pm_io, *gpe_io, *apm_io;
    Timer *tmr_timer;
    uint16_t pm1_sts, pm1_en, pm1_cnt;
    uint16_t gpe_sts, gpe_en;
    uint8_t apmc, apms;
    uint8_t regs[PM_IO_SIZE];   /* the rest of the PM block: stored only */
    uint64_t tmr_half;          /* bit-23 half period seen last (TMR_STS) */
    bool sci;
} PIIX4PMState;

/* ---- PM timer ------------------------------------------------------------------- */

static uint64_t ticks_at(int64_t ns)
{
    uint64_t n = ns > 0 ? (uint64_t)ns : 0;
    return n / NS_PER_SEC * ACPI_PM_TIMER_HZ + n % NS_PER_SEC * ACPI_PM_TIMER_HZ / NS_PER_SEC;
}

/* The first virtual ns at which the counter reaches `t`. */
static int64_t ns_at(uint64_t t)
{
    return (int64_t)(t / ACPI_PM_TIMER_HZ * NS_PER_SEC +
                     (t % ACPI_PM_TIMER_HZ * NS_PER_SEC + ACPI_PM_TIMER_HZ - 1) / ACPI_PM_TIMER_HZ);
}

uint32_t acpi_pm_timer_ticks(int64_t ns)
{
    return (uint32_t)(ticks_at(ns) & 0xffffff);
}

static void update_sci(PIIX4PMState *s)
{
    bool level = (s->pm1_sts & s->pm1_en & (ACPI_PM1_TMR_STS | ACPI_PM1_GBL_STS |
                                            ACPI_PM1_PWRBTN_STS | ACPI_PM1_RTC_STS)) ||
                 (s->gpe_sts & s->gpe_en);
    if (level != s->sci) {
        s->sci = level;
        irq_set(s->m->isa_irq[SCI_IRQ], level);
    }
}

/* TMR_STS: set whenever bit 23 of the counter changed since the last look. */
static void tmr_check(PIIX4PMState *s)
{
    uint64_t half = ticks_at(clock_get_ns(PEMU_CLOCK_VIRTUAL)) >> 23;
    if (half != s->tmr_half) {
        s->tmr_half = half;
        s->pm1_sts |= ACPI_PM1_TMR_STS;
    }
}

static void tmr_rearm(PIIX4PMState *s)
{
    if (s->pm1_en & ACPI_PM1_TMR_EN)
        timer_mod(s->tmr_timer, ns_at((s->tmr_half + 1) << 23));
    else
        timer_del(s->tmr_timer);
}

static void tmr_cb(void *opaque)
{
    PIIX4PMState *s = opaque;
    tmr_check(s);
    update_sci(s);
    tmr_rearm(s);
}

/* ---- PM I/O ----------------------------------------------------------------------- */

static uint8_t pm_read_byte(PIIX4PMState *s, unsigned off, uint32_t tmr)
{
    switch (off) {
    case 0: case 1: return (uint8_t)(s->pm1_sts >> (8 * (off & 1)));
    case 2: case 3: return (uint8_t)(s->pm1_en >> (8 * (off & 1)));
    case 4: case 5: return (uint8_t)((s->pm1_cnt & ~ACPI_PM1_SLP_EN) >> (8 * (off & 1)));
    case 8: case 9: case 10: case 11: return (uint8_t)(tmr >> (8 * (off - 8)));
    default: return s->regs[off];
    }
}

static void sleep_request(PIIX4PMState *s)
{
    unsigned typ = (s->pm1_cnt >> 10) & 7;
    s->pm1_cnt &= ~ACPI_PM1_SLP_EN;
    if (typ == 0 || typ == 2) {
        /* S5 (and S4, which has no image to save here): power off. */
        if (log_enabled(LOG_INT))
            log_printf("acpi: SLP_TYP %u: power off\n", typ);
        irq_raise(s->m->shutdown_request);
        irq_lower(s->m->shutdown_request);
    } else if (log_enabled(LOG_UNIMP)) {
        log_printf("acpi: sleep type %u (S3 suspend) not implemented\n", typ);
    }
}

static void pm_write_byte(PIIX4PMState *s, unsigned off, uint8_t v)
{
    unsigned sh = 8 * (off & 1);
    switch (off) {
    case 0: case 1:
        tmr_check(s);
        s->pm1_sts &= (uint16_t)~((v << sh) & PM1_STS_MASK);
        break;
    case 2: case 3:
        s->pm1_en = (uint16_t)((s->pm1_en & ~(0xff << sh)) | (v << sh));
        tmr_rearm(s);
        break;
    case 4: case 5:
        s->pm1_cnt = (uint16_t)((s->pm1_cnt & ~(0xff << sh)) | (v << sh));
        if (s->pm1_cnt & ACPI_PM1_SLP_EN)
            sleep_request(s);
        break;
    case 8: case 9: case 10: case 11:
        break; /* PM_TMR is read-only */
    default:
        s->regs[off] = v;
        break;
    }
}

static uint64_t pm_io_read(void *opaque, hwaddr off, unsigned size)
{
    PIIX4PMState *s = opaque;
    uint32_t tmr = acpi_pm_timer_ticks(clock_get_ns(PEMU_CLOCK_VIRTUAL));
    uint64_t v = 0;
    if (off < 2)
        tmr_check(s);
    for (unsigned i = 0; i < size; i++)
        v |= (uint64_t)pm_read_byte(s, (unsigned)(off + i) % PM_IO_SIZE, tmr) << (8 * i);
    return v;
}

static void pm_io_write(void *opaque, hwaddr off, uint64_t val, unsigned size)
{
    PIIX4PMState *s = opaque;
    for (unsigned i = 0; i < size; i++)
        pm_write_byte(s, (unsigned)(off + i) % PM_IO_SIZE, (uint8_t)(val >> (8 * i)));
    update_sci(s);
}

static const MemOps pm_io_ops = {
    .read = pm_io_read, .write = pm_io_write, .valid = { 1, 4 }, .impl = { 1, 4 },
};

/* GPE0: +0 status (W1C), +2 enable. */
static uint64_t gpe_read(void *opaque, hwaddr off, unsigned size)
{
    PIIX4PMState *s = opaque;
    (void)size;
    uint16_t r = off < 2 ? s->gpe_sts : s->gpe_en;
    return (uint8_t)(r >> (8 * (off & 1)));
}

static void gpe_write(void *opaque, hwaddr off, uint64_t val, unsigned size)
{
    PIIX4PMState *s = opaque;
    (void)size;
    unsigned sh = 8 * (unsigned)(off & 1);
    if (off < 2)
        s->gpe_sts &= (uint16_t)~((val & 0xff) << sh);
    else
        s->gpe_en = (uint16_t)((s->gpe_en & ~(0xff << sh)) | ((val & 0xff) << sh));
    update_sci(s);
}

static const MemOps gpe_ops = {
    .read = gpe_read, .write = gpe_write, .valid = { 1, 4 }, .impl = { 1, 1 },
};

/* APM: 0xb2 control (the FADT's SMI_CMD), 0xb3 status. */
static uint64_t apm_read(void *opaque, hwaddr off, unsigned size)
{
    PIIX4PMState *s = opaque;
    (void)size;
    return off ? s->apms : s->apmc;
}

static void apm_write(void *opaque, hwaddr off, uint64_t val, unsigned size)
{
    PIIX4PMState *s = opaque;
    (void)size;
    if (off) {
        s->apms = (uint8_t)val;
        return;
    }
    s->apmc = (uint8_t)val;
    /* No SMM: the commands an SMI handler would carry out are done here. */
    if (val == 0xf1)
        s->pm1_cnt |= ACPI_PM1_SCI_EN;
    else if (val == 0xf0)
        s->pm1_cnt &= ~ACPI_PM1_SCI_EN;
}

static const MemOps apm_ops = {
    .read = apm_read, .write = apm_write, .valid = { 1, 1 }, .impl = { 1, 1 },
};

/* ---- PCI config ------------------------------------------------------------------------ */

static void map_pm_io(PIIX4PMState *s)
{
    uint32_t base = pci_get_long(s->pci.config + PMBA) & 0xffc0u;
    bool on = (s->pci.config[PMREGMISC] & 1) && base;
    if (on)
        memory_region_set_address(s->pm_io, base);
    memory_region_set_enabled(s->pm_io, on);
}

static void pm_config_write(PCIDevice *d, uint32_t addr, uint32_t val, unsigned len)
{
    PIIX4PMState *s = d->opaque;
    pci_default_config_write(d, addr, val, len);
    if ((addr < PMBA + 4 && addr + len > PMBA) || (addr <= PMREGMISC && addr + len > PMREGMISC))
        map_pm_io(s);
}

static const PCIFunctionInfo pm_info = {
    .name = "PIIX4_PM",
    .vendor_id = 0x8086,
    .device_id = PIIX4_PM_DEVICE_ID,
    .revision = 0x03,
    .class_code = 0x068000,
    .subsystem_vendor_id = 0x1af4,
    .subsystem_id = 0x1100,
    .interrupt_pin = 1,
    .status = PCI_STATUS_DEVSEL_MEDIUM | PCI_STATUS_FAST_BACK,
    .config_write = pm_config_write,
};

void acpi_piix4_powerdown(Device *dev)
{
    PIIX4PMState *s = (PIIX4PMState *)dev;
    s->pm1_sts |= ACPI_PM1_PWRBTN_STS;
    update_sci(s);
}

static void pm_reset(Device *dev)
{
    PIIX4PMState *s = (PIIX4PMState *)dev;
    pci_device_reset(&s->pci);
    pci_set_long(s->pci.config + PMBA, 1);
    s->pci.config[PMREGMISC] = 0;
    pci_set_long(s->pci.config + DEVACTB, 1u << 25); /* APMC_EN: "SMM already set up" */
    pci_set_long(s->pci.config + SMBBA, 1);
    s->pci.config[SMBHSTCFG] = 0;
    s->pm1_sts = s->pm1_en = s->pm1_cnt = 0;
    s->gpe_sts = s->gpe_en = 0;
    s->apmc = s->apms = 0;
    memset(s->regs, 0, sizeof(s->regs));
    s->tmr_half = ticks_at(clock_get_ns(PEMU_CLOCK_VIRTUAL)) >> 23;
    timer_del(s->tmr_timer);
    map_pm_io(s);
    update_sci(s);
}

static void pm_unrealize(Device *dev)
{
    PIIX4PMState *s = (PIIX4PMState *)dev;
    if (!s->m)
        return;
    if (s->sci)
        irq_lower(s->m->isa_irq[SCI_IRQ]);
    ioport_unregister(s->m->io, s->pm_io);
    ioport_unregister(s->m->io, s->gpe_io);
    ioport_unregister(s->m->io, s->apm_io);
    timer_free(s->tmr_timer);
    pci_unregister_function(&s->pci);
    s->m = NULL;
}

Device *acpi_piix4_init(Machine *m, Error **errp)
{
    PCIBus *bus = pci_bus_find(m);
    if (!bus) {
        error_setg(errp, "PIIX4_PM: the machine has no PCI bus (use a machine with an i440FX)");
        return NULL;
    }
    PIIX4PMState *s = calloc(1, sizeof(*s));
    if (!s)
        fatal("out of memory");
    s->dev.cls = &acpi_piix4_class;
    if (pci_register_function(bus, &s->pci, PIIX4_PM_DEVFN, &pm_info, s, errp) < 0) {
        free(s);
        return NULL;
    }
    s->m = m;
    s->pci.wmask[PMBA] = 0xc0;
    s->pci.wmask[PMBA + 1] = 0xff;
    s->pci.wmask[PMREGMISC] = 0x01;
    for (int i = 0; i < 4; i++)
        s->pci.wmask[DEVACTB + i] = 0xff;
    s->pci.wmask[SMBBA] = 0xf0;
    s->pci.wmask[SMBBA + 1] = 0xff;
    s->pci.wmask[SMBHSTCFG] = 0xff;
    s->pm_io = ioport_register(m->io, 0, PM_IO_SIZE, &pm_io_ops, s, "acpi-pm");
    memory_region_set_enabled(s->pm_io, false);
    s->gpe_io = ioport_register(m->io, ACPI_GPE0_BASE, 4, &gpe_ops, s, "acpi-gpe0");
    s->apm_io = ioport_register(m->io, ACPI_APM_CNT, 2, &apm_ops, s, "apm");
    s->tmr_timer = timer_new(PEMU_CLOCK_VIRTUAL, tmr_cb, s);
    pm_reset(&s->dev);
    return &s->dev;
}

static int pm_post_load(void *opaque, int version_id)
{
    PIIX4PMState *s = opaque;
    (void)version_id;
    map_pm_io(s);
    s->sci = !s->sci; /* force update_sci to drive the line */
    update_sci(s);
    tmr_rearm(s);
    return 0;
}

static const VMStateDescription vmstate_piix4_pm = {
    .name = "piix4_pm",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_STRUCT(pci, PIIX4PMState, vmstate_pci_device),
        VMSTATE_UINT16(pm1_sts, PIIX4PMState),
        VMSTATE_UINT16(pm1_en, PIIX4PMState),
        VMSTATE_UINT16(pm1_cnt, PIIX4PMState),
        VMSTATE_UINT16(gpe_sts, PIIX4PMState),
        VMSTATE_UINT16(gpe_en, PIIX4PMState),
        VMSTATE_UINT8(apmc, PIIX4PMState),
        VMSTATE_UINT8(apms, PIIX4PMState),
        VMSTATE_BUFFER(regs, PIIX4PMState),
        VMSTATE_UINT64(tmr_half, PIIX4PMState),
        VMSTATE_TIMER(tmr_timer, PIIX4PMState),
        VMSTATE_END
    },
    .post_load = pm_post_load,
};

const DeviceClass acpi_piix4_class = {
    .name = "PIIX4_PM",
    .desc = "Intel 82371AB PIIX4 power management (ACPI)",
    .category = "Misc devices",
    .bus = "PCI",
    .instance_size = sizeof(PIIX4PMState),
    .user_creatable = false,
    .reset = pm_reset,
    .unrealize = pm_unrealize,
    .vmsd = &vmstate_piix4_pm,
};
