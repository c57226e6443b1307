/*
 * pemu: program entry. Parse the command line, answer the help requests,
 * set up logging, then build the machine and run it. Exit status: 0 after
 * a help answer or a guest that powered off, 1 on any error.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hw/pc.h"
#include "hw/i8259.h"
#include "hw/pci.h"
#include "ports/term.h"
#include "src/accel/accel.h"
#include "src/chardev.h"
#include "src/device.h"
#include "src/error.h"
#include "src/gdbstub.h"
#include "src/log.h"
#include "src/irq.h"
#include "src/mainloop.h"
#include "src/memory.h"
#include "src/monitor.h"
#include "src/options.h"
#include "src/physmem.h"
#include "src/qmp.h"
#include "src/tb.h"
#include "src/x86/disas.h"
#include "src/x86/dump.h"
#include "src/x86/gdb.h"
#include "src/x86/helper_sys.h"
#include "src/x86/target.h"
#include "ui/display.h"
#include "ui/vc.h"
#include "ui/input.h"
#include "src/firmware.h"
#include "src/x86/pgdump.h"
#include "src/blockdev.h"
#include "src/icount.h"
#include "src/savevm.h"
#include "src/timer.h"
#ifdef CONFIG_CURSES
#include "ui/curses.h"
#ifdef CONFIG_SDL
#include "ui/sdl2.h"
#endif
#endif

/* "-device NAME,help": 0 when answered. */
static int print_device_props(const char *name)
{
    const DeviceClass *cls = device_class_find(name);
    if (!cls || !cls->user_creatable) {
        error_report("-device %s,help: no device named '%s' (-device help lists them)", name, name);
        return -1;
    }
    device_print_props(stdout, cls);
    return 0;
}

/* The requests that are answered instead of running a guest: -1 if there
 * were none, else the exit status. */
static int answer_requests(const PemuConfig *cfg)
{
    int answered = 0, status = 0;

    if (cfg->show_help) {
        options_print_help(stdout);
        return 0;
    }
    if (cfg->show_version) {
        options_print_version(stdout);
        return 0;
    }
    if (cfg->log_help) {
        log_print_help(stdout);
        answered = 1;
    }
    if (cfg->machine_help) {
        printf("Supported machines are:\n"
               "pc                   Standard PC (i440FX + PIIX3) (default)\n");
        answered = 1;
    }
    if (cfg->display_help) {
        /* QEMU's wording; only the backends this build has */
        printf("Available display backend types:\nnone\n");
#ifdef CONFIG_CURSES
        printf("curses\n");
#endif
#ifdef CONFIG_SDL
        printf("sdl\n");
#endif
        answered = 1;
    }
    if (cfg->cpu_help) {
        printf("Available CPUs:\n(no CPU models are built yet)\n");
        answered = 1;
    }
    if (cfg->device_help) {
        if (cfg->device_help_driver) {
            if (print_device_props(cfg->device_help_driver) < 0)
                status = 1;
        } else {
            device_print_help(stdout);
        }
        answered = 1;
    }
    return answered ? status : -1;
}

static int setup_logging(const PemuConfig *cfg)
{
    Error *err = NULL;
    log_set_mask(cfg->log_mask);
    if (cfg->log_file && log_set_file(cfg->log_file, &err) < 0) {
        error_report_err(err);
        return -1;
    }
    if (cfg->log_filter && log_set_filter(cfg->log_filter, &err) < 0) {
        error_report_err(err);
        return -1;
    }
    return 0;
}

static DisplayKind choose_display(const PemuConfig *cfg)
{
    const char *x = getenv("DISPLAY"), *w = getenv("WAYLAND_DISPLAY");
    bool have_sdl = false, have_curses = false;
    if (cfg->display != DISPLAY_DEFAULT)
        return cfg->display;
#ifdef CONFIG_SDL
    have_sdl = true;
#endif
#ifdef CONFIG_CURSES
    have_curses = true;
#endif
    return options_default_display(have_sdl, have_curses, (x && *x) || (w && *w),
                                   isatty(STDOUT_FILENO));
}

