/* src/ioport: port ranges, width split/merge, unassigned ports, straddling. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include "src/ioport.h"
#include "src/log.h"

typedef struct Port {
    uint8_t regs[16];
    char trace[512];
} Port;

static uint64_t port_read(void *opaque, hwaddr off, unsigned size)
{
    Port *p = opaque;
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint64_t)p->regs[off + i] << (8 * i);
    size_t n = strlen(p->trace);
    snprintf(p->trace + n, sizeof(p->trace) - n, "r%u@%u;", size, (unsigned)off);
    return v;
}

static void port_write(void *opaque, hwaddr off, uint64_t val, unsigned size)
{
    Port *p = opaque;
    for (unsigned i = 0; i < size; i++)
        p->regs[off + i] = (uint8_t)(val >> (8 * i));
    size_t n = strlen(p->trace);
    snprintf(p->trace + n, sizeof(p->trace) - n, "w%u@%u=%llx;", size, (unsigned)off,
             (unsigned long long)val);
}

static void port_init(Port *p)
{
    memset(p, 0, sizeof(*p));
    for (int i = 0; i < 16; i++)
        p->regs[i] = (uint8_t)(0xa0 + i);
}

static const MemOps byte_ops = { port_read, port_write, { 0, 0 }, { 1, 1 } };
static const MemOps word_ops = { port_read, port_write, { 0, 0 }, { 2, 2 } };
static const MemOps dword_ops = { port_read, port_write, { 0, 0 }, { 1, 4 } };
static const MemOps byte_valid_ops = { port_read, port_write, { 1, 1 }, { 1, 1 } };

TEST(widths_split_and_merge)
{
    IOPortSpace *s = ioport_space_new("io");
    Port kbd, ide, dma;
    port_init(&kbd);
    port_init(&ide);
    port_init(&dma);
    ioport_register(s, 0x60, 5, &byte_ops, &kbd, "i8042");
    ioport_register(s, 0x1f0, 8, &word_ops, &ide, "ide");
    ioport_register(s, 0xc000, 16, &dword_ops, &dma, "bmdma");

    /* inw on a byte device reads port and port+1 */
    CHECK_EQ(ioport_read(s, 0x60, 2), 0xa1a0);
    CHECK_STR(kbd.trace, "r1@0;r1@1;");
    CHECK_EQ(ioport_read(s, 0x61, 4), 0xa4a3a2a1);
    kbd.trace[0] = 0;
    ioport_write(s, 0x62, 0x1234, 2);
    CHECK_STR(kbd.trace, "w1@2=34;w1@3=12;");
    /* outb to a word-only device: read-modify-write of the word */
    ioport_write(s, 0x1f1, 0x55, 1);
    CHECK_STR(ide.trace, "r2@0;w2@0=55a0;");
    ide.trace[0] = 0;
    CHECK_EQ(ioport_read(s, 0x1f0, 4), 0xa3a255a0);
    CHECK_STR(ide.trace, "r2@0;r2@2;");
    /* full-width device: one call; an unaligned inl is split in aligned parts */
    CHECK_EQ(ioport_read(s, 0xc004, 4), 0xa7a6a5a4);
    CHECK_STR(dma.trace, "r4@4;");
    dma.trace[0] = 0;
    CHECK_EQ(ioport_read(s, 0xc003, 4), 0xa6a5a4a3);
    CHECK_STR(dma.trace, "r1@3;r2@4;r1@6;");
    ioport_space_free(s);
}

TEST(unassigned_ports_read_all_ones)
{
    IOPortSpace *s = ioport_space_new("io");
    Port p;
    port_init(&p);
    CHECK_EQ(ioport_read(s, 0x80, 1), 0xff);
    CHECK_EQ(ioport_read(s, 0x80, 2), 0xffff);
    CHECK_EQ(ioport_read(s, 0x80, 4), 0xffffffffu);
    ioport_write(s, 0x80, 0x12, 1);
    /* the end of the space does not wrap to port 0 */
    ioport_register(s, 0, 2, &byte_ops, &p, "zero");
    ioport_register(s, 0xffff, 1, &byte_ops, &p, "last");
    CHECK_EQ(ioport_read(s, 0xffff, 2), 0xffa0);
    CHECK_EQ(ioport_read(s, 0xffff, 4), 0xffffffa0);
    CHECK_STR(p.trace, "r1@0;r1@0;");
    ioport_space_free(s);
}

