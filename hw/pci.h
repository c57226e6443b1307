/*
 * The PCI bus: functions with 256-byte type 0 configuration spaces, BARs
 * mapped into the machine's memory and I/O spaces as the command register
 * allows, INTx routed through a bus-level pin map, configuration
 * mechanism #1 (ports 0xcf8/0xcfc) and DMA as a bus master.
 *
 * A PCI device embeds a PCIDevice in its instance struct, registers it
 * with pci_register_function() at realize, then describes its BARs with
 * pci_register_bar() (a MemoryRegion the device owns: MMIO, RAM or ROM;
 * pci.c maps and unmaps it). Config space bytes follow per-byte write
 * masks (wmask: writable bits; w1cmask: write-1-to-clear bits); a device
 * widens wmask for its own registers after registration and can hook
 * config reads/writes. Its DeviceClass reset calls pci_device_reset().
 *
 * Reference: PCI Local Bus Specification 3.0, chapter 6 (configuration
 * space), 3.2.2.3.2 (configuration mechanism #1).
 */
#ifndef PEMU_HW_PCI_H
#define PEMU_HW_PCI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "src/error.h"
#include "src/ioport.h"
#include "src/memory.h"

typedef struct Machine Machine;
typedef struct VMStateDescription VMStateDescription;

#define PCI_CONFIG_SPACE_SIZE 256
#define PCI_NUM_BARS 6
#define PCI_ROM_SLOT 6          /* pci_register_bar index of the expansion ROM */
#define PCI_NUM_REGIONS 7
#define PCI_NUM_PINS 4          /* INTA#..INTD# */
#define PCI_DEVFN_MAX 256

#define PCI_DEVFN(slot, fn) ((((slot) & 0x1f) << 3) | ((fn) & 7))
#define PCI_SLOT(devfn) (((devfn) >> 3) & 0x1f)
#define PCI_FUNC(devfn) ((devfn) & 7)
#define PCI_DEVFN_AUTO (-1)     /* first free slot, function 0 */

/* Type 0 header (PCI 3.0 figure 6-1). */
#define PCI_VENDOR_ID         0x00
#define PCI_DEVICE_ID         0x02
#define PCI_COMMAND           0x04
#define PCI_STATUS            0x06
#define PCI_REVISION_ID       0x08
#define PCI_CLASS_PROG        0x09
#define PCI_CLASS_DEVICE      0x0a /* subclass, base class */
#define PCI_CACHE_LINE_SIZE   0x0c
#define PCI_LATENCY_TIMER     0x0d
#define PCI_HEADER_TYPE       0x0e
#define PCI_BIST              0x0f
#define PCI_BASE_ADDRESS_0    0x10
#define PCI_CARDBUS_CIS       0x28
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID      0x2e
#define PCI_ROM_ADDRESS       0x30
#define PCI_CAPABILITY_LIST   0x34
#define PCI_INTERRUPT_LINE    0x3c
#define PCI_INTERRUPT_PIN     0x3d
#define PCI_MIN_GNT           0x3e
#define PCI_MAX_LAT           0x3f
#define PCI_CONFIG_HEADER_SIZE 0x40

#define PCI_HEADER_TYPE_MULTI_FUNCTION 0x80

#define PCI_COMMAND_IO          0x0001
#define PCI_COMMAND_MEMORY      0x0002
#define PCI_COMMAND_MASTER      0x0004
#define PCI_COMMAND_SPECIAL     0x0008
#define PCI_COMMAND_INVALIDATE  0x0010
#define PCI_COMMAND_VGA_PALETTE 0x0020
#define PCI_COMMAND_PARITY      0x0040
#define PCI_COMMAND_WAIT        0x0080
#define PCI_COMMAND_SERR        0x0100
#define PCI_COMMAND_FAST_BACK   0x0200
#define PCI_COMMAND_INTX_DISABLE 0x0400