/* Options that are recognised but whose feature is not built yet. */
static int refuse_unbuilt(const PemuConfig *cfg, DisplayKind display)
{
    const char *what = NULL;
    (void)display; /* -display sdl without SDL is refused by the option parser */
    if (cfg->icount && cfg->icount_align)
        what = "-icount align=on (slowing the guest to host time)";
    else if (cfg->maxcpus > cfg->cpus)
        what = "-smp maxcpus above the CPU count (CPU hotplug)";
    else if (cfg->naccel && cfg->accel[0] != ACCEL_TCG)
        what = "-accel kvm";
    if (what) {
        error_report("%s: not supported yet", what);
        return -1;
    }
    return 0;
}

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
    got_signal = 1;
    /* The orderly exit restores the terminal too; doing it now already
     * keeps it sane if the exit takes long or a second signal kills us. */
    term_restore();
    signal(sig, SIG_DFL);
    mainloop_signal_exit(MAINLOOP_EXIT_QUIT);
}

/* The monitor's view of the machine (MonitorOps). */
typedef struct GuestRefs {
    Machine *m;
    X86CPU *cpu;
} GuestRefs;

static void mon_registers(FILE *f, void *o) { x86_cpu_dump_state(f, ((GuestRefs *)o)->cpu); }
static void mon_mtree(FILE *f, void *o) { memory_mtree_print(f, ((GuestRefs *)o)->m->as); }

static void mon_pci(FILE *f, void *o)
{
    PCIBus *bus = pci_bus_find(((GuestRefs *)o)->m);
    if (bus)
        pci_print_info(f, bus);
}

/* Through the board's reset line: the accelerator resets between slices.
 * host_reset tells the RESET event who asked. */
static bool host_reset;
static void mon_reset(void *o)
{
    host_reset = true;
    irq_pulse(((GuestRefs *)o)->m->reset_request);
}

static void board_reset(Machine *m)
{
    qmp_event_reset(!host_reset, host_reset ? "host-qmp-system-reset" : "guest-reset");
    host_reset = false;
    pc_reset(m);
}
static void mon_powerdown(void *o)
{
    pc_powerdown(((GuestRefs *)o)->m);
    qmp_event_emit("POWERDOWN", NULL);
}
static int qmp_powerdown(void *o, Error **errp)
{
    (void)errp;
    pc_powerdown(((GuestRefs *)o)->m);
    return 0;
}
static void mon_lapic(FILE *f, void *o) { pc_print_lapic(((GuestRefs *)o)->m, f); }
static void mon_ioapic(FILE *f, void *o) { pc_print_ioapic(((GuestRefs *)o)->m, f); }
static void mon_stop(void *o) { (void)o; accel_vm_stop(); }
static void mon_cont(void *o) { (void)o; accel_vm_cont(); }
static bool mon_running(void *o) { (void)o; return accel_vm_running(); }

/* Linear (through the page tables, without faulting) or physical. */
static int mon_read(void *o, uint64_t addr, bool phys, void *buf, size_t len)
{
    GuestRefs *r = o;
    uint8_t *p = buf;
    while (len) {
        uint64_t pa = addr, page_left = TARGET_PAGE_SIZE - (addr & (TARGET_PAGE_SIZE - 1));
        size_t n = len < page_left ? len : (size_t)page_left;
        if (!phys) {
            uint32_t prot;
            X86State *s = &r->cpu->env;
            if (!x86_tlb_fill(&r->cpu->parent, addr, MMU_DATA_LOAD, x86_mmu_index(s), true, &pa,
                              &prot))
                return -1;
            pa |= addr & (TARGET_PAGE_SIZE - 1);
        }
        address_space_read(r->m->as, pa, p, n);
        p += n;
        addr += n;
        len -= n;
    }
    return 0;
}

static int mon_disas(void *o, uint64_t addr, bool phys, char *buf, size_t n)
{
    GuestRefs *r = o;
    uint8_t bytes[16];
    unsigned avail = sizeof(bytes);
    /* The bytes may end at an unmapped page: take what can be read. */
    while (avail && mon_read(o, addr, phys, bytes, avail) < 0)
        avail = avail > 1 ? avail / 2 : 0;
    if (!avail)
        return -1;
    uint32_t hf = r->cpu->env.hflags;
    X86Mode mode = (hf & HF_CS64) ? X86_MODE_64 : (hf & HF_CS32) ? X86_MODE_32 : X86_MODE_16;
    return x86_disas_bytes(buf, n, bytes, avail, mode, addr);
}

