/*
 * Multiboot v1 loader (Multiboot Specification 0.6.96).
 *
 * Header (in the first 8192 bytes, 4-byte aligned), all little-endian u32:
 *   0 magic 0x1BADB002   4 flags   8 checksum (magic + flags + checksum = 0)
 *   if flags bit 16 (the "a.out kludge"): 12 header_addr 16 load_addr
 *   20 load_end_addr (0 = to the end of the file) 24 bss_end_addr (0 = none)
 *   28 entry_addr. Bit 16 wins over an ELF header, as the spec says.
 * Otherwise the file must be ELF32 (EM_386): PT_LOAD segments are loaded at
 * their physical addresses; an entry point given as a virtual address
 * inside a segment is translated to the physical one.
 *
 * Info structure handed over in EBX (offsets in bytes):
 *   0 flags  4 mem_lower  8 mem_upper (KiB; flag bit 0)  12 boot_device (bit 1)
 *   16 cmdline (bit 2)  20 mods_count  24 mods_addr (bit 3)
 *   44 mmap_length  48 mmap_addr (bit 6)  64 boot_loader_name (bit 9)
 * Module entries: mod_start, mod_end, string, reserved (16 bytes).
 * Memory map entries: size (20, not counting itself), base u64, length u64, type.
 *
 * Guest memory layout chosen here: the kernel where it asks to be, then the
 * modules page-aligned after it, then the info structure and its strings.
 */
#include "hw/multiboot.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MB_SEARCH 8192
#define MB_AOUT_KLUDGE (1u << 16)
#define MB_PAGE_ALIGN  (1u << 0)
#define MB_INFO_SIZE   88

enum {
    MBI_MEMORY = 1u << 0, MBI_BOOTDEV = 1u << 1, MBI_CMDLINE = 1u << 2,
    MBI_MODS = 1u << 3, MBI_MMAP = 1u << 6, MBI_LOADER = 1u << 9,
};

typedef struct Buf {
    uint8_t *data;
    size_t len;
} Buf;

static int read_file(const char *path, Buf *b, const char *what, Error **errp)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        error_setg(errp, "could not load %s '%s': %s", what, path, strerror(errno));
        return -1;
    }
    b->data = NULL;
    b->len = 0;
    size_t cap = 0;
    for (;;) {
        if (cap - b->len < 65536) {
            cap = cap ? cap * 2 : 1 << 20;
            uint8_t *n = realloc(b->data, cap);
            if (!n) {
                fclose(f);
                free(b->data);
                error_setg(errp, "could not load %s '%s': out of memory", what, path);
                return -1;
            }
            b->data = n;
        }
        size_t got = fread(b->data + b->len, 1, cap - b->len, f);
        b->len += got;
        if (got == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(b->data);
        error_setg(errp, "could not load %s '%s': read error", what, path);
        return -1;
    }
    return 0;
}

/* Offset of a valid Multiboot header, or -1. */
static long find_header(const Buf *b)
{
    size_t lim = b->len < MB_SEARCH ? b->len : MB_SEARCH;
    for (size_t off = 0; off + 12 <= lim; off += 4) {
        uint32_t magic = ld32_le(b->data + off), flags = ld32_le(b->data + off + 4);
        if (magic == MULTIBOOT_HEADER_MAGIC && magic + flags + ld32_le(b->data + off + 8) == 0)
            return (long)off;
    }
    return -1;
}

int multiboot_probe(const char *path, Error **errp)
{
    Buf b;
    if (read_file(path, &b, "kernel", errp) < 0)
        return -1;
    int r = find_header(&b) >= 0;
    free(b.data);
    return r;
}

/* Is [addr, addr+len) inside guest RAM (below ram_size)? */
static bool in_ram(uint64_t addr, uint64_t len, uint64_t ram_size)
{
    return addr <= ram_size && len <= ram_size - addr;
}

