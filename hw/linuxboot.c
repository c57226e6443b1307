/*
 * Linux x86 boot protocol, versions 2.02 and later
 * (Documentation/arch/x86/boot.rst).
 *
 * A bzImage is a real-mode part of (setup_sects + 1) * 512 bytes (boot
 * sector + setup code, setup header at 0x1f1) followed by the
 * protected-mode kernel, which is loaded at 1 MiB (code32_start). The
 * loader fills type_of_loader, loadflags (CAN_USE_HEAP), heap_end_ptr,
 * cmd_line_ptr, ramdisk_image/size, and then either
 *  - (16-bit entry, through the BIOS) puts the real-mode part at X =
 *    0x10000 with its stack/heap up to X + 0xe000 and the command line at
 *    X + 0xe000, and jumps to (X >> 4) + 0x20 : 0 with DS = ES = FS = GS =
 *    SS = X >> 4 and SP = 0xe000; or
 *  - (32-bit entry, no BIOS) builds boot_params (the "zero page": setup
 *    header copied at 0x1f1, e820 table at 0x2d0, screen_info at 0) and
 *    jumps to code32_start in flat protected mode, CS = 0x10, DS = ES = SS
 *    = 0x18, ESI = boot_params, interrupts off; or (64-bit entry,
 *    XLF_KERNEL_64) to the load address + 0x200 in long mode with the
 *    loaded range identity-mapped, the same selectors and RSI.
 * The initrd goes as high as it can below initrd_addr_max and the end of
 * RAM, page-aligned.
 */
#include "hw/linuxboot.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ports/host.h"

bool linuxboot_is_bzimage(const uint8_t *img, size_t len)
{
    return len >= HDR_MAGIC + 4 && memcmp(img + HDR_MAGIC, "HdrS", 4) == 0;
}

int linuxboot_parse(const uint8_t *img, size_t len, const char *path, LinuxHeader *h,
                    Error **errp)
{
    memset(h, 0, sizeof(*h));
    if (len < 0x400 || ld16_le(img + HDR_BOOT_FLAG) != 0xaa55 || !linuxboot_is_bzimage(img, len)) {
        error_setg(errp, "-kernel %s: not a Linux kernel (no 0xAA55 boot flag and \"HdrS\" setup "
                   "header) and not a Multiboot kernel", path);
        return -1;
    }
    h->version = ld16_le(img + HDR_VERSION);
    if (h->version < LINUX_MIN_VERSION) {
        error_setg(errp, "-kernel %s: Linux boot protocol %u.%02u is too old (pemu needs 2.02 or "
                   "later, Linux 2.4 on)", path, h->version >> 8, h->version & 0xff);
        return -1;
    }
    h->loadflags = img[HDR_LOADFLAGS];
    if (!(h->loadflags & LINUX_LOADED_HIGH)) {
        error_setg(errp, "-kernel %s: a zImage (loaded at 0x10000); only bzImage kernels are "
                   "supported", path);
        return -1;
    }
    h->setup_sects = img[HDR_SETUP_SECTS];
    unsigned sects = h->setup_sects ? h->setup_sects : 4;
    h->setup_size = (sects + 1) * 512;
    /* The real-mode part, its heap and stack share 0xe000 bytes of one segment. */
    if (h->setup_size > 0x8000) {
        error_setg(errp, "-kernel %s: setup_sects %u is too large (at most 63: 32 KiB of real-mode "
                   "code)", path, h->setup_sects);
        return -1;
    }
    h->header_end = 0x202 + img[HDR_JUMP + 1];
    if (len <= h->setup_size || h->header_end > h->setup_size) {
        error_setg(errp, "-kernel %s: truncated (%zu bytes, the setup part alone is %u)", path, len,
                   h->setup_size);
        return -1;
    }
    h->kernel_size = (uint32_t)(len - h->setup_size);
    h->syssize = ld32_le(img + HDR_SYSSIZE);
    if ((uint64_t)h->syssize * 16 > (uint64_t)h->kernel_size + 15) {
        error_setg(errp, "-kernel %s: truncated (syssize says %llu bytes of kernel, the file has %u)",
                   path, (unsigned long long)h->syssize * 16, h->kernel_size);
        return -1;
    }
    h->code32_start = ld32_le(img + HDR_CODE32_START);
    h->initrd_addr_max = h->version >= 0x0203 ? ld32_le(img + HDR_INITRD_ADDR_MAX) : 0x37ffffff;
    if (h->version >= 0x0205) {
        h->kernel_alignment = ld32_le(img + HDR_KERNEL_ALIGN);
        h->relocatable = img[HDR_RELOCATABLE] != 0;
    }
    h->cmdline_size = h->version >= 0x0206 ? ld32_le(img + HDR_CMDLINE_SIZE) : 255;
    if (h->cmdline_size > LINUX_CMDLINE_MAX - 1)
        h->cmdline_size = LINUX_CMDLINE_MAX - 1;
    if (h->version >= 0x020a) {
        h->pref_address = ld64_le(img + HDR_PREF_ADDRESS);
        h->init_size = ld32_le(img + HDR_INIT_SIZE);
    } else {
        h->pref_address = LINUX_KERNEL_ADDR;
    }
    if (h->init_size < h->kernel_size)
        h->init_size = h->kernel_size;
    h->xloadflags = h->version >= 0x020c ? ld16_le(img + HDR_XLOADFLAGS) : 0;
    return 0;
}

