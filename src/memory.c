/*
 * Guest physical address spaces: the region tree, its flattening into
 * sorted sections, lookups and accessors, MMIO size adaptation, listeners,
 * RAM blocks with dirty bitmaps and code-page bits. See memory.h.
 */
#include "src/memory.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "src/log.h"

#define RAM_ALIGN ((uint64_t)64 << 10) /* covers 4K/16K/64K host pages */
#define MAX_DEPTH 64                   /* region nesting incl. aliases */

typedef struct RamBlock {
    MemoryRegion *mr;
    void *alloc;      /* what calloc returned; host is aligned inside it */
    uint8_t *host;
    ram_addr_t offset;
    uint64_t size;
    uint64_t npages;
    uint64_t *dirty[MEMORY_DIRTY_NR];
    uint64_t *code;
} RamBlock;

struct MemoryRegion {
    char *name;
    MemoryRegionKind kind;
    uint64_t size;
    void *owner;
    bool enabled, readonly;
    uint8_t dirty_log;
    int priority;
    uint64_t seq;              /* add order, for the equal-priority rule */
    hwaddr addr;               /* offset in parent */
    MemoryRegion *parent;
    MemoryRegion **subs;       /* sorted: priority desc, then seq desc */
    unsigned nsubs, subs_cap;
    const MemOps *ops;         /* MMIO */
    void *opaque;
    RamBlock *ram;             /* RAM, ROM */
    MemoryRegion *alias;       /* ALIAS */
    hwaddr alias_offset;
    unsigned alias_refs;       /* aliases targeting this region */
    MemoryRegion *next_free;   /* freed, released after the views are rebuilt */
};

typedef struct FlatView {
    MemSection *s;
    unsigned n, cap;
} FlatView;

struct AddressSpace {
    char *name;
    MemoryRegion *root;
    FlatView fv;
    unsigned last;             /* last-hit section index */
    MemoryListener *listeners;
    AddressSpace *next;
};

static struct {
    AddressSpace *spaces;
    unsigned depth;            /* open transactions */
    bool pending;              /* a change awaits the outermost commit */
    uint64_t seq;
    RamBlock **blocks;         /* sorted by offset */
    unsigned nblocks, blocks_cap;
    ram_addr_t next_ram;
    RamBlock *last_block;
    void (*code_fn)(void *opaque, hwaddr ram_addr, unsigned len);
    void *code_opaque;
    void (*clear_fn)(void *opaque, ram_addr_t addr, uint64_t len);
    void *clear_opaque;
    MemoryRegion *to_free;
} mem;

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        fatal("out of memory (memory map)");
    return p;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(xrealloc(NULL, n), s, n);
}

static uint64_t ones(unsigned size)
{
    return size >= 8 ? UINT64_MAX : ((uint64_t)1 << (size * 8)) - 1;
}

/* Last byte of [a, a+size), saturated at 2^64-1. */
static uint64_t range_last(uint64_t a, uint64_t size)
{
    return size - 1 > UINT64_MAX - a ? UINT64_MAX : a + (size - 1);
}

/* ---- transactions ------------------------------------------------------ */

static void as_update(AddressSpace *as);
static void mr_release(MemoryRegion *mr);

void memory_transaction_begin(void)
{
    mem.depth++;
}

void memory_transaction_commit(void)
{
    if (!mem.depth)
        pemu_abort("memory_transaction_commit without begin");
    if (--mem.depth)
        return;
    if (mem.pending) {
        mem.pending = false;
        for (AddressSpace *as = mem.spaces; as; as = as->next)
            as_update(as);
    }
    /* only now has no view (nor listener) any section of a freed region */
    while (mem.to_free) {
        MemoryRegion *mr = mem.to_free;
        mem.to_free = mr->next_free;
        mr_release(mr);
    }
}

static void changed(void)
{
    memory_transaction_begin();
    mem.pending = true;
    memory_transaction_commit();
}

/* ---- RAM blocks -------------------------------------------------------- */

static uint64_t *bitmap_new(uint64_t bits)
{
    uint64_t *b = calloc((size_t)((bits + 63) / 64) + 1, sizeof(uint64_t));
    if (!b)
        fatal("out of memory (RAM dirty bitmap)");
    return b;
}

static bool bit_test(const uint64_t *b, uint64_t i)
{
    return (b[i / 64] >> (i % 64)) & 1;
}

/* Set bits [i, i+n). */
static void bitmap_set_range(uint64_t *b, uint64_t i, uint64_t n)
{
    while (n && (i % 64)) {
        b[i / 64] |= (uint64_t)1 << (i % 64);
        i++, n--;
    }
    for (; n >= 64; i += 64, n -= 64)
        b[i / 64] = UINT64_MAX;
    for (; n; i++, n--)
        b[i / 64] |= (uint64_t)1 << (i % 64);
}

