/* src/options: key=value lists, sizes, every option, defaults, messages. */
#include "unit.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "src/log.h"
#include "src/options.h"

static char lasterr[1024];

/* Parse "pemu ARGS..." (NULL-terminated); the error text goes to lasterr. */
static int parse(PemuConfig *cfg, ...)
{
    char *argv[128];
    int argc = 0;
    va_list ap;
    Error *err = NULL;

    argv[argc++] = (char *)"pemu";
    va_start(ap, cfg);
    for (char *a; (a = va_arg(ap, char *)) != NULL && argc < 127;)
        argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;
    lasterr[0] = 0;
    int r = options_parse(argc, argv, cfg, &err);
    if (err) {
        snprintf(lasterr, sizeof(lasterr), "%s", err->msg);
        error_free(err);
    }
    return r;
}

/* Parse and fail the test if that fails. */
#define OK(...)                                                             \
    do {                                                                    \
        if (parse(__VA_ARGS__, (char *)NULL) != 0) {                        \
            unit_fail(__FILE__, __LINE__, "parse failed: %s", lasterr);     \
            return;                                                         \
        }                                                                   \
    } while (0)

/* Parse, expect failure with exactly msg. */
#define ERR(msg, ...)                                                       \
    do {                                                                    \
        PemuConfig c_;                                                      \
        if (parse(&c_, __VA_ARGS__, (char *)NULL) == 0) {                   \
            options_config_free(&c_);                                       \
            unit_fail(__FILE__, __LINE__, "parse succeeded, expected \"%s\"", msg); \
            return;                                                         \
        }                                                                   \
        CHECK(c_.machine_type == NULL && c_.ndrives == 0); /* freed */      \
        CHECK_STR(lasterr, msg);                                            \
    } while (0)

/* Parse, expect failure with a message containing part. */
#define ERR_HAS(part, ...)                                                  \
    do {                                                                    \
        PemuConfig c_;                                                      \
        if (parse(&c_, __VA_ARGS__, (char *)NULL) == 0) {                   \
            options_config_free(&c_);                                       \
            unit_fail(__FILE__, __LINE__, "parse succeeded, expected \"%s\"", part); \
            return;                                                         \
        }                                                                   \
        if (!strstr(lasterr, part)) {                                       \
            unit_fail(__FILE__, __LINE__, "\"%s\" lacks \"%s\"", lasterr, part); \
            return;                                                         \
        }                                                                   \
    } while (0)

#define MiB (1ull << 20)
#define GiB (1ull << 30)

/* ---- generic helpers ---------------------------------------------------- */

TEST(list_escaping)
{
    OptionList l;
    CHECK_EQ(options_list_parse("a=1,b=x,,y", NULL, &l, NULL), 0);
    CHECK_EQ(l.n, 2);
    CHECK_STR(l.v[0].key, "a");
    CHECK_STR(l.v[0].value, "1");
    CHECK_STR(l.v[1].key, "b");
    CHECK_STR(l.v[1].value, "x,y");
    CHECK(!l.implied);
    options_list_free(&l);
    CHECK_EQ(l.n, 0);

    CHECK_EQ(options_list_parse("file=a,,,,b,,,if=ide", NULL, &l, NULL), 0);
    CHECK_EQ(l.n, 2);
    CHECK_STR(options_list_get(&l, "file"), "a,,b,");
    CHECK_STR(options_list_get(&l, "if"), "ide");
    options_list_free(&l);

    CHECK_EQ(options_list_parse("a=b=c,d=", NULL, &l, NULL), 0);
    CHECK_STR(options_list_get(&l, "a"), "b=c");
    CHECK_STR(options_list_get(&l, "d"), "");
    options_list_free(&l);
}

TEST(list_implied_key_and_flags)
{
    OptionList l;
    CHECK_EQ(options_list_parse("512,slots=2", "size", &l, NULL), 0);
    CHECK(l.implied);
    CHECK_STR(l.v[0].key, "size");
    CHECK_STR(l.v[0].value, "512");
    CHECK_STR(options_list_get(&l, "slots"), "2");
    options_list_free(&l);

    /* the implied value is escaped like any value */
    CHECK_EQ(options_list_parse("a,,b,c=1", "path", &l, NULL), 0);
    CHECK_STR(options_list_get(&l, "path"), "a,b");
    CHECK_STR(options_list_get(&l, "c"), "1");
    options_list_free(&l);

    /* an explicit first key is not implied */
    CHECK_EQ(options_list_parse("size=1G", "size", &l, NULL), 0);
    CHECK(!l.implied);
    options_list_free(&l);

    /* bare words later on are booleans; "noX" is X=off */
    CHECK_EQ(options_list_parse(":4444,server,nowait,", "addr", &l, NULL), 0);
    CHECK_EQ(l.n, 3);
    CHECK_STR(options_list_get(&l, "addr"), ":4444");
    CHECK_STR(options_list_get(&l, "server"), "on");
    CHECK_STR(options_list_get(&l, "wait"), "off");
    CHECK(options_list_get(&l, "nowait") == NULL);
    options_list_free(&l);

    /* without an implied key a bare first word is a flag too */
    CHECK_EQ(options_list_parse("sdl", NULL, &l, NULL), 0);
    CHECK_STR(options_list_get(&l, "sdl"), "on");
    options_list_free(&l);

    /* the last of a repeated key wins; both are kept */
    CHECK_EQ(options_list_parse("a=1,a=2", NULL, &l, NULL), 0);
    CHECK_EQ(l.n, 2);
    CHECK_STR(options_list_get(&l, "a"), "2");
    options_list_free(&l);

    CHECK_EQ(options_list_parse("", "x", &l, NULL), 0);
    CHECK_EQ(l.n, 0);
}

TEST(list_errors)
{
    OptionList l;
    Error *e = NULL;
    CHECK_EQ(options_list_parse(",a=1", NULL, &l, &e), -1);
    CHECK_STR(e->msg, "empty parameter name in ',a=1'");
    CHECK_EQ(l.n, 0);
    error_free(e);
    e = NULL;
    CHECK_EQ(options_list_parse("a=1,=2", NULL, &l, &e), -1);
    CHECK(e != NULL);
    error_free(e);
    /* ",," after a flag ends the flag, then an empty name follows */
    CHECK_EQ(options_list_parse("x,a,,b", NULL, &l, NULL), -1);
}

TEST(size_suffixes)
{
    uint64_t v;
    CHECK_EQ(options_parse_size("512", MiB, &v, NULL), 0);
    CHECK_EQ(v, 512 * MiB);
    CHECK_EQ(options_parse_size("512", 1, &v, NULL), 0);
    CHECK_EQ(v, 512);
    CHECK_EQ(options_parse_size("1G", MiB, &v, NULL), 0);
    CHECK_EQ(v, GiB);
    CHECK_EQ(options_parse_size("1g", 1, &v, NULL), 0);
    CHECK_EQ(v, GiB);
    CHECK_EQ(options_parse_size("1.5G", MiB, &v, NULL), 0);
    CHECK_EQ(v, GiB + GiB / 2);
    CHECK_EQ(options_parse_size("256M", 1, &v, NULL), 0);
    CHECK_EQ(v, 256 * MiB);
    CHECK_EQ(options_parse_size("64k", MiB, &v, NULL), 0);
    CHECK_EQ(v, 65536);
    CHECK_EQ(options_parse_size("64K", MiB, &v, NULL), 0);
    CHECK_EQ(v, 65536);
    CHECK_EQ(options_parse_size("100b", MiB, &v, NULL), 0);
    CHECK_EQ(v, 100);
    CHECK_EQ(options_parse_size("100B", MiB, &v, NULL), 0);
    CHECK_EQ(v, 100);
    CHECK_EQ(options_parse_size("2T", 1, &v, NULL), 0);
    CHECK_EQ(v, 2ull << 40);
    CHECK_EQ(options_parse_size("3P", 1, &v, NULL), 0);
    CHECK_EQ(v, 3ull << 50);
    CHECK_EQ(options_parse_size("15E", 1, &v, NULL), 0);
    CHECK_EQ(v, 15ull << 60);
    CHECK_EQ(options_parse_size("0.5K", 1, &v, NULL), 0);
    CHECK_EQ(v, 512);
    CHECK_EQ(options_parse_size("0.25M", 1, &v, NULL), 0);
    CHECK_EQ(v, 256 * 1024);
    CHECK_EQ(options_parse_size("0x1000", 1, &v, NULL), 0);
    CHECK_EQ(v, 0x1000);
    CHECK_EQ(options_parse_size("0x10", MiB, &v, NULL), 0);
    CHECK_EQ(v, 16 * MiB);
    CHECK_EQ(options_parse_size("0", MiB, &v, NULL), 0);
    CHECK_EQ(v, 0);
}

TEST(size_errors)
{
    uint64_t v = 7;
    Error *e = NULL;
    const char *bad[] = { "", "12X", "-5", "+5", " 1", "1 ", "1.5", "1.", ".5G", "1GB",
                          "1KiB", "1.5b", "0x10M", "0x", "M", "1e3", "1,5G" };
    for (size_t i = 0; i < PEMU_ARRAY_SIZE(bad); i++) {
        if (options_parse_size(bad[i], MiB, &v, NULL) == 0) {
            unit_fail(__FILE__, __LINE__, "'%s' accepted as a size", bad[i]);
            return;
        }
    }
    CHECK_EQ(v, 7); /* untouched */
    CHECK_EQ(options_parse_size("12X", MiB, &v, &e), -1);
    CHECK_STR(e->msg, "invalid size (use a number with an optional B, K, M, G, T, P or E "
                      "suffix, like 512M or 1.5G)");
    error_free(e);
    e = NULL;
    CHECK_EQ(options_parse_size("16E", 1, &v, &e), -1);
    CHECK_STR(e->msg, "size too large (at most 16E - 1)");
    error_free(e);
    CHECK_EQ(options_parse_size("99999999999999999999", 1, &v, NULL), -1);
    CHECK_EQ(options_parse_size("17592186044416", MiB, &v, NULL), -1); /* 2^44 MiB */
    CHECK_EQ(options_parse_size("17592186044415", MiB, &v, NULL), 0);
}

