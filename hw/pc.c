/*
 * The "pc" board: QEMU's i440FX + PIIX3 PC as SeaBIOS expects it.
 *
 * Physical memory: RAM below 4 GiB up to the PCI hole (i440fx_ram_split),
 * the rest above 4 GiB; the BIOS image at the top of 4 GiB with its last
 * 128 KiB also visible below 1 MiB through the PAM registers (hw/i440fx.c).
 * Interrupts: the CPU's local APIC (0xfee00000) takes the 8259's INTR on
 * LINT0 (ExtINT) and NMI on LINT1; each ISA IRQ n also reaches IO APIC
 * (0xfec00000) pin n, IRQ 0 pin 2 (the override SeaBIOS's MP table and
 * MADT declare, fw_cfg FW_CFG_IRQ0_OVERRIDE).
 * ACPI: the PIIX4 PM function at 00:01.3 (SCI on IRQ 9); SeaBIOS 1.16
 * finds it and builds its own ACPI tables (no etc/table-loader here).
 * ISA: the 8259 pair (IRQ 0..15), 8254 PIT (IRQ 0), port 0x61, MC146818
 * RTC/CMOS (IRQ 8), 16550A UARTs (COM1..4), the 8042 (IRQ 1/12, A20 with
 * port 0x92 through hw/a20gate), fw_cfg at 0x510.
 * PCI: i440FX 00:00.0, PIIX3 00:01.0 (ISA bridge) and .1 (IDE), PIIX4 PM
 * .3, the VGA (-vga std) at 00:02.0 with vgabios-stdvga.bin in its ROM BAR.
 *
 * CMOS bytes SeaBIOS reads (the PC/AT map plus QEMU's extensions):
 *   0x10 floppy types   0x14 equipment   0x15/0x16 base memory (KiB)
 *   0x17/0x18, 0x30/0x31 memory 1..64 MiB (KiB)   0x34/0x35 memory above
 *   16 MiB below 4 GiB (64 KiB units)   0x5b..0x5d memory above 4 GiB
 *   (64 KiB units)   0x5f CPUs - 1   0x3d/0x38 boot order (1 floppy,
 *   2 disk, 3 CD-ROM, 4 network; first two in 0x3d, third in 0x38 high).
 *
 * -kernel with a Multiboot kernel starts it directly in the state firmware
 * leaves (PICs at vectors 0x08/0x70, an IVT of iret stubs, A20 on, PIT
 * running). A Linux bzImage (hw/linuxboot.c) goes through SeaBIOS and the
 * generated option ROM, or with firmware=none straight to its 32-bit
 * (64-bit when the CPU has long mode) entry with boot_params built here.
 */
#include "hw/pc.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hw/a20gate.h"
#include "hw/acpi_piix4.h"
#include "hw/apic.h"
#include "hw/fdc.h"
#include "hw/fw_cfg.h"
#include "hw/i440fx.h"
#include "hw/i8042.h"
#include "hw/i8259.h"
#include "hw/ioapic.h"
#include "hw/linuxboot.h"
#include "hw/mc146818.h"
#include "hw/multiboot.h"
#include "hw/piix3.h"
#include "hw/piix_ide.h"
#include "hw/smbios.h"
#include "src/block/aio.h"
#include "src/block/block.h"
#include "src/chardev.h"
#include "src/firmware.h"
#include "src/log.h"
#include "src/softmmu.h"
#include "src/tb.h"
#include "src/x86/helper_sys.h"

#define BIOS_MAX (16u << 20)

/* One CPU of the board and its local APIC (index = APIC ID). */
typedef struct PCCpu {
    struct PCBoard *b;
    int index;
    X86CPU *cpu;               /* NULL until pc_connect_cpu */
    APICState *apic;
    IRQLine *intr_out, *nmi_out; /* from the local APIC to the CPU */
} PCCpu;

typedef struct PCBoard {
    Machine m;                 /* first: Machine * == PCBoard * */
    PemuConfig *cfg;
    MemoryRegion *ram, *bios;
    I440FXState *i440fx;
    PIIX3State *piix3;
    FWCfgState *fw_cfg;
    Device *pic, *rtc, *fdc;
    APICBus *apic_bus;
    APICState *apic;           /* the boot CPU's local APIC */
    Device *ioapic, *pm;
    PCCpu cpus[PEMU_MAX_CPUS]; /* -smp N: the first N; [0] is the boot CPU */
    unsigned ncpus, nconnected;
    uint64_t a20_mask;         /* the gate's last state, for CPUs reset later */
    IRQLine *isa_split[MACHINE_ISA_IRQS]; /* ISA IRQ -> 8259 and IO APIC */
    BlockBackend *fd_blk[2];   /* the FDC does not own its media */
    IRQLine *a20_out;          /* to the CPU */
    A20Gate *a20;              /* port 0x92 OR the 8042's output port */
    X86CPU *cpu;               /* the boot CPU (cpus[0].cpu) */
    bool reset_requested;
    /* direct Multiboot boot */
    bool multiboot;
    MultibootInfo mbi;
    char *mb_cmdline;
    /* Linux: through the option ROM, or direct with firmware=none */
    bool linux_boot;
    LinuxBoot linux;
} PCBoard;

static PCBoard *board(Machine *m)
{
    return (PCBoard *)m;
}

/* ---- lines from the chipset to the CPU and the board ----------------------- */

