/*
 * The PIIX4 power management function (82371AB function 3, 8086:7113) as
 * QEMU's pc machine has it at 00:01.3: the ACPI fixed hardware that
 * SeaBIOS builds its FADT around.
 *
 * PCI config: 0x40 PMBA (PM I/O base, bits 15:6; bit 0 reads 1), 0x80
 * PMREGMISC (bit 0: PM I/O enabled), 0x58 DEVACTB (bit 25 APMC_EN reads 1:
 * there is no SMM, which tells SeaBIOS not to install an SMI handler, as
 * QEMU does with smm=off), 0x90 SMBBA and 0xd2 SMBHSTCFG stored only (no
 * SMBus). SeaBIOS puts PMBA at 0xb000 (0x600 when QEMU supplies the ACPI
 * tables) and the SCI is ISA IRQ 9.
 *
 * PM I/O (64 bytes at PMBA; ACPI 1.0 fixed registers):
 *   +0 PM1_STS  TMR_STS 0, GBL_STS 5, PWRBTN_STS 8, RTC_STS 10, WAK_STS 15 (W1C)
 *   +2 PM1_EN   TMR_EN 0, GBL_EN 5, PWRBTN_EN 8, RTC_EN 10
 *   +4 PM1_CNT  SCI_EN 0, SLP_TYP 12:10, SLP_EN 13 (write-only): SLP_TYP 0
 *               (the \_S5 value SeaBIOS's tables give) powers off
 *   +8 PM_TMR   24-bit counter at 3.579545 MHz (TMR_STS on bit 23 changes)
 * GPE0 block at 0xafe0 (4 bytes: status W1C, enable), APM at 0xb2 (APMC:
 * 0xf1 sets SCI_EN, 0xf0 clears it: the FADT's ACPI_ENABLE/DISABLE) and
 * 0xb3 (APMS scratch). SCI = (PM1_STS & PM1_EN) | (GPE0_STS & GPE0_EN).
 */
#ifndef PEMU_HW_ACPI_PIIX4_H
#define PEMU_HW_ACPI_PIIX4_H

#include <stdint.h>
#include "hw/pci.h"
#include "src/device.h"

#define PIIX4_PM_DEVFN PCI_DEVFN(1, 3)
#define PIIX4_PM_DEVICE_ID 0x7113
#define ACPI_PM_TIMER_HZ 3579545u
#define ACPI_GPE0_BASE 0xafe0u
#define ACPI_APM_CNT 0xb2u

#define ACPI_PM1_TMR_STS    (1u << 0)
#define ACPI_PM1_GBL_STS    (1u << 5)
#define ACPI_PM1_PWRBTN_STS (1u << 8)
#define ACPI_PM1_RTC_STS    (1u << 10)
#define ACPI_PM1_WAK_STS    (1u << 15)
#define ACPI_PM1_TMR_EN     (1u << 0)   /* PM1_EN bits mirror PM1_STS */
#define ACPI_PM1_PWRBTN_EN  (1u << 8)
#define ACPI_PM1_SCI_EN     (1u << 0)
#define ACPI_PM1_SLP_EN     (1u << 13)

extern const DeviceClass acpi_piix4_class;

/* Create the function at PIIX4_PM_DEVFN of the machine's PCI bus.
 * Realized and reset, not in m->devices (device_add_existing). */
Device *acpi_piix4_init(Machine *m, Error **errp);
/* The power button (monitor system_powerdown): PWRBTN_STS, SCI if enabled. */
void acpi_piix4_powerdown(Device *pm);
/* PM timer value at virtual time ns (24 bits). */
uint32_t acpi_pm_timer_ticks(int64_t ns);

#endif