TEST(uint_and_bool)
{
    uint64_t v;
    bool b = false;
    Error *e = NULL;
    CHECK_EQ(options_parse_uint("0x10", &v, NULL), 0);
    CHECK_EQ(v, 16);
    CHECK_EQ(options_parse_uint("0X1f", &v, NULL), 0);
    CHECK_EQ(v, 31);
    CHECK_EQ(options_parse_uint("010", &v, NULL), 0); /* not octal */
    CHECK_EQ(v, 10);
    CHECK_EQ(options_parse_uint("18446744073709551615", &v, NULL), 0);
    CHECK_EQ(v, UINT64_MAX);
    CHECK_EQ(options_parse_uint("18446744073709551616", &v, &e), -1);
    CHECK_STR(e->msg, "number too large");
    error_free(e);
    e = NULL;
    CHECK_EQ(options_parse_uint("12a", &v, &e), -1);
    CHECK_STR(e->msg, "invalid number (use a decimal or 0x hexadecimal integer)");
    error_free(e);
    CHECK_EQ(options_parse_uint("-1", &v, NULL), -1);
    CHECK_EQ(options_parse_uint("", &v, NULL), -1);
    CHECK_EQ(options_parse_uint("0x", &v, NULL), -1);
    CHECK_EQ(options_parse_uint(" 1", &v, NULL), -1);

    const char *on[] = { "on", "yes", "true" }, *off[] = { "off", "no", "false" };
    for (int i = 0; i < 3; i++) {
        b = false;
        CHECK_EQ(options_parse_bool(on[i], &b, NULL), 0);
        CHECK(b);
        CHECK_EQ(options_parse_bool(off[i], &b, NULL), 0);
        CHECK(!b);
    }
    e = NULL;
    CHECK_EQ(options_parse_bool("1", &b, &e), -1);
    CHECK_STR(e->msg, "invalid value (use on or off)");
    error_free(e);
    CHECK_EQ(options_parse_bool("ON", &b, NULL), -1);
    CHECK_EQ(options_parse_bool("", &b, NULL), -1);
}

/* ---- general command-line behaviour ------------------------------------ */

TEST(defaults)
{
    PemuConfig c;
    OK(&c);
    CHECK_STR(c.machine_type, "pc");
    CHECK_EQ(c.ram_size, 128 * MiB);
    CHECK_EQ(c.maxmem, 128 * MiB);
    CHECK_EQ(c.cpus, 1);
    CHECK_EQ(c.maxcpus, 1);
    CHECK_EQ(c.sockets * c.dies * c.cores * c.threads, 1);
    CHECK_EQ(c.naccel, 0);
    CHECK_EQ(c.ndrives, 0);
    CHECK_EQ(c.display, DISPLAY_DEFAULT);
    CHECK_EQ(c.vga, VGA_STD);
    CHECK_EQ(c.echr, 1);
    CHECK(!c.icount && c.icount_sleep);
    CHECK_EQ(c.rtc_base, RTC_BASE_UTC);
    CHECK_EQ(c.rtc_clock, RTC_CLOCK_HOST);
    CHECK_EQ(c.boot_order[0], 0);
    CHECK_EQ(c.boot_splash_time, -1);
    CHECK(c.sdl_window_close);
    CHECK(c.gdb_chardev == NULL && c.debugcon_chardev == NULL);
    /* a serial port and a monitor, each a console of the display */
    CHECK_EQ(c.nserial, 1);
    CHECK_STR(c.serial[0], "serial0");
    CHECK_EQ(options_find_chardev(&c, "serial0")->backend, CHARDEV_VC);
    CHECK_EQ(c.nmonitors, 1);
    CHECK(!c.monitors[0].qmp);
    CHECK_EQ(options_find_chardev(&c, c.monitors[0].chardev)->backend, CHARDEV_VC);
    CHECK(strcmp(c.monitors[0].chardev, "serial0") != 0);
    CHECK(!options_find_chardev(&c, "nonexistent"));
    options_config_free(&c);
    options_config_free(&c); /* idempotent */
}

TEST(help_and_version)
{
    PemuConfig c;
    OK(&c, "-h");
    CHECK(c.show_help);
    options_config_free(&c);
    OK(&c, "-help");
    CHECK(c.show_help);
    options_config_free(&c);
    OK(&c, "--help");
    CHECK(c.show_help);
    options_config_free(&c);
    /* answered at once: what follows is not read */
    OK(&c, "-m", "1G", "-h", "-bogus");
    CHECK(c.show_help);
    options_config_free(&c);
    OK(&c, "-version");
    CHECK(c.show_version);
    CHECK(!c.show_help);
    options_config_free(&c);
    OK(&c, "--version");
    CHECK(c.show_version);
    options_config_free(&c);
    /* but an error before it still counts */
    ERR("-bogus: invalid option", "-bogus", "-h");
}

TEST(dashes_and_arguments)
{
    PemuConfig c;
    OK(&c, "--m", "256", "--smp", "2");
    CHECK_EQ(c.ram_size, 256 * MiB);
    CHECK_EQ(c.cpus, 2);
    options_config_free(&c);
    ERR("-m: requires an argument", "-m");
    ERR("--cpu: requires an argument", "--cpu");
    ERR("-drive: requires an argument", "-snapshot", "-drive");
    ERR("-foo: invalid option", "-foo");
    ERR("--foo: invalid option", "--foo");
    ERR("-: invalid option", "-");
    ERR("---m: invalid option", "---m", "1");
    ERR("--m=512: invalid option", "--m=512");
}

TEST(not_supported_options)
{
    static const char *const with_arg[] = {
        "vnc", "spice", "usbdevice", "soundhw", "audiodev", "audio", "netdev", "incoming",
        "readconfig", "writeconfig", "sandbox", "runas", "chroot", "object", "trace",
        "mem-path", "pflash", "blockdev", "fsdev", "virtfs", "fw_cfg", "acpitable",
        "option-rom", "watchdog", "watchdog-action", "numa", "tpmdev", "add-fd", "plugin",
        "qtest", "action", "iscsi",
    };
    static const char *const flags[] = { "usb", "daemonize", "mem-prealloc", "no-acpi",
                                         "preconfig" };
    char opt[64], want[96];
    PemuConfig c;
    for (size_t i = 0; i < PEMU_ARRAY_SIZE(with_arg); i++) {
        snprintf(opt, sizeof(opt), "-%s", with_arg[i]);
        snprintf(want, sizeof(want), "-%s: not supported yet", with_arg[i]);
        ERR(want, opt, "x");
        snprintf(opt, sizeof(opt), "--%s", with_arg[i]);
        snprintf(want, sizeof(want), "--%s: not supported yet", with_arg[i]);
        ERR(want, opt); /* even without its argument */
    }
    for (size_t i = 0; i < PEMU_ARRAY_SIZE(flags); i++) {
        snprintf(opt, sizeof(opt), "-%s", flags[i]);
        snprintf(want, sizeof(want), "-%s: not supported yet", flags[i]);
        ERR(want, opt);
    }
    ERR("-vnc: not supported yet", "-m", "64", "-vnc", ":0");
    (void)c;
}

/* ---- machine, memory, CPUs --------------------------------------------- */

TEST(memory)
{
    PemuConfig c;
    OK(&c, "-m", "512");
    CHECK_EQ(c.ram_size, 512 * MiB);
    options_config_free(&c);
    OK(&c, "-m", "1G");
    CHECK_EQ(c.ram_size, GiB);
    options_config_free(&c);
    OK(&c, "-m", "1.5G");
    CHECK_EQ(c.ram_size, 3 * GiB / 2);
    options_config_free(&c);
    OK(&c, "-m", "size=2G");
    CHECK_EQ(c.ram_size, 2 * GiB);
    CHECK_EQ(c.maxmem, 2 * GiB);
    options_config_free(&c);
    OK(&c, "-m", "65536K");
    CHECK_EQ(c.ram_size, 64 * MiB);
    options_config_free(&c);
    OK(&c, "-m", "512,maxmem=512M");
    CHECK_EQ(c.maxmem, 512 * MiB);
    options_config_free(&c);
    OK(&c, "-m", "512", "-m", "64"); /* last wins */
    CHECK_EQ(c.ram_size, 64 * MiB);
    options_config_free(&c);

    ERR("-m 12X: invalid size (use a number with an optional B, K, M, G, T, P or E suffix, "
        "like 512M or 1.5G)", "-m", "12X");
    ERR_HAS("-m -5: invalid size", "-m", "-5");
    ERR_HAS("-m size=x: invalid size", "-m", "size=x");
    ERR("-m 0: RAM size must be at least 1M", "-m", "0");
    ERR("-m 1000K: RAM size must be at least 1M", "-m", "1000K");
    ERR("-m 1025K: RAM size must be a multiple of 4K", "-m", "1025K");
    if (sizeof(size_t) >= 8)
        ERR("-m 2T: RAM size too large (at most 1T)", "-m", "2T");
    else
        ERR("-m 2T: RAM size too large (at most 2G on a 32-bit host)", "-m", "2T");
    ERR("-m 20E: size too large (at most 16E - 1)", "-m", "20E");
    ERR("-m 99999999999999: size too large (at most 16E - 1)", "-m", "99999999999999");
    ERR("-m maxmem=256M: maxmem is less than the RAM size (536870912 bytes)", "-m",
        "512,maxmem=256M");
    ERR("-m maxmem=1G: memory hotplug (maxmem larger than size) is not supported yet", "-m",
        "512,maxmem=1G");
    ERR("-m slots=2: memory hotplug slots are not supported yet", "-m", "512,slots=2");
    ERR("-m foo=1: invalid parameter 'foo' (use size, slots, maxmem)", "-m", "512,foo=1");
}

