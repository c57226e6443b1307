/* The QEMU-spelling command-line parser: argv -> PemuConfig. */
#include "src/options.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "src/log.h"

/* ---- allocation --------------------------------------------------------- */

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        pemu_abort("out of memory");
    return p;
}

static char *xstrndup(const char *s, size_t n)
{
    char *d = xrealloc(NULL, n + 1);
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

static char *xstrdup(const char *s)
{
    return s ? xstrndup(s, strlen(s)) : NULL;
}

static char *xasprintf(const char *fmt, ...) PEMU_PRINTF(1, 2);
static char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = xrealloc(NULL, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

/* Grow a dynamic array by one zeroed element and return it. */
#define VEC_PUSH(arr, n) \
    ((arr) = xrealloc((arr), ((size_t)(n) + 1) * sizeof(*(arr))), \
     memset(&(arr)[(n)], 0, sizeof(*(arr))), &(arr)[(n)++])

static void set_str(char **dst, const char *s)
{
    free(*dst);
    *dst = xstrdup(s);
}

/* Re-raise a helper's context-free error as "<opt> <what>: <message>". */
static int fail_in(Error **errp, Error *e, const char *opt, const char *what)
{
    error_setg(errp, "%s %s: %s", opt, what, e->msg);
    error_free(e);
    return -1;
}

/* ---- key=value lists ---------------------------------------------------- */

/* Read a value up to a single ',' ("a,,b" is "a,b"); *pp ends on the ',' or NUL. */
static char *read_value(const char **pp)
{
    const char *p = *pp;
    size_t n = 0;
    char *v = xrealloc(NULL, strlen(p) + 1);
    while (*p) {
        if (*p == ',') {
            if (p[1] != ',')
                break;
            p++;
        }
        v[n++] = *p++;
    }
    v[n] = 0;
    *pp = p;
    return v;
}

int options_list_parse(const char *str, const char *implied_key, OptionList *list,
                       Error **errp)
{
    const char *p = str;
    list->v = NULL;
    list->n = 0;
    list->implied = false;

    while (*p) {
        const char *q = p;
        char *key, *value;
        while (*q && *q != '=' && *q != ',')
            q++;
        if (*q == '=') {
            key = xstrndup(p, (size_t)(q - p));
            p = q + 1;
            value = read_value(&p);
        } else if (p == str && implied_key) {
            key = xstrdup(implied_key);
            value = read_value(&p);
            list->implied = true;
        } else if (q - p > 2 && !strncmp(p, "no", 2)) {
            /* QEMU's short form for booleans: "nowait" is wait=off. */
            key = xstrndup(p + 2, (size_t)(q - p - 2));
            value = xstrdup("off");
            p = q;
        } else {
            key = xstrndup(p, (size_t)(q - p));
            value = xstrdup("on");
            p = q;
        }
        if (!*key) {
            free(key);
            free(value);
            options_list_free(list);
            error_setg(errp, "empty parameter name in '%s'", str);
            return -1;
        }
        OptionPair *pr = VEC_PUSH(list->v, list->n);
        pr->key = key;
        pr->value = value;
        if (*p == ',')
            p++;
    }
    return 0;
}

const char *options_list_get(const OptionList *list, const char *key)
{
    for (int i = list->n - 1; i >= 0; i--)
        if (!strcmp(list->v[i].key, key))
            return list->v[i].value;
    return NULL;
}

void options_list_free(OptionList *list)
{
    for (int i = 0; i < list->n; i++) {
        free(list->v[i].key);
        free(list->v[i].value);
    }
    free(list->v);
    list->v = NULL;
    list->n = 0;
    list->implied = false;
}

/* ---- numbers ------------------------------------------------------------ */

static int digit_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return 99;
}

/* Digits in base 10 or 16 from *pp; -1 if none, -2 on overflow. */
static int read_digits(const char **pp, unsigned base, uint64_t *v)
{
    const char *p = *pp;
    uint64_t x = 0;
    int n = 0;
    while (digit_value((unsigned char)*p) < (int)base) {
        unsigned d = (unsigned)digit_value((unsigned char)*p++);
        if (x > (UINT64_MAX - d) / base)
            return -2;
        x = x * base + d;
        n++;
    }
    if (!n)
        return -1;
    *pp = p;
    *v = x;
    return 0;
}

int options_parse_uint(const char *str, uint64_t *value, Error **errp)
{
    const char *p = str;
    unsigned base = 10;
    int r;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    }
    r = read_digits(&p, base, value);
    if (r == -2) {
        error_setg(errp, "number too large");
        return -1;
    }
    if (r < 0 || *p) {
        error_setg(errp, "invalid number (use a decimal or 0x hexadecimal integer)");
        return -1;
    }
    return 0;
}

#define SIZE_HELP "use a number with an optional B, K, M, G, T, P or E suffix, like 512M or 1.5G"

int options_parse_size(const char *str, uint64_t default_unit, uint64_t *size,
                       Error **errp)
{
    static const char suffixes[] = "bkmgtpe";
    const char *p = str;
    uint64_t ip, mul = default_unit, fbytes = 0;
    double frac = 0;
    int hex = 0, has_frac = 0, r;

    if (!isdigit((unsigned char)*p))
        goto bad;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        hex = 1;
        p += 2;
        r = read_digits(&p, 16, &ip);
    } else {
        r = read_digits(&p, 10, &ip);
        if (r == 0 && *p == '.') {
            double scale = 0.1;
            p++;
            if (!isdigit((unsigned char)*p))
                goto bad;
            has_frac = 1;
            for (; isdigit((unsigned char)*p); p++, scale /= 10)
                frac += (*p - '0') * scale;
        }
    }
    if (r == -2)
        goto too_large;
    if (r < 0)
        goto bad;
    if (*p) {
        const char *s = strchr(suffixes, tolower((unsigned char)*p));
        if (!s || p[1] || hex || (has_frac && *s == 'b'))
            goto bad;
        mul = 1ull << (10 * (s - suffixes));
    } else if (has_frac) {
        goto bad; /* "1.5" alone is ambiguous: QEMU wants a suffix too */
    }
    if (ip > UINT64_MAX / mul)
        goto too_large;
    if (has_frac)
        fbytes = (uint64_t)(frac * (double)mul); /* < mul: fits */
    if (ip * mul > UINT64_MAX - fbytes)
        goto too_large;
    *size = ip * mul + fbytes;
    return 0;
bad:
    error_setg(errp, "invalid size (" SIZE_HELP ")");
    return -1;
too_large:
    error_setg(errp, "size too large (at most 16E - 1)");
    return -1;
}

int options_parse_bool(const char *str, bool *value, Error **errp)
{
    if (!strcmp(str, "on") || !strcmp(str, "yes") || !strcmp(str, "true")) {
        *value = true;
        return 0;
    }
    if (!strcmp(str, "off") || !strcmp(str, "no") || !strcmp(str, "false")) {
        *value = false;
        return 0;
    }
    error_setg(errp, "invalid value (use on or off)");
    return -1;
}

/* ---- the option table --------------------------------------------------- */

enum {
    G_STD, G_BLOCK, G_BOOT, G_DISPLAY, G_CHAR, G_DEBUG, G_UNSUPPORTED, G_HIDDEN,
};

static const char *const group_names[] = {
    "Standard options", "Block devices", "Boot and kernel", "Display",
    "Character devices and consoles", "Debug and expert options",
};

#define OPT_ARG 1           /* takes the next argv word */
#define OPT_UNSUPPORTED 2   /* a QEMU option pemu does not do yet */

typedef enum OptionId {
    O_HELP, O_VERSION, O_MACHINE, O_CPU, O_ACCEL, O_ENABLE_KVM, O_SMP, O_M, O_K,
    O_NAME, O_RTC, O_DEVICE, O_UUID, O_SMBIOS, O_GLOBAL, O_NIC, O_NODEFAULTS, O_NO_USER_CONFIG,
    O_NO_HPET, O_PIDFILE, O_OVERCOMMIT, O_MSG,
    O_FDA, O_FDB, O_HDA, O_HDB, O_HDC, O_HDD, O_CDROM, O_DRIVE, O_SNAPSHOT, O_LOADVM,
    O_BOOT, O_BIOS, O_L, O_KERNEL, O_INITRD, O_APPEND, O_NO_REBOOT, O_NO_SHUTDOWN,
    O_DISPLAY, O_NOGRAPHIC, O_FULL_SCREEN, O_VGA,
    O_SERIAL, O_PARALLEL, O_MONITOR, O_QMP, O_QMP_PRETTY, O_MON, O_CHARDEV,
    O_DEBUGCON, O_ECHR,
    O_STOPPED, O_GDB_DEFAULT, O_GDB, O_LOG, O_LOGFILE, O_DFILTER, O_ICOUNT,
    O_SINGLESTEP, O_UNSUPPORTED,
} OptionId;

typedef struct OptionDef {
    const char *name;       /* without the dash */
    OptionId id;
    uint8_t flags;
    uint8_t group;
    const char *spell;      /* left column of -h: "-m [size=]megs[,...]" */
    const char *help;       /* one line (a '\n' continues it) */
} OptionDef;