/* ---- files ------------------------------------------------------------------------- */

#define FILE_MAX (1u << 30)

static uint8_t *load_file(const char *path, const char *what, size_t *len, Error **errp)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        error_setg(errp, "could not load %s '%s': %s", what, path, strerror(errno));
        return NULL;
    }
    uint8_t *data = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (cap - n < 65536) {
            if (cap >= FILE_MAX) {
                error_setg(errp, "%s '%s' is larger than 1 GiB", what, path);
                goto fail;
            }
            cap = cap ? cap * 2 : 1u << 20;
            uint8_t *p = realloc(data, cap);
            if (!p) {
                error_setg(errp, "could not load %s '%s': out of memory", what, path);
                goto fail;
            }
            data = p;
        }
        size_t got = fread(data + n, 1, cap - n, f);
        n += got;
        if (!got)
            break;
    }
    if (ferror(f)) {
        error_setg(errp, "could not load %s '%s': read error", what, path);
        goto fail;
    }
    fclose(f);
    *len = n;
    return data;
fail:
    fclose(f);
    free(data);
    return NULL;
}

int linuxboot_open(LinuxBoot *lb, const char *kernel, const char *initrd, const char *cmdline,
                   Error **errp)
{
    memset(lb, 0, sizeof(*lb));
    if (initrd) {
        /* "a,b" is a Multiboot module list; ",," is a literal comma. */
        for (const char *p = initrd; *p; p++) {
            if (p[0] == ',' && p[1] == ',') {
                p++;
            } else if (*p == ',') {
                error_setg(errp, "-initrd %s: several files are for Multiboot kernels; a Linux "
                           "kernel takes one initrd (concatenate cpio archives into one file)",
                           initrd);
                return -1;
            }
        }
    }
    lb->image = load_file(kernel, "kernel", &lb->image_len, errp);
    if (!lb->image)
        return -1;
    if (linuxboot_parse(lb->image, lb->image_len, kernel, &lb->h, errp) < 0)
        goto fail;
    cmdline = cmdline ? cmdline : "";
    if (strlen(cmdline) > lb->h.cmdline_size) {
        error_setg(errp, "-append: the command line has %zu bytes; kernel %s takes at most %u",
                   strlen(cmdline), kernel, lb->h.cmdline_size);
        goto fail;
    }
    lb->cmdline = strdup(cmdline);
    if (!lb->cmdline)
        pemu_abort("out of memory");
    if (initrd) {
        /* undo the ",," escaping */
        char *name = strdup(initrd), *w = name;
        if (!name)
            pemu_abort("out of memory");
        for (const char *p = initrd; *p; p++) {
            *w++ = *p;
            if (p[0] == ',' && p[1] == ',')
                p++;
        }
        *w = 0;
        lb->initrd = load_file(name, "initrd", &lb->initrd_len, errp);
        free(name);
        if (!lb->initrd)
            goto fail;
        if (lb->initrd_len == 0) {
            error_setg(errp, "-initrd %s: the file is empty", initrd);
            goto fail;
        }
    }
    return 0;
fail:
    linuxboot_close(lb);
    return -1;
}

