/*
 * The TB cache. Blocks live in one code buffer: each is its descriptor
 * followed by the backend's code and side table, allocated upwards, so the
 * block holding a host position is found by binary search over the blocks
 * in allocation order. When the buffer is full everything is flushed.
 *
 * Lookups: the per-vCPU jump cache by virtual pc first, then a hash table
 * by (physical pc, pc, cs base, flags). Each physical page that holds code
 * has a list of the blocks with bytes in it; writes to such a page (the
 * softmmu marks them TLB_CODE) invalidate the overlapping blocks, which
 * unlinks every chain into them.
 */
#include "src/tb.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "interp/interp.h"
#include "ir/ir.h"
#include "src/error.h"
#include "src/icount.h"
#include "src/log.h"
#include "src/softmmu.h"

TBStats tb_stats;

static const TBBackend *backend = &interp_backend;
static void (*optimizer)(IRFunc *f) = ir_optimize;

static uint8_t *code_buf;
static size_t code_size, code_used;

/* blocks in allocation (= address) order */
static TranslationBlock **tbs;
static size_t ntbs, tbs_cap;

#define TB_HASH_BITS 15
static TranslationBlock *tb_hash[1u << TB_HASH_BITS];

typedef struct PageDesc {
    uint64_t page;
    uintptr_t first; /* (tb | n): tb's page n is this page */
    struct PageDesc *next;
} PageDesc;
#define PAGE_HASH_BITS 12
static PageDesc *page_hash[1u << PAGE_HASH_BITS];

#define TB_ALIGN 16
#define TB_DESC_SIZE ((sizeof(TranslationBlock) + TB_ALIGN - 1) & ~(size_t)(TB_ALIGN - 1))

void tb_set_backend(const TBBackend *b)
{
    backend = b;
    tb_flush();
}

const TBBackend *tb_backend(void)
{
    return backend;
}

void tb_set_optimizer(void (*opt)(IRFunc *f))
{
    optimizer = opt;
}

void tb_init(size_t size)
{
    if (!size)
        size = 32u << 20;
    free(code_buf);
    code_buf = malloc(size);
    if (!code_buf)
        fatal("cannot allocate a %zu-byte translation buffer", size);
    code_size = size;
    tb_flush();
    memset(&tb_stats, 0, sizeof(tb_stats));
}

static void ensure_init(void)
{
    if (!code_buf)
        tb_init(0);
}

/* ---- hashing ------------------------------------------------------------------ */

static uint32_t tb_hash_of(uint64_t phys_pc, uint64_t pc, uint64_t cs_base, uint32_t flags)
{
    uint64_t h = phys_pc * 0x9e3779b97f4a7c15ull;
    h ^= (pc ^ cs_base ^ ((uint64_t)flags << 32)) * 0xc2b2ae3d27d4eb4full;
    return (uint32_t)(h >> (64 - TB_HASH_BITS));
}

static uint32_t page_hash_of(uint64_t page)
{
    return (uint32_t)(((page >> TARGET_PAGE_BITS) * 0x9e3779b97f4a7c15ull) >> (64 - PAGE_HASH_BITS));
}

/* Jump cache index: a group of slots per virtual page hash (so that one
 * page's entries can be dropped together), then the pc inside the page. */
static inline uint32_t jc_index(uint64_t pc)
{
    uint64_t pg = pc >> TARGET_PAGE_BITS;
    uint32_t g = (uint32_t)(pg ^ (pg >> CPU_JMP_PAGE_BITS)) & ((1u << CPU_JMP_PAGE_BITS) - 1);
    uint32_t s = (uint32_t)(pc ^ (pc >> CPU_JMP_SLOT_BITS)) & ((1u << CPU_JMP_SLOT_BITS) - 1);
    return (g << CPU_JMP_SLOT_BITS) | s;
}

static PageDesc *page_find(uint64_t page)
{
    for (PageDesc *p = page_hash[page_hash_of(page)]; p; p = p->next)
        if (p->page == page)
            return p;
    return NULL;
}

bool tb_page_has_code(uint64_t phys_page)
{
    return page_find(phys_page & TARGET_PAGE_MASK) != NULL;
}

