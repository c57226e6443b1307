/*
 * i440FX host bridge: RAM layout, BIOS mapping, PAM shadow RAM, SMRAM and
 * the PCI bus with configuration mechanism #1. See hw/i440fx.h.
 */
#include "hw/i440fx.h"

#include <stdlib.h>
#include <string.h>
#include "src/log.h"
#include "src/machine.h"
#include "src/vmstate.h"

#define GiB ((uint64_t)1 << 30)
#define ISA_BIOS_MAX 0x20000
#define SMRAM_BASE 0xa0000
#define SMRAM_SIZE 0x20000

/* One PAM segment: four ways to show it, exactly one enabled. */
typedef struct PAMSegment {
    struct I440FXState *s;
    hwaddr base;
    uint64_t size;
    MemoryRegion *mr[4]; /* indexed by the RE/WE nibble value */
} PAMSegment;

struct I440FXState {
    Device dev;
    PCIDevice pci;
    PCIHost host;
    /* set before realize */
    MemoryRegion *ram, *bios;
    /* built at realize */
    Machine *m;
    PCIBus *bus;
    uint64_t below_4g, above_4g;
    MemoryRegion *pci_mem, *ram_below, *ram_above, *isa_bios, *rom_hole, *smram;
    AddressSpace *pci_as;   /* the PCI view, for write-only PAM reads */
    bool bios_mapped;
    PAMSegment pam[I440FX_PAM_SEGMENTS];
};

void i440fx_ram_split(uint64_t ram_size, uint64_t *below_4g, uint64_t *above_4g)
{
    uint64_t lowmem = 0xe0000000; /* 3.5 GiB */
    if (ram_size >= lowmem)
        lowmem = 3 * GiB;
    *below_4g = ram_size < lowmem ? ram_size : lowmem;
    *above_4g = ram_size - *below_4g;
}

/* ---- PAM ----------------------------------------------------------------- */

/*
 * Write-only mode (WE without RE): reads come from the PCI side (the ROM),
 * writes land in DRAM. No alias can be two things at once, so this mode is
 * an MMIO window. Firmware copies with RE|WE; this mode is rare.
 */
static uint64_t pam_wo_read(void *opaque, hwaddr off, unsigned size)
{
    PAMSegment *seg = opaque;
    return address_space_ld_le(seg->s->pci_as, seg->base + off, size);
}

static void pam_wo_write(void *opaque, hwaddr off, uint64_t val, unsigned size)
{
    PAMSegment *seg = opaque;
    MemoryRegion *ram = seg->s->ram;
    hwaddr a = seg->base + off;
    if (a + size > memory_region_size(ram))
        return;
    uint8_t *p = memory_region_get_ram_ptr(ram) + a;
    for (unsigned i = 0; i < size; i++)
        p[i] = (uint8_t)(val >> (8 * i));
    memory_ram_write_notify(memory_region_ram_addr(ram) + a, size);
}

static const MemOps pam_wo_ops = {
    .read = pam_wo_read,
    .write = pam_wo_write,
    .valid = { 1, 8 },
    .impl = { 1, 8 },
};

static unsigned pam_mode(I440FXState *s, int i)
{
    uint8_t reg = s->pci.config[I440FX_PAM0 + (i + 1) / 2];
    if (i == 0)
        return (reg >> 4) & 3;
    return (i & 1 ? reg : reg >> 4) & 3;
}

static void update_memory(I440FXState *s)
{
    uint8_t *smram = &s->pci.config[I440FX_SMRAM];
    if (*smram & SMRAM_D_LCK) {
        *smram &= (uint8_t)~SMRAM_D_OPEN;
        s->pci.wmask[I440FX_SMRAM] = SMRAM_D_CLS;
    }
    memory_transaction_begin();
    for (int i = 0; i < I440FX_PAM_SEGMENTS; i++) {
        unsigned mode = pam_mode(s, i);
        for (unsigned k = 0; k < 4; k++)
            memory_region_set_enabled(s->pam[i].mr[k], k == mode);
    }
    /* Without D_OPEN the CPU sees the PCI side (VGA) at 0xa0000. SMM's
     * own view (D_CLS, G_SMRAME) comes with SMM support. */
    memory_region_set_enabled(s->smram, !(*smram & SMRAM_D_OPEN));
    memory_transaction_commit();
}

static void i440fx_config_write(PCIDevice *d, uint32_t addr, uint32_t val, unsigned len)
{
    I440FXState *s = d->opaque;
    pci_default_config_write(d, addr, val, len);
    if ((addr < I440FX_PAM0 + I440FX_PAM_COUNT && I440FX_PAM0 < addr + len) ||
        (addr <= I440FX_SMRAM && I440FX_SMRAM < addr + len))
        update_memory(s);
}

/* ---- device -------------------------------------------------------------- */