#define PCI_STATUS_INTERRUPT        0x0008 /* INTx asserted by the function (RO) */
#define PCI_STATUS_CAP_LIST         0x0010
#define PCI_STATUS_66MHZ            0x0020
#define PCI_STATUS_FAST_BACK        0x0080
#define PCI_STATUS_PARITY           0x0100 /* master data parity error (W1C) */
#define PCI_STATUS_DEVSEL_MEDIUM    0x0200
#define PCI_STATUS_SIG_TARGET_ABORT 0x0800 /* W1C */
#define PCI_STATUS_REC_TARGET_ABORT 0x1000 /* W1C */
#define PCI_STATUS_REC_MASTER_ABORT 0x2000 /* W1C */
#define PCI_STATUS_SIG_SYSTEM_ERROR 0x4000 /* W1C */
#define PCI_STATUS_DETECTED_PARITY  0x8000 /* W1C */
#define PCI_STATUS_W1C 0xf900

/* The low bits of a BAR: its type (read-only). */
#define PCI_BAR_IO       0x01
#define PCI_BAR_MEM32    0x00
#define PCI_BAR_MEM64    0x04
#define PCI_BAR_PREFETCH 0x08
#define PCI_ROM_ADDRESS_ENABLE 0x01

#define PCI_BAR_UNMAPPED UINT64_MAX

/* Capability IDs (PCI 3.0 appendix H). */
#define PCI_CAP_ID_PM   0x01
#define PCI_CAP_ID_MSI  0x05
#define PCI_CAP_ID_VNDR 0x09
#define PCI_CAP_ID_MSIX 0x11

typedef struct PCIBus PCIBus;
typedef struct PCIDevice PCIDevice;

/*
 * Config hooks. A read hook returns the value of `len` (1, 2, 4) bytes at
 * `addr`; a write hook replaces the default write. Both may call the
 * pci_default_config_* functions. Accesses never cross a dword.
 */
typedef uint32_t (*PCIConfigReadFn)(PCIDevice *d, uint32_t addr, unsigned len);
typedef void (*PCIConfigWriteFn)(PCIDevice *d, uint32_t addr, uint32_t val, unsigned len);

/* What a function looks like at power-on: the read-only identity fields. */
typedef struct PCIFunctionInfo {
    const char *name;          /* for `info pci` and messages */
    uint16_t vendor_id, device_id;
    uint8_t revision;
    uint32_t class_code;       /* base class << 16 | subclass << 8 | prog-if */
    uint8_t header_type;       /* 0, or PCI_HEADER_TYPE_MULTI_FUNCTION */
    uint16_t subsystem_vendor_id, subsystem_id;
    uint8_t interrupt_pin;     /* 0: none, 1..4: INTA#..INTD# */
    uint16_t status;           /* power-on status bits, e.g. PCI_STATUS_DEVSEL_MEDIUM */
    PCIConfigReadFn config_read;   /* NULL: pci_default_config_read */
    PCIConfigWriteFn config_write; /* NULL: pci_default_config_write */
} PCIFunctionInfo;

typedef struct PCIBar {
    MemoryRegion *mr;          /* NULL: not implemented (reads 0, not writable) */
    uint64_t size;
    uint8_t type;              /* PCI_BAR_* bits */
    uint64_t addr;             /* where mapped, or PCI_BAR_UNMAPPED */
} PCIBar;

struct PCIDevice {
    PCIBus *bus;
    int devfn;
    const char *name;
    void *opaque;              /* the device's state, for hooks */
    uint8_t config[PCI_CONFIG_SPACE_SIZE];
    uint8_t wmask[PCI_CONFIG_SPACE_SIZE];   /* bits a write may change */
    uint8_t w1cmask[PCI_CONFIG_SPACE_SIZE]; /* bits a write of 1 clears */
    uint8_t used[PCI_CONFIG_SPACE_SIZE];    /* bytes claimed by capabilities */
    PCIBar bars[PCI_NUM_REGIONS];
    PCIConfigReadFn config_read;
    PCIConfigWriteFn config_write;
    uint8_t irq_level;         /* INTx as the function drives it */
    bool irq_counted;          /* counted in the bus's PIRQ level (level && !INTX_DISABLE) */
};

