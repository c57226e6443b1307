/*
 * The pemu command line, spelled like QEMU's: `-opt arg` or `--opt arg`,
 * key=value lists with ",," for a literal comma, sizes with K/M/G/T/P/E
 * suffixes, and a positional disk image (`pemu disk.img` == `-hda disk.img`).
 *
 * options_parse() turns argv into a PemuConfig that later stages consume.
 * Nothing here prints to stderr or opens files: every error comes back
 * through Error **errp with a message naming the option and the value, e.g.
 * "-m 12X: invalid size (...)"; main() prints it as "pemu: -m 12X: ...".
 */
#ifndef PEMU_OPTIONS_H
#define PEMU_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "src/error.h"

#ifndef PEMU_VERSION
#define PEMU_VERSION "0.1.0"
#endif

#define PEMU_MAX_SERIAL     4     /* COM1..COM4 */
#define PEMU_MAX_CPUS       255   /* the i440FX "pc" board's limit */
#define PEMU_DEFAULT_RAM    (128ull << 20)
#define PEMU_MAX_RAM        (1ull << 40)
#define PEMU_IDE_BUSES      2     /* PIIX3: primary and secondary channel */
#define PEMU_IDE_UNITS      2     /* master and slave */
#define PEMU_FLOPPY_UNITS   2     /* drives A: and B: on the one controller */
#define PEMU_VIRTIO_DRIVES  32
#define PEMU_ICOUNT_MAX_SHIFT 10
#define PEMU_GDB_DEFAULT    "tcp::1234" /* what -s means */

/* ---- generic helpers ---------------------------------------------------- */

/* One key=value pair of a list such as "file=a.img,if=ide". */
typedef struct OptionPair {
    char *key;
    char *value;
} OptionPair;

typedef struct OptionList {
    OptionPair *v;
    int n;
    bool implied;       /* v[0] came from the implied key (a bare value) */
} OptionList;

/*
 * Parse "a=1,b=x,,y" (QEMU's rules): elements are separated by ',' and ",,"
 * in a value is a literal comma. When implied_key is non-NULL and the first
 * element has no '=', that element is the value of implied_key ("-m 512",
 * "-boot d", "-display sdl,gl=off"). Any other element without '=' is a flag:
 * "server" means server=on and "nowait" means wait=off. Pairs keep their
 * order; a repeated key is kept twice (options_list_get returns the last).
 * On error *list is left empty.
 */
int options_list_parse(const char *str, const char *implied_key, OptionList *list,
                       Error **errp);
const char *options_list_get(const OptionList *list, const char *key);
/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (hex) into 16 bytes in that order: 0, or -1. */
int options_parse_uuid(const char *s, uint8_t uuid[16]);
void options_list_free(OptionList *list);

/*
 * Sizes as QEMU spells them: a decimal number (a fraction needs a suffix:
 * "1.5G") or 0x hexadecimal (no suffix), then an optional suffix B (bytes),
 * K, M, G, T, P or E (powers of 1024, either case). A number without a
 * suffix is multiplied by default_unit (1 for bytes, 1 << 20 for -m).
 */
int options_parse_size(const char *str, uint64_t default_unit, uint64_t *size,
                       Error **errp);
/* Unsigned integers: decimal or 0x hexadecimal, no sign, no leading zeros
 * read as octal, no trailing characters, overflow is an error. */
int options_parse_uint(const char *str, uint64_t *value, Error **errp);
/* on/off, yes/no, true/false. */
int options_parse_bool(const char *str, bool *value, Error **errp);

/* ---- the configuration -------------------------------------------------- */

typedef enum DriveInterface {
    DRIVE_IF_IDE,       /* PIIX3 IDE: index = bus * 2 + unit, index 0-3 */
    DRIVE_IF_FLOPPY,    /* the ISA floppy controller: unit 0 (A:) and 1 (B:) */
    DRIVE_IF_VIRTIO,    /* one virtio-blk PCI device per drive */
    DRIVE_IF_NONE,      /* a backend only, for -device ...,drive=ID */
} DriveInterface;

typedef enum DriveMedia {
    DRIVE_MEDIA_DISK,
    DRIVE_MEDIA_CDROM,
} DriveMedia;

