/*
 * The local APIC (xAPIC mode), one per CPU, and the APIC bus that carries
 * interrupt messages between local APICs and the IO APIC (hw/ioapic.c).
 *
 * Board wiring (hw/pc.c), for CPU n:
 *     APICBus *bus = apic_bus_new(m);            (owns the MMIO window)
 *     APICState *a = apic_init(m, bus, n, n == 0, intr_line, nmi_line, errp);
 *     m->cpu_intr = apic_lint(a, 0);             (the 8259's INTR: LINT0)
 *     m->cpu_nmi  = apic_lint(a, 1);             (NMI: LINT1)
 *     apic_set_extint(a, i8259_intack, pic);     (ExtINT asks the 8259)
 *     cpu->intack = apic_intack;                 (the vector the CPU takes)
 * intr_line carries the APIC's INTR output to its CPU (level: an
 * interrupt is deliverable); nmi_line is pulsed for an NMI.
 *
 * The APIC never sees the CPU: the CPU reaches it through the functions
 * below (IA32_APIC_BASE, IA32_TSC_DEADLINE, CR8), which the board puts in
 * the CPU's X86APICHooks.
 *
 * Reference: Intel SDM Vol. 3A chapter 10 (11 in newer editions),
 * "Advanced Programmable Interrupt Controller (APIC)".
 */
#ifndef PEMU_HW_APIC_H
#define PEMU_HW_APIC_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "src/device.h"
#include "src/irq.h"

#define APIC_DEFAULT_BASE 0xfee00000u
#define APIC_MAX 255

/* IA32_APIC_BASE (MSR 0x1b) */
#define MSR_APICBASE_BSP    (1u << 8)
#define MSR_APICBASE_ENABLE (1u << 11)
#define MSR_APICBASE_BASE   0xffffff000ull   /* 36-bit physical addresses */

/* Register offsets in the 4 KiB page (SDM table 10-1). */
enum {
    APIC_ID = 0x20, APIC_VERSION = 0x30, APIC_TPR = 0x80, APIC_APR = 0x90,
    APIC_PPR = 0xa0, APIC_EOI = 0xb0, APIC_RRD = 0xc0, APIC_LDR = 0xd0,
    APIC_DFR = 0xe0, APIC_SVR = 0xf0, APIC_ISR = 0x100, APIC_TMR = 0x180,
    APIC_IRR = 0x200, APIC_ESR = 0x280, APIC_LVT_CMCI = 0x2f0,
    APIC_ICR_LO = 0x300, APIC_ICR_HI = 0x310, APIC_LVT_TIMER = 0x320,
    APIC_LVT_THERMAL = 0x330, APIC_LVT_PERF = 0x340, APIC_LVT_LINT0 = 0x350,
    APIC_LVT_LINT1 = 0x360, APIC_LVT_ERROR = 0x370, APIC_TIMER_ICR = 0x380,
    APIC_TIMER_CCR = 0x390, APIC_TIMER_DCR = 0x3e0,
};

/* LVT indices (the order of the registers from 0x320) */
enum { APIC_LVT_T, APIC_LVT_TH, APIC_LVT_PMC, APIC_LVT_L0, APIC_LVT_L1, APIC_LVT_ERR,
       APIC_LVT_NB };

/* Delivery modes (ICR, LVT, IO APIC redirection entries) */
enum {
    APIC_DM_FIXED = 0, APIC_DM_LOWEST = 1, APIC_DM_SMI = 2, APIC_DM_NMI = 4,
    APIC_DM_INIT = 5, APIC_DM_SIPI = 6, APIC_DM_EXTINT = 7,
};

#define APIC_LVT_MASKED    (1u << 16)
#define APIC_LVT_LEVEL     (1u << 15)
#define APIC_LVT_REMOTE_IRR (1u << 14)
#define APIC_SVR_ENABLE    (1u << 8)

/* ESR bits (SDM 10.5.3) */
#define APIC_ESR_SEND_ILLEGAL   (1u << 5)
#define APIC_ESR_RECV_ILLEGAL   (1u << 6)
#define APIC_ESR_ILLEGAL_REG    (1u << 7)