TEST(smp)
{
    PemuConfig c;
    OK(&c, "-smp", "4");
    CHECK_EQ(c.cpus, 4);
    CHECK_EQ(c.maxcpus, 4);
    CHECK_EQ(c.sockets, 4); /* sockets preferred */
    CHECK_EQ(c.cores, 1);
    CHECK_EQ(c.threads, 1);
    options_config_free(&c);
    OK(&c, "-smp", "cpus=8,cores=2,threads=2");
    CHECK_EQ(c.sockets, 2);
    options_config_free(&c);
    OK(&c, "-smp", "sockets=2,cores=2");
    CHECK_EQ(c.cpus, 4);
    CHECK_EQ(c.maxcpus, 4);
    CHECK_EQ(c.threads, 1);
    options_config_free(&c);
    OK(&c, "-smp", "2,maxcpus=4");
    CHECK_EQ(c.cpus, 2);
    CHECK_EQ(c.maxcpus, 4);
    CHECK_EQ(c.sockets, 4);
    options_config_free(&c);
    OK(&c, "-smp", "8,sockets=2,cores=2");
    CHECK_EQ(c.threads, 2);
    options_config_free(&c);
    OK(&c, "-smp", "8,sockets=2,threads=2");
    CHECK_EQ(c.cores, 2);
    options_config_free(&c);
    OK(&c, "-smp", "4,dies=2,cores=2");
    CHECK_EQ(c.sockets, 1);
    CHECK_EQ(c.dies, 2);
    options_config_free(&c);
    OK(&c, "-smp", "255");
    CHECK_EQ(c.cpus, 255);
    options_config_free(&c);

    ERR("-smp 0: CPU counts must be at least 1", "-smp", "0");
    ERR("-smp cores=0: CPU counts must be at least 1", "-smp", "2,cores=0");
    ERR("-smp 256: the pc machine has at most 255 CPUs", "-smp", "256");
    ERR("-smp 2,cores=3: sockets (0) * dies (1) * cores (3) * threads (1) = 0, but maxcpus is 2",
        "-smp", "2,cores=3");
    ERR("-smp 2,maxcpus=1: 2 CPUs is more than maxcpus (1)", "-smp", "2,maxcpus=1");
    ERR("-smp sockets=16,cores=16: 256 CPUs: the pc machine has at most 255", "-smp",
        "sockets=16,cores=16");
    ERR_HAS("-smp abc: invalid number", "-smp", "abc");
    ERR_HAS("-smp clusters=2: not supported yet", "-smp", "clusters=2");
    ERR_HAS("-smp foo=1: invalid parameter 'foo'", "-smp", "foo=1");
}

TEST(cpu)
{
    PemuConfig c;
    OK(&c, "-cpu", "qemu64");
    CHECK_STR(c.cpu_model, "qemu64");
    CHECK(c.cpu_features == NULL);
    CHECK(!c.cpu_help);
    options_config_free(&c);
    OK(&c, "-cpu", "max,+sse4.2,-x2apic");
    CHECK_STR(c.cpu_model, "max");
    CHECK_STR(c.cpu_features, "+sse4.2,-x2apic");
    options_config_free(&c);
    OK(&c, "-cpu", "help");
    CHECK(c.cpu_help);
    options_config_free(&c);
    OK(&c, "-cpu", "?");
    CHECK(c.cpu_help);
    options_config_free(&c);
    ERR("-cpu : no CPU model given ('-cpu help' lists them)", "-cpu", "");
    ERR_HAS("no CPU model", "-cpu", ",+sse2");
}

TEST(machine)
{
    PemuConfig c;
    OK(&c, "-M", "pc");
    CHECK_STR(c.machine_type, "pc");
    options_config_free(&c);
    OK(&c, "-machine", "pc-i440fx-7.2,accel=kvm:tcg");
    CHECK_STR(c.machine_type, "pc-i440fx-7.2");
    CHECK_EQ(c.naccel, 2);
    CHECK_EQ(c.accel[0], ACCEL_KVM);
    CHECK_EQ(c.accel[1], ACCEL_TCG);
    options_config_free(&c);
    OK(&c, "-machine", "accel=tcg");
    CHECK_STR(c.machine_type, "pc");
    CHECK_EQ(c.naccel, 1);
    CHECK_EQ(c.accel[0], ACCEL_TCG);
    options_config_free(&c);
    OK(&c, "-M", "pc,firmware=none");
    CHECK(c.no_firmware);
    CHECK(c.bios == NULL);
    options_config_free(&c);
    OK(&c, "-M", "type=pc,firmware=my.bin,graphics=off,usb=off");
    CHECK(!c.no_firmware);
    CHECK_STR(c.bios, "my.bin");
    CHECK(!c.graphics);
    options_config_free(&c);
    OK(&c, "-M", "help");
    CHECK(c.machine_help);
    options_config_free(&c);

    ERR("-M q35: machine 'q35' is not supported yet (use pc)", "-M", "q35");
    ERR_HAS("machine 'pc-q35-7.2' is not supported yet", "-M", "pc-q35-7.2");
    ERR("-machine foo: unknown machine type 'foo' (use pc; -machine help lists them)",
        "-machine", "foo");
    ERR("-M usb=on: not supported yet", "-M", "pc,usb=on");
    ERR("-M kernel-irqchip=on: not supported yet", "-M", "pc,kernel-irqchip=on");
    ERR("-M bogus=1: invalid parameter 'bogus' (use type, accel, firmware, graphics, usb)",
        "-M", "pc,bogus=1");
    ERR("-M accel=foo: invalid accelerator 'foo' (use tcg or kvm)", "-M", "pc,accel=foo");
    ERR("-M accel=tcg:hvf: accelerator 'hvf' is not supported yet", "-M", "pc,accel=tcg:hvf");
    ERR("-M firmware=: empty file name (use none or a BIOS file)", "-M", "pc,firmware=");
    ERR("-M firmware=b.bin: conflicts with -bios a.bin", "-bios", "a.bin", "-M",
        "pc,firmware=b.bin");
    ERR("-bios b.bin: conflicts with -M firmware=a.bin", "-M", "firmware=a.bin", "-bios",
        "b.bin");
    ERR_HAS("-accel and -machine accel= cannot be used together", "-accel", "tcg", "-M",
            "accel=tcg");
    ERR_HAS("-accel and -machine accel= cannot be used together", "-M", "accel=kvm", "-accel",
            "tcg");
    ERR_HAS("-enable-kvm and -machine accel=", "-M", "accel=tcg", "-enable-kvm");
}

TEST(accel)
{
    PemuConfig c;
    OK(&c, "-accel", "tcg");
    CHECK_EQ(c.naccel, 1);
    CHECK_EQ(c.accel[0], ACCEL_TCG);
    CHECK(!c.tcg_multi_thread);
    options_config_free(&c);
    OK(&c, "-accel", "tcg,thread=multi,tb-size=512");
    CHECK(c.tcg_multi_thread);
    CHECK_EQ(c.tcg_tb_size, 512);
    options_config_free(&c);
    OK(&c, "-accel", "kvm", "-accel", "tcg,thread=single");
    CHECK_EQ(c.naccel, 2);
    CHECK_EQ(c.accel[0], ACCEL_KVM);
    CHECK_EQ(c.accel[1], ACCEL_TCG);
    CHECK(!c.tcg_multi_thread);
    options_config_free(&c);
    OK(&c, "-enable-kvm");
    CHECK_EQ(c.naccel, 1);
    CHECK_EQ(c.accel[0], ACCEL_KVM);
    options_config_free(&c);
    OK(&c, "-enable-kvm", "-accel", "kvm", "-accel", "accel=tcg"); /* no duplicates */
    CHECK_EQ(c.naccel, 2);
    options_config_free(&c);

    ERR("-accel foo: invalid accelerator 'foo' (use tcg or kvm)", "-accel", "foo");
    ERR("-accel xen: accelerator 'xen' is not supported yet", "-accel", "xen");
    ERR("-accel thread=multi: invalid parameter 'thread' (use accel)", "-accel",
        "kvm,thread=multi");
    ERR("-accel thread=many: invalid thread mode (use single or multi)", "-accel",
        "tcg,thread=many");
    ERR_HAS("-accel tb-size=x: invalid number", "-accel", "tcg,tb-size=x");
    ERR("-accel kernel-irqchip=on: not supported yet", "-accel", "kvm,kernel-irqchip=on");
    ERR_HAS("no accelerator given", "-accel", "thread=multi");
}

/* ---- drives ------------------------------------------------------------- */

static const DriveConfig *drive_by_id(const PemuConfig *c, const char *id)
{
    for (int i = 0; i < c->ndrives; i++)
        if (!strcmp(c->drives[i].id, id))
            return &c->drives[i];
    return NULL;
}

TEST(drive_legacy_indices)
{
    PemuConfig c;
    const DriveConfig *d;
    OK(&c, "-hdd", "d.img", "-hda", "a.img", "-hdb", "b.img", "-cdrom", "cd.iso", "-fda",
       "f0.img", "-fdb", "f1.img");
    CHECK_EQ(c.ndrives, 6);
    d = drive_by_id(&c, "ide0-hd0");
    CHECK(d);
    CHECK_STR(d->file, "a.img");
    CHECK_EQ(d->iface, DRIVE_IF_IDE);
    CHECK_EQ(d->media, DRIVE_MEDIA_DISK);
    CHECK_EQ(d->index, 0);
    CHECK_EQ(d->bus, 0);
    CHECK_EQ(d->unit, 0);
    CHECK(!d->readonly && !d->snapshot);
    CHECK_EQ(d->cache, DRIVE_CACHE_WRITEBACK);
    CHECK(d->format == NULL);
    CHECK_STR(d->origin, "-hda a.img");
    d = drive_by_id(&c, "ide0-hd1");
    CHECK(d && d->index == 1 && d->bus == 0 && d->unit == 1);
    CHECK_STR(d->file, "b.img");
    d = drive_by_id(&c, "ide1-cd0"); /* -cdrom is IDE index 2 */
    CHECK(d && d->index == 2 && d->bus == 1 && d->unit == 0);
    CHECK_EQ(d->media, DRIVE_MEDIA_CDROM);
    CHECK(d->readonly);
    CHECK_STR(d->file, "cd.iso");
    d = drive_by_id(&c, "ide1-hd1");
    CHECK(d && d->index == 3 && d->bus == 1 && d->unit == 1);
    CHECK_STR(d->file, "d.img");
    d = drive_by_id(&c, "floppy0");
    CHECK(d && d->iface == DRIVE_IF_FLOPPY && d->index == 0 && d->unit == 0 && d->bus == 0);
    CHECK_STR(d->file, "f0.img");
    d = drive_by_id(&c, "floppy1");
    CHECK(d && d->iface == DRIVE_IF_FLOPPY && d->index == 1 && d->unit == 1);
    /* command-line order is kept */
    CHECK_STR(c.drives[0].file, "d.img");
    CHECK_STR(c.drives[5].file, "f1.img");
    options_config_free(&c);

    OK(&c, "-hdc", "c.img");
    d = drive_by_id(&c, "ide1-hd0");
    CHECK(d && d->index == 2);
    options_config_free(&c);

    /* a file name with a comma needs no escaping here */
    OK(&c, "-hda", "a,b.img");
    CHECK_STR(c.drives[0].file, "a,b.img");
    options_config_free(&c);

    ERR("-hdc y: drive with bus=1, unit=0 (index=2) exists (-cdrom x)", "-cdrom", "x", "-hdc",
        "y");
    ERR("-fda z: drive with bus=0, unit=0 (index=0) exists (-fda y)", "-fda", "y", "-fda", "z");
    ERR_HAS("a hard disk needs file=", "-hda", "");
}