static void cpu_intr_set(void *opaque, int n, int level)
{
    PCBoard *b = opaque;
    X86CPU *cpu = b->cpus[n].cpu;
    if (!cpu)
        return;
    if (level)
        cpu_interrupt(&cpu->parent, CPU_INTERRUPT_HARD);
    else
        cpu_reset_interrupt(&cpu->parent, CPU_INTERRUPT_HARD);
}

static void cpu_nmi_set(void *opaque, int n, int level)
{
    PCBoard *b = opaque;
    X86CPU *cpu = b->cpus[n].cpu;
    if (cpu && level)
        cpu_interrupt(&cpu->parent, CPU_INTERRUPT_NMI);
}

/* An AP at power-on or after INIT: reset state, waiting for a STARTUP IPI
 * (not runnable: interrupts do not wake it). */
static void cpu_wait_for_sipi(PCBoard *b, X86CPU *cpu)
{
    x86_cpu_reset(cpu);
    cpu->env.a20_mask = b->a20_mask;
    softmmu_flush_all(&cpu->parent);
    cpu->parent.interrupt_request = 0;
    cpu->parent.exception_index = EXCP_NONE;
    cpu->parent.halted = 0;
    cpu->parent.stopped = 1;
}

/*
 * INIT / STARTUP IPIs (SDM 8.4.4, "MP initialization"): INIT puts the CPU
 * in wait-for-SIPI; a STARTUP IPI to a waiting CPU starts it in real mode
 * at vector << 12 (CS = vector << 8, IP = 0); otherwise it is ignored.
 * Only one CPU runs at a time and the target is another one, so its state
 * can change here; an INIT a CPU sends itself (physical destination = own
 * ID) is not modelled.
 */
static void cpu_startup_ipi(void *opaque, int kind, uint8_t vector)
{
    PCCpu *c = opaque;
    X86CPU *cpu = c->cpu;
    if (!cpu || &cpu->parent == current_cpu) {
        if (log_enabled(LOG_UNIMP))
            log_printf("cpu%d: %s IPI (vector 0x%02x) to itself ignored\n", c->index,
                       kind == APIC_DM_INIT ? "INIT" : "STARTUP", vector);
        return;
    }
    if (kind == APIC_DM_INIT) {
        cpu_wait_for_sipi(c->b, cpu);
        return;
    }
    if (!cpu->parent.stopped)
        return;
    X86State *s = &cpu->env;
    s->segs[R_CS].selector = (uint16_t)(vector << 8);
    s->segs[R_CS].base = (uint32_t)vector << 12;
    s->rip = 0;
    x86_update_hflags(s);
    cpu->parent.stopped = 0;
    cpu_exit(&cpu->parent);
}

/* The APIC MMIO window serves the CPU that accesses it. */
static APICState *current_apic(void *opaque)
{
    (void)opaque;
    return current_cpu ? x86_cpu(current_cpu)->apic : NULL;
}

static const X86APICHooks pc_apic_hooks = {
    apic_get_base, apic_set_base, apic_get_tsc_deadline, apic_set_tsc_deadline,
    apic_get_cr8, apic_set_cr8,
};

/* A20 gate: level 1 = open. Closing it makes bit 20 of every physical
 * address zero (the 8086 wrap-around real-mode software relies on). */
static void a20_set(void *opaque, int n, int level)
{
    PCBoard *b = opaque;
    (void)n;
    uint64_t mask = level ? ~0ull : ~(1ull << 20);
    b->a20_mask = mask;
    for (unsigned i = 0; i < b->nconnected; i++) {
        X86CPU *cpu = b->cpus[i].cpu;
        if (cpu->env.a20_mask != mask) {
            cpu->env.a20_mask = mask;
            softmmu_flush_all(&cpu->parent);
        }
    }
}

static void reset_set(void *opaque, int n, int level)
{
    PCBoard *b = opaque;
    (void)n;
    if (!level)
        return;
    if (b->cfg->no_reboot) {
        machine_request_exit(&b->m, 0);
        return;
    }
    b->reset_requested = true;
    for (unsigned i = 0; i < b->nconnected; i++)
        cpu_exit(&b->cpus[i].cpu->parent);
}

static void shutdown_set(void *opaque, int n, int level)
{
    PCBoard *b = opaque;
    (void)n;
    if (level)
        machine_request_exit(&b->m, 0);
}

static void cpu_shutdown(void *opaque)
{
    PCBoard *b = opaque;
    if (log_enabled(LOG_INT | LOG_GUEST_ERRORS))
        log_printf("triple fault: %s\n", b->cfg->no_reboot ? "exiting (-no-reboot)" : "resetting");
    reset_set(b, 0, 1);
}

/* ---- firmware configuration ---------------------------------------------------- */

static int boot_code(char c)
{
    switch (c) {
    case 'a': return 1;
    case 'c': return 2;
    case 'd': return 3;
    case 'n': return 4;
    default: return 0;
    }
}