void linuxboot_close(LinuxBoot *lb)
{
    free(lb->image);
    free(lb->initrd);
    free(lb->cmdline);
    memset(lb, 0, sizeof(*lb));
}

/* ---- the fields a loader fills ------------------------------------------------------ */

/* hdr points at offset 0 of the file / zero page (header fields at 0x1f1..). */
static void fill_loader_fields(const LinuxBoot *lb, uint8_t *hdr)
{
    hdr[HDR_TYPE_OF_LOADER] = LINUX_LOADER_TYPE;
    hdr[HDR_LOADFLAGS] = (uint8_t)(lb->h.loadflags | LINUX_CAN_USE_HEAP);
    st16_le(hdr + HDR_HEAP_END_PTR, LINUX_HEAP_END - 0x200);
    st32_le(hdr + HDR_CMD_LINE_PTR, LINUX_CMDLINE_ADDR);
    st32_le(hdr + HDR_RAMDISK_IMAGE, 0);
    st32_le(hdr + HDR_RAMDISK_SIZE, (uint32_t)lb->initrd_len);
}

void linuxboot_patched_setup(const LinuxBoot *lb, uint8_t *out)
{
    memcpy(out, lb->image, lb->h.setup_size);
    fill_loader_fields(lb, out);
}

/* ---- the option ROM ---------------------------------------------------------------- */

/*
 * 16-bit real-mode code, run from the ROM's shadow copy (CS = its segment,
 * offsets from 0). init (offset 3, called by SeaBIOS at POST) points
 * INT 19h at `boot`; SeaBIOS ends POST with INT 19h. boot copies setup,
 * kernel and command line to the addresses fw_cfg gives with DMA, finds
 * the top of RAM below 4 GiB with INT 15h E820, loads the initrd below it
 * and initrd_addr_max, writes ramdisk_image/size into the setup header and
 * enters setup. read32: ax = key -> eax = the item's first 4 bytes (port
 * I/O); load: edi = destination, ax = size key, bx = data key; dma: ax =
 * key, ecx = length, edi = destination. Scratch: 0:0x7c00 DMA descriptor,
 * 0:0x7c20 e820 entry, 0:0x7c40 top of RAM.
 */
