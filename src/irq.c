/* IRQ lines (see irq.h). */
#include "src/irq.h"

#include <stdlib.h>
#include "src/error.h"

struct IRQLine {
    IRQHandler handler;
    void *opaque;
    int n;
    IRQLine **targets; /* irq_split: owned copy of the fan-out array */
};

static void *irq_alloc(size_t n)
{
    void *p = calloc(1, n ? n : 1);
    if (!p)
        fatal("out of memory (IRQ lines)");
    return p;
}

IRQLine *irq_new(IRQHandler handler, void *opaque, int n)
{
    IRQLine *l = irq_alloc(sizeof(*l));
    l->handler = handler;
    l->opaque = opaque;
    l->n = n;
    return l;
}

IRQLine **irq_new_array(IRQHandler handler, void *opaque, int count)
{
    IRQLine **v = irq_alloc((size_t)count * sizeof(*v));
    for (int i = 0; i < count; i++)
        v[i] = irq_new(handler, opaque, i);
    return v;
}

void irq_free(IRQLine *line)
{
    if (line) {
        free(line->targets);
        free(line);
    }
}

void irq_free_array(IRQLine **lines, int count)
{
    if (!lines)
        return;
    for (int i = 0; i < count; i++)
        irq_free(lines[i]);
    free(lines);
}

void irq_set(IRQLine *line, int level)
{
    if (line)
        line->handler(line->opaque, line->n, level);
}

static void split_handler(void *opaque, int n, int level)
{
    IRQLine *self = opaque;
    for (int i = 0; i < n; i++)
        irq_set(self->targets[i], level);
}

IRQLine *irq_split(IRQLine *const *lines, int count)
{
    IRQLine *l = irq_new(split_handler, NULL, count);
    l->opaque = l;
    l->targets = irq_alloc((size_t)count * sizeof(*l->targets));
    for (int i = 0; i < count; i++)
        l->targets[i] = lines[i];
    return l;
}

static void invert_handler(void *opaque, int n, int level)
{
    irq_set(opaque, !level);
}

IRQLine *irq_invert(IRQLine *target)
{
    return irq_new(invert_handler, target, 0);
}