static const OptionDef option_defs[] = {
    /* Standard options */
    { "h", O_HELP, 0, G_STD, "-h or -help", "display this help and exit" },
    { "help", O_HELP, 0, G_HIDDEN, NULL, NULL },
    { "version", O_VERSION, 0, G_STD, "-version", "display version information and exit" },
    { "machine", O_MACHINE, OPT_ARG, G_STD,
      "-machine [type=]name[,prop[=value][,...]]",
      "select the machine (also -M; '-machine help' lists them)\n"
      "accel=tcg|kvm[:...] accelerators in order of preference\n"
      "firmware=none|FILE  start without a BIOS, or use FILE as one\n"
      "graphics=on|off     whether the firmware may use a display\n"
      "usb=off             (usb=on is not supported yet)" },
    { "M", O_MACHINE, OPT_ARG, G_HIDDEN, NULL, NULL },
    { "cpu", O_CPU, OPT_ARG, G_STD, "-cpu model[,+feature|-feature][,...]",
      "select the CPU model ('-cpu help' lists them)" },
    { "accel", O_ACCEL, OPT_ARG, G_STD, "-accel [accel=]name[,prop=value][,...]",
      "select an accelerator; repeat it to give fallbacks\n"
      "tcg: translation and the interpreter (default);\n"
      "     thread=single|multi, tb-size=MiB of translation cache\n"
      "kvm: the host's KVM" },
    { "enable-kvm", O_ENABLE_KVM, 0, G_STD, "-enable-kvm", "use KVM (the same as -accel kvm)" },
    { "smp", O_SMP, OPT_ARG, G_STD,
      "-smp [cpus=]n[,maxcpus=n][,sockets=n][,dies=n][,cores=n][,threads=n]",
      "set the number of CPUs (default 1) and their topology; missing\n"
      "counts are derived preferring sockets, as QEMU does" },
    { "m", O_M, OPT_ARG, G_STD, "-m [size=]megs[,slots=n,maxmem=size]",
      "set guest RAM (default 128M); a plain number is MiB, suffixes\n"
      "K, M, G, T are powers of 1024 (1.5G works); slots and a larger\n"
      "maxmem (memory hotplug) are not supported yet" },
    { "k", O_K, OPT_ARG, G_STD, "-k language",
      "keyboard layout of the host (en-us, de, fr, ...)" },
    { "name", O_NAME, OPT_ARG, G_STD, "-name [guest=]name[,process=name][,debug-threads=on|off]",
      "name the guest (window titles, monitor) and the process" },
    { "rtc", O_RTC, OPT_ARG, G_STD,
      "-rtc [base=utc|localtime|DATE][,clock=host|rt|vm][,driftfix=none|slew]",
      "start the RTC at UTC (default), local time or DATE (2006-06-17\n"
      "or 2006-06-17T16:01:21) and choose the clock that drives it" },
    { "device", O_DEVICE, OPT_ARG, G_STD, "-device driver[,prop=value][,...]",
      "add a device ('-device help' lists them, '-device driver,help'\n"
      "its properties)" },
    { "uuid", O_UUID, OPT_ARG, G_STD, "-uuid %08x-%04x-%04x-%04x-%012x",
      "the machine's UUID (SMBIOS type 1, fw_cfg; SeaBIOS prints it)" },
    { "smbios", O_SMBIOS, OPT_ARG, G_STD, "-smbios type=0|1|2|3|4|11|17[,field=value][,...]",
      "SMBIOS fields, in QEMU's spelling: type=0 vendor,version,date,\n"
      "release,uefi; type=1 manufacturer,product,version,serial,uuid,\n"
      "sku,family; type=2 manufacturer,product,version,serial,asset,\n"
      "location; type=3 manufacturer,version,serial,asset,sku; type=4\n"
      "sock_pfx,manufacturer,version,serial,asset,part,max-speed,\n"
      "current-speed,processor-id; type=11 value,path (OEM strings);\n"
      "type=17 loc_pfx,bank,manufacturer,serial,asset,part,speed" },
    { "global", O_GLOBAL, OPT_ARG, G_STD, "-global driver.prop=value",
      "default value of a property for every device of that type\n"
      "(also driver=D,property=P,value=V)" },
    { "nic", O_NIC, OPT_ARG, G_STD, "-nic none", "no network card (networking is not built yet)" },
    { "net", O_NIC, OPT_ARG, G_STD, "-net none", "the same as -nic none" },
    { "nodefaults", O_NODEFAULTS, 0, G_STD, "-nodefaults",
      "create no default devices (serial port, monitor, VGA)" },
    { "no-user-config", O_NO_USER_CONFIG, 0, G_STD, "-no-user-config",
      "accepted for QEMU scripts: pemu reads no configuration files" },
    { "no-hpet", O_NO_HPET, 0, G_STD, "-no-hpet",
      "accepted for QEMU scripts: the pemu PC has no HPET" },
    { "pidfile", O_PIDFILE, OPT_ARG, G_STD, "-pidfile file", "write the process id to file" },
    { "overcommit", O_OVERCOMMIT, OPT_ARG, G_STD, "-overcommit [mem-lock=on|off][,cpu-pm=on|off]",
      "lock guest memory in host RAM; let the guest idle the\n"
      "host CPU (KVM)" },
    { "msg", O_MSG, OPT_ARG, G_STD, "-msg [timestamp=on|off][,guest-name=on|off]",
      "prefix messages with the time and/or the guest name" },

    /* Block devices */
    { "fda", O_FDA, OPT_ARG, G_BLOCK, "-fda/-fdb file", "use file as floppy disk 0/1 image (A:/B:)" },
    { "fdb", O_FDB, OPT_ARG, G_HIDDEN, NULL, NULL },
    { "hda", O_HDA, OPT_ARG, G_BLOCK, "-hda/-hdb file",
      "use file as IDE hard disk 0/1 image ('disk_image' is -hda)" },
    { "hdb", O_HDB, OPT_ARG, G_HIDDEN, NULL, NULL },
    { "hdc", O_HDC, OPT_ARG, G_BLOCK, "-hdc/-hdd file", "use file as IDE hard disk 2/3 image" },
    { "hdd", O_HDD, OPT_ARG, G_HIDDEN, NULL, NULL },
    { "cdrom", O_CDROM, OPT_ARG, G_BLOCK, "-cdrom file",
      "use file as the CD-ROM image (IDE index 2: secondary master)" },
    { "drive", O_DRIVE, OPT_ARG, G_BLOCK,
      "-drive [file=file][,if=ide|floppy|virtio|none][,format=f][,media=disk|cdrom]\n"
      "       [,index=i][,bus=n,unit=m][,snapshot=on|off][,readonly=on|off]\n"
      "       [,cache=writeback|writethrough|none|unsafe|directsync]\n"
      "       [,aio=threads][,id=name]",
      "add a drive; ',,' in file= stands for a comma; without index=\n"
      "or bus=/unit= it takes the first free place on its interface" },
    { "snapshot", O_SNAPSHOT, 0, G_BLOCK, "-snapshot",
      "write to temporary overlays, not to the images (lost at exit)" },
    { "loadvm", O_LOADVM, OPT_ARG, G_BLOCK, "-loadvm tag", "start from the saved state 'tag'" },

    /* Boot and kernel */
    { "boot", O_BOOT, OPT_ARG, G_BOOT,
      "-boot [order=drives][,once=drives][,menu=on|off][,splash=file]\n"
      "      [,splash-time=ms][,reboot-timeout=ms][,strict=on|off]",
      "boot order: a, b (floppy), c (first hard disk), d (CD-ROM),\n"
      "n (network); '-boot d' is the old spelling of order=d" },
    { "bios", O_BIOS, OPT_ARG, G_BOOT, "-bios file", "use file as the BIOS (default: SeaBIOS)" },
    { "L", O_L, OPT_ARG, G_BOOT, "-L path",
      "look for the BIOS and option ROMs in path first (repeatable)" },
    { "kernel", O_KERNEL, OPT_ARG, G_BOOT, "-kernel bzImage",
      "boot a Linux kernel or multiboot image directly" },
    { "initrd", O_INITRD, OPT_ARG, G_BOOT, "-initrd file", "use file as the initial RAM disk" },
    { "append", O_APPEND, OPT_ARG, G_BOOT, "-append cmdline", "use cmdline as the kernel command line" },
    { "no-reboot", O_NO_REBOOT, 0, G_BOOT, "-no-reboot", "exit instead of rebooting" },
    { "no-shutdown", O_NO_SHUTDOWN, 0, G_BOOT, "-no-shutdown",
      "stop the guest instead of exiting when it powers off" },

    /* Display */
    { "display", O_DISPLAY, OPT_ARG, G_DISPLAY,
      "-display none|curses[,charset=CP437]|sdl[,gl=off][,show-cursor=on|off]\n"
      "         [,window-close=on|off][,full-screen=on|off]",
      "select the display: none, curses (VGA text in this terminal,\n"
      "over ssh too) or sdl (a window)" },
    { "nographic", O_NOGRAPHIC, 0, G_DISPLAY, "-nographic",
      "no display: the serial port and the monitor share this terminal\n"
      "(Ctrl-A c switches, Ctrl-A x quits, Ctrl-A h lists the keys)" },
    { "full-screen", O_FULL_SCREEN, 0, G_DISPLAY, "-full-screen", "start in full screen (SDL)" },
    { "vga", O_VGA, OPT_ARG, G_DISPLAY, "-vga std|none",
      "select the video card (std: VGA with Bochs VBE, the default)" },

    /* Character devices and consoles */
    { "serial", O_SERIAL, OPT_ARG, G_CHAR, "-serial dev",
      "connect the next serial port (COM1..COM4) to dev: stdio, vc,\n"
      "null, none, pty, file:F, pipe:P, tcp:[host]:port[,server=on]\n"
      "[,wait=off][,nodelay=on], telnet:[host]:port[,...], unix:path\n"
      "[,server=on][,wait=off], mon:dev (shared with the monitor) or\n"
      "chardev:id" },
    { "parallel", O_PARALLEL, OPT_ARG, G_CHAR, "-parallel none",
      "accepted: the pemu PC has no parallel port" },
    { "monitor", O_MONITOR, OPT_ARG, G_CHAR, "-monitor dev",
      "the human monitor (HMP) on dev (spelled as for -serial)" },
    { "qmp", O_QMP, OPT_ARG, G_CHAR, "-qmp dev", "a QMP (JSON) monitor on dev" },
    { "qmp-pretty", O_QMP_PRETTY, OPT_ARG, G_CHAR, "-qmp-pretty dev",
      "a QMP monitor on dev that indents its JSON" },
    { "mon", O_MON, OPT_ARG, G_CHAR, "-mon [chardev=]id[,mode=readline|control][,pretty=on|off]",
      "a monitor on the character device id" },
    { "chardev", O_CHARDEV, OPT_ARG, G_CHAR, "-chardev backend,id=id[,mux=on|off][,...]",
      "add a character device: null, stdio[,signal=on|off],\n"
      "file,path=F[,append=on], pipe,path=P, pty, vc,\n"
      "socket,host=H,port=P|path=S[,server=on][,wait=off][,telnet=on]\n"
      "[,nodelay=on][,reconnect=s]; mux=on lets several users share it" },
    { "debugcon", O_DEBUGCON, OPT_ARG, G_CHAR, "-debugcon dev",
      "send what the guest writes to port 0xe9 (isa-debugcon) to dev" },
    { "echr", O_ECHR, OPT_ARG, G_CHAR, "-echr n",
      "the key that starts multiplexer commands (default 1: Ctrl-A)" },

    /* Debug and expert options */
    { "S", O_STOPPED, 0, G_DEBUG, "-S", "do not start the CPU (use 'c' in the monitor or gdb)" },
    { "s", O_GDB_DEFAULT, 0, G_DEBUG, "-s", "wait for gdb on tcp::1234 (-gdb " PEMU_GDB_DEFAULT ")" },
    { "gdb", O_GDB, OPT_ARG, G_DEBUG, "-gdb dev",
      "wait for gdb on dev (tcp::port, unix:path, ...; as for -serial)" },
    { "d", O_LOG, OPT_ARG, G_DEBUG, "-d item1,...",
      "log the listed items ('-d help' lists them)" },
    { "D", O_LOGFILE, OPT_ARG, G_DEBUG, "-D logfile", "write the -d log to logfile, not stderr" },
    { "dfilter", O_DFILTER, OPT_ARG, G_DEBUG, "-dfilter range1[,...]",
      "log only blocks that start in these guest address ranges\n"
      "(0x1000..0x1fff, 0x1000+0x100, 0x1fff-0x100)" },
    { "icount", O_ICOUNT, OPT_ARG, G_DEBUG,
      "-icount [shift=]N|auto[,sleep=on|off][,align=on|off]",
      "deterministic clock: each guest instruction takes 2^N ns" },
    { "singlestep", O_SINGLESTEP, 0, G_DEBUG, "-singlestep",
      "translate one guest instruction per block" },

    /* QEMU options that pemu does not support yet: listed, and refused. */
    { "vnc", O_UNSUPPORTED, OPT_ARG | OPT_UNSUPPORTED, G_UNSUPPORTED, NULL, NULL },
    { "spice", O_UNSUPPORTED, OPT_ARG | OPT_UNSUPPORTED, G_UNSUPPORTED, NULL, NULL },
    { "usb", O_UNSUPPORTED, OPT_UNSUPPORTED, G_UNSUPPORTED, NULL, NULL },
    { "usbdevice", O_UNSUPPORTED, OPT_ARG | OPT_UNSUPPORTED, G_UNSUPPORTED, NULL, NULL },
    { "soundhw", O_UNSUPPORTED, OPT_ARG | OPT_UNSUPPORTED, G_UNSUPPORTED, NULL, NULL },
    { "audiodev", O_UNSUPPORTED, OPT_ARG | OPT_UNSUPPORTED, G_UNSUPPORTED, NULL, NULL },
    { "audio", O_UNSUPPORTED, OPT_ARG | OPT_UNSUPPORTED, G_UNSUPPORTED, NULL, NULL },
    { "netdev", O_UNSUPPORTED, OPT_ARG | OPT_UNSUPPORTED, G_UNSUPPORTED, NULL, NULL },
    { "daemonize", O_UNSUPPORTED, OPT_UNSUPPORTED, G_UNSUPPORTED, NULL, NULL },
    { "incoming", O_UNSUPPORTED, OPT_ARG | OPT_UNSUPPORTED, G_UNSUPPORTED, NULL, NULL },
    { "readconfig", O_UNSUPPORTED, OPT_ARG | OPT_UNSUPPORTED, G_UNSUPPORTED, NULL, NULL },
    { "writeconfig", O_UNSUPPORTED, OPT_ARG | OPT_UNSUPPORTED, G_UNSUPPORTED, NULL, NULL },
    { "sandbox", O_UNSUPPORTED, OPT_ARG | OPT_UNSUPPORTED, G_UNSUPPORTED, NULL, NULL },
    { "runas", O_UNSUPPORTED, OPT_ARG | OPT_UNSUPPORTED, G_UNSUPPORTED, NULL, NULL },
    { "chroot", O_UNSUPPORTED, OPT_ARG | OPT_UNSUPPORTED, G_UNSUPPORTED, NULL, NULL },
    { "object", O_UNSUPPORTED, OPT_ARG | OPT_UNSUPPORTED, G_UNSUPPORTED, NULL, NULL },
    { "trace", O_UNSUPPORTED, OPT_ARG | OPT_UNSUPPORTED, G_UNSUPPORTED, NULL, NULL },
    { "mem-path", O_UNSUPPORTED, OPT_ARG | OPT_UNSUPPORTED, G_UNSUPPORTED, NULL, NULL },
    { "mem-prealloc", O_UNSUPPORTED, OPT_UNSUPPORTED, G_UNSUPPORTED, NULL, NULL },
    { "pflash", O_UNSUPPORTED, OPT_ARG | OPT_UNSUPPORTED, G_UNSUPPORTED, NULL, NULL },
    { "blockdev", O_UNSUPPORTED, OPT_ARG | OPT_UNSUPPORTED, G_UNSUPPORTED, NULL, NULL },
    { "fsdev", O_UNSUPPORTED, OPT_ARG | OPT_UNSUPPORTED, G_UNSUPPORTED, NULL, NULL },
    { "virtfs", O_UNSUPPORTED, OPT_ARG | OPT_UNSUPPORTED, G_UNSUPPORTED, NULL, NULL },
    { "fw_cfg", O_UNSUPPORTED, OPT_ARG | OPT_UNSUPPORTED, G_UNSUPPORTED, NULL, NULL },
    { "acpitable", O_UNSUPPORTED, OPT_ARG | OPT_UNSUPPORTED, G_UNSUPPORTED, NULL, NULL },
    { "no-acpi", O_UNSUPPORTED, OPT_UNSUPPORTED, G_UNSUPPORTED, NULL, NULL },
    { "option-rom", O_UNSUPPORTED, OPT_ARG | OPT_UNSUPPORTED, G_UNSUPPORTED, NULL, NULL },
    { "watchdog", O_UNSUPPORTED, OPT_ARG | OPT_UNSUPPORTED, G_UNSUPPORTED, NULL, NULL },
    { "watchdog-action", O_UNSUPPORTED, OPT_ARG | OPT_UNSUPPORTED, G_UNSUPPORTED, NULL, NULL },
    { "numa", O_UNSUPPORTED, OPT_ARG | OPT_UNSUPPORTED, G_UNSUPPORTED, NULL, NULL },
    { "tpmdev", O_UNSUPPORTED, OPT_ARG | OPT_UNSUPPORTED, G_UNSUPPORTED, NULL, NULL },
    { "add-fd", O_UNSUPPORTED, OPT_ARG | OPT_UNSUPPORTED, G_UNSUPPORTED, NULL, NULL },
    { "plugin", O_UNSUPPORTED, OPT_ARG | OPT_UNSUPPORTED, G_UNSUPPORTED, NULL, NULL },
    { "preconfig", O_UNSUPPORTED, OPT_UNSUPPORTED, G_UNSUPPORTED, NULL, NULL },
    { "qtest", O_UNSUPPORTED, OPT_ARG | OPT_UNSUPPORTED, G_UNSUPPORTED, NULL, NULL },
    { "action", O_UNSUPPORTED, OPT_ARG | OPT_UNSUPPORTED, G_UNSUPPORTED, NULL, NULL },
    { "iscsi", O_UNSUPPORTED, OPT_ARG | OPT_UNSUPPORTED, G_UNSUPPORTED, NULL, NULL },
};

static const OptionDef *option_find(const char *name)
{
    for (size_t i = 0; i < PEMU_ARRAY_SIZE(option_defs); i++)
        if (!strcmp(option_defs[i].name, name))
            return &option_defs[i];
    return NULL;
}

/* ---- parse state -------------------------------------------------------- */

/* A front end's "chardev:ID" (or -mon chardev=ID), checked once all
 * -chardev options are known. */
typedef struct ChardevRef {
    char *id;
    char *origin;
} ChardevRef;

typedef struct ParseState {
    PemuConfig *cfg;
    const char *opt;        /* the option being parsed, as typed ("--m") */
    const char *arg;        /* its argument */
    bool default_serial, default_monitor;
    bool display_given, vga_given, machine_accel_given, accel_option_given;
    bool smp_given;
    unsigned smp[6];        /* cpus, maxcpus, sockets, dies, cores, threads; 0 = unset */
    char *smp_origin;
    char *bios_origin;      /* "-bios x" or "-machine firmware=x" */
    int compat_monitors;    /* numbering of compat_monitorN */
    ChardevRef *refs;
    int nrefs;
} ParseState;