static int load_aout(AddressSpace *as, uint64_t ram_size, const char *path, const Buf *b,
                     long hdr, MultibootInfo *out, Error **errp)
{
    const uint8_t *h = b->data + hdr;
    if ((size_t)hdr + 32 > b->len) {
        error_setg(errp, "kernel '%s': Multiboot header truncated", path);
        return -1;
    }
    uint32_t header_addr = ld32_le(h + 12), load_addr = ld32_le(h + 16);
    uint32_t load_end = ld32_le(h + 20), bss_end = ld32_le(h + 24), entry = ld32_le(h + 28);

    if (load_addr > header_addr || header_addr - load_addr > (uint32_t)hdr) {
        error_setg(errp, "kernel '%s': Multiboot load_addr 0x%x is not before header_addr 0x%x "
                   "within the file", path, load_addr, header_addr);
        return -1;
    }
    uint64_t file_off = (uint64_t)hdr - (header_addr - load_addr);
    uint64_t size = load_end ? (uint64_t)load_end - load_addr : b->len - file_off;
    if (load_end && load_end < load_addr) {
        error_setg(errp, "kernel '%s': Multiboot load_end_addr 0x%x is below load_addr 0x%x",
                   path, load_end, load_addr);
        return -1;
    }
    if (file_off + size > b->len) {
        error_setg(errp, "kernel '%s': file is shorter than its Multiboot header says "
                   "(needs %llu bytes from offset %llu)", path, (unsigned long long)size,
                   (unsigned long long)file_off);
        return -1;
    }
    uint64_t end = bss_end && bss_end > load_addr + size ? bss_end : load_addr + size;
    if (!in_ram(load_addr, end - load_addr, ram_size)) {
        error_setg(errp, "kernel '%s': loads at 0x%x-0x%llx, outside the guest's %llu MiB of RAM",
                   path, load_addr, (unsigned long long)end, (unsigned long long)(ram_size >> 20));
        return -1;
    }
    if (entry < load_addr || entry >= end) {
        error_setg(errp, "kernel '%s': Multiboot entry 0x%x is outside the loaded image", path, entry);
        return -1;
    }
    address_space_write(as, load_addr, b->data + file_off, size);
    if (end > load_addr + size) {
        uint8_t *zero = calloc(1, (size_t)(end - load_addr - size));
        if (!zero)
            pemu_abort("out of memory");
        address_space_write(as, load_addr + size, zero, end - load_addr - size);
        free(zero);
    }
    out->entry = entry;
    out->load_start = load_addr;
    out->load_end = (uint32_t)end;
    return 0;
}

static int load_elf(AddressSpace *as, uint64_t ram_size, const char *path, const Buf *b,
                    MultibootInfo *out, Error **errp)
{
    const uint8_t *e = b->data;
    if (b->len < 52 || memcmp(e, "\x7f" "ELF", 4) != 0) {
        error_setg(errp, "kernel '%s': Multiboot header without the a.out kludge, and not an ELF file",
                   path);
        return -1;
    }
    if (e[4] == 2) {
        error_setg(errp, "kernel '%s': cannot load an x86-64 ELF as Multiboot; give a 32-bit one", path);
        return -1;
    }
    if (e[4] != 1 || e[5] != 1 || ld16_le(e + 18) != 3) {
        error_setg(errp, "kernel '%s': not a little-endian 32-bit i386 ELF file", path);
        return -1;
    }
    uint32_t entry = ld32_le(e + 24), phoff = ld32_le(e + 28);
    uint16_t phentsize = ld16_le(e + 42), phnum = ld16_le(e + 44);
    if (phentsize < 32 || phnum == 0 || phoff > b->len || (uint64_t)phnum * phentsize > b->len - phoff) {
        error_setg(errp, "kernel '%s': ELF program headers are missing or truncated", path);
        return -1;
    }
    uint64_t lo = UINT64_MAX, hi = 0;
    int entry_found = 0;
    uint32_t phys_entry = entry;
    for (unsigned i = 0; i < phnum; i++) {
        const uint8_t *ph = e + phoff + (size_t)i * phentsize;
        if (ld32_le(ph) != 1) /* PT_LOAD */
            continue;
        uint32_t off = ld32_le(ph + 4), vaddr = ld32_le(ph + 8), paddr = ld32_le(ph + 12);
        uint32_t filesz = ld32_le(ph + 16), memsz = ld32_le(ph + 20);
        if (filesz > memsz || off > b->len || filesz > b->len - off) {
            error_setg(errp, "kernel '%s': ELF segment %u lies outside the file", path, i);
            return -1;
        }
        if (!in_ram(paddr, memsz, ram_size)) {
            error_setg(errp, "kernel '%s': ELF segment %u at 0x%x-0x%llx is outside the guest's "
                       "%llu MiB of RAM", path, i, paddr, (unsigned long long)paddr + memsz,
                       (unsigned long long)(ram_size >> 20));
            return -1;
        }
        address_space_write(as, paddr, e + off, filesz);
        if (memsz > filesz) {
            uint8_t *zero = calloc(1, memsz - filesz);
            if (!zero)
                pemu_abort("out of memory");
            address_space_write(as, (uint64_t)paddr + filesz, zero, memsz - filesz);
            free(zero);
        }
        if (paddr < lo)
            lo = paddr;
        if ((uint64_t)paddr + memsz > hi)
            hi = (uint64_t)paddr + memsz;
        if (entry >= vaddr && entry - vaddr < memsz) {
            phys_entry = paddr + (entry - vaddr);
            entry_found = 1;
        }
    }
    if (lo == UINT64_MAX) {
        error_setg(errp, "kernel '%s': ELF file has no loadable segment", path);
        return -1;
    }
    if (!entry_found) {
        error_setg(errp, "kernel '%s': ELF entry 0x%x is in no loaded segment", path, entry);
        return -1;
    }
    out->entry = phys_entry;
    out->load_start = (uint32_t)lo;
    out->load_end = (uint32_t)hi;
    return 0;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}