TEST(drive_positional)
{
    PemuConfig c;
    OK(&c, "disk.img", "-m", "64");
    CHECK_EQ(c.ndrives, 1);
    CHECK_STR(c.drives[0].file, "disk.img");
    CHECK_STR(c.drives[0].id, "ide0-hd0");
    CHECK_EQ(c.drives[0].index, 0);
    CHECK_EQ(c.drives[0].media, DRIVE_MEDIA_DISK);
    options_config_free(&c);
    /* like -hda twice */
    ERR("b.img: drive with bus=0, unit=0 (index=0) exists (a.img)", "a.img", "b.img");
    ERR("-hda b.img: drive with bus=0, unit=0 (index=0) exists (a.img)", "a.img", "-hda",
        "b.img");
}

TEST(drive_index_bus_unit)
{
    PemuConfig c;
    const DriveConfig *d;
    /* without index: first free place, in command-line order */
    OK(&c, "-hda", "a.img", "-drive", "file=x.img", "-drive", "file=y.img,media=disk",
       "-drive", "file=z.img");
    CHECK_EQ(c.drives[1].index, 1);
    CHECK_EQ(c.drives[2].index, 2);
    CHECK_EQ(c.drives[2].bus, 1);
    CHECK_EQ(c.drives[2].unit, 0);
    CHECK_EQ(c.drives[3].index, 3);
    CHECK_STR(c.drives[3].id, "ide1-hd1");
    CHECK_STR(c.drives[3].origin, "-drive file=z.img");
    options_config_free(&c);

    OK(&c, "-drive", "file=a,bus=1,unit=1", "-drive", "file=b,bus=1", "-drive", "file=c,unit=1",
       "-drive", "file=d,index=0");
    CHECK_EQ(c.drives[0].index, 3);
    CHECK_EQ(c.drives[1].index, 2); /* bus 1, first free unit */
    CHECK_EQ(c.drives[2].index, 1); /* unit 1 on bus 0 */
    CHECK_EQ(c.drives[3].index, 0);
    options_config_free(&c);

    OK(&c, "-drive", "file=v.img,if=virtio", "-drive", "if=virtio,file=w.img,index=5");
    d = drive_by_id(&c, "virtio0");
    CHECK(d && d->iface == DRIVE_IF_VIRTIO && d->index == 0 && d->bus == 0);
    d = drive_by_id(&c, "virtio5");
    CHECK(d && d->unit == 5);
    options_config_free(&c);

    OK(&c, "-drive", "if=floppy,file=f.img,index=1", "-drive", "if=floppy");
    CHECK_STR(c.drives[0].id, "floppy1");
    CHECK_STR(c.drives[1].id, "floppy0"); /* an empty floppy drive */
    CHECK(c.drives[1].file == NULL);
    options_config_free(&c);

    ERR("-drive file=b.img,index=0: drive with bus=0, unit=0 (index=0) exists (-hda a.img)",
        "-hda", "a.img", "-drive", "file=b.img,index=0");
    ERR("-hda a.img: drive with bus=0, unit=0 (index=0) exists (-drive file=b.img)", "-drive",
        "file=b.img", "-hda", "a.img");
    /* different buses do not collide */
    OK(&c, "-hda", "a.img", "-drive", "file=b.img,if=floppy,index=0");
    options_config_free(&c);
    ERR("-drive file=e: no free place on if=ide (index 0-3 are all in use)", "-hda", "a",
        "-hdb", "b", "-hdc", "c", "-hdd", "d", "-drive", "file=e");
    ERR("-drive index=4: out of range for if=ide (use 0-3)", "-drive", "file=x,index=4");
    ERR("-drive index=2: out of range for if=floppy (use 0-1)", "-drive",
        "if=floppy,file=x,index=2");
    ERR("-drive bus=2: out of range for if=ide (use 0-1)", "-drive", "file=x,bus=2");
    ERR("-drive unit=2: out of range for if=ide (use 0-1)", "-drive", "file=x,unit=2");
    ERR("-drive bus=1: out of range for if=floppy (use 0-0)", "-drive", "if=floppy,bus=1");
    ERR("-drive file=x,index=1,bus=0: index cannot be used with bus and unit", "-drive",
        "file=x,index=1,bus=0");
    ERR_HAS("-drive index=x: invalid number", "-drive", "file=x,index=x");
    ERR_HAS("-drive index=-1: invalid number", "-drive", "file=x,index=-1");
}

TEST(drive_options)
{
    PemuConfig c;
    const DriveConfig *d;
    OK(&c, "-drive",
       "file=my,,disk.qcow2,format=qcow2,if=ide,media=disk,index=1,snapshot=on,readonly=on,"
       "cache=none,aio=threads,id=disk0");
    d = &c.drives[0];
    CHECK_STR(d->file, "my,disk.qcow2");
    CHECK_STR(d->format, "qcow2");
    CHECK_STR(d->id, "disk0");
    CHECK_EQ(d->index, 1);
    CHECK(d->snapshot && d->snapshot_explicit && d->readonly);
    CHECK_EQ(d->cache, DRIVE_CACHE_NONE);
    options_config_free(&c);

    static const char *const modes[] = { "writeback", "writethrough", "none", "unsafe",
                                         "directsync" };
    for (int i = 0; i < 5; i++) {
        char arg[64];
        snprintf(arg, sizeof(arg), "file=x,cache=%s", modes[i]);
        OK(&c, "-drive", arg);
        CHECK_EQ(c.drives[0].cache, (DriveCache)i);
        options_config_free(&c);
    }

    OK(&c, "-drive", "if=none,file=b.img,id=back0", "-drive", "if=none,file=c.img");
    CHECK_EQ(c.drives[0].iface, DRIVE_IF_NONE);
    CHECK_EQ(c.drives[0].index, -1);
    CHECK_EQ(c.drives[0].bus, -1);
    CHECK_STR(c.drives[0].id, "back0");
    CHECK_STR(c.drives[1].id, "none1");
    options_config_free(&c);

    /* an empty CD-ROM drive */
    OK(&c, "-drive", "if=ide,media=cdrom");
    CHECK(c.drives[0].file == NULL);
    CHECK_STR(c.drives[0].id, "ide0-cd0");
    CHECK(c.drives[0].readonly);
    options_config_free(&c);
    OK(&c, "-drive", "file=,media=cdrom,index=2");
    CHECK(c.drives[0].file == NULL);
    options_config_free(&c);

    /* -snapshot is the default, snapshot=off overrides it, position does not matter */
    OK(&c, "-hda", "a.img", "-drive", "file=b.img,snapshot=off", "-snapshot", "-hdc", "c.img");
    CHECK(c.snapshot);
    CHECK(c.drives[0].snapshot);
    CHECK(!c.drives[1].snapshot);
    CHECK(c.drives[2].snapshot);
    options_config_free(&c);
    OK(&c, "-hda", "a.img");
    CHECK(!c.drives[0].snapshot);
    options_config_free(&c);

    ERR("-drive if=scsi: unsupported interface (use ide, floppy, virtio or none)", "-drive",
        "file=x,if=scsi");
    ERR("-drive if=foo: unsupported interface (use ide, floppy, virtio or none)", "-drive",
        "if=foo");
    ERR("-drive media=tape: invalid media (use disk or cdrom)", "-drive", "file=x,media=tape");
    ERR("-drive media=cdrom: only IDE drives can be CD-ROMs (use if=ide)", "-drive",
        "if=floppy,media=cdrom");
    ERR("-drive cache=all: invalid cache mode (use writeback, writethrough, none, unsafe or "
        "directsync)", "-drive", "file=x,cache=all");
    ERR("-drive aio=native: not supported yet (pemu does disk I/O on a thread pool: aio=threads)",
        "-drive", "file=x,aio=native");
    ERR("-drive aio=fast: invalid aio mode (use threads)", "-drive", "file=x,aio=fast");
    ERR("-drive snapshot=maybe: invalid value (use on or off)", "-drive",
        "file=x,snapshot=maybe");
    ERR("-drive readonly=2: invalid value (use on or off)", "-drive", "file=x,readonly=2");
    ERR("-drive bar=1: invalid parameter 'bar' (use file, format, if, media, index, bus, unit, "
        "snapshot, readonly, cache, aio, id)", "-drive", "file=x,bar=1");
    ERR("-drive werror=stop: not supported yet", "-drive", "file=x,werror=stop");
    ERR("-drive format=: empty format name (use raw, qcow2, ...)", "-drive", "file=x,format=");
    ERR("-drive if=ide: a hard disk needs file= (only CD-ROM and floppy drives can be empty)",
        "-drive", "if=ide");
    ERR("-drive if=none,index=0: index=, bus= and unit= need an interface (if=ide, floppy or "
        "virtio)", "-drive", "if=none,index=0");
    ERR("-drive id=1x: invalid id (a letter, then letters, digits, '-', '.' or '_')", "-drive",
        "file=x,id=1x");
    ERR("-drive file=y,id=d0: duplicate drive id 'd0' (-drive file=x,id=d0)", "-drive",
        "file=x,id=d0", "-drive", "file=y,id=d0");
    ERR("-hda a: duplicate drive id 'ide0-hd0' (-drive if=none,file=x,id=ide0-hd0)", "-drive",
        "if=none,file=x,id=ide0-hd0", "-hda", "a");
    ERR("-drive file=x,,,=y: empty parameter name in 'file=x,,,=y'", "-drive", "file=x,,,=y");
}