static void cmos_setup(PCBoard *b)
{
    Device *rtc = b->rtc;
    uint64_t below = i440fx_below_4g(b->i440fx), above = i440fx_above_4g(b->i440fx);
    uint64_t ext = below > (1u << 20) ? (below - (1u << 20)) >> 10 : 0;
    if (ext > 0xffff)
        ext = 0xffff;
    mc146818_cmos_set(rtc, 0x15, 640 & 0xff);
    mc146818_cmos_set(rtc, 0x16, 640 >> 8);
    mc146818_cmos_set(rtc, 0x17, (uint8_t)ext);
    mc146818_cmos_set(rtc, 0x18, (uint8_t)(ext >> 8));
    mc146818_cmos_set(rtc, 0x30, (uint8_t)ext);
    mc146818_cmos_set(rtc, 0x31, (uint8_t)(ext >> 8));
    uint64_t hi = below > (16u << 20) ? (below - (16u << 20)) >> 16 : 0;
    if (hi > 0xffff)
        hi = 0xffff;
    mc146818_cmos_set(rtc, 0x34, (uint8_t)hi);
    mc146818_cmos_set(rtc, 0x35, (uint8_t)(hi >> 8));
    uint64_t a = above >> 16;
    mc146818_cmos_set(rtc, 0x5b, (uint8_t)a);
    mc146818_cmos_set(rtc, 0x5c, (uint8_t)(a >> 8));
    mc146818_cmos_set(rtc, 0x5d, (uint8_t)(a >> 16));
    mc146818_cmos_set(rtc, 0x5f, (uint8_t)(b->cfg->cpus ? b->cfg->cpus - 1 : 0));
    /* floppy drive types, and the equipment byte's "floppy present" + count - 1 */
    uint8_t fdtype = fdc_cmos_type(b->fdc);
    int nfd = ((fdtype >> 4) != 0) + ((fdtype & 15) != 0);
    mc146818_cmos_set(rtc, 0x10, fdtype);
    mc146818_cmos_set(rtc, 0x14, nfd ? (uint8_t)(1 | (nfd - 1) << 6) : 0);

    const char *order = b->cfg->boot_once[0] ? b->cfg->boot_once
                        : b->cfg->boot_order[0] ? b->cfg->boot_order : "cad";
    int d0 = boot_code(order[0]), d1 = order[0] ? boot_code(order[1]) : 0;
    int d2 = order[0] && order[1] ? boot_code(order[2]) : 0;
    mc146818_cmos_set(rtc, 0x3d, (uint8_t)(d1 << 4 | d0));
    mc146818_cmos_set(rtc, 0x38, (uint8_t)(d2 << 4));
}

/* CPUID leaf `leaf` (subleaf 0) asked of the CPU model itself: EAX, EBX, ECX, EDX. */
static void cpuid_query(X86CPU *cpu, uint32_t leaf, uint32_t out[4])
{
    X86State *s = &cpu->env;
    static const int r[4] = { R_EAX, R_EBX, R_ECX, R_EDX };
    uint64_t saved[4];
    for (int i = 0; i < 4; i++)
        saved[i] = s->regs[r[i]];
    s->regs[R_EAX] = leaf;
    s->regs[R_ECX] = 0;
    x86_cpuid(cpu);
    for (int i = 0; i < 4; i++) {
        out[i] = (uint32_t)s->regs[r[i]];
        s->regs[r[i]] = saved[i];
    }
}

/* CPUID.80000001h:EDX bit 29 (LM). */
static bool cpu_has_long_mode(X86CPU *cpu)
{
    uint32_t v[4];
    cpuid_query(cpu, 0x80000001u, v);
    return (v[3] >> 29) & 1;
}

/* SMBIOS tables for SeaBIOS to publish (hw/smbios.c). */
static int smbios_setup(PCBoard *b, Error **errp)
{
    PemuConfig *cfg = b->cfg;
    uint32_t id[4];
    cpuid_query(b->cpu, 1, id);
    SmbiosMachine sm = {
        .cpus = cfg->cpus ? cfg->cpus : 1,
        .cpuid_eax = id[0],
        .cpuid_edx = id[3],
        .long_mode = cpu_has_long_mode(b->cpu),
        .below_4g = i440fx_below_4g(b->i440fx),
        .above_4g = i440fx_above_4g(b->i440fx),
        .uuid = cfg->uuid,
        .product = "Standard PC (i440FX + PIIX, 1996)",
    };
    SmbiosTables t;
    if (smbios_build(&sm, cfg->smbios, cfg->nsmbios, &t, errp) < 0)
        return -1;
    int r = fw_cfg_add_file(b->fw_cfg, "etc/smbios/smbios-tables", t.tables, (uint32_t)t.len, errp);
    if (r == 0)
        r = fw_cfg_add_file(b->fw_cfg, "etc/smbios/smbios-anchor", t.anchor, sizeof(t.anchor), errp);
    smbios_tables_free(&t);
    return r;
}

