/* The x86 CPU state as text, in the layout of QEMU's "info registers"
 * (32-bit form; a guest in long mode gets the 64-bit register names). */
#include "src/x86/dump.h"

#include "src/x86/flags.h"

static const char seg_names[X86_NB_SEGS][5] = { "ES =", "CS =", "SS =", "DS =", "FS =", "GS =" };

/* EFLAGS letters, most significant first: DF OF SF ZF AF PF CF. */
static void eflags_letters(uint32_t f, char out[8])
{
    static const struct { uint32_t bit; char ch; } l[7] = {
        { 1u << 10, 'D' }, { 1u << 11, 'O' }, { 1u << 7, 'S' }, { 1u << 6, 'Z' },
        { 1u << 4, 'A' }, { 1u << 2, 'P' }, { 1u << 0, 'C' },
    };
    for (int i = 0; i < 7; i++)
        out[i] = (f & l[i].bit) ? l[i].ch : '-';
    out[7] = '\0';
}

static void seg_line(FILE *f, const char *name, const X86Segment *s, bool wide)
{
    if (wide)
        fprintf(f, "%s%04x %016" PRIx64 " %08x %08x\n", name, s->selector, s->base, s->limit,
                s->flags);
    else
        fprintf(f, "%s%04x %08x %08x %08x\n", name, s->selector, (uint32_t)s->base, s->limit,
                s->flags);
}

void x86_cpu_dump_state(FILE *f, X86CPU *cpu)
{
    const X86State *s = &cpu->env;
    uint32_t efl = x86_eflags_get(s);
    bool wide = (s->hflags & HF_LMA) != 0;
    char fl[8];
    eflags_letters(efl, fl);
    if (wide) {
        static const char *const n[16] = { "RAX", "RCX", "RDX", "RBX", "RSP", "RBP", "RSI", "RDI",
                                           "R8 ", "R9 ", "R10", "R11", "R12", "R13", "R14", "R15" };
        static const int order[16] = { 0, 3, 1, 2, 6, 7, 5, 4, 8, 9, 10, 11, 12, 13, 14, 15 };
        for (int i = 0; i < 16; i++)
            fprintf(f, "%s=%016" PRIx64 "%c", n[order[i]], s->regs[order[i]],
                    (i & 3) == 3 ? '\n' : ' ');
        fprintf(f, "RIP=%016" PRIx64 " RFL=%08x [%s] ", s->rip, efl, fl);
    } else {
        /* regs[] is in encoding order: EAX ECX EDX EBX ESP EBP ESI EDI */
        fprintf(f, "EAX=%08x EBX=%08x ECX=%08x EDX=%08x\n", (uint32_t)s->regs[0],
                (uint32_t)s->regs[3], (uint32_t)s->regs[1], (uint32_t)s->regs[2]);
        fprintf(f, "ESI=%08x EDI=%08x EBP=%08x ESP=%08x\n", (uint32_t)s->regs[6],
                (uint32_t)s->regs[7], (uint32_t)s->regs[5], (uint32_t)s->regs[4]);
        fprintf(f, "EIP=%08x EFL=%08x [%s] ", (uint32_t)s->rip, efl, fl);
    }
    fprintf(f, "CPL=%u II=%d A20=%d SMM=%d HLT=%d\n", s->hflags & HF_CPL_MASK,
            (s->hflags & HF_INHIBIT_IRQ) != 0, ((s->a20_mask >> 20) & 1) != 0,
            (s->hflags & HF_SMM) != 0, cpu->parent.halted != 0);
    for (int i = 0; i < X86_NB_SEGS; i++)
        seg_line(f, seg_names[i], &s->segs[i], wide);
    seg_line(f, "LDT=", &s->ldt, wide);
    seg_line(f, "TR =", &s->tr, wide);
    if (wide) {
        fprintf(f, "GDT=     %016" PRIx64 " %08x\n", s->gdt.base, s->gdt.limit);
        fprintf(f, "IDT=     %016" PRIx64 " %08x\n", s->idt.base, s->idt.limit);
        fprintf(f, "CR0=%08x CR2=%016" PRIx64 " CR3=%016" PRIx64 " CR4=%08x\n",
                (uint32_t)s->cr[0], s->cr[2], s->cr[3], (uint32_t)s->cr[4]);
    } else {
        fprintf(f, "GDT=     %08x %08x\n", (uint32_t)s->gdt.base, s->gdt.limit);
        fprintf(f, "IDT=     %08x %08x\n", (uint32_t)s->idt.base, s->idt.limit);
        fprintf(f, "CR0=%08x CR2=%08x CR3=%08x CR4=%08x\n", (uint32_t)s->cr[0],
                (uint32_t)s->cr[2], (uint32_t)s->cr[3], (uint32_t)s->cr[4]);
    }
    fprintf(f, "DR0=%08" PRIx64 " DR1=%08" PRIx64 " DR2=%08" PRIx64 " DR3=%08" PRIx64 "\n",
            s->dr[0], s->dr[1], s->dr[2], s->dr[3]);
    fprintf(f, "DR6=%08" PRIx64 " DR7=%08" PRIx64 "\n", s->dr[6], s->dr[7]);
    fprintf(f, "EFER=%016" PRIx64 "\n", s->efer);
}