static const PCIFunctionInfo i440fx_info = {
    .name = "i440FX",
    .vendor_id = I440FX_VENDOR_ID,
    .device_id = I440FX_DEVICE_ID,
    .revision = 0x02,
    .class_code = 0x060000,
    .subsystem_vendor_id = 0x1af4, /* as QEMU's machines report */
    .subsystem_id = 0x1100,
    .status = PCI_STATUS_DEVSEL_MEDIUM | PCI_STATUS_FAST_BACK,
    .config_write = i440fx_config_write,
};

static void i440fx_set_masks(I440FXState *s)
{
    uint8_t *w = s->pci.wmask;
    /* 0x50-0x58: PMCCFG, DETURBO, DBC, DRT, DRAMC, DRAMT: plain storage here. */
    memset(w + 0x50, 0xff, 9);
    w[I440FX_PAM0] = 0x30;
    memset(w + I440FX_PAM0 + 1, 0x33, I440FX_PAM_COUNT - 1);
    memset(w + 0x60, 0xff, 9);   /* DRB0-7, FDHC */
    w[0x70] = 0xff;              /* MTT */
    w[0x71] = 0xff;              /* CLT */
    w[I440FX_SMRAM] = SMRAM_G_SMRAME | SMRAM_D_LCK | SMRAM_D_CLS | SMRAM_D_OPEN;
    w[0x90] = 0xff;              /* ERRCMD */
    s->pci.w1cmask[0x91] = 0xff; /* ERRSTS */
}

static void free_region(MemoryRegion **mr)
{
    memory_region_free(*mr);
    *mr = NULL;
}

static void i440fx_unrealize(Device *dev)
{
    I440FXState *s = (I440FXState *)dev;
    if (!s->m)
        return;
    pci_host_destroy(&s->host);
    pci_bus_free(s->bus);
    s->bus = NULL;
    address_space_free(s->pci_as);
    s->pci_as = NULL;
    memory_transaction_begin();
    for (int i = 0; i < I440FX_PAM_SEGMENTS; i++)
        for (int k = 0; k < 4; k++)
            free_region(&s->pam[i].mr[k]);
    free_region(&s->smram);
    free_region(&s->isa_bios);
    free_region(&s->rom_hole);
    if (s->bios_mapped)
        memory_region_del_subregion(s->pci_mem, s->bios);
    s->bios_mapped = false;
    free_region(&s->ram_below);
    free_region(&s->ram_above);
    free_region(&s->pci_mem);
    memory_transaction_commit();
    s->m = NULL;
}

