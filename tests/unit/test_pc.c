/* hw/pc.c: the "pc" board as the firmware sees it, direct Multiboot entry,
 * and -smp (APs started by INIT/SIPI, the APIC window per CPU). */
#include "unit.h"
#include "hw/pc.h"
#include "hw/multiboot.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static Machine *make_pc(PemuConfig *cfg, int argc, char **argv, Error **err)
{
    if (options_parse(argc, argv, cfg, err) < 0)
        return NULL;
    return pc_machine_new(cfg, err);
}

static int have_seabios(void)
{
    return access("/usr/share/seabios/bios.bin", R_OK) == 0;
}

static uint8_t cmos(Machine *m, int i)
{
    ioport_write(m->io, 0x70, (uint32_t)i, 1);
    return (uint8_t)ioport_read(m->io, 0x71, 1);
}

TEST(firmware_view_of_the_board)
{
    if (!have_seabios())
        SKIP("seabios is not installed (apt-get install seabios)");
    PemuConfig cfg;
    Error *err = NULL;
    char *argv[] = { "pemu", "-m", "256", "-nographic", NULL };
    Machine *m = make_pc(&cfg, 4, argv, &err);
    if (!m) {
        unit_fail(__FILE__, __LINE__, "%s", err ? err->msg : "?");
        return;
    }
    /* The reset vector: the BIOS's last 16 bytes at 0xffff0 and 0xfffffff0. */
    FILE *f = fopen("/usr/share/seabios/bios.bin", "rb");
    CHECK(f != NULL);
    fseek(f, -16, SEEK_END);
    uint8_t tail[16];
    CHECK(fread(tail, 1, 16, f) == 16);
    fclose(f);
    for (int i = 0; i < 16; i++) {
        CHECK_EQ(address_space_ldub(m->as, 0xfffffff0u + (unsigned)i), tail[i]);
        CHECK_EQ(address_space_ldub(m->as, 0xffff0u + (unsigned)i), tail[i]);
    }
    /* fw_cfg signature and RAM size */
    ioport_write(m->io, 0x510, 0x0000, 2);
    char sig[5] = { 0 };
    for (int i = 0; i < 4; i++)
        sig[i] = (char)ioport_read(m->io, 0x511, 1);
    CHECK_STR(sig, "QEMU");
    ioport_write(m->io, 0x510, 0x0003, 2);
    uint64_t ram = 0;
    for (int i = 0; i < 8; i++)
        ram |= (uint64_t)ioport_read(m->io, 0x511, 1) << (8 * i);
    CHECK_EQ(ram, 256ull << 20);
    /* CMOS: 640 KiB base memory, 63 MiB of extended memory (capped), 240 MiB above 16 MiB */
    CHECK_EQ(cmos(m, 0x15) | cmos(m, 0x16) << 8, 640);
    CHECK_EQ(cmos(m, 0x17) | cmos(m, 0x18) << 8, 0xffff);
    CHECK_EQ(cmos(m, 0x34) | cmos(m, 0x35) << 8, (256 - 16) * 16);
    CHECK_EQ(cmos(m, 0x3d), 0x12);  /* boot order c, a */
    CHECK_EQ(cmos(m, 0x10) >> 4, 4);  /* drive A: an (empty) 1.44M drive, as QEMU */
    CHECK_EQ(cmos(m, 0x14) & 0xc1, 0x01);
    /* the PIC answers: mask register round trip */
    ioport_write(m->io, 0x21, 0xa5, 1);
    CHECK_EQ(ioport_read(m->io, 0x21, 1), 0xa5);
    /* RAM is RAM */
    address_space_stl_le(m->as, 0x7c00, 0xdeadbeef);
    CHECK_EQ(address_space_ldl_le(m->as, 0x7c00), 0xdeadbeef);
    pc_machine_free(m);
    options_config_free(&cfg);
}

TEST(missing_firmware_names_the_package)
{
    PemuConfig cfg;
    Error *err = NULL;
    char dir[300];
    snprintf(dir, sizeof(dir), "%s", unit_tmpdir());
    char *argv[] = { "pemu", "-bios", "no-such-bios.bin", "-L", dir, NULL };
    setenv("PEMU_FIRMWARE_PATH", dir, 1);
    Machine *m = make_pc(&cfg, 5, argv, &err);
    CHECK(m == NULL);
    CHECK(err != NULL);
    CHECK(strstr(err->msg, "no-such-bios.bin") != NULL);
    CHECK(strstr(err->msg, "seabios") != NULL);
    error_free(err);
    options_config_free(&cfg);
}

