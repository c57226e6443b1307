/* hw/i8259: the PIC pair at the register level, through the I/O ports. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include "hw/i8259.h"
#include "src/ioport.h"
#include "src/machine.h"
#include "src/memory.h"
#include "src/vmstate.h"

typedef struct Rig {
    Machine m;
    Device *pic;
    int intr;
    int intr_sets;
} Rig;

static void cpu_intr(void *opaque, int n, int level)
{
    Rig *r = opaque;
    (void)n;
    r->intr = level;
    r->intr_sets++;
}

static void rig_init(Rig *r)
{
    Error *err = NULL;
    memset(r, 0, sizeof(*r));
    r->m.type = "test";
    r->m.sysmem = memory_region_new_container("sysmem", UINT64_MAX, NULL);
    r->m.as = address_space_new("memory", r->m.sysmem);
    r->m.io = ioport_space_new("io");
    r->m.cpu_intr = irq_new(cpu_intr, r, 0);
    r->pic = calloc(1, i8259_class.instance_size);
    r->pic->cls = &i8259_class;
    if (i8259_class.realize(r->pic, &r->m, &err) < 0)
        abort();
    i8259_class.reset(r->pic);
    for (int i = 0; i < 16; i++)
        r->m.isa_irq[i] = i8259_irq_in(r->pic, i);
}

static void outb(Rig *r, uint16_t port, uint8_t v) { ioport_write(r->m.io, port, v, 1); }
static uint8_t inb(Rig *r, uint16_t port) { return (uint8_t)ioport_read(r->m.io, port, 1); }

/* SeaBIOS's and Linux's sequence: vectors 0x08 / 0x70, cascade on IR2. */
static void pic_init(Rig *r, uint8_t icw4_master, uint8_t icw4_slave)
{
    outb(r, 0x20, 0x11);
    outb(r, 0x21, 0x08);
    outb(r, 0x21, 0x04);
    outb(r, 0x21, icw4_master);
    outb(r, 0xa0, 0x11);
    outb(r, 0xa1, 0x70);
    outb(r, 0xa1, 0x02);
    outb(r, 0xa1, icw4_slave);
    outb(r, 0x21, 0x00);
    outb(r, 0xa1, 0x00);
}

static uint8_t read_isr(Rig *r, uint16_t port)
{
    outb(r, port, 0x0b); /* OCW3: read ISR */
    uint8_t v = inb(r, port);
    outb(r, port, 0x0a); /* back to IRR */
    return v;
}

static int intack(Rig *r) { return r->m.intack(r->m.intack_opaque); }
static void set_irq(Rig *r, int n, int level) { irq_set(r->m.isa_irq[n], level); }
static void pulse_irq(Rig *r, int n) { irq_pulse(r->m.isa_irq[n]); }

TEST(init_sequence_and_vectors)
{
    Rig r;
    rig_init(&r);
    CHECK(r.m.intack != NULL);
    pic_init(&r, 0x01, 0x01);
    CHECK_EQ(inb(&r, 0x21), 0x00);
    outb(&r, 0x21, 0xa5);
    CHECK_EQ(inb(&r, 0x21), 0xa5); /* OCW1 read back (Linux's PIC probe) */
    outb(&r, 0x21, 0x00);
    CHECK_EQ(r.intr, 0);
    pulse_irq(&r, 1);
    CHECK_EQ(r.intr, 1);
    CHECK_EQ(inb(&r, 0x20), 0x02); /* IRR */
    CHECK_EQ(intack(&r), 0x09);
    CHECK_EQ(r.intr, 0);
    CHECK_EQ(inb(&r, 0x20), 0x00);
    CHECK_EQ(read_isr(&r, 0x20), 0x02);
    outb(&r, 0x20, 0x20); /* non-specific EOI */
    CHECK_EQ(read_isr(&r, 0x20), 0x00);
    /* slave: vector 0x70 + n, master IR2 in service too */
    pulse_irq(&r, 14);
    CHECK_EQ(r.intr, 1);
    CHECK_EQ(intack(&r), 0x76);
    CHECK_EQ(read_isr(&r, 0x20), 0x04);
    CHECK_EQ(read_isr(&r, 0xa0), 0x40);
    outb(&r, 0xa0, 0x20);
    outb(&r, 0x20, 0x20);
    CHECK_EQ(read_isr(&r, 0x20), 0x00);
    CHECK_EQ(read_isr(&r, 0xa0), 0x00);
}