static const uint8_t rom_code[] = {
    /* init: */
    0x1e,                                    /* 020 push ds */
    0x50,                                    /* 021 push ax */
    0x31, 0xc0,                              /* 022 xor ax, ax */
    0x8e, 0xd8,                              /* 024 mov ds, ax */
    0xc7, 0x06, 0x64, 0x00, 0x33, 0x00,      /* 026 mov word [0x64], boot: IVT[0x19].offset = boot */
    0x8c, 0x0e, 0x66, 0x00,                  /* 02c mov [0x66], cs: IVT[0x19].segment = this ROM */
    0x58,                                    /* 030 pop ax */
    0x1f,                                    /* 031 pop ds */
    0xcb,                                    /* 032 retf */
    /* boot: */
    0xfa,                                    /* 033 cli */
    0xfc,                                    /* 034 cld */
    0x31, 0xc0,                              /* 035 xor ax, ax */
    0x8e, 0xd8,                              /* 037 mov ds, ax */
    0x8e, 0xc0,                              /* 039 mov es, ax */
    0xb8, 0x16, 0x00,                        /* 03b mov ax, 0x16: FW_CFG_SETUP_ADDR */
    0xe8, 0xff, 0x00,                        /* 03e call read32 */
    0x66, 0x89, 0xc6,                        /* 041 mov esi, eax: esi = setup address, kept to the end */
    0x66, 0x89, 0xc7,                        /* 044 mov edi, eax */
    0xb8, 0x17, 0x00,                        /* 047 mov ax, 0x17: FW_CFG_SETUP_SIZE */
    0xbb, 0x18, 0x00,                        /* 04a mov bx, 0x18: FW_CFG_SETUP_DATA */
    0xe8, 0x00, 0x01,                        /* 04d call load */
    0xb8, 0x07, 0x00,                        /* 050 mov ax, 0x07: FW_CFG_KERNEL_ADDR */
    0xe8, 0xea, 0x00,                        /* 053 call read32 */
    0x66, 0x89, 0xc7,                        /* 056 mov edi, eax */
    0xb8, 0x08, 0x00,                        /* 059 mov ax, 0x08: FW_CFG_KERNEL_SIZE */
    0xbb, 0x11, 0x00,                        /* 05c mov bx, 0x11: FW_CFG_KERNEL_DATA */
    0xe8, 0xee, 0x00,                        /* 05f call load */
    0xb8, 0x13, 0x00,                        /* 062 mov ax, 0x13: FW_CFG_CMDLINE_ADDR */
    0xe8, 0xd8, 0x00,                        /* 065 call read32 */
    0x66, 0x89, 0xc7,                        /* 068 mov edi, eax */
    0xb8, 0x14, 0x00,                        /* 06b mov ax, 0x14: FW_CFG_CMDLINE_SIZE */
    0xbb, 0x15, 0x00,                        /* 06e mov bx, 0x15: FW_CFG_CMDLINE_DATA */
    0xe8, 0xdc, 0x00,                        /* 071 call load */
    0xb8, 0x0b, 0x00,                        /* 074 mov ax, 0x0b: FW_CFG_INITRD_SIZE */
    0xe8, 0xc6, 0x00,                        /* 077 call read32 */
    0x66, 0x85, 0xc0,                        /* 07a test eax, eax */
    0x0f, 0x84, 0xa4, 0x00,                  /* 07d jz go */
    0x66, 0x89, 0xc5,                        /* 081 mov ebp, eax: ebp = initrd size */
    0x66, 0xc7, 0x06, 0x40, 0x7c, 0x00, 0x00, 0x00, 0x00, /* 084 mov dword [0x7c40], 0: top of RAM found so far */
    0x66, 0x31, 0xdb,                        /* 08d xor ebx, ebx: e820 continuation = 0 */
    /* e820: */
    0x66, 0xb8, 0x20, 0xe8, 0x00, 0x00,      /* 090 mov eax, 0xe820 */
    0x66, 0xba, 0x50, 0x41, 0x4d, 0x53,      /* 096 mov edx, 0x534d4150: 'SMAP' */
    0x66, 0xb9, 0x14, 0x00, 0x00, 0x00,      /* 09c mov ecx, 20: entry size */
    0xbf, 0x20, 0x7c,                        /* 0a2 mov di, 0x7c20: es:di = entry buffer at 0:0x7c20 */
    0xcd, 0x15,                              /* 0a5 int 0x15 */
    0x72, 0x3b,                              /* 0a7 jc e820done */
    0x66, 0x3d, 0x50, 0x41, 0x4d, 0x53,      /* 0a9 cmp eax, 0x534d4150 */
    0x75, 0x33,                              /* 0af jne e820done */
    0x66, 0x83, 0x3e, 0x30, 0x7c, 0x01,      /* 0b1 cmp dword [0x7c30], 1: type 1 (RAM)? */
    0x75, 0x26,                              /* 0b7 jne next */
    0x66, 0x83, 0x3e, 0x24, 0x7c, 0x00,      /* 0b9 cmp dword [0x7c24], 0: base below 4 GiB? */
    0x75, 0x1e,                              /* 0bf jne next */
    0x66, 0x83, 0x3e, 0x2c, 0x7c, 0x00,      /* 0c1 cmp dword [0x7c2c], 0: length below 4 GiB? */
    0x75, 0x16,                              /* 0c7 jne next */
    0x66, 0xa1, 0x20, 0x7c,                  /* 0c9 mov eax, [0x7c20]: end = base + length */
    0x66, 0x03, 0x06, 0x28, 0x7c,            /* 0cd add eax, [0x7c28] */
    0x72, 0x0b,                              /* 0d2 jc next */
    0x66, 0x3b, 0x06, 0x40, 0x7c,            /* 0d4 cmp eax, [0x7c40] */
    0x76, 0x04,                              /* 0d9 jbe next */
    0x66, 0xa3, 0x40, 0x7c,                  /* 0db mov [0x7c40], eax */
    /* next: */
    0x66, 0x85, 0xdb,                        /* 0df test ebx, ebx */
    0x75, 0xac,                              /* 0e2 jnz e820 */
    /* e820done: */
    0x66, 0x89, 0xf0,                        /* 0e4 mov eax, esi */
    0x66, 0xc1, 0xe8, 0x04,                  /* 0e7 shr eax, 4 */
    0x8e, 0xe0,                              /* 0eb mov fs, ax */
    0x64, 0x66, 0xa1, 0x2c, 0x02,            /* 0ed mov eax, [fs:0x22c]: initrd_addr_max from the setup header */
    0x66, 0x8b, 0x16, 0x40, 0x7c,            /* 0f2 mov edx, [0x7c40]: edx = last byte of RAM */
    0x66, 0x4a,                              /* 0f7 dec edx */
    0x66, 0x39, 0xc2,                        /* 0f9 cmp edx, eax */
    0x76, 0x03,                              /* 0fc jbe below */
    0x66, 0x89, 0xc2,                        /* 0fe mov edx, eax: edx = min(that, initrd_addr_max) */
    /* below: */
    0x66, 0x29, 0xea,                        /* 101 sub edx, ebp: edx = (edx - size + 1) & ~0xfff: the initrd start */
    0x66, 0x42,                              /* 104 inc edx */
    0x66, 0x81, 0xe2, 0x00, 0xf0, 0xff, 0xff, /* 106 and edx, 0xfffff000 */
    0x64, 0x66, 0x89, 0x16, 0x18, 0x02,      /* 10d mov [fs:0x218], edx: ramdisk_image */
    0x64, 0x66, 0x89, 0x2e, 0x1c, 0x02,      /* 113 mov [fs:0x21c], ebp: ramdisk_size */
    0x66, 0x89, 0xd7,                        /* 119 mov edi, edx */
    0x66, 0x89, 0xe9,                        /* 11c mov ecx, ebp */
    0xb8, 0x12, 0x00,                        /* 11f mov ax, 0x12: FW_CFG_INITRD_DATA */
    0xe8, 0x33, 0x00,                        /* 122 call dma */
    /* go: */
    0x66, 0x89, 0xf0,                        /* 125 mov eax, esi */
    0x66, 0xc1, 0xe8, 0x04,                  /* 128 shr eax, 4 */
    0x8e, 0xd8,                              /* 12c mov ds, ax */
    0x8e, 0xc0,                              /* 12e mov es, ax */
    0x8e, 0xe0,                              /* 130 mov fs, ax */
    0x8e, 0xe8,                              /* 132 mov gs, ax */
    0x8e, 0xd0,                              /* 134 mov ss, ax: ss = ds = es = fs = gs = setup segment */
    0xbc, 0x00, 0xe0,                        /* 136 mov sp, 0xe000: sp = heap end */
    0x83, 0xc0, 0x20,                        /* 139 add ax, 0x20: cs = setup segment + 0x20, ip = 0 */
    0x50,                                    /* 13c push ax */
    0x6a, 0x00,                              /* 13d push word 0 */
    0xcb,                                    /* 13f retf */
    /* read32: */
    0xba, 0x10, 0x05,                        /* 140 mov dx, 0x510: fw_cfg selector port */
    0xef,                                    /* 143 out dx, ax */
    0x42,                                    /* 144 inc dx: data port, 0x511 */
    0xb9, 0x04, 0x00,                        /* 145 mov cx, 4 */
    /* r32l: */
    0xec,                                    /* 148 in al, dx: little-endian: first byte ends up lowest */
    0x66, 0xc1, 0xc8, 0x08,                  /* 149 ror eax, 8 */
    0xe2, 0xf9,                              /* 14d loop r32l */
    0xc3,                                    /* 14f ret */
    /* load: */
    0xe8, 0xed, 0xff,                        /* 150 call read32 */
    0x66, 0x89, 0xc1,                        /* 153 mov ecx, eax */
    0x89, 0xd8,                              /* 156 mov ax, bx */
    /* dma: */
    0x66, 0x0f, 0xb7, 0xc0,                  /* 158 movzx eax, ax: control = key << 16 | SELECT | READ, big-endian */
    0x66, 0xc1, 0xe0, 0x10,                  /* 15c shl eax, 16 */
    0x0c, 0x0a,                              /* 160 or al, 0x0a */
    0x66, 0x0f, 0xc8,                        /* 162 bswap eax */
    0x66, 0xa3, 0x00, 0x7c,                  /* 165 mov [0x7c00], eax: FWCfgDmaAccess at 0:0x7c00: control */
    0x66, 0x0f, 0xc9,                        /* 169 bswap ecx */
    0x66, 0x89, 0x0e, 0x04, 0x7c,            /* 16c mov [0x7c04], ecx: length */
    0x66, 0x31, 0xc0,                        /* 171 xor eax, eax */
    0x66, 0xa3, 0x08, 0x7c,                  /* 174 mov [0x7c08], eax: address, high half */
    0x66, 0x89, 0xf8,                        /* 178 mov eax, edi */
    0x66, 0x0f, 0xc8,                        /* 17b bswap eax */
    0x66, 0xa3, 0x0c, 0x7c,                  /* 17e mov [0x7c0c], eax: address, low half */
    0x66, 0x31, 0xc0,                        /* 182 xor eax, eax */
    0xba, 0x14, 0x05,                        /* 185 mov dx, 0x514: DMA address register, high half: 0 */
    0x66, 0xef,                              /* 188 out dx, eax */
    0x66, 0xb8, 0x00, 0x00, 0x7c, 0x00,      /* 18a mov eax, 0x007c0000: low half: 0x7c00 as big-endian bytes; starts the transfer */
    0xba, 0x18, 0x05,                        /* 190 mov dx, 0x518 */
    0x66, 0xef,                              /* 193 out dx, eax */
    /* dwait: */
    0x66, 0xa1, 0x00, 0x7c,                  /* 195 mov eax, [0x7c00]: done when control is 0 (or only the error bit) */
    0x66, 0xa9, 0xff, 0xff, 0xff, 0xfe,      /* 199 test eax, 0xfeffffff */
    0x75, 0xf4,                              /* 19f jnz dwait */
    0xc3,                                    /* 1a1 ret */
};