static RamBlock *ram_block_new(MemoryRegion *mr, uint64_t size, Error **errp)
{
    uint64_t npages = (size + MEMORY_PAGE_SIZE - 1) >> MEMORY_PAGE_BITS;
    void *p = NULL;

    /*
     * calloc gives lazily zeroed pages for large sizes (no up-front commit
     * of many GiB); alignment is made by hand inside a slightly larger block.
     */
    if (size <= (uint64_t)SIZE_MAX - RAM_ALIGN)
        p = calloc(1, (size_t)(size + RAM_ALIGN));
    if (!p) {
        error_setg(errp, "cannot allocate %" PRIu64 " MiB of host memory for '%s' "
                   "(use a smaller -m, or free host memory)", (size + (1 << 20) - 1) >> 20,
                   mr->name);
        return NULL;
    }
    RamBlock *b = xrealloc(NULL, sizeof(*b));
    memset(b, 0, sizeof(*b));
    b->mr = mr;
    b->alloc = p;
    b->host = (uint8_t *)p + ((RAM_ALIGN - (uintptr_t)p % RAM_ALIGN) % RAM_ALIGN);
    b->size = size;
    b->npages = npages;
    b->offset = mem.next_ram;
    /* RAM addresses are never reused; the gap keeps blocks page-disjoint. */
    mem.next_ram += npages << MEMORY_PAGE_BITS;
    /* nobody has seen a new block yet: dirty for every client */
    for (int c = 0; c < MEMORY_DIRTY_NR; c++) {
        b->dirty[c] = bitmap_new(npages);
        bitmap_set_range(b->dirty[c], 0, npages);
    }
    b->code = bitmap_new(npages);
    if (mem.nblocks == mem.blocks_cap) {
        mem.blocks_cap = mem.blocks_cap ? mem.blocks_cap * 2 : 8;
        mem.blocks = xrealloc(mem.blocks, mem.blocks_cap * sizeof(*mem.blocks));
    }
    mem.blocks[mem.nblocks++] = b;
    return b;
}

static void ram_block_free(RamBlock *b)
{
    unsigned i;
    for (i = 0; i < mem.nblocks && mem.blocks[i] != b; i++)
        ;
    memmove(&mem.blocks[i], &mem.blocks[i + 1], (mem.nblocks - i - 1) * sizeof(*mem.blocks));
    mem.nblocks--;
    if (mem.last_block == b)
        mem.last_block = NULL;
    for (int c = 0; c < MEMORY_DIRTY_NR; c++)
        free(b->dirty[c]);
    free(b->code);
    free(b->alloc);
    free(b);
}

static RamBlock *ram_block_find(ram_addr_t addr)
{
    RamBlock *b = mem.last_block;
    if (b && addr - b->offset < b->size)
        return b;
    unsigned lo = 0, hi = mem.nblocks;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (mem.blocks[mid]->offset <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo && addr - mem.blocks[lo - 1]->offset < mem.blocks[lo - 1]->size)
        return mem.last_block = mem.blocks[lo - 1];
    return NULL;
}

ram_addr_t memory_ram_addr_from_host(const void *host)
{
    uintptr_t h = (uintptr_t)host;
    for (unsigned i = 0; i < mem.nblocks; i++) {
        RamBlock *b = mem.blocks[i];
        if (h - (uintptr_t)b->host < b->size)
            return b->offset + (h - (uintptr_t)b->host);
    }
    return RAM_ADDR_INVALID;
}

uint8_t *memory_ram_host(ram_addr_t addr)
{
    RamBlock *b = ram_block_find(addr);
    return b ? b->host + (addr - b->offset) : NULL;
}

/* Pages [*first, *first + *n) of b touched by [addr, addr+len), clipped to b. */
static RamBlock *ram_pages(ram_addr_t addr, uint64_t len, uint64_t *first, uint64_t *n)
{
    RamBlock *b = ram_block_find(addr);
    if (!b || !len)
        return NULL;
    uint64_t off = addr - b->offset;
    if (len > b->size - off)
        len = b->size - off;
    *first = off >> MEMORY_PAGE_BITS;
    *n = ((off + len - 1) >> MEMORY_PAGE_BITS) - *first + 1;
    return b;
}

void memory_ram_mark_dirty(ram_addr_t addr, uint64_t len)
{
    uint64_t first, n;
    RamBlock *b = ram_pages(addr, len, &first, &n);
    if (!b)
        return;
    for (int c = 0; c < MEMORY_DIRTY_NR; c++)
        bitmap_set_range(b->dirty[c], first, n);
}

void memory_ram_write_notify(ram_addr_t addr, uint64_t len)
{
    uint64_t first, n;
    RamBlock *b = ram_pages(addr, len, &first, &n);
    if (!b)
        return;
    for (int c = 0; c < MEMORY_DIRTY_NR; c++)
        bitmap_set_range(b->dirty[c], first, n);
    if (!mem.code_fn)
        return;
    ram_addr_t end = addr + len; /* clipped below to the block */
    if (end - b->offset > b->size || end < addr)
        end = b->offset + b->size;
    for (uint64_t p = first; p < first + n; p++) {
        if (!bit_test(b->code, p))
            continue;
        ram_addr_t ps = b->offset + (p << MEMORY_PAGE_BITS);
        ram_addr_t s = addr > ps ? addr : ps;
        ram_addr_t e = end < ps + MEMORY_PAGE_SIZE ? end : ps + MEMORY_PAGE_SIZE;
        mem.code_fn(mem.code_opaque, s, (unsigned)(e - s));
    }
}

bool memory_ram_write_watched(ram_addr_t addr)
{
    RamBlock *b = ram_block_find(addr);
    if (!b)
        return false;
    uint64_t p = (addr - b->offset) >> MEMORY_PAGE_BITS;
    if (bit_test(b->code, p))
        return true;
    for (int c = 0; c < MEMORY_DIRTY_NR; c++)
        if ((b->mr->dirty_log >> c & 1) && !bit_test(b->dirty[c], p))
            return true;
    return false;
}

void memory_set_dirty_clear_notifier(void (*fn)(void *opaque, ram_addr_t addr, uint64_t len),
                                     void *opaque)
{
    mem.clear_fn = fn;
    mem.clear_opaque = opaque;
}

void memory_code_page_set(ram_addr_t addr)
{
    RamBlock *b = ram_block_find(addr);
    if (b)
        bitmap_set_range(b->code, (addr - b->offset) >> MEMORY_PAGE_BITS, 1);
}