TEST(access_straddling_two_devices)
{
    IOPortSpace *s = ioport_space_new("io");
    Port a, b;
    port_init(&a);
    port_init(&b);
    ioport_register(s, 0x100, 2, &dword_ops, &a, "a");
    ioport_register(s, 0x102, 2, &byte_ops, &b, "b");
    CHECK_EQ(ioport_read(s, 0x100, 4), 0xa1a0a1a0);
    CHECK_STR(a.trace, "r2@0;");
    CHECK_STR(b.trace, "r1@0;r1@1;");
    ioport_write(s, 0x101, 0x332211, 4); /* a: 1 byte, b: 2 bytes, 1 unassigned */
    CHECK_STR(a.trace, "r2@0;w1@1=11;");
    CHECK_STR(b.trace, "r1@0;r1@1;w1@0=22;w1@1=33;");
    /* a word across a device end and unassigned space */
    CHECK_EQ(ioport_read(s, 0x103, 2), 0xff33);
    ioport_space_free(s);
}

TEST(overlap_unregister_and_valid_sizes)
{
    IOPortSpace *s = ioport_space_new("io");
    Port a, b, c;
    port_init(&a);
    port_init(&b);
    port_init(&c);
    MemoryRegion *ra = ioport_register(s, 0x3c0, 16, &byte_ops, &a, "vga");
    MemoryRegion *rb = ioport_register(s, 0x3c4, 2, &byte_ops, &b, "override");
    CHECK_EQ(ioport_read(s, 0x3c3, 4), 0xa6a1a0a3); /* later wins on 3c4-3c5 */
    ioport_unregister(s, rb);
    CHECK_EQ(ioport_read(s, 0x3c4, 1), 0xa4);
    memory_region_set_enabled(ra, false);
    CHECK_EQ(ioport_read(s, 0x3c4, 1), 0xff);
    memory_region_set_enabled(ra, true);
    memory_region_set_readonly(ra, true); /* writes ignored, reads work */
    ioport_write(s, 0x3c4, 0, 1);
    ioport_write(s, 0x3c3, 0, 2);
    CHECK_EQ(ioport_read(s, 0x3c4, 1), 0xa4);
    CHECK_EQ(ioport_read(s, 0x3c3, 1), 0xa3);
    ioport_unregister(s, ra);
    CHECK_EQ(ioport_read(s, 0x3c4, 1), 0xff);
    /* a device that only accepts byte accesses: inw is refused */
    ioport_register(s, 0x70, 2, &byte_valid_ops, &c, "rtc");
    CHECK_EQ(ioport_read(s, 0x70, 2), 0xffff);
    ioport_write(s, 0x70, 0, 2);
    CHECK_STR(c.trace, "");
    CHECK_EQ(ioport_read(s, 0x71, 1), 0xa1);
    ioport_space_free(s);
}

TEST(trace_and_print)
{
    IOPortSpace *s = ioport_space_new("io");
    Port p;
    port_init(&p);
    ioport_register(s, 0x3f8, 8, &byte_ops, &p, "serial0");
    ioport_register(s, 0x60, 1, &byte_ops, &p, "kbd");
    char path[512];
    snprintf(path, sizeof(path), "%s/log", unit_tmpdir());
    CHECK(log_set_file(path, NULL) == 0);
    log_set_mask(LOG_IOPORT);
    ioport_write(s, 0x3f9, 0x0f, 1);
    ioport_read(s, 0x3fa, 2);
    ioport_read(s, 0x1234, 4);
    log_flush();
    FILE *f = fopen(path, "r");
    CHECK(f);
    char text[1024];
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = 0;
    CHECK(strstr(text, "ioport: outb 0x03f9 <- 0x0f (serial0)\n"));
    CHECK(strstr(text, "ioport: inw 0x03fa -> 0xa3a2 (serial0)\n"));
    CHECK(strstr(text, "ioport: inl 0x1234 -> 0xffffffff (unassigned)\n"));

    char *out = NULL;
    size_t len = 0;
    f = open_memstream(&out, &len);
    CHECK(f);
    ioport_print(f, s);
    fclose(f);
    CHECK_STR(out, "I/O ports of 'io':\n  0060-0060 : kbd\n  03f8-03ff : serial0\n");
    free(out);
    ioport_space_free(s);
}