TEST(icw1_resets_mask_and_edge_sense)
{
    Rig r;
    rig_init(&r);
    pic_init(&r, 0x01, 0x01);
    outb(&r, 0x21, 0xff);
    set_irq(&r, 3, 1); /* latched in IRR, masked */
    CHECK_EQ(inb(&r, 0x20), 0x08);
    CHECK_EQ(r.intr, 0);
    outb(&r, 0x20, 0x11); /* ICW1 again */
    CHECK_EQ(inb(&r, 0x21), 0x00); /* IMR cleared */
    outb(&r, 0x21, 0x08);
    outb(&r, 0x21, 0x04);
    outb(&r, 0x21, 0x01);
    /* the line is still high but the edge latch was reset: no request
     * until it goes low and high again */
    CHECK_EQ(inb(&r, 0x20), 0x00);
    CHECK_EQ(r.intr, 0);
    set_irq(&r, 3, 0);
    set_irq(&r, 3, 1);
    CHECK_EQ(r.intr, 1);
    CHECK_EQ(intack(&r), 0x0b);
}

TEST(fixed_priority_and_nesting)
{
    Rig r;
    rig_init(&r);
    pic_init(&r, 0x01, 0x01);
    pulse_irq(&r, 5);
    pulse_irq(&r, 3);
    CHECK_EQ(intack(&r), 0x0b);   /* 3 before 5 */
    CHECK_EQ(r.intr, 0);          /* 5 is lower than 3 in service */
    pulse_irq(&r, 4);
    CHECK_EQ(r.intr, 0);
    pulse_irq(&r, 1);
    CHECK_EQ(r.intr, 1);          /* 1 nests over 3 */
    CHECK_EQ(intack(&r), 0x09);
    CHECK_EQ(read_isr(&r, 0x20), 0x0a);
    outb(&r, 0x20, 0x20);         /* EOI clears the highest: 1 */
    CHECK_EQ(read_isr(&r, 0x20), 0x08);
    CHECK_EQ(r.intr, 0);
    outb(&r, 0x20, 0x20);
    CHECK_EQ(r.intr, 1);
    CHECK_EQ(intack(&r), 0x0c);   /* then 4, then 5 */
    outb(&r, 0x20, 0x20);
    CHECK_EQ(intack(&r), 0x0d);
    outb(&r, 0x20, 0x20);
    CHECK_EQ(r.intr, 0);
    /* a slave IRQ has master IR2's priority: above 3, below 1 */
    pulse_irq(&r, 3);
    pulse_irq(&r, 15);
    CHECK_EQ(intack(&r), 0x77);
    outb(&r, 0xa0, 0x20);
    outb(&r, 0x20, 0x20);
    CHECK_EQ(intack(&r), 0x0b);
}

TEST(specific_eoi_and_rotation)
{
    Rig r;
    rig_init(&r);
    pic_init(&r, 0x01, 0x01);
    pulse_irq(&r, 6);
    CHECK_EQ(intack(&r), 0x0e);
    pulse_irq(&r, 4);
    CHECK_EQ(r.intr, 1);
    CHECK_EQ(intack(&r), 0x0c);
    outb(&r, 0x20, 0x66); /* specific EOI for 6, leaving 4 in service */
    CHECK_EQ(read_isr(&r, 0x20), 0x10);
    outb(&r, 0x20, 0x64);
    CHECK_EQ(read_isr(&r, 0x20), 0x00);

    /* set priority: 4 lowest, so 5 is highest and 4 loses to 0 */
    outb(&r, 0x20, 0xc4);
    pulse_irq(&r, 0);
    pulse_irq(&r, 4);
    pulse_irq(&r, 6);
    CHECK_EQ(intack(&r), 0x0e); /* order 5,6,7,0,1,2,3,4 */
    outb(&r, 0x20, 0x20);
    CHECK_EQ(intack(&r), 0x08);
    outb(&r, 0x20, 0x20);
    CHECK_EQ(intack(&r), 0x0c);
    outb(&r, 0x20, 0x20);

    /* rotate on non-specific EOI: the served level becomes lowest */
    outb(&r, 0x20, 0xc7); /* back to 0 highest */
    pulse_irq(&r, 1);
    CHECK_EQ(intack(&r), 0x09);
    outb(&r, 0x20, 0xa0);
    pulse_irq(&r, 1);
    pulse_irq(&r, 7);
    CHECK_EQ(intack(&r), 0x0f); /* 1 is now lowest: 7 wins */
    /* rotate on specific EOI: 7 lowest */
    outb(&r, 0x20, 0xe7);
    CHECK_EQ(read_isr(&r, 0x20), 0x00);
    pulse_irq(&r, 7);
    CHECK_EQ(intack(&r), 0x09); /* 1 was still pending, above 7 now */
    outb(&r, 0x20, 0x20);
    CHECK_EQ(intack(&r), 0x0f);
}

