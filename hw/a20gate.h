/*
 * The A20 gate's two sources, ORed as the chipset does: the 8042's output
 * port bit 1 (hw/i8042.c) and port 0x92 bit 1 (hw/piix3.c, ALT_A20_GATE).
 * A20 is open when either source holds it open, so a guest that opened it
 * one way and "closes" it the other way keeps it open, as on real boards.
 *
 * Board wiring (each source gets its own input line):
 *
 *     A20Gate *g = a20_gate_new(cpu_a20_line);
 *     m->a20 = a20_gate_input(g, A20_SRC_PORT92);    // piix3 drives m->a20
 *     ... create the i8042 ...
 *     i8042_set_a20_line(kbd, a20_gate_input(g, A20_SRC_KBC));
 *
 * Without a gate both devices drive m->a20 directly and the last write
 * wins (enough for tests and boards with one source).
 */
#ifndef PEMU_HW_A20GATE_H
#define PEMU_HW_A20GATE_H

#include "src/irq.h"

enum { A20_SRC_PORT92, A20_SRC_KBC, A20_NUM_SRC };

typedef struct A20Gate A20Gate;

/* The output is set on every change of the OR (and on the first input). */
A20Gate *a20_gate_new(IRQLine *out);
IRQLine *a20_gate_input(A20Gate *g, int src);
/* The current OR of the inputs (1 = A20 open). */
int a20_gate_level(const A20Gate *g);
/* Frees the input lines too. NULL allowed. */
void a20_gate_free(A20Gate *g);

#endif
