/* hw/i8042: the controller driven through ports 0x60/0x64 the way SeaBIOS
 * and Linux's i8042/atkbd/psmouse drivers drive it. */
#include "unit.h"

#include "i8042_rig.h"
#include "hw/a20gate.h"
#include "src/vmstate.h"
#include "ui/input.h"
#include "ui/keymap.h"

static void key(unsigned kc, bool down)
{
    input_key_event(kc, down);
}

static void tap(unsigned kc)
{
    key(kc, true);
    key(kc, false);
}

TEST(power_on_state)
{
    Rig r;
    rig_init(&r);
    CHECK_EQ(rig_status(&r), I8042_STAT_INH);
    CHECK_EQ(rig_get_ctr(&r), I8042_CTR_INT | I8042_CTR_INT2);
    CHECK_EQ(rig_status(&r) & (I8042_STAT_OBF | I8042_STAT_A2), I8042_STAT_A2);
    rig_cmd(&r, 0xd0);
    CHECK_EQ(rig_read(&r), 0xcf);
    rig_cmd(&r, 0xc0);
    CHECK_EQ(rig_read(&r) & 0x80, 0x80);        /* keyboard not inhibited */
}

TEST(self_test_and_interface_tests)
{
    Rig r;
    rig_init(&r);
    CHECK_EQ(rig_status(&r) & I8042_STAT_SYS, 0);
    rig_cmd(&r, 0xaa);
    CHECK_EQ(rig_status(&r) & (I8042_STAT_OBF | I8042_STAT_SYS | I8042_STAT_A2),
             I8042_STAT_OBF | I8042_STAT_SYS | I8042_STAT_A2);
    CHECK_EQ(rig_in(&r, 0x60), 0x55);
    CHECK_EQ(rig_status(&r) & I8042_STAT_OBF, 0);
    /* the last byte stays readable */
    CHECK_EQ(rig_in(&r, 0x60), 0x55);
    rig_cmd(&r, 0xab);
    EXPECT_BYTES(&r, 0x00);
    rig_cmd(&r, 0xa9);
    EXPECT_BYTES(&r, 0x00);
    rig_cmd(&r, 0xa4);
    EXPECT_BYTES(&r, 0xf1);
    /* A2 follows the last port written */
    rig_data(&r, 0xf4);
    CHECK_EQ(rig_status(&r) & I8042_STAT_A2, 0);
    EXPECT_BYTES(&r, 0xfa);
}

TEST(command_byte_and_ram)
{
    Rig r;
    rig_init(&r);
    rig_set_ctr(&r, 0x65);
    CHECK_EQ(rig_get_ctr(&r), 0x65);
    CHECK(rig_status(&r) & I8042_STAT_SYS);
    rig_set_ctr(&r, 0x41);
    CHECK_EQ(rig_status(&r) & I8042_STAT_SYS, 0);
    /* RAM bytes 1..31 through 0x61-0x7f / 0x21-0x3f */
    rig_cmd(&r, 0x7f);
    rig_data(&r, 0x9c);
    rig_cmd(&r, 0x3f);
    EXPECT_BYTES(&r, 0x9c);
    CHECK_EQ(rig_get_ctr(&r), 0x41);
    /* enable/disable commands edit the command byte, as Linux checks */
    rig_cmd(&r, 0xa7);
    CHECK_EQ(rig_get_ctr(&r), 0x41 | I8042_CTR_AUXDIS);
    rig_cmd(&r, 0xa8);
    CHECK_EQ(rig_get_ctr(&r), 0x41);
    rig_cmd(&r, 0xad);
    CHECK_EQ(rig_get_ctr(&r), 0x41 | I8042_CTR_KBDDIS);
    rig_cmd(&r, 0xae);
    CHECK_EQ(rig_get_ctr(&r), 0x41);
}

/* SeaBIOS's ps2port setup: self test, disable both, reset the keyboard,
 * read the BAT, then enable with translation. */