static int fw_cfg_setup(PCBoard *b, Error **errp)
{
    PemuConfig *cfg = b->cfg;
    FWCfgState *fw = b->fw_cfg;
    unsigned cpus = cfg->cpus ? cfg->cpus : 1, maxcpus = cfg->maxcpus > cpus ? cfg->maxcpus : cpus;
    uint64_t below = i440fx_below_4g(b->i440fx), above = i440fx_above_4g(b->i440fx);

    fw_cfg_add_i64(fw, FW_CFG_RAM_SIZE, cfg->ram_size);
    fw_cfg_add_i16(fw, FW_CFG_NOGRAPHIC, cfg->nographic);
    fw_cfg_add_i16(fw, FW_CFG_NB_CPUS, (uint16_t)cpus);
    fw_cfg_add_i16(fw, FW_CFG_MAX_CPUS, (uint16_t)maxcpus);
    fw_cfg_add_i16(fw, FW_CFG_BOOT_MENU, cfg->boot_menu);
    fw_cfg_add_i16(fw, FW_CFG_BOOT_DEVICE, (uint16_t)(cfg->boot_order[0] ? cfg->boot_order[0] : 'c'));
    fw_cfg_add_i32(fw, FW_CFG_IRQ0_OVERRIDE, 1);
    fw_cfg_add_bytes(fw, FW_CFG_UUID, cfg->uuid, sizeof(cfg->uuid));
    /* NUMA: node count 0, then one u64 per possible CPU (all zero). */
    uint32_t numa_len = (1 + maxcpus) * 8;
    uint8_t *numa = calloc(1, numa_len);
    if (!numa)
        pemu_abort("out of memory");
    fw_cfg_add_bytes(fw, FW_CFG_NUMA, numa, numa_len);
    free(numa);

    /* etc/e820: the RAM ranges; SeaBIOS adds its own reservations. */
    uint8_t e820[2 * 20];
    uint32_t n = 0;
    st64_le(e820 + 0, 0);
    st64_le(e820 + 8, below);
    st32_le(e820 + 16, 1);
    n++;
    if (above) {
        st64_le(e820 + 20, 1ull << 32);
        st64_le(e820 + 28, above);
        st32_le(e820 + 36, 1);
        n++;
    }
    if (fw_cfg_add_file(fw, "etc/e820", e820, 20 * n, errp) < 0)
        return -1;
    if (cfg->boot_reboot_timeout >= 0) {
        uint8_t w[4];
        st32_le(w, (uint32_t)cfg->boot_reboot_timeout);
        if (fw_cfg_add_file(fw, "etc/boot-fail-wait", w, 4, errp) < 0)
            return -1;
    }
    if (cfg->nographic) {
        /* SeaBIOS's serial console: screen output mirrored on COM1. */
        uint8_t port[2];
        st16_le(port, 0x3f8);
        if (fw_cfg_add_file(fw, "etc/sercon-port", port, 2, errp) < 0)
            return -1;
    }
    return 0;
}

/* ---- construction ---------------------------------------------------------------- */

static Device *make(PCBoard *b, const char *name, const char *props, Error **errp)
{
    return device_create(&b->m, name, props, errp);
}

static int load_bios(PCBoard *b, Error **errp)
{
    PemuConfig *cfg = b->cfg;
    uint64_t len = 0;
    uint8_t *data = NULL;

    if (cfg->no_firmware && !cfg->kernel) {
        error_setg(errp, "-machine firmware=none needs -kernel: there is nothing else to run");
        return -1;
    }
    if (!cfg->no_firmware) {
        char *path = firmware_find(cfg->bios ? cfg->bios : "bios.bin", cfg->firmware_dirs,
                                   cfg->nfirmware_dirs, "seabios", errp);
        if (!path)
            return -1;
        data = firmware_load(path, BIOS_MAX, &len, errp);
        if (data && (len % 65536) != 0) {
            error_setg(errp, "-bios %s: size %llu is not a multiple of 64 KiB", path,
                       (unsigned long long)len);
            free(data);
            data = NULL;
        }
        free(path);
        if (!data)
            return -1;
    } else {
        /* No firmware: a 64 KiB ROM of HLTs with an IRET at F000:FF53, the
         * address real BIOSes use for their dummy interrupt handler. */
        len = 65536;
        data = malloc(len);
        if (!data)
            pemu_abort("out of memory");
        memset(data, 0xf4, len);
        data[0xff53] = 0xcf;
    }
    b->bios = memory_region_new_rom("pc.bios", len, NULL, errp);
    if (!b->bios) {
        free(data);
        return -1;
    }
    memcpy(memory_region_get_ram_ptr(b->bios), data, len);
    free(data);
    return 0;
}

static int make_chardevs(PCBoard *b, Error **errp)
{
    for (int i = 0; i < b->cfg->nchardevs; i++) {
        if (chardev_find(b->cfg->chardevs[i].id))
            continue;
        if (!chardev_new_config(&b->cfg->chardevs[i], errp))
            return -1;
    }
    return 0;
}

static int make_isa(PCBoard *b, Error **errp)
{
    PemuConfig *cfg = b->cfg;
    char props[256];

    b->pic = make(b, "i8259", NULL, errp);
    if (!b->pic)
        return -1;
    /* The 8259's INTA cycle answers ExtINT requests from LINT0. */
    apic_set_extint(b->apic, b->m.intack, b->m.intack_opaque);
    b->m.intack = apic_intack;
    b->m.intack_opaque = b->apic;
    for (int i = 0; i < MACHINE_ISA_IRQS; i++) {
        /* IRQ 2 is the cascade: no IO APIC pin; IRQ 0 is on pin 2. */
        IRQLine *to[2] = { i8259_irq_in(b->pic, i),
                           i == 2 ? NULL : ioapic_pin(b->ioapic, i ? i : 2) };
        b->isa_split[i] = irq_split(to, 2);
        b->m.isa_irq[i] = b->isa_split[i];
    }
    if (!make(b, "isa-pit", NULL, errp) || !make(b, "isa-pcspk", NULL, errp))
        return -1;
    b->rtc = make(b, "mc146818rtc", NULL, errp);
    if (!b->rtc)
        return -1;
    static const char *const bases[] = { "utc", "localtime", NULL };
    static const char *const clocks[] = { "host", "rt", "vm" };
    char date[32];
    const char *base = cfg->rtc_base == RTC_BASE_DATE ? date : bases[cfg->rtc_base];
    if (cfg->rtc_base == RTC_BASE_DATE) {
        time_t t = (time_t)cfg->rtc_date;
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
    }
    if (mc146818_setup(b->rtc, base, clocks[cfg->rtc_clock], errp) < 0)
        return -1;

    for (int i = 0; i < cfg->nserial; i++) {
        if (!cfg->serial[i])
            continue;
        snprintf(props, sizeof(props), "index=%d,chardev=%s", i, cfg->serial[i]);
        if (!make(b, "isa-serial", props, errp))
            return -1;
    }
    if (cfg->debugcon_chardev) {
        snprintf(props, sizeof(props), "chardev=%s", cfg->debugcon_chardev);
        if (!make(b, "isa-debugcon", props, errp))
            return -1;
    }
    Device *kbc = make(b, "i8042", NULL, errp);
    if (!kbc)
        return -1;
    i8042_set_a20_line(kbc, a20_gate_input(b->a20, A20_SRC_KBC));
    return 0;
}

