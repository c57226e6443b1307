/*
 * x86 paging (SDM Vol. 3 chapter 4): linear -> physical for the softmmu.
 *
 * Modes: paging off (identity), 32-bit 2-level with PSE 4M pages (and
 * PSE-36: PDE bits 20:13 are physical bits 39:32), PAE 3-level with NX and
 * 2M pages, 4-level (long mode) with 2M and 1G pages. MAXPHYADDR is 40
 * (CPUID 80000008h): entry bits 51:40 are reserved (#PF with RSVD).
 *
 * What the softmmu caches is decided by the rights returned here:
 * - PAGE_WRITE only once the leaf's D bit is set (a write walk sets it), so
 *   the first write to a clean page always comes back here.
 * - A bits are set on every level on a successful walk (not on a faulting
 *   one: the SDM allows either, and pemu then leaves memory untouched).
 * - Kernel and user accesses use separate mmu indices, so the U/S and WP
 *   rules are resolved per index.
 * Global pages need no work: pemu never keeps TLB entries across a CR3
 * write (misc.c flushes everything), which the architecture allows.
 */
#include "src/x86/helper_sys.h"

#include <inttypes.h>
#include "src/log.h"
#include "src/softmmu.h"
#include "src/x86/seg.h"

#define PTE_P  0x001u
#define PTE_W  0x002u
#define PTE_U  0x004u
#define PTE_A  0x020u
#define PTE_D  0x040u
#define PTE_PS 0x080u
#define PTE_NX (1ull << 63)

/* walk() result for a not-present entry: a fault whose error code has P clear */
#define WALK_NOT_PRESENT 0x100u

#define PHYS_BITS 40
#define PHYS_ADDR_MASK (((1ull << PHYS_BITS) - 1) & ~0xfffull)
#define PHYS_HI_RSVD   (((1ull << 63) - 1) & ~((1ull << PHYS_BITS) - 1)) /* bits 62:40 */

static uint64_t pt_read(CPUState *cs, uint64_t pa, unsigned size)
{
    bool ro = false;
    uint8_t *p = cs->phys->ram_page(cs->phys->opaque, pa & TARGET_PAGE_MASK, &ro);
    unsigned off = (unsigned)(pa & ~TARGET_PAGE_MASK);
    if (p)
        return size == 8 ? ld64_le(p + off) : ld32_le(p + off);
    return cs->phys->io_read(cs->phys->opaque, pa, size);
}

/* Set A/D in the low dword of an entry, as the processor's locked update does. */
static void pt_write32(CPUState *cs, uint64_t pa, uint32_t v)
{
    bool ro = false;
    uint8_t *p = cs->phys->ram_page(cs->phys->opaque, pa & TARGET_PAGE_MASK, &ro);
    if (p && !ro) {
        st32_le(p + (pa & ~TARGET_PAGE_MASK), v);
        softmmu_notify_phys_write(pa, 4); /* page tables inside translated code */
    } else {
        cs->phys->io_write(cs->phys->opaque, pa, v, 4);
    }
}

typedef struct Walk {
    uint64_t addr[4]; /* entries that get their A bit set */
    uint32_t val[4];  /* their low dwords as read */
    int n;
} Walk;

/*
 * Walk the tables for va. Returns 0 and the leaf (page base, size, rights
 * accumulated over the levels), or the #PF error bits P/RSVD of the failure.
 */