TEST(bios_keyboard_init_sequence)
{
    Rig r;
    rig_init(&r);
    rig_cmd(&r, 0xaa);
    EXPECT_BYTES(&r, 0x55);
    rig_set_ctr(&r, I8042_CTR_KBDDIS | I8042_CTR_AUXDIS);
    rig_cmd(&r, 0xab);
    EXPECT_BYTES(&r, 0x00);
    /* the port must be enabled to hear the keyboard */
    rig_set_ctr(&r, I8042_CTR_AUXDIS);
    rig_data(&r, 0xff);
    EXPECT_BYTES(&r, 0xfa, 0xaa);
    rig_data(&r, 0xf5);
    EXPECT_BYTES(&r, 0xfa);
    rig_data(&r, 0xf2);
    EXPECT_BYTES(&r, 0xfa, 0xab, 0x83);
    rig_data(&r, 0xf4);
    EXPECT_BYTES(&r, 0xfa);
    fake_pc_clear_lines(r.pc);
    rig_set_ctr(&r, I8042_CTR_XLATE | I8042_CTR_SYS | I8042_CTR_INT | I8042_CTR_AUXDIS);
    CHECK_EQ(r.pc->isa[1].rises, 0);
    key(KC_A, true);
    CHECK_EQ(r.pc->isa[1].level, 1);
    CHECK_EQ(rig_in(&r, 0x60), 0x1e);
    CHECK_EQ(r.pc->isa[1].level, 0);
    key(KC_A, false);
    CHECK_EQ(r.pc->isa[1].rises, 2);
    EXPECT_BYTES(&r, 0x9e);
}

TEST(keyboard_disabled_port_holds_data)
{
    Rig r;
    rig_init(&r);
    rig_set_ctr(&r, I8042_CTR_KBDDIS);
    tap(KC_A);
    EXPECT_NONE(&r);
    /* a controller answer still comes through */
    rig_cmd(&r, 0xab);
    EXPECT_BYTES(&r, 0x00);
    rig_cmd(&r, 0xae);
    EXPECT_BYTES(&r, 0x1c, 0xf0, 0x1c);
}

TEST(translation_of_keys)
{
    Rig r;
    rig_init(&r);
    tap(KC_A);
    EXPECT_BYTES(&r, 0x1c, 0xf0, 0x1c);
    rig_set_ctr(&r, I8042_CTR_XLATE);
    tap(KC_A);
    EXPECT_BYTES(&r, 0x1e, 0x9e);
    tap(KC_RIGHTCTRL);
    EXPECT_BYTES(&r, 0xe0, 0x1d, 0xe0, 0x9d);
    tap(KC_DOWN);
    EXPECT_BYTES(&r, 0xe0, 0x50, 0xe0, 0xd0);
    tap(KC_F7);                     /* set 2 0x83 */
    EXPECT_BYTES(&r, 0x41, 0xc1);
    tap(KC_PAUSE);
    EXPECT_BYTES(&r, 0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5);
    tap(KC_SYSRQ);
    EXPECT_BYTES(&r, 0xe0, 0x2a, 0xe0, 0x37, 0xe0, 0xb7, 0xe0, 0xaa);
    key(KC_LEFTALT, true);
    tap(KC_SYSRQ);                  /* set 2 0x84 */
    key(KC_LEFTALT, false);
    EXPECT_BYTES(&r, 0x38, 0x54, 0xd4, 0xb8);
    /* answers pass through: a translated keyboard identifies as AB 41 */
    rig_data(&r, 0xf2);
    EXPECT_BYTES(&r, 0xfa, 0xab, 0x41);
    /* and reports set 2 as 0x41 */
    rig_data(&r, 0xf0);
    rig_data(&r, 0x00);
    EXPECT_BYTES(&r, 0xfa, 0xfa, 0x41);
    rig_set_ctr(&r, 0);
    rig_data(&r, 0xf0);
    rig_data(&r, 0x00);
    EXPECT_BYTES(&r, 0xfa, 0xfa, 0x02);
    /* switching the keyboard to set 1 without XLATE */
    rig_data(&r, 0xf0);
    rig_data(&r, 0x01);
    EXPECT_BYTES(&r, 0xfa, 0xfa);
    tap(KC_RIGHTCTRL);
    EXPECT_BYTES(&r, 0xe0, 0x1d, 0xe0, 0x9d);
}