/* Every CPU; '*' marks the monitor's (the boot CPU: there is no `cpu N`). */
static void mon_cpus(FILE *f, void *o)
{
    GuestRefs *r = o;
    for (CPUState *c = &r->cpu->parent; c; c = c->next_cpu) {
        X86State *s = &x86_cpu(c)->env;
        fprintf(f, "%c CPU #%d: pc=0x%016" PRIx64 "%s thread_id=%d\n", c == &r->cpu->parent ? '*' : ' ',
                c->cpu_index, s->segs[R_CS].base + s->rip, c->halted || c->stopped ? " (halted)" : "",
                (int)getpid());
    }
}

static void mon_pic(FILE *f, void *o)
{
    for (Device *d = ((GuestRefs *)o)->m->devices; d; d = d->next)
        if (!strcmp(d->cls->name, "i8259"))
            i8259_print(d, f);
}

static void mon_tlb(FILE *f, void *o) { x86_print_tlb(f, ((GuestRefs *)o)->cpu); }
static void mon_irq(FILE *f, void *o) { pc_print_irq_stats(((GuestRefs *)o)->m, f); }
static void mon_jit(FILE *f, void *o) { (void)o; tb_print_stats(f); }
static void mon_mice(FILE *f, void *o) { (void)o; input_print_mice(f); }
static void mon_block(FILE *f, void *o) { blockdev_print_info(f, ((GuestRefs *)o)->m); }
static void mon_blockstats(FILE *f, void *o) { blockdev_print_stats(f, ((GuestRefs *)o)->m); }
static int mon_eject(void *o, const char *dev, bool force, Error **errp)
{
    return blockdev_eject(((GuestRefs *)o)->m, dev, force, errp);
}
static int mon_commit(void *o, const char *dev, Error **errp)
{
    return blockdev_commit(((GuestRefs *)o)->m, dev, errp);
}
static int mon_change(void *o, const char *dev, const char *file, const char *fmt, Error **errp)
{
    return blockdev_change(((GuestRefs *)o)->m, dev, file, fmt, errp);
}
static void mon_mem(FILE *f, void *o) { x86_print_mem(f, ((GuestRefs *)o)->cpu); }
static int mon_savevm(void *o, const char *name, Error **errp)
{
    return savevm_save(((GuestRefs *)o)->m, name, errp);
}
static int mon_loadvm(void *o, const char *name, Error **errp)
{
    return savevm_load(((GuestRefs *)o)->m, name, errp);
}
static int mon_delvm(void *o, const char *name, Error **errp)
{
    return savevm_delete(((GuestRefs *)o)->m, name, errp);
}
static void mon_snapshots(FILE *f, void *o) { savevm_print_info(f, ((GuestRefs *)o)->m); }

static int start_monitors(const PemuConfig *cfg, GuestRefs *refs)
{
    MonitorOps ops = {
        .opaque = refs, .print_registers = mon_registers, .print_mtree = mon_mtree,
        .print_pci = mon_pci, .system_reset = mon_reset, .stop = mon_stop, .cont = mon_cont,
        .running = mon_running, .system_powerdown = mon_powerdown, .print_lapic = mon_lapic,
        .print_ioapic = mon_ioapic, .read_memory = mon_read, .disas = mon_disas,
        .print_cpus = mon_cpus, .print_pic = mon_pic, .print_tlb = mon_tlb, .print_mem = mon_mem,
        .print_block = mon_block, .print_blockstats = mon_blockstats, .print_irq = mon_irq,
        .print_jit = mon_jit, .print_mice = mon_mice, .eject = mon_eject, .change = mon_change,
        .commit = mon_commit, .savevm = mon_savevm, .loadvm = mon_loadvm, .delvm = mon_delvm,
        .print_snapshots = mon_snapshots,
    };
    monitor_set_ops(&ops);
    QmpMachine qm = { refs->m, &refs->cpu->parent, cfg->start_stopped, refs, mon_reset,
                      qmp_powerdown };
    qmp_cmds_register(&qm);
    gdbstub_set_target(&x86_gdb_ops);
    gdbstub_monitor_init();
    for (int i = 0; i < cfg->nmonitors; i++) {
        const MonitorConfig *mc = &cfg->monitors[i];
        Chardev *chr = mc->chardev ? chardev_find(mc->chardev) : NULL;
        Error *err = NULL;
        if (!chr)
            continue; /* -monitor none */
        if (mc->qmp ? !qmp_monitor_new(chr, mc->pretty, &err) : !monitor_new(chr, &err)) {
            error_report_err(err);
            return -1;
        }
    }
    if (cfg->gdb_chardev) {
        Chardev *chr = chardev_find(cfg->gdb_chardev);
        Error *err = NULL;
        if (chr && !gdbstub_start(chr, &err)) {
            error_report_err(err);
            return -1;
        }
    }
    return 0;
}

