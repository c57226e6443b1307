/*
 * VGA + Bochs VBE (see vga.h). Register facts are from the IBM VGA
 * technical reference as commonly documented (FreeVGA) and the Bochs
 * "vbe_display_api" notes; they are stated next to the code using them.
 */
#include "hw/vga.h"

#include <stdlib.h>
#include <string.h>
#include "src/log.h"
#include "src/timer.h"
#include "src/vmstate.h"

/* Display kinds, to notice mode switches. */
enum { KIND_NONE, KIND_BLANK, KIND_TEXT, KIND_GFX, KIND_VBE };

/* Sequencer registers */
#define SR_CLOCKING   1   /* bit 0: 8-dot chars; bit 3: dot clock / 2; bit 5: screen off */
#define SR_MAP_MASK   2
#define SR_CHAR_MAP   3   /* bits 5,1,0: map A (attr bit 3 = 1); bits 4,3,2: map B */
#define SR_MEM_MODE   4   /* bit 2: odd/even disable (sequential); bit 3: chain-4 */
/* Graphics controller registers */
#define GR_SET_RESET  0
#define GR_ENABLE_SR  1
#define GR_COLOR_CMP  2
#define GR_ROTATE     3   /* bits 0-2 rotate count; 3-4: 0 copy, 1 AND, 2 OR, 3 XOR */
#define GR_READ_MAP   4
#define GR_MODE       5   /* 0-1 write mode; 3 read mode; 4 host odd/even; 5 CGA shift; 6 256-colour */
#define GR_MISC       6   /* bit 0: graphics; bits 2-3: memory map */
#define GR_DONT_CARE  7
#define GR_BIT_MASK   8
/* Attribute controller registers */
#define AR_MODE       0x10 /* 0 graphics; 2 line graphics; 3 blink; 5 pan compat; 6 8-bit; 7 P5-4 select */
#define AR_PLANE_EN   0x12
#define AR_PAN        0x13
#define AR_COLOR_SEL  0x14
#define AR_PAS        0x20 /* in the index: palette address source, 0 = screen blanked */

/* ---- VRAM helpers ------------------------------------------------------ */

static inline uint8_t plane_byte(const VGAState *s, uint32_t off, unsigned plane)
{
    return s->vram_ptr[((off & 0xffff) << 2) | plane];
}