void memory_code_page_clear(ram_addr_t addr)
{
    RamBlock *b = ram_block_find(addr);
    if (b) {
        uint64_t p = (addr - b->offset) >> MEMORY_PAGE_BITS;
        b->code[p / 64] &= ~((uint64_t)1 << (p % 64));
    }
}

bool memory_code_page_test(ram_addr_t addr)
{
    RamBlock *b = ram_block_find(addr);
    return b && bit_test(b->code, (addr - b->offset) >> MEMORY_PAGE_BITS);
}

void memory_set_code_write_notifier(void (*fn)(void *opaque, hwaddr ram_addr, unsigned len),
                                    void *opaque)
{
    mem.code_fn = fn;
    mem.code_opaque = opaque;
}

/* ---- regions ----------------------------------------------------------- */

static MemoryRegion *mr_new(const char *name, MemoryRegionKind kind, uint64_t size, void *owner)
{
    if (!size)
        pemu_abort("memory region '%s' has size 0", name);
    MemoryRegion *mr = xrealloc(NULL, sizeof(*mr));
    memset(mr, 0, sizeof(*mr));
    mr->name = xstrdup(name);
    mr->kind = kind;
    mr->size = size;
    mr->owner = owner;
    mr->enabled = true;
    return mr;
}

MemoryRegion *memory_region_new_container(const char *name, uint64_t size, void *owner)
{
    return mr_new(name, MR_CONTAINER, size, owner);
}

static MemoryRegion *new_ram_kind(const char *name, uint64_t size, void *owner,
                                  MemoryRegionKind kind, Error **errp)
{
    MemoryRegion *mr = mr_new(name, kind, size, owner);
    mr->ram = ram_block_new(mr, size, errp);
    if (!mr->ram) {
        free(mr->name);
        free(mr);
        return NULL;
    }
    return mr;
}

MemoryRegion *memory_region_new_ram(const char *name, uint64_t size, void *owner, Error **errp)
{
    return new_ram_kind(name, size, owner, MR_RAM, errp);
}

MemoryRegion *memory_region_new_rom(const char *name, uint64_t size, void *owner, Error **errp)
{
    return new_ram_kind(name, size, owner, MR_ROM, errp);
}

static bool is_access_size(unsigned s)
{
    return s == 1 || s == 2 || s == 4 || s == 8;
}

static bool size_ok(unsigned s) /* in an ops record, where 0 means default */
{
    return s == 0 || is_access_size(s);
}

/* The effective access-size limits of an ops record (0 = default). */
static void ops_limits(const MemOps *ops, unsigned *vmin, unsigned *vmax, unsigned *imin,
                       unsigned *imax)
{
    *vmin = ops->valid.min_access ? ops->valid.min_access : 1;
    *vmax = ops->valid.max_access ? ops->valid.max_access : 8;
    *imin = ops->impl.min_access ? ops->impl.min_access : 1;
    *imax = ops->impl.max_access ? ops->impl.max_access : (*vmax < 4 ? *vmax : 4);
    if (*imax < *imin)
        *imax = *imin;
}

MemoryRegion *memory_region_new_mmio(const char *name, uint64_t size, const MemOps *ops,
                                     void *opaque, void *owner)
{
    if (!size_ok(ops->valid.min_access) || !size_ok(ops->valid.max_access) ||
        !size_ok(ops->impl.min_access) || !size_ok(ops->impl.max_access))
        pemu_abort("memory region '%s': access sizes must be 0, 1, 2, 4 or 8", name);
    unsigned vmin, vmax, imin, imax;
    ops_limits(ops, &vmin, &vmax, &imin, &imax);
    if (vmin > vmax)
        pemu_abort("memory region '%s': valid.min_access > valid.max_access", name);
    MemoryRegion *mr = mr_new(name, MR_MMIO, size, owner);
    mr->ops = ops;
    mr->opaque = opaque;
    return mr;
}

MemoryRegion *memory_region_new_alias(const char *name, uint64_t size, MemoryRegion *target,
                                      hwaddr offset, void *owner)
{
    MemoryRegion *mr = mr_new(name, MR_ALIAS, size, owner);
    mr->alias = target;
    mr->alias_offset = offset;
    target->alias_refs++;
    return mr;
}

void memory_region_free(MemoryRegion *mr)
{
    if (!mr)
        return;
    if (mr->alias_refs)
        pemu_abort("memory region '%s' freed while %u alias(es) target it", mr->name,
                   mr->alias_refs);
    for (AddressSpace *as = mem.spaces; as; as = as->next)
        if (as->root == mr)
            pemu_abort("memory region '%s' freed while address space '%s' uses it",
                       mr->name, as->name);
    memory_transaction_begin();
    if (mr->parent)
        memory_region_del_subregion(mr->parent, mr);
    for (unsigned i = 0; i < mr->nsubs; i++)
        mr->subs[i]->parent = NULL;
    mr->nsubs = 0;
    if (mr->alias)
        mr->alias->alias_refs--;
    mr->alias = NULL;
    mr->next_free = mem.to_free;
    mem.to_free = mr;
    memory_transaction_commit();
}

static void mr_release(MemoryRegion *mr)
{
    if (mr->ram)
        ram_block_free(mr->ram);
    free(mr->subs);
    free(mr->name);
    free(mr);
}

/* Does a sort before b among siblings (a wins over b)? */
static bool sub_before(const MemoryRegion *a, const MemoryRegion *b)
{
    return a->priority != b->priority ? a->priority > b->priority : a->seq > b->seq;
}