static void page_add(TranslationBlock *tb, int n, uint64_t page)
{
    PageDesc *p = page_find(page);
    if (!p) {
        p = calloc(1, sizeof(*p));
        if (!p)
            pemu_abort("out of memory");
        uint32_t h = page_hash_of(page);
        p->page = page;
        p->next = page_hash[h];
        page_hash[h] = p;
        /* From now on, guest writes to this page take the slow path. */
        softmmu_protect_code_page(page);
    }
    tb->page_next[n] = p->first;
    p->first = (uintptr_t)tb | (uintptr_t)n;
}

static void page_remove(TranslationBlock *tb, int n, uint64_t page)
{
    uint32_t h = page_hash_of(page);
    PageDesc **pp, *p = NULL;
    for (pp = &page_hash[h]; *pp; pp = &(*pp)->next)
        if ((*pp)->page == page) {
            p = *pp;
            break;
        }
    if (!p)
        return;
    for (uintptr_t *link = &p->first; *link;) {
        TranslationBlock *t = (TranslationBlock *)(*link & ~(uintptr_t)3);
        int m = (int)(*link & 3);
        if (t == tb && m == n) {
            *link = t->page_next[m];
            break;
        }
        link = &t->page_next[m];
    }
    if (!p->first) {
        *pp = p->next;
        free(p);
    }
}

/* ---- flush ---------------------------------------------------------------------- */

void tb_jmp_cache_clear(CPUState *cpu)
{
    memset(cpu->jmp_cache, 0, sizeof(cpu->jmp_cache));
}

void tb_jmp_cache_clear_page(CPUState *cpu, uint64_t vaddr)
{
    /* A block starting on the previous page may run into this one. */
    for (int k = 0; k < 2; k++) {
        uint64_t page = (vaddr & TARGET_PAGE_MASK) - (uint64_t)k * TARGET_PAGE_SIZE;
        uint32_t base = jc_index(page) & ~((1u << CPU_JMP_SLOT_BITS) - 1);
        for (uint32_t i = 0; i < (1u << CPU_JMP_SLOT_BITS); i++) {
            TranslationBlock *tb = cpu->jmp_cache[base + i];
            if (tb && (tb->pc & TARGET_PAGE_MASK) == page)
                cpu->jmp_cache[base + i] = NULL;
        }
    }
}

void tb_flush(void)
{
    for (CPUState *cpu = cpu_first(); cpu; cpu = cpu->next_cpu)
        tb_jmp_cache_clear(cpu);
    memset(tb_hash, 0, sizeof(tb_hash));
    for (unsigned h = 0; h < PEMU_ARRAY_SIZE(page_hash); h++) {
        PageDesc *p = page_hash[h];
        while (p) {
            PageDesc *next = p->next;
            free(p);
            p = next;
        }
        page_hash[h] = NULL;
    }
    ntbs = 0;
    code_used = 0;
    tb_stats.live = 0;
    tb_stats.flushes++;
    if (log_enabled(LOG_TB_FLUSH))
        log_printf("tb_flush: translation cache flushed (%" PRIu64 ")\n", tb_stats.flushes);
}

/* ---- lookup --------------------------------------------------------------------- */

TranslationBlock *tb_lookup(uint64_t phys_pc, uint64_t pc, uint64_t cs_base, uint32_t flags)
{
    for (TranslationBlock *tb = tb_hash[tb_hash_of(phys_pc, pc, cs_base, flags)]; tb;
         tb = tb->hash_next)
        if (tb->phys_pc == phys_pc && tb->pc == pc && tb->cs_base == cs_base &&
            tb->flags == flags)
            return tb;
    return NULL;
}

/* The second page of a block must still map to the same physical page. */
static bool page2_ok(CPUState *cpu, TranslationBlock *tb)
{
    if (tb->phys_page2 == UINT64_MAX)
        return true;
    uint64_t last = tb->pc + tb->size - 1;
    return (softmmu_code_phys(cpu, last) & TARGET_PAGE_MASK) == tb->phys_page2;
}

TranslationBlock *tb_find(CPUState *cpu)
{
    uint64_t pc, cs_base;
    uint32_t flags;
    ensure_init();
    cpu->ops->get_tb_key(cpu, &pc, &cs_base, &flags);
    uint32_t j = jc_index(pc);
    TranslationBlock *tb = cpu->jmp_cache[j];
    if (tb && tb->pc == pc && tb->cs_base == cs_base && tb->flags == flags)
        return tb;
    uint64_t phys = softmmu_code_phys(cpu, pc);
    tb = tb_lookup(phys, pc, cs_base, flags);
    if (!tb || !page2_ok(cpu, tb))
        tb = tb_gen_code(cpu, pc, cs_base, flags);
    cpu->jmp_cache[j] = tb;
    return tb;
}