/* ---- boot, firmware, kernel -------------------------------------------- */

TEST(boot)
{
    PemuConfig c;
    OK(&c, "-boot", "d");
    CHECK_STR(c.boot_order, "d");
    CHECK_EQ(c.boot_once[0], 0);
    options_config_free(&c);
    OK(&c, "-boot", "cd");
    CHECK_STR(c.boot_order, "cd");
    options_config_free(&c);
    OK(&c, "-boot", "order=dc,once=d,menu=on,splash=logo.bmp,splash-time=500,"
                    "reboot-timeout=1000,strict=on");
    CHECK_STR(c.boot_order, "dc");
    CHECK_STR(c.boot_once, "d");
    CHECK(c.boot_menu && c.boot_strict);
    CHECK_STR(c.boot_splash, "logo.bmp");
    CHECK_EQ(c.boot_splash_time, 500);
    CHECK_EQ(c.boot_reboot_timeout, 1000);
    options_config_free(&c);
    OK(&c, "-boot", "abcdn");
    CHECK_STR(c.boot_order, "abcdn");
    options_config_free(&c);
    OK(&c, "-boot", "menu=off");
    CHECK_EQ(c.boot_order[0], 0);
    CHECK(!c.boot_menu);
    options_config_free(&c);

    ERR("-boot order=z: invalid boot device 'z' (use a, b, c, d or n)", "-boot", "order=z");
    ERR("-boot z: invalid boot device 'z' (use a, b, c, d or n)", "-boot", "z");
    ERR("-boot cz: invalid boot device 'z' (use a, b, c, d or n)", "-boot", "cz");
    ERR("-boot once=x: invalid boot device 'x' (use a, b, c, d or n)", "-boot", "c,once=x");
    ERR("-boot order=cdc: boot device 'c' given twice", "-boot", "order=cdc");
    ERR("-boot order=: no boot device given (use a, b, c, d or n)", "-boot", "order=");
    ERR("-boot menu=maybe: invalid value (use on or off)", "-boot", "menu=maybe");
    ERR("-boot splash-time=70000: out of range (at most 65535)", "-boot", "splash-time=70000");
    ERR("-boot splash=: empty file name", "-boot", "splash=");
    ERR_HAS("-boot foo=1: invalid parameter 'foo'", "-boot", "foo=1");
}

TEST(firmware_and_kernel)
{
    PemuConfig c;
    OK(&c, "-bios", "bios.bin", "-L", "/a", "-L", "/b", "-kernel", "bzImage", "-initrd",
       "initrd.img", "-append", "console=ttyS0 root=/dev/sda");
    CHECK_STR(c.bios, "bios.bin");
    CHECK_EQ(c.nfirmware_dirs, 2);
    CHECK_STR(c.firmware_dirs[0], "/a");
    CHECK_STR(c.firmware_dirs[1], "/b");
    CHECK_STR(c.kernel, "bzImage");
    CHECK_STR(c.initrd, "initrd.img");
    CHECK_STR(c.append, "console=ttyS0 root=/dev/sda");
    options_config_free(&c);
    OK(&c, "-kernel", "k", "-append", "");
    CHECK_STR(c.append, "");
    options_config_free(&c);
    ERR("-initrd initrd.img: needs -kernel", "-initrd", "initrd.img");
    ERR("-append: needs -kernel", "-append", "quiet");
    ERR("-kernel: empty argument", "-kernel", "");
    ERR("-L: empty argument", "-L", "");
    ERR("-bios: empty argument", "-bios", "");
}

/* ---- display ------------------------------------------------------------ */

TEST(display)
{
    PemuConfig c;
    OK(&c, "-display", "none");
    CHECK_EQ(c.display, DISPLAY_NONE);
    options_config_free(&c);
#ifdef CONFIG_CURSES
    OK(&c, "-display", "curses,charset=CP850");
    CHECK_EQ(c.display, DISPLAY_CURSES);
    CHECK_STR(c.curses_charset, "CP850");
    options_config_free(&c);
    ERR_HAS("-display foo=1: invalid parameter 'foo'", "-display", "curses,foo=1");
    ERR("-serial stdio: the terminal is taken by -display curses", "-display", "curses",
        "-serial", "stdio");
#else
    ERR_HAS("curses support is not built in", "-display", "curses");
#endif
#ifdef CONFIG_SDL
    OK(&c, "-display", "sdl,gl=off,show-cursor=on,window-close=off", "-full-screen");
    CHECK_EQ(c.display, DISPLAY_SDL);
    CHECK(c.sdl_show_cursor && !c.sdl_window_close && c.full_screen);
    options_config_free(&c);
    ERR("-display gl=on: OpenGL is not supported yet (use gl=off)", "-display", "sdl,gl=on");
    ERR("-display gl=es: OpenGL is not supported yet (use gl=off)", "-display", "sdl,gl=es");
    ERR("-nographic cannot be used with -display sdl", "-display", "sdl", "-nographic");
    ERR("-display grab-mod=rctrl: not supported yet", "-display", "sdl,grab-mod=rctrl");
#else
    ERR("-display sdl: SDL support is not built in (install libsdl2-dev and rebuild)",
        "-display", "sdl");
#endif
    OK(&c, "-full-screen");
    CHECK(c.full_screen);
    options_config_free(&c);
    ERR("-display gtk: not supported yet (use sdl, curses or none)", "-display", "gtk");
    ERR("-display foo: unknown display type (use none, curses or sdl)", "-display", "foo");
    ERR_HAS("-display x=1: invalid parameter 'x'", "-display", "none,x=1");
    ERR_HAS("no display type given", "-display", "charset=x");
}

TEST(nographic_consoles)
{
    PemuConfig c;
    const ChardevConfig *ch;
    OK(&c, "-nographic");
    CHECK(c.nographic);
    CHECK_EQ(c.display, DISPLAY_NONE);
    CHECK_EQ(c.nserial, 1);
    ch = options_find_chardev(&c, c.serial[0]);
    CHECK(ch && ch->backend == CHARDEV_STDIO && ch->mux);
    CHECK_EQ(c.nmonitors, 1);
    CHECK_STR(c.monitors[0].chardev, c.serial[0]); /* muxed together */
    CHECK_EQ(c.nchardevs, 1);
    options_config_free(&c);

    /* serial given: the monitor alone gets stdio */
    OK(&c, "-nographic", "-serial", "pty");
    CHECK_EQ(options_find_chardev(&c, c.serial[0])->backend, CHARDEV_PTY);
    CHECK_EQ(c.nmonitors, 1);
    ch = options_find_chardev(&c, c.monitors[0].chardev);
    CHECK(ch && ch->backend == CHARDEV_STDIO && !ch->mux);
    options_config_free(&c);

    /* monitor given: the serial port alone gets stdio */
    OK(&c, "-nographic", "-monitor", "none");
    CHECK_EQ(c.nmonitors, 0);
    ch = options_find_chardev(&c, c.serial[0]);
    CHECK(ch && ch->backend == CHARDEV_STDIO && !ch->mux);
    options_config_free(&c);

    /* -serial mon:stdio counts as the monitor too (no second stdio user) */
    OK(&c, "-nographic", "-serial", "mon:stdio");
    CHECK_EQ(c.nmonitors, 1);
    CHECK_EQ(c.nchardevs, 1);
    options_config_free(&c);

    OK(&c, "-nodefaults");
    CHECK_EQ(c.nserial, 0);
    CHECK_EQ(c.nmonitors, 0);
    CHECK_EQ(c.nchardevs, 0);
    CHECK_EQ(c.vga, VGA_NONE);
    options_config_free(&c);
    OK(&c, "-nodefaults", "-vga", "std");
    CHECK_EQ(c.vga, VGA_STD);
    options_config_free(&c);
    OK(&c, "-serial", "none");
    CHECK_EQ(c.nserial, 0);
    CHECK_EQ(c.nmonitors, 1);
    options_config_free(&c);

    ERR("-monitor stdio and -nographic both use stdio (share it: -serial mon:stdio, or "
        "-chardev stdio,mux=on,id=ID and chardev:ID)", "-monitor", "stdio", "-nographic");
}

TEST(display_default_choice)
{
    CHECK_EQ(options_default_display(true, true, true, true), DISPLAY_SDL);
    CHECK_EQ(options_default_display(true, true, true, false), DISPLAY_SDL);
    CHECK_EQ(options_default_display(true, true, false, true), DISPLAY_CURSES);
    CHECK_EQ(options_default_display(false, true, true, true), DISPLAY_CURSES);
    CHECK_EQ(options_default_display(true, true, false, false), DISPLAY_NONE);
    CHECK_EQ(options_default_display(false, false, true, true), DISPLAY_NONE);
    CHECK_EQ(options_default_display(true, false, false, true), DISPLAY_NONE);
}

TEST(vga_and_keyboard)
{
    PemuConfig c;
    OK(&c, "-vga", "none", "-k", "de");
    CHECK_EQ(c.vga, VGA_NONE);
    CHECK_STR(c.keyboard_layout, "de");
    options_config_free(&c);
    OK(&c, "-vga", "std", "-k", "en-us");
    CHECK_EQ(c.vga, VGA_STD);
    CHECK_STR(c.keyboard_layout, "en-us");
    options_config_free(&c);
    ERR("-vga cirrus: not supported yet (use std or none)", "-vga", "cirrus");
    ERR("-vga foo: unknown VGA type (use std or none)", "-vga", "foo");
    ERR("-k xx: unknown keyboard layout (use en-us, en-gb, de, fr, ...)", "-k", "xx");
}

/* ---- character devices -------------------------------------------------- */