/* The four plane bytes at VRAM byte offset vo (a multiple of 4), plane p in byte p. */
static inline uint32_t vram_latch(const VGAState *s, uint32_t vo)
{
    const uint8_t *p = &s->vram_ptr[vo];
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint32_t plane_latch(const VGAState *s, uint32_t off)
{
    return vram_latch(s, (off & 0xffff) << 2);
}

static bool vbe_enabled(const VGAState *s)
{
    return (s->vbe_regs[VBE_DISPI_INDEX_ENABLE] & VBE_DISPI_ENABLED) != 0;
}

/* VBE 4 bpp: planar memory beyond 64 KiB per plane, through the VGA write logic. */
static bool vbe_planar(const VGAState *s)
{
    return vbe_enabled(s) && s->vbe_regs[VBE_DISPI_INDEX_BPP] == 4;
}

/*
 * VRAM byte offset of plane offset po: VGA planes are 64 KiB; in VBE 4 bpp
 * modes the bank selects 64 KiB of plane offsets anywhere in VRAM.
 */
static bool planar_vram_offset(const VGAState *s, uint32_t po, uint32_t *vo)
{
    if (!vbe_planar(s)) {
        *vo = (po & 0xffff) << 2;
        return true;
    }
    uint64_t v = (((uint64_t)s->vbe_regs[VBE_DISPI_INDEX_BANK] << 16) + (po & 0xffff)) << 2;
    *vo = (uint32_t)v;
    return v + 4 <= s->vram_size;
}

static uint8_t c6to8(uint8_t v)
{
    v &= 0x3f;
    return (uint8_t)(v << 2 | v >> 4);
}

/* DAC entry idx (after the PEL mask) as XRGB. */
static uint32_t dac_rgb(const VGAState *s, unsigned idx)
{
    const uint8_t *c = &s->dac[3 * (idx & s->pel_mask & 0xff)];
    if (s->vbe_regs[VBE_DISPI_INDEX_ENABLE] & VBE_DISPI_8BIT_DAC)
        return (uint32_t)c[0] << 16 | (uint32_t)c[1] << 8 | c[2];
    return (uint32_t)c6to8(c[0]) << 16 | (uint32_t)c6to8(c[1]) << 8 | c6to8(c[2]);
}

/*
 * Attribute controller: a 4-bit pixel/attribute colour is masked by the
 * colour plane enable register, looked up in the 16 palette registers
 * (6 bits), and completed to a DAC index by the colour select register:
 * bits 7-6 from AR14 bits 3-2, bits 5-4 from the palette or (AR10 bit 7)
 * from AR14 bits 1-0.
 */
static uint8_t ac_index(const VGAState *s, unsigned v)
{
    v &= s->ar[AR_PLANE_EN] & 0x0f;
    uint8_t c = s->ar[v] & 0x3f;
    if (s->ar[AR_MODE] & 0x80)
        c = (uint8_t)((c & 0x0f) | (s->ar[AR_COLOR_SEL] & 0x03) << 4);
    return (uint8_t)(c | (s->ar[AR_COLOR_SEL] & 0x0c) << 4);
}

/* ---- status and timing -------------------------------------------------- */

/*
 * Input status 1: bit 0 = display disabled (horizontal or vertical
 * blanking), bit 3 = vertical retrace. Derived from the virtual clock with
 * fixed 60 Hz / 31.5 kHz timings so that polling loops see both states.
 */
#define FRAME_NS    16666667
#define VRETRACE_NS (FRAME_NS / 20)
#define HLINE_NS    31778
#define HBLANK_NS   (HLINE_NS / 5)

static uint8_t input_status1(VGAState *s)
{
    int64_t t = clock_get_ns(PEMU_CLOCK_VIRTUAL);
    if (t < 0)
        t = 0;
    bool vr = t % FRAME_NS >= FRAME_NS - VRETRACE_NS;
    bool hb = t % HLINE_NS >= HLINE_NS - HBLANK_NS;
    (void)s;
    return (uint8_t)((vr ? 0x08 : 0) | (vr || hb ? 0x01 : 0));
}

/* ---- I/O ports ------------------------------------------------------------ */

static bool port_inactive(const VGAState *s, uint16_t port)
{
    /* misc output bit 0: CRTC and status 1 at 0x3dx (1, colour) or 0x3bx (0, mono) */
    if (port >= 0x3b0 && port <= 0x3bf)
        return (s->misc & 1) != 0;
    if (port >= 0x3d0 && port <= 0x3df)
        return (s->misc & 1) == 0;
    return false;
}

uint8_t vga_ioport_readb(VGAState *s, uint16_t port)
{
    uint8_t v = 0xff;
    if (port_inactive(s, port))
        return 0xff;
    switch (port) {
    case 0x3c0:
        v = s->ar_index;
        break;
    case 0x3c1:
        v = (s->ar_index & 0x1f) <= AR_COLOR_SEL ? s->ar[s->ar_index & 0x1f] : 0;
        break;
    case 0x3c2:
        v = 0; /* input status 0: no vertical retrace interrupt, switch sense 0 */
        break;
    case 0x3c4:
        v = s->sr_index;
        break;
    case 0x3c5:
        v = s->sr[s->sr_index & 7];
        break;
    case 0x3c6:
        v = s->pel_mask;
        break;
    case 0x3c7:
        v = s->dac_state;
        break;
    case 0x3c8:
        v = s->dac_write;
        break;
    case 0x3c9:
        v = s->dac[3 * s->dac_read + s->dac_sub];
        if (++s->dac_sub == 3) {
            s->dac_sub = 0;
            s->dac_read++;
        }
        break;
    case 0x3ca:
        v = s->fcr;
        break;
    case 0x3cc:
        v = s->misc;
        break;
    case 0x3ce:
        v = s->gr_index;
        break;
    case 0x3cf:
        v = s->gr[s->gr_index & 15];
        break;
    case 0x3b4: case 0x3d4:
        v = s->cr_index;
        break;
    case 0x3b5: case 0x3d5:
        v = s->cr[s->cr_index & 63];
        break;
    case 0x3ba: case 0x3da:
        s->ar_flip = false; /* reading status 1 resets the attribute flip-flop */
        v = input_status1(s);
        break;
    default:
        break;
    }
    return v;
}

void vga_ioport_writeb(VGAState *s, uint16_t port, uint8_t v)
{
    if (port_inactive(s, port))
        return;
    switch (port) {
    case 0x3c0:
        if (!s->ar_flip) {
            s->ar_index = v & 0x3f;
        } else {
            unsigned i = s->ar_index & 0x1f;
            static const uint8_t mask[AR_COLOR_SEL + 1] = {
                0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f,
                0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f,
                0xef, 0xff, 0x3f, 0x0f, 0x0f,
            };
            if (i <= AR_COLOR_SEL)
                s->ar[i] = v & mask[i];
        }
        s->ar_flip = !s->ar_flip;
        break;
    case 0x3c2:
        s->misc = v;
        break;
    case 0x3c4:
        s->sr_index = v & 7;
        break;
    case 0x3c5:
        s->sr[s->sr_index & 7] = v;
        break;
    case 0x3c6:
        s->pel_mask = v;
        break;
    case 0x3c7:
        s->dac_read = v;
        s->dac_sub = 0;
        s->dac_state = 3;
        break;
    case 0x3c8:
        s->dac_write = v;
        s->dac_sub = 0;
        s->dac_state = 0;
        break;
    case 0x3c9:
        s->dac_cache[s->dac_sub++] =
            (s->vbe_regs[VBE_DISPI_INDEX_ENABLE] & VBE_DISPI_8BIT_DAC) ? v : (v & 0x3f);
        if (s->dac_sub == 3) {
            memcpy(&s->dac[3 * s->dac_write], s->dac_cache, 3);
            s->dac_sub = 0;
            s->dac_write++;
        }
        break;
    case 0x3ce:
        s->gr_index = v & 15;
        break;
    case 0x3cf:
        s->gr[s->gr_index & 15] = v;
        break;
    case 0x3b4: case 0x3d4:
        s->cr_index = v & 63;
        break;
    case 0x3b5: case 0x3d5: {
        unsigned i = s->cr_index & 63;
        /* CR11 bit 7 protects CR00-CR07, except CR07 bit 4 (line compare bit 8) */
        if ((s->cr[0x11] & 0x80) && i <= 7) {
            if (i == 7)
                s->cr[7] = (uint8_t)((s->cr[7] & ~0x10) | (v & 0x10));
            break;
        }
        s->cr[i] = v;
        break;
    }
    case 0x3ba: case 0x3da:
        s->fcr = v;
        break;
    default:
        if (log_enabled(LOG_GUEST_ERRORS))
            log_printf("vga: write 0x%02x to unhandled port 0x%x\n", v, port);
        break;
    }
}

static uint64_t vga_io_read(void *opaque, hwaddr off, unsigned size)
{
    (void)size;
    return vga_ioport_readb(opaque, (uint16_t)(0x3b0 + off));
}

static void vga_io_write(void *opaque, hwaddr off, uint64_t val, unsigned size)
{
    (void)size;
    vga_ioport_writeb(opaque, (uint16_t)(0x3b0 + off), (uint8_t)val);
}

/* Byte registers: a 16-bit OUT to 0x3c4/0x3ce/0x3d4 is index then data. */
static const MemOps vga_io_ops = {
    .read = vga_io_read, .write = vga_io_write,
    .valid = { 1, 4 }, .impl = { 1, 1 },
};

/* ---- Bochs VBE (DISPI) ---------------------------------------------------- */

static unsigned vbe_bytespp(const VGAState *s)
{
    unsigned bpp = s->vbe_regs[VBE_DISPI_INDEX_BPP];
    return bpp == 15 ? 2 : (bpp + 7) / 8;
}

/*
 * VRAM bytes per (virtual) line. 4 bpp is planar: 8 pixels per plane
 * offset, i.e. per 4 interleaved VRAM bytes.
 */
static uint32_t vbe_line_bytes(const VGAState *s)
{
    uint32_t w = s->vbe_regs[VBE_DISPI_INDEX_VIRT_WIDTH];
    if (w < s->vbe_regs[VBE_DISPI_INDEX_XRES])
        w = s->vbe_regs[VBE_DISPI_INDEX_XRES];
    if (s->vbe_regs[VBE_DISPI_INDEX_BPP] == 4)
        return w / 2;
    return w * vbe_bytespp(s);
}

static uint64_t vbe_start(const VGAState *s)
{
    uint64_t x = s->vbe_regs[VBE_DISPI_INDEX_X_OFFSET];
    x = s->vbe_regs[VBE_DISPI_INDEX_BPP] == 4 ? x / 8 * 4 : x * vbe_bytespp(s);
    return (uint64_t)s->vbe_regs[VBE_DISPI_INDEX_Y_OFFSET] * vbe_line_bytes(s) + x;
}

/* The virtual height the VRAM allows at the current virtual width. */
static void vbe_fix_virt_height(VGAState *s)
{
    uint32_t line = vbe_line_bytes(s);
    uint32_t h = line ? s->vram_size / line : 0;
    s->vbe_regs[VBE_DISPI_INDEX_VIRT_HEIGHT] = (uint16_t)(h > 0xffff ? 0xffff : h);
}

uint16_t vga_vbe_read(VGAState *s, uint16_t index)
{
    bool caps = s->vbe_regs[VBE_DISPI_INDEX_ENABLE] & VBE_DISPI_GETCAPS;
    switch (index) {
    case VBE_DISPI_INDEX_XRES:
        return caps ? VBE_DISPI_MAX_XRES : s->vbe_regs[index];
    case VBE_DISPI_INDEX_YRES:
        return caps ? VBE_DISPI_MAX_YRES : s->vbe_regs[index];
    case VBE_DISPI_INDEX_BPP:
        return caps ? VBE_DISPI_MAX_BPP : s->vbe_regs[index];
    case VBE_DISPI_INDEX_ENABLE:
        return s->vbe_regs[index];
    case VBE_DISPI_INDEX_VIDEO_MEMORY_64K:
        return (uint16_t)(s->vram_size >> 16);
    default:
        return index < VBE_DISPI_NUM_REGS ? s->vbe_regs[index] : 0;
    }
}

void vga_vbe_write(VGAState *s, uint16_t index, uint16_t val)
{
    uint16_t *r = s->vbe_regs;
    switch (index) {
    case VBE_DISPI_INDEX_ID:
        if (val >= VBE_DISPI_ID0 && val <= VBE_DISPI_ID5)
            r[index] = val;
        break;
    case VBE_DISPI_INDEX_XRES:
        /* multiples of 8 (Bochs' rule: whole bytes in 1/4 bpp) */
        if (val && val <= VBE_DISPI_MAX_XRES && !(val & 7)) {
            r[index] = val;
            if (r[VBE_DISPI_INDEX_VIRT_WIDTH] < val)
                r[VBE_DISPI_INDEX_VIRT_WIDTH] = val;
            vbe_fix_virt_height(s);
        }
        break;
    case VBE_DISPI_INDEX_YRES:
        if (val && val <= VBE_DISPI_MAX_YRES)
            r[index] = val;
        break;
    case VBE_DISPI_INDEX_BPP:
        if (val == 0)
            val = 8;
        if (val == 4 || val == 8 || val == 15 || val == 16 || val == 24 || val == 32) {
            r[index] = val;
            vbe_fix_virt_height(s);
        }
        break;
    case VBE_DISPI_INDEX_BANK:
        if ((uint32_t)val << 16 < s->vram_size)
            r[index] = val;
        break;
    case VBE_DISPI_INDEX_ENABLE: {
        bool was = r[index] & VBE_DISPI_ENABLED;
        r[index] = val & (VBE_DISPI_ENABLED | VBE_DISPI_GETCAPS | VBE_DISPI_8BIT_DAC |
                          VBE_DISPI_LFB_ENABLED | VBE_DISPI_NOCLEARMEM);
        if ((val & VBE_DISPI_ENABLED) && !was) {
            if (!r[VBE_DISPI_INDEX_BPP])
                r[VBE_DISPI_INDEX_BPP] = 8;
            r[VBE_DISPI_INDEX_VIRT_WIDTH] = r[VBE_DISPI_INDEX_XRES];
            r[VBE_DISPI_INDEX_X_OFFSET] = 0;
            r[VBE_DISPI_INDEX_Y_OFFSET] = 0;
            r[VBE_DISPI_INDEX_BANK] = 0;
            vbe_fix_virt_height(s);
            if (!(val & VBE_DISPI_NOCLEARMEM)) {
                uint64_t n = (uint64_t)vbe_line_bytes(s) * r[VBE_DISPI_INDEX_YRES];
                if (n > s->vram_size)
                    n = s->vram_size;
                memset(s->vram_ptr, 0, (size_t)n);
                memory_region_set_dirty(s->vram, 0, n ? n : 1);
            }
        } else if (!(val & VBE_DISPI_ENABLED)) {
            r[VBE_DISPI_INDEX_BANK] = 0;
        }
        break;
    }
    case VBE_DISPI_INDEX_VIRT_WIDTH:
        if (val >= r[VBE_DISPI_INDEX_XRES] && val <= VBE_DISPI_MAX_XRES) {
            r[index] = val;
            vbe_fix_virt_height(s);
        }
        break;
    case VBE_DISPI_INDEX_X_OFFSET:
    case VBE_DISPI_INDEX_Y_OFFSET:
        r[index] = val;
        break;
    default: /* VIRT_HEIGHT and VIDEO_MEMORY_64K are read-only */
        if (log_enabled(LOG_GUEST_ERRORS))
            log_printf("vga: VBE write 0x%x to read-only or unknown index 0x%x\n", val, index);
        break;
    }
}

/*
 * Ports 0x1ce-0x1d0, impl 1..2 bytes. The index port takes 16-bit
 * accesses at 0x1ce; the data port 16-bit accesses at the odd address
 * 0x1cf, which the I/O core hands over as byte 0x1cf then byte 0x1d0: the
 * low byte is held until the high byte arrives, then the register is
 * written once.
 */
static uint64_t vbe_io_read(void *opaque, hwaddr off, unsigned size)
{
    VGAState *s = opaque;
    if (off == 0)
        return size == 2 ? s->vbe_index : (s->vbe_index & 0xff);
    uint16_t v = vga_vbe_read(s, s->vbe_index);
    return off == 1 ? (v & 0xff) : (v >> 8);
}

static void vbe_io_write(void *opaque, hwaddr off, uint64_t val, unsigned size)
{
    VGAState *s = opaque;
    if (off == 0) {
        s->vbe_index = size == 2 ? (uint16_t)val
                                 : (uint16_t)((s->vbe_index & 0xff00) | (val & 0xff));
        s->vbe_data_lo_valid = false;
    } else if (off == 1) {
        s->vbe_data_lo = (uint8_t)val;
        s->vbe_data_lo_valid = true;
    } else if (s->vbe_data_lo_valid) {
        s->vbe_data_lo_valid = false;
        vga_vbe_write(s, s->vbe_index, (uint16_t)((val & 0xff) << 8 | s->vbe_data_lo));
    }
}

static const MemOps vbe_io_ops = {
    .read = vbe_io_read, .write = vbe_io_write,
    .valid = { 1, 4 }, .impl = { 1, 2 },
};

/*
 * PCI stdvga BAR 2 (4 KiB): 0x400-0x41f = VGA ports 0x3c0-0x3df (bytes),
 * 0x500 + 2 * i = DISPI register i (16-bit), 0x600 = QEMU extension
 * registers: size of the block (8) and byte order (0x1e1e1e1e: little).
 */
static uint64_t vga_mmio_read(void *opaque, hwaddr off, unsigned size)
{
    VGAState *s = opaque;
    if (off >= 0x400 && off < 0x420) {
        uint64_t v = 0;
        for (unsigned i = 0; i < size; i++)
            v |= (uint64_t)vga_ioport_readb(s, (uint16_t)(0x3c0 + off - 0x400 + i)) << (8 * i);
        return v;
    }
    if (off >= 0x500 && off < 0x500 + 2 * VBE_DISPI_NUM_REGS) {
        uint16_t v = vga_vbe_read(s, (uint16_t)((off - 0x500) >> 1));
        return size == 2 ? v : (off & 1) ? v >> 8 : (v & 0xff);
    }
    if (off == 0x600)
        return 8;
    if (off == 0x604 || off == 0x606)
        return size == 2 ? 0x1e1e : 0x1e;
    return 0;
}

static void vga_mmio_write(void *opaque, hwaddr off, uint64_t val, unsigned size)
{
    VGAState *s = opaque;
    if (off >= 0x400 && off < 0x420) {
        for (unsigned i = 0; i < size; i++)
            vga_ioport_writeb(s, (uint16_t)(0x3c0 + off - 0x400 + i), (uint8_t)(val >> (8 * i)));
    } else if (off >= 0x500 && off < 0x500 + 2 * VBE_DISPI_NUM_REGS) {
        uint16_t i = (uint16_t)((off - 0x500) >> 1), v = (uint16_t)val;
        if (size == 1) {
            uint16_t cur = vga_vbe_read(s, i);
            v = (off & 1) ? (uint16_t)((cur & 0xff) | (val & 0xff) << 8)
                          : (uint16_t)((cur & 0xff00) | (val & 0xff));
        }
        vga_vbe_write(s, i, v);
    }
}

static const MemOps vga_mmio_ops = {
    .read = vga_mmio_read, .write = vga_mmio_write,
    .valid = { 1, 4 }, .impl = { 1, 2 },
};

/* ---- the 0xa0000-0xbffff window --------------------------------------------- */

/* GR6 bits 2-3 memory map: 0 = a0000 128K, 1 = a0000 64K, 2 = b0000 32K, 3 = b8000 32K. */
static bool window_addr(const VGAState *s, uint32_t off, uint32_t *a)
{
    switch ((s->gr[GR_MISC] >> 2) & 3) {
    case 0:
        *a = off;
        return true;
    case 1:
        *a = off;
        return off < 0x10000;
    case 2:
        *a = off - 0x10000;
        return off >= 0x10000 && off < 0x18000;
    default:
        *a = off - 0x18000;
        return off >= 0x18000;
    }
}

uint8_t vga_mem_readb(VGAState *s, uint32_t off)
{
    bool planar = vbe_planar(s);
    if (vbe_enabled(s) && !planar) {
        uint64_t a = ((uint64_t)s->vbe_regs[VBE_DISPI_INDEX_BANK] << 16) + off;
        return off < 0x10000 && a < s->vram_size ? s->vram_ptr[a] : 0xff;
    }
    uint32_t a, po, vo;
    unsigned plane;
    if (planar ? (a = off) >= 0x10000 : !window_addr(s, off, &a))
        return 0xff;
    if (s->sr[SR_MEM_MODE] & 0x08) {          /* chain-4: A0-A1 pick the plane */
        plane = a & 3;
        po = a & ~3u;
    } else if (s->gr[GR_MODE] & 0x10) {       /* host odd/even: A0 picks plane 0/1 (or 2/3) */
        plane = (s->gr[GR_READ_MAP] & 2) | (a & 1);
        po = a & ~1u;
    } else {
        plane = s->gr[GR_READ_MAP] & 3;
        po = a;
    }
    if (!planar_vram_offset(s, po, &vo))
        return 0xff;
    s->latch = vram_latch(s, vo);              /* every read loads the four latches */
    if (!(s->gr[GR_MODE] & 0x08))
        return (uint8_t)(s->latch >> (8 * plane));
    /* read mode 1: 1 bits where every plane in "colour don't care" matches "colour compare" */
    unsigned diff = 0;
    for (unsigned p = 0; p < 4; p++) {
        if (!(s->gr[GR_DONT_CARE] >> p & 1))
            continue;
        unsigned want = (s->gr[GR_COLOR_CMP] >> p & 1) ? 0xff : 0;
        diff |= ((s->latch >> (8 * p)) & 0xff) ^ want;
    }
    return (uint8_t)~diff;
}

static uint8_t ror8(uint8_t v, unsigned n)
{
    n &= 7;
    return n ? (uint8_t)(v >> n | v << (8 - n)) : v;
}

void vga_mem_writeb(VGAState *s, uint32_t off, uint8_t val)
{
    bool planar = vbe_planar(s);
    if (vbe_enabled(s) && !planar) {
        uint64_t a = ((uint64_t)s->vbe_regs[VBE_DISPI_INDEX_BANK] << 16) + off;
        if (off < 0x10000 && a < s->vram_size) {
            s->vram_ptr[a] = val;
            memory_region_set_dirty(s->vram, a, 1);
        }
        return;
    }
    uint32_t a, po, vo;
    unsigned planes;
    if (planar ? (a = off) >= 0x10000 : !window_addr(s, off, &a))
        return;
    if (s->sr[SR_MEM_MODE] & 0x08) {
        planes = 1u << (a & 3);
        po = a & ~3u;
    } else if (!(s->sr[SR_MEM_MODE] & 0x04)) { /* odd/even: even -> planes 0/2, odd -> 1/3 */
        planes = (a & 1) ? 0x0a : 0x05;
        po = a & ~1u;
    } else {
        planes = 0x0f;
        po = a;
    }
    planes &= s->sr[SR_MAP_MASK] & 0x0f;
    if (!planes || !planar_vram_offset(s, po, &vo))
        return;

    uint8_t d[4], mask = s->gr[GR_BIT_MASK];
    unsigned func = (s->gr[GR_ROTATE] >> 3) & 3, wm = s->gr[GR_MODE] & 3;
    uint8_t sr = s->gr[GR_SET_RESET], esr = s->gr[GR_ENABLE_SR];
    uint8_t *base = &s->vram_ptr[vo];
    switch (wm) {
    case 0: { /* rotated CPU data, or set/reset for planes with enable set/reset */
        uint8_t v = ror8(val, s->gr[GR_ROTATE]);
        for (unsigned p = 0; p < 4; p++)
            d[p] = (esr >> p & 1) ? ((sr >> p & 1) ? 0xff : 0) : v;
        break;
    }
    case 1: /* the latches, unchanged by function or bit mask */
        for (unsigned p = 0; p < 4; p++)
            if (planes >> p & 1)
                base[p] = (uint8_t)(s->latch >> (8 * p));
        memory_region_set_dirty(s->vram, vo, 4);
        return;
    case 2: /* CPU data bit p, replicated, for plane p */
        for (unsigned p = 0; p < 4; p++)
            d[p] = (val >> p & 1) ? 0xff : 0;
        break;
    default: /* 3: set/reset colour, rotated CPU data ANDed into the bit mask */
        mask &= ror8(val, s->gr[GR_ROTATE]);
        for (unsigned p = 0; p < 4; p++)
            d[p] = (sr >> p & 1) ? 0xff : 0;
        break;
    }
    for (unsigned p = 0; p < 4; p++) {
        uint8_t l = (uint8_t)(s->latch >> (8 * p));
        switch (func) {
        case 1: d[p] &= l; break;
        case 2: d[p] |= l; break;
        case 3: d[p] ^= l; break;
        default: break;
        }
        d[p] = (uint8_t)((d[p] & mask) | (l & ~mask));
        if (planes >> p & 1)
            base[p] = d[p];
    }
    memory_region_set_dirty(s->vram, vo, 4);
}

static uint64_t lowmem_read(void *opaque, hwaddr off, unsigned size)
{
    (void)size;
    return vga_mem_readb(opaque, (uint32_t)off);
}

static void lowmem_write(void *opaque, hwaddr off, uint64_t val, unsigned size)
{
    (void)size;
    vga_mem_writeb(opaque, (uint32_t)off, (uint8_t)val);
}

static const MemOps lowmem_ops = {
    .read = lowmem_read, .write = lowmem_write,
    .valid = { 1, 8 }, .impl = { 1, 1 },
};

/* ---- CRTC geometry ---------------------------------------------------------- */

typedef struct Geom {
    int hchars;        /* CR01 + 1: character clocks displayed per line */
    int vdisp;         /* scan lines displayed */
    int cheight;       /* CR09 bits 0-4 + 1: scan lines per character row */
    int dbl;           /* CR09 bit 7: each scan line shown twice */
    uint32_t start;    /* CR0C:CR0D, in address counter units */
    uint32_t line_off; /* counter increment per row: 2 * CR13 */
    uint32_t lc;       /* line compare (split screen) */
    int amode;         /* 0 byte, 1 word, 2 dword addressing */
} Geom;

static void get_geom(const VGAState *s, Geom *g)
{
    const uint8_t *cr = s->cr;
    g->hchars = cr[0x01] + 1;
    /* vertical display end: CR12 + CR07 bit 1 (bit 8) + CR07 bit 6 (bit 9) */
    g->vdisp = (cr[0x12] | (cr[0x07] & 0x02) << 7 | (cr[0x07] & 0x40) << 3) + 1;
    g->cheight = (cr[0x09] & 0x1f) + 1;
    g->dbl = (cr[0x09] & 0x80) ? 2 : 1;
    g->start = (uint32_t)cr[0x0c] << 8 | cr[0x0d];
    g->line_off = (uint32_t)cr[0x13] * 2;
    /* line compare: CR18 + CR07 bit 4 (bit 8) + CR09 bit 6 (bit 9) */
    g->lc = cr[0x18] | (uint32_t)(cr[0x07] & 0x10) << 4 | (uint32_t)(cr[0x09] & 0x40) << 3;
    /* CR14 bit 6: doubleword mode; else CR17 bit 6: 1 = byte mode, 0 = word mode */
    g->amode = (cr[0x14] & 0x40) ? 2 : (cr[0x17] & 0x40) ? 0 : 1;
}

/*
 * Memory address (plane offset) the CRTC fetches for counter value c on
 * row scan line rs. Word mode puts MA13 or MA15 (CR17 bit 5) into bit 0;
 * CR17 bits 0/1 clear put row scan bits 0/1 into address bits 13/14 (the
 * CGA/Hercules interleaved banks).
 */
static uint32_t crtc_addr(const VGAState *s, int amode, uint32_t c, unsigned rs)
{
    uint32_t m;
    if (amode == 2)
        m = c << 2;
    else if (amode == 1)
        m = c << 1 | ((c >> ((s->cr[0x17] & 0x20) ? 15 : 13)) & 1);
    else
        m = c;
    if (!(s->cr[0x17] & 1))
        m = (m & ~0x2000u) | (rs & 1) << 13;
    if (!(s->cr[0x17] & 2))
        m = (m & ~0x4000u) | (rs & 2) << 13;
    return m & 0xffff;
}

/* ---- change detection --------------------------------------------------------- */

/*
 * Everything that changes how memory maps to the screen, as a byte string:
 * when it differs from the previous update, everything is redrawn. (The
 * text cursor registers are left out: the cursor is reported on its own.)
 */
static uint32_t view_snapshot(const VGAState *s, int kind, uint8_t *b)
{
    uint32_t n = 0;
    b[n++] = (uint8_t)kind;
    for (unsigned i = 0; i <= 0x18; i++)
        b[n++] = (i == 0x0a || i == 0x0b || i == 0x0e || i == 0x0f) ? 0 : s->cr[i];
    b[n++] = s->sr[SR_CLOCKING];
    b[n++] = s->sr[SR_CHAR_MAP];
    b[n++] = s->gr[GR_MODE] & 0x60;
    b[n++] = s->gr[GR_MISC];
    memcpy(b + n, s->ar, AR_COLOR_SEL + 1);
    n += AR_COLOR_SEL + 1;
    b[n++] = s->pel_mask;
    memcpy(b + n, s->dac, sizeof(s->dac));
    n += sizeof(s->dac);
    for (unsigned i = 0; i < VBE_DISPI_NUM_REGS; i++) {
        b[n++] = (uint8_t)s->vbe_regs[i];
        b[n++] = (uint8_t)(s->vbe_regs[i] >> 8);
    }
    return n;
}

/* ---- text modes ------------------------------------------------------------------ */

/* Plane 2 offset of character map m (0..7): 0K, 16K, 32K, 48K, 8K, 24K, 40K, 56K. */
static uint32_t font_offset(unsigned m)
{
    return (m & 3) << 14 | (m >> 2) << 13;
}

static void draw_text(VGAState *s, bool full)
{
    Geom g;
    get_geom(s, &g);
    int cols = g.hchars;
    int rows = g.vdisp / (g.cheight * g.dbl);
    if (rows < 1)
        rows = 1;
    if (cols > 256)
        cols = 256;
    if (rows > 256)
        rows = 256;
    ConsoleText *t = console_text(s->con);
    if (!t || t->cols != cols || t->rows != rows) {
        t = console_set_text(s->con, cols, rows);
        full = true;
    }

    /* fonts: font[1] = map A (attribute bit 3 set), font[0] = map B */
    uint8_t sr3 = s->sr[SR_CHAR_MAP];
    unsigned map[2] = { ((sr3 >> 4) & 1) << 2 | ((sr3 >> 2) & 3), ((sr3 >> 5) & 1) << 2 | (sr3 & 3) };
    for (int f = 0; f < 2; f++) {
        uint8_t glyphs[256 * CONSOLE_FONT_GLYPH];
        uint32_t base = font_offset(map[f]);
        for (unsigned i = 0; i < sizeof(glyphs); i++)
            glyphs[i] = plane_byte(s, base + i, 2);
        if (memcmp(glyphs, t->font[f], sizeof(glyphs))) {
            memcpy(t->font[f], glyphs, sizeof(glyphs));
            full = true;
        }
    }
    uint32_t pal[16];
    for (unsigned i = 0; i < 16; i++)
        pal[i] = dac_rgb(s, ac_index(s, i));
    int cw = (s->sr[SR_CLOCKING] & 1) ? 8 : 9;
    int chh = g.cheight > CONSOLE_FONT_GLYPH ? CONSOLE_FONT_GLYPH : g.cheight;
    bool lg = (s->ar[AR_MODE] & 0x04) != 0;
    if (memcmp(pal, t->palette, sizeof(pal)) || cw != t->char_width || chh != t->char_height ||
        lg != t->line_graphics) {
        memcpy(t->palette, pal, sizeof(pal));
        t->char_width = cw;
        t->char_height = chh;
        t->line_graphics = lg;
        full = true;
    }

    bool blink = (s->ar[AR_MODE] & 0x08) != 0;
    int x0 = cols, y0 = rows, x1 = -1, y1 = -1;
    for (int r = 0; r < rows; r++) {
        uint32_t c0 = g.start + (uint32_t)r * g.line_off;
        for (int c = 0; c < cols; c++) {
            uint32_t m = crtc_addr(s, g.amode, c0 + (uint32_t)c, 0);
            uint8_t ch = plane_byte(s, m, 0), at = plane_byte(s, m, 1);
            ConsoleCell n = { ch, at & 0x0f, at >> 4, (at & 0x08) ? CELL_FONT1 : 0 };
            if (blink) {
                n.bg &= 7;
                if (at & 0x80)
                    n.flags |= CELL_BLINK;
            }
            ConsoleCell *o = console_text_cell(t, c, r);
            if (memcmp(o, &n, sizeof(n))) {
                *o = n;
                if (c < x0) x0 = c;
                if (c > x1) x1 = c;
                if (r < y0) y0 = r;
                if (r > y1) y1 = r;
            }
        }
    }
    if (full)
        console_text_update(s->con, 0, 0, cols, rows);
    else if (x1 >= 0)
        console_text_update(s->con, x0, y0, x1 - x0 + 1, y1 - y0 + 1);

    /* cursor: CR0E:CR0F location (counter units), CR0A start (bit 5: off), CR0B end */
    uint32_t loc = (uint32_t)s->cr[0x0e] << 8 | s->cr[0x0f];
    int cs = s->cr[0x0a] & 0x1f, ce = s->cr[0x0b] & 0x1f;
    int cx = -1, cy = -1;
    if (g.line_off && loc >= g.start) {
        cx = (int)((loc - g.start) % g.line_off);
        cy = (int)((loc - g.start) / g.line_off);
    }
    bool vis = !(s->cr[0x0a] & 0x20) && cs <= ce && cs < chh && cx >= 0 && cx < cols &&
               cy >= 0 && cy < rows;
    if (ce >= chh)
        ce = chh - 1;
    if (full || vis != t->cursor_visible || cx != t->cursor_x || cy != t->cursor_y ||
        cs != t->cursor_start || ce != t->cursor_end) {
        t->cursor_visible = vis;
        t->cursor_x = cx;
        t->cursor_y = cy;
        t->cursor_start = cs;
        t->cursor_end = ce;
        console_cursor_update(s->con);
    }
}

/* ---- graphics modes ------------------------------------------------------------- */

static void flush_rect(VGAState *s, int w, int *y0, int y)
{
    if (*y0 >= 0)
        console_gfx_update(s->con, 0, *y0, w, y - *y0);
    *y0 = -1;
}

static DisplaySurface *gfx_surface(VGAState *s, int w, int h, bool *full)
{
    DisplaySurface *surf = console_surface(s->con);
    if (!surf || surf->width != w || surf->height != h) {
        surf = console_set_graphic(s->con, w, h);
        *full = true;
    }
    return surf;
}

/* 16-colour planar: bit 7-k of plane p is bit p of pixel k. Returns o + 8. */
static uint32_t *planar_pixels(uint32_t l, const uint32_t *apal, uint32_t *o)
{
    for (int k = 7; k >= 0; k--) {
        unsigned v = ((l >> k) & 1) | ((l >> (8 + k)) & 1) << 1 | ((l >> (16 + k)) & 1) << 2 |
                     ((l >> (24 + k)) & 1) << 3;
        *o++ = apal[v];
    }
    return o;
}

static void draw_graphic(VGAState *s, bool full)
{
    Geom g;
    get_geom(s, &g);
    bool c256 = (s->gr[GR_MODE] & 0x40) != 0;
    bool cga = !c256 && (s->gr[GR_MODE] & 0x20);
    int w = g.hchars * (c256 ? 4 : 8);
    /* Scan lines of a row that show the same memory are one output line. */
    bool subst = (s->cr[0x17] & 3) != 3;
    int dup = g.dbl * (subst ? 1 : g.cheight);
    int h = g.vdisp / dup;
    if (h < 1)
        h = 1;
    DisplaySurface *surf = gfx_surface(s, w, h, &full);
    w = surf->width;
    h = surf->height;

    uint32_t pal[256], apal[16];
    for (unsigned i = 0; i < 256; i++)
        pal[i] = dac_rgb(s, i);
    for (unsigned i = 0; i < 16; i++)
        apal[i] = pal[ac_index(s, i)];

    uint64_t dirty = 0;
    memory_dirty_get_and_clear(s->vram, MEMORY_DIRTY_VGA, 0, VGA_PLANAR_SIZE, &dirty);

    /* AR13 horizontal pel panning: 0-7 pixels (8 = 0 in 9-dot timing), halved at 8 bpp */
    unsigned pan = s->ar[AR_PAN] & 0x0f;
    pan = pan < 8 ? pan : 0;
    if (c256)
        pan >>= 1;
    int nfetch = g.hchars + 1;
    uint32_t *lb = malloc(sizeof(uint32_t) * (size_t)nfetch * 8);
    if (!lb)
        fatal("out of memory (vga line buffer)");
    int y0 = -1;
    for (int y = 0; y < h; y++) {
        uint32_t sl = (uint32_t)y * (uint32_t)dup, base = g.start, rel = sl, pan_y = pan;
        if (sl >= g.lc) { /* split screen: restart at address 0 */
            base = 0;
            rel = sl - g.lc;
            if (s->ar[AR_MODE] & 0x20)
                pan_y = 0;
        }
        uint32_t srow = rel / (uint32_t)g.dbl;
        uint32_t row = srow / (uint32_t)g.cheight, rs = srow % (uint32_t)g.cheight;
        uint32_t c0 = base + row * g.line_off;
        if (!full) {
            uint64_t pages = 0;
            for (int i = 0; i < nfetch; i++)
                pages |= UINT64_C(1) << (crtc_addr(s, g.amode, c0 + (uint32_t)i, rs) >> 10);
            if (!(pages & dirty)) {
                flush_rect(s, w, &y0, y);
                continue;
            }
        }
        uint32_t *o = lb;
        for (int i = 0; i < nfetch; i++) {
            uint32_t m = crtc_addr(s, g.amode, c0 + (uint32_t)i, rs);
            uint32_t l = plane_latch(s, m);
            uint8_t p0 = (uint8_t)l, p1 = (uint8_t)(l >> 8), p2 = (uint8_t)(l >> 16),
                    p3 = (uint8_t)(l >> 24);
            if (c256) {
                /* 8 bpp: the four planes are four consecutive pixels */
                *o++ = pal[p0];
                *o++ = pal[p1];
                *o++ = pal[p2];
                *o++ = pal[p3];
            } else if (cga) {
                /* interleaved shift: 2-bit pixels, 4 from plane 0 then 4 from plane 1
                 * (planes 2/3 give bits 2-3 the same way) */
                for (int k = 0; k < 8; k++) {
                    unsigned sh = 6 - 2 * (unsigned)(k & 3);
                    uint8_t lo = k < 4 ? p0 : p1, hi = k < 4 ? p2 : p3;
                    unsigned v = ((lo >> sh) & 3) | ((hi >> sh) & 3) << 2;
                    *o++ = apal[v];
                }
            } else {
                o = planar_pixels(l, apal, o);
            }
        }
        memcpy(display_surface_row(surf, y), lb + pan_y, sizeof(uint32_t) * (size_t)w);
        if (y0 < 0)
            y0 = y;
    }
    flush_rect(s, w, &y0, h);
    free(lb);
}

/* ---- VBE linear modes ----------------------------------------------------------- */

static void draw_blank(VGAState *s, bool full);

static void draw_vbe(VGAState *s, bool full)
{
    unsigned bpp = s->vbe_regs[VBE_DISPI_INDEX_BPP];
    int w = s->vbe_regs[VBE_DISPI_INDEX_XRES], h = s->vbe_regs[VBE_DISPI_INDEX_YRES];
    uint64_t line = vbe_line_bytes(s), start = vbe_start(s);
    uint64_t lbytes = bpp == 4 ? (uint64_t)w / 2 : (uint64_t)w * vbe_bytespp(s);
    if (!w || !h ||
        (bpp != 4 && bpp != 8 && bpp != 15 && bpp != 16 && bpp != 24 && bpp != 32) ||
        start + (uint64_t)(h - 1) * line + lbytes > s->vram_size) {
        draw_blank(s, full);
        return;
    }
    DisplaySurface *surf = gfx_surface(s, w, h, &full);
    uint64_t end = start + (uint64_t)(h - 1) * line + lbytes;
    uint64_t first = start >> MEMORY_PAGE_BITS;
    size_t words = (size_t)(((end - 1) >> MEMORY_PAGE_BITS) - first + 64) / 64;
    memset(s->dirty, 0, words * sizeof(uint64_t));
    memory_dirty_get_and_clear(s->vram, MEMORY_DIRTY_VGA, start, end - start, s->dirty);
    uint32_t pal[256], apal[16];
    for (unsigned i = 0; i < 256; i++)
        pal[i] = dac_rgb(s, i);
    for (unsigned i = 0; i < 16; i++)
        apal[i] = pal[ac_index(s, i)];
    int y0 = -1;
    for (int y = 0; y < h; y++) {
        uint64_t ls = start + (uint64_t)y * line, le = ls + lbytes;
        if (!full) {
            bool d = false;
            for (uint64_t pg = (ls >> MEMORY_PAGE_BITS) - first;
                 !d && pg <= ((le - 1) >> MEMORY_PAGE_BITS) - first; pg++)
                d = s->dirty[pg / 64] >> (pg % 64) & 1;
            if (!d) {
                flush_rect(s, w, &y0, y);
                continue;
            }
        }
        const uint8_t *src = s->vram_ptr + ls;
        uint32_t *o = display_surface_row(surf, y);
        switch (bpp) {
        case 4: /* planar, through the attribute controller like mode 12h */
            for (int x = 0; x + 8 <= w; x += 8)
                planar_pixels(vram_latch(s, (uint32_t)(ls + (uint64_t)x / 2)), apal, o + x);
            break;
        case 8:
            for (int x = 0; x < w; x++)
                o[x] = pal[src[x]];
            break;
        case 15: /* x:1 r:5 g:5 b:5 */
            for (int x = 0; x < w; x++) {
                unsigned v = ld16_le(src + 2 * x);
                unsigned r = (v >> 10) & 31, gg = (v >> 5) & 31, b = v & 31;
                o[x] = (r << 3 | r >> 2) << 16 | (gg << 3 | gg >> 2) << 8 | (b << 3 | b >> 2);
            }
            break;
        case 16: /* r:5 g:6 b:5 */
            for (int x = 0; x < w; x++) {
                unsigned v = ld16_le(src + 2 * x);
                unsigned r = (v >> 11) & 31, gg = (v >> 5) & 63, b = v & 31;
                o[x] = (r << 3 | r >> 2) << 16 | (gg << 2 | gg >> 4) << 8 | (b << 3 | b >> 2);
            }
            break;
        case 24: /* bytes B, G, R */
            for (int x = 0; x < w; x++)
                o[x] = (uint32_t)src[3 * x + 2] << 16 | (uint32_t)src[3 * x + 1] << 8 |
                       src[3 * x];
            break;
        default: /* 32: bytes B, G, R, X */
            for (int x = 0; x < w; x++)
                o[x] = ld32_le(src + 4 * x) & 0xffffff;
            break;
        }
        if (y0 < 0)
            y0 = y;
    }
    flush_rect(s, w, &y0, h);
}

/* ---- blank screen and the update entry ------------------------------------------- */

static void draw_blank(VGAState *s, bool full)
{
    int w = 640, h = 480;
    DisplaySurface *cur = console_surface(s->con);
    ConsoleText *t = console_text(s->con);
    if (cur) {
        w = cur->width;
        h = cur->height;
    } else if (t) {
        console_text_pixel_size(t, &w, &h);
    }
    DisplaySurface *surf = gfx_surface(s, w, h, &full);
    if (full) {
        memset(surf->data, 0, (size_t)surf->stride * (size_t)surf->height);
        console_gfx_update(s->con, 0, 0, surf->width, surf->height);
    }
}

void vga_update_display(VGAState *s)
{
    int kind;
    if (vbe_enabled(s))
        kind = KIND_VBE;
    else if (!(s->ar_index & AR_PAS) || (s->sr[SR_CLOCKING] & 0x20))
        kind = KIND_BLANK; /* palette being loaded, or screen off (SR1 bit 5) */
    else
        kind = (s->gr[GR_MISC] & 1) ? KIND_GFX : KIND_TEXT;

    uint8_t view[sizeof(s->last_view)];
    uint32_t n = view_snapshot(s, kind, view);
    bool full = s->full_update || kind != s->last_kind || n != s->last_view_len ||
                memcmp(view, s->last_view, n);
    memcpy(s->last_view, view, n);
    s->last_view_len = n;
    s->last_kind = kind;
    s->full_update = false;

    switch (kind) {
    case KIND_VBE: draw_vbe(s, full); break;
    case KIND_TEXT: draw_text(s, full); break;
    case KIND_GFX: draw_graphic(s, full); break;
    default: draw_blank(s, full); break;
    }
}

static void vga_console_update(void *opaque) { vga_update_display(opaque); }

static void vga_console_invalidate(void *opaque)
{
    VGAState *s = opaque;
    s->full_update = true;
}

static const ConsoleHwOps vga_console_ops = {
    .update = vga_console_update,
    .invalidate = vga_console_invalidate,
};

/* ---- life cycle --------------------------------------------------------------------- */

void vga_reset(VGAState *s)
{
    s->misc = s->fcr = 0;
    s->sr_index = s->gr_index = s->cr_index = s->ar_index = 0;
    memset(s->sr, 0, sizeof(s->sr));
    memset(s->gr, 0, sizeof(s->gr));
    memset(s->cr, 0, sizeof(s->cr));
    memset(s->ar, 0, sizeof(s->ar));
    s->ar_flip = false;
    s->pel_mask = 0xff;
    s->dac_state = s->dac_read = s->dac_write = s->dac_sub = 0;
    memset(s->dac_cache, 0, sizeof(s->dac_cache));
    memset(s->dac, 0, sizeof(s->dac));
    s->latch = 0;
    s->vbe_index = 0;
    memset(s->vbe_regs, 0, sizeof(s->vbe_regs));
    s->vbe_regs[VBE_DISPI_INDEX_ID] = VBE_DISPI_ID5;
    s->vbe_regs[VBE_DISPI_INDEX_VIDEO_MEMORY_64K] = (uint16_t)(s->vram_size >> 16);
    s->vbe_data_lo = 0;
    s->vbe_data_lo_valid = false;
    s->full_update = true;
}

int vga_init(VGAState *s, void *owner, Error **errp)
{
    uint32_t mb = s->vram_mb ? s->vram_mb : VGA_VRAM_MB_DEFAULT;
    if (mb > VGA_VRAM_MB_MAX || (mb & (mb - 1))) {
        error_setg(errp, "vga: vgamem_mb=%u: video memory must be a power of two from 1 to %u MiB",
                   mb, VGA_VRAM_MB_MAX);
        return -1;
    }
    s->vram_mb = mb;
    s->vram_size = mb << 20;
    s->vram = memory_region_new_ram("vga.vram", s->vram_size, owner, errp);
    if (!s->vram)
        return -1;
    s->dirty = calloc((s->vram_size >> MEMORY_PAGE_BITS) / 64 + 1, sizeof(uint64_t));
    if (!s->dirty) {
        memory_region_free(s->vram);
        s->vram = NULL;
        error_setg(errp, "vga: out of memory");
        return -1;
    }
    s->vram_ptr = memory_region_get_ram_ptr(s->vram);
    memory_region_set_dirty_log(s->vram, MEMORY_DIRTY_VGA, true);
    s->lowmem = memory_region_new_mmio("vga.lowmem", VGA_LOWMEM_SIZE, &lowmem_ops, s, owner);
    s->mmio = memory_region_new_mmio("vga.mmio", VGA_MMIO_SIZE, &vga_mmio_ops, s, owner);
    s->con = console_new("vga", &vga_console_ops, s);
    vga_reset(s);
    return 0;
}

void vga_map_legacy(VGAState *s, MemoryRegion *sysmem, IOPortSpace *io)
{
    /* priority 1: above the RAM that the board maps below 1 MiB */
    s->sysmem = sysmem;
    memory_region_add_subregion(sysmem, VGA_LOWMEM_BASE, s->lowmem, 1);
    s->io = io;
    s->io_vga = ioport_register(io, 0x3b0, 0x30, &vga_io_ops, s, "vga");
    s->io_vbe = ioport_register(io, VBE_DISPI_IOPORT_INDEX, 3, &vbe_io_ops, s, "vbe");
}

void vga_fini(VGAState *s)
{
    memory_transaction_begin();
    if (s->io) {
        ioport_unregister(s->io, s->io_vga);
        ioport_unregister(s->io, s->io_vbe);
        s->io = NULL;
    }
    if (s->lfb_alias)
        memory_region_free(s->lfb_alias);
    memory_region_free(s->lowmem);
    memory_region_free(s->mmio);
    memory_region_free(s->vram);
    memory_transaction_commit();
    s->lfb_alias = s->lowmem = s->mmio = s->vram = NULL;
    s->vram_ptr = NULL;
    console_free(s->con);
    s->con = NULL;
    free(s->dirty);
    s->dirty = NULL;
}

static int vga_post_load(void *opaque, int version_id)
{
    VGAState *s = opaque;
    (void)version_id;
    if (s->vbe_regs[VBE_DISPI_INDEX_BANK] >= (s->vram_size >> 16))
        s->vbe_regs[VBE_DISPI_INDEX_BANK] = 0;
    s->vbe_regs[VBE_DISPI_INDEX_VIDEO_MEMORY_64K] = (uint16_t)(s->vram_size >> 16);
    s->full_update = true;
    return 0;
}

/* VRAM is a RAM block: it travels with guest RAM, not in this section. */
const VMStateDescription vmstate_vga = {
    .name = "vga",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT8(misc, VGAState),
        VMSTATE_UINT8(fcr, VGAState),
        VMSTATE_UINT8(sr_index, VGAState),
        VMSTATE_UINT8_ARRAY(sr, VGAState, 8),
        VMSTATE_UINT8(gr_index, VGAState),
        VMSTATE_UINT8_ARRAY(gr, VGAState, 16),
        VMSTATE_UINT8(cr_index, VGAState),
        VMSTATE_UINT8_ARRAY(cr, VGAState, 64),
        VMSTATE_UINT8(ar_index, VGAState),
        VMSTATE_UINT8_ARRAY(ar, VGAState, 32),
        VMSTATE_BOOL(ar_flip, VGAState),
        VMSTATE_UINT8(pel_mask, VGAState),
        VMSTATE_UINT8(dac_state, VGAState),
        VMSTATE_UINT8(dac_read, VGAState),
        VMSTATE_UINT8(dac_write, VGAState),
        VMSTATE_UINT8(dac_sub, VGAState),
        VMSTATE_UINT8_ARRAY(dac_cache, VGAState, 3),
        VMSTATE_BUFFER(dac, VGAState),
        VMSTATE_UINT32(latch, VGAState),
        VMSTATE_UINT16(vbe_index, VGAState),
        VMSTATE_UINT16_ARRAY(vbe_regs, VGAState, VBE_DISPI_NUM_REGS),
        VMSTATE_UINT8(vbe_data_lo, VGAState),
        VMSTATE_BOOL(vbe_data_lo_valid, VGAState),
        VMSTATE_END
    },
    .post_load = vga_post_load,
};

