/*
 * pci-testdev: QEMU's PCI test device (vendor 1b36 Red Hat, device 0005,
 * class ff00), used by kvm-unit-tests to check low-level I/O paths.
 *
 * BAR0 is 4 KiB of memory, BAR1 256 bytes of I/O. The first half of each
 * BAR is a header window onto the selected test (QEMU's
 * docs/specs/pci-testdev.rst, all little-endian):
 *   0x00  test        write-only: select test n of this BAR (n < 3)
 *   0x01  width_type  access width the test wants (1: bytes)
 *   0x04  offset      where in this BAR the test's register is
 *   0x08  data        the value to write (tests that match data)
 *   0x0c  count       writes seen since the test was selected
 *   0x10  name        "mmio-no-eventfd", ... NUL-terminated
 * The tests of each BAR are no-eventfd (a write of `data` counts),
 * wildcard-eventfd and datamatch-eventfd; their registers sit in the
 * second half of the BAR at half + global test index (mmio tests 0-2,
 * portio tests 3-5). Under KVM the eventfd kinds signal an eventfd;
 * without it (QEMU's TCG, and here) their writes are absorbed and their
 * count stays 0, which kvm-unit-tests accepts ("0 or every write").
 * Before a test is selected, and after selecting one that does not
 * exist, the header reads 0.
 */
#include <string.h>

#include "hw/pci.h"
#include "src/device.h"
#include "src/machine.h"
#include "src/vmstate.h"

#define TD_MEMSIZE 2048u        /* header half of BAR0 */
#define TD_IOSIZE 128u          /* header half of BAR1 */
#define TD_NTEST 3              /* per BAR */
#define TD_HDR 48u              /* bytes of header a test shows */
#define TD_DATAMATCH 0xfa
#define TD_NOMATCH 0xce

static const char *const td_test[TD_NTEST] = { "no-eventfd", "wildcard-eventfd",
                                               "datamatch-eventfd" };
static const char *const td_type[2] = { "mmio", "portio" };

typedef struct PCITestdevState {
    Device dev;
    PCIDevice pci;
    PCIBus *bus;
    MemoryRegion *mmio, *portio;
    int32_t current;                    /* global test index, -1: none */
    uint32_t count[2 * TD_NTEST];
} PCITestdevState;

static uint32_t test_offset(int t)
{
    return (t < TD_NTEST ? TD_MEMSIZE : TD_IOSIZE) + (uint32_t)t;
}

static bool test_matches_data(int t)
{
    return t % TD_NTEST != 1;           /* all but the wildcard one */
}

static bool test_counts(int t)
{
    return t % TD_NTEST == 0;           /* no eventfd: the handler sees the write */
}

/* Byte i of test t's header. */
static uint8_t header_byte(const PCITestdevState *s, int t, uint32_t i)
{
    uint8_t h[TD_HDR];
    memset(h, 0, sizeof(h));
    h[1] = 1;
    pci_set_long(h + 4, test_offset(t));
    pci_set_long(h + 8, test_matches_data(t) ? TD_DATAMATCH : TD_NOMATCH);
    pci_set_long(h + 12, s->count[t]);
    char name[TD_HDR - 16];
    snprintf(name, sizeof(name), "%s-%s", td_type[t / TD_NTEST], td_test[t % TD_NTEST]);
    memcpy(h + 16, name, strlen(name) + 1);
    return i < TD_HDR ? h[i] : 0;
}

static uint64_t td_read(PCITestdevState *s, hwaddr off, unsigned size)
{
    if (s->current < 0)
        return 0;
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint64_t)header_byte(s, s->current, (uint32_t)off + i) << (8 * i);
    return v;
}

static void td_write(PCITestdevState *s, int type, hwaddr off, uint64_t val, unsigned size)
{
    if (off == 0) {
        /* select (and restart) test val of this BAR; no such test: none */
        if (val >= TD_NTEST) {
            s->current = -1;
            return;
        }
        s->current = type * TD_NTEST + (int)val;
        s->count[s->current] = 0;
        return;
    }
    if (s->current < 0)
        return;
    int t = s->current;
    if (off != test_offset(t) || !test_counts(t))
        return;
    if (test_matches_data(t) && (size != 1 || val != TD_DATAMATCH))
        return;
    s->count[t]++;
}

static uint64_t td_mmio_read(void *opaque, hwaddr off, unsigned size)
{
    return td_read(opaque, off, size);
}

static void td_mmio_write(void *opaque, hwaddr off, uint64_t val, unsigned size)
{
    td_write(opaque, 0, off, val, size);
}

static uint64_t td_pio_read(void *opaque, hwaddr off, unsigned size)
{
    return td_read(opaque, off, size);
}

static void td_pio_write(void *opaque, hwaddr off, uint64_t val, unsigned size)
{
    td_write(opaque, 1, off, val, size);
}

static const MemOps td_mmio_ops = {
    .read = td_mmio_read, .write = td_mmio_write, .valid = { 1, 4 }, .impl = { 1, 4 },
};
static const MemOps td_pio_ops = {
    .read = td_pio_read, .write = td_pio_write, .valid = { 1, 4 }, .impl = { 1, 4 },
};

static const PCIFunctionInfo td_info = {
    .name = "PCI test device",
    .vendor_id = 0x1b36,
    .device_id = 0x0005,
    .class_code = 0x00ff00,             /* PCI_CLASS_OTHERS */
    .subsystem_vendor_id = 0x1af4,
    .subsystem_id = 0x1100,
};

static int td_realize(Device *dev, Machine *m, Error **errp)
{
    PCITestdevState *s = (PCITestdevState *)dev;
    s->bus = pci_bus_find(m);
    if (!s->bus) {
        error_setg(errp, "pci-testdev: the machine has no PCI bus");
        return -1;
    }
    if (pci_register_function(s->bus, &s->pci, PCI_DEVFN_AUTO, &td_info, s, errp) < 0)
        return -1;
    s->mmio = memory_region_new_mmio("pci-testdev-mmio", 2 * TD_MEMSIZE, &td_mmio_ops, s, s);
    s->portio = memory_region_new_mmio("pci-testdev-portio", 2 * TD_IOSIZE, &td_pio_ops, s, s);
    pci_register_bar(&s->pci, 0, PCI_BAR_MEM32, s->mmio);
    pci_register_bar(&s->pci, 1, PCI_BAR_IO, s->portio);
    s->current = -1;
    return 0;
}

static void td_unrealize(Device *dev)
{
    PCITestdevState *s = (PCITestdevState *)dev;
    pci_unregister_function(&s->pci);
    memory_region_free(s->mmio);
    memory_region_free(s->portio);
}

static void td_reset(Device *dev)
{
    PCITestdevState *s = (PCITestdevState *)dev;
    pci_device_reset(&s->pci);
    s->current = -1;
    memset(s->count, 0, sizeof(s->count));
}

static const VMStateDescription td_vmsd = {
    .name = "pci-testdev",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_STRUCT(pci, PCITestdevState, vmstate_pci_device),
        VMSTATE_INT32(current, PCITestdevState),
        VMSTATE_UINT32_ARRAY(count, PCITestdevState, 2 * TD_NTEST),
        VMSTATE_END
    },
};

const DeviceClass pci_testdev_class = {
    .name = "pci-testdev",
    .desc = "PCI Test Device",
    .category = "Misc devices",
    .bus = "PCI",
    .instance_size = sizeof(PCITestdevState),
    .user_creatable = true,
    .realize = td_realize,
    .unrealize = td_unrealize,
    .reset = td_reset,
    .vmsd = &td_vmsd,
};
