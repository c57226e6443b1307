/*
 * Guest physical address spaces: memory regions, the flattened view the CPU
 * and KVM see, RAM blocks with dirty and code-page tracking.
 *
 * Model
 * -----
 * A MemoryRegion is one of
 *   RAM        host memory owned by the region (a RamBlock), read/write;
 *   ROM        the same, but guest writes are ignored (the host writes it
 *              through memory_region_get_ram_ptr or address_space_write_rom);
 *   MMIO       accesses call a device's MemOps with the offset in the region;
 *   ALIAS      a window of `size` bytes onto another region starting at
 *              `alias_offset` in it (PAM shadow segments, the PCI hole, the
 *              BIOS mapped both below 1 MiB and below 4 GiB);
 *   CONTAINER  holds subregions at offsets; bytes no subregion covers are
 *              unassigned (they fall through to what lies below the
 *              container in its own parent).
 * Every region has a name, a size, an enabled flag (a disabled region is
 * transparent: what lies below shows through), a readonly flag (writes
 * through it are ignored: RAM used as ROM, PAM read-only mode; it applies
 * to everything seen through a readonly alias or container) and an owner
 * (an opaque device pointer, for diagnostics).
 *
 * Overlaps among siblings are resolved by priority: higher wins. Between
 * siblings of equal priority the one added most recently
 * (memory_region_add_subregion) wins; moving, enabling or re-flagging a
 * region does not change that order. A container competes with its
 * siblings only where its subregions map something: its holes are
 * transparent, as if its subregions were mapped in its place with its
 * priority (a PCI window over RAM shows RAM between the BARs).
 *
 * Every mapping change (add/del subregion, set address, enable, alias
 * offset, readonly, dirty logging) is recorded, and when the outermost
 * memory_transaction_commit() runs (each mutator is its own transaction if
 * none is open) every AddressSpace rebuilds its FlatView: a sorted array of
 * non-overlapping MemSections, each a piece of one RAM/ROM/MMIO region.
 * Adjacent pieces of the same region at consecutive offsets with the same
 * attributes are merged, so a view is canonical. Then the listeners of each
 * AddressSpace whose view changed see begin, region_del for every old
 * section not in the new view, region_add for every new section not in the
 * old one, commit. A section whose attributes changed (readonly, dirty
 * logging) is reported as a del followed by an add.
 *
 * Lookups (address_space_translate) binary-search the flat view, with a
 * last-hit cache per address space that every rebuild resets.
 *
 * RAM addresses
 * -------------
 * Each RAM/ROM region owns a RamBlock placed in one global "RAM address"
 * space (ram_addr_t): a block's bytes have ram addresses [offset,
 * offset+size) that are unique for the life of the process and independent
 * of where (or how many times, through aliases) the block is mapped. Dirty
 * bitmaps and code-page bits are indexed by RAM address at 4 KiB guest-page
 * granularity, so that a write through any alias is seen by everyone.
 *
 * Threads: the whole module assumes one thread at a time (the machine
 * lock). Listener callbacks and notifiers must not change the memory map.
 * Guest RAM is little-endian on every host: use the ld/st helpers.
 */
#ifndef PEMU_MEMORY_H
#define PEMU_MEMORY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "src/error.h"

typedef uint64_t hwaddr;     /* guest physical address / offset in a region */
typedef uint64_t ram_addr_t; /* address in the global RAM-block space */

#define MEMORY_PAGE_BITS 12 /* dirty and code tracking granularity */
#define MEMORY_PAGE_SIZE ((uint64_t)1 << MEMORY_PAGE_BITS)

/*
 * A device's access callbacks, shared by MMIO regions and I/O ports.
 * Sizes are 1, 2, 4 or 8 bytes; 0 means the default.
 *   valid: the access sizes the bus accepts (default 1..8). An access of
 *          another size is ignored: reads return all ones, writes are
 *          dropped, and it is logged under -d guest_errors.
 *   impl:  the sizes the callbacks implement (default min 1, max
 *          min(4, valid.max)). The core splits a wider access into
 *          little-endian pieces, and serves a narrower one from an impl.min
 *          access (a narrow write is a read-modify-write), as PC devices on
 *          a byte-lane bus behave.
 * The callbacks only ever see naturally aligned accesses of an impl size:
 * unaligned accesses are split into aligned pieces. read == NULL reads all
 * ones, write == NULL ignores writes. A read returns the value in the low
 * `size` bytes; higher bits are ignored.
 */
