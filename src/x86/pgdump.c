/*
 * The monitor's `info tlb` and `info mem`: the current CPU's page tables
 * (CR3) walked in address order, in QEMU's layout:
 *   info tlb  one line per mapped page (4K, 2M/4M, 1G), "VA: PA" and the
 *             entry's flags XGPDACTUW (NX, global, PS, dirty, accessed,
 *             cache disable, write-through, user, writable; '-' if clear);
 *   info mem  the mapped ranges merged while their effective rights stay
 *             the same: "start-end size" and u/r/w ('u' user, 'w' writable
 *             at every level).
 * Only RAM is read (an entry in MMIO reads as not present) and nothing is
 * written: no accessed bits, unlike a walk for an access. Long-mode
 * addresses are printed sign-extended (canonical).
 */
#include "src/x86/pgdump.h"

#include <inttypes.h>
#include "src/softmmu.h"

#define E_P   0x001u
#define E_W   0x002u
#define E_U   0x004u
#define E_PWT 0x008u
#define E_PCD 0x010u
#define E_A   0x020u
#define E_D   0x040u
#define E_PS  0x080u
#define E_G   0x100u
#define E_NX  (1ull << 63)
#define ADDR_MASK 0x000ffffffffff000ull

typedef struct Walk {
    X86CPU *cpu;
    FILE *f;
    bool mem;                /* info mem (else info tlb) */
    /* info mem: the open range */
    bool open;
    uint64_t start, end;     /* [start, end) */
    unsigned prot;
} Walk;

static uint64_t rd(X86CPU *cpu, uint64_t pa, int size)
{
    bool ro = false;
    const SoftmmuPhys *ph = cpu->parent.phys;
    uint8_t *p = ph->ram_page(ph->opaque, pa & ~0xfffull, &ro);
    if (!p)
        return 0;
    p += pa & 0xfff;
    return size == 8 ? ld64_le(p) : ld32_le(p);
}

static uint64_t canonical(uint64_t va)
{
    return (va & (1ull << 47)) ? va | 0xffff000000000000ull : va;
}

static void mem_flush(Walk *w)
{
    if (w->open)
        fprintf(w->f, "%016" PRIx64 "-%016" PRIx64 " %016" PRIx64 " %c%c%c\n", w->start, w->end,
                w->end - w->start, (w->prot & E_U) ? 'u' : '-', 'r', (w->prot & E_W) ? 'w' : '-');
    w->open = false;
}

/* A mapped page (or a hole, prot 0) of size bytes at va. */
static void leaf(Walk *w, uint64_t va, uint64_t size, uint64_t pte, uint64_t pa, unsigned prot)
{
    if (!w->mem) {
        if (!prot)
            return;
        fprintf(w->f, "%016" PRIx64 ": %016" PRIx64 " %c%c%c%c%c%c%c%c%c\n", va, pa,
                (pte & E_NX) ? 'X' : '-', (pte & E_G) ? 'G' : '-', (pte & E_PS) ? 'P' : '-',
                (pte & E_D) ? 'D' : '-', (pte & E_A) ? 'A' : '-', (pte & E_PCD) ? 'C' : '-',
                (pte & E_PWT) ? 'T' : '-', (pte & E_U) ? 'U' : '-', (pte & E_W) ? 'W' : '-');
        return;
    }
    if (w->open && (prot != w->prot || va != w->end))
        mem_flush(w);
    if (!prot)
        return;
    if (!w->open) {
        w->open = true;
        w->start = va;
        w->prot = prot;
    }
    w->end = va + size;
}

/*
 * One table of n entries of esize bytes at pa, each covering span bytes
 * from va; level 1 holds only leaves. prot: the rights of the levels above.
 */
static void table(Walk *w, uint64_t pa, int n, int esize, uint64_t va, uint64_t span, int level,
                  unsigned prot, bool lm, bool pse)
{
    for (int i = 0; i < n; i++) {
        uint64_t e = rd(w->cpu, pa + (uint64_t)i * (uint64_t)esize, esize);
        uint64_t v = va + (uint64_t)i * span;
        if (lm)
            v = canonical(v);
        if (!(e & E_P)) {
            leaf(w, v, span, 0, 0, 0);
            continue;
        }
        unsigned p = prot & (unsigned)(e & (E_U | E_W | E_P));
        if (level == 1 || (level <= 3 && (e & E_PS) && (lm || level == 2) && pse)) {
            uint64_t frame;
            if (esize == 4 && level == 2) /* 4M page; PSE-36 bits 20:13 are address bits 39:32 */
                frame = (e & 0xffc00000u) | (((e >> 13) & 0xff) << 32);
            else
                frame = e & ADDR_MASK & ~(span - 1);
            leaf(w, v, span, e, frame, p);
            continue;
        }
        if (level == 3 && !lm && esize == 8) {
            /* PAE PDPTE: no U/W bits of its own */
            table(w, e & ADDR_MASK, 512, 8, v, span / 512, 2, prot, lm, pse);
            continue;
        }
        table(w, e & ADDR_MASK, esize == 8 ? 512 : 1024, esize, v, esize == 8 ? span / 512 : span / 1024,
              level - 1, p, lm, pse);
    }
}

static void walk(X86CPU *cpu, FILE *f, bool mem)
{
    X86State *s = &cpu->env;
    Walk w = { .cpu = cpu, .f = f, .mem = mem };
    if (!(s->cr[0] & CR0_PG)) {
        fprintf(f, "PG disabled\n");
        return;
    }
    unsigned all = E_P | E_U | E_W;
    if (s->efer & EFER_LMA)
        table(&w, s->cr[3] & ADDR_MASK, 512, 8, 0, 1ull << 39, 4, all, true, true);
    else if (s->cr[4] & CR4_PAE)
        table(&w, s->cr[3] & 0xffffffe0u, 4, 8, 0, 1ull << 30, 3, all, false, true);
    else
        table(&w, s->cr[3] & 0xfffff000u, 1024, 4, 0, 1ull << 22, 2, all, false,
              (s->cr[4] & CR4_PSE) != 0);
    mem_flush(&w);
}

void x86_print_tlb(FILE *f, X86CPU *cpu)
{
    walk(cpu, f, false);
}

void x86_print_mem(FILE *f, X86CPU *cpu)
{
    walk(cpu, f, true);
}