static uint32_t walk(X86CPU *cpu, uint64_t va, Walk *w, uint64_t *leaf, uint64_t *base,
                     uint64_t *size, bool *wr, bool *us, bool *nx)
{
    CPUState *cs = &cpu->parent;
    X86State *s = &cpu->env;
    uint64_t a20 = s->a20_mask;
    bool nxe = (s->efer & EFER_NXE) != 0;
    uint64_t rsvd = PHYS_HI_RSVD | (nxe ? 0 : PTE_NX);
    uint64_t e, ea;

    *wr = *us = true;
    *nx = false;
    w->n = 0;

#define ENTRY(addr_, sz_)                                                       \
    do {                                                                        \
        ea = (addr_) & a20;                                                     \
        e = pt_read(cs, ea, (sz_));                                             \
        if (!(e & PTE_P))                                                       \
            return WALK_NOT_PRESENT;                                                \
    } while (0)
#define RIGHTS()                                                                \
    do {                                                                        \
        *wr = *wr && (e & PTE_W);                                               \
        *us = *us && (e & PTE_U);                                               \
        if (nxe && (e & PTE_NX))                                                \
            *nx = true;                                                         \
        w->addr[w->n] = ea;                                                     \
        w->val[w->n++] = (uint32_t)e;                                           \
    } while (0)

    if (!(s->cr[4] & CR4_PAE)) {
        /* 32-bit paging: 10/10/12, or 10/22 with CR4.PSE. */
        ENTRY((s->cr[3] & 0xfffff000u) | ((va >> 20) & 0xffc), 4);
        if ((e & PTE_PS) && (s->cr[4] & CR4_PSE)) {
            if (e & 0x00200000u) /* bit 21, above PSE-36's 39:32 */
                return PF_ERR_P | PF_ERR_RSVD;
            RIGHTS();
            *leaf = e;
            *base = (e & 0xffc00000u) | ((uint64_t)(e & 0x1fe000u) << 19);
            *size = 1u << 22;
            return 0;
        }
        RIGHTS();
        ENTRY((e & 0xfffff000u) | ((va >> 10) & 0xffc), 4);
        RIGHTS();
        *leaf = e;
        *base = e & 0xfffff000u;
        *size = 1u << 12;
        return 0;
    }

    if (s->efer & EFER_LMA) {
        ENTRY((s->cr[3] & PHYS_ADDR_MASK) | ((va >> 36) & 0xff8), 8);
        if (e & (rsvd | PTE_PS))
            return PF_ERR_P | PF_ERR_RSVD;
        RIGHTS();
        ENTRY((e & PHYS_ADDR_MASK) | ((va >> 27) & 0xff8), 8);
        if (e & rsvd)
            return PF_ERR_P | PF_ERR_RSVD;
        if (e & PTE_PS) { /* 1 GiB page */
            if (e & 0x3fffe000u)
                return PF_ERR_P | PF_ERR_RSVD;
            RIGHTS();
            *leaf = e;
            *base = e & PHYS_ADDR_MASK & ~0x3fffffffull;
            *size = 1u << 30;
            return 0;
        }
        RIGHTS();
    } else {
        /* PAE: the PDPTE has no R/W, U/S, NX or A bit (bits 2:1, 8:5 and 63 reserved). */
        ENTRY((s->cr[3] & 0xffffffe0u) | ((va >> 27) & 0x18), 8);
        if (e & (PHYS_HI_RSVD | PTE_NX | 0x1e6))
            return PF_ERR_P | PF_ERR_RSVD;
    }
    ENTRY((e & PHYS_ADDR_MASK) | ((va >> 18) & 0xff8), 8);
    if (e & rsvd)
        return PF_ERR_P | PF_ERR_RSVD;
    if (e & PTE_PS) { /* 2 MiB page */
        if (e & 0x1fe000u)
            return PF_ERR_P | PF_ERR_RSVD;
        RIGHTS();
        *leaf = e;
        *base = e & PHYS_ADDR_MASK & ~0x1fffffull;
        *size = 1u << 21;
        return 0;
    }
    RIGHTS();
    ENTRY((e & PHYS_ADDR_MASK) | ((va >> 9) & 0xff8), 8);
    if (e & rsvd)
        return PF_ERR_P | PF_ERR_RSVD;
    RIGHTS();
    *leaf = e;
    *base = e & PHYS_ADDR_MASK;
    *size = 1u << 12;
    return 0;
#undef ENTRY
#undef RIGHTS
}