TEST(serial_spellings)
{
    PemuConfig c;
    const ChardevConfig *ch;
    OK(&c, "-serial", "file:out,,1.txt", "-serial", "pty", "-serial", "null", "-serial", "vc");
    CHECK_EQ(c.nserial, 4);
    for (int i = 0; i < 4; i++) {
        char id[16];
        snprintf(id, sizeof(id), "serial%d", i);
        CHECK_STR(c.serial[i], id);
    }
    ch = options_find_chardev(&c, "serial0");
    CHECK(ch && ch->backend == CHARDEV_FILE && ch->implicit);
    CHECK_STR(ch->path, "out,,1.txt"); /* legacy file: names are taken as they are */
    CHECK_STR(ch->origin, "-serial file:out,,1.txt");
    CHECK_EQ(options_find_chardev(&c, "serial1")->backend, CHARDEV_PTY);
    CHECK_EQ(options_find_chardev(&c, "serial2")->backend, CHARDEV_NULL);
    CHECK_EQ(options_find_chardev(&c, "serial3")->backend, CHARDEV_VC);
    options_config_free(&c);

    OK(&c, "-serial", "tcp::4444,server,nowait", "-serial", "telnet:localhost:4445,server=on,wait=off",
       "-serial", "unix:/tmp/s.sock,server,wait=off", "-serial", "tcp:[::1]:23,nodelay,reconnect=5");
    ch = options_find_chardev(&c, "serial0");
    CHECK(ch && ch->backend == CHARDEV_SOCKET);
    CHECK_STR(ch->host, "");
    CHECK_EQ(ch->port, 4444);
    CHECK(ch->server && !ch->wait && !ch->telnet);
    ch = options_find_chardev(&c, "serial1");
    CHECK_STR(ch->host, "localhost");
    CHECK_EQ(ch->port, 4445);
    CHECK(ch->telnet && ch->server && !ch->wait);
    ch = options_find_chardev(&c, "serial2");
    CHECK_STR(ch->path, "/tmp/s.sock");
    CHECK_EQ(ch->port, -1);
    CHECK(ch->server && !ch->wait);
    ch = options_find_chardev(&c, "serial3");
    CHECK_STR(ch->host, "[::1]");
    CHECK_EQ(ch->port, 23);
    CHECK(!ch->server && ch->nodelay);
    CHECK_EQ(ch->reconnect, 5);
    CHECK_EQ(c.nmonitors, 1); /* the default one, on vc */
    options_config_free(&c);

    /* a server waits for its client unless told not to */
    OK(&c, "-serial", "tcp::5555,server");
    CHECK(options_find_chardev(&c, "serial0")->wait);
    options_config_free(&c);

    OK(&c, "-serial", "mon:stdio");
    ch = options_find_chardev(&c, "serial0");
    CHECK(ch && ch->backend == CHARDEV_STDIO && ch->mux);
    CHECK_EQ(c.nmonitors, 1);
    CHECK_STR(c.monitors[0].chardev, "serial0");
    options_config_free(&c);

    OK(&c, "-serial", "null", "-serial", "none", "-serial", "stdio");
    CHECK_EQ(c.nserial, 2); /* none takes no port */
    CHECK_EQ(options_find_chardev(&c, c.serial[1])->backend, CHARDEV_STDIO);
    options_config_free(&c);

    ERR("-serial null: too many serial ports (at most 4)", "-serial", "null", "-serial", "null",
        "-serial", "null", "-serial", "null", "-serial", "null");
    ERR("-serial foo: 'foo' is not a valid character device (use stdio, vc, null, pty, file:F, "
        "pipe:P, tcp:[host]:port, telnet:[host]:port, unix:path, mon:dev or chardev:id)",
        "-serial", "foo");
    ERR("-serial /dev/ttyS0: host serial devices are not supported yet", "-serial",
        "/dev/ttyS0");
    ERR("-serial udp::4555: not supported yet", "-serial", "udp::4555");
    ERR("-serial msmouse: not supported yet", "-serial", "msmouse");
    ERR("-serial tcp:host: expected [host]:port with a port number 0-65535", "-serial",
        "tcp:host");
    ERR("-serial tcp::99999: expected [host]:port with a port number 0-65535", "-serial",
        "tcp::99999");
    ERR("-serial file:: a file name is needed after 'file:'", "-serial", "file:");
    ERR("-serial unix:: a socket path is needed after 'unix:'", "-serial", "unix:");
    ERR("-serial wait=off: only a server (server=on) can wait for a client", "-serial",
        "tcp::1,wait=off");
    ERR("-serial reconnect=1: a server (server=on) does not reconnect", "-serial",
        "tcp::1,server,reconnect=1");
    ERR_HAS("-serial foo=1: invalid parameter 'foo'", "-serial", "tcp::1,foo=1");
    ERR("-serial ipv6=on: not supported yet", "-serial", "tcp::1,ipv6=on");
    ERR("-serial chardev:c9: no -chardev with id 'c9'", "-serial", "chardev:c9");
    ERR("-serial chardev:: an id is needed after 'chardev:'", "-serial", "chardev:");
    ERR("-serial stdio and -monitor stdio both use stdio (share it: -serial mon:stdio, or "
        "-chardev stdio,mux=on,id=ID and chardev:ID)", "-serial", "stdio", "-monitor", "stdio");
}

TEST(chardev_backends)
{
    PemuConfig c;
    const ChardevConfig *ch;
    OK(&c, "-chardev", "null,id=n", "-chardev", "stdio,id=s,signal=off,mux=on", "-chardev",
       "file,id=f,path=log,,1.txt,append=on", "-chardev", "pipe,id=p,path=/tmp/fifo",
       "-chardev", "pty,id=t", "-chardev", "vc,id=v,cols=80,rows=25", "-chardev",
       "socket,id=tcp0,host=localhost,port=4444,server=on,wait=off,telnet=on,nodelay=on",
       "-chardev", "socket,id=u0,path=/tmp/u.sock,reconnect=2");
    ch = options_find_chardev(&c, "n");
    CHECK(ch && ch->backend == CHARDEV_NULL && !ch->implicit);
    CHECK_STR(ch->origin, "-chardev null,id=n");
    ch = options_find_chardev(&c, "s");
    CHECK(ch && ch->backend == CHARDEV_STDIO && !ch->signal && ch->mux);
    ch = options_find_chardev(&c, "f");
    CHECK(ch && ch->backend == CHARDEV_FILE && ch->append);
    CHECK_STR(ch->path, "log,1.txt");
    ch = options_find_chardev(&c, "p");
    CHECK(ch && ch->backend == CHARDEV_PIPE);
    CHECK_STR(ch->path, "/tmp/fifo");
    CHECK_EQ(options_find_chardev(&c, "t")->backend, CHARDEV_PTY);
    CHECK_EQ(options_find_chardev(&c, "v")->backend, CHARDEV_VC);
    ch = options_find_chardev(&c, "tcp0");
    CHECK(ch && ch->backend == CHARDEV_SOCKET && ch->server && !ch->wait && ch->telnet &&
          ch->nodelay);
    CHECK_STR(ch->host, "localhost");
    CHECK_EQ(ch->port, 4444);
    CHECK(ch->path == NULL);
    ch = options_find_chardev(&c, "u0");
    CHECK_STR(ch->path, "/tmp/u.sock");
    CHECK_EQ(ch->reconnect, 2);
    CHECK(!ch->server);
    /* defined but unused chardevs do not stop the default consoles */
    CHECK_EQ(c.nserial, 1);
    options_config_free(&c);

    ERR("-chardev stdio: no id= given", "-chardev", "stdio");
    ERR("-chardev id=x: no backend given (use null, stdio, file, pipe, pty, vc or socket)",
        "-chardev", "id=x");
    ERR("-chardev foo: invalid backend (use null, stdio, file, pipe, pty, vc or socket)",
        "-chardev", "foo,id=x");
    ERR("-chardev udp: not supported yet", "-chardev", "udp,id=x");
    ERR("-chardev null,id=a: duplicate chardev id 'a' (-chardev pty,id=a)", "-chardev",
        "pty,id=a", "-chardev", "null,id=a");
    ERR("-chardev id=9: invalid id (a letter, then letters, digits, '-', '.' or '_')",
        "-chardev", "null,id=9");
    ERR("-chardev file,id=f: path= is needed for the file backend", "-chardev", "file,id=f");
    ERR("-chardev signal=off: invalid parameter 'signal' (use backend, id, mux, path, append)",
        "-chardev", "file,id=f,path=x,signal=off");
    ERR("-chardev logfile=x: not supported yet", "-chardev", "null,id=n,logfile=x");
    ERR("-chardev socket,id=s,path=/x,port=1: give either path= (Unix) or host=/port= (TCP)",
        "-chardev", "socket,id=s,path=/x,port=1");
    ERR("-chardev socket,id=s,host=h: port= (TCP) or path= (Unix) is needed", "-chardev",
        "socket,id=s,host=h");
    ERR("-chardev port=70000: out of range (at most 65535)", "-chardev",
        "socket,id=s,port=70000");
    ERR("-chardev wait=off: only a server (server=on) can wait for a client", "-chardev",
        "socket,id=s,port=1,wait=off");
    ERR("-chardev mux=2: invalid value (use on or off)", "-chardev", "null,id=n,mux=2");
    ERR("chardev id 'serial0' is reserved for the default serial port", "-chardev",
        "null,id=serial0");
}

TEST(chardev_sharing)
{
    PemuConfig c;
    OK(&c, "-chardev", "stdio,id=c0,mux=on", "-serial", "chardev:c0", "-mon", "chardev=c0");
    CHECK_STR(c.serial[0], "c0");
    CHECK_EQ(c.nmonitors, 1);
    CHECK_STR(c.monitors[0].chardev, "c0");
    CHECK_EQ(c.nchardevs, 1);
    options_config_free(&c);
    /* a reference may come before its -chardev */
    OK(&c, "-serial", "chardev:late", "-chardev", "pty,id=late");
    CHECK_STR(c.serial[0], "late");
    options_config_free(&c);
    ERR("-chardev stdio,id=c0: chardev 'c0' has 2 users: add mux=on to share it", "-chardev",
        "stdio,id=c0", "-serial", "chardev:c0", "-mon", "chardev=c0");
    ERR("-chardev pty,id=p: chardev 'p' has 2 users: add mux=on to share it", "-chardev",
        "pty,id=p", "-serial", "chardev:p", "-gdb", "chardev:p");
    ERR("-serial stdio and -chardev stdio,id=c both use stdio (share it: -serial mon:stdio, or "
        "-chardev stdio,mux=on,id=ID and chardev:ID)", "-serial", "stdio", "-chardev",
        "stdio,id=c");
}

