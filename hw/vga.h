/*
 * Standard VGA with Bochs VBE extensions, as SeaBIOS's vgabios (the
 * Bochs/QEMU VGA BIOS) and Linux's bochs-drm drive it.
 *
 * The core (VGAState) is shared by two wrappers: "isa-vga" here, and the
 * PCI "VGA" (1234:1111, hw/vga_pci.c) which adds
 *   BAR 0  = vga->vram (the linear framebuffer, VBE LFB),
 *   BAR 2  = vga->mmio (4 KiB: VGA ports 0x3c0-0x3df at 0x400, DISPI
 *            registers at 0x500 + 2 * index, QEMU extension registers at 0x600),
 *   ROM    = vgabios-stdvga.bin,
 * on top of vga_map_legacy (the 0xa0000 window and the I/O ports).
 *
 * Memory: VRAM is one RAM region (vgamem_mb MiB). Its first 256 KiB hold the
 * four 64 KiB VGA planes interleaved: byte (offset, plane) is at
 * vram[offset * 4 + plane]. VBE modes use VRAM linearly from 0 (bank N of
 * the 0xa0000 window = VRAM N * 64 KiB).
 */
#ifndef PEMU_HW_VGA_H
#define PEMU_HW_VGA_H

#include <stdbool.h>
#include <stdint.h>
#include "src/device.h"
#include "src/machine.h"
#include "src/memory.h"
#include "ui/display.h"

#define VGA_VRAM_MB_DEFAULT  16
#define VGA_VRAM_MB_MAX      256
#define VGA_PLANAR_SIZE      0x40000u    /* 4 planes x 64 KiB */
#define VGA_LOWMEM_BASE      0xa0000u
#define VGA_LOWMEM_SIZE      0x20000u
#define VGA_MMIO_SIZE        0x1000u
#define VBE_LFB_ISA_ADDR     0xe0000000u /* where isa-vga maps the LFB (Bochs default) */

/* Bochs VBE "DISPI" interface: index at 0x1ce, data (16-bit) at 0x1cf. */
#define VBE_DISPI_IOPORT_INDEX 0x1ce
#define VBE_DISPI_IOPORT_DATA  0x1cf
enum {
    VBE_DISPI_INDEX_ID,
    VBE_DISPI_INDEX_XRES,
    VBE_DISPI_INDEX_YRES,
    VBE_DISPI_INDEX_BPP,
    VBE_DISPI_INDEX_ENABLE,
    VBE_DISPI_INDEX_BANK,
    VBE_DISPI_INDEX_VIRT_WIDTH,
    VBE_DISPI_INDEX_VIRT_HEIGHT,
    VBE_DISPI_INDEX_X_OFFSET,
    VBE_DISPI_INDEX_Y_OFFSET,
    VBE_DISPI_INDEX_VIDEO_MEMORY_64K,
    VBE_DISPI_NUM_REGS
};
#define VBE_DISPI_ID0          0xb0c0
#define VBE_DISPI_ID5          0xb0c5
/* ENABLE bits */
#define VBE_DISPI_ENABLED      0x01
#define VBE_DISPI_GETCAPS      0x02  /* XRES/YRES/BPP read as the maxima */
#define VBE_DISPI_8BIT_DAC     0x20
#define VBE_DISPI_LFB_ENABLED  0x40
#define VBE_DISPI_NOCLEARMEM   0x80
#define VBE_DISPI_MAX_XRES     8192
#define VBE_DISPI_MAX_YRES     8192
#define VBE_DISPI_MAX_BPP      32