bool x86_tlb_fill(CPUState *cs, uint64_t vaddr, MMUAccessType access, int mmu_idx,
                  bool probe, uint64_t *paddr, uint32_t *prot)
{
    X86CPU *cpu = x86_cpu(cs);
    X86State *s = &cpu->env;
    bool user = mmu_idx == X86_MMU_USER;
    uint64_t leaf = 0, base = 0, size = 0;
    bool wr, us, nx;
    uint32_t err;
    Walk w;

    if (!(s->efer & EFER_LMA))
        vaddr &= 0xffffffffu;
    if (!(s->cr[0] & CR0_PG)) {
        *paddr = vaddr & s->a20_mask & TARGET_PAGE_MASK;
        *prot = PAGE_READ | PAGE_WRITE | PAGE_EXEC;
        return true;
    }
    if ((s->efer & EFER_LMA) && !x86_canonical(vaddr)) {
        /* Non-canonical: the segment checks should have caught it; #GP(0). */
        if (probe)
            return false;
        x86_raise_exception_err(cpu, EXCP_GP, 0);
    }

    err = walk(cpu, vaddr, &w, &leaf, &base, &size, &wr, &us, &nx);
    if (!err) {
        bool write_ok = wr || (!user && !(s->cr[0] & CR0_WP));
        if ((user && !us) || (access == MMU_DATA_STORE && !write_ok) ||
            (access == MMU_INST_FETCH && nx)) {
            err = PF_ERR_P;
        } else {
            /* Success: A on each level, D on the leaf for a write. */
            for (int i = 0; i < w.n; i++) {
                uint32_t v = w.val[i] | PTE_A;
                if (i == w.n - 1 && access == MMU_DATA_STORE)
                    v |= PTE_D;
                if (v != w.val[i])
                    pt_write32(cs, w.addr[i], v);
            }
            if (access == MMU_DATA_STORE)
                leaf |= PTE_D;
            *prot = PAGE_READ | (nx ? 0 : PAGE_EXEC) |
                    (write_ok && (leaf & PTE_D) ? PAGE_WRITE : 0);
            *paddr = (base | (vaddr & (size - 1) & TARGET_PAGE_MASK)) & s->a20_mask;
            if (size > TARGET_PAGE_SIZE) {
                uint64_t lm = ~((uint64_t)size - 1), va = vaddr & lm;
                if (!s->tlb_large) {
                    s->tlb_large_addr = va;
                    s->tlb_large_mask = lm;
                } else {
                    uint64_t m = s->tlb_large_mask & lm;
                    while ((s->tlb_large_addr ^ va) & m)
                        m <<= 1;
                    s->tlb_large_mask = m;
                    s->tlb_large_addr &= m;
                }
                s->tlb_large = 1;
            }
            return true;
        }
    }
    if (probe)
        return false;
    err &= ~WALK_NOT_PRESENT;
    if (access == MMU_DATA_STORE)
        err |= PF_ERR_W;
    if (user)
        err |= PF_ERR_U;
    if (access == MMU_INST_FETCH && (s->efer & EFER_NXE) && (s->cr[4] & CR4_PAE))
        err |= PF_ERR_I;
    s->cr[2] = vaddr;
    if (log_enabled(LOG_MMU))
        log_printf("#PF at 0x%" PRIx64 " error 0x%x\n", vaddr, err);
    x86_raise_exception_err(cpu, EXCP_PF, (int)err);
}

void x86_invlpg(X86CPU *cpu, uint64_t linear)
{
    if (cpu->env.hflags & HF_CPL_MASK)
        x86_raise_exception_err(cpu, EXCP_GP, 0);
    /* The softmmu caches large pages as 4K pieces: without knowing which
     * pieces are cached, drop everything when the address lies in the range
     * of the large pages seen since the last full flush. */
    if (cpu->env.tlb_large &&
        (linear & cpu->env.tlb_large_mask) == cpu->env.tlb_large_addr) {
        softmmu_flush_all(&cpu->parent);
        cpu->env.tlb_large = 0;
    } else {
        softmmu_flush_page(&cpu->parent, linear);
    }
}