void memory_region_add_subregion(MemoryRegion *parent, hwaddr offset, MemoryRegion *sub,
                                 int priority)
{
    if (parent->kind != MR_CONTAINER)
        pemu_abort("memory region '%s' is not a container (adding '%s')", parent->name,
                   sub->name);
    if (sub->parent || sub == parent)
        pemu_abort("memory region '%s' is already mapped", sub->name);
    sub->parent = parent;
    sub->addr = offset;
    sub->priority = priority;
    sub->seq = ++mem.seq;
    if (parent->nsubs == parent->subs_cap) {
        parent->subs_cap = parent->subs_cap ? parent->subs_cap * 2 : 4;
        parent->subs = xrealloc(parent->subs, parent->subs_cap * sizeof(*parent->subs));
    }
    unsigned i = 0;
    while (i < parent->nsubs && sub_before(parent->subs[i], sub))
        i++;
    memmove(&parent->subs[i + 1], &parent->subs[i], (parent->nsubs - i) * sizeof(*parent->subs));
    parent->subs[i] = sub;
    parent->nsubs++;
    changed();
}

void memory_region_del_subregion(MemoryRegion *parent, MemoryRegion *sub)
{
    unsigned i;
    for (i = 0; i < parent->nsubs && parent->subs[i] != sub; i++)
        ;
    if (i == parent->nsubs)
        pemu_abort("memory region '%s' is not a subregion of '%s'", sub->name, parent->name);
    parent->nsubs--;
    memmove(&parent->subs[i], &parent->subs[i + 1], (parent->nsubs - i) * sizeof(*parent->subs));
    sub->parent = NULL;
    changed();
}

void memory_region_set_address(MemoryRegion *mr, hwaddr offset)
{
    if (mr->addr != offset) {
        mr->addr = offset;
        if (mr->parent)
            changed();
    }
}

void memory_region_set_enabled(MemoryRegion *mr, bool enabled)
{
    if (mr->enabled != enabled) {
        mr->enabled = enabled;
        changed();
    }
}

void memory_region_set_alias_offset(MemoryRegion *mr, hwaddr offset)
{
    if (mr->kind != MR_ALIAS)
        pemu_abort("memory region '%s' is not an alias", mr->name);
    if (mr->alias_offset != offset) {
        mr->alias_offset = offset;
        changed();
    }
}

void memory_region_set_readonly(MemoryRegion *mr, bool readonly)
{
    if (mr->readonly != readonly) {
        mr->readonly = readonly;
        changed();
    }
}

const char *memory_region_name(const MemoryRegion *mr) { return mr->name; }
MemoryRegionKind memory_region_kind(const MemoryRegion *mr) { return mr->kind; }
uint64_t memory_region_size(const MemoryRegion *mr) { return mr->size; }
hwaddr memory_region_address(const MemoryRegion *mr) { return mr->addr; }
bool memory_region_enabled(const MemoryRegion *mr) { return mr->enabled; }
void *memory_region_owner(const MemoryRegion *mr) { return mr->owner; }

/* Follow aliases down to a RAM/ROM region; *off is adjusted. NULL if none. */
static MemoryRegion *resolve_ram(const MemoryRegion *mr, hwaddr *off)
{
    for (int d = 0; mr && d < MAX_DEPTH; d++) {
        if (mr->ram)
            return (MemoryRegion *)mr;
        if (mr->kind != MR_ALIAS)
            return NULL;
        *off += mr->alias_offset;
        mr = mr->alias;
    }
    return NULL;
}

uint8_t *memory_region_get_ram_ptr(const MemoryRegion *mr)
{
    hwaddr off = 0;
    MemoryRegion *r = resolve_ram(mr, &off);
    return r && off < r->size ? r->ram->host + off : NULL;
}

ram_addr_t memory_region_ram_addr(const MemoryRegion *mr)
{
    hwaddr off = 0;
    MemoryRegion *r = resolve_ram(mr, &off);
    return r && off < r->size ? r->ram->offset + off : RAM_ADDR_INVALID;
}

/* ---- dirty logging per region ------------------------------------------ */

static MemoryRegion *dirty_target(MemoryRegion *mr, unsigned client, hwaddr *off)
{
    if (client >= MEMORY_DIRTY_NR)
        pemu_abort("memory: dirty client %u out of range", client);
    MemoryRegion *r = resolve_ram(mr, off);
    if (!r)
        pemu_abort("memory region '%s' has no RAM to track", mr->name);
    return r;
}

void memory_region_set_dirty_log(MemoryRegion *mr, unsigned client, bool on)
{
    hwaddr off = 0;
    MemoryRegion *r = dirty_target(mr, client, &off);
    uint8_t bit = (uint8_t)(1u << client);
    if (!!(r->dirty_log & bit) == on)
        return;
    if (on) {
        r->dirty_log |= bit;
        bitmap_set_range(r->ram->dirty[client], 0, r->ram->npages);
    } else {
        r->dirty_log &= (uint8_t)~bit;
    }
    changed();
}

unsigned memory_region_dirty_log_mask(const MemoryRegion *mr)
{
    hwaddr off = 0;
    MemoryRegion *r = resolve_ram(mr, &off);
    return r ? r->dirty_log : 0;
}

void memory_region_set_dirty(MemoryRegion *mr, hwaddr offset, uint64_t len)
{
    MemoryRegion *r = dirty_target(mr, 0, &offset);
    if (offset < r->size)
        memory_ram_mark_dirty(r->ram->offset + offset, len);
}