/* ---- bus ----------------------------------------------------------------- */

/*
 * A bus whose memory BARs map into `mem` and I/O BARs into `io` (NULL:
 * m->sysmem and the root of m->io). The bus remembers the machine so
 * -device can find it (pci_bus_find), and uses m->as for DMA.
 */
PCIBus *pci_bus_new(Machine *m, MemoryRegion *mem, MemoryRegion *io);
/* Unregisters every function still on the bus. */
void pci_bus_free(PCIBus *bus);
/* The (first) bus created on m, or NULL. */
PCIBus *pci_bus_find(Machine *m);
Machine *pci_bus_machine(PCIBus *bus);
MemoryRegion *pci_bus_memory(PCIBus *bus);
MemoryRegion *pci_bus_io(PCIBus *bus);
PCIDevice *pci_bus_device(PCIBus *bus, int devfn);

/*
 * INTx routing. map_irq turns a function's pin (0 = INTA#) into one of
 * PCI_NUM_PINS bus lines (PIRQA#..D# on a PIIX); set_irq is called with
 * that line's level, the OR of every function mapped to it, whenever a
 * function's contribution changes. The default map is the PIIX one.
 */
typedef int (*PCIMapIrqFn)(PCIDevice *d, int pin);
typedef void (*PCISetIrqFn)(void *opaque, int line, int level);
void pci_bus_set_irq_handler(PCIBus *bus, PCIMapIrqFn map_irq, PCISetIrqFn set_irq,
                             void *opaque);
/* The PIIX wiring (what SeaBIOS and the ACPI tables assume): slot s, pin p -> (s + p - 1) & 3. */
int pci_map_irq_piix(PCIDevice *d, int pin);
/* Current level of bus line 0..3. */
int pci_bus_irq_level(PCIBus *bus, int line);
/* Recount every line from the functions' levels and report each to set_irq (after loadvm). */
void pci_bus_irq_refresh(PCIBus *bus);

/* Bus-level config access (mechanism #1, tests). Absent functions read all ones. */
uint32_t pci_bus_config_read(PCIBus *bus, int devfn, uint32_t addr, unsigned len);
void pci_bus_config_write(PCIBus *bus, int devfn, uint32_t addr, uint32_t val, unsigned len);

/* `info pci` */
void pci_print_info(FILE *f, PCIBus *bus);

/* ---- functions ----------------------------------------------------------- */

/*
 * Put function d at devfn (PCI_DEVFN_AUTO: the first slot with no function
 * 0, from slot 1 on). d is zeroed and filled from info; the default masks
 * make the command register (I/O, memory, master, parity, SERR, INTx
 * disable), cache line size, latency timer and interrupt line writable and
 * the status error bits write-1-to-clear. Returns the devfn, or -1 with
 * *errp set when the slot is taken or out of range.
 */
int pci_register_function(PCIBus *bus, PCIDevice *d, int devfn, const PCIFunctionInfo *info,
                          void *opaque, Error **errp);
/*
 * A device's addr= property in QEMU's spelling, "slot[.function]" in hex
 * ("02.0", "0x3", "1f.7"): the devfn, PCI_DEVFN_AUTO for NULL or "", or
 * -2 with *errp naming `who` and the value.
 */
int pci_parse_devfn(const char *addr, const char *who, Error **errp);
/* Unmap the BARs, drop INTx, leave the bus. */
void pci_unregister_function(PCIDevice *d);

/*
 * BAR n (0..5, or PCI_ROM_SLOT) decodes `mr`, whose size must be a power
 * of two (I/O at least 4 bytes, memory at least 16, ROM at least 2 KiB).
 * type: PCI_BAR_IO, or PCI_BAR_MEM32 / PCI_BAR_MEM64 optionally with
 * PCI_BAR_PREFETCH (ignored for the ROM). A 64-bit BAR also takes n+1.
 */
