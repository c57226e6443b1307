/* src/device: registry, -device help, properties, ids, reset, vmstate, free. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "src/chardev.h"
#include "src/device.h"
#include "src/machine.h"
#include "src/mainloop.h"
#include "src/vmstate.h"

/* Everything f printed, as a malloc'ed string. */
static char *slurp(FILE *f)
{
    long n = ftell(f);
    rewind(f);
    char *s = calloc(1, (size_t)n + 1);
    if (fread(s, 1, (size_t)n, f) != (size_t)n)
        s[0] = '\0';
    fclose(f);
    return s;
}

static char *help_text(void)
{
    FILE *f = tmpfile();
    device_print_help(f);
    return slurp(f);
}

static char *props_text(const char *name)
{
    FILE *f = tmpfile();
    device_print_props(f, device_class_find(name));
    return slurp(f);
}

TEST(registry_finds_classes)
{
    CHECK(device_class_find("isa-serial"));
    CHECK(device_class_find("isa-debug-exit"));
    CHECK(device_class_find("isa-debugcon"));
    CHECK(device_class_find("pc-testdev"));
    CHECK(!device_class_find("isa-seria"));
    CHECK_STR(device_class_find("isa-serial")->name, "isa-serial");
}

static void count_cls(const DeviceClass *cls, void *opaque)
{
    (void)cls;
    (*(int *)opaque)++;
}

TEST(foreach_visits_every_class)
{
    int n = 0;
    device_class_foreach(count_cls, &n);
    CHECK(n >= 4);
}

TEST(help_groups_like_qemu)
{
    char *h = help_text();
    /* every category header but the first of QEMU's list has a blank line before it */
    CHECK(strstr(h, "\nInput devices:\nname \"isa-serial\", bus ISA, desc \"16550A UART\"\n"));
    const char *misc = strstr(h, "\n\nMisc devices:\n");
    CHECK(misc);
    const char *a = strstr(misc, "name \"isa-debug-exit\", bus ISA, desc \"");
    const char *b = strstr(misc, "name \"isa-debugcon\", bus ISA, desc \"");
    const char *c = strstr(misc, "name \"pc-testdev\", bus ISA, desc \"");
    CHECK(a && b && c);
    CHECK(a < b && b < c); /* sorted by name within the group */
    CHECK(strstr(h, "Input devices:") < misc); /* QEMU's category order */
    free(h);
}

TEST(props_help_like_qemu)
{
    char *p = props_text("isa-debug-exit");
    CHECK_STR(p, "isa-debug-exit options:\n"
                 "  iobase=<uint32>        -  (default: 1281)\n"
                 "  iosize=<uint32>        -  (default: 2)\n");
    free(p);
    p = props_text("pc-testdev");
    CHECK_STR(p, "There are no options for pc-testdev.\n");
    free(p);
    p = props_text("isa-debugcon");
    CHECK(strstr(p, "\n  chardev=<str>          - ID of a chardev to use as a backend\n"));
    CHECK(strstr(p, "\n  iobase=<uint32>        -  (default: 233)\n"));
    /* sorted: chardev, iobase, readback */
    CHECK(strstr(p, "chardev=") < strstr(p, "iobase=") && strstr(p, "iobase=") < strstr(p, "readback="));
    free(p);
}

TEST(create_applies_props_and_defaults)
{
    Machine *m = machine_new_bare(0);
    Error *err = NULL;
    Device *d = device_create(m, "isa-debugcon", "iobase=0x402,readback=0x5a", &err);
    CHECK(d && !err);
    CHECK_EQ(ioport_read(m->io, 0x402, 1), 0x5a);
    CHECK_EQ(ioport_read(m->io, 0xe9, 1), 0xff); /* not at the default any more */
    Device *d2 = device_create(m, "isa-debugcon", "iobase=1027", &err); /* decimal */
    CHECK(d2 && !err);
    CHECK_EQ(ioport_read(m->io, 0x403, 1), 0xe9); /* the default readback */
    machine_free(m);
}

