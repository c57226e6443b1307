/* hw/vga_pci.c: the PCI VGA's identity, BAR sizes, the framebuffer, DISPI
 * and VGA registers through BAR 2, the ROM BAR, the legacy decode, addr=. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "hw/pci.h"
#include "hw/vga.h"
#include "src/device.h"
#include "src/ioport.h"
#include "src/machine.h"

#define LFB 0xfd000000u
#define MMIO 0xfebf0000u
#define ROM 0xfebc0000u

typedef struct Rig {
    Machine *m;
    PCIBus *bus;
    int devfn;
} Rig;

static uint32_t cfg_r(Rig *r, uint32_t a, unsigned len)
{
    return pci_bus_config_read(r->bus, r->devfn, a, len);
}

static void cfg_w(Rig *r, uint32_t a, uint32_t v, unsigned len)
{
    pci_bus_config_write(r->bus, r->devfn, a, v, len);
}

static Device *rig_new(Rig *r, const char *props, Error **err)
{
    r->m = machine_new_bare(0);
    r->bus = pci_bus_new(r->m, NULL, NULL);
    r->devfn = PCI_DEVFN(2, 0);
    return device_create(r->m, "VGA", props, err);
}

static void rig_free(Rig *r)
{
    device_free_all(r->m);
    pci_bus_free(r->bus);
    machine_free(r->m);
}

/* A fake option ROM of n bytes: 55 aa, size in 512-byte blocks, a pattern. */
static char *make_rom(unsigned n)
{
    static char path[64];
    snprintf(path, sizeof(path), "/tmp/pemu-vgarom-%d.bin", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f)
        return NULL;
    for (unsigned i = 0; i < n; i++) {
        int b = i == 0 ? 0x55 : i == 1 ? 0xaa : i == 2 ? (int)(n / 512) : (int)(i * 7 & 0xff);
        fputc(b, f);
    }
    fclose(f);
    return path;
}

TEST(identity_and_bar_sizes)
{
    Rig r;
    Error *err = NULL;
    CHECK(rig_new(&r, "addr=02.0,romfile=", &err) != NULL);
    CHECK_EQ(cfg_r(&r, 0, 4), 0x11111234);
    CHECK_EQ(cfg_r(&r, 8, 4), 0x03000002);          /* class 0300 (VGA), revision 2 */
    CHECK_EQ(cfg_r(&r, PCI_SUBSYSTEM_VENDOR_ID, 4), 0x11001af4);
    CHECK_EQ(cfg_r(&r, PCI_INTERRUPT_PIN, 1), 0);   /* no interrupt */
    for (uint32_t a = 0x10; a <= 0x24; a += 4)
        cfg_w(&r, a, 0xffffffff, 4);
    cfg_w(&r, PCI_ROM_ADDRESS, 0xffffffff, 4);
    CHECK_EQ(cfg_r(&r, 0x10, 4), 0xff000008);       /* 16 MiB prefetchable */
    CHECK_EQ(cfg_r(&r, 0x14, 4), 0);
    CHECK_EQ(cfg_r(&r, 0x18, 4), 0xfffff000);       /* 4 KiB MMIO */
    CHECK_EQ(cfg_r(&r, 0x1c, 4), 0);
    CHECK_EQ(cfg_r(&r, PCI_ROM_ADDRESS, 4), 0);     /* romfile= : no ROM BAR */
    rig_free(&r);

    CHECK(rig_new(&r, "addr=02.0,romfile=,vgamem_mb=64", &err) != NULL);
    cfg_w(&r, 0x10, 0xffffffff, 4);
    CHECK_EQ(cfg_r(&r, 0x10, 4), 0xfc000008);
    rig_free(&r);
}