void pci_register_bar(PCIDevice *d, int n, uint8_t type, MemoryRegion *mr);
/* The address BAR n is decoded at, or PCI_BAR_UNMAPPED. */
uint64_t pci_bar_address(PCIDevice *d, int n);

/*
 * Power-on state of the standard header: command 0, status to its initial
 * bits, BARs, ROM BAR, interrupt line, cache line and latency 0; INTx
 * deasserted; mappings updated. Device registers are the device's job.
 */
void pci_device_reset(PCIDevice *d);

uint32_t pci_default_config_read(PCIDevice *d, uint32_t addr, unsigned len);
/* Apply wmask/w1cmask, then update BAR mappings and INTx when the command,
 * a BAR or the ROM BAR changed. */
void pci_default_config_write(PCIDevice *d, uint32_t addr, uint32_t val, unsigned len);
/* Re-derive every BAR mapping from config space (after a direct config edit, loadvm). */
void pci_update_mappings(PCIDevice *d);

/*
 * Add a capability of `size` bytes at `offset` (0: the first free dword
 * from 0x40) to the head of the list. Returns the offset, or -1 with
 * *errp set when it overlaps the header or another capability or does not fit.
 */
int pci_add_capability(PCIDevice *d, uint8_t cap_id, uint8_t offset, uint8_t size, Error **errp);
/* Offset of the first capability with this id, 0 if none. */
uint8_t pci_find_capability(PCIDevice *d, uint8_t cap_id);

/* INTx on the function's interrupt pin (level-triggered, shared). */
void pci_set_irq(PCIDevice *d, int level);

/*
 * Bus-master DMA through the machine's address space. Without
 * PCI_COMMAND_MASTER the access does not happen (reads give 0xff bytes,
 * writes are dropped) and -1 is returned, as on hardware.
 */
int pci_dma_read(PCIDevice *d, uint64_t addr, void *buf, uint64_t len);
int pci_dma_write(PCIDevice *d, uint64_t addr, const void *buf, uint64_t len);

/* Little-endian config helpers. */
static inline uint8_t pci_get_byte(const uint8_t *p) { return p[0]; }
static inline uint16_t pci_get_word(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t pci_get_long(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline void pci_set_byte(uint8_t *p, uint8_t v) { p[0] = v; }
static inline void pci_set_word(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void pci_set_long(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/*
 * Config state of a function, to nest in a device's description:
 *     VMSTATE_STRUCT(pci, MyDevState, vmstate_pci_device)
 * Its post_load re-maps the BARs and recounts INTx.
 */
extern const VMStateDescription vmstate_pci_device;

/* ---- configuration mechanism #1 ------------------------------------------ */

/*
 * CONFADD at 0xcf8 (dword accesses only: bit 31 enable, 23:16 bus, 15:11
 * device, 10:8 function, 7:2 register) and CONFDATA at 0xcfc-0xcff (any
 * width; the byte lane selects the register byte). Only bus 0 exists:
 * other buses, and CONFDATA with the enable bit clear, read all ones.
 * Byte and word accesses to 0xcf8-0xcfb are not the host bridge's: they
 * go to the ISA bus, where the PIIX3 decodes 0xcf9 (reset control); the
 * handler for them is set with pci_host_set_isa_ops.
 */
typedef struct PCIHost {
    PCIBus *bus;
    IOPortSpace *io;
    uint32_t config_addr;
    MemoryRegion *addr_port, *data_port;
    const MemOps *isa_ops;     /* receives 1-byte accesses at offsets 0..3 */
    void *isa_opaque;
} PCIHost;

void pci_host_init(PCIHost *h, PCIBus *bus, IOPortSpace *io);
void pci_host_destroy(PCIHost *h);
void pci_host_set_isa_ops(PCIHost *h, const MemOps *ops, void *opaque);
/* The host of a bus (set by pci_host_init), or NULL. */
PCIHost *pci_bus_host(PCIBus *bus);

#endif