bool memory_region_get_dirty(MemoryRegion *mr, unsigned client, hwaddr offset, uint64_t len)
{
    MemoryRegion *r = dirty_target(mr, client, &offset);
    uint64_t first, n;
    if (offset >= r->size || !ram_pages(r->ram->offset + offset, len, &first, &n))
        return false;
    for (uint64_t p = first; p < first + n; p++)
        if (bit_test(r->ram->dirty[client], p))
            return true;
    return false;
}

uint64_t memory_dirty_get_and_clear(MemoryRegion *mr, unsigned client, hwaddr offset,
                                    uint64_t len, uint64_t *bitmap)
{
    MemoryRegion *r = dirty_target(mr, client, &offset);
    uint64_t first, n, count = 0;
    if (offset >= r->size || !ram_pages(r->ram->offset + offset, len, &first, &n))
        return 0;
    uint64_t *d = r->ram->dirty[client];
    if (bitmap)
        memset(bitmap, 0, (size_t)((n + 63) / 64) * sizeof(uint64_t));
    for (uint64_t i = 0; i < n; i++) {
        uint64_t p = first + i;
        if (!(p % 64) && !d[p / 64] && n - i >= 64) {
            i += 63; /* a clean word */
            continue;
        }
        if (bit_test(d, p)) {
            d[p / 64] &= ~((uint64_t)1 << (p % 64));
            count++;
            if (bitmap)
                bitmap[i / 64] |= (uint64_t)1 << (i % 64);
        }
    }
    if (count && mem.clear_fn)
        mem.clear_fn(mem.clear_opaque, r->ram->offset + (first << MEMORY_PAGE_BITS),
                     n << MEMORY_PAGE_BITS);
    return count;
}

/* ---- flattening -------------------------------------------------------- */

/* Insert [lo, hi] -> (mr, off) into the holes of fv (sorted, disjoint). */
static void fv_insert(FlatView *fv, hwaddr lo, hwaddr hi, MemoryRegion *mr, hwaddr off, bool ro)
{
    unsigned a = 0, b = fv->n;
    while (a < b) { /* first section whose last byte is >= lo */
        unsigned mid = (a + b) / 2;
        if (fv->s[mid].start + (fv->s[mid].size - 1) < lo)
            a = mid + 1;
        else
            b = mid;
    }
    unsigned i = a;
    hwaddr cur = lo;
    for (;;) {
        if (i < fv->n && fv->s[i].start <= cur) {
            hwaddr last = fv->s[i].start + (fv->s[i].size - 1);
            if (last >= hi)
                return;
            cur = last + 1;
            i++;
            continue;
        }
        hwaddr end = hi;
        if (i < fv->n && fv->s[i].start - 1 < end)
            end = fv->s[i].start - 1;
        if (fv->n == fv->cap) {
            fv->cap = fv->cap ? fv->cap * 2 : 16;
            fv->s = xrealloc(fv->s, fv->cap * sizeof(*fv->s));
        }
        memmove(&fv->s[i + 1], &fv->s[i], (fv->n - i) * sizeof(*fv->s));
        fv->s[i] = (MemSection){ .start = cur, .size = end - cur + 1, .mr = mr,
                                 .offset = off + (cur - lo), .readonly = ro,
                                 .dirty_log = mr->dirty_log };
        fv->n++;
        i++;
        if (end >= hi)
            return;
        cur = end + 1;
    }
}

/*
 * Paint mr into fv: absolute [lo, hi] shows mr from offset off on. Higher
 * priority is painted first; later painting only fills holes.
 */
static void render(FlatView *fv, MemoryRegion *mr, hwaddr lo, hwaddr hi, hwaddr off, bool ro,
                   int depth)
{
    if (!mr->enabled || off > mr->size - 1)
        return;
    if (depth > MAX_DEPTH)
        pemu_abort("memory region '%s' nests deeper than %d levels (an alias cycle?)",
                   mr->name, MAX_DEPTH);
    if (hi - lo > mr->size - 1 - off)
        hi = lo + (mr->size - 1 - off);
    ro |= mr->readonly;
    switch (mr->kind) {
    case MR_ALIAS:
        if (mr->alias_offset <= UINT64_MAX - off)
            render(fv, mr->alias, lo, hi, off + mr->alias_offset, ro, depth + 1);
        break;
    case MR_CONTAINER: {
        hwaddr olast = off + (hi - lo);
        for (unsigned i = 0; i < mr->nsubs; i++) {
            MemoryRegion *sub = mr->subs[i];
            hwaddr s_lo = sub->addr > off ? sub->addr : off;
            hwaddr sub_last = range_last(sub->addr, sub->size);
            hwaddr s_hi = sub_last < olast ? sub_last : olast;
            if (s_lo > s_hi)
                continue;
            render(fv, sub, lo + (s_lo - off), lo + (s_hi - off), s_lo - sub->addr, ro,
                   depth + 1);
        }
        break;
    }
    case MR_ROM:
        ro = true;
        /* fall through */
    case MR_RAM:
    case MR_MMIO:
        fv_insert(fv, lo, hi, mr, off, ro);
        break;
    }
}

static bool section_eq(const MemSection *a, const MemSection *b)
{
    return a->start == b->start && a->size == b->size && a->mr == b->mr &&
           a->offset == b->offset && a->readonly == b->readonly && a->dirty_log == b->dirty_log;
}

/* Join neighbours that continue the same region with the same attributes. */
static void fv_merge(FlatView *fv)
{
    unsigned j = 0;
    for (unsigned i = 0; i < fv->n; i++) {
        MemSection *p = j ? &fv->s[j - 1] : NULL, *s = &fv->s[i];
        if (p && p->start + p->size == s->start && p->mr == s->mr &&
            p->offset + p->size == s->offset && p->readonly == s->readonly &&
            p->dirty_log == s->dirty_log)
            p->size += s->size;
        else
            fv->s[j++] = *s;
    }
    fv->n = j;
}