/* Every key's set 2 code translates to its set 1 code. */
TEST(translation_table_matches_keymap)
{
    int checked = 0;
    for (unsigned kc = 1; kc < INPUT_KEYCODE_MAX; kc++) {
        uint32_t s1 = keymap_to_set1(kc), s2 = keymap_to_set2(kc);
        if (!s1 || kc == KC_PAUSE)
            continue;
        CHECK_EQ(s1 >> 8, s2 >> 8);     /* E0 on both or neither */
        if (i8042_translate((uint8_t)s2) != (uint8_t)s1)
            unit_fail(__FILE__, __LINE__, "keycode %u: set 2 %02x -> %02x, want %02x", kc,
                      s2 & 0xff, i8042_translate((uint8_t)s2), s1 & 0xff);
        checked++;
    }
    CHECK(checked > 120);
    /* overrun, answers and prefixes */
    CHECK_EQ(i8042_translate(0x00), 0xff);
    CHECK_EQ(i8042_translate(0xfa), 0xfa);
    CHECK_EQ(i8042_translate(0xaa), 0xaa);
    CHECK_EQ(i8042_translate(0xe0), 0xe0);
    CHECK_EQ(i8042_translate(0xe1), 0xe1);
    /* the table is a permutation of 0x00-0x7f apart from 0x00 -> 0xff */
    uint8_t seen[256] = { 0 };
    for (int b = 1; b < 0x80; b++) {
        uint8_t t = i8042_translate((uint8_t)b);
        CHECK(t < 0x80);
        CHECK_EQ(seen[t], 0);
        seen[t] = 1;
    }
}

TEST(one_byte_at_a_time_with_irq)
{
    Rig r;
    rig_init(&r);
    rig_set_ctr(&r, I8042_CTR_INT | I8042_CTR_XLATE);
    fake_pc_clear_lines(r.pc);
    tap(KC_A);
    tap(KC_B);
    CHECK_EQ(r.pc->isa[1].level, 1);
    CHECK_EQ(r.pc->isa[1].rises, 1);
    static const uint8_t want[] = { 0x1e, 0x9e, 0x30, 0xb0 };
    for (int i = 0; i < 4; i++) {
        CHECK(rig_status(&r) & I8042_STAT_OBF);
        CHECK_EQ(rig_in(&r, 0x60), want[i]);
        /* reading lowers the line; the next byte raises it again */
        CHECK_EQ(r.pc->isa[1].rises, 1 + (i < 3 ? i + 1 : 3));
    }
    CHECK_EQ(r.pc->isa[1].level, 0);
    EXPECT_NONE(&r);
    /* with INT clear there is data but no interrupt */
    rig_set_ctr(&r, I8042_CTR_XLATE);
    fake_pc_clear_lines(r.pc);
    tap(KC_A);
    CHECK(rig_status(&r) & I8042_STAT_OBF);
    CHECK(r.pc->isa[1].level <= 0);
    CHECK_EQ(r.pc->isa[1].rises, 0);
    /* enabling INT with a byte waiting raises it */
    rig_cmd(&r, 0x60);
    rig_data(&r, I8042_CTR_XLATE | I8042_CTR_INT);
    CHECK_EQ(r.pc->isa[1].level, 1);
    EXPECT_BYTES(&r, 0x1e, 0x9e);
}

TEST(controller_answer_waits_for_the_buffer)
{
    Rig r;
    rig_init(&r);
    rig_set_ctr(&r, 0);
    tap(KC_A);                     /* 1c in the buffer, f0 1c waiting */
    rig_cmd(&r, 0x20);             /* the answer goes before the rest */
    EXPECT_BYTES(&r, 0x1c, 0x00, 0xf0, 0x1c);
}

