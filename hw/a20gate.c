/* A20 gate: OR of the 8042 and port 0x92 sources. See hw/a20gate.h. */
#include "hw/a20gate.h"

#include <stdlib.h>
#include "src/error.h"

struct A20Gate {
    IRQLine *out;
    IRQLine **in;
    int level[A20_NUM_SRC];
    int out_level;          /* -1 before the first input */
};

static void a20_gate_set(void *opaque, int n, int level)
{
    A20Gate *g = opaque;
    g->level[n] = level != 0;
    int v = 0;
    for (int i = 0; i < A20_NUM_SRC; i++)
        v |= g->level[i];
    if (v != g->out_level) {
        g->out_level = v;
        irq_set(g->out, v);
    }
}

A20Gate *a20_gate_new(IRQLine *out)
{
    A20Gate *g = calloc(1, sizeof(*g));
    if (!g)
        fatal("out of memory (A20 gate)");
    g->out = out;
    g->out_level = -1;
    g->in = irq_new_array(a20_gate_set, g, A20_NUM_SRC);
    return g;
}

IRQLine *a20_gate_input(A20Gate *g, int src)
{
    return src >= 0 && src < A20_NUM_SRC ? g->in[src] : NULL;
}

int a20_gate_level(const A20Gate *g)
{
    return g->out_level > 0;
}

void a20_gate_free(A20Gate *g)
{
    if (!g)
        return;
    irq_free_array(g->in, A20_NUM_SRC);
    free(g);
}