/* Split "file args,file args" (",," = literal comma) into malloc'd items. */
static char **split_modules(const char *s, unsigned *count)
{
    char **items = NULL;
    unsigned n = 0;
    size_t len = strlen(s);
    char *cur = malloc(len + 1);
    size_t k = 0;
    if (!cur)
        pemu_abort("out of memory");
    for (size_t i = 0; i <= len; i++) {
        if (s[i] == ',' && s[i + 1] == ',') {
            cur[k++] = ',';
            i++;
        } else if (s[i] == ',' || s[i] == 0) {
            cur[k] = 0;
            char **ni = realloc(items, (n + 1) * sizeof(*items));
            char *dup = malloc(k + 1);
            if (!ni || !dup)
                pemu_abort("out of memory");
            memcpy(dup, cur, k + 1);
            items = ni;
            items[n++] = dup;
            k = 0;
        } else {
            cur[k++] = s[i];
        }
    }
    free(cur);
    *count = n;
    return items;
}

int multiboot_load(AddressSpace *as, uint64_t ram_size, const char *path, const char *cmdline,
                   const char *initrd, const MultibootRange *map, unsigned nmap,
                   MultibootInfo *out, Error **errp)
{
    Buf b;
    int ret = -1;
    char **mods = NULL;
    unsigned nmods = 0;

    memset(out, 0, sizeof(*out));
    if (ram_size > 0xffffffffull)
        ram_size = 0x100000000ull; /* Multiboot addresses are 32-bit */
    if (read_file(path, &b, "kernel", errp) < 0)
        return -1;
    long hdr = find_header(&b);
    if (hdr < 0) {
        error_setg(errp, "kernel '%s': no Multiboot header in its first 8 KiB", path);
        goto done;
    }
    uint32_t flags = ld32_le(b.data + hdr + 4);
    if (flags & 0x0000fff8u) {
        /* bits 3..15 are requirements this loader does not know (2, video, is ignored) */
        error_setg(errp, "kernel '%s': unsupported Multiboot flags 0x%x", path, flags);
        goto done;
    }
    if ((flags & MB_AOUT_KLUDGE ? load_aout(as, ram_size, path, &b, hdr, out, errp)
                                : load_elf(as, ram_size, path, &b, out, errp)) < 0)
        goto done;

    /* Modules, page-aligned after the kernel. */
    uint64_t next = align_up(out->load_end, 4096);
    uint64_t *mod_range = NULL;
    if (initrd && *initrd) {
        mods = split_modules(initrd, &nmods);
        mod_range = calloc(nmods, 2 * sizeof(*mod_range));
        if (!mod_range)
            pemu_abort("out of memory");
        for (unsigned i = 0; i < nmods; i++) {
            char file[4096];
            const char *sp = strchr(mods[i], ' ');
            size_t fl = sp ? (size_t)(sp - mods[i]) : strlen(mods[i]);
            if (fl == 0 || fl >= sizeof(file)) {
                error_setg(errp, "-initrd: empty or overlong module name in '%s'", initrd);
                free(mod_range);
                goto done;
            }
            memcpy(file, mods[i], fl);
            file[fl] = 0;
            Buf m;
            if (read_file(file, &m, "module", errp) < 0) {
                free(mod_range);
                goto done;
            }
            if (!in_ram(next, m.len, ram_size)) {
                error_setg(errp, "module '%s' (%zu bytes) does not fit in the guest's RAM", file, m.len);
                free(m.data);
                free(mod_range);
                goto done;
            }
            address_space_write(as, next, m.data, m.len);
            mod_range[2 * i] = next;
            mod_range[2 * i + 1] = next + m.len;
            next = align_up(next + m.len, 4096);
            free(m.data);
        }
    }

    /* The info structure, then its tables and strings. */
    static const char loader_name[] = "pemu";
    size_t cl = strlen(cmdline) + 1;
    size_t strings = cl + sizeof(loader_name);
    for (unsigned i = 0; i < nmods; i++)
        strings += strlen(mods[i]) + 1;
    uint64_t info = next;
    uint64_t mods_addr = info + MB_INFO_SIZE;
    uint64_t mmap_addr = mods_addr + 16ull * nmods;
    uint64_t str_addr = mmap_addr + 24ull * nmap;
    uint64_t total = str_addr + strings - info;
    if (!in_ram(info, total, ram_size)) {
        error_setg(errp, "kernel '%s': no room in guest RAM for the Multiboot information", path);
        free(mod_range);
        goto done;
    }
    uint8_t *blk = calloc(1, (size_t)total);
    if (!blk)
        pemu_abort("out of memory");
    uint8_t *mbi = blk;
    uint32_t mflags = MBI_BOOTDEV | MBI_CMDLINE | MBI_MMAP | MBI_LOADER | (nmods ? MBI_MODS : 0);
    uint64_t lower = 0, upper = 0;
    for (unsigned i = 0; i < nmap; i++) {
        if (map[i].type != 1)
            continue;
        if (map[i].base == 0)
            lower = map[i].len;
        if (map[i].base == 0x100000)
            upper = map[i].len;
    }
    mflags |= MBI_MEMORY;
    st32_le(mbi + 4, (uint32_t)(lower >> 10));
    st32_le(mbi + 8, (uint32_t)((upper >> 10) > 0xffffffffu ? 0xffffffffu : upper >> 10));
    st32_le(mbi + 12, 0x8000ffffu); /* first BIOS hard disk, no partition */
    uint64_t sp = str_addr;
    memcpy(blk + (sp - info), cmdline, cl);
    st32_le(mbi + 16, (uint32_t)sp);
    sp += cl;
    for (unsigned i = 0; i < nmods; i++) {
        uint8_t *me = blk + (mods_addr - info) + 16 * i;
        size_t n = strlen(mods[i]) + 1;
        st32_le(me, (uint32_t)mod_range[2 * i]);
        st32_le(me + 4, (uint32_t)mod_range[2 * i + 1]);
        st32_le(me + 8, (uint32_t)sp);
        memcpy(blk + (sp - info), mods[i], n);
        sp += n;
    }
    st32_le(mbi + 20, nmods);
    st32_le(mbi + 24, nmods ? (uint32_t)mods_addr : 0);
    for (unsigned i = 0; i < nmap; i++) {
        uint8_t *me = blk + (mmap_addr - info) + 24 * i;
        st32_le(me, 20);
        st64_le(me + 4, map[i].base);
        st64_le(me + 12, map[i].len);
        st32_le(me + 20, map[i].type);
    }
    st32_le(mbi + 44, 24 * nmap);
    st32_le(mbi + 48, (uint32_t)mmap_addr);
    memcpy(blk + (sp - info), loader_name, sizeof(loader_name));
    st32_le(mbi + 64, (uint32_t)sp);
    st32_le(mbi, mflags);
    address_space_write(as, info, blk, total);
    free(blk);
    free(mod_range);
    out->info_addr = (uint32_t)info;
    ret = 0;
done:
    for (unsigned i = 0; i < nmods; i++)
        free(mods[i]);
    free(mods);
    free(b.data);
    return ret;
}
