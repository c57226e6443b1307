/*
 * Linux x86 boot protocol (Documentation/arch/x86/boot.rst) for -kernel
 * with a bzImage: the setup header parser, delivery through fw_cfg to an
 * option ROM that pemu generates (the SeaBIOS path), and the direct path
 * with no firmware (boot_params built here, 32- or 64-bit entry).
 */
#ifndef PEMU_HW_LINUXBOOT_H
#define PEMU_HW_LINUXBOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "hw/fw_cfg.h"
#include "src/error.h"
#include "src/memory.h"

/* loadflags (0x211) */
#define LINUX_LOADED_HIGH   0x01
#define LINUX_KEEP_SEGMENTS 0x40
#define LINUX_CAN_USE_HEAP  0x80
/* xloadflags (0x236) */
#define LINUX_XLF_KERNEL_64 0x01
#define LINUX_XLF_CAN_BE_LOADED_ABOVE_4G 0x02

#define LINUX_LOADER_TYPE   0xff   /* type_of_loader: "no boot loader ID assigned" */

/*
 * Guest memory layout used by both paths (real-mode part and boot_params
 * at 0x10000, stack/heap up to +0xe000, command line at +0xe000, kernel at
 * 1 MiB). The option ROM uses 0x7c00..0x7c44 as scratch.
 */
#define LINUX_SETUP_ADDR   0x10000u
#define LINUX_HEAP_END     0xe000u   /* offset from LINUX_SETUP_ADDR: stack top, heap end */
#define LINUX_CMDLINE_ADDR (LINUX_SETUP_ADDR + LINUX_HEAP_END)
#define LINUX_CMDLINE_MAX  0x2000u   /* what fits below 0x20000 */
#define LINUX_KERNEL_ADDR  0x100000u
#define LINUX_MIN_VERSION  0x0202

/* What the setup header says (protocol defaults filled in for old fields). */
typedef struct LinuxHeader {
    uint16_t version;          /* 0x0206 = protocol 2.06 */
    uint8_t setup_sects;       /* 0 means 4 */
    uint8_t loadflags;
    uint16_t xloadflags;       /* 0 before 2.12 */
    uint32_t setup_size;       /* (setup_sects + 1) * 512: boot sector + setup */
    uint32_t kernel_size;      /* the protected-mode part: the rest of the file */
    uint32_t syssize;          /* in 16-byte paragraphs (2.04+ 32-bit) */
    uint32_t code32_start;
    uint32_t initrd_addr_max;  /* 0x37ffffff before 2.03 */
    uint32_t kernel_alignment; /* 2.05+ */
    bool relocatable;          /* 2.05+ */
    uint32_t cmdline_size;     /* without the NUL; 255 before 2.06 */
    uint64_t pref_address;     /* 2.10+, else LINUX_KERNEL_ADDR */
    uint32_t init_size;        /* 2.10+: memory the kernel needs from its load address */
    uint32_t header_end;       /* file offset where the setup header ends (0x202 + byte 0x201) */
} LinuxHeader;

/* Does the file start like a Linux boot image ("HdrS" at 0x202)? */
bool linuxboot_is_bzimage(const uint8_t *img, size_t len);

/*
 * Parse and check the setup header of `img` (the whole file, `path` names
 * it in messages). Rejects non-kernels, zImages, protocols before 2.02, a
 * setup part above 32 KiB and truncated files. 0, or -1 with *errp.
 */
int linuxboot_parse(const uint8_t *img, size_t len, const char *path, LinuxHeader *h,
                    Error **errp);

/* A kernel ready to boot: the files and the command line, owned here. */
typedef struct LinuxBoot {
    LinuxHeader h;
    uint8_t *image;            /* the bzImage */
    size_t image_len;
    uint8_t *initrd;           /* NULL without -initrd */
    size_t initrd_len;
    char *cmdline;             /* "" without -append */
} LinuxBoot;

/*
 * Read `kernel` and `initrd` (NULL for none; a single file: several
 * comma-separated modules are Multiboot's), check the command line
 * against cmdline_size. 0, or -1 with *errp naming the file.
 */
int linuxboot_open(LinuxBoot *lb, const char *kernel, const char *initrd, const char *cmdline,
                   Error **errp);
void linuxboot_close(LinuxBoot *lb);

/*
 * The real-mode part as the loader hands it over: the file's first
 * setup_size bytes with type_of_loader, CAN_USE_HEAP, heap_end_ptr,
 * cmd_line_ptr and ramdisk_size filled in (ramdisk_image is the ROM's
 * job: it knows the e820 top). `out` holds h.setup_size bytes.
 */