size_t linuxboot_option_rom(uint8_t *rom)
{
    memset(rom, 0, LINUXBOOT_ROM_SIZE);
    rom[0] = 0x55;                        /* option ROM signature */
    rom[1] = 0xaa;
    rom[2] = LINUXBOOT_ROM_SIZE / 512;    /* size in 512-byte blocks */
    rom[3] = 0xeb;                        /* 003 jmp short init (0x20) */
    rom[4] = 0x20 - 5;
    /* 0x18 (PCI data) and 0x1a (PnP header) stay 0: a legacy ISA-style ROM */
    _Static_assert(0x20 + sizeof(rom_code) < LINUXBOOT_ROM_SIZE, "option ROM too large");
    memcpy(rom + 0x20, rom_code, sizeof(rom_code));
    uint8_t sum = 0;
    for (size_t i = 0; i < LINUXBOOT_ROM_SIZE - 1; i++)
        sum = (uint8_t)(sum + rom[i]);
    rom[LINUXBOOT_ROM_SIZE - 1] = (uint8_t)-sum; /* all bytes sum to 0 mod 256 */
    return LINUXBOOT_ROM_SIZE;
}

/* ---- the SeaBIOS path --------------------------------------------------------------- */

int linuxboot_setup_fw_cfg(const LinuxBoot *lb, FWCfgState *fw, Error **errp)
{
    const LinuxHeader *h = &lb->h;
    uint8_t *setup = malloc(h->setup_size);
    if (!setup)
        pemu_abort("out of memory");
    linuxboot_patched_setup(lb, setup);
    fw_cfg_add_i32(fw, FW_CFG_SETUP_ADDR, LINUX_SETUP_ADDR);
    fw_cfg_add_i32(fw, FW_CFG_SETUP_SIZE, h->setup_size);
    fw_cfg_add_bytes(fw, FW_CFG_SETUP_DATA, setup, h->setup_size);
    free(setup);
    fw_cfg_add_i32(fw, FW_CFG_KERNEL_ADDR, LINUX_KERNEL_ADDR);
    fw_cfg_add_i32(fw, FW_CFG_KERNEL_SIZE, h->kernel_size);
    fw_cfg_add_bytes(fw, FW_CFG_KERNEL_DATA, lb->image + h->setup_size, h->kernel_size);
    fw_cfg_add_i32(fw, FW_CFG_CMDLINE_ADDR, LINUX_CMDLINE_ADDR);
    fw_cfg_add_i32(fw, FW_CFG_CMDLINE_SIZE, (uint32_t)strlen(lb->cmdline) + 1);
    fw_cfg_add_string(fw, FW_CFG_KERNEL_CMDLINE, lb->cmdline);
    fw_cfg_add_string(fw, FW_CFG_CMDLINE_DATA, lb->cmdline);
    fw_cfg_add_i32(fw, FW_CFG_INITRD_SIZE, (uint32_t)lb->initrd_len);
    if (lb->initrd)
        fw_cfg_add_bytes(fw, FW_CFG_INITRD_DATA, lb->initrd, (uint32_t)lb->initrd_len);
    uint8_t rom[LINUXBOOT_ROM_SIZE];
    size_t n = linuxboot_option_rom(rom);
    return fw_cfg_add_file(fw, "genroms/linuxboot.bin", rom, (uint32_t)n, errp);
}

