/* hw/debugexit, hw/debugcon, hw/pc_testdev on a bare machine. */
#include "unit.h"

#include <stdlib.h>
#include <unistd.h>

#include "hw/pc_testdev.h"
#include "ports/posix.h"
#include "src/chardev.h"
#include "src/device.h"
#include "src/machine.h"
#include "src/mainloop.h"

static Machine *with(const char *name, const char *props)
{
    Machine *m = machine_new_bare(1 << 20);
    Error *err = NULL;
    if (!device_create(m, name, props, &err)) {
        error_report_err(err);
        machine_free(m);
        return NULL;
    }
    return m;
}

/* ---- isa-debug-exit --------------------------------------------------------- */

TEST(debug_exit_status_from_value)
{
    Machine *m = with("isa-debug-exit", "iobase=0xf4,iosize=0x04");
    CHECK(m);
    CHECK_EQ(mainloop_exit_requested(), MAINLOOP_EXIT_NONE);
    ioport_write(m->io, 0xf4, 0, 1);
    CHECK_EQ(mainloop_exit_requested(), MACHINE_EXIT_STATUS);
    CHECK_EQ(m->exit_status, 1);
    CHECK_EQ(mainloop_run(), MACHINE_EXIT_STATUS);
    ioport_write(m->io, 0xf4, 0x10, 1);
    CHECK_EQ(m->exit_status, 0x21);
    mainloop_run();
    /* the whole access width counts */
    ioport_write(m->io, 0xf4, 0x1234, 2);
    CHECK_EQ(m->exit_status, 0x2469);
    mainloop_run();
    ioport_write(m->io, 0xf4, 0x00abcdef, 4);
    CHECK_EQ(m->exit_status, 0x01579bdf);
    mainloop_run();
    /* any port of the range */
    ioport_write(m->io, 0xf7, 3, 1);
    CHECK_EQ(m->exit_status, 7);
    mainloop_run();
    /* outside it nothing happens */
    ioport_write(m->io, 0xf8, 3, 1);
    CHECK_EQ(mainloop_exit_requested(), MAINLOOP_EXIT_NONE);
    machine_free(m);
}

TEST(debug_exit_defaults)
{
    Machine *m = with("isa-debug-exit", NULL);
    CHECK(m);
    ioport_write(m->io, 0x500, 1, 1);
    CHECK_EQ(mainloop_exit_requested(), MAINLOOP_EXIT_NONE);
    ioport_write(m->io, 0x503, 1, 1);
    CHECK_EQ(mainloop_exit_requested(), MAINLOOP_EXIT_NONE);
    ioport_write(m->io, 0x501, 1, 1);
    CHECK_EQ(m->exit_status, 3);
    mainloop_run();
    ioport_write(m->io, 0x502, 2, 1); /* iosize 2: 0x501-0x502 */
    CHECK_EQ(m->exit_status, 5);
    mainloop_run();
    machine_free(m);
}

/* ---- isa-debugcon ----------------------------------------------------------- */

TEST(debugcon_writes_to_chardev_and_reads_back)
{
    int out[2];
    CHECK(pipe(out) == 0);
    Error *err = NULL;
    CHECK(chardev_new_fd("dc", -1, out[1], &err));
    Machine *m = with("isa-debugcon", "chardev=dc");
    CHECK(m);
    for (const char *p = "PASS\n"; *p; p++)
        ioport_write(m->io, 0xe9, (uint8_t)*p, 1);
    char buf[8] = "";
    CHECK_EQ(read(out[0], buf, sizeof(buf) - 1), 5);
    CHECK_STR(buf, "PASS\n");
    CHECK_EQ(ioport_read(m->io, 0xe9, 1), 0xe9);
    machine_free(m);
    m = with("isa-debugcon", "iobase=0x402,readback=0x42");
    CHECK(m);
    CHECK_EQ(ioport_read(m->io, 0x402, 1), 0x42);
    ioport_write(m->io, 0x402, 'x', 1); /* no chardev: dropped, no crash */
    machine_free(m);
    chardev_free_all();
    close(out[0]);
}

/* ---- pc-testdev ------------------------------------------------------------- */

