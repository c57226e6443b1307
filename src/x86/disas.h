/*
 * x86 disassembler: a decoded X86Insn as Intel-syntax text, spelled the way
 * GNU objdump -M intel prints it (tests/diff/disas_objdump.sh checks this).
 * Used by -d in_asm, the monitor's x/i and the gdb stub.
 */
#ifndef PEMU_X86_DISAS_H
#define PEMU_X86_DISAS_H

#include <stddef.h>
#include <stdint.h>
#include "src/x86/decode.h"

/*
 * Format insn, located at guest address pc (branch targets and RIP-relative
 * addresses are printed absolute), into buf (always NUL-terminated when n >
 * 0). Returns the length the full text needs, like snprintf.
 */
int x86_disas(char *buf, size_t n, const X86Insn *insn, uint64_t pc);

/*
 * Decode and format the instruction at bytes; for an invalid or truncated
 * one prints "(bad)". Returns the instruction length, or 1 when invalid.
 */
int x86_disas_bytes(char *buf, size_t n, const uint8_t *bytes, unsigned avail,
                    X86Mode mode, uint64_t pc);

#endif