TEST(driver_from_first_item_and_ids)
{
    Machine *m = machine_new_bare(0);
    Error *err = NULL;
    Device *d = device_create(m, NULL, "isa-debugcon,iobase=0x400,id=con0", &err);
    CHECK(d && !err);
    CHECK_STR(d->cls->name, "isa-debugcon");
    CHECK_STR(d->id, "con0");
    CHECK_EQ(ioport_read(m->io, 0x400, 1), 0xe9);
    d = device_create(m, NULL, "driver=isa-debugcon,iobase=0x401", &err);
    CHECK(d && !err);
    CHECK_STR(d->id, "isa-debugcon.1"); /* generated: class and instance */
    CHECK_EQ(d->instance_id, 1);
    d = device_create(m, NULL, "isa-debugcon,iobase=0x403,id=con0", &err);
    CHECK(!d && err);
    CHECK(strstr(err->msg, "Duplicate device ID 'con0'"));
    error_free(err);
    err = NULL;
    d = device_create(m, NULL, "isa-debugcon,id=9x", &err);
    CHECK(!d && err && strstr(err->msg, "9x"));
    error_free(err);
    err = NULL;
    d = device_create(m, NULL, "isa-nothing,iobase=1", &err);
    CHECK(!d && err);
    CHECK(strstr(err->msg, "'isa-nothing' is not a valid device model name"));
    error_free(err);
    machine_free(m);
}

TEST(errors_name_device_property_value)
{
    Machine *m = machine_new_bare(0);
    Error *err = NULL;
    CHECK(!device_create(m, "isa-debug-exit", "iobase=0xf4,bogus=7", &err));
    CHECK(err && strstr(err->msg, "isa-debug-exit") && strstr(err->msg, "bogus=7"));
    error_free(err);
    err = NULL;
    CHECK(!device_create(m, "isa-debug-exit", "iobase=zz", &err));
    CHECK(err && strstr(err->msg, "isa-debug-exit") && strstr(err->msg, "'iobase'") &&
          strstr(err->msg, "'zz'"));
    error_free(err);
    err = NULL;
    CHECK(!device_create(m, "isa-debug-exit", "iobase=0x100000000", &err)); /* > uint32 */
    CHECK(err && strstr(err->msg, "uint32"));
    error_free(err);
    err = NULL;
    CHECK(!device_create(m, "isa-debug-exit", "iobase=-1", &err));
    error_free(err);
    err = NULL;
    /* ",," is a comma inside the value */
    CHECK(!device_create(m, "isa-debug-exit", "iobase=1,,2", &err));
    CHECK(err && strstr(err->msg, "'1,2'"));
    error_free(err);
    err = NULL;
    /* a bare non-bool key needs a value */
    CHECK(!device_create(m, "isa-debug-exit", "iobase", &err));
    CHECK(err && strstr(err->msg, "iobase"));
    error_free(err);
    err = NULL;
    /* realize errors */
    CHECK(!device_create(m, "isa-debug-exit", "iobase=0xfffe,iosize=4", &err));
    CHECK(err && strstr(err->msg, "0xfffe"));
    error_free(err);
    CHECK(!m->devices); /* nothing half-made was kept */
    machine_free(m);
}

TEST(chardev_property)
{
    Machine *m = machine_new_bare(0);
    Error *err = NULL;
    CHECK(!device_create(m, "isa-serial", "chardev=nope", &err));
    CHECK(err && strstr(err->msg, "chardev 'nope' not found"));
    error_free(err);
    err = NULL;
    Chardev *c = chardev_new_opts("null,id=n0", &err);
    CHECK(c && !err);
    CHECK(device_create(m, "isa-serial", "chardev=n0", &err));
    CHECK(!device_create(m, "isa-serial", "chardev=n0", &err)); /* one user */
    CHECK(err && strstr(err->msg, "in use"));
    error_free(err);
    err = NULL;
    device_free_all(m);
    /* released with the device */
    CHECK(device_create(m, "isa-serial", "chardev=n0", &err));
    machine_free(m);
    chardev_free_all();
}

