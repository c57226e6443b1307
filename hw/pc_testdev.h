/* pc-testdev's hook for the page-flush port (see hw/pc_testdev.c). */
#ifndef PEMU_HW_PC_TESTDEV_H
#define PEMU_HW_PC_TESTDEV_H

#include <stdint.h>

/*
 * Called with the page-aligned guest physical address a guest wrote to port
 * 0xe4. Under KVM, QEMU makes the host page fault once (mprotect) so that
 * the guest's next access goes through the MMU's slow path; the accelerator
 * that wants that effect installs this hook (the softmmu: drop the page's
 * TLB entries). NULL: nothing to do, the access is only recorded.
 */
extern void (*pc_testdev_flush_page_hook)(uint64_t page_addr);

#endif