TEST(automatic_eoi_and_rotate_in_aeoi)
{
    Rig r;
    rig_init(&r);
    pic_init(&r, 0x03, 0x01); /* master AEOI */
    pulse_irq(&r, 3);
    CHECK_EQ(intack(&r), 0x0b);
    CHECK_EQ(read_isr(&r, 0x20), 0x00);
    pulse_irq(&r, 4);            /* no EOI needed for the next one */
    CHECK_EQ(r.intr, 1);
    CHECK_EQ(intack(&r), 0x0c);
    outb(&r, 0x20, 0x80);        /* rotate in AEOI mode */
    pulse_irq(&r, 0);
    CHECK_EQ(intack(&r), 0x08);  /* 0 served, becomes lowest */
    pulse_irq(&r, 0);
    pulse_irq(&r, 7);
    CHECK_EQ(intack(&r), 0x0f);
    CHECK_EQ(intack(&r), 0x08);
    outb(&r, 0x20, 0x00);        /* clear rotate in AEOI */
    pulse_irq(&r, 7);
    pulse_irq(&r, 6);
    CHECK_EQ(intack(&r), 0x0e);  /* no rotation now: 0 stays lowest, 6 before 7 */
}

TEST(poll_mode)
{
    Rig r;
    rig_init(&r);
    pic_init(&r, 0x01, 0x01);
    outb(&r, 0x20, 0x0c);          /* OCW3 poll */
    CHECK_EQ(inb(&r, 0x20), 0x00); /* nothing requesting */
    pulse_irq(&r, 5);
    pulse_irq(&r, 6);
    outb(&r, 0x20, 0x0c);
    CHECK_EQ(inb(&r, 0x21), 0x85); /* either port; acts as INTA */
    CHECK_EQ(read_isr(&r, 0x20), 0x20);
    CHECK_EQ(inb(&r, 0x20), 0x40); /* not a poll any more: IRR */
    outb(&r, 0x20, 0x20);
    outb(&r, 0x20, 0x0c);
    CHECK_EQ(inb(&r, 0x20), 0x86);
    outb(&r, 0x20, 0x20);
    /* the slave is polled on its own */
    pulse_irq(&r, 11);
    outb(&r, 0xa0, 0x0c);
    CHECK_EQ(inb(&r, 0xa0), 0x83);
    CHECK_EQ(read_isr(&r, 0xa0), 0x08);
}

TEST(special_mask_mode)
{
    Rig r;
    rig_init(&r);
    pic_init(&r, 0x01, 0x01);
    pulse_irq(&r, 3);
    CHECK_EQ(intack(&r), 0x0b);
    pulse_irq(&r, 5);
    CHECK_EQ(r.intr, 0);          /* blocked by 3 in service */
    outb(&r, 0x21, 0x08);         /* mask 3 */
    CHECK_EQ(r.intr, 0);          /* still blocked without SMM */
    outb(&r, 0x20, 0x68);         /* OCW3 ESMM|SMM */
    CHECK_EQ(r.intr, 1);
    CHECK_EQ(intack(&r), 0x0d);
    CHECK_EQ(read_isr(&r, 0x20), 0x28);
    outb(&r, 0x20, 0x48);         /* reset SMM */
    outb(&r, 0x20, 0x65);
    outb(&r, 0x20, 0x63);
    CHECK_EQ(read_isr(&r, 0x20), 0x00);
}

