/* hw/piix3: identity, PIRQ routing with shared lines, rerouting, port 0x92
 * (A20, fast reset), reset control at 0xcf9, vmstate. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include "fake_pc.h"
#include "hw/piix3.h"
#include "src/vmstate.h"

typedef struct Rig {
    FakePC *pc;
    PCIBus *bus;
    PCIHost host;
    PIIX3State *sb;
    PCIDevice *d; /* PIIX3 function */
} Rig;

static int rig_init(Rig *r, bool with_host)
{
    r->pc = fake_pc_new();
    r->bus = pci_bus_new(&r->pc->m, NULL, NULL);
    if (with_host)
        pci_host_init(&r->host, r->bus, r->pc->m.io);
    Error *err = NULL;
    r->sb = piix3_init(&r->pc->m, NULL, &err); /* finds the bus through the machine */
    if (!r->sb) {
        error_report_err(err);
        return -1;
    }
    piix3_device(r->sb)->cls->reset(piix3_device(r->sb));
    r->d = piix3_pci(r->sb);
    fake_pc_clear_lines(r->pc);
    return 0;
}

static const PCIFunctionInfo nic_info = {
    .name = "nic", .vendor_id = 0x8086, .device_id = 0x100e, .class_code = 0x020000,
    .interrupt_pin = 1,
};
static const PCIFunctionInfo pinb_info = {
    .name = "pinb", .vendor_id = 0x1234, .device_id = 0x0001, .class_code = 0x0c0300,
    .interrupt_pin = 2,
};

static void route(Rig *r, int pirq, uint8_t v)
{
    pci_bus_config_write(r->bus, PIIX3_DEVFN, PIIX3_PIRQRC + (uint32_t)pirq, v, 1);
}

TEST(identity_and_defaults)
{
    Rig r;
    CHECK_EQ(rig_init(&r, true), 0);
    IOPortSpace *io = r.pc->m.io;
    ioport_write(io, 0xcf8, 0x80000800, 4); /* 00:01.0 */
    CHECK_EQ(ioport_read(io, 0xcfc, 4), 0x70008086);
    ioport_write(io, 0xcf8, 0x80000808, 4);
    CHECK_EQ(ioport_read(io, 0xcfc, 4) >> 8, 0x060100);
    ioport_write(io, 0xcf8, 0x8000080c, 4);
    CHECK_EQ(ioport_read(io, 0xcfe, 1), 0x80); /* multi-function: IDE at 01.1 */
    ioport_write(io, 0xcf8, 0x80000860, 4);
    CHECK_EQ(ioport_read(io, 0xcfc, 4), 0x80808080);
    CHECK_EQ(pci_bus_config_read(r.bus, PIIX3_DEVFN, 0x4c, 1), 0x4d);
    CHECK_EQ(pci_bus_config_read(r.bus, PIIX3_DEVFN, 0x69, 1), 0x02);
    CHECK_EQ(pci_bus_config_read(r.bus, PIIX3_DEVFN, PCI_COMMAND, 2), 7);
    /* PIRQRC reserved bits 6:4 read 0 */
    route(&r, 0, 0xff);
    CHECK_EQ(pci_bus_config_read(r.bus, PIIX3_DEVFN, 0x60, 1), 0x8f);
    /* a second bridge cannot take 01.0 */
    Error *err = NULL;
    CHECK(piix3_init(&r.pc->m, r.bus, &err) == NULL);
    CHECK(err != NULL);
    error_free(err);
}

