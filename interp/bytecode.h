/*
 * Bytecode format of the interpreter.
 *
 * A block's code is an array of BCWord (uintptr_t). An instruction is its
 * handler word followed by one word per operand, every operand resolved at
 * translation time:
 *   - handler word: the label address (computed-goto skin) or the BCOpcode
 *     (switch skin), chosen when the block is lowered;
 *   - r operand: a byte offset from env (the CPUState pointer). Guest
 *     globals and interpreter temps (CPUState.frame) are both plain env
 *     offsets, so a handler never branches on operand kind;
 *   - i operand: an immediate (i64 immediates are sign-extended from a word;
 *     constants that do not fit a word are loaded with movi_i64w first);
 *   - L/N operands: absolute bytecode addresses (patched at emit time).
 * The length of each instruction is fixed by its format (bytecode.def), so
 * `pc += BCLEN_name` is a constant in each handler.
 *
 * Side table (after the code, per block): one record per guest instruction,
 * deltas from the previous record: uleb128(code offset in words),
 * sleb128(pc), sleb128(data). restore_state walks it to the last record at
 * or before the faulting position.
 */
#ifndef PEMU_BYTECODE_H
#define PEMU_BYTECODE_H

#include <stdint.h>
#include "ir/ir.h"

typedef uintptr_t BCWord;

typedef enum BCOpcode {
#define BC(name, fmt, ...) BC_##name,
#include "interp/bytecode.def"
#undef BC
    BC_NB_OPS
} BCOpcode;

/* Instruction length in words: the handler word + one per format letter. */
enum {
#define BC(name, fmt, ...) BCLEN_##name = sizeof(#fmt) - 1,
#include "interp/bytecode.def"
#undef BC
};

#define BC_ANY 0xff          /* pattern type: any */
#define BCK(v) (0x100 | (v)) /* pattern arg: a constant that must equal v */
#define BC_NOPAT { 0, 0, { 0 } }
#define BC_PAT_MAX 4         /* ops per pattern */
#define BC_VAR_MAX 10        /* operands per instruction */

typedef struct BCPatOp {
    uint16_t opc;   /* IROpcode; 0 (nop) ends the pattern */
    uint8_t type;   /* IRType or BC_ANY */
    int16_t args[IR_MAX_ARGS];
} BCPatOp;

typedef struct BCInfo {
    const char *name;
    const char *fmt; /* "X" + operand kinds */
    BCPatOp pat[BC_PAT_MAX];
} BCInfo;

extern const BCInfo bc_info[BC_NB_OPS];

#endif