/*
 * The display's consoles: the guest's screen (console 0, made by the VGA),
 * then a terminal for each vc chardev, the monitors' first (QEMU's order:
 * Alt-1 guest, Alt-2 monitor, Alt-3 serial).
 */
#ifdef CONFIG_SDL
static void sdl_powerdown(void *m)
{
    pc_powerdown(m);
}
static bool sdl_running(void *opaque)
{
    (void)opaque;
    return accel_vm_running();
}
#endif

static int start_display(const PemuConfig *cfg, DisplayKind display, Machine *m)
{
    if (display != DISPLAY_CURSES && display != DISPLAY_SDL)
        return 0;
    for (int pass = 0; pass < 2; pass++)
        for (Chardev *c = chardev_next(NULL); c; c = chardev_next(c)) {
            bool is_mon = false;
            for (int i = 0; i < cfg->nmonitors; i++)
                is_mon |= cfg->monitors[i].chardev && !strcmp(cfg->monitors[i].chardev, chardev_id(c));
            if (chardev_is_vc(c) && is_mon == (pass == 0))
                vc_new(is_mon ? "monitor" : chardev_id(c), c, 80, 25);
        }
#ifdef CONFIG_CURSES
    if (display == DISPLAY_CURSES) {
        Error *err = NULL;
        if (curses_display_init(cfg->curses_charset, &err) < 0) {
            error_report_err(err);
            return -1;
        }
    }
#endif
#ifdef CONFIG_SDL
    if (display == DISPLAY_SDL) {
        Error *err = NULL;
        /* the monitor and serial consoles are drawn with the VGA BIOS's font */
        char *path = firmware_find("vgabios-stdvga.bin", cfg->firmware_dirs, cfg->nfirmware_dirs,
                                   "seabios", &err);
        uint64_t len = 0;
        uint8_t *rom = path ? firmware_load(path, 1u << 20, &len, &err) : NULL;
        if (!rom || vc_set_font_from_vga_bios(rom, (size_t)len) < 0) {
            warn_report("-display sdl: no font for the monitor and serial consoles (%s)",
                        err ? err->msg : "vgabios-stdvga.bin has no 8x16 font");
        }
        error_free(err);
        err = NULL;
        free(rom);
        free(path);
        /* window-close=off: closing the window does nothing */
        SdlDisplayOptions o = { cfg->name, cfg->full_screen,
                                cfg->sdl_window_close ? sdl_powerdown : NULL, sdl_running, m };
        if (sdl_display_init(&o, &err) < 0) {
            error_report_err(err);
            return -1;
        }
    }
#else
    (void)m;
#endif
    return 0;
}

static void stop_display(void)
{
#ifdef CONFIG_CURSES
    curses_display_fini();
#endif
#ifdef CONFIG_SDL
    sdl_display_fini();
#endif
    vc_free_all();
}

/* -loadvm NAME: the machine as that snapshot saved it, before it runs. */
static int load_snapshot(const PemuConfig *cfg, Machine *m)
{
    Error *err = NULL;
    if (!cfg->loadvm || savevm_load(m, cfg->loadvm, &err) == 0)
        return 0;
    error_report("-loadvm %s: %s", cfg->loadvm, err->msg);
    error_free(err);
    return -1;
}