/* Is s (from one view) present, identical, in view v? Both sorted. */
static bool fv_has(const FlatView *v, const MemSection *s)
{
    unsigned a = 0, b = v->n;
    while (a < b) {
        unsigned mid = (a + b) / 2;
        if (v->s[mid].start < s->start)
            a = mid + 1;
        else
            b = mid;
    }
    return a < v->n && section_eq(&v->s[a], s);
}

static void listener_diff(MemoryListener *l, const FlatView *old, const FlatView *nv)
{
    if (l->begin)
        l->begin(l);
    for (unsigned i = 0; i < old->n; i++)
        if (l->region_del && !fv_has(nv, &old->s[i]))
            l->region_del(l, &old->s[i]);
    for (unsigned i = 0; i < nv->n; i++)
        if (l->region_add && !fv_has(old, &nv->s[i]))
            l->region_add(l, &nv->s[i]);
    if (l->commit)
        l->commit(l);
}

static void as_update(AddressSpace *as)
{
    FlatView nv = { 0 };
    render(&nv, as->root, 0, as->root->size - 1, 0, false, 0);
    fv_merge(&nv);
    bool same = nv.n == as->fv.n;
    for (unsigned i = 0; same && i < nv.n; i++)
        same = section_eq(&nv.s[i], &as->fv.s[i]);
    if (!same)
        for (MemoryListener *l = as->listeners; l; l = l->next)
            listener_diff(l, &as->fv, &nv);
    free(as->fv.s);
    as->fv = nv;
    as->last = 0;
}

/* ---- address spaces ---------------------------------------------------- */

AddressSpace *address_space_new(const char *name, MemoryRegion *root)
{
    AddressSpace *as = xrealloc(NULL, sizeof(*as));
    memset(as, 0, sizeof(*as));
    as->name = xstrdup(name);
    as->root = root;
    AddressSpace **pp = &mem.spaces;
    while (*pp)
        pp = &(*pp)->next;
    *pp = as;
    as_update(as);
    return as;
}

void address_space_free(AddressSpace *as)
{
    if (!as)
        return;
    for (AddressSpace **pp = &mem.spaces; *pp; pp = &(*pp)->next) {
        if (*pp == as) {
            *pp = as->next;
            break;
        }
    }
    for (MemoryListener *l = as->listeners; l; l = l->next)
        l->as = NULL;
    free(as->fv.s);
    free(as->name);
    free(as);
}

MemoryRegion *address_space_root(const AddressSpace *as) { return as->root; }
const char *address_space_name(const AddressSpace *as) { return as->name; }

const MemSection *address_space_sections(const AddressSpace *as, unsigned *count)
{
    *count = as->fv.n;
    return as->fv.s;
}

void memory_listener_register(MemoryListener *l, AddressSpace *as)
{
    FlatView empty = { 0 };
    l->as = as;
    l->next = NULL;
    MemoryListener **pp = &as->listeners;
    while (*pp)
        pp = &(*pp)->next;
    *pp = l;
    listener_diff(l, &empty, &as->fv);
}

void memory_listener_unregister(MemoryListener *l)
{
    if (!l->as)
        return;
    for (MemoryListener **pp = &l->as->listeners; *pp; pp = &(*pp)->next) {
        if (*pp == l) {
            *pp = l->next;
            break;
        }
    }
    l->as = NULL;
}

MemoryRegion *address_space_translate(AddressSpace *as, hwaddr addr, MemXlat *x)
{
    const FlatView *fv = &as->fv;
    const MemSection *s;
    unsigned i = as->last;

    if (!(i < fv->n && addr - fv->s[i].start < fv->s[i].size)) {
        unsigned a = 0, b = fv->n; /* a = number of sections starting <= addr */
        while (a < b) {
            unsigned mid = (a + b) / 2;
            if (fv->s[mid].start <= addr)
                a = mid + 1;
            else
                b = mid;
        }
        if (!a || addr - fv->s[a - 1].start >= fv->s[a - 1].size) {
            x->mr = NULL;
            x->offset = 0;
            x->len = a < fv->n ? fv->s[a].start - addr : (addr ? 0 - addr : UINT64_MAX);
            x->host = NULL;
            x->ram_addr = RAM_ADDR_INVALID;
            x->readonly = true;
            return NULL;
        }
        i = as->last = a - 1;
    }
    s = &fv->s[i];
    x->mr = s->mr;
    x->offset = s->offset + (addr - s->start);
    x->len = s->size - (addr - s->start);
    x->readonly = s->readonly;
    if (s->mr->ram) {
        x->host = s->mr->ram->host + x->offset;
        x->ram_addr = s->mr->ram->offset + x->offset;
    } else {
        x->host = NULL;
        x->ram_addr = RAM_ADDR_INVALID;
    }
    return x->mr;
}

/* ---- MMIO dispatch ----------------------------------------------------- */

static uint64_t ops_read(MemoryRegion *mr, hwaddr a, unsigned w)
{
    return mr->ops->read ? mr->ops->read(mr->opaque, a, w) & ones(w) : ones(w);
}

static void ops_write(MemoryRegion *mr, hwaddr a, uint64_t v, unsigned w)
{
    if (mr->ops->write)
        mr->ops->write(mr->opaque, a, v & ones(w), w);
}

