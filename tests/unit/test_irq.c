/* src/irq: levels, pulses, fan-out, inversion, NULL lines. */
#include "unit.h"

#include <stdio.h>
#include "src/irq.h"

typedef struct Sink {
    char log[256];
    int level[8];
} Sink;

static void sink_handler(void *opaque, int n, int level)
{
    Sink *s = opaque;
    size_t len = strlen(s->log);
    snprintf(s->log + len, sizeof(s->log) - len, "%d=%d;", n, level);
    s->level[n] = level;
}

TEST(levels_pass_through_unfiltered)
{
    Sink s = { .log = "" };
    IRQLine *l = irq_new(sink_handler, &s, 3);
    irq_raise(l);
    irq_raise(l); /* repeats are passed on: edge detection is the receiver's */
    irq_lower(l);
    irq_set(l, 5);
    CHECK_STR(s.log, "3=1;3=1;3=0;3=5;");
    s.log[0] = 0;
    irq_pulse(l);
    CHECK_STR(s.log, "3=1;3=0;");
    CHECK_EQ(s.level[3], 0);
    irq_free(l);
}

TEST(null_line_is_a_noop)
{
    irq_set(NULL, 1);
    irq_raise(NULL);
    irq_pulse(NULL);
    irq_free(NULL);
    CHECK(1);
}

TEST(array_numbers_lines)
{
    Sink s = { .log = "" };
    IRQLine **in = irq_new_array(sink_handler, &s, 8);
    irq_raise(in[7]);
    irq_raise(in[0]);
    CHECK_STR(s.log, "7=1;0=1;");
    irq_free_array(in, 8);
}

TEST(split_fans_out_in_order)
{
    Sink pic = { .log = "" }, ioapic = { .log = "" };
    IRQLine *a = irq_new(sink_handler, &pic, 4);
    IRQLine *b = irq_new(sink_handler, &ioapic, 2);
    IRQLine *targets[3] = { a, NULL, b };
    IRQLine *isa4 = irq_split(targets, 3);
    targets[0] = NULL; /* the array was copied */
    irq_raise(isa4);
    CHECK_STR(pic.log, "4=1;");
    CHECK_STR(ioapic.log, "2=1;");
    irq_pulse(isa4);
    CHECK_STR(pic.log, "4=1;4=1;4=0;");
    CHECK_STR(ioapic.log, "2=1;2=1;2=0;");
    irq_free(isa4);
    irq_free(a);
    irq_free(b);
}

TEST(invert)
{
    Sink s = { .log = "" };
    IRQLine *l = irq_new(sink_handler, &s, 1);
    IRQLine *inv = irq_invert(l);
    irq_raise(inv);
    irq_lower(inv);
    irq_set(inv, 7);
    CHECK_STR(s.log, "1=0;1=1;1=0;");
    /* inverting twice is the identity; a split of inverted lines works too */
    IRQLine *twice = irq_invert(inv);
    s.log[0] = 0;
    irq_pulse(twice);
    CHECK_STR(s.log, "1=1;1=0;");
    IRQLine *both[2] = { inv, l };
    IRQLine *sp = irq_split(both, 2);
    s.log[0] = 0;
    irq_raise(sp);
    CHECK_STR(s.log, "1=0;1=1;");
    irq_free(sp);
    irq_free(twice);
    irq_free(inv);
    irq_free(l);
}