static const AccelBoardOps pc_accel_ops = { pc_reset_requested, board_reset };

/* Build the machine from cfg and run it until it exits. */
static int run_guest(PemuConfig *cfg)
{
    DisplayKind display = choose_display(cfg);
    Error *err = NULL;

    if (refuse_unbuilt(cfg, display) < 0)
        return 1;
    mainloop_init();
    chardev_mux_set_escape(cfg->echr);
    Machine *m = pc_machine_new(cfg, &err);
    if (!m) {
        error_report_err(err);
        return 1;
    }
    tb_init(cfg->tcg_tb_size << 20);
    /* shift=auto: QEMU adapts the rate to the host, which is not
     * reproducible; pemu keeps its starting rate, 2^3 ns. */
    if (cfg->icount)
        icount_enable(cfg->icount_shift < 0 ? 3 : cfg->icount_shift, cfg->icount_sleep);
    /* -smp N: N CPUs, the boot CPU first (the monitor's and gdb's default). */
    unsigned ncpus = cfg->cpus ? cfg->cpus : 1;
    X86CPU *cpus = calloc(ncpus, sizeof(*cpus)), *cpu = cpus;
    if (!cpus)
        fatal("out of memory");
    for (unsigned i = 0; i < ncpus; i++) {
        cpu_init(&cpus[i].parent, &x86_target_ops, physmem_bind(m->as));
        if (pc_connect_cpu(m, &cpus[i], &err) < 0) {
            error_report_err(err);
            for (unsigned j = 0; j <= i; j++)
                cpu_exit_list(&cpus[j].parent);
            pc_machine_free(m);
            free(cpus);
            return 1;
        }
    }
    /* savevm's sections beyond the devices: the clock and every vCPU */
    clock_vmstate_register();
    for (unsigned i = 0; i < ncpus; i++)
        x86_cpu_vmstate_register(&cpus[i]);
    GuestRefs refs = { m, cpu };
    if (start_display(cfg, display, m) < 0 || start_monitors(cfg, &refs) < 0 ||
        load_snapshot(cfg, m) < 0) {
        stop_display();
        monitor_free_all();
        qmp_monitor_free_all();
        for (unsigned i = 0; i < ncpus; i++)
            cpu_exit_list(&cpus[i].parent);
        pc_machine_free(m);
        free(cpus);
        return 1;
    }
    /* Said once the machine is up, so that configuration errors come first. */
    if (display == DISPLAY_NONE && cfg->display == DISPLAY_DEFAULT && !cfg->nographic)
        warn_report("no display: stdout is not a terminal (use -nographic for the serial "
                    "console and the monitor here, or -display none to silence this)");
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    if (cfg->start_stopped)
        accel_vm_stop(); /* -S: the monitor's cont starts the CPU */
    int status = tcg_run(m, &cpu->parent, &pc_accel_ops);
    if (mainloop_exit_requested() == MAINLOOP_EXIT_QUIT)
        qmp_event_shutdown(false, got_signal ? "host-signal" : "host-qmp-quit");
    else
        qmp_event_shutdown(true, "guest-shutdown");
    chardev_flush_all(1000000000);
    if (log_enabled(LOG_STATS))
        tb_print_stats(log_file());
    gdbstub_stop();
    for (unsigned i = 0; i < ncpus; i++)
        cpu_exit_list(&cpus[i].parent);
    stop_display();
    monitor_free_all();
    qmp_monitor_free_all();
    pc_machine_free(m);
    free(cpus);
    return status;
}

int main(int argc, char **argv)
{
    PemuConfig cfg;
    Error *err = NULL;
    int status;

    error_set_progname("pemu");
    if (options_parse(argc, argv, &cfg, &err) < 0) {
        error_report_err(err);
        return 1;
    }
    status = answer_requests(&cfg);
    if (status < 0)
        status = setup_logging(&cfg) < 0 ? 1 : run_guest(&cfg);
    options_config_free(&cfg);
    fflush(stdout);
    log_flush();
    return status;
}