typedef struct MemOps {
    uint64_t (*read)(void *opaque, hwaddr off, unsigned size);
    void (*write)(void *opaque, hwaddr off, uint64_t val, unsigned size);
    struct { unsigned min_access, max_access; } valid;
    struct { unsigned min_access, max_access; } impl;
} MemOps;

typedef enum MemoryRegionKind {
    MR_RAM,
    MR_ROM,
    MR_MMIO,
    MR_ALIAS,
    MR_CONTAINER,
} MemoryRegionKind;

typedef struct MemoryRegion MemoryRegion;
typedef struct AddressSpace AddressSpace;

/* ---- regions ----------------------------------------------------------- */

/*
 * Constructors. Names are copied. Sizes are 1..UINT64_MAX bytes. RAM and ROM
 * are zeroed and aligned to 64 KiB on the host (any host page size, KVM
 * slots); they return NULL with *errp set when the host cannot provide the
 * memory (the message names the region and the size).
 */
MemoryRegion *memory_region_new_container(const char *name, uint64_t size, void *owner);
MemoryRegion *memory_region_new_ram(const char *name, uint64_t size, void *owner, Error **errp);
MemoryRegion *memory_region_new_rom(const char *name, uint64_t size, void *owner, Error **errp);
MemoryRegion *memory_region_new_mmio(const char *name, uint64_t size, const MemOps *ops,
                                     void *opaque, void *owner);
/* A window of `size` bytes onto `target` from `offset` (clipped to target). */
MemoryRegion *memory_region_new_alias(const char *name, uint64_t size, MemoryRegion *target,
                                      hwaddr offset, void *owner);
/*
 * Free a region: it is first removed from its parent; its subregions are
 * detached (not freed). Inside a transaction the memory is released at the
 * outermost commit, after listeners saw the region's sections go. Freeing
 * a region that an alias still targets or that is the root of an
 * AddressSpace is a programming error (abort).
 */
void memory_region_free(MemoryRegion *mr);

/*
 * Map `sub` at `offset` in container `parent`, with `priority` among its
 * siblings (higher wins; equal: the latest added wins). A region has at
 * most one parent.
 */
void memory_region_add_subregion(MemoryRegion *parent, hwaddr offset, MemoryRegion *sub,
                                 int priority);
void memory_region_del_subregion(MemoryRegion *parent, MemoryRegion *sub);
/* Move within the parent (PCI BARs). */
void memory_region_set_address(MemoryRegion *mr, hwaddr offset);
void memory_region_set_enabled(MemoryRegion *mr, bool enabled);
void memory_region_set_alias_offset(MemoryRegion *mr, hwaddr offset);
void memory_region_set_readonly(MemoryRegion *mr, bool readonly);

const char *memory_region_name(const MemoryRegion *mr);
MemoryRegionKind memory_region_kind(const MemoryRegion *mr);
uint64_t memory_region_size(const MemoryRegion *mr);
hwaddr memory_region_address(const MemoryRegion *mr); /* offset in its parent */
bool memory_region_enabled(const MemoryRegion *mr);
void *memory_region_owner(const MemoryRegion *mr);
/*
 * RAM/ROM host memory and RAM address (an alias resolves to its target at
 * the alias offset). NULL / RAM_ADDR_INVALID for other kinds. Host writes
 * through this pointer are not tracked: follow them with
 * memory_region_set_dirty (e.g. VGA planar writes into VRAM).
 */
#define RAM_ADDR_INVALID UINT64_MAX
uint8_t *memory_region_get_ram_ptr(const MemoryRegion *mr);
ram_addr_t memory_region_ram_addr(const MemoryRegion *mr);

/* Group mapping changes so that views are rebuilt once. Nests. */
void memory_transaction_begin(void);
void memory_transaction_commit(void);

/* ---- address spaces ---------------------------------------------------- */

/* `root` (usually a container) is mapped at address 0. */
AddressSpace *address_space_new(const char *name, MemoryRegion *root);
void address_space_free(AddressSpace *as);
MemoryRegion *address_space_root(const AddressSpace *as);
const char *address_space_name(const AddressSpace *as);