TEST(special_fully_nested_mode)
{
    /* Without SFNM a higher slave IRQ waits while IR2 is in service... */
    Rig r;
    rig_init(&r);
    pic_init(&r, 0x01, 0x01);
    pulse_irq(&r, 12);
    CHECK_EQ(intack(&r), 0x74);
    outb(&r, 0xa0, 0x20);        /* slave EOI'd, master IR2 still in service */
    pulse_irq(&r, 9);
    CHECK_EQ(r.intr, 0);

    /* ...with SFNM on the master it nests. */
    Rig s;
    rig_init(&s);
    pic_init(&s, 0x11, 0x01);
    pulse_irq(&s, 12);
    CHECK_EQ(intack(&s), 0x74);
    pulse_irq(&s, 9);            /* higher than 12 on the slave */
    CHECK_EQ(s.intr, 1);
    CHECK_EQ(intack(&s), 0x71);
    CHECK_EQ(read_isr(&s, 0xa0), 0x12);
    pulse_irq(&s, 13);           /* lower than 12: the slave blocks it */
    CHECK_EQ(s.intr, 0);
    pulse_irq(&s, 5);            /* master levels below IR2 stay blocked */
    CHECK_EQ(s.intr, 0);
}

TEST(elcr_valid_bits)
{
    Rig r;
    rig_init(&r);
    CHECK_EQ(inb(&r, 0x4d0), 0x00);
    CHECK_EQ(inb(&r, 0x4d1), 0x00);
    outb(&r, 0x4d0, 0xff);
    outb(&r, 0x4d1, 0xff);
    CHECK_EQ(inb(&r, 0x4d0), 0xf8); /* IRQ 0, 1, 2 edge only */
    CHECK_EQ(inb(&r, 0x4d1), 0xde); /* IRQ 8, 13 edge only */
}

TEST(level_triggered_reassertion)
{
    Rig r;
    rig_init(&r);
    pic_init(&r, 0x01, 0x01);
    outb(&r, 0x4d1, 0x04);        /* IRQ 10 level */
    set_irq(&r, 10, 1);
    CHECK_EQ(intack(&r), 0x72);
    outb(&r, 0xa0, 0x20);
    outb(&r, 0x20, 0x20);
    CHECK_EQ(r.intr, 1);          /* still asserted: interrupts again */
    CHECK_EQ(intack(&r), 0x72);
    set_irq(&r, 10, 0);           /* the device is serviced */
    outb(&r, 0xa0, 0x20);
    outb(&r, 0x20, 0x20);
    CHECK_EQ(r.intr, 0);
    CHECK_EQ(inb(&r, 0xa0), 0x00);

    /* the same with the line edge-triggered: one interrupt only */
    outb(&r, 0x4d1, 0x00);
    set_irq(&r, 10, 1);
    CHECK_EQ(intack(&r), 0x72);
    outb(&r, 0xa0, 0x20);
    outb(&r, 0x20, 0x20);
    CHECK_EQ(r.intr, 0);
    /* switching a high line to level mode makes it a request at once */
    outb(&r, 0x4d1, 0x04);
    CHECK_EQ(r.intr, 1);
}

TEST(spurious_irq7_and_irq15)
{
    Rig r;
    rig_init(&r);
    pic_init(&r, 0x01, 0x01);
    outb(&r, 0x4d0, 0x20);        /* IRQ 5 level */
    set_irq(&r, 5, 1);
    CHECK_EQ(r.intr, 1);
    set_irq(&r, 5, 0);            /* gone before INTA */
    CHECK_EQ(r.intr, 0);
    CHECK_EQ(intack(&r), 0x0f);   /* IRQ 7 vector */
    CHECK_EQ(read_isr(&r, 0x20), 0x00);

    outb(&r, 0x4d1, 0x08);        /* IRQ 11 level */
    set_irq(&r, 11, 1);
    CHECK_EQ(r.intr, 1);
    set_irq(&r, 11, 0);
    /* the master latched the slave's edge on IR2; the slave has nothing */
    CHECK_EQ(intack(&r), 0x77);
    CHECK_EQ(read_isr(&r, 0xa0), 0x00);
    CHECK_EQ(read_isr(&r, 0x20), 0x04); /* the master must still get its EOI */
}