/* ---- the direct path ---------------------------------------------------------------- */

static uint64_t align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}

int linuxboot_load_direct(const LinuxBoot *lb, AddressSpace *as, uint64_t ram_below_4g,
                          const LinuxE820 *map, unsigned nmap, bool vga_text, bool long_mode,
                          LinuxEntry *out, Error **errp)
{
    const LinuxHeader *h = &lb->h;
    memset(out, 0, sizeof(*out));
    long_mode = long_mode && (h->xloadflags & LINUX_XLF_KERNEL_64);

    /* Memory the kernel needs: the image at 1 MiB, and init_size from where it
     * decompresses to (pref_address for a relocatable kernel, or the load address). */
    uint64_t kend = LINUX_KERNEL_ADDR + h->kernel_size;
    uint64_t run = h->relocatable && h->pref_address > LINUX_KERNEL_ADDR ? h->pref_address
                                                                          : LINUX_KERNEL_ADDR;
    if (h->kernel_alignment > 1 && (h->kernel_alignment & (h->kernel_alignment - 1)) == 0)
        run = align_up(run, h->kernel_alignment);
    if (run + h->init_size > kend)
        kend = run + h->init_size;
    if (kend > ram_below_4g) {
        error_setg(errp, "-kernel: the kernel needs RAM up to %llu MiB; give more with -m",
                   (unsigned long long)((kend + 0xfffff) >> 20));
        return -1;
    }
    uint32_t initrd_addr = 0;
    if (lb->initrd) {
        uint64_t top = ram_below_4g;
        if (top > (uint64_t)h->initrd_addr_max + 1)
            top = (uint64_t)h->initrd_addr_max + 1;
        if (lb->initrd_len > top || ((top - lb->initrd_len) & ~0xfffull) < align_up(kend, 4096)) {
            error_setg(errp, "-initrd: %zu bytes do not fit between the kernel (up to 0x%llx) and "
                       "0x%llx; give more memory with -m", lb->initrd_len,
                       (unsigned long long)kend, (unsigned long long)top);
            return -1;
        }
        initrd_addr = (uint32_t)((top - lb->initrd_len) & ~0xfffull);
        address_space_write(as, initrd_addr, lb->initrd, lb->initrd_len);
    }
    address_space_write(as, LINUX_KERNEL_ADDR, lb->image + h->setup_size, h->kernel_size);
    address_space_write(as, LINUX_CMDLINE_ADDR, lb->cmdline, strlen(lb->cmdline) + 1);

    /* boot_params */
    uint8_t *bp = calloc(1, 4096);
    if (!bp)
        pemu_abort("out of memory");
    memcpy(bp + BP_HDR, lb->image + BP_HDR, h->header_end - BP_HDR);
    fill_loader_fields(lb, bp);
    st32_le(bp + HDR_RAMDISK_IMAGE, initrd_addr);
    /* No setup code runs, so no heap: CAN_USE_HEAP only matters to it. */
    st32_le(bp + BP_EXT_RAMDISK_IMAGE, 0);
    st32_le(bp + BP_EXT_CMD_LINE_PTR, 0);
    uint64_t ext_k = ram_below_4g > 0x100000 ? (ram_below_4g - 0x100000) >> 10 : 0;
    st16_le(bp + BP_EXT_MEM_K, (uint16_t)(ext_k > 0xfc00 ? 0xfc00 : ext_k));
    st32_le(bp + BP_ALT_MEM_K, (uint32_t)ext_k);
    if (vga_text) {
        /* screen_info: what the BIOS leaves in mode 3 */
        bp[BP_VIDEO_MODE] = 3;
        bp[BP_VIDEO_COLS] = 80;
        bp[BP_VIDEO_LINES] = 25;
        bp[BP_VIDEO_ISVGA] = 1;
        st16_le(bp + BP_VIDEO_POINTS, 16);
    }
    if (nmap > BP_E820_MAX)
        nmap = BP_E820_MAX;
    bp[BP_E820_ENTRIES] = (uint8_t)nmap;
    for (unsigned i = 0; i < nmap; i++) {
        uint8_t *e = bp + BP_E820_TABLE + 20 * i;
        st64_le(e, map[i].addr);
        st64_le(e + 8, map[i].size);
        st32_le(e + 16, map[i].type);
    }
    address_space_write(as, LINUX_BOOT_PARAMS_ADDR, bp, 4096);
    free(bp);

    /* GDT: 0 null, 8 unused, 0x10 flat code (__BOOT_CS), 0x18 flat data (__BOOT_DS). */
    uint8_t gdt[32] = { 0 };
    static const uint8_t code32[8] = { 0xff, 0xff, 0, 0, 0, 0x9b, 0xcf, 0 };
    static const uint8_t code64[8] = { 0xff, 0xff, 0, 0, 0, 0x9b, 0xaf, 0 }; /* L=1, D=0 */
    static const uint8_t data[8] = { 0xff, 0xff, 0, 0, 0, 0x93, 0xcf, 0 };
    memcpy(gdt + 0x10, long_mode ? code64 : code32, 8);
    memcpy(gdt + 0x18, data, 8);
    address_space_write(as, LINUX_GDT_ADDR, gdt, sizeof(gdt));
    out->gdt_base = LINUX_GDT_ADDR;
    out->gdt_limit = sizeof(gdt) - 1;
    out->boot_params = LINUX_BOOT_PARAMS_ADDR;
    out->entry = h->code32_start;

    if (long_mode) {
        /* PML4 -> one PDPT -> four page directories of 2 MiB pages: 0..4 GiB
         * identity-mapped, present + writable (+ PS in the PDEs). */
        uint8_t *pt = calloc(6, 4096);
        if (!pt)
            pemu_abort("out of memory");
        uint32_t base = LINUX_PGTABLE_ADDR;
        st64_le(pt, (uint64_t)(base + 0x1000) | 0x03);
        for (int i = 0; i < 4; i++) {
            st64_le(pt + 0x1000 + 8 * i, (uint64_t)(base + 0x2000 + 0x1000 * i) | 0x03);
            for (int j = 0; j < 512; j++)
                st64_le(pt + 0x2000 + 0x1000 * i + 8 * j,
                        ((uint64_t)i << 30 | (uint64_t)j << 21) | 0x83);
        }
        address_space_write(as, base, pt, 6 * 4096);
        free(pt);
        out->long_mode = true;
        out->cr3 = base;
        out->entry = LINUX_KERNEL_ADDR + 0x200; /* startup_64 */
    }
    return 0;
}