static bool access_valid(MemoryRegion *mr, hwaddr off, unsigned size, bool write,
                         unsigned *imin, unsigned *imax)
{
    unsigned vmin, vmax;
    if (mr->kind != MR_MMIO)
        return false;
    ops_limits(mr->ops, &vmin, &vmax, imin, imax);
    if (is_access_size(size) && size >= vmin && size <= vmax)
        return true;
    if (log_enabled(LOG_GUEST_ERRORS))
        log_printf("memory: invalid %u-byte %s at offset 0x%" PRIx64 " of '%s' "
                   "(valid sizes %u..%u): %s\n", size, write ? "write" : "read", off,
                   mr->name, vmin, vmax, write ? "ignored" : "reads all ones");
    return false;
}

/*
 * The piece of an access at a (with rem bytes left) that one callback can
 * serve: the widest naturally aligned impl size. Returns its width; when
 * that is below imin, *chunk is the enclosing imin-aligned access and the
 * return value the number of bytes of it that belong to this access.
 */
static unsigned piece(hwaddr a, unsigned rem, unsigned imin, unsigned imax, hwaddr *chunk)
{
    unsigned w = imax;
    while (w > rem || (a & (w - 1)))
        w >>= 1;
    if (w >= imin) {
        *chunk = a;
        return w;
    }
    *chunk = a & ~(hwaddr)(imin - 1);
    unsigned n = imin - (unsigned)(a - *chunk);
    return n < rem ? n : rem;
}

uint64_t memory_region_dispatch_read(MemoryRegion *mr, hwaddr off, unsigned size)
{
    unsigned imin, imax;
    if (!access_valid(mr, off, size, false, &imin, &imax))
        return ones(size);
    uint64_t val = 0;
    for (unsigned pos = 0; pos < size;) {
        hwaddr a = off + pos, c;
        unsigned n = piece(a, size - pos, imin, imax, &c);
        uint64_t v;
        if (c == a && n >= imin)
            v = ops_read(mr, a, n);
        else
            v = ops_read(mr, c, imin) >> (8 * (a - c));
        val |= (v & ones(n)) << (8 * pos);
        pos += n;
    }
    return val;
}

void memory_region_dispatch_write(MemoryRegion *mr, hwaddr off, uint64_t val, unsigned size)
{
    unsigned imin, imax;
    if (!access_valid(mr, off, size, true, &imin, &imax))
        return;
    for (unsigned pos = 0; pos < size;) {
        hwaddr a = off + pos, c;
        unsigned n = piece(a, size - pos, imin, imax, &c);
        uint64_t v = (val >> (8 * pos)) & ones(n);
        if (c == a && n >= imin) {
            ops_write(mr, a, v, n);
        } else {
            /* narrower than the device's smallest access: read-modify-write */
            unsigned sh = 8 * (unsigned)(a - c);
            uint64_t cur = ops_read(mr, c, imin);
            ops_write(mr, c, (cur & ~(ones(n) << sh)) | (v << sh), imin);
        }
        pos += n;
    }
}

/* ---- accessors --------------------------------------------------------- */

static uint64_t buf_ld_le(const uint8_t *b, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)b[i] << (8 * i);
    return v;
}

static void buf_st_le(uint8_t *b, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        b[i] = (uint8_t)(v >> (8 * i));
}

/* MMIO part of a byte-string access: widest aligned pieces valid allows. */
static void mmio_rw(MemoryRegion *mr, hwaddr off, uint8_t *buf, uint64_t len, bool write)
{
    unsigned vmin, vmax, imin, imax;
    ops_limits(mr->ops, &vmin, &vmax, &imin, &imax);
    while (len) {
        unsigned w = vmax;
        while (w > len || (off & (w - 1)))
            w >>= 1;
        if (write)
            memory_region_dispatch_write(mr, off, buf_ld_le(buf, w), w);
        else
            buf_st_le(buf, memory_region_dispatch_read(mr, off, w), w);
        off += w, buf += w, len -= w;
    }
}

enum { ACC_READ, ACC_WRITE, ACC_WRITE_ROM };

static void as_rw(AddressSpace *as, hwaddr addr, uint8_t *buf, uint64_t len, int mode)
{
    while (len) {
        MemXlat x;
        address_space_translate(as, addr, &x);
        uint64_t l = len < x.len ? len : x.len;
        if (!x.mr) {
            if (mode == ACC_READ)
                memset(buf, 0xff, (size_t)l);
        } else if (x.host) {
            if (mode == ACC_READ) {
                memcpy(buf, x.host, (size_t)l);
            } else if (!x.readonly || mode == ACC_WRITE_ROM) {
                memcpy(x.host, buf, (size_t)l);
                memory_ram_write_notify(x.ram_addr, l);
            }
        } else if (mode == ACC_READ || (mode == ACC_WRITE && !x.readonly)) {
            mmio_rw(x.mr, x.offset, buf, l, mode == ACC_WRITE);
        }
        addr += l, buf += l, len -= l;
    }
}

void address_space_read(AddressSpace *as, hwaddr addr, void *buf, uint64_t len)
{
    as_rw(as, addr, buf, len, ACC_READ);
}

void address_space_write(AddressSpace *as, hwaddr addr, const void *buf, uint64_t len)
{
    as_rw(as, addr, (uint8_t *)buf, len, ACC_WRITE);
}

void address_space_write_rom(AddressSpace *as, hwaddr addr, const void *buf, uint64_t len)
{
    as_rw(as, addr, (uint8_t *)buf, len, ACC_WRITE_ROM);
}

static void check_value_size(unsigned size)
{
    if (!is_access_size(size))
        pemu_abort("memory: %u-byte value access (must be 1, 2, 4 or 8)", size);
}