TEST(reset_all_and_free_all)
{
    Machine *m = machine_new_bare(0);
    Error *err = NULL;
    CHECK(device_create(m, "isa-serial", NULL, &err));
    CHECK(device_create(m, "isa-serial", NULL, &err)); /* COM2 */
    ioport_write(m->io, 0x3ff, 0x11, 1);
    ioport_write(m->io, 0x2ff, 0x22, 1);
    CHECK_EQ(ioport_read(m->io, 0x2ff, 1), 0x22);
    device_reset_all(m);
    CHECK_EQ(ioport_read(m->io, 0x3ff, 1), 0);
    CHECK_EQ(ioport_read(m->io, 0x2ff, 1), 0);
    CHECK_EQ(m->devices->instance_id, 0);
    CHECK_EQ(m->devices->next->instance_id, 1);
    device_free_all(m);
    CHECK(!m->devices);
    CHECK_EQ(ioport_read(m->io, 0x3ff, 1), 0xff); /* unregistered */
    machine_free(m);
}

TEST(vmstate_registered_per_device)
{
    Machine *m = machine_new_bare(0);
    Error *err = NULL;
    CHECK(device_create(m, "isa-serial", NULL, &err));
    CHECK(device_create(m, "isa-serial", NULL, &err));
    ioport_write(m->io, 0x3ff, 0x11, 1);
    ioport_write(m->io, 0x2ff, 0x22, 1);
    VMStream *s = vmstate_mem_stream_new();
    CHECK_EQ(vmstate_save_all(s, &err), 0);
    size_t len;
    const uint8_t *data = vmstate_stream_data(s, &len);
    ioport_write(m->io, 0x3ff, 0x99, 1);
    ioport_write(m->io, 0x2ff, 0x98, 1);
    VMStream *in = vmstate_mem_stream_open(data, len);
    CHECK_EQ(vmstate_load_all(in, &err), 0);
    CHECK_EQ(ioport_read(m->io, 0x3ff, 1), 0x11); /* instance 0 back to COM1 */
    CHECK_EQ(ioport_read(m->io, 0x2ff, 1), 0x22);
    vmstate_stream_free(in);
    machine_free(m);
    /* freeing unregistered both: a machine with one serial rejects the
     * two-serial stream instead of writing into the freed second one */
    m = machine_new_bare(0);
    CHECK(device_create(m, "isa-serial", NULL, &err));
    in = vmstate_mem_stream_open(data, len);
    CHECK_EQ(vmstate_load_all(in, &err), -1);
    CHECK(err && strstr(err->msg, "serial"));
    error_free(err);
    vmstate_stream_free(in);
    vmstate_stream_free(s);
    machine_free(m);
}

TEST(machine_request_exit_first_wins)
{
    Machine *m = machine_new_bare(0);
    machine_request_exit(m, 7);
    machine_request_exit(m, 9);
    CHECK_EQ(m->exit_status, 7);
    CHECK_EQ(mainloop_run(), MACHINE_EXIT_STATUS);
    machine_request_exit(m, 9);
    CHECK_EQ(m->exit_status, 9);
    CHECK_EQ(mainloop_run(), MACHINE_EXIT_STATUS);
    machine_free(m);
}

TEST(bare_machine_records_irqs_and_ram)
{
    Machine *m = machine_new_bare(1 << 20);
    irq_raise(m->isa_irq[5]);
    CHECK_EQ(machine_bare_irq_level(m, 5), 1);
    irq_lower(m->isa_irq[5]);
    irq_pulse(m->isa_irq[5]);
    CHECK_EQ(machine_bare_irq_level(m, 5), 0);
    CHECK_EQ(machine_bare_irq_raises(m, 5), 2);
    irq_raise(m->gsi[20]);
    CHECK_EQ(machine_bare_irq_level(m, MACHINE_ISA_IRQS + 20), 1);
    CHECK_EQ(machine_bare_irq_level(m, 99), -1);
    address_space_stl_le(m->as, 0x1000, 0xcafef00d);
    CHECK_EQ(address_space_ldl_le(m->as, 0x1000), 0xcafef00d);
    CHECK_EQ(address_space_ldl_le(m->as, 1 << 20), 0xffffffff); /* past RAM */
    machine_free(m);
}