TEST(framebuffer_dispi_and_vga_registers_through_the_bars)
{
    Rig r;
    Error *err = NULL;
    CHECK(rig_new(&r, "addr=02.0,romfile=", &err) != NULL);
    AddressSpace *as = r.m->as;
    cfg_w(&r, 0x10, LFB, 4);
    cfg_w(&r, 0x18, MMIO, 4);
    /* memory decode off: the BARs do not answer */
    CHECK_EQ(address_space_ldl_le(as, MMIO + 0x500), 0xffffffffu);
    cfg_w(&r, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    /* DISPI ID and the video memory size through BAR 2 */
    CHECK_EQ(address_space_lduw_le(as, MMIO + 0x500), VBE_DISPI_ID5);
    CHECK_EQ(address_space_lduw_le(as, MMIO + 0x500 + 2 * VBE_DISPI_INDEX_VIDEO_MEMORY_64K), 256);
    /* QEMU's extension registers: their size (8), byte order 1e1e1e1e = little */
    CHECK_EQ(address_space_ldl_le(as, MMIO + 0x600), 8);
    CHECK_EQ(address_space_ldl_le(as, MMIO + 0x604), 0x1e1e1e1e);
    /* a DISPI write through BAR 2 is what port 0x1cf reads */
    address_space_stw_le(as, MMIO + 0x500 + 2 * VBE_DISPI_INDEX_XRES, 800);
    ioport_write(r.m->io, VBE_DISPI_IOPORT_INDEX, VBE_DISPI_INDEX_XRES, 2);
    CHECK_EQ(ioport_read(r.m->io, VBE_DISPI_IOPORT_DATA, 2), 800);
    /* VGA ports at 0x400: the sequencer index written by MMIO, read by port */
    address_space_stb(as, MMIO + 0x404, 2);          /* 0x3c4 */
    CHECK_EQ(ioport_read(r.m->io, 0x3c4, 1), 2);
    /* the LFB is VRAM: linear from 0, also seen through bank 1 of the window */
    address_space_stl_le(as, LFB + 0x10000, 0xdeadbeef);
    CHECK_EQ(address_space_ldl_le(as, LFB + 0x10000), 0xdeadbeef);
    address_space_stw_le(as, MMIO + 0x500 + 2 * VBE_DISPI_INDEX_BPP, 32);
    address_space_stw_le(as, MMIO + 0x500 + 2 * VBE_DISPI_INDEX_YRES, 600);
    address_space_stw_le(as, MMIO + 0x500 + 2 * VBE_DISPI_INDEX_ENABLE,
                         VBE_DISPI_ENABLED | VBE_DISPI_LFB_ENABLED | VBE_DISPI_NOCLEARMEM);
    address_space_stw_le(as, MMIO + 0x500 + 2 * VBE_DISPI_INDEX_BANK, 1);
    CHECK_EQ(address_space_ldl_le(as, VGA_LOWMEM_BASE), 0xdeadbeef);
    /* the legacy decode does not depend on the command register */
    cfg_w(&r, PCI_COMMAND, 0, 2);
    CHECK_EQ(address_space_ldl_le(as, VGA_LOWMEM_BASE), 0xdeadbeef);
    CHECK_EQ(address_space_ldl_le(as, LFB + 0x10000), 0xffffffffu);
    /* reset: BARs cleared, VBE off */
    device_reset_all(r.m);
    CHECK_EQ(cfg_r(&r, 0x10, 4), 8);
    ioport_write(r.m->io, VBE_DISPI_IOPORT_INDEX, VBE_DISPI_INDEX_ENABLE, 2);
    CHECK_EQ(ioport_read(r.m->io, VBE_DISPI_IOPORT_DATA, 2), 0);
    rig_free(&r);
}

TEST(rom_bar_holds_the_romfile)
{
    char *path = make_rom(39424);   /* the size of Debian's vgabios-stdvga.bin */
    CHECK(path != NULL);
    char props[128];
    snprintf(props, sizeof(props), "addr=02.0,romfile=%s", path);
    Rig r;
    Error *err = NULL;
    CHECK(rig_new(&r, props, &err) != NULL);
    cfg_w(&r, PCI_ROM_ADDRESS, 0xffffffff, 4);
    CHECK_EQ(cfg_r(&r, PCI_ROM_ADDRESS, 4), 0xffff0001);   /* 64 KiB: the power of two above */
    cfg_w(&r, PCI_ROM_ADDRESS, ROM, 4);
    cfg_w(&r, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    CHECK_EQ(address_space_lduw_le(r.m->as, ROM), 0xffff);  /* enable bit clear */
    cfg_w(&r, PCI_ROM_ADDRESS, ROM | PCI_ROM_ADDRESS_ENABLE, 4);
    CHECK_EQ(address_space_lduw_le(r.m->as, ROM), 0xaa55);
    CHECK_EQ(address_space_ldub(r.m->as, ROM + 2), 39424 / 512);
    CHECK_EQ(address_space_ldub(r.m->as, ROM + 1000), 1000 * 7 & 0xff);
    CHECK_EQ(address_space_ldub(r.m->as, ROM + 39424), 0xff);  /* padding */
    /* read-only */
    address_space_stb(r.m->as, ROM + 3, 0);
    CHECK_EQ(address_space_ldub(r.m->as, ROM + 3), 3 * 7);
    rig_free(&r);
    unlink(path);

    /* a romfile given by path that is not there is an error naming it (a
     * bare name not found in the firmware directories only warns: the guest
     * runs without VGA BIOS output) */
    CHECK(rig_new(&r, "addr=02.0,romfile=/nonexistent/vgabios.bin", &err) == NULL);
    CHECK(err != NULL && strstr(err->msg, "/nonexistent/vgabios.bin") != NULL);
    error_free(err);
    err = NULL;
    rig_free(&r);
    CHECK(rig_new(&r, "addr=02.0,romfile=pemu-no-such-vgabios.bin", &err) != NULL);
    cfg_w(&r, PCI_ROM_ADDRESS, 0xffffffff, 4);
    CHECK_EQ(cfg_r(&r, PCI_ROM_ADDRESS, 4), 0);
    rig_free(&r);
}

TEST(addr_property)
{
    Error *err = NULL;
    CHECK_EQ(pci_parse_devfn("02.0", "VGA", &err), PCI_DEVFN(2, 0));
    CHECK_EQ(pci_parse_devfn("1f.7", "VGA", &err), PCI_DEVFN(0x1f, 7));
    CHECK_EQ(pci_parse_devfn("0x3", "VGA", &err), PCI_DEVFN(3, 0));
    CHECK_EQ(pci_parse_devfn("", "VGA", &err), PCI_DEVFN_AUTO);
    CHECK_EQ(pci_parse_devfn(NULL, "VGA", &err), PCI_DEVFN_AUTO);
    CHECK(err == NULL);
    const char *bad[] = { "20", "2.8", "-1", "2.", "x", "2.0z", " 2" };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK_EQ(pci_parse_devfn(bad[i], "VGA", &err), -2);
        CHECK(err != NULL);
        error_free(err);
        err = NULL;
    }
    /* a taken slot is refused with the occupant's name */
    Rig r;
    CHECK(rig_new(&r, "addr=05.0,romfile=", &err) != NULL);
    CHECK(cfg_r(&r, 0, 4) == 0xffffffffu);           /* not at 02.0 */
    CHECK_EQ(pci_bus_config_read(r.bus, PCI_DEVFN(5, 0), 0, 4), 0x11111234);
    CHECK(device_create(r.m, "VGA", "addr=05.0,romfile=", &err) == NULL);
    CHECK(err != NULL && strstr(err->msg, "already used") != NULL);
    error_free(err);
    rig_free(&r);
}
