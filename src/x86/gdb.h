/*
 * The x86 registers for the GDB stub (src/gdbstub.h): i386 and x86-64
 * target descriptions and register access; see gdb.c for the layout
 * choice and the linear-pc view.
 */
#ifndef PEMU_X86_GDB_H
#define PEMU_X86_GDB_H

#include "src/gdbstub.h"

extern const GdbTargetOps x86_gdb_ops;

#endif