TEST(keyboard_and_mouse_share_the_buffer)
{
    Rig r;
    rig_init(&r);
    rig_set_ctr(&r, I8042_CTR_INT | I8042_CTR_INT2 | I8042_CTR_XLATE);
    rig_cmd(&r, 0xd4);
    rig_data(&r, 0xf4);
    uint8_t b[16], aux[16];
    CHECK_EQ(rig_drain(&r, b, 16, aux), 1);
    CHECK_EQ(b[0], 0xfa);
    CHECK_EQ(aux[0], 1);
    fake_pc_clear_lines(r.pc);
    input_pointer_event(3, 0, 0, INPUT_BUTTON_LEFT);
    CHECK(rig_status(&r) & I8042_STAT_AUXB);
    CHECK_EQ(r.pc->isa[12].level, 1);
    CHECK(r.pc->isa[1].level <= 0);
    tap(KC_A);                      /* keyboard bytes wait behind the mouse byte */
    CHECK_EQ(rig_in(&r, 0x60), 0x09);
    CHECK_EQ(r.pc->isa[12].level, 0);
    /* the keyboard goes first once the buffer is free */
    CHECK_EQ(r.pc->isa[1].level, 1);
    int n = rig_drain(&r, b, 16, aux);
    CHECK_BYTES(b, n, 0x1e, 0x9e, 0x03, 0x00);
    CHECK_BYTES(aux, n, 0, 0, 1, 1);
    /* disabling the aux clock holds mouse data back */
    rig_cmd(&r, 0xa7);
    input_pointer_event(1, 0, 0, INPUT_BUTTON_LEFT);
    EXPECT_NONE(&r);
    rig_cmd(&r, 0xa8);
    n = rig_drain(&r, b, 16, aux);
    CHECK_BYTES(b, n, 0x09, 0x01, 0x00);
    /* the output port shows which device filled the buffer; the answer
     * goes ahead of the rest of the packet */
    input_pointer_event(1, 0, 0, 0);
    CHECK(rig_status(&r) & I8042_STAT_AUXB);
    rig_cmd(&r, 0xd0);
    n = rig_drain(&r, b, 16, aux);
    CHECK_BYTES(b, n, 0x08, 0xcf | I8042_OUT_AUXOBF, 0x01, 0x00);
    CHECK_BYTES(aux, n, 1, 0, 1, 1);
    tap(KC_A);
    rig_cmd(&r, 0xd0);
    n = rig_drain(&r, b, 16, aux);
    CHECK_BYTES(b, n, 0x1e, 0xcf | I8042_OUT_OBF, 0x9e);
}

/* Linux i8042_check_aux and the active multiplexing probe. */
TEST(linux_aux_loopback_and_mux_probe)
{
    Rig r;
    rig_init(&r);
    rig_set_ctr(&r, I8042_CTR_INT | I8042_CTR_INT2);
    fake_pc_clear_lines(r.pc);
    rig_cmd(&r, 0xd3);
    rig_data(&r, 0x5a);
    CHECK_EQ(rig_status(&r) & (I8042_STAT_OBF | I8042_STAT_AUXB),
             I8042_STAT_OBF | I8042_STAT_AUXB);
    CHECK_EQ(r.pc->isa[12].level, 1);
    CHECK_EQ(rig_in(&r, 0x60), 0x5a);
    CHECK_EQ(r.pc->isa[12].level, 0);
    /* a plain controller echoes the mux knock: no multiplexing */
    static const uint8_t knock[] = { 0xf0, 0x56, 0xa4 };
    for (int i = 0; i < 3; i++) {
        rig_cmd(&r, 0xd3);
        rig_data(&r, knock[i]);
        CHECK_EQ(rig_read(&r), knock[i]);
    }
    /* D2 looks like keyboard data */
    rig_cmd(&r, 0xd2);
    rig_data(&r, 0x77);
    CHECK_EQ(rig_status(&r) & (I8042_STAT_OBF | I8042_STAT_AUXB), I8042_STAT_OBF);
    CHECK_EQ(r.pc->isa[1].level, 1);
    CHECK_EQ(rig_in(&r, 0x60), 0x77);
}

