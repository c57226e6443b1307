/*
 * "VGA": the Bochs/QEMU standard VGA as a PCI function (vendor 1234,
 * device 1111, class 0300 display/VGA), what `-vga std` gives at 00:02.0
 * on QEMU's pc machine and what SeaBIOS's vgabios-stdvga.bin and Linux's
 * bochs-drm expect. The VGA core (hw/vga.c) also keeps its legacy decode
 * (0xa0000 window, ports 0x3b0-0x3df, DISPI 0x1ce/0x1cf), which a PCI VGA
 * answers whatever its command register says.
 *
 *   BAR 0  prefetchable 32-bit memory: the VRAM, the VBE linear framebuffer
 *          (vgabios-stdvga reads its address from here for the VBE mode info)
 *   BAR 2  4 KiB memory: VGA ports 0x3c0-0x3df at 0x400, DISPI registers at
 *          0x500 + 2 * index, QEMU's extension registers at 0x600
 *   ROM    the VGA BIOS (romfile=, default vgabios-stdvga.bin). SeaBIOS
 *          finds display option ROMs through the ROM BAR of the first PCI
 *          VGA function, copies it to 0xc0000 and runs it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/pci.h"
#include "hw/vga.h"
#include "src/device.h"
#include "src/firmware.h"
#include "src/log.h"
#include "src/machine.h"
#include "src/options.h"
#include "src/vmstate.h"

#define VGA_ROM_MAX (1u << 20)

typedef struct PCIVGAState {
    Device dev;
    PCIDevice pci;
    uint32_t vgamem_mb;
    char *romfile;
    char *addr;
    VGAState vga;
    MemoryRegion *rom;
} PCIVGAState;

static const PCIFunctionInfo pci_vga_info = {
    .name = "VGA compatible controller",
    .vendor_id = 0x1234,
    .device_id = 0x1111,
    .revision = 2,
    .class_code = 0x030000,
    .subsystem_vendor_id = 0x1af4,      /* QEMU's subsystem ids */
    .subsystem_id = 0x1100,
};

/* The ROM BAR: the file padded to a power of two (at least 2 KiB), read-only. */
static int load_rom(PCIVGAState *s, Machine *m, Error **errp)
{
    if (!s->romfile || !*s->romfile)
        return 0;
    PemuConfig *cfg = m->config;
    Error *err = NULL;
    char *path = strchr(s->romfile, '/') ? strdup(s->romfile)
                 : firmware_find(s->romfile, cfg ? cfg->firmware_dirs : NULL,
                                 cfg ? cfg->nfirmware_dirs : 0, "seabios", &err);
    if (!path) {
        /* The guest still runs; only the firmware's VGA output is missing. */
        warn_report("VGA: %s", err->msg);
        error_free(err);
        return 0;
    }
    uint64_t len;
    uint8_t *data = firmware_load(path, VGA_ROM_MAX, &len, errp);
    if (!data) {
        free(path);
        return -1;
    }
    uint64_t size = 0x800;
    while (size < len)
        size <<= 1;
    s->rom = memory_region_new_rom("vga.rom", size, s, errp);
    if (!s->rom) {
        free(data);
        free(path);
        return -1;
    }
    uint8_t *p = memory_region_get_ram_ptr(s->rom);
    memset(p, 0xff, size);
    memcpy(p, data, len);
    free(data);
    free(path);
    pci_register_bar(&s->pci, PCI_ROM_SLOT, PCI_BAR_MEM32, s->rom);
    return 0;
}

static int pci_vga_realize(Device *dev, Machine *m, Error **errp)
{
    PCIVGAState *s = (PCIVGAState *)dev;
    PCIBus *bus = pci_bus_find(m);
    if (!bus) {
        error_setg(errp, "VGA: the machine has no PCI bus (use -device isa-vga)");
        return -1;
    }
    int devfn = pci_parse_devfn(s->addr, "VGA", errp);
    if (devfn == -2)
        return -1;
    s->vga.vram_mb = s->vgamem_mb;
    if (vga_init(&s->vga, s, errp))
        return -1;
    if (pci_register_function(bus, &s->pci, devfn, &pci_vga_info, s, errp) < 0) {
        vga_fini(&s->vga);
        return -1;
    }
    vga_map_legacy(&s->vga, m->sysmem, m->io);
    pci_register_bar(&s->pci, 0, PCI_BAR_MEM32 | PCI_BAR_PREFETCH, s->vga.vram);
    pci_register_bar(&s->pci, 2, PCI_BAR_MEM32, s->vga.mmio);
    if (load_rom(s, m, errp) < 0) {
        pci_unregister_function(&s->pci);
        vga_fini(&s->vga);
        return -1;
    }
    return 0;
}

static void pci_vga_unrealize(Device *dev)
{
    PCIVGAState *s = (PCIVGAState *)dev;
    /* The bus unmaps the BARs before the regions go. */
    pci_unregister_function(&s->pci);
    if (s->rom)
        memory_region_free(s->rom);
    s->rom = NULL;
    vga_fini(&s->vga);
}

static void pci_vga_reset(Device *dev)
{
    PCIVGAState *s = (PCIVGAState *)dev;
    pci_device_reset(&s->pci);
    vga_reset(&s->vga);
}

static const VMStateDescription vmstate_pci_vga = {
    .name = "VGA",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_STRUCT(pci, PCIVGAState, vmstate_pci_device),
        VMSTATE_STRUCT(vga, PCIVGAState, vmstate_vga),
        VMSTATE_END
    },
};

static const DeviceProp pci_vga_props[] = {
    DEVICE_PROP("vgamem_mb", PROP_U32, PCIVGAState, vgamem_mb, "16",
                "video memory in MiB (a power of two, 1..256): the size of BAR 0"),
    DEVICE_PROP("romfile", PROP_STR, PCIVGAState, romfile, "vgabios-stdvga.bin",
                "VGA BIOS for the ROM BAR, searched like firmware (empty: no ROM)"),
    DEVICE_PROP("addr", PROP_STR, PCIVGAState, addr, "",
                "PCI slot[.function] in hex, e.g. 02.0 (empty: the first free slot)"),
    DEVICE_PROP_END
};

const DeviceClass pci_vga_class = {
    .name = "VGA",
    .desc = "PCI standard VGA with Bochs VBE extensions (1234:1111)",
    .category = "Display devices",
    .bus = "PCI",
    .instance_size = sizeof(PCIVGAState),
    .props = pci_vga_props,
    .user_creatable = true,
    .realize = pci_vga_realize,
    .reset = pci_vga_reset,
    .unrealize = pci_vga_unrealize,
    .vmsd = &vmstate_pci_vga,
};