TranslationBlock *tb_lookup_chain(CPUState *cpu)
{
    uint64_t pc, cs_base;
    uint32_t flags;
    if (unlikely(cpu->debug_flags || icount_on))
        return NULL;            /* -icount: every block returns to be counted */
    cpu->ops->get_tb_key(cpu, &pc, &cs_base, &flags);
    uint32_t j = jc_index(pc);
    TranslationBlock *tb = cpu->jmp_cache[j];
    if (tb && tb->pc == pc && tb->cs_base == cs_base && tb->flags == flags) {
        if (tb->cflags & TB_CF_BP)
            return NULL;
        cpu->stats.lookup_hits++;
        return tb;
    }
    /* Not in the jump cache: the hash table, if the code TLB already knows
     * the page (no refill here: a fault must be raised from the loop). */
    uint64_t phys;
    if (softmmu_code_phys_probe(cpu, pc, &phys)) {
        tb = tb_lookup(phys, pc, cs_base, flags);
        if (tb && tb->phys_page2 == UINT64_MAX && !(tb->cflags & TB_CF_BP)) {
            cpu->jmp_cache[j] = tb;
            cpu->stats.lookup_hits++;
            return tb;
        }
    }
    cpu->stats.lookup_misses++;
    return NULL;
}

TranslationBlock *tb_find_by_host_pc(uintptr_t host_pc)
{
    size_t lo = 0, hi = ntbs;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if ((uintptr_t)tbs[mid]->code <= host_pc)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (!lo)
        return NULL;
    TranslationBlock *tb = tbs[lo - 1];
    if (host_pc < (uintptr_t)tb->code + tb->code_size)
        return tb;
    return NULL;
}

/* ---- translation ----------------------------------------------------------------- */

static void tbs_push(TranslationBlock *tb)
{
    if (ntbs == tbs_cap) {
        tbs_cap = tbs_cap ? tbs_cap * 2 : 1024;
        tbs = realloc(tbs, tbs_cap * sizeof(*tbs));
        if (!tbs)
            pemu_abort("out of memory");
    }
    tbs[ntbs++] = tb;
}

static TranslationBlock *gen_code(CPUState *cpu, uint64_t pc, uint64_t cs_base, uint32_t flags,
                                  int max_insns);

TranslationBlock *tb_gen_code(CPUState *cpu, uint64_t pc, uint64_t cs_base, uint32_t flags)
{
    return gen_code(cpu, pc, cs_base, flags, TB_MAX_INSNS);
}

TranslationBlock *tb_gen_one(CPUState *cpu)
{
    uint64_t pc, cs_base;
    uint32_t flags;
    cpu->ops->get_tb_key(cpu, &pc, &cs_base, &flags);
    return gen_code(cpu, pc, cs_base, flags, 1);
}

