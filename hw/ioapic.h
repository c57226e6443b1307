/*
 * The 82093AA I/O APIC: 24 interrupt pins turned into APIC bus messages
 * through a redirection table. MMIO at 0xfec00000.
 *
 *   0x00 IOREGSEL (index)   0x10 IOWIN (data)   0x40 EOI (version 0x20)
 *   index 0x00 ID (27:24)   0x01 version: max entry 23 (23:16), version
 *   0x02 arbitration ID     0x10 + 2n / 0x11 + 2n redirection entry n
 * Redirection entry (64 bits): vector 7:0, delivery mode 10:8, destination
 * mode 11 (1 logical), delivery status 12 (RO), polarity 13, remote IRR 14
 * (RO), trigger 15 (1 level), mask 16, destination 63:56.
 *
 * Board wiring: ISA IRQ n goes to pin n, except IRQ 0 (the PIT) to pin 2
 * (the MP table's and MADT's override); m->gsi[n] = ioapic_pin(dev, n).
 *
 * Reference: Intel 82093AA I/O APIC datasheet (290566); version 0x20 is
 * the ICH's (EOI register), the default as on QEMU's pc machine.
 */
#ifndef PEMU_HW_IOAPIC_H
#define PEMU_HW_IOAPIC_H

#include <stdint.h>
#include <stdio.h>
#include "hw/apic.h"
#include "src/device.h"
#include "src/irq.h"

#define IOAPIC_DEFAULT_BASE 0xfec00000u
#define IOAPIC_NUM_PINS 24

extern const DeviceClass ioapic_class;

/*
 * Create the IO APIC (APIC ID `id`, version 0x11 or 0x20) at base, sending
 * to bus (it also listens there for EOIs). Realized and reset, not in
 * m->devices (device_add_existing). NULL with *errp on a bad version.
 */
Device *ioapic_init(Machine *m, APICBus *bus, uint64_t base, uint8_t id, uint8_t version,
                    Error **errp);
IRQLine *ioapic_pin(Device *ioapic, int n);
/* Register access as the MMIO window sees it (tests). */
uint32_t ioapic_mmio_read(Device *ioapic, uint32_t off);
void ioapic_mmio_write(Device *ioapic, uint32_t off, uint32_t val);
/* `info ioapic` */
void ioapic_print(Device *ioapic, FILE *f);
/* info irq: how often each pin rose. */
void ioapic_print_irq_stats(Device *ioapic, FILE *f);

#endif