TEST(pirq_routing_shared_line)
{
    Rig r;
    CHECK_EQ(rig_init(&r, false), 0);
    FakeLine *isa = r.pc->isa;
    PCIDevice nic, usb;
    /* slot 2 INTA# and slot 1 INTB# both land on PIRQB# */
    CHECK_EQ(pci_register_function(r.bus, &nic, PCI_DEVFN(2, 0), &nic_info, NULL, NULL), 0x10);
    CHECK_EQ(pci_register_function(r.bus, &usb, PCI_DEVFN(1, 2), &pinb_info, NULL, NULL), 0x0a);
    /* not routed yet: nothing reaches the ISA side */
    pci_set_irq(&nic, 1);
    for (int i = 0; i < 16; i++)
        CHECK_EQ(isa[i].level, (uint64_t)-1);
    pci_set_irq(&nic, 0);
    route(&r, 1, 11);
    CHECK_EQ(piix3_pirq_route(r.sb, 1), 11);
    pci_set_irq(&nic, 1);
    CHECK_EQ(isa[11].level, 1);
    CHECK_EQ(isa[11].rises, 1);
    pci_set_irq(&usb, 1);
    CHECK_EQ(isa[11].level, 1);
    pci_set_irq(&nic, 0);
    CHECK_EQ(isa[11].level, 1);   /* usb still asserts */
    pci_set_irq(&usb, 0);
    CHECK_EQ(isa[11].level, 0);
    CHECK_EQ(isa[11].rises, 1);   /* one level-triggered assertion throughout */
    for (int i = 0; i < 16; i++)
        if (i != 11)
            CHECK_EQ(isa[i].level, (uint64_t)-1);
}

TEST(two_pirqs_on_one_irq_and_rerouting)
{
    Rig r;
    CHECK_EQ(rig_init(&r, false), 0);
    FakeLine *isa = r.pc->isa;
    PCIDevice a, b;
    /* slot 5 INTA# -> PIRQA#, slot 2 INTA# -> PIRQB# */
    CHECK_EQ(pci_register_function(r.bus, &a, PCI_DEVFN(5, 0), &nic_info, NULL, NULL), 0x28);
    CHECK_EQ(pci_register_function(r.bus, &b, PCI_DEVFN(2, 0), &nic_info, NULL, NULL), 0x10);
    /* SeaBIOS: A, B -> 10; C, D -> 11 */
    route(&r, 0, 10);
    route(&r, 1, 10);
    route(&r, 2, 11);
    route(&r, 3, 11);
    pci_set_irq(&a, 1);
    pci_set_irq(&b, 1);
    pci_set_irq(&a, 0);
    CHECK_EQ(isa[10].level, 1);
    /* moving PIRQB while asserted: 10 drops, 5 rises */
    route(&r, 1, 5);
    CHECK_EQ(isa[10].level, 0);
    CHECK_EQ(isa[5].level, 1);
    /* disabling the route releases the IRQ */
    route(&r, 1, 0x85);
    CHECK_EQ(isa[5].level, 0);
    CHECK_EQ(piix3_pirq_route(r.sb, 1), -1);
    /* IRQs 0-2, 8 and 13 cannot be routed */
    static const uint8_t bad[] = { 0, 1, 2, 8, 13 };
    for (unsigned i = 0; i < sizeof(bad); i++) {
        route(&r, 1, bad[i]);
        CHECK_EQ(piix3_pirq_route(r.sb, 1), (uint64_t)-1);
        CHECK_EQ(isa[bad[i]].level, (uint64_t)-1);
    }
    route(&r, 1, 14);
    CHECK_EQ(isa[14].level, 1);
    /* reset: routing off, the line released */
    piix3_device(r.sb)->cls->reset(piix3_device(r.sb));
    CHECK_EQ(isa[14].level, 0);
    CHECK_EQ(piix3_pirq_route(r.sb, 1), -1);
}

TEST(port92_a20_and_fast_reset)
{
    Rig r;
    CHECK_EQ(rig_init(&r, false), 0);
    IOPortSpace *io = r.pc->m.io;
    FakeLine *a20 = &r.pc->a20, *rst = &r.pc->reset;
    ioport_write(io, 0x92, 0x02, 1);
    CHECK_EQ(a20->level, 1);
    CHECK_EQ(rst->rises, 0);
    CHECK_EQ(ioport_read(io, 0x92, 1), 0x02);
    ioport_write(io, 0x92, 0x00, 1);
    CHECK_EQ(a20->level, 0);
    ioport_write(io, 0x92, 0x03, 1);
    CHECK_EQ(a20->level, 1);
    CHECK_EQ(rst->rises, 1);
    CHECK_EQ(rst->level, 0); /* a pulse */
    ioport_write(io, 0x92, 0x03, 1); /* bit 0 already set: no new reset */
    CHECK_EQ(rst->rises, 1);
    /* system reset clears FAST_INIT, so the next 1 resets again */
    piix3_device(r.sb)->cls->reset(piix3_device(r.sb));
    CHECK_EQ(ioport_read(io, 0x92, 1), 0x02);
    ioport_write(io, 0x92, 0x03, 1);
    CHECK_EQ(rst->rises, 2);
}