static TranslationBlock *gen_code(CPUState *cpu, uint64_t pc, uint64_t cs_base, uint32_t flags,
                                  int max_insns)
{
    ensure_init();
    uint64_t phys_pc = softmmu_code_phys(cpu, pc);
    bool flushed = false;
    TranslationBlock *tb;
    long r;
    IRFunc *f;

    for (;;) {
        code_used = (code_used + TB_ALIGN - 1) & ~(size_t)(TB_ALIGN - 1);
        if (code_used + TB_DESC_SIZE + 256 > code_size) {
            if (flushed)
                fatal("translation buffer of %zu bytes too small for one block", code_size);
            tb_flush();
            flushed = true;
            continue;
        }
        tb = (TranslationBlock *)(void *)(code_buf + code_used);
        memset(tb, 0, sizeof(*tb));
        tb->pc = pc;
        tb->cs_base = cs_base;
        tb->flags = flags;
        tb->phys_pc = phys_pc;
        tb->phys_page2 = UINT64_MAX;
        f = cpu->ops->translate(cpu, tb, max_insns);
        if (cpu_breakpoint_count && tb->icount > 1 &&
            cpu_breakpoint_in_range(pc + 1, pc + tb->size)) {
            /* A breakpoint inside: end the block before it (translation
             * is a prefix, so fewer instructions cover fewer bytes). */
            max_insns = (int)tb->icount - 1;
            continue;
        }
        bool logged = log_filter_pc(pc);
        if (log_enabled(LOG_OP) && logged) {
            log_printf("OP: pc=0x%" PRIx64 "\n", pc);
            ir_print_func(log_file(), f);
            log_printf("\n");
        }
        if (optimizer)
            optimizer(f);
        if (log_enabled(LOG_OP_OPT) && logged) {
            log_printf("OP after optimization: pc=0x%" PRIx64 "\n", pc);
            ir_print_func(log_file(), f);
            log_printf("\n");
        }
        size_t at = code_used + TB_DESC_SIZE;
        r = backend->lower(f, tb, code_buf + at, code_size - at);
        if (r == BACKEND_LOWER_TOO_BIG) {
            tb_stats.too_big++;
            if (tb->icount <= 1)
                pemu_abort("one guest instruction at 0x%" PRIx64 " does not fit a block", pc);
            max_insns = (int)tb->icount / 2;
            continue;
        }
        if (r == BACKEND_LOWER_NO_SPACE) {
            if (flushed)
                fatal("translation buffer of %zu bytes too small for one block", code_size);
            tb_flush();
            flushed = true;
            continue;
        }
        code_used = at + (size_t)r;
        break;
    }
    tb_stats.ir_ops += f->nops;

    if (tb->size) {
        uint64_t last = pc + tb->size - 1;
        if ((last & TARGET_PAGE_MASK) != (pc & TARGET_PAGE_MASK))
            tb->phys_page2 = softmmu_code_phys(cpu, last) & TARGET_PAGE_MASK;
    }
    if (cpu_breakpoint_count && cpu_breakpoint_at(pc, NULL))
        tb->cflags |= TB_CF_BP;
    tbs_push(tb);
    uint32_t h = tb_hash_of(phys_pc, pc, cs_base, flags);
    tb->hash_next = tb_hash[h];
    tb_hash[h] = tb;
    page_add(tb, 0, phys_pc & TARGET_PAGE_MASK);
    if (tb->phys_page2 != UINT64_MAX)
        page_add(tb, 1, tb->phys_page2);
    tb_stats.translated++;
    tb_stats.live++;

    if (log_enabled(LOG_BYTECODE | LOG_OUT_ASM) && log_filter_pc(pc) && backend->print) {
        backend->print(log_file(), tb, f);
        log_flush();
    }
    return tb;
}

/* ---- chaining and invalidation ------------------------------------------------------ */

void tb_link(TranslationBlock *tb, int slot, TranslationBlock *dest)
{
    if (!tb->jmp_slot[slot] || tb->jmp_dest[slot] ||
        ((tb->cflags | dest->cflags) & TB_CF_INVALID) || (dest->cflags & TB_CF_BP) ||
        ((tb->cflags ^ dest->cflags) & TB_CF_DISPATCH))
        return;
    tb->jmp_dest[slot] = dest;
    tb->jmp_list_next[slot] = dest->jmp_list_head;
    dest->jmp_list_head = (uintptr_t)tb | (uintptr_t)slot;
    backend->link(tb, slot, dest);
    tb_stats.links++;
}

static void jmp_list_remove(TranslationBlock *dest, TranslationBlock *src, int n)
{
    for (uintptr_t *link = &dest->jmp_list_head; *link;) {
        TranslationBlock *t = (TranslationBlock *)(*link & ~(uintptr_t)3);
        int m = (int)(*link & 3);
        if (t == src && m == n) {
            *link = t->jmp_list_next[m];
            return;
        }
        link = &t->jmp_list_next[m];
    }
}