/* A local APIC per CPU (APIC ID = CPU index, CPU 0 the BSP) and the IO
 * APIC, before any ISA device. */
static int make_apics(PCBoard *b, Error **errp)
{
    Machine *m = &b->m;
    b->apic_bus = apic_bus_new(m);
    apic_bus_set_current_hook(b->apic_bus, current_apic, b);
    for (unsigned i = 0; i < b->ncpus; i++) {
        PCCpu *c = &b->cpus[i];
        c->b = b;
        c->index = (int)i;
        c->intr_out = irq_new(cpu_intr_set, b, (int)i);
        c->nmi_out = irq_new(cpu_nmi_set, b, (int)i);
        c->apic = apic_init(m, b->apic_bus, (uint8_t)i, i == 0, c->intr_out, c->nmi_out, errp);
        if (!c->apic)
            return -1;
        apic_set_startup_hook(c->apic, cpu_startup_ipi, c);
        device_add_existing(m, apic_device(c->apic));
    }
    b->apic = b->cpus[0].apic;
    m->cpu_intr = apic_lint(b->apic, 0);
    m->cpu_nmi = apic_lint(b->apic, 1);
    /* IO APIC ID 0 as on QEMU (SeaBIOS's MP table and MADT say so) */
    b->ioapic = ioapic_init(m, b->apic_bus, IOAPIC_DEFAULT_BASE, 0, 0x20, errp);
    if (!b->ioapic)
        return -1;
    device_add_existing(m, b->ioapic);
    for (int i = 0; i < IOAPIC_NUM_PINS && i < MACHINE_GSI_IRQS; i++)
        m->gsi[i] = ioapic_pin(b->ioapic, i);
    return 0;
}

static int open_drive(const DriveConfig *d, bool cd, BlockBackend **out, Error **errp)
{
    *out = NULL;
    if (!d->file)
        return 0; /* an empty drive */
    int flags = (d->readonly || cd ? 0 : BDRV_O_RDWR) | (d->snapshot ? BDRV_O_SNAPSHOT : 0);
    *out = blk_open(d->file, d->format, flags, errp);
    return *out ? 0 : -1;
}

/* -fda/-fdb, -drive if=floppy: the ISA floppy controller with the 8237 DMA
 * pair. Drive A is always present (empty without -fda), as on QEMU. */
static int make_floppy(PCBoard *b, Error **errp)
{
    if (!make(b, "i8257", NULL, errp))
        return -1;
    b->fdc = make(b, "isa-fdc", NULL, errp);
    if (!b->fdc)
        return -1;
    bool have_a = false;
    for (int i = 0; i < b->cfg->ndrives; i++) {
        DriveConfig *d = &b->cfg->drives[i];
        if (d->iface != DRIVE_IF_FLOPPY)
            continue;
        if (open_drive(d, false, &b->fd_blk[d->unit], errp) < 0)
            return -1;
        if (fdc_attach(b->fdc, d->unit, b->fd_blk[d->unit], d->readonly, errp) < 0)
            return -1;
        have_a |= d->unit == 0;
    }
    return have_a ? 0 : fdc_attach(b->fdc, 0, NULL, false, errp);
}

/* -hda..-hdd, -cdrom, -drive if=ide: the PIIX3 IDE function (01.1). */
static int make_ide(PCBoard *b, Error **errp)
{
    BlockBackend *blk[4] = { NULL };
    bool cd[4] = { false };
    BlockCacheMode cache[4] = { BLK_CACHE_WRITEBACK, BLK_CACHE_WRITEBACK,
                                BLK_CACHE_WRITEBACK, BLK_CACHE_WRITEBACK };
    for (int i = 0; i < b->cfg->ndrives; i++) {
        DriveConfig *d = &b->cfg->drives[i];
        if (d->iface != DRIVE_IF_IDE)
            continue;
        int n = d->bus * 2 + d->unit;
        cd[n] = d->media == DRIVE_MEDIA_CDROM;
        _Static_assert(BLK_CACHE_UNSAFE == (int)DRIVE_CACHE_UNSAFE &&
                       BLK_CACHE_DIRECTSYNC == (int)DRIVE_CACHE_DIRECTSYNC, "cache enums differ");
        cache[n] = (BlockCacheMode)d->cache;
        if (open_drive(d, cd[n], &blk[n], errp) < 0) {
            for (int k = 0; k < 4; k++)
                if (blk[k])
                    blk_close(blk[k]);
            return -1;
        }
    }
    PIIXIDEState *ide = piix_ide_init(&b->m, i440fx_bus(b->i440fx), blk, cd, cache, errp);
    if (!ide)
        return -1;
    device_add_existing(&b->m, piix_ide_device(ide));
    return 0;
}

