/*
 * IRQ lines: a line is (handler, opaque, n) and irq_set(line, level) calls
 * handler(opaque, n, level) at once, on the caller's thread.
 *
 * Lines carry levels, not events: every irq_set is passed on, including a
 * repeat of the current level, and the line remembers nothing. Edge
 * detection (8259 edge mode, IOAPIC edge pins) is the receiver's job: it
 * compares with the level it saw last. An edge-triggered source signals
 * with irq_pulse (raise then lower).
 *
 * A NULL line is valid everywhere and does nothing, so an unwired output
 * needs no special case.
 */
#ifndef PEMU_IRQ_H
#define PEMU_IRQ_H

typedef void (*IRQHandler)(void *opaque, int n, int level);
typedef struct IRQLine IRQLine;

IRQLine *irq_new(IRQHandler handler, void *opaque, int n);
/* count lines numbered 0..count-1 (an interrupt controller's inputs). */
IRQLine **irq_new_array(IRQHandler handler, void *opaque, int count);
void irq_free(IRQLine *line);
/* Frees the array and its lines. */
void irq_free_array(IRQLine **lines, int count);

void irq_set(IRQLine *line, int level);

static inline void irq_raise(IRQLine *line) { irq_set(line, 1); }
static inline void irq_lower(IRQLine *line) { irq_set(line, 0); }
static inline void irq_pulse(IRQLine *line)
{
    irq_set(line, 1);
    irq_set(line, 0);
}

/*
 * A line that forwards each level to every one of `lines` (NULL entries
 * skipped), in order: an ISA IRQ wired to both the PIC and the IOAPIC. The
 * array is copied; irq_free frees the fan-out line, not its targets.
 */
IRQLine *irq_split(IRQLine *const *lines, int count);
/* A line that forwards the inverted level (0 -> 1, nonzero -> 0). */
IRQLine *irq_invert(IRQLine *target);

#endif