typedef struct VGAState {
    /* ---- configuration (set before vga_init) ---- */
    uint32_t vram_mb;              /* 0 = VGA_VRAM_MB_DEFAULT */

    /* ---- set up by vga_init ---- */
    uint32_t vram_size;
    MemoryRegion *vram;            /* RAM: planes + VBE framebuffer (PCI BAR 0) */
    uint8_t *vram_ptr;
    MemoryRegion *lowmem;          /* MMIO 128 KiB: the 0xa0000-0xbffff window */
    MemoryRegion *mmio;            /* MMIO 4 KiB: the PCI stdvga BAR 2 */
    Console *con;
    /* set by vga_map_legacy / isa-vga, undone by vga_fini */
    MemoryRegion *sysmem;
    MemoryRegion *lfb_alias;
    IOPortSpace *io;
    MemoryRegion *io_vga, *io_vbe;

    /* ---- guest-visible state (vmstate_vga) ---- */
    uint8_t misc;                  /* misc output: 0x3c2 write, 0x3cc read */
    uint8_t fcr;                   /* feature control: 0x3ba/0x3da write, 0x3ca read */
    uint8_t sr_index, sr[8];       /* sequencer 0x3c4/0x3c5 */
    uint8_t gr_index, gr[16];      /* graphics controller 0x3ce/0x3cf */
    uint8_t cr_index, cr[64];      /* CRTC 0x3d4/0x3d5 (or 0x3b4/0x3b5) */
    uint8_t ar_index, ar[32];      /* attribute controller 0x3c0/0x3c1 */
    bool ar_flip;                  /* 0x3c0 expects: false = index, true = data */
    uint8_t pel_mask;              /* 0x3c6 */
    uint8_t dac_state;             /* 0x3c7 read: 0 = write mode, 3 = read mode */
    uint8_t dac_read, dac_write;   /* 0x3c7 / 0x3c8 palette indices */
    uint8_t dac_sub;               /* 0..2: R, G, B of the current entry */
    uint8_t dac_cache[3];
    uint8_t dac[768];              /* 256 x R, G, B (6-bit, or 8-bit with VBE 8BIT_DAC) */
    uint32_t latch;                /* byte p = plane p */
    uint16_t vbe_index;
    uint16_t vbe_regs[VBE_DISPI_NUM_REGS];
    uint8_t vbe_data_lo;           /* low byte of a 16-bit write to 0x1cf in flight */
    bool vbe_data_lo_valid;

    /* ---- display cache (not saved) ---- */
    bool full_update;
    int last_kind;
    uint8_t last_view[1024];
    uint32_t last_view_len;
    uint64_t *dirty;               /* page bitmap scratch, vram_size / 4 KiB bits */
    uint32_t blank_w, blank_h;
} VGAState;

/*
 * Allocate VRAM (s->vram_mb MiB: 1..256), create the regions and the
 * console, and reset. -1 with *errp on a bad size or no memory.
 */
int vga_init(VGAState *s, void *owner, Error **errp);
/* Map the 0xa0000 window into sysmem and register ports 0x3b0-0x3df and 0x1ce-0x1d0. */
void vga_map_legacy(VGAState *s, MemoryRegion *sysmem, IOPortSpace *io);
/* Unmap and free everything vga_init and vga_map_legacy made. */
void vga_fini(VGAState *s);
void vga_reset(VGAState *s);

/* Port and window accessors (what the ioport/MMIO callbacks use). */
uint8_t vga_ioport_readb(VGAState *s, uint16_t port);
void vga_ioport_writeb(VGAState *s, uint16_t port, uint8_t val);
uint16_t vga_vbe_read(VGAState *s, uint16_t index);
void vga_vbe_write(VGAState *s, uint16_t index, uint16_t val);
uint8_t vga_mem_readb(VGAState *s, uint32_t off);        /* off in the 128 KiB window */
void vga_mem_writeb(VGAState *s, uint32_t off, uint8_t val);

/* Bring the console up to date (the console's update hook). */
void vga_update_display(VGAState *s);

extern const VMStateDescription vmstate_vga;

/* The ISA device "isa-vga": the core at the legacy addresses, LFB at 0xe0000000. */
typedef struct ISAVGAState {
    Device dev;
    uint32_t vgamem_mb;
    VGAState vga;
} ISAVGAState;

extern const DeviceClass isa_vga_class;

#endif