TEST(monitors)
{
    PemuConfig c;
    const ChardevConfig *ch;
    OK(&c, "-monitor", "stdio");
    CHECK_EQ(c.nmonitors, 1);
    CHECK(!c.monitors[0].qmp);
    CHECK_STR(c.monitors[0].chardev, "compat_monitor0");
    CHECK_EQ(options_find_chardev(&c, "compat_monitor0")->backend, CHARDEV_STDIO);
    options_config_free(&c);

    OK(&c, "-monitor", "tcp::4444,server,nowait", "-qmp", "unix:/tmp/q.sock,server,wait=off",
       "-qmp-pretty", "tcp:127.0.0.1:4446,server=on,wait=off");
    CHECK_EQ(c.nmonitors, 3);
    ch = options_find_chardev(&c, c.monitors[0].chardev);
    CHECK(ch->backend == CHARDEV_SOCKET && ch->port == 4444);
    CHECK(c.monitors[1].qmp && !c.monitors[1].pretty);
    CHECK_STR(c.monitors[1].chardev, "compat_monitor1");
    CHECK_STR(options_find_chardev(&c, "compat_monitor1")->path, "/tmp/q.sock");
    CHECK(c.monitors[2].qmp && c.monitors[2].pretty);
    options_config_free(&c);

    OK(&c, "-monitor", "none");
    CHECK_EQ(c.nmonitors, 0);
    CHECK_EQ(c.nserial, 1);
    options_config_free(&c);
    OK(&c, "-qmp", "tcp::4444,server,nowait");
    CHECK_EQ(c.nmonitors, 1); /* -qmp replaces the default monitor, as in QEMU */
    options_config_free(&c);

    OK(&c, "-chardev", "socket,id=q,port=5555,server=on,wait=off", "-mon",
       "chardev=q,mode=control,pretty=on");
    CHECK(c.monitors[0].qmp && c.monitors[0].pretty);
    options_config_free(&c);
    OK(&c, "-chardev", "pty,id=h", "-mon", "h");
    CHECK(!c.monitors[0].qmp);
    options_config_free(&c);

    ERR("-mon pretty=on: only a QMP monitor (mode=control) can be pretty", "-chardev",
        "pty,id=h", "-mon", "h,pretty=on");
    ERR("-mon mode=json: invalid mode (use readline or control)", "-mon", "h,mode=json");
    ERR("-mon mode=control: chardev= is needed", "-mon", "mode=control");
    ERR("-mon chardev=zz: no -chardev with id 'zz'", "-mon", "chardev=zz");
    ERR("-monitor mon:stdio: 'mon:' is for -serial (a monitor muxed with a serial port)",
        "-monitor", "mon:stdio");
    ERR_HAS("is not a valid character device", "-qmp", "bogus");
}

TEST(gdb_debugcon_echr)
{
    PemuConfig c;
    const ChardevConfig *ch;
    OK(&c, "-s", "-S");
    CHECK(c.start_stopped);
    CHECK_STR(c.gdb_chardev, "gdb");
    ch = options_find_chardev(&c, "gdb");
    CHECK(ch && ch->backend == CHARDEV_SOCKET && ch->port == 1234 && ch->server && !ch->wait);
    options_config_free(&c);

    /* the last one wins, and the old chardev goes away */
    OK(&c, "-s", "-gdb", "tcp::5555");
    CHECK_EQ(options_find_chardev(&c, "gdb")->port, 5555);
    CHECK(options_find_chardev(&c, "gdb")->server);
    int n = 0;
    for (int i = 0; i < c.nchardevs; i++)
        n += !strcmp(c.chardevs[i].id, "gdb");
    CHECK_EQ(n, 1);
    options_config_free(&c);
    OK(&c, "-s", "-gdb", "none");
    CHECK(c.gdb_chardev == NULL);
    CHECK(!options_find_chardev(&c, "gdb"));
    options_config_free(&c);
    OK(&c, "-gdb", "unix:/tmp/gdb.sock,server,wait=off");
    CHECK_STR(options_find_chardev(&c, "gdb")->path, "/tmp/gdb.sock");
    options_config_free(&c);

    OK(&c, "-debugcon", "file:debug.log");
    CHECK_STR(c.debugcon_chardev, "debugcon");
    ch = options_find_chardev(&c, "debugcon");
    CHECK(ch && ch->backend == CHARDEV_FILE);
    CHECK_STR(ch->path, "debug.log");
    options_config_free(&c);
    OK(&c, "-debugcon", "stdio", "-serial", "null");
    CHECK_EQ(options_find_chardev(&c, "debugcon")->backend, CHARDEV_STDIO);
    options_config_free(&c);
    ERR("-debugcon stdio and -nographic both use stdio (share it: -serial mon:stdio, or "
        "-chardev stdio,mux=on,id=ID and chardev:ID)", "-debugcon", "stdio", "-nographic");
    ERR_HAS("-gdb foo: 'foo' is not a valid character device", "-gdb", "foo");

    OK(&c, "-echr", "0x14");
    CHECK_EQ(c.echr, 20);
    options_config_free(&c);
    ERR("-echr 300: out of range (use a character code 0-255)", "-echr", "300");
    ERR("-echr x: invalid number (use a decimal or 0x hexadecimal integer)", "-echr", "x");
}

/* ---- debugging ---------------------------------------------------------- */

TEST(logging)
{
    PemuConfig c;
    OK(&c, "-d", "in_asm,op_opt,int", "-D", "log.txt", "-dfilter", "0x1000..0x1fff,0x8000+0x10");
    CHECK_EQ(c.log_mask, LOG_IN_ASM | LOG_OP_OPT | LOG_INT);
    CHECK(!c.log_help);
    CHECK_STR(c.log_file, "log.txt");
    CHECK_STR(c.log_filter, "0x1000..0x1fff,0x8000+0x10");
    options_config_free(&c);
    OK(&c, "-d", "help");
    CHECK(c.log_help);
    CHECK_EQ(c.log_mask, 0);
    options_config_free(&c);
    OK(&c, "-d", "?");
    CHECK(c.log_help);
    options_config_free(&c);
    ERR("-d foo: unknown log item 'foo' (try -d help)", "-d", "foo");
    ERR("-d in_asm,bar: unknown log item 'bar' (try -d help)", "-d", "in_asm,bar");
    ERR("-dfilter zz: expected ranges like 0x1000..0x1fff, 0x1000+0x100 or 0x1fff-0x100",
        "-dfilter", "zz");
    ERR("-D: empty argument", "-D", "");
}

TEST(icount)
{
    PemuConfig c;
    OK(&c, "-icount", "3");
    CHECK(c.icount);
    CHECK_EQ(c.icount_shift, 3);
    CHECK(c.icount_sleep && !c.icount_align);
    options_config_free(&c);
    OK(&c, "-icount", "shift=auto,sleep=off");
    CHECK_EQ(c.icount_shift, -1);
    CHECK(!c.icount_sleep);
    options_config_free(&c);
    OK(&c, "-icount", "shift=7,align=on");
    CHECK(c.icount_align);
    options_config_free(&c);
    OK(&c, "-icount", "0", "-accel", "tcg");
    CHECK_EQ(c.icount_shift, 0);
    options_config_free(&c);
    ERR("-icount shift=11: invalid shift (use 0-10 or auto)", "-icount", "shift=11");
    ERR("-icount x: invalid shift (use 0-10 or auto)", "-icount", "x");
    ERR("-icount auto,align=on: align=on cannot be used with shift=auto", "-icount",
        "auto,align=on");
    ERR("-icount 1,sleep=off,align=on: align=on cannot be used with sleep=off", "-icount",
        "1,sleep=off,align=on");
    ERR("-icount rr=record: not supported yet", "-icount", "1,rr=record");
    ERR("-icount sleep=off: shift= is needed (0-10 or auto)", "-icount", "sleep=off");
    ERR("-icount cannot be used with KVM (use -accel tcg)", "-icount", "1", "-enable-kvm");
}

TEST(singlestep_and_flags)
{
    PemuConfig c;
    OK(&c, "-singlestep", "-no-reboot", "-no-shutdown", "-snapshot", "-no-user-config",
       "-no-hpet", "-nic", "none", "-net", "none", "-parallel", "none");
    CHECK(c.singlestep && c.no_reboot && c.no_shutdown && c.snapshot && c.net_none);
    CHECK(!c.start_stopped && !c.nodefaults && !c.full_screen);
    options_config_free(&c);
    ERR("-nic user: not supported yet", "-nic", "user");
    ERR("-net nic,model=e1000: not supported yet", "-net", "nic,model=e1000");
    ERR("-parallel stdio: not supported yet (the pemu PC has no parallel port)", "-parallel",
        "stdio");
}

/* ---- devices and the rest ---------------------------------------------- */

TEST(device)
{
    PemuConfig c;
    OK(&c, "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-device", "pci-testdev");
    CHECK_EQ(c.ndevices, 2);
    CHECK_STR(c.devices[0].driver, "isa-debug-exit");
    CHECK_STR(c.devices[0].raw, "isa-debug-exit,iobase=0xf4,iosize=0x04");
    CHECK_EQ(c.devices[0].props.n, 2);
    CHECK_STR(c.devices[0].props.v[0].key, "iobase");
    CHECK_STR(options_list_get(&c.devices[0].props, "iosize"), "0x04");
    CHECK(!c.devices[0].props.implied);
    CHECK_EQ(c.devices[1].props.n, 0);
    CHECK(!c.device_help);
    options_config_free(&c);
    OK(&c, "-device", "help");
    CHECK(c.device_help);
    CHECK(c.device_help_driver == NULL);
    CHECK_EQ(c.ndevices, 0);
    options_config_free(&c);
    OK(&c, "-device", "?");
    CHECK(c.device_help);
    options_config_free(&c);
    OK(&c, "-device", "isa-debugcon,help");
    CHECK(c.device_help);
    CHECK_STR(c.device_help_driver, "isa-debugcon");
    options_config_free(&c);
    OK(&c, "-device", "driver=x,a=1"); /* the explicit key works too */
    CHECK_STR(c.devices[0].driver, "x");
    CHECK_EQ(c.devices[0].props.n, 1);
    options_config_free(&c);
    ERR("-device iobase=1: no device type given first ('-device help' lists them)", "-device",
        "iobase=1");
    ERR("-device : no device type given first ('-device help' lists them)", "-device", "");
}

