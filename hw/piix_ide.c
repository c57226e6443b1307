/*
 * PIIX3 IDE function: legacy channels and bus-master DMA. See hw/piix_ide.h.
 */
#include "hw/piix_ide.h"

#include <stdlib.h>
#include <string.h>
#include "hw/piix3.h"
#include "ports/host.h"
#include "src/log.h"
#include "src/machine.h"
#include "src/vmstate.h"

typedef struct BMChannel {
    PIIXIDEState *s;
    int ch;
    uint8_t cmd, status;
    uint32_t prdt;          /* PRD table base */
    /* The table walk: next descriptor, current region, EOT seen. */
    uint32_t cur_prd, cur_addr, cur_left;
    bool eot;
} BMChannel;

struct PIIXIDEState {
    Device dev;
    PCIDevice pci;
    PCIBus *bus;
    Machine *m;
    IDEBus ch[2];
    BMChannel bm[2];
    IRQLine *intrq[2];      /* the channels' INTRQ, into irq_forward */
    MemoryRegion *bmregs;
    bool mapped;
};

static const uint16_t legacy_cmd[2] = { 0x1f0, 0x170 };
static const uint16_t legacy_ctl[2] = { 0x3f6, 0x376 };
static const int legacy_irq[2] = { 14, 15 };

/* ---- interrupts and decode ----------------------------------------------------------- */

/* INTRQ of a channel: the bus-master interrupt bit latches its rising edge. */
static void irq_forward(void *opaque, int ch, int level)
{
    PIIXIDEState *s = opaque;
    if (level)
        s->bm[ch].status |= BM_ST_INT;
    if (s->m)
        irq_set(s->m->isa_irq[legacy_irq[ch]], level);
}

static void update_decode(PIIXIDEState *s)
{
    bool io = pci_get_word(s->pci.config + PCI_COMMAND) & PCI_COMMAND_IO;
    for (int ch = 0; ch < 2; ch++) {
        uint16_t idetim = pci_get_word(s->pci.config + PIIX_IDE_IDETIM + 2 * ch);
        ide_bus_set_decode(&s->ch[ch], io && (idetim & PIIX_IDETIM_IDE));
    }
}

static void piix_ide_config_write(PCIDevice *d, uint32_t addr, uint32_t val, unsigned len)
{
    PIIXIDEState *s = d->opaque;
    pci_default_config_write(d, addr, val, len);
    if ((addr <= PCI_COMMAND && addr + len > PCI_COMMAND) ||
        (addr < PIIX_IDE_IDETIM + 4 && addr + len > PIIX_IDE_IDETIM))
        update_decode(s);
}

/* ---- the DMA engine ----------------------------------------------------------------- */

static bool bm_active(void *opaque)
{
    BMChannel *b = opaque;
    return b->status & BM_ST_ACTIVE;
}

static void bm_stop(BMChannel *b, bool error)
{
    b->status &= (uint8_t)~BM_ST_ACTIVE;
    if (error)
        b->status |= BM_ST_ERROR;
}

static int64_t bm_rw(void *opaque, uint8_t *buf, uint32_t len, bool to_guest)
{
    BMChannel *b = opaque;
    PCIDevice *pci = &b->s->pci;
    uint32_t done = 0;
    if (log_enabled(LOG_GUEST_ERRORS) && !(b->cmd & BM_CMD_WRITE) == to_guest)
        log_printf("piix-ide: channel %d: bus-master direction bit disagrees with the "
                   "device's transfer\n", b->ch);
    while (done < len) {
        if (!(b->status & BM_ST_ACTIVE))
            break;
        if (!b->cur_left) {
            if (b->eot) {
                bm_stop(b, false); /* table exhausted before the transfer */
                break;
            }
            uint8_t prd[8];
            if (pci_dma_read(pci, b->cur_prd, prd, sizeof(prd)) < 0) {
                bm_stop(b, true);
                return -1;
            }
            b->cur_addr = ld32_le(prd) & ~1u;
            uint32_t n = ld16_le(prd + 4) & 0xfffe;
            b->cur_left = n ? n : 0x10000;
            b->eot = prd[7] & 0x80;
            b->cur_prd += 8;
        }
        uint32_t n = len - done < b->cur_left ? len - done : b->cur_left;
        int r = to_guest ? pci_dma_write(pci, b->cur_addr, buf + done, n)
                         : pci_dma_read(pci, b->cur_addr, buf + done, n);
        if (r < 0) {
            bm_stop(b, true);
            return -1;
        }
        b->cur_addr += n;
        b->cur_left -= n;
        done += n;
        /* Active clears with the last byte of the region marked EOT. */
        if (!b->cur_left && b->eot)
            bm_stop(b, false);
    }
    return done;
}

static void bm_done(void *opaque)
{
    /* Nothing to do: Active is already clear if the table was used up,
     * and stays set (with the interrupt bit) when it was larger than the
     * transfer, which SFF-8038i allows. */
    (void)opaque;
}