static int make_user_devices(PCBoard *b, Error **errp)
{
    for (int i = 0; i < b->cfg->ndevices; i++) {
        DeviceConfig *dc = &b->cfg->devices[i];
        const DeviceClass *cls = device_class_find(dc->driver);
        if (!cls || !cls->user_creatable) {
            error_setg(errp, "-device %s: no device named '%s' (-device help lists them)", dc->raw,
                       dc->driver);
            return -1;
        }
        if (!device_create(&b->m, dc->driver, strchr(dc->raw, ',') ? strchr(dc->raw, ',') + 1 : "",
                           errp))
            return -1;
    }
    return 0;
}

/* -vga std: the PCI VGA at 00:02.0, as on QEMU's pc machine; its ROM BAR
 * holds vgabios-stdvga.bin, which SeaBIOS runs (nothing to run with
 * firmware=none). */
static int make_vga(PCBoard *b, Error **errp)
{
    if (b->cfg->vga != VGA_STD)
        return 0;
    return make(b, "VGA", b->cfg->no_firmware ? "addr=02.0,romfile=" : "addr=02.0", errp) ? 0 : -1;
}

/* -kernel: a Multiboot kernel, else a Linux bzImage (whose parser names
 * what is wrong with anything else). */
static int open_kernel(PCBoard *b, Error **errp)
{
    PemuConfig *cfg = b->cfg;
    if (!cfg->kernel) {
        if (cfg->initrd || cfg->append) {
            error_setg(errp, "-initrd or -append only allowed with -kernel option");
            return -1;
        }
        return 0;
    }
    /* "could not load kernel 'FILE': ...", as QEMU says it */
    int mb = multiboot_probe(cfg->kernel, errp);
    if (mb < 0)
        return -1;
    if (mb) {
        size_t n = strlen(cfg->kernel) + (cfg->append ? strlen(cfg->append) : 0) + 2;
        b->mb_cmdline = malloc(n);
        if (!b->mb_cmdline)
            pemu_abort("out of memory");
        snprintf(b->mb_cmdline, n, "%s%s%s", cfg->kernel, cfg->append ? " " : "",
                 cfg->append ? cfg->append : "");
        b->multiboot = true;
        return 0;
    }
    if (linuxboot_open(&b->linux, cfg->kernel, cfg->initrd, cfg->append, errp) < 0)
        return -1;
    b->linux_boot = true;
    return 0;
}

static int check_unsupported(PemuConfig *cfg, Error **errp)
{
    for (int i = 0; i < cfg->ndrives; i++) {
        DriveConfig *d = &cfg->drives[i];
        if (d->iface == DRIVE_IF_VIRTIO) {
            error_setg(errp, "%s: virtio drives are not supported yet", d->origin);
            return -1;
        }
    }
    return 0;
}

Machine *pc_machine_new(PemuConfig *cfg, Error **errp)
{
    PCBoard *b = calloc(1, sizeof(*b));
    if (!b)
        pemu_abort("out of memory");
    Machine *m = &b->m;
    b->cfg = cfg;
    m->type = "pc";
    m->config = cfg;
    m->board = b;
    m->ram_size = cfg->ram_size;

    if (check_unsupported(cfg, errp) < 0 || open_kernel(b, errp) < 0)
        goto fail;
    m->sysmem = memory_region_new_container("system", UINT64_MAX, NULL);
    m->as = address_space_new("memory", m->sysmem);
    m->io = ioport_space_new("io");
    b->ncpus = cfg->cpus ? cfg->cpus : 1;
    if (b->ncpus > PEMU_MAX_CPUS)
        b->ncpus = PEMU_MAX_CPUS; /* options.c refuses more */
    b->a20_mask = ~0ull;
    b->a20_out = irq_new(a20_set, b, 0);
    b->a20 = a20_gate_new(b->a20_out);
    m->a20 = a20_gate_input(b->a20, A20_SRC_PORT92);
    m->reset_request = irq_new(reset_set, b, 0);
    m->shutdown_request = irq_new(shutdown_set, b, 0);

    b->ram = memory_region_new_ram("pc.ram", cfg->ram_size, NULL, errp);
    if (!b->ram || load_bios(b, errp) < 0)
        goto fail;
    b->i440fx = i440fx_init(m, b->ram, b->bios, errp);
    if (!b->i440fx)
        goto fail;
    device_add_existing(m, i440fx_device(b->i440fx));
    b->piix3 = piix3_init(m, i440fx_bus(b->i440fx), errp);
    if (!b->piix3)
        goto fail;
    device_add_existing(m, piix3_device(b->piix3));
    if (make_chardevs(b, errp) < 0 || make_apics(b, errp) < 0 || make_isa(b, errp) < 0 ||
        make_ide(b, errp) < 0)
        goto fail;
    b->pm = acpi_piix4_init(m, errp);
    if (!b->pm)
        goto fail;
    device_add_existing(m, b->pm);
    if (make_floppy(b, errp) < 0)
        goto fail;
    b->fw_cfg = fw_cfg_init_io(m, FW_CFG_IO_BASE, true, errp);
    if (!b->fw_cfg)
        goto fail;
    device_add_existing(m, fw_cfg_device(b->fw_cfg));
    if (fw_cfg_setup(b, errp) < 0 || make_vga(b, errp) < 0 || make_user_devices(b, errp) < 0)
        goto fail;
    if (b->linux_boot && !cfg->no_firmware && linuxboot_setup_fw_cfg(&b->linux, b->fw_cfg, errp) < 0)
        goto fail;
    cmos_setup(b);
    return m;
fail:
    pc_machine_free(m);
    return NULL;
}