/* An a.out-kludge Multiboot kernel at 1 MiB (entry 0x100020: hlt) in the
 * test directory; the path in path. */
static int write_kernel(char *path, size_t n)
{
    uint8_t img[64] = { 0 };
    uint32_t flags = 0x00010003u;
    st32_le(img, MULTIBOOT_HEADER_MAGIC);
    st32_le(img + 4, flags);
    st32_le(img + 8, -(MULTIBOOT_HEADER_MAGIC + flags));
    st32_le(img + 12, 0x100000);
    st32_le(img + 16, 0x100000);
    st32_le(img + 28, 0x100020);
    img[32] = 0xf4;
    snprintf(path, n, "%s/smp.bin", unit_tmpdir());
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    int ok = fwrite(img, 1, sizeof(img), f) == sizeof(img);
    return fclose(f) == 0 && ok ? 0 : -1;
}

TEST(smp_init_sipi_and_apic_window)
{
    char path[300];
    CHECK_EQ(write_kernel(path, sizeof(path)), 0);
    PemuConfig cfg;
    Error *err = NULL;
    char *argv[] = { "pemu", "-machine", "firmware=none", "-kernel", path, "-smp", "2", "-display", "none", NULL };
    Machine *m = make_pc(&cfg, 9, argv, &err);
    if (!m) {
        unit_fail(__FILE__, __LINE__, "%s", err ? err->msg : "?");
        return;
    }
    static X86CPU bsp, ap, extra;
    CHECK_EQ(pc_connect_cpu(m, &bsp, &err), 0);
    CHECK_EQ(pc_connect_cpu(m, &ap, &err), 0);
    CHECK(pc_connect_cpu(m, &extra, &err) < 0); /* -smp 2: no third */
    CHECK(err && strstr(err->msg, "2 CPU"));
    error_free(err);
    err = NULL;
    CHECK_EQ(bsp.parent.stopped, 0);
    CHECK_EQ(bsp.env.rip, 0x100020);             /* the kernel's entry */
    CHECK_EQ(ap.parent.stopped, 1);              /* waits for a SIPI */
    CHECK_EQ(ap.apic_id, 1);

    /* each CPU sees its own APIC through the one window */
    current_cpu = &bsp.parent;
    CHECK_EQ(address_space_ldl_le(m->as, 0xfee00020), 0);
    current_cpu = &ap.parent;
    CHECK_EQ(address_space_ldl_le(m->as, 0xfee00020), 0x01000000u);

    /* a SIPI before INIT to a waiting AP starts it; set up INIT first */
    ap.env.rip = 0x1234;
    current_cpu = &bsp.parent;
    address_space_stl_le(m->as, 0xfee00310, 1u << 24);
    address_space_stl_le(m->as, 0xfee00300, 0x4500);    /* INIT to APIC 1 */
    CHECK_EQ(ap.parent.stopped, 1);
    CHECK_EQ(ap.env.rip, 0xfff0);                       /* reset state */
    address_space_stl_le(m->as, 0xfee00300, 0x4608);    /* STARTUP, vector 8 */
    CHECK_EQ(ap.parent.stopped, 0);
    CHECK_EQ(ap.env.segs[R_CS].selector, 0x800);
    CHECK_EQ(ap.env.segs[R_CS].base, 0x8000);
    CHECK_EQ(ap.env.rip, 0);
    address_space_stl_le(m->as, 0xfee00300, 0x4609);    /* ignored: it runs */
    CHECK_EQ(ap.env.segs[R_CS].base, 0x8000);
    CHECK_EQ(bsp.parent.stopped, 0);                    /* the sender untouched */

    /* a system reset puts the AP back to waiting */
    pc_reset(m);
    CHECK_EQ(ap.parent.stopped, 1);
    CHECK_EQ(bsp.env.rip, 0x100020);
    current_cpu = NULL;
    pc_machine_free(m);
    options_config_free(&cfg);
}