static const IDEDMAOps bm_ops = {
    .active = bm_active,
    .rw = bm_rw,
    .done = bm_done,
};

static void bm_write_cmd(BMChannel *b, uint8_t v)
{
    uint8_t old = b->cmd;
    /* The direction must not change while the engine runs. */
    b->cmd = (uint8_t)((v & BM_CMD_START) |
                       ((old & BM_CMD_START) ? old & BM_CMD_WRITE : v & BM_CMD_WRITE));
    if ((v & BM_CMD_START) && !(old & BM_CMD_START)) {
        /* Start: the walk begins again at the table's first entry. */
        b->status |= BM_ST_ACTIVE;
        b->cur_prd = b->prdt;
        b->cur_left = 0;
        b->eot = false;
        ide_bus_dma_start(&b->s->ch[b->ch]);
    } else if (!(v & BM_CMD_START) && (old & BM_CMD_START)) {
        /* Stop: all state is lost; a device still waiting keeps waiting. */
        b->status &= (uint8_t)~BM_ST_ACTIVE;
    }
}

static uint64_t bm_read(void *opaque, hwaddr off, unsigned size)
{
    (void)size;
    PIIXIDEState *s = opaque;
    BMChannel *b = &s->bm[(off >> 3) & 1];
    switch (off & 7) {
    case BM_CMD: return b->cmd;
    case BM_STATUS: return b->status;
    case BM_PRDT: case BM_PRDT + 1: case BM_PRDT + 2: case BM_PRDT + 3:
        return (b->prdt >> (8 * (off & 3))) & 0xff;
    default: return 0;
    }
}

static void bm_write(void *opaque, hwaddr off, uint64_t val, unsigned size)
{
    (void)size;
    PIIXIDEState *s = opaque;
    BMChannel *b = &s->bm[(off >> 3) & 1];
    uint8_t v = (uint8_t)val;
    switch (off & 7) {
    case BM_CMD:
        bm_write_cmd(b, v);
        break;
    case BM_STATUS:
        b->status = (uint8_t)((b->status & ~(v & (BM_ST_ERROR | BM_ST_INT)) &
                               ~(BM_ST_DMA0 | BM_ST_DMA1)) |
                              (v & (BM_ST_DMA0 | BM_ST_DMA1)));
        break;
    case BM_PRDT: case BM_PRDT + 1: case BM_PRDT + 2: case BM_PRDT + 3: {
        unsigned sh = 8 * (off & 3);
        b->prdt = (b->prdt & ~(0xffu << sh)) | (uint32_t)v << sh;
        b->prdt &= ~3u;
        break;
    }
    }
}

static const MemOps bm_mem_ops = {
    .read = bm_read,
    .write = bm_write,
    .valid = { 1, 4 },
    .impl = { 1, 1 },
};

/* ---- device -------------------------------------------------------------------------- */

static const PCIFunctionInfo piix_ide_info = {
    .name = "PIIX3 IDE",
    .vendor_id = PIIX3_VENDOR_ID,
    .device_id = PIIX3_IDE_DEVICE_ID,
    .class_code = 0x010180,
    .status = PCI_STATUS_DEVSEL_MEDIUM | PCI_STATUS_FAST_BACK,
    .config_write = piix_ide_config_write,
};

static void piix_ide_unrealize(Device *dev)
{
    PIIXIDEState *s = (PIIXIDEState *)dev;
    if (!s->m)
        return;
    for (int ch = 0; ch < 2; ch++) {
        ide_bus_destroy(&s->ch[ch]);
        irq_free(s->intrq[ch]);
        s->intrq[ch] = NULL;
    }
    pci_unregister_function(&s->pci);
    memory_region_free(s->bmregs);
    s->bmregs = NULL;
    s->m = NULL;
}

static int piix_ide_realize(Device *dev, Machine *m, Error **errp)
{
    PIIXIDEState *s = (PIIXIDEState *)dev;
    if (!s->bus)
        s->bus = pci_bus_find(m);
    if (!s->bus) {
        error_setg(errp, "PIIX3 IDE: the machine has no PCI bus (use a machine with an i440FX)");
        return -1;
    }
    if (pci_register_function(s->bus, &s->pci, PIIX3_IDE_DEVFN, &piix_ide_info, s, errp) < 0)
        return -1;
    s->m = m;
    for (int r = PIIX_IDE_IDETIM; r <= PIIX_IDE_SIDETIM; r++)
        s->pci.wmask[r] = 0xff;
    s->bmregs = memory_region_new_mmio("piix-bmdma", 16, &bm_mem_ops, s, s);
    pci_register_bar(&s->pci, 4, PCI_BAR_IO, s->bmregs);
    for (int ch = 0; ch < 2; ch++) {
        s->intrq[ch] = irq_new(irq_forward, s, ch);
        ide_bus_init(&s->ch[ch], ch ? "ide1" : "ide0", s->intrq[ch]);
        s->bm[ch] = (BMChannel){ .s = s, .ch = ch };
        ide_bus_set_dma(&s->ch[ch], &bm_ops, &s->bm[ch]);
        ide_bus_map(&s->ch[ch], m->io, legacy_cmd[ch], legacy_ctl[ch]);
    }
    update_decode(s);
    return 0;
}