void pc_machine_free(Machine *m)
{
    if (!m)
        return;
    PCBoard *b = board(m);
    device_free_all(m);
    for (int i = 0; i < 2; i++)
        if (b->fd_blk[i])
            blk_close(b->fd_blk[i]);
    chardev_free_all();
    apic_bus_free(b->apic_bus);
    for (int i = 0; i < MACHINE_ISA_IRQS; i++)
        irq_free(b->isa_split[i]);
    for (unsigned i = 0; i < b->ncpus; i++) {
        irq_free(b->cpus[i].intr_out);
        irq_free(b->cpus[i].nmi_out);
    }
    a20_gate_free(b->a20);   /* frees its inputs, m->a20 among them */
    irq_free(b->a20_out);
    irq_free(m->reset_request);
    irq_free(m->shutdown_request);
    if (m->io)
        ioport_space_free(m->io);
    if (m->as)
        address_space_free(m->as);
    if (b->bios)
        memory_region_free(b->bios);
    if (b->ram)
        memory_region_free(b->ram);
    if (m->sysmem)
        memory_region_free(m->sysmem);
    free(b->mb_cmdline);
    linuxboot_close(&b->linux);
    free(b);
}

/* ---- direct Multiboot boot ---------------------------------------------------------- */

/* Program one 8259 the way a BIOS leaves it: edge-triggered, cascade, 8086 mode. */
static void pic_init(IOPortSpace *io, uint16_t base, uint8_t vector, uint8_t icw3)
{
    ioport_write(io, base, 0x11, 1);         /* ICW1: edge, cascade, ICW4 */
    ioport_write(io, base + 1, vector, 1);   /* ICW2: vector base */
    ioport_write(io, base + 1, icw3, 1);     /* ICW3 */
    ioport_write(io, base + 1, 0x01, 1);     /* ICW4: 8086 mode */
    ioport_write(io, base + 1, 0x00, 1);     /* OCW1: nothing masked */
}

static void flat_seg(X86Segment *s, uint16_t sel, uint32_t type)
{
    s->selector = sel;
    s->base = 0;
    s->limit = 0xffffffff;
    s->flags = DESC_P_MASK | DESC_S_MASK | DESC_B_MASK | DESC_G_MASK | DESC_A_MASK | type;
}

static int multiboot_start(PCBoard *b, Error **errp)
{
    Machine *m = &b->m;
    PemuConfig *cfg = b->cfg;
    X86State *s = &b->cpu->env;
    uint64_t below = i440fx_below_4g(b->i440fx);
    MultibootRange map[] = {
        { 0, 0x9fc00, 1 }, { 0x9fc00, 0x400, 2 }, { 0xf0000, 0x10000, 2 },
        { 0x100000, below - 0x100000, 1 }, { 0x100000000ull, i440fx_above_4g(b->i440fx), 1 },
    };
    unsigned nmap = i440fx_above_4g(b->i440fx) ? 5 : 4;

    if (multiboot_load(m->as, below, cfg->kernel, b->mb_cmdline, cfg->initrd, map, nmap, &b->mbi,
                       errp) < 0)
        return -1;
    /* The IVT: every vector at the BIOS's dummy IRET, F000:FF53. */
    for (int v = 0; v < 256; v++)
        address_space_stl_le(m->as, (uint64_t)v * 4, 0xf000ff53u);
    /* A GDT at 0x500: null, flat 32-bit code (0x08), flat data (0x10). */
    static const uint8_t gdt[24] = {
        0, 0, 0, 0, 0, 0, 0, 0,
        0xff, 0xff, 0, 0, 0, 0x9b, 0xcf, 0,
        0xff, 0xff, 0, 0, 0, 0x93, 0xcf, 0,
    };
    address_space_write(m->as, 0x500, gdt, sizeof(gdt));
    pic_init(m->io, 0x20, 0x08, 0x04);
    pic_init(m->io, 0xa0, 0x70, 0x02);

    s->gdt.base = 0x500;
    s->gdt.limit = sizeof(gdt) - 1;
    s->idt.base = 0;
    s->idt.limit = 0x3ff;
    s->cr[0] = CR0_PE | CR0_ET;
    flat_seg(&s->segs[R_CS], 0x08, DESC_CS_MASK | DESC_R_MASK);
    for (int i = 0; i < X86_NB_SEGS; i++)
        if (i != R_CS)
            flat_seg(&s->segs[i], 0x10, DESC_W_MASK);
    s->regs[R_EAX] = MULTIBOOT_BOOTLOADER_MAGIC;
    s->regs[R_EBX] = b->mbi.info_addr;
    s->rip = b->mbi.entry;
    s->a20_mask = ~0ull;
    x86_update_hflags(s);
    return 0;
}

/* ---- direct Linux boot (firmware=none) ------------------------------------------------ */