void linuxboot_patched_setup(const LinuxBoot *lb, uint8_t *out);

/*
 * The option ROM (512 bytes, 55 AA, size byte, checksummed): its init
 * hooks INT 19h; the handler reads the items below from fw_cfg by DMA,
 * places the initrd under initrd_addr_max and the e820 top, and enters
 * setup at (LINUX_SETUP_ADDR >> 4) + 0x20 : 0. Returns the size.
 */
#define LINUXBOOT_ROM_SIZE 512
size_t linuxboot_option_rom(uint8_t *rom);

/*
 * The SeaBIOS path: FW_CFG_SETUP_*, KERNEL_*, CMDLINE_*, INITRD_SIZE/DATA
 * and the file "genroms/linuxboot.bin".
 */
int linuxboot_setup_fw_cfg(const LinuxBoot *lb, FWCfgState *fw, Error **errp);

/* One e820 entry (type 1 = RAM, 2 = reserved). */
typedef struct LinuxE820 {
    uint64_t addr, size;
    uint32_t type;
} LinuxE820;

/* Where and how the direct path enters the kernel. */
typedef struct LinuxEntry {
    uint64_t entry;            /* code32_start, or the load address + 0x200 in 64-bit mode */
    uint32_t boot_params;      /* ESI/RSI */
    bool long_mode;            /* CR3 = page tables identity-mapping 0..4 GiB, EFER.LME */
    uint32_t cr3;
    uint32_t gdt_base;         /* GDT: 0x10 flat code (64-bit when long_mode), 0x18 flat data */
    uint16_t gdt_limit;
} LinuxEntry;

#define LINUX_BOOT_PARAMS_ADDR LINUX_SETUP_ADDR
#define LINUX_GDT_ADDR         0x6000u
#define LINUX_PGTABLE_ADDR     0x20000u  /* PML4, PDPT, 4 page directories */

/*
 * The direct path: write the kernel at 1 MiB, the initrd at the top of
 * RAM below initrd_addr_max, the command line, boot_params (setup header,
 * e820 `map`, screen_info for an 80x25 VGA text console when vga_text)
 * and a GDT (and with long_mode page tables) into `as`. ram_below_4g is
 * the end of RAM below 4 GiB. long_mode asks for the 64-bit entry; it is
 * used only when the kernel has XLF_KERNEL_64.
 */
int linuxboot_load_direct(const LinuxBoot *lb, AddressSpace *as, uint64_t ram_below_4g,
                          const LinuxE820 *map, unsigned nmap, bool vga_text, bool long_mode,
                          LinuxEntry *out, Error **errp);

/* Offsets into boot_params (the "zero page") used here and by tests. */
#define BP_EXT_MEM_K        0x002
#define BP_VIDEO_MODE       0x006
#define BP_VIDEO_COLS       0x007
#define BP_VIDEO_LINES      0x00e
#define BP_VIDEO_ISVGA      0x00f
#define BP_VIDEO_POINTS     0x010
#define BP_EXT_RAMDISK_IMAGE 0x0c0
#define BP_EXT_RAMDISK_SIZE 0x0c4
#define BP_EXT_CMD_LINE_PTR 0x0c8
#define BP_ALT_MEM_K        0x1e0
#define BP_E820_ENTRIES     0x1e8
#define BP_HDR              0x1f1
#define BP_E820_TABLE       0x2d0
#define BP_E820_MAX         128
/* setup header fields, as offsets from the start of the file / zero page */
#define HDR_SETUP_SECTS     0x1f1
#define HDR_SYSSIZE         0x1f4
#define HDR_BOOT_FLAG       0x1fe
#define HDR_JUMP            0x200
#define HDR_MAGIC           0x202
#define HDR_VERSION         0x206
#define HDR_TYPE_OF_LOADER  0x210
#define HDR_LOADFLAGS       0x211
#define HDR_CODE32_START    0x214
#define HDR_RAMDISK_IMAGE   0x218
#define HDR_RAMDISK_SIZE    0x21c
#define HDR_HEAP_END_PTR    0x224
#define HDR_CMD_LINE_PTR    0x228
#define HDR_INITRD_ADDR_MAX 0x22c
#define HDR_KERNEL_ALIGN    0x230
#define HDR_RELOCATABLE     0x234
#define HDR_XLOADFLAGS      0x236
#define HDR_CMDLINE_SIZE    0x238
#define HDR_PREF_ADDRESS    0x258
#define HDR_INIT_SIZE       0x260

#endif