static void piix_ide_reset(Device *dev)
{
    PIIXIDEState *s = (PIIXIDEState *)dev;
    pci_device_reset(&s->pci);
    for (int r = PIIX_IDE_IDETIM; r <= PIIX_IDE_SIDETIM; r++)
        s->pci.config[r] = 0;
    for (int ch = 0; ch < 2; ch++) {
        BMChannel *b = &s->bm[ch];
        b->cmd = b->status = 0;
        b->prdt = b->cur_prd = b->cur_addr = b->cur_left = 0;
        b->eot = false;
        ide_bus_reset(&s->ch[ch]); /* the DMA capable bits are the BIOS's to set */
    }
    update_decode(s);
}

static int piix_ide_post_load(void *opaque, int version_id)
{
    (void)version_id;
    PIIXIDEState *s = opaque;
    update_decode(s);
    for (int ch = 0; ch < 2; ch++)
        if (s->m)
            irq_set(s->m->isa_irq[legacy_irq[ch]], ide_bus_irq_level(&s->ch[ch]));
    return 0;
}

static const VMStateDescription vmstate_bm = {
    .name = "piix-bmdma",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT8(cmd, BMChannel),
        VMSTATE_UINT8(status, BMChannel),
        VMSTATE_UINT32(prdt, BMChannel),
        VMSTATE_UINT32(cur_prd, BMChannel),
        VMSTATE_UINT32(cur_addr, BMChannel),
        VMSTATE_UINT32(cur_left, BMChannel),
        VMSTATE_BOOL(eot, BMChannel),
        VMSTATE_END
    },
};

static const VMStateDescription vmstate_piix_ide = {
    .name = "piix3-ide",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_STRUCT(pci, PIIXIDEState, vmstate_pci_device),
        VMSTATE_STRUCT_ARRAY(bm, PIIXIDEState, 2, vmstate_bm),
        VMSTATE_STRUCT_ARRAY(ch, PIIXIDEState, 2, vmstate_ide_bus),
        VMSTATE_END
    },
    .post_load = piix_ide_post_load,
};

const DeviceClass piix3_ide_class = {
    .name = "piix3-ide",
    .desc = "Intel 82371SB PIIX3 IDE controller (legacy mode, bus-master DMA)",
    .category = "Storage devices",
    .bus = "PCI",
    .instance_size = sizeof(PIIXIDEState),
    .user_creatable = false,
    .realize = piix_ide_realize,
    .reset = piix_ide_reset,
    .unrealize = piix_ide_unrealize,
    .vmsd = &vmstate_piix_ide,
};

PIIXIDEState *piix_ide_init(Machine *m, PCIBus *bus, BlockBackend *const drives[4],
                            const bool is_cdrom[4], const BlockCacheMode cache[4],
                            Error **errp)
{
    PIIXIDEState *s = calloc(1, sizeof(*s));
    if (!s)
        fatal("out of memory creating the PIIX3 IDE controller");
    s->dev.cls = &piix3_ide_class;
    s->bus = bus;
    int i = 0;
    if (piix_ide_realize(&s->dev, m, errp) < 0)
        goto fail;
    for (; i < 4; i++) {
        bool cd = is_cdrom && is_cdrom[i];
        BlockBackend *blk = drives ? drives[i] : NULL;
        if (!cd && !blk)
            continue;
        if (ide_bus_attach(&s->ch[i / 2], i % 2, cd ? IDE_CD : IDE_HD, blk,
                           cache ? cache[i] : BLK_CACHE_WRITEBACK, errp) < 0) {
            blk_close(blk);
            i++;
            goto fail;
        }
    }
    piix_ide_reset(&s->dev);
    return s;
fail:
    /* Close what nobody took yet. */
    for (; drives && i < 4; i++)
        blk_close(drives[i]);
    piix_ide_unrealize(&s->dev);
    free(s);
    return NULL;
}

void piix_ide_free(PIIXIDEState *s)
{
    if (!s)
        return;
    piix_ide_unrealize(&s->dev);
    free(s);
}

Device *piix_ide_device(PIIXIDEState *s) { return &s->dev; }
PCIDevice *piix_ide_pci(PIIXIDEState *s) { return &s->pci; }
IDEBus *piix_ide_bus(PIIXIDEState *s, int channel) { return &s->ch[channel & 1]; }
IDEDrive *piix_ide_drive(PIIXIDEState *s, int i) { return ide_bus_drive(&s->ch[(i >> 1) & 1], i & 1); }