TEST(testdev_scratch_register)
{
    Machine *m = with("pc-testdev", NULL);
    CHECK(m);
    ioport_write(m->io, 0xe0, 0x12345678, 4);
    CHECK_EQ(ioport_read(m->io, 0xe0, 4), 0x12345678);
    CHECK_EQ(ioport_read(m->io, 0xe1, 1), 0x56);
    CHECK_EQ(ioport_read(m->io, 0xe2, 2), 0x1234);
    ioport_write(m->io, 0xe1, 0xab, 1);
    CHECK_EQ(ioport_read(m->io, 0xe0, 4), 0x1234ab78);
    ioport_write(m->io, 0xe2, 0xcdef, 2);
    CHECK_EQ(ioport_read(m->io, 0xe0, 4), 0xcdefab78);
    /* 0xe8..0xeb: the same register, byte by byte */
    CHECK_EQ(ioport_read(m->io, 0xe8, 4), 0xcdefab78);
    ioport_write(m->io, 0xeb, 0x01, 1);
    CHECK_EQ(ioport_read(m->io, 0xe0, 4), 0x01efab78);
    ioport_write(m->io, 0xe8, 0x55667788, 4);
    CHECK_EQ(ioport_read(m->io, 0xe0, 4), 0x55667788);
    machine_free(m);
}

static uint64_t flushed[4];
static int nflushed;

static void flush_hook(uint64_t page)
{
    if (nflushed < 4)
        flushed[nflushed] = page;
    nflushed++;
}

TEST(testdev_flush_page)
{
    Machine *m = with("pc-testdev", NULL);
    CHECK(m);
    pc_testdev_flush_page_hook = flush_hook;
    ioport_write(m->io, 0xe4, 0x12345abc, 4);
    CHECK_EQ(nflushed, 1);
    CHECK_EQ(flushed[0], 0x12345000);
    ioport_write(m->io, 0xe4, 0x1000, 1); /* 32-bit writes only */
    ioport_write(m->io, 0xe4, 0x1000, 2);
    CHECK_EQ(nflushed, 1);
    pc_testdev_flush_page_hook = NULL;
    ioport_write(m->io, 0xe4, 0x1000, 4); /* no hook: nothing to do */
    CHECK_EQ(nflushed, 1);
    machine_free(m);
}

TEST(testdev_irq_lines)
{
    Machine *m = with("pc-testdev", NULL);
    CHECK(m);
    ioport_write(m->io, 0x2004, 1, 1);
    CHECK_EQ(machine_bare_irq_level(m, 4), 1);
    ioport_write(m->io, 0x2004, 0, 1);
    CHECK_EQ(machine_bare_irq_level(m, 4), 0);
    ioport_write(m->io, 0x200f, 0x80, 1); /* any non-zero value is high */
    CHECK_EQ(machine_bare_irq_level(m, 15), 1);
    ioport_write(m->io, 0x2011, 1, 1); /* 17: an IO APIC input */
    CHECK_EQ(machine_bare_irq_level(m, MACHINE_ISA_IRQS + 17), 1);
    CHECK_EQ(machine_bare_irq_level(m, 1), 0);
    ioport_write(m->io, 0x2017, 1, 1);
    CHECK_EQ(machine_bare_irq_level(m, MACHINE_ISA_IRQS + 23), 1);
    ioport_write(m->io, 0x2018, 1, 1); /* past the 24 lines: unassigned */
    ioport_write(m->io, 0x2002, 0x0101, 2); /* byte writes only: ignored */
    CHECK_EQ(machine_bare_irq_level(m, 2), 0);
    CHECK_EQ(machine_bare_irq_level(m, 3), 0);
    machine_free(m);
}

TEST(testdev_iomem)
{
    Machine *m = with("pc-testdev", NULL);
    CHECK(m);
    address_space_stl_le(m->as, 0xff000010, 0xdeadbeef);
    CHECK_EQ(address_space_ldub(m->as, 0xff000011), 0xbe);
    CHECK_EQ(address_space_lduw_le(m->as, 0xff000012), 0xdead);
    address_space_stq_le(m->as, 0xff00fff8, 0x0123456789abcdefull);
    CHECK_EQ(address_space_ldq_le(m->as, 0xff00fff8), 0x0123456789abcdefull);
    uint8_t buf[3] = { 1, 2, 3 };
    address_space_write(m->as, 0xff000101, buf, 3);
    CHECK_EQ(address_space_ldl_le(m->as, 0xff000100), 0x03020100);
    CHECK_EQ(address_space_ldub(m->as, 0xff010000), 0xff); /* 64 KiB only */
    CHECK_EQ(address_space_ldub(m->as, 0xfeffffff), 0xff);
    machine_free(m);
    /* freed with the device: the window is gone */
    m = machine_new_bare(0);
    CHECK_EQ(address_space_ldl_le(m->as, 0xff000010), 0xffffffff);
    machine_free(m);
}