TEST(multiboot_direct_entry_state)
{
    /* an a.out-kludge kernel loaded at 1 MiB */
    uint8_t img[64] = { 0 };
    uint32_t flags = 0x00010003u;
    st32_le(img, MULTIBOOT_HEADER_MAGIC);
    st32_le(img + 4, flags);
    st32_le(img + 8, -(MULTIBOOT_HEADER_MAGIC + flags));
    st32_le(img + 12, 0x100000);
    st32_le(img + 16, 0x100000);
    st32_le(img + 20, 0);
    st32_le(img + 24, 0);
    st32_le(img + 28, 0x100020);
    img[32] = 0xf4; /* hlt */
    char path[300];
    snprintf(path, sizeof(path), "%s/k.bin", unit_tmpdir());
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(img, 1, sizeof(img), f) == sizeof(img));
    fclose(f);

    PemuConfig cfg;
    Error *err = NULL;
    char *argv[] = { "pemu", "-machine", "firmware=none", "-kernel", path, "-append", "x=1", "-display", "none", NULL };
    Machine *m = make_pc(&cfg, 9, argv, &err);
    if (!m) {
        unit_fail(__FILE__, __LINE__, "%s", err ? err->msg : "?");
        return;
    }
    static X86CPU cpu;
    CHECK_EQ(pc_connect_cpu(m, &cpu, &err), 0);
    X86State *s = &cpu.env;
    CHECK_EQ(s->regs[R_EAX], MULTIBOOT_BOOTLOADER_MAGIC);
    CHECK_EQ(s->rip, 0x100020);
    CHECK_EQ(s->hflags & (HF_PE | HF_CS32 | HF_SS32 | HF_CPL_MASK | HF_ADDSEG), HF_PE | HF_CS32 | HF_SS32);
    CHECK_EQ(address_space_ldub(m->as, 0x100020), 0xf4);
    uint32_t info = (uint32_t)s->regs[R_EBX];
    char cmd[400] = { 0 };
    uint32_t cp = address_space_ldl_le(m->as, info + 16);
    for (int i = 0; i < 399; i++)
        if (!(cmd[i] = (char)address_space_ldub(m->as, cp + (unsigned)i)))
            break;
    char want[400];
    snprintf(want, sizeof(want), "%s x=1", path);
    CHECK_STR(cmd, want);
    /* the PICs were programmed like a BIOS does: IRQ 0 -> vector 8 */
    ioport_write(m->io, 0x20, 0x0b, 1);            /* OCW3: read ISR */
    CHECK_EQ(ioport_read(m->io, 0x20, 1), 0);
    CHECK_EQ(address_space_ldl_le(m->as, 8 * 4), 0xf000ff53u);
    /* a system reset reloads the kernel and the entry state */
    s->rip = 0;
    address_space_stb(m->as, 0x100020, 0x90);
    pc_reset(m);
    CHECK_EQ(s->rip, 0x100020);
    CHECK_EQ(address_space_ldub(m->as, 0x100020), 0xf4);
    pc_machine_free(m);
    options_config_free(&cfg);
}

TEST(ide_disk_and_cdrom)
{
    if (!have_seabios())
        SKIP("seabios is not installed (apt-get install seabios)");
    char disk[300], iso[300];
    snprintf(disk, sizeof(disk), "%s/d.img", unit_tmpdir());
    snprintf(iso, sizeof(iso), "%s/c.iso", unit_tmpdir());
    FILE *f = fopen(disk, "wb");
    CHECK(f && ftruncate(fileno(f), 1 << 20) == 0);
    fclose(f);
    f = fopen(iso, "wb");
    CHECK(f && ftruncate(fileno(f), 2048 * 16) == 0);
    fclose(f);
    PemuConfig cfg;
    Error *err = NULL;
    char *argv[] = { "pemu", "-drive", NULL, "-cdrom", iso, "-display", "none", NULL };
    char drive[400];
    snprintf(drive, sizeof(drive), "file=%s,format=raw", disk);
    argv[2] = drive;
    Machine *m = make_pc(&cfg, 7, argv, &err);
    if (!m) {
        unit_fail(__FILE__, __LINE__, "%s", err ? err->msg : "?");
        return;
    }
    /* 00:01.1 is the PIIX3 IDE function */
    ioport_write(m->io, 0xcf8, 0x80000000u | (1u << 11) | (1u << 8), 4);
    CHECK_EQ(ioport_read(m->io, 0xcfc, 4), 0x70108086u);
    pc_machine_free(m);
    options_config_free(&cfg);

    /* a missing image is an error naming it */
    char *argv2[] = { "pemu", "-hda", "/nonexistent/disk.img", "-display", "none", NULL };
    m = make_pc(&cfg, 5, argv2, &err);
    CHECK(m == NULL);
    CHECK(err && strstr(err->msg, "/nonexistent/disk.img"));
    error_free(err);
    options_config_free(&cfg);
}