/* ---- isa-vga ------------------------------------------------------------------------ */

static int isa_vga_realize(Device *dev, Machine *m, Error **errp)
{
    ISAVGAState *d = (ISAVGAState *)dev;
    d->vga.vram_mb = d->vgamem_mb;
    if (vga_init(&d->vga, d, errp))
        return -1;
    vga_map_legacy(&d->vga, m->sysmem, m->io);
    /* No PCI BAR to place it: the LFB sits where the Bochs VBE default says. */
    d->vga.lfb_alias = memory_region_new_alias("vga.lfb", d->vga.vram_size, d->vga.vram, 0, d);
    memory_region_add_subregion(m->sysmem, VBE_LFB_ISA_ADDR, d->vga.lfb_alias, 1);
    return 0;
}

static void isa_vga_reset(Device *dev) { vga_reset(&((ISAVGAState *)dev)->vga); }
static void isa_vga_unrealize(Device *dev) { vga_fini(&((ISAVGAState *)dev)->vga); }

static const VMStateDescription vmstate_isa_vga = {
    .name = "isa-vga",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_STRUCT(vga, ISAVGAState, vmstate_vga),
        VMSTATE_END
    },
};

static const DeviceProp isa_vga_props[] = {
    DEVICE_PROP("vgamem_mb", PROP_U32, ISAVGAState, vgamem_mb, "16",
                "video memory in MiB (a power of two, 1..256)"),
    DEVICE_PROP_END
};

const DeviceClass isa_vga_class = {
    .name = "isa-vga",
    .desc = "ISA VGA with Bochs VBE extensions",
    .category = "Display devices",
    .bus = "ISA",
    .instance_size = sizeof(ISAVGAState),
    .props = isa_vga_props,
    .user_creatable = true,
    .realize = isa_vga_realize,
    .reset = isa_vga_reset,
    .unrealize = isa_vga_unrealize,
    .vmsd = &vmstate_isa_vga,
};