TEST(global)
{
    PemuConfig c;
    OK(&c, "-global", "isa-fdc.driveA=drive0", "-global",
       "driver=ide-hd,property=physical_block_size,value=4096", "-global", "a.b.c=x=y");
    CHECK_EQ(c.nglobals, 3);
    CHECK_STR(c.globals[0].driver, "isa-fdc");
    CHECK_STR(c.globals[0].property, "driveA");
    CHECK_STR(c.globals[0].value, "drive0");
    CHECK_STR(c.globals[1].driver, "ide-hd");
    CHECK_STR(c.globals[1].property, "physical_block_size");
    CHECK_STR(c.globals[1].value, "4096");
    CHECK_STR(c.globals[2].driver, "a");
    CHECK_STR(c.globals[2].property, "b.c");
    CHECK_STR(c.globals[2].value, "x=y");
    options_config_free(&c);
    ERR("-global foo: expected driver.property=value", "-global", "foo");
    ERR("-global .x=1: expected driver.property=value", "-global", ".x=1");
    ERR("-global a.=1: expected driver.property=value", "-global", "a.=1");
    ERR("-global driver=a,value=1: driver=, property= and value= are all needed", "-global",
        "driver=a,value=1");
}

TEST(rtc)
{
    PemuConfig c;
    OK(&c, "-rtc", "base=localtime,clock=vm,driftfix=slew");
    CHECK_EQ(c.rtc_base, RTC_BASE_LOCALTIME);
    CHECK_EQ(c.rtc_clock, RTC_CLOCK_VM);
    CHECK(c.rtc_driftfix_slew);
    options_config_free(&c);
    OK(&c, "-rtc", "base=2006-06-17T16:01:21,clock=rt");
    CHECK_EQ(c.rtc_base, RTC_BASE_DATE);
    CHECK_EQ(c.rtc_date, 1150560081);
    CHECK_EQ(c.rtc_clock, RTC_CLOCK_RT);
    options_config_free(&c);
    OK(&c, "-rtc", "base=2000-01-01");
    CHECK_EQ(c.rtc_date, 946684800);
    options_config_free(&c);
    OK(&c, "-rtc", "base=2000-02-29,driftfix=none");
    CHECK_EQ(c.rtc_date, 951782400);
    CHECK(!c.rtc_driftfix_slew);
    options_config_free(&c);
    OK(&c, "-rtc", "base=1960-01-01");
    CHECK_EQ(c.rtc_date, (uint64_t)(int64_t)-315619200);
    options_config_free(&c);
    OK(&c, "-rtc", "base=utc");
    CHECK_EQ(c.rtc_base, RTC_BASE_UTC);
    options_config_free(&c);
    const char *bad[] = { "base=2006-13-01", "base=2001-02-29", "base=1900-02-29",
                          "base=2006-06-17T24:00:00", "base=2006-6-17", "base=2006-06-17 16:01:21",
                          "base=now", "base=2006-06-17T16:01:21Z" };
    for (size_t i = 0; i < PEMU_ARRAY_SIZE(bad); i++)
        ERR_HAS("invalid base (use utc, localtime, 2006-06-17 or 2006-06-17T16:01:21)", "-rtc",
                bad[i]);
    ERR("-rtc clock=wall: invalid clock (use host, rt or vm)", "-rtc", "clock=wall");
    ERR("-rtc driftfix=fast: invalid driftfix (use none or slew)", "-rtc", "driftfix=fast");
    ERR("-rtc utc=on: invalid parameter 'utc' (use base, clock, driftfix)", "-rtc", "utc");
}

TEST(name_pidfile_loadvm)
{
    PemuConfig c;
    OK(&c, "-name", "myvm", "-pidfile", "/tmp/p.pid", "-loadvm", "snap1");
    CHECK_STR(c.name, "myvm");
    CHECK(c.process_name == NULL && !c.debug_threads);
    CHECK_STR(c.pidfile, "/tmp/p.pid");
    CHECK_STR(c.loadvm, "snap1");
    options_config_free(&c);
    OK(&c, "-name", "guest=a,,b,process=pemu-a,debug-threads=on");
    CHECK_STR(c.name, "a,b");
    CHECK_STR(c.process_name, "pemu-a");
    CHECK(c.debug_threads);
    options_config_free(&c);
    ERR("-name foo=1: invalid parameter 'foo' (use guest, process, debug-threads)", "-name",
        "a,foo=1");
    ERR("-name debug-threads=x: invalid value (use on or off)", "-name", "a,debug-threads=x");
    ERR("-loadvm: empty argument", "-loadvm", "");
    ERR("-pidfile: empty argument", "-pidfile", "");
}

TEST(uuid_and_smbios)
{
    PemuConfig c;
    OK(&c, "-uuid", "01234567-89ab-CDEF-0011-223344556677", "-smbios", "type=1,serial=a,,b",
       "-smbios", "type=11,value=x");
    CHECK(c.has_uuid && c.uuid[0] == 0x01 && c.uuid[6] == 0xcd && c.uuid[15] == 0x77);
    CHECK_EQ(c.nsmbios, 2);
    CHECK_STR(options_list_get(&c.smbios[0], "serial"), "a,b");
    CHECK_STR(options_list_get(&c.smbios[1], "type"), "11");
    options_config_free(&c);
    OK(&c, "-m", "64");
    CHECK(!c.has_uuid && c.nsmbios == 0);
    options_config_free(&c);
    ERR("-uuid 1234: expected a UUID, xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx in hex", "-uuid", "1234");
    ERR("-smbios serial=1: type= is missing (0, 1, 2, 3, 4, 11 or 17)", "-smbios", "serial=1");
}

TEST(overcommit_and_msg)
{
    PemuConfig c;
    OK(&c, "-overcommit", "mem-lock=on,cpu-pm=on", "-msg", "timestamp=on,guest-name=on");
    CHECK(c.overcommit_mem_lock && c.overcommit_cpu_pm && c.msg_timestamp && c.msg_guest_name);
    options_config_free(&c);
    OK(&c, "-overcommit", "mem-lock=off", "-msg", "timestamp=off");
    CHECK(!c.overcommit_mem_lock && !c.msg_timestamp);
    options_config_free(&c);
    ERR("-overcommit foo=1: invalid parameter 'foo' (use mem-lock, cpu-pm)", "-overcommit",
        "foo=1");
    ERR("-overcommit mem-lock=maybe: invalid value (use on or off)", "-overcommit",
        "mem-lock=maybe");
    ERR("-msg x=1: invalid parameter 'x' (use timestamp, guest-name)", "-msg", "x=1");
}

/* ---- help text ---------------------------------------------------------- */

static char *capture(void (*fn)(FILE *))
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    fn(f);
    fclose(f);
    return buf;
}

TEST(help_text)
{
    char *h = capture(options_print_help);
    CHECK(h != NULL);
    static const char *const must[] = {
        "usage: pemu [options] [disk_image]", "\nStandard options:\n", "\nBlock devices:\n",
        "\nBoot and kernel:\n", "\nDisplay:\n", "\nCharacter devices and consoles:\n",
        "\nDebug and expert options:\n", "\n-h or -help ", "\n-version ", "\n-machine [type=]",
        "\n-cpu model", "\n-accel ", "\n-enable-kvm ", "\n-smp ", "\n-m [size=]megs", "\n-k ",
        "\n-name ", "\n-rtc ", "\n-device ", "\n-global ", "\n-nic ", "\n-net ", "\n-nodefaults ",
        "\n-pidfile ", "\n-overcommit ", "\n-msg ", "\n-fda/-fdb ", "\n-hda/-hdb ", "\n-hdc/-hdd ",
        "\n-cdrom ", "\n-drive ", "\n-snapshot ", "\n-loadvm ", "\n-boot ", "\n-bios ", "\n-L ",
        "\n-kernel ", "\n-initrd ", "\n-append ", "\n-no-reboot ", "\n-no-shutdown ",
        "\n-display ", "\n-nographic ", "\n-full-screen ", "\n-vga ", "\n-serial ",
        "\n-monitor ", "\n-qmp ", "\n-qmp-pretty ", "\n-mon ", "\n-chardev ", "\n-debugcon ",
        "\n-echr ", "\n-S ", "\n-s ", "\n-gdb ", "\n-d ", "\n-D ", "\n-dfilter ", "\n-icount ",
        "\n-singlestep ", "$DISPLAY or $WAYLAND_DISPLAY", "else curses", "not supported yet",
        "-vnc", "-daemonize", "-usb",
    };
    for (size_t i = 0; i < PEMU_ARRAY_SIZE(must); i++) {
        if (!strstr(h, must[i])) {
            unit_fail(__FILE__, __LINE__, "help text lacks \"%s\"", must[i]);
            free(h);
            return;
        }
    }
    /* groups in order, every line fits a terminal */
    CHECK(strstr(h, "Standard options:") < strstr(h, "Block devices:"));
    CHECK(strstr(h, "Block devices:") < strstr(h, "Debug and expert options:"));
    for (char *p = h; *p;) {
        char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (n > 80) {
            unit_fail(__FILE__, __LINE__, "help line longer than 80: %.*s", (int)n, p);
            free(h);
            return;
        }
        p += n + (nl != NULL);
    }
    free(h);

    char *v = capture(options_print_version);
    CHECK(v != NULL);
    CHECK(!strncmp(v, "pemu version " PEMU_VERSION "\n", strlen("pemu version " PEMU_VERSION "\n")));
    CHECK(!strstr(v, "Copyright") && !strstr(v, "(c)"));
    free(v);
}