typedef enum DriveCache {
    DRIVE_CACHE_WRITEBACK,      /* host page cache, guest flushes honoured (default) */
    DRIVE_CACHE_WRITETHROUGH,   /* every write flushed before completion */
    DRIVE_CACHE_NONE,           /* bypass the host page cache (O_DIRECT) */
    DRIVE_CACHE_UNSAFE,         /* guest flushes ignored */
    DRIVE_CACHE_DIRECTSYNC,     /* O_DIRECT and every write flushed */
} DriveCache;

/* One -drive, -hda..-hdd, -cdrom, -fda/-fdb or positional image. */
typedef struct DriveConfig {
    char *file;             /* image path; NULL = no medium (CD-ROM, floppy) */
    char *format;           /* format= as given; NULL = probe. The block layer
                               checks the name, not the parser */
    char *id;               /* id= or QEMU's default name: ide0-hd0, ide1-cd0,
                               floppy0, virtio0, none0 */
    DriveInterface iface;
    DriveMedia media;
    int index;              /* position on the interface; -1 for if=none */
    int bus, unit;          /* IDE: bus 0-1, unit 0-1; floppy: bus 0, unit
                               0-1; virtio: bus 0, unit = index; none: -1 */
    bool snapshot;          /* writes go to a temporary overlay, dropped at
                               exit (snapshot=on, or -snapshot unless
                               snapshot=off was given) */
    bool snapshot_explicit; /* internal: snapshot= was given on this drive */
    bool readonly;          /* readonly=on; always true for CD-ROMs */
    DriveCache cache;
    char *origin;           /* the option as typed, for messages:
                               "-hda disk.img", "-drive file=x,if=ide" */
} DriveConfig;

typedef enum ChardevBackend {
    CHARDEV_NULL,       /* output discarded, no input */
    CHARDEV_STDIO,      /* the terminal pemu runs in (raw mode) */
    CHARDEV_FILE,       /* output written to path, no input */
    CHARDEV_PIPE,       /* path.in / path.out (or path for both) */
    CHARDEV_PTY,        /* a new pseudo-terminal; its name is printed */
    CHARDEV_VC,         /* a console of the display (curses: Alt+digit) */
    CHARDEV_SOCKET,     /* TCP (host/port) or Unix (path) socket */
} ChardevBackend;

/* A character backend, from -chardev or made by a legacy option
 * (-serial stdio, -monitor tcp:..., -gdb ...). */
typedef struct ChardevConfig {
    char *id;           /* -chardev id=; legacy ones get serial0..3,
                           compat_monitor0.., gdb, debugcon */
    ChardevBackend backend;
    bool mux;           /* shared by several front ends (mux=on, "mon:"):
                           Ctrl-A c switches between them */
    char *path;         /* file or pipe path, or Unix socket path (NULL
                           for TCP and the other backends) */
    char *host;         /* TCP host; "" = any address (server) / localhost */
    int port;           /* TCP port 0-65535, -1 for a Unix socket */
    bool server;        /* listen instead of connect */
    bool wait;          /* server: wait for a client before starting */
    bool telnet;        /* speak telnet (also "telnet:" legacy spelling) */
    bool nodelay;       /* TCP_NODELAY */
    int reconnect;      /* client: seconds between reconnect attempts, 0 = off */
    bool append;        /* file: append instead of truncating */
    bool signal;        /* stdio: Ctrl-C stops pemu (default on) */
    bool implicit;      /* made by a legacy option, not -chardev */
    char *origin;       /* the option as typed, for messages */
} ChardevConfig;

/* A monitor (HMP or QMP) on a chardev. */
typedef struct MonitorConfig {
    char *chardev;      /* id in PemuConfig.chardevs */
    bool qmp;           /* mode=control (-qmp) rather than readline (-monitor) */
    bool pretty;        /* QMP: indent JSON (-qmp-pretty, pretty=on) */
    bool is_default;    /* QEMU's default monitor (not asked for by the user) */
} MonitorConfig;

/* One -device: "driver,prop=value,...". */
typedef struct DeviceConfig {
    char *raw;          /* the argument as typed */
    char *driver;       /* the first element ("isa-debug-exit") */
    OptionList props;   /* the rest, in order (device.c checks them) */
} DeviceConfig;