static int linux_start(PCBoard *b, Error **errp)
{
    X86State *s = &b->cpu->env;
    uint64_t below = i440fx_below_4g(b->i440fx), above = i440fx_above_4g(b->i440fx);
    /* The map SeaBIOS would report: low RAM, EBDA, BIOS area, RAM above 1 MiB. */
    LinuxE820 map[] = {
        { 0, 0x9fc00, 1 }, { 0x9fc00, 0x400, 2 }, { 0xf0000, 0x10000, 2 },
        { 0x100000, below - 0x100000, 1 }, { 0x100000000ull, above, 1 },
    };
    LinuxEntry e;
    if (linuxboot_load_direct(&b->linux, b->m.as, below, map, above ? 5 : 4,
                              b->cfg->vga == VGA_STD, cpu_has_long_mode(b->cpu), &e, errp) < 0)
        return -1;
    s->gdt.base = e.gdt_base;
    s->gdt.limit = e.gdt_limit;
    s->idt.base = 0;
    s->idt.limit = 0;
    s->cr[0] = CR0_PE | CR0_ET;
    flat_seg(&s->segs[R_CS], 0x10, DESC_CS_MASK | DESC_R_MASK);
    for (int i = 0; i < X86_NB_SEGS; i++)
        if (i != R_CS)
            flat_seg(&s->segs[i], 0x18, DESC_W_MASK);
    if (e.long_mode) {
        s->segs[R_CS].flags = (s->segs[R_CS].flags & ~DESC_B_MASK) | DESC_L_MASK;
        s->cr[3] = e.cr3;
        s->cr[4] |= CR4_PAE;
        s->efer |= EFER_LME | EFER_LMA;
        s->cr[0] |= CR0_PG;
    }
    /* ESI = boot_params; EBP, EDI and EBX must be 0; interrupts off (reset state). */
    for (int i = 0; i < 8; i++)
        s->regs[i] = 0;
    s->regs[R_ESI] = e.boot_params;
    s->rip = e.entry;
    s->a20_mask = ~0ull;
    x86_update_hflags(s);
    return 0;
}

/* ---- the CPU ------------------------------------------------------------------------- */

static int cpu_boot_state(PCBoard *b, Error **errp)
{
    x86_cpu_reset(b->cpu);
    if (b->multiboot)
        return multiboot_start(b, errp);
    if (b->linux_boot && b->cfg->no_firmware)
        return linux_start(b, errp);
    return 0;
}

int pc_connect_cpu(Machine *m, X86CPU *cpu, Error **errp)
{
    PCBoard *b = board(m);
    if (b->nconnected >= b->ncpus) {
        error_setg(errp, "the pc board has %u CPU(s) (-smp): no room for another", b->ncpus);
        return -1;
    }
    unsigned i = b->nconnected++;
    PCCpu *c = &b->cpus[i];
    c->cpu = cpu;
    cpu->apic_id = i;
    cpu->io = m->io;
    /* The boot CPU's APIC fronts the 8259 (ExtINT); the others ask their own. */
    cpu->intack = i == 0 ? m->intack : apic_intack;
    cpu->intack_opaque = i == 0 ? m->intack_opaque : (void *)c->apic;
    cpu->shutdown = cpu_shutdown;
    cpu->shutdown_opaque = b;
    cpu->apic_hooks = &pc_apic_hooks;
    cpu->apic = c->apic;
    /* The board's CPU model (there is no -cpu yet): family 6 model 26
     * stepping 5, a Nehalem, the first Intel model with the x86-64-v2 set
     * pemu implements. Not 0 (SeaBIOS then skips its APIC/SMP setup, Linux's
     * setup reports an "i086"), and not QEMU's qemu32 signature 0x663: Linux
     * clears PAT on Intel family 6 models below 15 (an old erratum). */
    if (!cpu->cpuid_version)
        cpu->cpuid_version = 0x106a5;
    if (i) {
        cpu_wait_for_sipi(b, cpu);
        return 0;
    }
    b->cpu = cpu;
    /* SMBIOS describes the processor: built once the boot CPU exists. */
    if (smbios_setup(b, errp) < 0)
        return -1;
    return cpu_boot_state(b, errp);
}

void pc_powerdown(Machine *m)
{
    PCBoard *b = board(m);
    if (b->pm)
        acpi_piix4_powerdown(b->pm);
}

void pc_print_lapic(Machine *m, FILE *f)
{
    PCBoard *b = board(m);
    for (unsigned i = 0; i < b->ncpus; i++)
        if (b->cpus[i].apic)
            apic_print(b->cpus[i].apic, f);
}

void pc_print_irq_stats(Machine *m, FILE *f)
{
    PCBoard *b = board(m);
    for (Device *d = m->devices; d; d = d->next)
        if (!strcmp(d->cls->name, "i8259"))
            i8259_print_irq_stats(d, f);
    if (b->ioapic)
        ioapic_print_irq_stats(b->ioapic, f);
}

void pc_print_ioapic(Machine *m, FILE *f)
{
    PCBoard *b = board(m);
    if (b->ioapic)
        ioapic_print(b->ioapic, f);
}

bool pc_reset_requested(Machine *m)
{
    return board(m)->reset_requested;
}

void pc_reset(Machine *m)
{
    PCBoard *b = board(m);
    Error *err = NULL;
    b->reset_requested = false;
    device_reset_all(m);
    for (unsigned i = 1; i < b->nconnected; i++)
        cpu_wait_for_sipi(b, b->cpus[i].cpu);
    if (b->cpu) {
        softmmu_flush_all(&b->cpu->parent);
        tb_flush();
        if (cpu_boot_state(b, &err) < 0) {
            /* the kernel file vanished or changed since start-up */
            error_report_err(err);
            machine_request_exit(m, 1);
        }
    }
}