uint64_t address_space_ld_le(AddressSpace *as, hwaddr addr, unsigned size)
{
    MemXlat x;
    check_value_size(size);
    address_space_translate(as, addr, &x);
    if (x.len >= size) {
        if (x.host)
            return buf_ld_le(x.host, size);
        if (x.mr)
            return memory_region_dispatch_read(x.mr, x.offset, size);
        return ones(size);
    }
    uint8_t b[8];
    as_rw(as, addr, b, size, ACC_READ);
    return buf_ld_le(b, size);
}

void address_space_st_le(AddressSpace *as, hwaddr addr, uint64_t val, unsigned size)
{
    MemXlat x;
    check_value_size(size);
    address_space_translate(as, addr, &x);
    if (x.len >= size) {
        if (x.host) {
            if (!x.readonly) {
                buf_st_le(x.host, val, size);
                memory_ram_write_notify(x.ram_addr, size);
            }
        } else if (x.mr && !x.readonly) {
            memory_region_dispatch_write(x.mr, x.offset, val, size);
        }
        return;
    }
    uint8_t b[8];
    buf_st_le(b, val, size);
    as_rw(as, addr, b, size, ACC_WRITE);
}

uint8_t address_space_ldub(AddressSpace *as, hwaddr addr)
{
    return (uint8_t)address_space_ld_le(as, addr, 1);
}

uint16_t address_space_lduw_le(AddressSpace *as, hwaddr addr)
{
    return (uint16_t)address_space_ld_le(as, addr, 2);
}

uint32_t address_space_ldl_le(AddressSpace *as, hwaddr addr)
{
    return (uint32_t)address_space_ld_le(as, addr, 4);
}

uint64_t address_space_ldq_le(AddressSpace *as, hwaddr addr)
{
    return address_space_ld_le(as, addr, 8);
}

void address_space_stb(AddressSpace *as, hwaddr addr, uint8_t val)
{
    address_space_st_le(as, addr, val, 1);
}

void address_space_stw_le(AddressSpace *as, hwaddr addr, uint16_t val)
{
    address_space_st_le(as, addr, val, 2);
}

void address_space_stl_le(AddressSpace *as, hwaddr addr, uint32_t val)
{
    address_space_st_le(as, addr, val, 4);
}

void address_space_stq_le(AddressSpace *as, hwaddr addr, uint64_t val)
{
    address_space_st_le(as, addr, val, 8);
}

/* ---- diagnostics ------------------------------------------------------- */

static const char *kind_name(MemoryRegionKind k)
{
    static const char *const names[] = { "ram", "rom", "mmio", "alias", "container" };
    return names[k];
}

static int by_address(const void *pa, const void *pb)
{
    const MemoryRegion *a = *(MemoryRegion *const *)pa, *b = *(MemoryRegion *const *)pb;
    if (a->addr != b->addr)
        return a->addr < b->addr ? -1 : 1;
    return sub_before(a, b) ? -1 : 1;
}

static void mtree_print_mr(FILE *f, const MemoryRegion *mr, hwaddr base, int indent, int depth)
{
    fprintf(f, "%*s%016" PRIx64 "-%016" PRIx64 " (prio %d, %s%s): %s", indent, "", base,
            range_last(base, mr->size), mr->priority, kind_name(mr->kind),
            mr->readonly ? ", readonly" : "", mr->name);
    if (mr->kind == MR_ALIAS)
        fprintf(f, " @%s %016" PRIx64 "-%016" PRIx64, mr->alias->name, mr->alias_offset,
                range_last(mr->alias_offset, mr->size));
    if (mr->dirty_log)
        fprintf(f, " [dirty-log 0x%x]", mr->dirty_log);
    fprintf(f, "%s\n", mr->enabled ? "" : " [disabled]");
    if (!mr->nsubs || depth > MAX_DEPTH)
        return;
    MemoryRegion **v = xrealloc(NULL, mr->nsubs * sizeof(*v));
    memcpy(v, mr->subs, mr->nsubs * sizeof(*v));
    qsort(v, mr->nsubs, sizeof(*v), by_address);
    for (unsigned i = 0; i < mr->nsubs; i++)
        mtree_print_mr(f, v[i], base + v[i]->addr, indent + 2, depth + 1);
    free(v);
}

void memory_flatview_print(FILE *f, AddressSpace *as)
{
    fprintf(f, "flat view of '%s':\n", as->name);
    if (!as->fv.n)
        fprintf(f, "  (empty)\n");
    for (unsigned i = 0; i < as->fv.n; i++) {
        const MemSection *s = &as->fv.s[i];
        fprintf(f, "  %016" PRIx64 "-%016" PRIx64 " %-5s %s @%016" PRIx64 "%s", s->start,
                s->start + (s->size - 1), kind_name(s->mr->kind), s->mr->name, s->offset,
                s->readonly ? " [readonly]" : "");
        if (s->dirty_log)
            fprintf(f, " [dirty-log 0x%x]", s->dirty_log);
        fprintf(f, "\n");
    }
}

void memory_mtree_print(FILE *f, AddressSpace *as)
{
    fprintf(f, "address-space: %s\n", as->name);
    mtree_print_mr(f, as->root, 0, 2, 0);
    memory_flatview_print(f, as);
}

unsigned memory_ram_block_foreach(MemoryRamBlockFn *fn, void *opaque)
{
    unsigned n = 0;
    for (unsigned i = 0; i < mem.nblocks; i++) {
        RamBlock *b = mem.blocks[i];
        if (b->mr->kind != MR_RAM)
            continue;
        fn(opaque, b->mr->name, b->host, b->size, b->offset);
        n++;
    }
    return n;
}