/* One piece of a flat view: [start, start+size) maps to mr at offset. */
typedef struct MemSection {
    hwaddr start;
    uint64_t size;
    MemoryRegion *mr;    /* a RAM, ROM or MMIO region */
    hwaddr offset;       /* offset in mr of `start` */
    bool readonly;       /* ROM, or seen through a readonly region */
    uint8_t dirty_log;   /* 1 << client for each client logging mr */
} MemSection;

/* The sections of the current view (valid until the next change). */
const MemSection *address_space_sections(const AddressSpace *as, unsigned *count);

/*
 * What a guest physical address maps to, for the softmmu TLB refill and
 * every slow path.
 */
typedef struct MemXlat {
    MemoryRegion *mr; /* NULL: unassigned (reads all ones, writes ignored) */
    hwaddr offset;    /* offset of addr in mr */
    uint64_t len;     /* bytes from addr to the end of this section or gap
                         (UINT64_MAX when that would be 2^64) */
    uint8_t *host;    /* RAM/ROM: host pointer for addr, else NULL */
    ram_addr_t ram_addr; /* RAM/ROM: RAM address of addr, else RAM_ADDR_INVALID */
    bool readonly;    /* guest writes are ignored */
} MemXlat;

/* Fills *x and returns x->mr. */
MemoryRegion *address_space_translate(AddressSpace *as, hwaddr addr, MemXlat *x);

/*
 * Byte-string accessors for DMA, loaders and the monitor. They split at
 * section boundaries; MMIO is accessed in the widest naturally aligned
 * pieces its valid sizes allow. Writes to RAM mark every dirty client and
 * call the code-write notifier for code pages; writes to ROM, readonly or
 * unassigned space are ignored; unassigned reads give 0xff bytes.
 */
void address_space_read(AddressSpace *as, hwaddr addr, void *buf, uint64_t len);
void address_space_write(AddressSpace *as, hwaddr addr, const void *buf, uint64_t len);
/* Like write, but also stores into ROM and readonly RAM (firmware loading). */
void address_space_write_rom(AddressSpace *as, hwaddr addr, const void *buf, uint64_t len);

/*
 * Single values. An access inside one MMIO section is one device access of
 * that size (split/merged per the ops); one that straddles sections goes
 * byte-string wise through address_space_read/write.
 */
uint64_t address_space_ld_le(AddressSpace *as, hwaddr addr, unsigned size); /* 1/2/4/8 */
void address_space_st_le(AddressSpace *as, hwaddr addr, uint64_t val, unsigned size);
uint8_t address_space_ldub(AddressSpace *as, hwaddr addr);
uint16_t address_space_lduw_le(AddressSpace *as, hwaddr addr);
uint32_t address_space_ldl_le(AddressSpace *as, hwaddr addr);
uint64_t address_space_ldq_le(AddressSpace *as, hwaddr addr);
void address_space_stb(AddressSpace *as, hwaddr addr, uint8_t val);
void address_space_stw_le(AddressSpace *as, hwaddr addr, uint16_t val);
void address_space_stl_le(AddressSpace *as, hwaddr addr, uint32_t val);
void address_space_stq_le(AddressSpace *as, hwaddr addr, uint64_t val);

/*
 * One device access of `size` (1/2/4/8) bytes at `off` in MMIO region mr,
 * with the valid check and impl split/merge described at MemOps. For the
 * softmmu's MMIO slow path (offset from MemXlat). Non-MMIO regions: reads
 * give all ones, writes are ignored.
 */
uint64_t memory_region_dispatch_read(MemoryRegion *mr, hwaddr off, unsigned size);
void memory_region_dispatch_write(MemoryRegion *mr, hwaddr off, uint64_t val, unsigned size);

/* ---- listeners --------------------------------------------------------- */

/*
 * Called after each commit that changed the view of the listener's address
 * space, in this order: begin, region_del (ascending), region_add
 * (ascending), commit. Sections are only valid during the call. Any callback
 * may be NULL. Registering replays the current view as region_adds (within
 * begin/commit); unregistering calls nothing.
 */
typedef struct MemoryListener MemoryListener;
struct MemoryListener {
    void (*begin)(MemoryListener *l);
    void (*region_add)(MemoryListener *l, const MemSection *s);
    void (*region_del)(MemoryListener *l, const MemSection *s);
    void (*commit)(MemoryListener *l);
    void *opaque;
    /* private */
    AddressSpace *as;
    MemoryListener *next;
};