/* Timer: the APIC bus clock (before the divider) runs at 1 GHz, as QEMU's. */
#define APIC_BUS_NS 1

typedef struct APICState APICState;
typedef struct APICBus APICBus;

extern const DeviceClass apic_class;

/* ---- the APIC bus ----------------------------------------------------------- */

/* One per machine: owns the xAPIC MMIO window (at APIC 0's relocatable
 * base; an access reaches the APIC of the CPU that makes it). */
APICBus *apic_bus_new(Machine *m);
void apic_bus_free(APICBus *bus);
/* fn: the APIC of the CPU now running (NULL: APIC 0). Without a hook the
 * window serves APIC 0. */
void apic_bus_set_current_hook(APICBus *bus, APICState *(*fn)(void *opaque), void *opaque);
/* The IO APIC's EOI listener: called with the vector of every EOI of a
 * level-triggered interrupt (the EOI broadcast). */
void apic_bus_set_eoi_listener(APICBus *bus, void (*fn)(void *opaque, uint8_t vector),
                               void *opaque);
/*
 * Deliver an interrupt message (from the IO APIC or an IPI). dest_mode:
 * 0 physical (dest 0xff = all), 1 logical (flat or cluster per the target's
 * DFR). level: trigger mode (1 = level). Returns the number of APICs that
 * accepted it.
 */
int apic_bus_deliver(APICBus *bus, uint8_t dest, int dest_mode, int delivery_mode,
                     uint8_t vector, int level);
/* The APIC with this index in the bus (0 = the BSP's), or NULL. */
APICState *apic_bus_get(APICBus *bus, int index);

/* ---- one local APIC ------------------------------------------------------- */

/*
 * Create the APIC with this APIC ID, on bus. bsp: the BSP flag in
 * IA32_APIC_BASE. intr: its CPU's INTR input; nmi: pulsed for an NMI.
 * Realized and reset, not in m->devices and vmstate not registered (the
 * board adds it with device_add_existing).
 */
APICState *apic_init(Machine *m, APICBus *bus, uint8_t id, bool bsp, IRQLine *intr,
                     IRQLine *nmi, Error **errp);
Device *apic_device(APICState *s);
/* Local interrupt input n (0 = LINT0, 1 = LINT1); owned by the APIC. */
IRQLine *apic_lint(APICState *s, int n);
/* Where ExtINT vectors come from (the 8259's INTA cycle). */
void apic_set_extint(APICState *s, int (*intack)(void *opaque), void *opaque);
/* INIT and STARTUP IPIs for this APIC's CPU (kind APIC_DM_INIT or APIC_DM_SIPI);
 * on INIT the APIC has already reset itself (all but ID and APIC base). */
void apic_set_startup_hook(APICState *s, void (*fn)(void *opaque, int kind, uint8_t vector),
                           void *opaque);

/* The CPU's interrupt acknowledge: the vector to take, -1 if none. */
int apic_intack(void *apic);
/* Level of the INTR output. */
bool apic_intr_pending(APICState *s);

/* CPU side (through X86APICHooks) */
uint64_t apic_get_base(void *apic);
/* false: a reserved bit is set, or x2APIC mode was asked for (#GP). */
bool apic_set_base(void *apic, uint64_t value);
uint64_t apic_get_tsc_deadline(void *apic);
/* tsc: the value written (read back by RDMSR); deadline_ns: the virtual
 * clock time it stands for (0 disarms). */
void apic_set_tsc_deadline(void *apic, uint64_t tsc, int64_t deadline_ns);
/* CR8 = TPR[7:4] */
uint8_t apic_get_cr8(void *apic);
void apic_set_cr8(void *apic, uint8_t cr8);

/* Register access as the MMIO window does it (offset in the page, 32-bit
 * registers; tests use these directly). */
uint32_t apic_reg_read(APICState *s, uint32_t off);
void apic_reg_write(APICState *s, uint32_t off, uint32_t val);

/* `info lapic` */
void apic_print(APICState *s, FILE *f);

#endif