/* psmouse: reset, IntelliMouse knock, ID 3, stream with wheel. */
TEST(mouse_intellimouse_through_the_controller)
{
    Rig r;
    rig_init(&r);
    rig_set_ctr(&r, I8042_CTR_INT | I8042_CTR_INT2 | I8042_CTR_XLATE);
    static const uint8_t cmds[] = { 0xff, 0xf3, 200, 0xf3, 100, 0xf3, 80, 0xf2, 0xf4 };
    uint8_t b[32], aux[32];
    int n = 0;
    for (unsigned i = 0; i < sizeof(cmds); i++) {
        rig_cmd(&r, 0xd4);
        rig_data(&r, cmds[i]);
        n += rig_drain(&r, b + n, 32 - n, aux + n);
    }
    CHECK_BYTES(b, n, 0xfa, 0xaa, 0x00, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0x03, 0xfa);
    for (int i = 0; i < n; i++)
        CHECK_EQ(aux[i], 1);        /* mouse bytes are never translated */
    fake_pc_clear_lines(r.pc);
    input_pointer_event(-2, -1, -1, INPUT_BUTTON_RIGHT);
    CHECK_EQ(r.pc->isa[12].rises, 1);
    n = rig_drain(&r, b, 32, aux);
    CHECK_BYTES(b, n, 0x1a, 0xfe, 0x01, 0x01);
    CHECK_EQ(r.pc->isa[12].rises, 4);
}

TEST(a20_through_the_output_port)
{
    Rig r;
    rig_init(&r);
    rig_cmd(&r, 0xd1);
    rig_data(&r, 0xdd);             /* A20 off */
    CHECK_EQ(r.pc->a20.level, 0);
    CHECK_EQ(r.pc->reset.sets, 0);
    rig_cmd(&r, 0xd0);
    CHECK_EQ(rig_read(&r), 0xdd & ~0x30);
    rig_cmd(&r, 0xd1);
    rig_data(&r, 0xdf);             /* A20 on */
    CHECK_EQ(r.pc->a20.level, 1);
    rig_cmd(&r, 0xdd);              /* fast A20 off/on */
    CHECK_EQ(r.pc->a20.level, 0);
    rig_cmd(&r, 0xd0);
    CHECK_EQ(rig_read(&r) & I8042_OUT_A20, 0);
    rig_cmd(&r, 0xdf);
    CHECK_EQ(r.pc->a20.level, 1);
    CHECK_EQ(r.pc->reset.sets, 0);
    /* reset returns to A20 open */
    rig_cmd(&r, 0xdd);
    device_reset_all(&r.pc->m);
    CHECK_EQ(r.pc->a20.level, 1);
}

TEST(reset_through_the_controller)
{
    Rig r;
    rig_init(&r);
    rig_cmd(&r, 0xfe);
    CHECK_EQ(r.pc->reset.rises, 1);
    CHECK_EQ(r.pc->reset.level, 0);     /* a pulse */
    rig_cmd(&r, 0xff);                  /* pulses nothing */
    rig_cmd(&r, 0xf1);                  /* bit 0 high: not the reset line */
    CHECK_EQ(r.pc->reset.rises, 1);
    rig_cmd(&r, 0xf0);                  /* all four, reset among them */
    CHECK_EQ(r.pc->reset.rises, 2);
    rig_cmd(&r, 0xd1);
    rig_data(&r, 0xde);                 /* output port bit 0 low */
    CHECK_EQ(r.pc->reset.rises, 3);
    rig_cmd(&r, 0xd1);
    rig_data(&r, 0xdf);
    CHECK_EQ(r.pc->reset.rises, 3);
    /* the keyboard's reset is not the system's */
    rig_data(&r, 0xff);
    EXPECT_BYTES(&r, 0xfa, 0xaa);
    CHECK_EQ(r.pc->reset.rises, 3);
}