static void check_rcr(Rig *r)
{
    IOPortSpace *io = r->pc->m.io;
    FakeLine *rst = &r->pc->reset;
    ioport_write(io, 0xcf9, 0x02, 1); /* SRST alone: no reset */
    if (rst->rises != 0 || ioport_read(io, 0xcf9, 1) != 0x02) {
        unit_fail(__FILE__, __LINE__, "SRST write: rises %d value %x", rst->rises,
                  ioport_read(io, 0xcf9, 1));
        return;
    }
    ioport_write(io, 0xcf9, 0x06, 1); /* RCPU: hard reset */
    if (rst->rises != 1 || ioport_read(io, 0xcf9, 1) != 0x02) {
        unit_fail(__FILE__, __LINE__, "RCPU write: rises %d value %x", rst->rises,
                  ioport_read(io, 0xcf9, 1));
        return;
    }
    ioport_write(io, 0xcf9, 0x04, 1); /* soft reset also restarts here */
    if (rst->rises != 2 || ioport_read(io, 0xcf9, 1) != 0)
        unit_fail(__FILE__, __LINE__, "soft reset: rises %d", rst->rises);
}

TEST(reset_control_through_host_bridge_ports)
{
    Rig r;
    CHECK_EQ(rig_init(&r, true), 0);
    IOPortSpace *io = r.pc->m.io;
    ioport_write(io, 0xcf8, 0x80000860, 4);
    check_rcr(&r);
    CHECK(!unit_failed());
    /* CONFADD untouched by the byte accesses; dword accesses never reset */
    CHECK_EQ(ioport_read(io, 0xcf8, 4), 0x80000860);
    ioport_write(io, 0xcf8, 0x80000604, 4);
    CHECK_EQ(r.pc->reset.rises, 2);
    CHECK_EQ(ioport_read(io, 0xcfa, 1), 0xff); /* other bytes: nothing there */
}

TEST(reset_control_without_host_bridge)
{
    Rig r;
    CHECK_EQ(rig_init(&r, false), 0);
    check_rcr(&r);
}

TEST(vmstate_restores_routing)
{
    Rig r;
    CHECK_EQ(rig_init(&r, false), 0);
    PCIDevice a;
    CHECK_EQ(pci_register_function(r.bus, &a, PCI_DEVFN(3, 0), &nic_info, NULL, NULL),
             0x18); /* PIRQC# */
    vmstate_register("PIIX3", 0, piix3_device(r.sb)->cls->vmsd, r.sb);
    route(&r, 2, 9);
    pci_set_irq(&a, 1);
    ioport_write(r.pc->m.io, 0x92, 0x02, 1);
    CHECK_EQ(r.pc->isa[9].level, 1);
    VMStream *out = vmstate_mem_stream_new();
    CHECK_EQ(vmstate_save_all(out, NULL), 0);
    piix3_device(r.sb)->cls->reset(piix3_device(r.sb));
    ioport_write(r.pc->m.io, 0x92, 0x00, 1);
    CHECK_EQ(r.pc->isa[9].level, 0);
    size_t len;
    const uint8_t *data = vmstate_stream_data(out, &len);
    Error *err = NULL;
    CHECK_EQ(vmstate_load_all(vmstate_mem_stream_open(data, len), &err), 0);
    CHECK_EQ(piix3_pirq_route(r.sb, 2), 9);
    CHECK_EQ(r.pc->isa[9].level, 1);
    CHECK_EQ(ioport_read(r.pc->m.io, 0x92, 1), 0x02);
    vmstate_unregister(piix3_device(r.sb)->cls->vmsd, r.sb);
    /* teardown gives back the ports */
    piix3_free(r.sb);
    CHECK_EQ(ioport_read(r.pc->m.io, 0x92, 1), 0xff);
    CHECK(pci_bus_device(r.bus, PIIX3_DEVFN) == NULL);
}