/* One -global driver.prop=value (or driver=,property=,value=). */
typedef struct GlobalConfig {
    char *driver, *property, *value;
} GlobalConfig;

typedef enum DisplayKind {
    DISPLAY_DEFAULT,    /* not chosen: see options_default_display() */
    DISPLAY_NONE,
    DISPLAY_CURSES,
    DISPLAY_SDL,
} DisplayKind;

typedef enum VgaKind {
    VGA_STD,            /* Bochs VBE "std" VGA (the default) */
    VGA_NONE,
} VgaKind;

typedef enum AccelKind {
    ACCEL_TCG,          /* translation: the interpreter (or JIT) */
    ACCEL_KVM,
} AccelKind;

typedef enum RtcBase {
    RTC_BASE_UTC,
    RTC_BASE_LOCALTIME,
    RTC_BASE_DATE,      /* start at rtc_date */
} RtcBase;

typedef enum RtcClock {
    RTC_CLOCK_HOST,     /* host wall clock (default) */
    RTC_CLOCK_RT,       /* host monotonic clock */
    RTC_CLOCK_VM,       /* virtual clock: stops with the guest */
} RtcClock;

typedef struct PemuConfig {
    /* Requests answered by main() instead of running a guest. */
    bool show_help;             /* -h, -help, --help */
    bool show_version;          /* -version */
    bool device_help;           /* -device help / -device ? / -device X,help */
    char *device_help_driver;   /* X for "-device X,help", else NULL */
    bool cpu_help;              /* -cpu help */
    bool display_help;          /* -display help */
    bool machine_help;          /* -machine help */
    bool log_help;              /* -d help */

    /* Machine. */
    char *machine_type;         /* -M/-machine type ("pc") */
    bool no_firmware;           /* -machine firmware=none: no BIOS is loaded,
                                   the guest starts at the reset vector of
                                   whatever -kernel or the images provide */
    bool graphics;              /* -machine graphics=on|off (off = -nographic) */
    uint64_t ram_size;          /* -m, bytes (default 128 MiB) */
    uint64_t maxmem;            /* -m maxmem=, bytes (== ram_size: no hotplug) */
    unsigned cpus;              /* -smp: CPUs present at start */
    unsigned sockets, dies, cores, threads;
    unsigned maxcpus;           /* sockets * dies * cores * threads */
    char *cpu_model;            /* -cpu model, NULL = the machine's default */
    char *cpu_features;         /* -cpu model,<this>: "+sse4.2,-x2apic";
                                   NULL if none; the CPU model checks it */
    AccelKind accel[2];         /* -accel / -machine accel= / -enable-kvm, */
    int naccel;                 /*   in order of preference; 0 = tcg */
    bool tcg_multi_thread;      /* -accel tcg,thread=multi */
    uint64_t tcg_tb_size;       /* -accel tcg,tb-size=MiB; 0 = default */
    bool singlestep;            /* -singlestep: one guest insn per block */

    /* Firmware, boot and kernel. */
    char *bios;                 /* -bios FILE (or -machine firmware=FILE) */
    char **firmware_dirs;       /* -L DIR, in order given */
    int nfirmware_dirs;
    char boot_order[8];         /* -boot order=: "cd"; "" = firmware default */
    char boot_once[8];          /* -boot once=: order for the first boot only */
    bool boot_menu;             /* -boot menu=on */
    char *boot_splash;          /* -boot splash=FILE */
    int boot_splash_time;       /* -boot splash-time=ms, -1 unset */
    int boot_reboot_timeout;    /* -boot reboot-timeout=ms, -1 unset */
    bool boot_strict;           /* -boot strict=on: only the listed devices */
    char *kernel, *initrd, *append; /* -kernel, -initrd, -append */

    /* Block devices. */
    DriveConfig *drives;        /* in command-line order */
    int ndrives;
    bool snapshot;              /* -snapshot: default snapshot=on for drives */
    char *loadvm;               /* -loadvm NAME */

    /* Display. */
    DisplayKind display;        /* -display; DISPLAY_NONE after -nographic */
    bool nographic;             /* -nographic (serial+monitor on stdio) */
    bool full_screen;           /* -full-screen, -display sdl,full-screen=on */
    char *curses_charset;       /* -display curses,charset=CP437; NULL = CP437 */
    bool sdl_show_cursor;       /* -display sdl,show-cursor=on */
    bool sdl_window_close;      /* -display sdl,window-close=off: keep running
                                   when the window is closed (default on) */
    VgaKind vga;                /* -vga std|none (none with -nodefaults) */
    char *keyboard_layout;      /* -k en-us; NULL = none set */

    /* Character devices and consoles. After parsing, every front end names
     * a chardev id in chardevs[]; defaults are already applied: serial0 on
     * vc (mon:stdio with -nographic), a monitor on vc (or muxed on stdio). */
    ChardevConfig *chardevs;
    int nchardevs;
    char *serial[PEMU_MAX_SERIAL]; /* chardev ids of COM1..COMn */
    int nserial;
    MonitorConfig *monitors;    /* -monitor, -qmp, -qmp-pretty, -mon */
    int nmonitors;
    char *gdb_chardev;          /* -gdb / -s; NULL = no gdbstub */
    char *debugcon_chardev;     /* -debugcon: isa-debugcon at port 0xe9 */
    int echr;                   /* -echr: the mux escape key (1 = Ctrl-A) */
    bool nodefaults;            /* -nodefaults: no default serial, monitor, VGA */

    /* Devices. */
    DeviceConfig *devices;      /* -device, in order */
    int ndevices;
    GlobalConfig *globals;      /* -global */
    int nglobals;
    bool net_none;              /* -nic none / -net none (pemu adds no NIC
                                   by default anyway) */

    /* Run control and debugging. */
    bool start_stopped;         /* -S */
    bool no_reboot;             /* -no-reboot: exit instead of rebooting */
    bool no_shutdown;           /* -no-shutdown: stop instead of exiting */
    uint32_t log_mask;          /* -d, from log_parse_mask() */
    char *log_file;             /* -D FILE (opened by main, not the parser) */
    char *log_filter;           /* -dfilter ranges (checked by log_set_filter) */
    bool icount;                /* -icount given */
    int icount_shift;           /* 0..10: 2^shift ns per insn; -1 = auto */
    bool icount_sleep;          /* sleep=on (default): track real time */
    bool icount_align;          /* align=on */
    RtcBase rtc_base;           /* -rtc base= */
    int64_t rtc_date;           /* base=DATE as seconds since 1970 UTC */
    RtcClock rtc_clock;         /* -rtc clock= */
    bool rtc_driftfix_slew;     /* -rtc driftfix=slew */

    /* Firmware tables. */
    OptionList *smbios;         /* -smbios, in order (hw/smbios.c checks the fields) */
    int nsmbios;
    uint8_t uuid[16];           /* -uuid, RFC 4122 byte order */
    bool has_uuid;

    /* Process. */
    char *name;                 /* -name NAME (guest=), window titles */
    char *process_name;         /* -name process= */
    bool debug_threads;         /* -name debug-threads=on */
    char *pidfile;              /* -pidfile FILE */
    bool overcommit_mem_lock;   /* -overcommit mem-lock=on */
    bool overcommit_cpu_pm;     /* -overcommit cpu-pm=on */
    bool msg_timestamp;         /* -msg timestamp=on */
    bool msg_guest_name;        /* -msg guest-name=on */
} PemuConfig;

/*
 * Parse argv[1..argc-1] into *cfg (which need not be initialised). On
 * success returns 0 and the caller frees with options_config_free(). On
 * failure returns -1 with *errp set and *cfg already freed (and zeroed).
 * Help requests (-h, -device help, -d help, ...) are flags in *cfg; the
 * parse still succeeds.
 */
int options_parse(int argc, char **argv, PemuConfig *cfg, Error **errp);
void options_config_free(PemuConfig *cfg);

/* The ChardevConfig with this id, or NULL. */
ChardevConfig *options_find_chardev(const PemuConfig *cfg, const char *id);

/*
 * The display to use when -display was not given: SDL when it is built in
 * and $DISPLAY or $WAYLAND_DISPLAY is set, else curses when it is built in
 * and stdout is a terminal, else none. Pure, for main() and the tests.
 */
DisplayKind options_default_display(bool have_sdl, bool have_curses,
                                    bool have_window_system, bool stdout_is_tty);

/* -h text and -version text. */
void options_print_help(FILE *f);
void options_print_version(FILE *f);

#endif