TEST(masked_request_stays_pending)
{
    Rig r;
    rig_init(&r);
    pic_init(&r, 0x01, 0x01);
    outb(&r, 0xa1, 0x01);         /* mask IRQ 8 */
    pulse_irq(&r, 8);
    CHECK_EQ(r.intr, 0);
    CHECK_EQ(inb(&r, 0xa0), 0x01);
    outb(&r, 0xa1, 0x00);
    CHECK_EQ(r.intr, 1);
    CHECK_EQ(intack(&r), 0x70);
    /* ISA IRQ 2 is IRQ 9 on the AT bus */
    outb(&r, 0xa0, 0x20);
    outb(&r, 0x20, 0x20);
    pulse_irq(&r, 2);
    CHECK_EQ(intack(&r), 0x71);
}

TEST(edge_line_held_high_interrupts_once)
{
    Rig r;
    rig_init(&r);
    pic_init(&r, 0x01, 0x01);
    set_irq(&r, 4, 1);
    CHECK_EQ(intack(&r), 0x0c);
    outb(&r, 0x20, 0x20);
    CHECK_EQ(r.intr, 0);
    set_irq(&r, 4, 1);            /* a repeated level is not an edge */
    CHECK_EQ(r.intr, 0);
    set_irq(&r, 4, 0);
    set_irq(&r, 4, 1);
    CHECK_EQ(r.intr, 1);
}

TEST(vmstate_round_trip)
{
    Rig r;
    Error *err = NULL;
    rig_init(&r);
    pic_init(&r, 0x01, 0x01);
    outb(&r, 0x21, 0x30);
    outb(&r, 0x4d1, 0x04);
    pulse_irq(&r, 1);
    pulse_irq(&r, 6);
    CHECK_EQ(intack(&r), 0x09);
    vmstate_register("i8259", 0, i8259_class.vmsd, r.pic);
    VMStream *st = vmstate_mem_stream_new();
    CHECK_EQ(vmstate_save_all(st, &err), 0);
    size_t len;
    const uint8_t *data = vmstate_stream_data(st, &len);
    uint8_t *copy = malloc(len);
    memcpy(copy, data, len);

    outb(&r, 0x20, 0x20);
    outb(&r, 0x21, 0x00);
    outb(&r, 0x4d1, 0x00);
    outb(&r, 0x20, 0xc3);
    CHECK_EQ(intack(&r), 0x0e);

    VMStream *in = vmstate_mem_stream_open(copy, len);
    CHECK_EQ(vmstate_load_all(in, &err), 0);
    CHECK_EQ(inb(&r, 0x21), 0x30);
    CHECK_EQ(inb(&r, 0x4d1), 0x04);
    CHECK_EQ(read_isr(&r, 0x20), 0x02);
    CHECK_EQ(inb(&r, 0x20), 0x40);
    outb(&r, 0x20, 0x20);
    CHECK_EQ(intack(&r), 0x0e);
    vmstate_stream_free(in);
    vmstate_stream_free(st);
    free(copy);
}

TEST(info_pic_dump)
{
    Rig r;
    rig_init(&r);
    pic_init(&r, 0x03, 0x01);
    outb(&r, 0x21, 0xfb);
    char buf[1024] = "";
    FILE *f = tmpfile();
    CHECK(f != NULL);
    i8259_print(r.pic, f);
    rewind(f);
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = 0;
    fclose(f);
    CHECK(strstr(buf, "pic0: irr=00 imr=fb isr=00") != NULL);
    CHECK(strstr(buf, "base=08") != NULL);
    CHECK(strstr(buf, "base=70") != NULL);
    CHECK(strstr(buf, " aeoi") != NULL);
}

TEST(unrealize_releases_ports)
{
    Rig r;
    rig_init(&r);
    i8259_class.unrealize(r.pic);
    CHECK(r.m.intack == NULL);
    CHECK_EQ(inb(&r, 0x21), 0xff); /* unassigned */
    free(r.pic);
    ioport_space_free(r.m.io);
}

TEST(slave_int_falls_during_inta)
{
    /* Slave in AEOI with two requests: after the first INTA the slave's INT
     * is still high; the master must see it as a new request on IR2. */
    Rig r;
    rig_init(&r);
    pic_init(&r, 0x01, 0x03);
    pulse_irq(&r, 9);
    pulse_irq(&r, 10);
    CHECK_EQ(intack(&r), 0x71);
    CHECK_EQ(read_isr(&r, 0xa0), 0x00);
    CHECK_EQ(r.intr, 0);          /* IR2 in service on the master */
    outb(&r, 0x20, 0x20);
    CHECK_EQ(r.intr, 1);
    CHECK_EQ(intack(&r), 0x72);
}