/* "key=value" as the user wrote it (just "value" for an implied key). */
static char *elem_text(const OptionList *l, int i, const char *implied)
{
    if (i == 0 && implied && l->implied)
        return xstrdup(l->v[0].value);
    return xasprintf("%s=%s", l->v[i].key, l->v[i].value);
}

/* Fail with "<opt> <elem>: <fmt...>" for element i of l. */
static int elem_fail(ParseState *st, Error **errp, const OptionList *l, int i,
                     const char *implied, const char *fmt, ...) PEMU_PRINTF(6, 7);
static int elem_fail(ParseState *st, Error **errp, const OptionList *l, int i,
                     const char *implied, const char *fmt, ...)
{
    va_list ap;
    char *what = elem_text(l, i, implied);
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *msg = xrealloc(NULL, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(msg, (size_t)n + 1, fmt, ap);
    va_end(ap);
    error_setg(errp, "%s %s: %s", st->opt, what, msg);
    free(msg);
    free(what);
    return -1;
}

static int find_key(const OptionList *l, const char *key)
{
    for (int i = l->n - 1; i >= 0; i--)
        if (!strcmp(l->v[i].key, key))
            return i;
    return -1;
}

/*
 * Every key of l must be in valid (NULL-terminated); keys in unsupported
 * are QEMU's and get "not supported yet" instead of "invalid parameter".
 */
static int check_keys(ParseState *st, const OptionList *l, const char *implied,
                      const char *const *valid, const char *const *unsupported,
                      Error **errp)
{
    for (int i = 0; i < l->n; i++) {
        const char *k = l->v[i].key;
        int ok = 0;
        for (const char *const *v = valid; *v && !ok; v++)
            ok = !strcmp(*v, k);
        if (ok)
            continue;
        for (const char *const *u = unsupported; u && *u; u++)
            if (!strcmp(*u, k))
                return elem_fail(st, errp, l, i, implied, "not supported yet");
        char list[512];
        size_t n = 0;
        list[0] = 0;
        for (const char *const *v = valid; *v; v++)
            n += (size_t)snprintf(list + n, n < sizeof(list) ? sizeof(list) - n : 0,
                                  "%s%s", v == valid ? "" : ", ", *v);
        return elem_fail(st, errp, l, i, implied, "invalid parameter '%s' (use %s)", k, list);
    }
    return 0;
}

/* Typed getters: 0 when absent (out untouched), 1 when set, -1 on error. */
static int get_bool(ParseState *st, const OptionList *l, const char *implied,
                    const char *key, bool *out, Error **errp)
{
    int i = find_key(l, key);
    Error *e = NULL;
    if (i < 0)
        return 0;
    if (options_parse_bool(l->v[i].value, out, &e) < 0) {
        char *what = elem_text(l, i, implied);
        fail_in(errp, e, st->opt, what);
        free(what);
        return -1;
    }
    return 1;
}

static int get_uint(ParseState *st, const OptionList *l, const char *implied,
                    const char *key, uint64_t max, uint64_t *out, Error **errp)
{
    int i = find_key(l, key);
    Error *e = NULL;
    if (i < 0)
        return 0;
    if (options_parse_uint(l->v[i].value, out, &e) < 0) {
        char *what = elem_text(l, i, implied);
        fail_in(errp, e, st->opt, what);
        free(what);
        return -1;
    }
    if (*out > max)
        return elem_fail(st, errp, l, i, implied, "out of range (at most %llu)",
                         (unsigned long long)max);
    return 1;
}

/* Which of names[] the value of key is: index, -1 absent, -2 error. */
static int get_enum(ParseState *st, const OptionList *l, const char *implied,
                    const char *key, const char *const *names, const char *what,
                    Error **errp)
{
    int i = find_key(l, key);
    char list[256];
    size_t n = 0;
    if (i < 0)
        return -1;
    for (int k = 0; names[k]; k++) {
        if (!strcmp(names[k], l->v[i].value))
            return k;
        n += (size_t)snprintf(list + n, n < sizeof(list) ? sizeof(list) - n : 0, "%s%s",
                              k == 0 ? "" : names[k + 1] ? ", " : " or ", names[k]);
    }
    elem_fail(st, errp, l, i, implied, "invalid %s (use %s)", what, list);
    return -2;
}

/* Letter, then letters, digits, '-', '.', '_' (QEMU's rule for ids). */
static bool id_wellformed(const char *id)
{
    if (!isalpha((unsigned char)id[0]))
        return false;
    for (const char *p = id + 1; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("-._", *p))
            return false;
    return true;
}

/* ---- drives ------------------------------------------------------------- */

static const char *const drive_if_names[] = { "ide", "floppy", "virtio", "none", NULL };

static void drive_geometry(DriveInterface ifc, int *units, int *buses)
{
    switch (ifc) {
    case DRIVE_IF_IDE:
        *units = PEMU_IDE_UNITS;
        *buses = PEMU_IDE_BUSES;
        break;
    case DRIVE_IF_FLOPPY:
        *units = PEMU_FLOPPY_UNITS;
        *buses = 1;
        break;
    default:
        *units = PEMU_VIRTIO_DRIVES;
        *buses = 1;
        break;
    }
}

static DriveConfig *drive_at(PemuConfig *cfg, DriveInterface ifc, int bus, int unit)
{
    for (int i = 0; i < cfg->ndrives; i++) {
        DriveConfig *d = &cfg->drives[i];
        if (d->iface == ifc && d->iface != DRIVE_IF_NONE && d->bus == bus && d->unit == unit)
            return d;
    }
    return NULL;
}

static void drive_free(DriveConfig *d)
{
    free(d->file);
    free(d->format);
    free(d->id);
    free(d->origin);
}

/* Add a drive from its key=value list; origin is the option as typed. */
static int drive_add(ParseState *st, const char *origin, const OptionList *l, Error **errp)
{
    static const char *const valid[] = {
        "file", "format", "if", "media", "index", "bus", "unit", "snapshot",
        "readonly", "cache", "aio", "id", NULL,
    };
    static const char *const unsupported[] = {
        "werror", "rerror", "discard", "detect-zeroes", "copy-on-read", "serial", "addr",
        "cache.direct", "cache.no-flush", "node-name", "auto-read-only", "force-share",
        "cyls", "heads", "secs", "trans", "boot", "throttling.iops-total",
        "throttling.bps-total", NULL,
    };
    static const char *const media_names[] = { "disk", "cdrom", NULL };
    static const char *const cache_names[] = {
        "writeback", "writethrough", "none", "unsafe", "directsync", NULL,
    };
    PemuConfig *cfg = st->cfg;
    DriveConfig d = { 0 };
    int r, i, units, buses, has_index = 0, has_bus = 0, has_unit = 0;
    uint64_t index = 0, bus = 0, unit = 0;

    if (check_keys(st, l, NULL, valid, unsupported, errp) < 0)
        return -1;
    r = get_enum(st, l, NULL, "if", drive_if_names, "interface", NULL);
    if (r == -2) /* scsi, sd, mtd, pflash, xen or a typo */
        return elem_fail(st, errp, l, find_key(l, "if"), NULL,
                         "unsupported interface (use ide, floppy, virtio or none)");
    d.iface = r < 0 ? DRIVE_IF_IDE : (DriveInterface)r;
    r = get_enum(st, l, NULL, "media", media_names, "media", errp);
    if (r == -2)
        return -1;
    d.media = r < 0 ? DRIVE_MEDIA_DISK : (DriveMedia)r;
    if (d.media == DRIVE_MEDIA_CDROM && d.iface != DRIVE_IF_IDE && d.iface != DRIVE_IF_NONE)
        return elem_fail(st, errp, l, find_key(l, "media"), NULL,
                         "only IDE drives can be CD-ROMs (use if=ide)");
    r = get_enum(st, l, NULL, "cache", cache_names, "cache mode", errp);
    if (r == -2)
        return -1;
    d.cache = r < 0 ? DRIVE_CACHE_WRITEBACK : (DriveCache)r;
    if ((i = find_key(l, "aio")) >= 0 && strcmp(l->v[i].value, "threads")) {
        if (!strcmp(l->v[i].value, "native") || !strcmp(l->v[i].value, "io_uring"))
            return elem_fail(st, errp, l, i, NULL,
                             "not supported yet (pemu does disk I/O on a thread pool: aio=threads)");
        return elem_fail(st, errp, l, i, NULL, "invalid aio mode (use threads)");
    }
    if ((r = get_bool(st, l, NULL, "snapshot", &d.snapshot, errp)) < 0)
        return -1;
    d.snapshot_explicit = r > 0;
    if (get_bool(st, l, NULL, "readonly", &d.readonly, errp) < 0)
        return -1;
    if ((i = find_key(l, "format")) >= 0) {
        if (!l->v[i].value[0])
            return elem_fail(st, errp, l, i, NULL, "empty format name (use raw, qcow2, ...)");
        d.format = l->v[i].value;
    }
    if ((i = find_key(l, "file")) >= 0 && l->v[i].value[0])
        d.file = l->v[i].value;
    if (!d.file && d.media == DRIVE_MEDIA_DISK &&
        (d.iface == DRIVE_IF_IDE || d.iface == DRIVE_IF_VIRTIO)) {
        error_setg(errp, "%s: a hard disk needs file= (only CD-ROM and floppy drives can be empty)",
                   origin);
        return -1;
    }
    if ((has_index = get_uint(st, l, NULL, "index", 1000, &index, errp)) < 0 ||
        (has_bus = get_uint(st, l, NULL, "bus", 1000, &bus, errp)) < 0 ||
        (has_unit = get_uint(st, l, NULL, "unit", 1000, &unit, errp)) < 0)
        return -1;

    if (d.iface == DRIVE_IF_NONE) {
        if (has_index || has_bus || has_unit) {
            error_setg(errp, "%s: index=, bus= and unit= need an interface (if=ide, floppy or virtio)",
                       origin);
            return -1;
        }
        d.index = d.bus = d.unit = -1;
    } else {
        drive_geometry(d.iface, &units, &buses);
        if (has_index && (has_bus || has_unit)) {
            error_setg(errp, "%s: index cannot be used with bus and unit", origin);
            return -1;
        }
        if (has_index) {
            if (index >= (uint64_t)(units * buses))
                return elem_fail(st, errp, l, find_key(l, "index"), NULL,
                                 "out of range for if=%s (use 0-%d)",
                                 drive_if_names[d.iface], units * buses - 1);
            bus = index / (unsigned)units;
            unit = index % (unsigned)units;
        } else {
            if (has_bus && bus >= (uint64_t)buses)
                return elem_fail(st, errp, l, find_key(l, "bus"), NULL,
                                 "out of range for if=%s (use 0-%d)",
                                 drive_if_names[d.iface], buses - 1);
            if (has_unit && unit >= (uint64_t)units)
                return elem_fail(st, errp, l, find_key(l, "unit"), NULL,
                                 "out of range for if=%s (use 0-%d)",
                                 drive_if_names[d.iface], units - 1);
            if (!has_unit) {
                /* QEMU's rule: first free unit from the bus on, spilling
                 * to the next bus. */
                while (drive_at(cfg, d.iface, (int)bus, (int)unit)) {
                    if (++unit == (uint64_t)units) {
                        unit = 0;
                        if (++bus == (uint64_t)buses) {
                            error_setg(errp, "%s: no free place on if=%s (index 0-%d are all in use)",
                                       origin, drive_if_names[d.iface], units * buses - 1);
                            return -1;
                        }
                    }
                }
            }
        }
        d.bus = (int)bus;
        d.unit = (int)unit;
        d.index = d.bus * units + d.unit;
        DriveConfig *old = drive_at(cfg, d.iface, d.bus, d.unit);
        if (old) {
            error_setg(errp, "%s: drive with bus=%d, unit=%d (index=%d) exists (%s)",
                       origin, d.bus, d.unit, d.index, old->origin);
            return -1;
        }
    }

    /* Default names as QEMU makes them, so -device ...,drive= habits work. */
    char *id;
    if ((i = find_key(l, "id")) >= 0) {
        if (!id_wellformed(l->v[i].value))
            return elem_fail(st, errp, l, i, NULL,
                             "invalid id (a letter, then letters, digits, '-', '.' or '_')");
        id = xstrdup(l->v[i].value);
    } else if (d.iface == DRIVE_IF_IDE) {
        id = xasprintf("ide%d-%s%d", d.bus, d.media == DRIVE_MEDIA_CDROM ? "cd" : "hd", d.unit);
    } else if (d.iface == DRIVE_IF_NONE) {
        int n = 0;
        for (int k = 0; k < cfg->ndrives; k++)
            n += cfg->drives[k].iface == DRIVE_IF_NONE;
        id = xasprintf("none%d", n);
    } else {
        id = xasprintf("%s%d", drive_if_names[d.iface], d.index);
    }
    for (int k = 0; k < cfg->ndrives; k++) {
        if (!strcmp(cfg->drives[k].id, id)) {
            error_setg(errp, "%s: duplicate drive id '%s' (%s)", origin, id, cfg->drives[k].origin);
            free(id);
            return -1;
        }
    }
    if (d.media == DRIVE_MEDIA_CDROM)
        d.readonly = true;
    DriveConfig *nd = VEC_PUSH(cfg->drives, cfg->ndrives);
    *nd = d;
    nd->id = id;
    nd->file = xstrdup(d.file);
    nd->format = xstrdup(d.format);
    nd->origin = xstrdup(origin);
    return 0;
}

/* -hda FILE and friends: a drive with a fixed index (file set directly,
 * so commas in the name need no escaping). */
static int drive_add_legacy(ParseState *st, const char *origin, const char *file,
                            const char *ifname, int index, const char *media, Error **errp)
{
    OptionList l = { 0 };
    char idx[16];
    int r;
    snprintf(idx, sizeof(idx), "%d", index);
    const char *kv[][2] = { { "file", file }, { "if", ifname }, { "index", idx },
                            { "media", media } };
    for (size_t i = 0; i < PEMU_ARRAY_SIZE(kv); i++) {
        if (!kv[i][1])
            continue;
        OptionPair *p = VEC_PUSH(l.v, l.n);
        p->key = xstrdup(kv[i][0]);
        p->value = xstrdup(kv[i][1]);
    }
    r = drive_add(st, origin, &l, errp);
    options_list_free(&l);
    return r;
}

/* ---- character devices -------------------------------------------------- */

static void chardev_free(ChardevConfig *c)
{
    free(c->id);
    free(c->path);
    free(c->host);
    free(c->origin);
}

ChardevConfig *options_find_chardev(const PemuConfig *cfg, const char *id)
{
    for (int i = 0; i < cfg->nchardevs; i++)
        if (!strcmp(cfg->chardevs[i].id, id))
            return &cfg->chardevs[i];
    return NULL;
}

static void chardev_remove(PemuConfig *cfg, const char *id)
{
    ChardevConfig *c = options_find_chardev(cfg, id);
    if (!c)
        return;
    chardev_free(c);
    int i = (int)(c - cfg->chardevs);
    memmove(c, c + 1, (size_t)(cfg->nchardevs - i - 1) * sizeof(*c));
    cfg->nchardevs--;
}

/* Host and port of "host:port" ("[::1]:4444", ":1234"). */
static int split_host_port(const char *s, ChardevConfig *c)
{
    const char *colon = strrchr(s, ':');
    uint64_t port;
    if (!colon || options_parse_uint(colon + 1, &port, NULL) < 0 || port > 65535)
        return -1;
    c->host = xstrndup(s, (size_t)(colon - s));
    c->port = (int)port;
    return 0;
}

/* Socket options shared by -chardev socket and the tcp:/unix: spellings. */
static int socket_opts(ParseState *st, const OptionList *l, const char *implied,
                       ChardevConfig *c, Error **errp)
{
    uint64_t rc = 0;
    int has_wait;
    c->wait = true;
    if (get_bool(st, l, implied, "server", &c->server, errp) < 0 ||
        (has_wait = get_bool(st, l, implied, "wait", &c->wait, errp)) < 0 ||
        get_bool(st, l, implied, "telnet", &c->telnet, errp) < 0 ||
        get_bool(st, l, implied, "nodelay", &c->nodelay, errp) < 0 ||
        get_uint(st, l, implied, "reconnect", 86400, &rc, errp) < 0)
        return -1;
    bool delay = true;
    if (get_bool(st, l, implied, "delay", &delay, errp) < 0)
        return -1;
    if (!delay)
        c->nodelay = true; /* "nodelay" in a legacy list reads as delay=off */
    c->reconnect = (int)rc;
    if (!c->server && has_wait > 0)
        return elem_fail(st, errp, l, find_key(l, "wait"), implied,
                         "only a server (server=on) can wait for a client");
    if (c->server && rc)
        return elem_fail(st, errp, l, find_key(l, "reconnect"), implied,
                         "a server (server=on) does not reconnect");
    return 0;
}

static const char *const legacy_chardev_help =
    "use stdio, vc, null, pty, file:F, pipe:P, tcp:[host]:port, telnet:[host]:port, "
    "unix:path, mon:dev or chardev:id";

/*
 * The legacy spellings of -serial/-monitor/-qmp/-gdb/-debugcon ("stdio",
 * "tcp::4444,server=on,wait=off", "file:out.txt"), into *c. "none", "mon:"
 * and "chardev:" are the caller's.
 */
static int chardev_parse_legacy(ParseState *st, const char *spec, ChardevConfig *c,
                                Error **errp)
{
    static const char *const later[] = {
        "udp:", "msmouse", "braille", "wctablet", "testdev", "ringbuf", "memory",
        "spicevmc", "spiceport", "websocket:", "qemu-vdagent", NULL,
    };
    static const char *const tcp_keys[] = {
        "addr", "server", "wait", "telnet", "nodelay", "delay", "reconnect", NULL,
    };
    static const char *const tcp_later[] = { "ipv4", "ipv6", "to", "tls-creds", "websocket", NULL };
    static const char *const unix_keys[] = { "path", "server", "wait", "reconnect", NULL };
    const char *rest;

    c->signal = true;
    c->port = -1;
    if (!strcmp(spec, "null")) {
        c->backend = CHARDEV_NULL;
    } else if (!strcmp(spec, "stdio")) {
        c->backend = CHARDEV_STDIO;
    } else if (!strcmp(spec, "pty")) {
        c->backend = CHARDEV_PTY;
    } else if (!strcmp(spec, "vc") || !strncmp(spec, "vc:", 3)) {
        /* "vc:80Cx24C" sizes are a QEMU GUI notion: the display decides. */
        c->backend = CHARDEV_VC;
    } else if (!strncmp(spec, "file:", 5) || !strncmp(spec, "pipe:", 5)) {
        c->backend = spec[0] == 'f' ? CHARDEV_FILE : CHARDEV_PIPE;
        if (!spec[5]) {
            error_setg(errp, "%s %s: a file name is needed after '%.5s'", st->opt, spec, spec);
            return -1;
        }
        c->path = xstrdup(spec + 5);
    } else if (!strncmp(spec, "tcp:", 4) || !strncmp(spec, "telnet:", 7)) {
        OptionList l;
        Error *e = NULL;
        c->backend = CHARDEV_SOCKET;
        c->telnet = spec[1] == 'e';
        rest = strchr(spec, ':') + 1;
        if (options_list_parse(rest, "addr", &l, &e) < 0)
            return fail_in(errp, e, st->opt, spec);
        int r = -1;
        const char *addr = options_list_get(&l, "addr");
        if (check_keys(st, &l, "addr", tcp_keys, tcp_later, errp) < 0)
            goto out_tcp;
        if (!addr || split_host_port(addr, c) < 0) {
            error_setg(errp, "%s %s: expected [host]:port with a port number 0-65535",
                       st->opt, spec);
            goto out_tcp;
        }
        r = socket_opts(st, &l, "addr", c, errp);
        if (spec[1] == 'e')
            c->telnet = true;
    out_tcp:
        options_list_free(&l);
        return r;
    } else if (!strncmp(spec, "unix:", 5)) {
        OptionList l;
        Error *e = NULL;
        c->backend = CHARDEV_SOCKET;
        if (options_list_parse(spec + 5, "path", &l, &e) < 0)
            return fail_in(errp, e, st->opt, spec);
        int r = -1;
        const char *path = options_list_get(&l, "path");
        if (check_keys(st, &l, "path", unix_keys, NULL, errp) < 0)
            goto out_unix;
        if (!path || !*path) {
            error_setg(errp, "%s %s: a socket path is needed after 'unix:'", st->opt, spec);
            goto out_unix;
        }
        c->path = xstrdup(path);
        r = socket_opts(st, &l, "path", c, errp);
    out_unix:
        options_list_free(&l);
        return r;
    } else {
        for (int i = 0; later[i]; i++) {
            size_t n = strlen(later[i]);
            if (!strncmp(spec, later[i], n) && (later[i][n - 1] == ':' || !spec[n])) {
                error_setg(errp, "%s %s: not supported yet", st->opt, spec);
                return -1;
            }
        }
        if (spec[0] == '/') {
            error_setg(errp, "%s %s: host serial devices are not supported yet", st->opt, spec);
            return -1;
        }
        error_setg(errp, "%s %s: '%s' is not a valid character device (%s)", st->opt, spec,
                   spec, legacy_chardev_help);
        return -1;
    }
    return 0;
}

static ChardevConfig *chardev_new(PemuConfig *cfg, const ChardevConfig *c, const char *id,
                                  const char *origin)
{
    ChardevConfig *n = VEC_PUSH(cfg->chardevs, cfg->nchardevs);
    *n = *c;
    n->id = xstrdup(id);
    n->origin = xstrdup(origin);
    return n;
}

static void ref_add(ParseState *st, const char *id, const char *origin)
{
    ChardevRef *r = VEC_PUSH(st->refs, st->nrefs);
    r->id = xstrdup(id);
    r->origin = xstrdup(origin);
}

static char *origin_text(ParseState *st)
{
    return st->arg ? xasprintf("%s %s", st->opt, st->arg) : xstrdup(st->opt);
}

/*
 * A legacy front-end spec ("stdio", "mon:stdio", "chardev:c0") for the
 * chardev named id. Returns the chardev id to use (owned by cfg or the
 * ref), NULL for "none" (*errp unset) or on error.
 */
static const char *frontend_spec(ParseState *st, const char *spec, const char *id,
                                 bool allow_mon, bool *with_monitor, Error **errp)
{
    PemuConfig *cfg = st->cfg;
    ChardevConfig c = { 0 };
    char *origin = origin_text(st);
    const char *ret = NULL;

    if (with_monitor)
        *with_monitor = false;
    if (!strcmp(spec, "none"))
        goto out;
    if (!strncmp(spec, "chardev:", 8)) {
        if (!spec[8]) {
            error_setg(errp, "%s: an id is needed after 'chardev:'", origin);
            goto out;
        }
        ref_add(st, spec + 8, origin);
        ret = st->refs[st->nrefs - 1].id;
        goto out;
    }
    if (!strncmp(spec, "mon:", 4)) {
        if (!allow_mon) {
            error_setg(errp, "%s: 'mon:' is for -serial (a monitor muxed with a serial port)",
                       origin);
            goto out;
        }
        spec += 4;
        c.mux = true;
        *with_monitor = true;
    }
    if (options_find_chardev(cfg, id)) {
        error_setg(errp, "%s: chardev id '%s' is already taken by %s", origin, id,
                   options_find_chardev(cfg, id)->origin);
        goto out;
    }
    if (chardev_parse_legacy(st, spec, &c, errp) < 0) {
        chardev_free(&c);
        goto out;
    }
    c.implicit = true;
    ret = chardev_new(cfg, &c, id, origin)->id;
out:
    free(origin);
    return ret;
}

static MonitorConfig *monitor_add(ParseState *st, const char *chardev, bool qmp, bool pretty)
{
    MonitorConfig *m = VEC_PUSH(st->cfg->monitors, st->cfg->nmonitors);
    m->chardev = xstrdup(chardev);
    m->qmp = qmp;
    m->pretty = pretty;
    return m;
}

/* -monitor, -qmp, -qmp-pretty */
static int opt_monitor(ParseState *st, bool qmp, bool pretty, Error **errp)
{
    char id[32];
    Error *e = NULL;
    st->default_monitor = false;
    snprintf(id, sizeof(id), "compat_monitor%d", st->compat_monitors);
    const char *cid = frontend_spec(st, st->arg, id, false, NULL, &e);
    if (e) {
        error_setg(errp, "%s", e->msg);
        error_free(e);
        return -1;
    }
    if (!cid)
        return 0; /* none */
    if (!strcmp(cid, id))
        st->compat_monitors++;
    monitor_add(st, cid, qmp, pretty);
    return 0;
}

static int opt_serial(ParseState *st, Error **errp)
{
    PemuConfig *cfg = st->cfg;
    char id[16];
    bool with_mon;
    Error *e = NULL;

    st->default_serial = false;
    if (!strcmp(st->arg, "none"))
        return 0;
    if (cfg->nserial == PEMU_MAX_SERIAL) {
        error_setg(errp, "%s %s: too many serial ports (at most %d)", st->opt, st->arg,
                   PEMU_MAX_SERIAL);
        return -1;
    }
    snprintf(id, sizeof(id), "serial%d", cfg->nserial);
    const char *cid = frontend_spec(st, st->arg, id, true, &with_mon, &e);
    if (!cid) {
        error_setg(errp, "%s", e->msg);
        error_free(e);
        return -1;
    }
    cfg->serial[cfg->nserial++] = xstrdup(cid);
    if (with_mon) {
        st->default_monitor = false;
        monitor_add(st, cid, false, false);
    }
    return 0;
}

/* -gdb, -s, -debugcon: one each, the last one wins. */
static int opt_single_frontend(ParseState *st, const char *spec, const char *id, char **slot,
                               Error **errp)
{
    Error *e = NULL;
    if (*slot) {
        chardev_remove(st->cfg, *slot);
        free(*slot);
        *slot = NULL;
    }
    const char *cid = frontend_spec(st, spec, id, false, NULL, &e);
    if (e) {
        error_setg(errp, "%s", e->msg);
        error_free(e);
        return -1;
    }
    *slot = xstrdup(cid);
    return 0;
}

static int opt_chardev(ParseState *st, Error **errp)
{
    static const char *const backends[] = {
        "null", "stdio", "file", "pipe", "pty", "vc", "socket", NULL,
    };
    static const char *const later[] = {
        "udp", "serial", "tty", "parallel", "parport", "ringbuf", "memory", "spicevmc",
        "spiceport", "msmouse", "braille", "wctablet", "testdev", "qemu-vdagent", "dbus", NULL,
    };
    static const char *const keys[][14] = {
        [CHARDEV_NULL] = { "backend", "id", "mux", NULL },
        [CHARDEV_STDIO] = { "backend", "id", "mux", "signal", NULL },
        [CHARDEV_FILE] = { "backend", "id", "mux", "path", "append", NULL },
        [CHARDEV_PIPE] = { "backend", "id", "mux", "path", NULL },
        [CHARDEV_PTY] = { "backend", "id", "mux", NULL },
        [CHARDEV_VC] = { "backend", "id", "mux", "width", "height", "cols", "rows", NULL },
        [CHARDEV_SOCKET] = { "backend", "id", "mux", "host", "port", "path", "server", "wait",
                             "telnet", "nodelay", "delay", "reconnect", NULL },
    };
    static const char *const unsupported[] = { "logfile", "logappend", "tls-creds", "websocket",
                                               "ipv4", "ipv6", "to", "abstract", NULL };
    PemuConfig *cfg = st->cfg;
    OptionList l;
    Error *e = NULL;
    ChardevConfig c = { 0 };
    int r = -1, b;
    const char *id, *s;

    if (options_list_parse(st->arg, "backend", &l, &e) < 0)
        return fail_in(errp, e, st->opt, st->arg);
    const char *backend = options_list_get(&l, "backend");
    if (!backend) {
        error_setg(errp, "%s %s: no backend given (use null, stdio, file, pipe, pty, vc or socket)",
                   st->opt, st->arg);
        goto out;
    }
    for (int i = 0; later[i]; i++) {
        if (!strcmp(backend, later[i])) {
            error_setg(errp, "%s %s: not supported yet", st->opt, backend);
            goto out;
        }
    }
    b = get_enum(st, &l, "backend", "backend", backends, "backend", errp);
    if (b < 0)
        goto out;
    c.backend = (ChardevBackend)b;
    c.signal = true;
    c.port = -1;
    if (check_keys(st, &l, "backend", keys[b], unsupported, errp) < 0)
        goto out;
    id = options_list_get(&l, "id");
    if (!id) {
        error_setg(errp, "%s %s: no id= given", st->opt, st->arg);
        goto out;
    }
    if (!id_wellformed(id)) {
        elem_fail(st, errp, &l, find_key(&l, "id"), "backend",
                  "invalid id (a letter, then letters, digits, '-', '.' or '_')");
        goto out;
    }
    if (options_find_chardev(cfg, id)) {
        error_setg(errp, "%s %s: duplicate chardev id '%s' (%s)", st->opt, st->arg, id,
                   options_find_chardev(cfg, id)->origin);
        goto out;
    }
    if (get_bool(st, &l, "backend", "mux", &c.mux, errp) < 0 ||
        get_bool(st, &l, "backend", "signal", &c.signal, errp) < 0 ||
        get_bool(st, &l, "backend", "append", &c.append, errp) < 0)
        goto out;
    s = options_list_get(&l, "path");
    if ((c.backend == CHARDEV_FILE || c.backend == CHARDEV_PIPE) && (!s || !*s)) {
        error_setg(errp, "%s %s: path= is needed for the %s backend", st->opt, st->arg, backend);
        goto out;
    }
    if (c.backend == CHARDEV_SOCKET) {
        const char *host = options_list_get(&l, "host"), *port = options_list_get(&l, "port");
        uint64_t pn;
        if (s && (host || port)) {
            error_setg(errp, "%s %s: give either path= (Unix) or host=/port= (TCP)",
                       st->opt, st->arg);
            goto out;
        }
        if (!s) {
            if (!port) {
                error_setg(errp, "%s %s: port= (TCP) or path= (Unix) is needed", st->opt, st->arg);
                goto out;
            }
            if (get_uint(st, &l, "backend", "port", 65535, &pn, errp) < 0)
                goto out;
            c.port = (int)pn;
            c.host = xstrdup(host ? host : "");
        } else if (!*s) {
            error_setg(errp, "%s %s: empty path=", st->opt, st->arg);
            goto out;
        }
        if (socket_opts(st, &l, "backend", &c, errp) < 0)
            goto out;
    }
    if (s && *s)
        c.path = xstrdup(s);
    char *origin = origin_text(st);
    chardev_new(cfg, &c, id, origin);
    free(origin);
    memset(&c, 0, sizeof(c));
    r = 0;
out:
    chardev_free(&c);
    options_list_free(&l);
    return r;
}

static int opt_mon(ParseState *st, Error **errp)
{
    static const char *const valid[] = { "chardev", "mode", "pretty", NULL };
    static const char *const modes[] = { "readline", "control", NULL };
    OptionList l;
    Error *e = NULL;
    bool pretty = false;
    int r = -1, mode;
    if (options_list_parse(st->arg, "chardev", &l, &e) < 0)
        return fail_in(errp, e, st->opt, st->arg);
    if (check_keys(st, &l, "chardev", valid, NULL, errp) < 0)
        goto out;
    const char *id = options_list_get(&l, "chardev");
    if (!id || !*id) {
        error_setg(errp, "%s %s: chardev= is needed", st->opt, st->arg);
        goto out;
    }
    if ((mode = get_enum(st, &l, "chardev", "mode", modes, "mode", errp)) == -2 ||
        get_bool(st, &l, "chardev", "pretty", &pretty, errp) < 0)
        goto out;
    if (pretty && mode != 1) {
        elem_fail(st, errp, &l, find_key(&l, "pretty"), "chardev",
                  "only a QMP monitor (mode=control) can be pretty");
        goto out;
    }
    char *origin = origin_text(st);
    ref_add(st, id, origin);
    free(origin);
    st->default_monitor = false;
    monitor_add(st, id, mode == 1, pretty);
    r = 0;
out:
    options_list_free(&l);
    return r;
}

/* ---- machine, CPU, accelerators ---------------------------------------- */

static int accel_add(ParseState *st, const char *name, const OptionList *l, int i,
                     const char *implied, Error **errp)
{
    static const char *const later[] = { "xen", "hax", "hvf", "whpx", "nvmm", "qtest", NULL };
    PemuConfig *cfg = st->cfg;
    AccelKind k;
    if (!strcmp(name, "tcg")) {
        k = ACCEL_TCG;
    } else if (!strcmp(name, "kvm")) {
        k = ACCEL_KVM;
    } else {
        for (int j = 0; later[j]; j++)
            if (!strcmp(name, later[j]))
                return elem_fail(st, errp, l, i, implied, "accelerator '%s' is not supported yet",
                                 name);
        return elem_fail(st, errp, l, i, implied, "invalid accelerator '%s' (use tcg or kvm)",
                         name);
    }
    for (int j = 0; j < cfg->naccel; j++)
        if (cfg->accel[j] == k)
            return 0;
    cfg->accel[cfg->naccel++] = k;
    return 0;
}

static int opt_accel(ParseState *st, Error **errp)
{
    static const char *const tcg_keys[] = { "accel", "thread", "tb-size", NULL };
    static const char *const kvm_keys[] = { "accel", NULL };
    static const char *const unsupported[] = {
        "kernel-irqchip", "kvm-shadow-mem", "dirty-ring-size", "split-wx", "one-insn-per-tb",
        NULL,
    };
    static const char *const threads[] = { "single", "multi", NULL };
    PemuConfig *cfg = st->cfg;
    OptionList l;
    Error *e = NULL;
    int r = -1, t;
    uint64_t tb = 0;

    if (st->machine_accel_given) {
        error_setg(errp, "%s %s: -accel and -machine accel= cannot be used together", st->opt,
                   st->arg);
        return -1;
    }
    st->accel_option_given = true;
    if (options_list_parse(st->arg, "accel", &l, &e) < 0)
        return fail_in(errp, e, st->opt, st->arg);
    const char *name = options_list_get(&l, "accel");
    if (!name) {
        error_setg(errp, "%s %s: no accelerator given (use tcg or kvm)", st->opt, st->arg);
        goto out;
    }
    if (accel_add(st, name, &l, find_key(&l, "accel"), "accel", errp) < 0)
        goto out;
    if (check_keys(st, &l, "accel", strcmp(name, "tcg") ? kvm_keys : tcg_keys, unsupported,
                   errp) < 0)
        goto out;
    if ((t = get_enum(st, &l, "accel", "thread", threads, "thread mode", errp)) == -2 ||
        get_uint(st, &l, "accel", "tb-size", 4096, &tb, errp) < 0)
        goto out;
    if (t >= 0)
        cfg->tcg_multi_thread = t == 1;
    if (tb)
        cfg->tcg_tb_size = tb;
    r = 0;
out:
    options_list_free(&l);
    return r;
}

static int opt_machine(ParseState *st, Error **errp)
{
    static const char *const valid[] = { "type", "accel", "firmware", "graphics", "usb", NULL };
    static const char *const unsupported[] = {
        "kernel-irqchip", "kernel_irqchip", "smm", "vmport", "hpet", "acpi", "pit", "pic",
        "sata", "max-ram-below-4g", "memory-backend", "nvdimm", "dump-guest-core", "mem-merge",
        "suppress-vmdesc", "sgx-epc", "confidential-guest-support", "hmat", "i8042", NULL,
    };
    static const char *const later_types[] = { "q35", "isapc", "microvm", "none", "x-remote", NULL };
    PemuConfig *cfg = st->cfg;
    OptionList l;
    Error *e = NULL;
    int r = -1, i;
    bool usb = false;

    if (options_list_parse(st->arg, "type", &l, &e) < 0)
        return fail_in(errp, e, st->opt, st->arg);
    if (check_keys(st, &l, "type", valid, unsupported, errp) < 0)
        goto out;
    if ((i = find_key(&l, "type")) >= 0) {
        const char *t = l.v[i].value;
        if (!strcmp(t, "help") || !strcmp(t, "?")) {
            cfg->machine_help = true;
        } else if (!strcmp(t, "pc") || !strncmp(t, "pc-i440fx-", 10)) {
            /* Versioned names are QEMU's compatibility levels of the same
             * board: accepted so scripts run, recorded as given. */
            set_str(&cfg->machine_type, t);
        } else {
            int later = !strncmp(t, "pc-q35-", 7);
            for (int j = 0; later_types[j]; j++)
                later |= !strcmp(t, later_types[j]);
            elem_fail(st, errp, &l, i, "type",
                      later ? "machine '%s' is not supported yet (use pc)"
                            : "unknown machine type '%s' (use pc; -machine help lists them)",
                      t);
            goto out;
        }
    }
    if ((i = find_key(&l, "accel")) >= 0) {
        if (st->accel_option_given) {
            error_setg(errp, "%s %s: -accel and -machine accel= cannot be used together", st->opt,
                       st->arg);
            goto out;
        }
        st->machine_accel_given = true;
        cfg->naccel = 0;
        const char *p = l.v[i].value;
        do {
            const char *end = strchr(p, ':');
            char *name = end ? xstrndup(p, (size_t)(end - p)) : xstrdup(p);
            int ar = accel_add(st, name, &l, i, "type", errp);
            free(name);
            if (ar < 0)
                goto out;
            p = end ? end + 1 : NULL;
        } while (p);
    }
    if ((i = find_key(&l, "firmware")) >= 0) {
        const char *f = l.v[i].value;
        if (!*f) {
            elem_fail(st, errp, &l, i, "type", "empty file name (use none or a BIOS file)");
            goto out;
        }
        if (!strcmp(f, "none")) {
            cfg->no_firmware = true;
            free(cfg->bios);
            cfg->bios = NULL;
        } else {
            if (cfg->bios && strcmp(cfg->bios, f)) {
                elem_fail(st, errp, &l, i, "type", "conflicts with %s", st->bios_origin);
                goto out;
            }
            set_str(&cfg->bios, f);
            free(st->bios_origin);
            st->bios_origin = xasprintf("%s firmware=%s", st->opt, f);
            cfg->no_firmware = false;
        }
    }
    if (get_bool(st, &l, "type", "graphics", &cfg->graphics, errp) < 0 ||
        get_bool(st, &l, "type", "usb", &usb, errp) < 0)
        goto out;
    if (usb) {
        elem_fail(st, errp, &l, find_key(&l, "usb"), "type", "not supported yet");
        goto out;
    }
    r = 0;
out:
    options_list_free(&l);
    return r;
}

static int opt_smp(ParseState *st, Error **errp)
{
    static const char *const valid[] = { "cpus", "maxcpus", "sockets", "dies", "cores", "threads",
                                         NULL };
    static const char *const unsupported[] = { "clusters", "books", "drawers", NULL };
    OptionList l;
    Error *e = NULL;
    int r = -1;
    if (options_list_parse(st->arg, "cpus", &l, &e) < 0)
        return fail_in(errp, e, st->opt, st->arg);
    if (check_keys(st, &l, "cpus", valid, unsupported, errp) < 0)
        goto out;
    for (int k = 0; k < 6; k++) {
        uint64_t v = 0;
        int i = find_key(&l, valid[k]);
        int g = get_uint(st, &l, "cpus", valid[k], UINT32_MAX, &v, errp);
        if (g < 0)
            goto out;
        if (g && v == 0) {
            elem_fail(st, errp, &l, i, "cpus", "CPU counts must be at least 1");
            goto out;
        }
        if (v > PEMU_MAX_CPUS) {
            elem_fail(st, errp, &l, i, "cpus", "the pc machine has at most %d CPUs",
                      PEMU_MAX_CPUS);
            goto out;
        }
        st->smp[k] = (unsigned)v;
    }
    st->smp_given = true;
    free(st->smp_origin);
    st->smp_origin = origin_text(st);
    r = 0;
out:
    options_list_free(&l);
    return r;
}

/* The topology rules of QEMU 6.2+: derive what is missing, preferring sockets. */
static int smp_finalize(ParseState *st, Error **errp)
{
    PemuConfig *cfg = st->cfg;
    uint64_t cpus = st->smp[0], maxcpus = st->smp[1], sockets = st->smp[2];
    uint64_t dies = st->smp[3] ? st->smp[3] : 1, cores = st->smp[4], threads = st->smp[5];

    if (!cpus && !maxcpus) {
        sockets = sockets ? sockets : 1;
        cores = cores ? cores : 1;
        threads = threads ? threads : 1;
    } else {
        maxcpus = maxcpus ? maxcpus : cpus;
        if (!sockets) {
            cores = cores ? cores : 1;
            threads = threads ? threads : 1;
            sockets = maxcpus / (dies * cores * threads);
        } else if (!cores) {
            threads = threads ? threads : 1;
            cores = maxcpus / (sockets * dies * threads);
        } else if (!threads) {
            threads = maxcpus / (sockets * dies * cores);
        }
    }
    uint64_t total = sockets * dies * cores * threads;
    maxcpus = maxcpus ? maxcpus : total;
    cpus = cpus ? cpus : maxcpus;
    if (total != maxcpus) {
        error_setg(errp, "%s: sockets (%llu) * dies (%llu) * cores (%llu) * threads (%llu) = %llu, "
                   "but maxcpus is %llu", st->smp_origin, (unsigned long long)sockets,
                   (unsigned long long)dies, (unsigned long long)cores,
                   (unsigned long long)threads, (unsigned long long)total,
                   (unsigned long long)maxcpus);
        return -1;
    }
    if (cpus > maxcpus) {
        error_setg(errp, "%s: %llu CPUs is more than maxcpus (%llu)", st->smp_origin,
                   (unsigned long long)cpus, (unsigned long long)maxcpus);
        return -1;
    }
    if (maxcpus > PEMU_MAX_CPUS) {
        error_setg(errp, "%s: %llu CPUs: the pc machine has at most %d", st->smp_origin,
                   (unsigned long long)maxcpus, PEMU_MAX_CPUS);
        return -1;
    }
    cfg->cpus = (unsigned)cpus;
    cfg->maxcpus = (unsigned)maxcpus;
    cfg->sockets = (unsigned)sockets;
    cfg->dies = (unsigned)dies;
    cfg->cores = (unsigned)cores;
    cfg->threads = (unsigned)threads;
    return 0;
}

static uint64_t ram_limit(void)
{
    /* The guest RAM is one host allocation: leave room on 32-bit hosts. */
    uint64_t host = (uint64_t)(SIZE_MAX / 2) + 1;
    return host < PEMU_MAX_RAM ? host : PEMU_MAX_RAM;
}

static int opt_m(ParseState *st, Error **errp)
{
    static const char *const valid[] = { "size", "slots", "maxmem", NULL };
    PemuConfig *cfg = st->cfg;
    OptionList l;
    Error *e = NULL;
    int r = -1, i;
    uint64_t size = cfg->ram_size, maxmem = 0, slots = 0;

    if (options_list_parse(st->arg, "size", &l, &e) < 0)
        return fail_in(errp, e, st->opt, st->arg);
    if (check_keys(st, &l, "size", valid, NULL, errp) < 0)
        goto out;
    if ((i = find_key(&l, "size")) >= 0) {
        if (options_parse_size(l.v[i].value, 1 << 20, &size, &e) < 0) {
            char *what = elem_text(&l, i, "size");
            fail_in(errp, e, st->opt, what);
            free(what);
            goto out;
        }
        if (size < (1 << 20)) {
            elem_fail(st, errp, &l, i, "size", "RAM size must be at least 1M");
            goto out;
        }
        if (size > ram_limit()) {
            elem_fail(st, errp, &l, i, "size", "RAM size too large (at most %s%s)",
                      ram_limit() < PEMU_MAX_RAM ? "2G" : "1T",
                      ram_limit() < PEMU_MAX_RAM ? " on a 32-bit host" : "");
            goto out;
        }
        if (size & 0xfff) {
            elem_fail(st, errp, &l, i, "size", "RAM size must be a multiple of 4K");
            goto out;
        }
    }
    if ((i = find_key(&l, "maxmem")) >= 0) {
        if (options_parse_size(l.v[i].value, 1, &maxmem, &e) < 0) {
            char *what = elem_text(&l, i, "size");
            fail_in(errp, e, st->opt, what);
            free(what);
            goto out;
        }
        if (maxmem < size) {
            elem_fail(st, errp, &l, i, "size", "maxmem is less than the RAM size (%llu bytes)",
                      (unsigned long long)size);
            goto out;
        }
        if (maxmem > size) {
            elem_fail(st, errp, &l, i, "size",
                      "memory hotplug (maxmem larger than size) is not supported yet");
            goto out;
        }
    }
    if (get_uint(st, &l, "size", "slots", 256, &slots, errp) < 0)
        goto out;
    if (slots) {
        elem_fail(st, errp, &l, find_key(&l, "slots"), "size",
                  "memory hotplug slots are not supported yet");
        goto out;
    }
    cfg->ram_size = size;
    cfg->maxmem = size;
    r = 0;
out:
    options_list_free(&l);
    return r;
}

static int opt_cpu(ParseState *st, Error **errp)
{
    PemuConfig *cfg = st->cfg;
    const char *comma = strchr(st->arg, ',');
    size_t n = comma ? (size_t)(comma - st->arg) : strlen(st->arg);
    if (!n) {
        error_setg(errp, "%s %s: no CPU model given ('-cpu help' lists them)", st->opt, st->arg);
        return -1;
    }
    free(cfg->cpu_model);
    free(cfg->cpu_features);
    cfg->cpu_model = xstrndup(st->arg, n);
    cfg->cpu_features = comma && comma[1] ? xstrdup(comma + 1) : NULL;
    if (!strcmp(cfg->cpu_model, "help") || !strcmp(cfg->cpu_model, "?"))
        cfg->cpu_help = true;
    return 0;
}

/* ---- boot --------------------------------------------------------------- */

static int boot_devices(ParseState *st, const OptionList *l, int i, char *out, Error **errp)
{
    const char *s = l->v[i].value;
    if (!*s)
        return elem_fail(st, errp, l, i, "order", "no boot device given (use a, b, c, d or n)");
    for (const char *p = s; *p; p++) {
        if (!strchr("abcdn", *p))
            return elem_fail(st, errp, l, i, "order",
                             "invalid boot device '%c' (use a, b, c, d or n)", *p);
        if (strchr(p + 1, *p))
            return elem_fail(st, errp, l, i, "order", "boot device '%c' given twice", *p);
    }
    strcpy(out, s); /* at most 5 distinct letters: fits in char[8] */
    return 0;
}

static int opt_boot(ParseState *st, Error **errp)
{
    static const char *const valid[] = { "order", "once", "menu", "splash", "splash-time",
                                         "reboot-timeout", "strict", NULL };
    PemuConfig *cfg = st->cfg;
    OptionList l;
    Error *e = NULL;
    int r = -1, i, g;
    uint64_t v;

    if (options_list_parse(st->arg, "order", &l, &e) < 0)
        return fail_in(errp, e, st->opt, st->arg);
    if (check_keys(st, &l, "order", valid, NULL, errp) < 0)
        goto out;
    if ((i = find_key(&l, "order")) >= 0 && boot_devices(st, &l, i, cfg->boot_order, errp) < 0)
        goto out;
    if ((i = find_key(&l, "once")) >= 0 && boot_devices(st, &l, i, cfg->boot_once, errp) < 0)
        goto out;
    if (get_bool(st, &l, "order", "menu", &cfg->boot_menu, errp) < 0 ||
        get_bool(st, &l, "order", "strict", &cfg->boot_strict, errp) < 0)
        goto out;
    if ((g = get_uint(st, &l, "order", "splash-time", 0xffff, &v, errp)) < 0)
        goto out;
    if (g)
        cfg->boot_splash_time = (int)v;
    if ((g = get_uint(st, &l, "order", "reboot-timeout", 0xffff, &v, errp)) < 0)
        goto out;
    if (g)
        cfg->boot_reboot_timeout = (int)v;
    if ((i = find_key(&l, "splash")) >= 0) {
        if (!l.v[i].value[0]) {
            elem_fail(st, errp, &l, i, "order", "empty file name");
            goto out;
        }
        set_str(&cfg->boot_splash, l.v[i].value);
    }
    r = 0;
out:
    options_list_free(&l);
    return r;
}

/* ---- display ------------------------------------------------------------ */

static int opt_display(ParseState *st, Error **errp)
{
    static const char *const none_keys[] = { "type", NULL };
    static const char *const curses_keys[] = { "type", "charset", NULL };
    static const char *const sdl_keys[] = { "type", "gl", "show-cursor", "window-close",
                                            "full-screen", NULL };
    static const char *const sdl_later[] = { "grab-mod", "alt_grab", "ctrl_grab", NULL };
    static const char *const later[] = { "gtk", "cocoa", "vnc", "spice-app", "egl-headless",
                                         "dbus", NULL };
    PemuConfig *cfg = st->cfg;
    OptionList l;
    Error *e = NULL;
    int r = -1, i;

    if (options_list_parse(st->arg, "type", &l, &e) < 0)
        return fail_in(errp, e, st->opt, st->arg);
    const char *t = options_list_get(&l, "type");
    if (!t) {
        error_setg(errp, "%s %s: no display type given (use none, curses or sdl)", st->opt,
                   st->arg);
        goto out;
    }
    i = find_key(&l, "type");
    if (!strcmp(t, "help") || !strcmp(t, "?")) {
        cfg->display_help = true;
    } else if (!strcmp(t, "none")) {
        if (check_keys(st, &l, "type", none_keys, NULL, errp) < 0)
            goto out;
        cfg->display = DISPLAY_NONE;
    } else if (!strcmp(t, "curses")) {
#ifndef CONFIG_CURSES
        elem_fail(st, errp, &l, i, "type",
                  "curses support is not built in (install libncurses-dev and rebuild)");
        goto out;
#endif
        if (check_keys(st, &l, "type", curses_keys, NULL, errp) < 0)
            goto out;
        if ((i = find_key(&l, "charset")) >= 0) {
            if (!l.v[i].value[0]) {
                elem_fail(st, errp, &l, i, "type", "empty character set name (use CP437, ...)");
                goto out;
            }
            set_str(&cfg->curses_charset, l.v[i].value);
        }
        cfg->display = DISPLAY_CURSES;
    } else if (!strcmp(t, "sdl")) {
#ifndef CONFIG_SDL
        elem_fail(st, errp, &l, i, "type",
                  "SDL support is not built in (install libsdl2-dev and rebuild)");
        goto out;
#endif
        bool gl = false;
        if (check_keys(st, &l, "type", sdl_keys, sdl_later, errp) < 0)
            goto out;
        if ((i = find_key(&l, "gl")) >= 0 && strcmp(l.v[i].value, "off")) {
            if (!strcmp(l.v[i].value, "core") || !strcmp(l.v[i].value, "es")) {
                elem_fail(st, errp, &l, i, "type", "OpenGL is not supported yet (use gl=off)");
                goto out;
            }
            if (get_bool(st, &l, "type", "gl", &gl, errp) < 0)
                goto out;
            if (gl) {
                elem_fail(st, errp, &l, i, "type", "OpenGL is not supported yet (use gl=off)");
                goto out;
            }
        }
        if (get_bool(st, &l, "type", "show-cursor", &cfg->sdl_show_cursor, errp) < 0 ||
            get_bool(st, &l, "type", "window-close", &cfg->sdl_window_close, errp) < 0 ||
            get_bool(st, &l, "type", "full-screen", &cfg->full_screen, errp) < 0)
            goto out;
        cfg->display = DISPLAY_SDL;
    } else {
        int later_type = 0;
        for (int k = 0; later[k]; k++)
            later_type |= !strcmp(t, later[k]);
        elem_fail(st, errp, &l, i, "type",
                  later_type ? "not supported yet (use sdl, curses or none)"
                             : "unknown display type (use none, curses or sdl)");
        goto out;
    }
    st->display_given = true;
    r = 0;
out:
    options_list_free(&l);
    return r;
}

static int opt_vga(ParseState *st, Error **errp)
{
    static const char *const later[] = { "cirrus", "vmware", "qxl", "virtio", "bochs", "ati",
                                         "tcx", "cg3", "xenfb", NULL };
    st->vga_given = true;
    if (!strcmp(st->arg, "std")) {
        st->cfg->vga = VGA_STD;
        return 0;
    }
    if (!strcmp(st->arg, "none")) {
        st->cfg->vga = VGA_NONE;
        return 0;
    }
    for (int k = 0; later[k]; k++) {
        if (!strcmp(st->arg, later[k])) {
            error_setg(errp, "%s %s: not supported yet (use std or none)", st->opt, st->arg);
            return -1;
        }
    }
    error_setg(errp, "%s %s: unknown VGA type (use std or none)", st->opt, st->arg);
    return -1;
}

static int opt_k(ParseState *st, Error **errp)
{
    /* The keymaps QEMU ships. */
    static const char *const layouts[] = {
        "ar", "bepo", "cz", "da", "de", "de-ch", "en-gb", "en-us", "es", "et", "fi", "fo",
        "fr", "fr-be", "fr-ca", "fr-ch", "hr", "hu", "is", "it", "ja", "lt", "lv", "mk",
        "nl", "no", "pl", "pt", "pt-br", "ru", "sl", "sv", "th", "tr", NULL,
    };
    for (int k = 0; layouts[k]; k++) {
        if (!strcmp(st->arg, layouts[k])) {
            set_str(&st->cfg->keyboard_layout, st->arg);
            return 0;
        }
    }
    error_setg(errp, "%s %s: unknown keyboard layout (use en-us, en-gb, de, fr, ...)", st->opt,
               st->arg);
    return -1;
}

/* ---- run control -------------------------------------------------------- */

static int opt_icount(ParseState *st, Error **errp)
{
    static const char *const valid[] = { "shift", "sleep", "align", NULL };
    static const char *const unsupported[] = { "rr", "rrfile", "rrsnapshot", NULL };
    PemuConfig *cfg = st->cfg;
    OptionList l;
    Error *e = NULL;
    int r = -1, i;
    uint64_t shift;

    if (options_list_parse(st->arg, "shift", &l, &e) < 0)
        return fail_in(errp, e, st->opt, st->arg);
    if (check_keys(st, &l, "shift", valid, unsupported, errp) < 0)
        goto out;
    if ((i = find_key(&l, "shift")) < 0) {
        /* QEMU silently ignores -icount without shift=: say so instead. */
        error_setg(errp, "%s %s: shift= is needed (0-%d or auto)", st->opt, st->arg,
                   PEMU_ICOUNT_MAX_SHIFT);
        goto out;
    }
    if (!strcmp(l.v[i].value, "auto")) {
        cfg->icount_shift = -1;
    } else if (options_parse_uint(l.v[i].value, &shift, NULL) < 0 ||
               shift > PEMU_ICOUNT_MAX_SHIFT) {
        elem_fail(st, errp, &l, i, "shift", "invalid shift (use 0-%d or auto)",
                  PEMU_ICOUNT_MAX_SHIFT);
        goto out;
    } else {
        cfg->icount_shift = (int)shift;
    }
    if (get_bool(st, &l, "shift", "sleep", &cfg->icount_sleep, errp) < 0 ||
        get_bool(st, &l, "shift", "align", &cfg->icount_align, errp) < 0)
        goto out;
    if (cfg->icount_align && cfg->icount_shift < 0) {
        error_setg(errp, "%s %s: align=on cannot be used with shift=auto", st->opt, st->arg);
        goto out;
    }
    if (cfg->icount_align && !cfg->icount_sleep) {
        error_setg(errp, "%s %s: align=on cannot be used with sleep=off", st->opt, st->arg);
        goto out;
    }
    cfg->icount = true;
    r = 0;
out:
    options_list_free(&l);
    return r;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* "2006-06-17" or "2006-06-17T16:01:21" as seconds since 1970 UTC. */
static int parse_date(const char *s, int64_t *out)
{
    int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;
    static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (strlen(s) == 10) {
        if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
            return -1;
    } else if (strlen(s) == 19) {
        if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 ||
            n != 19)
            return -1;
    } else {
        return -1;
    }
    for (int i = 0; i < 19 && s[i]; i++)
        if (!isdigit((unsigned char)s[i]) && !strchr("-T:", s[i]))
            return -1;
    if (y < 1900 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 ||
        sec > 59)
        return -1;
    if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return -1;
    *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
    return 0;
}

static int opt_rtc(ParseState *st, Error **errp)
{
    static const char *const valid[] = { "base", "clock", "driftfix", NULL };
    static const char *const clocks[] = { "host", "rt", "vm", NULL };
    static const char *const drift[] = { "none", "slew", NULL };
    PemuConfig *cfg = st->cfg;
    OptionList l;
    Error *e = NULL;
    int r = -1, i, c;

    if (options_list_parse(st->arg, NULL, &l, &e) < 0)
        return fail_in(errp, e, st->opt, st->arg);
    if (check_keys(st, &l, NULL, valid, NULL, errp) < 0)
        goto out;
    if ((i = find_key(&l, "base")) >= 0) {
        const char *b = l.v[i].value;
        if (!strcmp(b, "utc")) {
            cfg->rtc_base = RTC_BASE_UTC;
        } else if (!strcmp(b, "localtime")) {
            cfg->rtc_base = RTC_BASE_LOCALTIME;
        } else if (parse_date(b, &cfg->rtc_date) == 0) {
            cfg->rtc_base = RTC_BASE_DATE;
        } else {
            elem_fail(st, errp, &l, i, NULL,
                      "invalid base (use utc, localtime, 2006-06-17 or 2006-06-17T16:01:21)");
            goto out;
        }
    }
    if ((c = get_enum(st, &l, NULL, "clock", clocks, "clock", errp)) == -2)
        goto out;
    if (c >= 0)
        cfg->rtc_clock = (RtcClock)c;
    if ((c = get_enum(st, &l, NULL, "driftfix", drift, "driftfix", errp)) == -2)
        goto out;
    if (c >= 0)
        cfg->rtc_driftfix_slew = c == 1;
    r = 0;
out:
    options_list_free(&l);
    return r;
}

/* ---- miscellaneous lists ------------------------------------------------ */

/* Options that are plain bool lists: -overcommit, -msg, -name. */
static int opt_bools(ParseState *st, const char *implied, const char *const *keys,
                     bool *const *dst, Error **errp)
{
    OptionList l;
    Error *e = NULL;
    int r = -1;
    if (options_list_parse(st->arg, implied, &l, &e) < 0)
        return fail_in(errp, e, st->opt, st->arg);
    if (check_keys(st, &l, implied, keys, NULL, errp) < 0)
        goto out;
    for (int k = 0; keys[k]; k++)
        if (dst[k] && get_bool(st, &l, implied, keys[k], dst[k], errp) < 0)
            goto out;
    r = 0;
out:
    options_list_free(&l);
    return r;
}

static int opt_name(ParseState *st, Error **errp)
{
    static const char *const keys[] = { "guest", "process", "debug-threads", NULL };
    PemuConfig *cfg = st->cfg;
    bool *const dst[] = { NULL, NULL, &cfg->debug_threads };
    OptionList l;
    Error *e = NULL;
    if (opt_bools(st, "guest", keys, dst, errp) < 0)
        return -1;
    if (options_list_parse(st->arg, "guest", &l, &e) < 0)
        return fail_in(errp, e, st->opt, st->arg);
    if (options_list_get(&l, "guest"))
        set_str(&cfg->name, options_list_get(&l, "guest"));
    if (options_list_get(&l, "process"))
        set_str(&cfg->process_name, options_list_get(&l, "process"));
    options_list_free(&l);
    return 0;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

int options_parse_uuid(const char *s, uint8_t uuid[16])
{
    /* 8-4-4-4-12 hex digits */
    static const int group[5] = { 8, 4, 4, 4, 12 };
    int k = 0;
    for (int g = 0; g < 5; g++) {
        if (g && *s++ != '-')
            return -1;
        for (int i = 0; i < group[g]; i += 2, k++) {
            int hi = hexval(s[0]), lo = hi < 0 ? -1 : hexval(s[1]);
            if (lo < 0)
                return -1;
            uuid[k] = (uint8_t)(hi << 4 | lo);
            s += 2;
        }
    }
    return *s ? -1 : 0;
}

static int opt_uuid(ParseState *st, Error **errp)
{
    if (options_parse_uuid(st->arg, st->cfg->uuid) < 0) {
        error_setg(errp, "%s %s: expected a UUID, xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx in hex",
                   st->opt, st->arg);
        return -1;
    }
    st->cfg->has_uuid = true;
    return 0;
}

/* -smbios: kept as given; hw/smbios.c checks the fields when it builds the tables. */
static int opt_smbios(ParseState *st, Error **errp)
{
    PemuConfig *cfg = st->cfg;
    OptionList l;
    Error *e = NULL;
    if (options_list_parse(st->arg, NULL, &l, &e) < 0)
        return fail_in(errp, e, st->opt, st->arg);
    if (!options_list_get(&l, "type") && !options_list_get(&l, "file")) {
        options_list_free(&l);
        error_setg(errp, "%s %s: type= is missing (0, 1, 2, 3, 4, 11 or 17)", st->opt, st->arg);
        return -1;
    }
    *VEC_PUSH(cfg->smbios, cfg->nsmbios) = l;
    return 0;
}

static int opt_device(ParseState *st, Error **errp)
{
    PemuConfig *cfg = st->cfg;
    OptionList l;
    Error *e = NULL;

    if (options_list_parse(st->arg, "driver", &l, &e) < 0)
        return fail_in(errp, e, st->opt, st->arg);
    const char *drv = options_list_get(&l, "driver");
    if (!drv || !*drv || find_key(&l, "driver") != 0) {
        options_list_free(&l);
        error_setg(errp, "%s %s: no device type given first ('-device help' lists them)",
                   st->opt, st->arg);
        return -1;
    }
    if (!strcmp(drv, "help") || !strcmp(drv, "?")) {
        cfg->device_help = true;
    } else if (options_list_get(&l, "help") || options_list_get(&l, "?")) {
        cfg->device_help = true;
        set_str(&cfg->device_help_driver, drv);
    } else {
        DeviceConfig *d = VEC_PUSH(cfg->devices, cfg->ndevices);
        d->raw = xstrdup(st->arg);
        d->driver = xstrdup(drv);
        free(l.v[0].key);
        free(l.v[0].value);
        memmove(l.v, l.v + 1, (size_t)(l.n - 1) * sizeof(*l.v));
        l.n--;
        l.implied = false;
        d->props = l;
        return 0;
    }
    options_list_free(&l);
    return 0;
}

static int opt_global(ParseState *st, Error **errp)
{
    PemuConfig *cfg = st->cfg;
    const char *a = st->arg, *eq = strchr(a, '='), *dot = strchr(a, '.');
    GlobalConfig g = { 0 };

    if (!strncmp(a, "driver=", 7)) {
        static const char *const valid[] = { "driver", "property", "value", NULL };
        OptionList l;
        Error *e = NULL;
        if (options_list_parse(a, NULL, &l, &e) < 0)
            return fail_in(errp, e, st->opt, st->arg);
        int r = check_keys(st, &l, NULL, valid, NULL, errp);
        const char *d = options_list_get(&l, "driver"), *p = options_list_get(&l, "property"),
                   *v = options_list_get(&l, "value");
        if (r == 0 && (!d || !*d || !p || !*p || !v)) {
            error_setg(errp, "%s %s: driver=, property= and value= are all needed", st->opt, a);
            r = -1;
        }
        if (r == 0) {
            g.driver = xstrdup(d);
            g.property = xstrdup(p);
            g.value = xstrdup(v);
        }
        options_list_free(&l);
        if (r < 0)
            return -1;
    } else {
        if (!eq || !dot || dot > eq || dot == a || dot + 1 == eq) {
            error_setg(errp, "%s %s: expected driver.property=value", st->opt, a);
            return -1;
        }
        g.driver = xstrndup(a, (size_t)(dot - a));
        g.property = xstrndup(dot + 1, (size_t)(eq - dot - 1));
        g.value = xstrdup(eq + 1);
    }
    *VEC_PUSH(cfg->globals, cfg->nglobals) = g;
    return 0;
}

static int opt_string(ParseState *st, char **dst, bool allow_empty, Error **errp)
{
    if (!allow_empty && !*st->arg) {
        error_setg(errp, "%s: empty argument", st->opt);
        return -1;
    }
    set_str(dst, st->arg);
    return 0;
}

/* ---- the driver --------------------------------------------------------- */

static void config_init(PemuConfig *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->machine_type = xstrdup("pc");
    cfg->graphics = true;
    cfg->ram_size = PEMU_DEFAULT_RAM;
    cfg->maxmem = PEMU_DEFAULT_RAM;
    cfg->cpus = cfg->maxcpus = cfg->sockets = cfg->dies = cfg->cores = cfg->threads = 1;
    cfg->boot_splash_time = -1;
    cfg->boot_reboot_timeout = -1;
    cfg->sdl_window_close = true;
    cfg->vga = VGA_STD;
    cfg->echr = 1;
    cfg->icount_sleep = true;
    cfg->rtc_base = RTC_BASE_UTC;
    cfg->rtc_clock = RTC_CLOCK_HOST;
}

void options_config_free(PemuConfig *cfg)
{
    free(cfg->device_help_driver);
    free(cfg->machine_type);
    free(cfg->cpu_model);
    free(cfg->cpu_features);
    free(cfg->bios);
    for (int i = 0; i < cfg->nfirmware_dirs; i++)
        free(cfg->firmware_dirs[i]);
    free(cfg->firmware_dirs);
    free(cfg->boot_splash);
    free(cfg->kernel);
    free(cfg->initrd);
    free(cfg->append);
    for (int i = 0; i < cfg->ndrives; i++)
        drive_free(&cfg->drives[i]);
    free(cfg->drives);
    free(cfg->loadvm);
    free(cfg->curses_charset);
    free(cfg->keyboard_layout);
    for (int i = 0; i < cfg->nchardevs; i++)
        chardev_free(&cfg->chardevs[i]);
    free(cfg->chardevs);
    for (int i = 0; i < cfg->nserial; i++)
        free(cfg->serial[i]);
    for (int i = 0; i < cfg->nmonitors; i++)
        free(cfg->monitors[i].chardev);
    free(cfg->monitors);
    free(cfg->gdb_chardev);
    free(cfg->debugcon_chardev);
    for (int i = 0; i < cfg->ndevices; i++) {
        free(cfg->devices[i].raw);
        free(cfg->devices[i].driver);
        options_list_free(&cfg->devices[i].props);
    }
    free(cfg->devices);
    for (int i = 0; i < cfg->nsmbios; i++)
        options_list_free(&cfg->smbios[i]);
    free(cfg->smbios);
    for (int i = 0; i < cfg->nglobals; i++) {
        free(cfg->globals[i].driver);
        free(cfg->globals[i].property);
        free(cfg->globals[i].value);
    }
    free(cfg->globals);
    free(cfg->log_file);
    free(cfg->log_filter);
    free(cfg->name);
    free(cfg->process_name);
    free(cfg->pidfile);
    memset(cfg, 0, sizeof(*cfg));
}

static int parse_one(ParseState *st, const OptionDef *d, Error **errp)
{
    PemuConfig *cfg = st->cfg;
    const char *a = st->arg;
    char *origin;
    int r;

    switch (d->id) {
    case O_HELP:
        cfg->show_help = true;
        return 0;
    case O_VERSION:
        cfg->show_version = true;
        return 0;
    case O_MACHINE:
        return opt_machine(st, errp);
    case O_CPU:
        return opt_cpu(st, errp);
    case O_ACCEL:
        return opt_accel(st, errp);
    case O_ENABLE_KVM:
        if (st->machine_accel_given) {
            error_setg(errp, "%s: -enable-kvm and -machine accel= cannot be used together",
                       st->opt);
            return -1;
        }
        st->accel_option_given = true;
        for (int i = 0; i < cfg->naccel; i++)
            if (cfg->accel[i] == ACCEL_KVM)
                return 0;
        cfg->accel[cfg->naccel++] = ACCEL_KVM;
        return 0;
    case O_SMP:
        return opt_smp(st, errp);
    case O_M:
        return opt_m(st, errp);
    case O_K:
        return opt_k(st, errp);
    case O_NAME:
        return opt_name(st, errp);
    case O_RTC:
        return opt_rtc(st, errp);
    case O_DEVICE:
        return opt_device(st, errp);
    case O_UUID:
        return opt_uuid(st, errp);
    case O_SMBIOS:
        return opt_smbios(st, errp);
    case O_GLOBAL:
        return opt_global(st, errp);
    case O_NIC:
        if (strcmp(a, "none")) {
            error_setg(errp, "%s %s: not supported yet", st->opt, a);
            return -1;
        }
        cfg->net_none = true;
        return 0;
    case O_NODEFAULTS:
        cfg->nodefaults = true;
        return 0;
    case O_NO_USER_CONFIG:
    case O_NO_HPET:
        return 0;
    case O_PIDFILE:
        return opt_string(st, &cfg->pidfile, false, errp);
    case O_OVERCOMMIT: {
        static const char *const keys[] = { "mem-lock", "cpu-pm", NULL };
        bool *const dst[] = { &cfg->overcommit_mem_lock, &cfg->overcommit_cpu_pm };
        return opt_bools(st, NULL, keys, dst, errp);
    }
    case O_MSG: {
        static const char *const keys[] = { "timestamp", "guest-name", NULL };
        bool *const dst[] = { &cfg->msg_timestamp, &cfg->msg_guest_name };
        return opt_bools(st, NULL, keys, dst, errp);
    }
    case O_FDA:
    case O_FDB:
        origin = origin_text(st);
        r = drive_add_legacy(st, origin, a, "floppy", d->id - O_FDA, NULL, errp);
        free(origin);
        return r;
    case O_HDA:
    case O_HDB:
    case O_HDC:
    case O_HDD:
        origin = origin_text(st);
        r = drive_add_legacy(st, origin, a, "ide", d->id - O_HDA, "disk", errp);
        free(origin);
        return r;
    case O_CDROM:
        origin = origin_text(st);
        r = drive_add_legacy(st, origin, a, "ide", 2, "cdrom", errp);
        free(origin);
        return r;
    case O_DRIVE: {
        OptionList l;
        Error *e = NULL;
        if (options_list_parse(a, NULL, &l, &e) < 0)
            return fail_in(errp, e, st->opt, a);
        origin = origin_text(st);
        r = drive_add(st, origin, &l, errp);
        free(origin);
        options_list_free(&l);
        return r;
    }
    case O_SNAPSHOT:
        cfg->snapshot = true;
        return 0;
    case O_LOADVM:
        return opt_string(st, &cfg->loadvm, false, errp);
    case O_BOOT:
        return opt_boot(st, errp);
    case O_BIOS:
        if (!*a) {
            error_setg(errp, "%s: empty argument", st->opt);
            return -1;
        }
        if (st->bios_origin && cfg->bios && strcmp(cfg->bios, a)) {
            error_setg(errp, "%s %s: conflicts with %s", st->opt, a, st->bios_origin);
            return -1;
        }
        set_str(&cfg->bios, a);
        free(st->bios_origin);
        st->bios_origin = origin_text(st);
        cfg->no_firmware = false;
        return 0;
    case O_L:
        if (!*a) {
            error_setg(errp, "%s: empty argument", st->opt);
            return -1;
        }
        *VEC_PUSH(cfg->firmware_dirs, cfg->nfirmware_dirs) = xstrdup(a);
        return 0;
    case O_KERNEL:
        return opt_string(st, &cfg->kernel, false, errp);
    case O_INITRD:
        return opt_string(st, &cfg->initrd, false, errp);
    case O_APPEND:
        return opt_string(st, &cfg->append, true, errp);
    case O_NO_REBOOT:
        cfg->no_reboot = true;
        return 0;
    case O_NO_SHUTDOWN:
        cfg->no_shutdown = true;
        return 0;
    case O_DISPLAY:
        return opt_display(st, errp);
    case O_NOGRAPHIC:
        cfg->nographic = true;
        return 0;
    case O_FULL_SCREEN:
        cfg->full_screen = true;
        return 0;
    case O_VGA:
        return opt_vga(st, errp);
    case O_SERIAL:
        return opt_serial(st, errp);
    case O_PARALLEL:
        if (strcmp(a, "none")) {
            error_setg(errp, "%s %s: not supported yet (the pemu PC has no parallel port)",
                       st->opt, a);
            return -1;
        }
        return 0;
    case O_MONITOR:
        return opt_monitor(st, false, false, errp);
    case O_QMP:
        return opt_monitor(st, true, false, errp);
    case O_QMP_PRETTY:
        return opt_monitor(st, true, true, errp);
    case O_MON:
        return opt_mon(st, errp);
    case O_CHARDEV:
        return opt_chardev(st, errp);
    case O_DEBUGCON:
        return opt_single_frontend(st, a, "debugcon", &cfg->debugcon_chardev, errp);
    case O_ECHR: {
        uint64_t v;
        Error *e = NULL;
        if (options_parse_uint(a, &v, &e) < 0)
            return fail_in(errp, e, st->opt, a);
        if (v > 255) {
            error_setg(errp, "%s %s: out of range (use a character code 0-255)", st->opt, a);
            return -1;
        }
        cfg->echr = (int)v;
        return 0;
    }
    case O_STOPPED:
        cfg->start_stopped = true;
        return 0;
    case O_GDB_DEFAULT:
    case O_GDB: {
        if (opt_single_frontend(st, d->id == O_GDB ? a : PEMU_GDB_DEFAULT, "gdb",
                                &cfg->gdb_chardev, errp) < 0)
            return -1;
        /* gdb connects to pemu: a TCP gdbstub always listens, without
         * waiting, and answers small packets at once (as QEMU's does). */
        ChardevConfig *c = cfg->gdb_chardev ? options_find_chardev(cfg, cfg->gdb_chardev) : NULL;
        if (c && c->implicit && c->backend == CHARDEV_SOCKET && !c->path) {
            c->server = true;
            c->wait = false;
            c->nodelay = true;
        }
        return 0;
    }
    case O_LOG:
        if (!strcmp(a, "help") || !strcmp(a, "?")) {
            cfg->log_help = true; /* main prints the list: parsers do not print */
            return 0;
        }
        return log_parse_mask(a, &cfg->log_mask, errp) < 0 ? -1 : 0;
    case O_LOGFILE:
        return opt_string(st, &cfg->log_file, false, errp);
    case O_DFILTER:
        /* log_set_filter validates by installing the filter; main
         * installs it again from cfg, so the side effect is harmless. */
        if (log_set_filter(a, errp) < 0)
            return -1;
        return opt_string(st, &cfg->log_filter, false, errp);
    case O_ICOUNT:
        return opt_icount(st, errp);
    case O_SINGLESTEP:
        cfg->singlestep = true;
        return 0;
    case O_UNSUPPORTED:
        break;
    }
    error_setg(errp, "%s: not supported yet", st->opt);
    return -1;
}

/* Default consoles, QEMU's way: -nographic puts the serial port and the
 * monitor together on stdio; otherwise both are consoles of the display. */
static int consoles_finalize(ParseState *st, Error **errp)
{
    PemuConfig *cfg = st->cfg;
    ChardevConfig c = { 0 };
    const char *spec_serial = NULL, *spec_monitor = NULL;

    if (cfg->nodefaults)
        st->default_serial = st->default_monitor = false;
    if (cfg->nographic) {
        if (st->default_serial && st->default_monitor) {
            spec_serial = "stdio";
            c.mux = true;
        } else {
            spec_serial = st->default_serial ? "stdio" : NULL;
            spec_monitor = st->default_monitor ? "stdio" : NULL;
        }
    } else {
        spec_serial = st->default_serial ? "vc" : NULL;
        spec_monitor = st->default_monitor ? "vc" : NULL;
    }
    if (spec_serial) {
        if (options_find_chardev(cfg, "serial0")) {
            error_setg(errp, "chardev id 'serial0' is reserved for the default serial port");
            return -1;
        }
        c.backend = spec_serial[0] == 's' ? CHARDEV_STDIO : CHARDEV_VC;
        c.signal = true;
        c.port = -1;
        c.implicit = true;
        chardev_new(cfg, &c, "serial0", cfg->nographic ? "-nographic" : "(default serial port)");
        cfg->serial[cfg->nserial++] = xstrdup("serial0");
        if (c.mux)
            monitor_add(st, "serial0", false, false)->is_default = true;
    }
    if (spec_monitor) {
        char id[32];
        snprintf(id, sizeof(id), "compat_monitor%d", st->compat_monitors);
        if (options_find_chardev(cfg, id)) {
            error_setg(errp, "chardev id '%s' is reserved for the default monitor", id);
            return -1;
        }
        memset(&c, 0, sizeof(c));
        c.backend = spec_monitor[0] == 's' ? CHARDEV_STDIO : CHARDEV_VC;
        c.signal = true;
        c.port = -1;
        c.implicit = true;
        chardev_new(cfg, &c, id, cfg->nographic ? "-nographic" : "(default monitor)");
        monitor_add(st, id, false, false)->is_default = true;
    }

    /* Every chardev:ID names a -chardev. */
    for (int i = 0; i < st->nrefs; i++) {
        if (!options_find_chardev(cfg, st->refs[i].id)) {
            error_setg(errp, "%s: no -chardev with id '%s'", st->refs[i].origin, st->refs[i].id);
            return -1;
        }
    }
    /* One terminal: only one chardev may own stdio (share it with mux). */
    const ChardevConfig *stdio = NULL;
    for (int i = 0; i < cfg->nchardevs; i++) {
        const ChardevConfig *ch = &cfg->chardevs[i];
        if (ch->backend != CHARDEV_STDIO)
            continue;
        if (stdio) {
            error_setg(errp, "%s and %s both use stdio (share it: -serial mon:stdio, or "
                       "-chardev stdio,mux=on,id=ID and chardev:ID)", stdio->origin, ch->origin);
            return -1;
        }
        stdio = ch;
    }
    if (stdio && cfg->display == DISPLAY_CURSES) {
        error_setg(errp, "%s: the terminal is taken by -display curses", stdio->origin);
        return -1;
    }
    /* A chardev without mux=on serves one front end. */
    for (int i = 0; i < cfg->nchardevs; i++) {
        const ChardevConfig *ch = &cfg->chardevs[i];
        int users = 0;
        for (int k = 0; k < cfg->nserial; k++)
            users += !strcmp(cfg->serial[k], ch->id);
        for (int k = 0; k < cfg->nmonitors; k++)
            users += !strcmp(cfg->monitors[k].chardev, ch->id);
        users += cfg->gdb_chardev && !strcmp(cfg->gdb_chardev, ch->id);
        users += cfg->debugcon_chardev && !strcmp(cfg->debugcon_chardev, ch->id);
        if (users > 1 && !ch->mux) {
            error_setg(errp, "%s: chardev '%s' has %d users: add mux=on to share it",
                       ch->origin, ch->id, users);
            return -1;
        }
    }
    return 0;
}

static int finalize(ParseState *st, Error **errp)
{
    PemuConfig *cfg = st->cfg;

    if (cfg->initrd && !cfg->kernel) {
        error_setg(errp, "-initrd %s: needs -kernel", cfg->initrd);
        return -1;
    }
    if (cfg->append && !cfg->kernel) {
        error_setg(errp, "-append: needs -kernel");
        return -1;
    }
    if (cfg->nographic) {
        if (st->display_given && cfg->display != DISPLAY_NONE) {
            error_setg(errp, "-nographic cannot be used with -display %s",
                       cfg->display == DISPLAY_SDL ? "sdl" : "curses");
            return -1;
        }
        cfg->display = DISPLAY_NONE;
    }
    if (cfg->nodefaults && !st->vga_given)
        cfg->vga = VGA_NONE;
    if (smp_finalize(st, errp) < 0)
        return -1;
    if (cfg->icount && cfg->naccel && cfg->accel[0] == ACCEL_KVM) {
        error_setg(errp, "-icount cannot be used with KVM (use -accel tcg)");
        return -1;
    }
    for (int i = 0; i < cfg->ndrives; i++)
        if (!cfg->drives[i].snapshot_explicit)
            cfg->drives[i].snapshot = cfg->snapshot;
    return consoles_finalize(st, errp);
}

static void state_free(ParseState *st)
{
    for (int i = 0; i < st->nrefs; i++) {
        free(st->refs[i].id);
        free(st->refs[i].origin);
    }
    free(st->refs);
    free(st->smp_origin);
    free(st->bios_origin);
}

int options_parse(int argc, char **argv, PemuConfig *cfg, Error **errp)
{
    ParseState st = { 0 };
    int r = -1;

    config_init(cfg);
    st.cfg = cfg;
    st.default_serial = st.default_monitor = true;
    for (int i = 1; i < argc; i++) {
        const char *w = argv[i];
        if (w[0] != '-') {
            /* QEMU: a bare word is an image for IDE disk 0. */
            if (drive_add_legacy(&st, w, w, "ide", 0, "disk", errp) < 0)
                goto out;
            continue;
        }
        const char *name = w + 1 + (w[1] == '-');
        const OptionDef *d = option_find(name);
        st.opt = w;
        st.arg = NULL;
        if (!d) {
            error_setg(errp, "%s: invalid option", w);
            goto out;
        }
        if (d->flags & OPT_UNSUPPORTED) {
            error_setg(errp, "%s: not supported yet", w);
            goto out;
        }
        if (d->flags & OPT_ARG) {
            if (i + 1 >= argc) {
                error_setg(errp, "%s: requires an argument", w);
                goto out;
            }
            st.arg = argv[++i];
        }
        if (parse_one(&st, d, errp) < 0)
            goto out;
        if (cfg->show_help || cfg->show_version) {
            r = 0; /* like QEMU: answered at once, the rest is not read */
            goto out;
        }
    }
    r = finalize(&st, errp);
out:
    state_free(&st);
    if (r < 0)
        options_config_free(cfg);
    return r;
}

DisplayKind options_default_display(bool have_sdl, bool have_curses, bool have_window_system,
                                    bool stdout_is_tty)
{
    if (have_sdl && have_window_system)
        return DISPLAY_SDL;
    if (have_curses && stdout_is_tty)
        return DISPLAY_CURSES;
    return DISPLAY_NONE;
}

/* ---- help --------------------------------------------------------------- */

#define HELP_COL 16

static void print_indented(FILE *f, const char *text, int col)
{
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        int n = nl ? (int)(nl - p) : (int)strlen(p);
        fprintf(f, "%*s%.*s\n", col, "", n, p);
        p += n + (nl != NULL);
    }
}

void options_print_help(FILE *f)
{
    fprintf(f, "pemu version %s, a portable PC emulator\n"
               "usage: pemu [options] [disk_image]\n\n"
               "'disk_image' is a raw or qcow2 image for IDE hard disk 0 (as -hda).\n"
               "Options are spelled as in QEMU; -opt and --opt are the same.\n",
            PEMU_VERSION);
    for (int g = G_STD; g <= G_DEBUG; g++) {
        fprintf(f, "\n%s:\n", group_names[g]);
        for (size_t i = 0; i < PEMU_ARRAY_SIZE(option_defs); i++) {
            const OptionDef *d = &option_defs[i];
            if (d->group != g)
                continue;
            const char *nl = strchr(d->spell, '\n');
            if (!nl && (int)strlen(d->spell) < HELP_COL) {
                const char *hnl = strchr(d->help, '\n');
                int n = hnl ? (int)(hnl - d->help) : (int)strlen(d->help);
                fprintf(f, "%-*s%.*s\n", HELP_COL, d->spell, n, d->help);
                if (hnl)
                    print_indented(f, hnl + 1, HELP_COL);
            } else {
                print_indented(f, d->spell, 0);
                print_indented(f, d->help, HELP_COL);
            }
        }
    }
    fprintf(f, "\nDisplay default: without -display or -nographic, pemu uses SDL when it is\n"
               "built in and $DISPLAY or $WAYLAND_DISPLAY is set, else curses when it is\n"
               "built in and stdout is a terminal, else none. This build has: SDL %s,\n"
               "curses %s.\n",
#ifdef CONFIG_SDL
            "yes",
#else
            "no",
#endif
#ifdef CONFIG_CURSES
            "yes"
#else
            "no"
#endif
    );
    fprintf(f, "\nQEMU options that pemu refuses (not supported yet):\n");
    int col = 0;
    for (size_t i = 0; i < PEMU_ARRAY_SIZE(option_defs); i++) {
        const OptionDef *d = &option_defs[i];
        if (d->group != G_UNSUPPORTED)
            continue;
        int w = (int)strlen(d->name) + 2;
        if (col + w > 78) {
            fputc('\n', f);
            col = 0;
        }
        col += fprintf(f, "%s-%s", col ? " " : "", d->name);
    }
    fputc('\n', f);
}

void options_print_version(FILE *f)
{
    fprintf(f, "pemu version %s\n"
               "pemu runs x86 PC guests on any host: translated to an IR and interpreted\n",
            PEMU_VERSION);
}