void tb_invalidate(TranslationBlock *tb)
{
    if (tb->cflags & TB_CF_INVALID)
        return;
    tb->cflags |= TB_CF_INVALID;

    TranslationBlock **pp = &tb_hash[tb_hash_of(tb->phys_pc, tb->pc, tb->cs_base, tb->flags)];
    for (; *pp; pp = &(*pp)->hash_next)
        if (*pp == tb) {
            *pp = tb->hash_next;
            break;
        }
    page_remove(tb, 0, tb->phys_pc & TARGET_PAGE_MASK);
    if (tb->phys_page2 != UINT64_MAX)
        page_remove(tb, 1, tb->phys_page2);
    for (CPUState *cpu = cpu_first(); cpu; cpu = cpu->next_cpu) {
        uint32_t j = jc_index(tb->pc);
        if (cpu->jmp_cache[j] == tb)
            cpu->jmp_cache[j] = NULL;
    }
    /* Chains into this block go back to their exit paths. */
    for (uintptr_t e = tb->jmp_list_head; e;) {
        TranslationBlock *src = (TranslationBlock *)(e & ~(uintptr_t)3);
        int n = (int)(e & 3);
        e = src->jmp_list_next[n];
        backend->unlink(src, n);
        src->jmp_dest[n] = NULL;
    }
    tb->jmp_list_head = 0;
    /* And its own links, in case it is still running. */
    for (int n = 0; n < 2; n++) {
        if (tb->jmp_dest[n]) {
            jmp_list_remove(tb->jmp_dest[n], tb, n);
            backend->unlink(tb, n);
            tb->jmp_dest[n] = NULL;
        }
    }
    tb_stats.invalidated++;
    tb_stats.live--;
}

void tb_invalidate_phys_range(uint64_t start, uint64_t end)
{
    if (end <= start)
        return;
    uint64_t page = start & TARGET_PAGE_MASK;
    for (;;) {
        PageDesc *p = page_find(page);
        uintptr_t e = p ? p->first : 0;
        while (e) {
            TranslationBlock *tb = (TranslationBlock *)(e & ~(uintptr_t)3);
            int n = (int)(e & 3);
            e = tb->page_next[n];
            uint64_t lo, hi;
            uint64_t first_len = TARGET_PAGE_SIZE - (tb->phys_pc & (TARGET_PAGE_SIZE - 1));
            if (first_len > tb->size)
                first_len = tb->size;
            if (n == 0) {
                lo = tb->phys_pc;
                hi = tb->phys_pc + (tb->size ? first_len : 1);
            } else {
                lo = tb->phys_page2;
                hi = tb->phys_page2 + (tb->size - first_len);
            }
            if (lo < end && start < hi) {
                if (log_enabled(LOG_TB_FLUSH))
                    log_printf("tb_invalidate: pc=0x%" PRIx64 " (write 0x%" PRIx64 "..0x%" PRIx64 ")\n",
                               tb->pc, start, end - 1);
                /* invalidating may free p: stop using it once it is empty */
                bool last = (e == 0);
                tb_invalidate(tb);
                if (last)
                    break;
            }
        }
        uint64_t next = page + TARGET_PAGE_SIZE;
        if (next >= end || next == 0)
            break;
        page = next;
    }
}

/* ---- info jit -------------------------------------------------------------------- */

void tb_print_stats(FILE *out)
{
    tb_stats.code_used = code_used;
    tb_stats.code_size = code_size;
    fprintf(out, "backend             %s\n", backend ? backend->name : "none");
    fprintf(out, "TBs translated      %" PRIu64 "\n", tb_stats.translated);
    fprintf(out, "TBs in cache        %" PRIu64 "\n", tb_stats.live);
    fprintf(out, "code buffer         %zu / %zu bytes\n", code_used, code_size);
    fprintf(out, "IR ops lowered      %" PRIu64 "\n", tb_stats.ir_ops);
    fprintf(out, "chain links         %" PRIu64 "\n", tb_stats.links);
    fprintf(out, "flushes             %" PRIu64 "\n", tb_stats.flushes);
    fprintf(out, "invalidations       %" PRIu64 "\n", tb_stats.invalidated);
    fprintf(out, "too-big retries     %" PRIu64 "\n", tb_stats.too_big);
    if (icount_on)  /* exact only when counting */
        fprintf(out, "guest instructions  %" PRIu64 "\n", icount_executed());
    for (CPUState *cpu = cpu_first(); cpu; cpu = cpu->next_cpu)
        fprintf(out, "cpu%d: TB entries %" PRIu64 ", lookup hits %" PRIu64 " misses %" PRIu64
                ", TLB fills %" PRIu64 " flushes %" PRIu64 ", slow ld/st %" PRIu64 "/%" PRIu64
                ", exceptions %" PRIu64 "\n",
                cpu->cpu_index, cpu->stats.tb_exec, cpu->stats.lookup_hits,
                cpu->stats.lookup_misses, cpu->stats.tlb_fills, cpu->stats.tlb_flushes,
                cpu->stats.slow_ld,
                cpu->stats.slow_st, cpu->stats.exceptions);
}