static int i440fx_realize(Device *dev, Machine *m, Error **errp)
{
    I440FXState *s = (I440FXState *)dev;
    if (!s->ram || !s->bios) {
        error_setg(errp, "i440FX: the host bridge is part of the pc board and cannot be "
                   "created with -device");
        return -1;
    }
    uint64_t bios_size = memory_region_size(s->bios);
    if (bios_size < 0x10000 || bios_size > 16 * 1024 * 1024 || (bios_size & 0xffff)) {
        error_setg(errp, "i440FX: BIOS image of %llu bytes: it must be a multiple of 64 KiB "
                   "between 64 KiB and 16 MiB", (unsigned long long)bios_size);
        return -1;
    }
    s->m = m;
    i440fx_ram_split(memory_region_size(s->ram), &s->below_4g, &s->above_4g);
    memory_transaction_begin();

    if (s->below_4g) {
        s->ram_below = memory_region_new_alias("ram-below-4g", s->below_4g, s->ram, 0, s);
        memory_region_add_subregion(m->sysmem, 0, s->ram_below, 0);
    }
    if (s->above_4g) {
        s->ram_above = memory_region_new_alias("ram-above-4g", s->above_4g, s->ram,
                                               s->below_4g, s);
        memory_region_add_subregion(m->sysmem, 4 * GiB, s->ram_above, 0);
    }

    /* The PCI memory space lies under everything else in sysmem. */
    s->pci_mem = memory_region_new_container("pci", memory_region_size(m->sysmem), s);
    memory_region_add_subregion(m->sysmem, 0, s->pci_mem, -1);
    memory_region_add_subregion(s->pci_mem, 4 * GiB - bios_size, s->bios, 0);
    s->bios_mapped = true;
    uint64_t isa_size = bios_size < ISA_BIOS_MAX ? bios_size : ISA_BIOS_MAX;
    s->isa_bios = memory_region_new_alias("isa-bios", isa_size, s->bios, bios_size - isa_size, s);
    memory_region_add_subregion(s->pci_mem, 0x100000 - isa_size, s->isa_bios, 1);
    /* Nothing decodes 0xc0000 up to the BIOS on the PCI side: with PAM off
     * the CPU reads all ones there, not the RAM beneath. */
    static const MemOps unassigned_ops = { 0 };
    s->rom_hole = memory_region_new_mmio("pci-rom-hole", 0x100000 - isa_size - 0xc0000,
                                         &unassigned_ops, s, s);
    memory_region_add_subregion(s->pci_mem, 0xc0000, s->rom_hole, 0);

    s->smram = memory_region_new_alias("smram-region", SMRAM_SIZE, s->pci_mem, SMRAM_BASE, s);
    memory_region_add_subregion(m->sysmem, SMRAM_BASE, s->smram, 1);

    for (int i = 0; i < I440FX_PAM_SEGMENTS; i++) {
        PAMSegment *seg = &s->pam[i];
        seg->s = s;
        seg->base = i == 0 ? 0xf0000 : 0xc0000 + (hwaddr)(i - 1) * 0x4000;
        seg->size = i == 0 ? 0x10000 : 0x4000;
        seg->mr[0] = memory_region_new_alias("pam-pci", seg->size, s->pci_mem, seg->base, s);
        seg->mr[PAM_RE] = memory_region_new_alias("pam-ram-ro", seg->size, s->ram, seg->base, s);
        memory_region_set_readonly(seg->mr[PAM_RE], true);
        seg->mr[PAM_WE] = memory_region_new_mmio("pam-ram-wo", seg->size, &pam_wo_ops, seg, s);
        seg->mr[PAM_RE | PAM_WE] = memory_region_new_alias("pam-ram", seg->size, s->ram,
                                                           seg->base, s);
        for (int k = 0; k < 4; k++) {
            memory_region_set_enabled(seg->mr[k], k == 0);
            memory_region_add_subregion(m->sysmem, seg->base, seg->mr[k], 1);
        }
    }

    s->bus = pci_bus_new(m, s->pci_mem, NULL);
    pci_host_init(&s->host, s->bus, m->io);
    if (pci_register_function(s->bus, &s->pci, PCI_DEVFN(0, 0), &i440fx_info, s, errp) < 0) {
        memory_transaction_commit();
        i440fx_unrealize(dev);
        return -1;
    }
    i440fx_set_masks(s);
    s->pci.config[I440FX_SMRAM] = SMRAM_C_BASE_SEG;
    memory_transaction_commit();
    s->pci_as = address_space_new("pci-memory", s->pci_mem);
    update_memory(s);
    return 0;
}

static void i440fx_reset(Device *dev)
{
    I440FXState *s = (I440FXState *)dev;
    pci_device_reset(&s->pci);
    /* 82441FX PCICMD default: memory access and bus master enabled. */
    pci_set_word(s->pci.config + PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    memset(s->pci.config + 0x50, 0, 0x60);
    i440fx_set_masks(s);
    s->pci.config[I440FX_SMRAM] = SMRAM_C_BASE_SEG;
    s->host.config_addr = 0;
    update_memory(s);
}

static int i440fx_post_load(void *opaque, int version_id)
{
    (void)version_id;
    I440FXState *s = opaque;
    i440fx_set_masks(s);
    update_memory(s);
    return 0;
}

static const VMStateDescription vmstate_i440fx = {
    .name = "i440FX",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_STRUCT(pci, I440FXState, vmstate_pci_device),
        VMSTATE_UINT32(host.config_addr, I440FXState),
        VMSTATE_END
    },
    .post_load = i440fx_post_load,
};

const DeviceClass i440fx_class = {
    .name = "i440FX",
    .desc = "Intel 82441FX host bridge (PAM, SMRAM, PCI config mechanism #1)",
    .category = "Controller/Bridge/Hub devices",
    .bus = "PCI",
    .instance_size = sizeof(I440FXState),
    .user_creatable = false,
    .realize = i440fx_realize,
    .reset = i440fx_reset,
    .unrealize = i440fx_unrealize,
    .vmsd = &vmstate_i440fx,
};

I440FXState *i440fx_init(Machine *m, MemoryRegion *ram, MemoryRegion *bios, Error **errp)
{
    I440FXState *s = calloc(1, sizeof(*s));
    if (!s)
        fatal("out of memory creating the i440FX");
    s->dev.cls = &i440fx_class;
    s->ram = ram;
    s->bios = bios;
    if (i440fx_realize(&s->dev, m, errp) < 0) {
        free(s);
        return NULL;
    }
    return s;
}

void i440fx_free(I440FXState *s)
{
    if (!s)
        return;
    i440fx_unrealize(&s->dev);
    free(s);
}

Device *i440fx_device(I440FXState *s) { return &s->dev; }
PCIBus *i440fx_bus(I440FXState *s) { return s->bus; }
PCIDevice *i440fx_pci(I440FXState *s) { return &s->pci; }
uint64_t i440fx_below_4g(I440FXState *s) { return s->below_4g; }
uint64_t i440fx_above_4g(I440FXState *s) { return s->above_4g; }
