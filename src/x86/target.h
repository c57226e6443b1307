/*
 * The x86 guest's CPUTargetOps (src/cpu.h): what the generic CPU loop and
 * TB cache call to key, translate, fault-in and interrupt x86 code.
 */
#ifndef PEMU_X86_TARGET_H
#define PEMU_X86_TARGET_H

#include <stdbool.h>
#include "src/cpu.h"

extern const CPUTargetOps x86_target_ops;

/*
 * Segment limit checks on data accesses in protected mode: off by default
 * (like QEMU's TCG: flat and real-mode code never needs them, and they
 * cost a helper call per access). The differential tester turns them on
 * to match the host CPU in 16-bit segments. Set before translating.
 */
extern bool x86_translate_seg_limits;

#endif