TEST(a20_gate_ors_its_sources)
{
    Rig r;
    rig_init(&r);
    FakeLine cpu = { -1, 0, 0 };
    IRQLine *cpu_line = irq_new(fake_line_handler, &cpu, 0);
    A20Gate *g = a20_gate_new(cpu_line);
    i8042_set_a20_line(r.kbc, a20_gate_input(g, A20_SRC_KBC));
    CHECK_EQ(cpu.level, 1);             /* the 8042 holds it open */
    IRQLine *port92 = a20_gate_input(g, A20_SRC_PORT92);
    irq_set(port92, 0);
    CHECK_EQ(cpu.level, 1);
    rig_cmd(&r, 0xdd);
    CHECK_EQ(cpu.level, 0);
    CHECK_EQ(a20_gate_level(g), 0);
    irq_set(port92, 1);
    CHECK_EQ(cpu.level, 1);
    rig_cmd(&r, 0xdf);
    irq_set(port92, 0);
    CHECK_EQ(cpu.level, 1);             /* still open by the 8042 */
    int sets = cpu.sets;
    rig_cmd(&r, 0xdf);
    CHECK_EQ(cpu.sets, sets);           /* only changes are passed on */
    rig_cmd(&r, 0xdd);
    CHECK_EQ(cpu.level, 0);
    CHECK_EQ(r.pc->a20.sets, 0);        /* m->a20 is no longer the 8042's */
    CHECK(a20_gate_input(g, 5) == NULL);
    a20_gate_free(g);
    irq_free(cpu_line);
}

TEST(vmstate_round_trip)
{
    Rig r;
    rig_init(&r);
    rig_set_ctr(&r, I8042_CTR_INT | I8042_CTR_XLATE);
    rig_data(&r, 0xf3);
    rig_data(&r, 0x00);
    EXPECT_BYTES(&r, 0xfa, 0xfa);
    rig_cmd(&r, 0xd4);
    rig_data(&r, 0xf0);             /* mouse: remote mode */
    EXPECT_BYTES(&r, 0xfa);
    rig_cmd(&r, 0xdd);
    tap(KC_B);
    key(KC_A, true);                /* repeating from 250 ms */
    Error *err = NULL;
    VMStream *s = vmstate_mem_stream_new();
    CHECK_EQ(vmstate_save_all(s, &err), 0);
    size_t len;
    const uint8_t *data = vmstate_stream_data(s, &len);
    device_reset_all(&r.pc->m);
    CHECK_EQ(rig_get_ctr(&r), I8042_CTR_INT | I8042_CTR_INT2);
    VMStream *in = vmstate_mem_stream_open(data, len);
    CHECK_EQ(vmstate_load_all(in, &err), 0);
    CHECK_EQ(r.pc->a20.level, 0);
    CHECK_EQ(r.pc->isa[1].level, 1);
    EXPECT_BYTES(&r, 0x30, 0xb0, 0x1e);
    rig_run_to(250 * NS_PER_MS);
    EXPECT_BYTES(&r, 0x1e);
    CHECK_EQ(rig_get_ctr(&r), I8042_CTR_INT | I8042_CTR_XLATE);
    rig_cmd(&r, 0xd4);
    rig_data(&r, 0xe9);
    EXPECT_BYTES(&r, 0xfa, 0x40, 0x02, 100);
    vmstate_stream_free(in);
    vmstate_stream_free(s);
}

TEST(bad_saved_state_is_contained)
{
    Rig r;
    rig_init(&r);
    Error *err = NULL;
    VMStream *s = vmstate_mem_stream_new();
    CHECK_EQ(vmstate_save_all(s, &err), 0);
    size_t len;
    const uint8_t *data = vmstate_stream_data(s, &len);
    uint8_t *bad = malloc(len);
    memcpy(bad, data, len);
    /* find the "rptr" field of the keyboard queue and corrupt it */
    int hits = 0;
    for (size_t i = 0; i + 4 < len; i++) {
        if (!memcmp(bad + i, "rptr", 4)) {
            /* field: 'F' str u8 type u32 size u64 count payload */
            bad[i + 4 + 1 + 4 + 8] = 0xee;
            hits++;
            break;
        }
    }
    CHECK_EQ(hits, 1);
    VMStream *in = vmstate_mem_stream_open(bad, len);
    (void)vmstate_load_all(in, &err);   /* post_load may report it */
    if (err)
        error_free(err);
    /* whatever happened, the controller keeps working */
    tap(KC_A);
    uint8_t b[64];
    int n = rig_drain(&r, b, 64, NULL);
    CHECK(n >= 1 && n <= 40);
    vmstate_stream_free(in);
    vmstate_stream_free(s);
    free(bad);
}