void memory_listener_register(MemoryListener *l, AddressSpace *as);
void memory_listener_unregister(MemoryListener *l);

/* ---- dirty tracking ---------------------------------------------------- */

enum {
    MEMORY_DIRTY_VGA,       /* display refresh */
    MEMORY_DIRTY_MIGRATION, /* live migration / savevm passes */
    MEMORY_DIRTY_CODE,      /* translated-code consumers */
    MEMORY_DIRTY_NR,
};

/*
 * Every client's bitmap records every tracked write, whether or not the
 * client logs; logging (per region and client) says that someone reads
 * the bitmap, so that KVM and the softmmu must report writes to it. Starting
 * a log marks the whole region dirty (the first pass sees everything), and
 * a new RAM block starts dirty for every client.
 * Changing logging is a mapping change (sections carry dirty_log).
 * mr may be RAM, ROM or an alias of one.
 */
void memory_region_set_dirty_log(MemoryRegion *mr, unsigned client, bool on);
unsigned memory_region_dirty_log_mask(const MemoryRegion *mr);
/* Mark [offset, offset+len) of mr dirty for every client. */
void memory_region_set_dirty(MemoryRegion *mr, hwaddr offset, uint64_t len);
/* True if any page touching [offset, offset+len) is dirty for client. */
bool memory_region_get_dirty(MemoryRegion *mr, unsigned client, hwaddr offset, uint64_t len);
/*
 * Clear `client`'s dirty bits of the pages touching [offset, offset+len)
 * and return how many were dirty. If bitmap is non-NULL, bit i (of
 * bitmap[i / 64]) is set when page i of the range (counting from the page
 * holding `offset`) was dirty; the caller sizes it. Pages that became clean
 * are reported to the dirty-clear notifier.
 */
uint64_t memory_dirty_get_and_clear(MemoryRegion *mr, unsigned client, hwaddr offset,
                                    uint64_t len, uint64_t *bitmap);

/* Mark a RAM-address range dirty for every client (the CPU fast path). */
void memory_ram_mark_dirty(ram_addr_t addr, uint64_t len);
/* Mark dirty and call the code-write notifier for code pages in range. */
void memory_ram_write_notify(ram_addr_t addr, uint64_t len);
/*
 * True when a write to the RAM page holding `addr` must be reported
 * (memory_ram_write_notify): some logging client has the page clean, or it
 * holds translated code. A softmmu may map pages for which this is false
 * for direct writes, and drop such mappings when the dirty-clear notifier
 * or code_page_set says a page became watched.
 */
bool memory_ram_write_watched(ram_addr_t addr);
void memory_set_dirty_clear_notifier(void (*fn)(void *opaque, ram_addr_t addr, uint64_t len),
                                     void *opaque);

/* Host pointer -> RAM address; RAM_ADDR_INVALID if not guest RAM. */
ram_addr_t memory_ram_addr_from_host(const void *host);
/* RAM address -> host pointer; NULL if no block holds it. */
uint8_t *memory_ram_host(ram_addr_t addr);
/* Every RAM region's block (not ROM: firmware is loaded again from its
 * file), in creation order, for savevm; returns how many. */
typedef void MemoryRamBlockFn(void *opaque, const char *name, uint8_t *host, uint64_t size,
                              ram_addr_t addr);
unsigned memory_ram_block_foreach(MemoryRamBlockFn *fn, void *opaque);

/* ---- code pages (self-modifying code) ---------------------------------- */

/*
 * One bit per RAM page: "holds translated code". The TB cache sets it when
 * it translates from a page and clears it when the page holds no TBs any
 * more; the memory core never clears it itself. The notifier is called
 * after every write through address_space_write / the st helpers /
 * memory_ram_write_notify that touches a code page, once per code page
 * touched, with the RAM address (the page's one identity, whichever alias
 * it was written through) and length of the written part of that page.
 */
void memory_code_page_set(ram_addr_t addr);
void memory_code_page_clear(ram_addr_t addr);
bool memory_code_page_test(ram_addr_t addr);
void memory_set_code_write_notifier(void (*fn)(void *opaque, hwaddr ram_addr, unsigned len),
                                    void *opaque);

/* ---- diagnostics ------------------------------------------------------- */

/* The region tree (`info mtree`) followed by the flat view. */
void memory_mtree_print(FILE *f, AddressSpace *as);
void memory_flatview_print(FILE *f, AddressSpace *as);

#endif
