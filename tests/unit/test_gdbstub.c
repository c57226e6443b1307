/* src/gdbstub.c: framing, acks, checksums, escaping, bad and oversize
 * packets, registers and memory of a synthetic CPU, breakpoints, run
 * control (Ctrl-C, stop replies, vCont), qRcmd, qXfer, disconnects. */
#include "unit.h"
#include "test_tb_target.h"
#include "src/accel/accel.h"
#include "src/gdbstub.h"
#include "src/mainloop.h"
#include "src/options.h"

static char outbuf[65536];
static size_t outlen;

static void capture(void *opaque, const uint8_t *buf, size_t len)
{
    (void)opaque;
    if (outlen + len < sizeof(outbuf)) {
        memcpy(outbuf + outlen, buf, len);
        outlen += len;
        outbuf[outlen] = '\0';
    }
}

/* Registers of the synthetic CPU: pc, then r0..r7, 8 bytes each. */
static int syn_read_reg(CPUState *cpu, int layout, int n, uint8_t *buf)
{
    SynCPU *s = (SynCPU *)cpu;
    (void)layout;
    if (n < 0 || n > 8)
        return 0;
    st64_le(buf, n == 0 ? s->pc : s->r[n - 1]);
    return 8;
}

static int syn_write_reg(CPUState *cpu, int layout, int n, const uint8_t *buf)
{
    SynCPU *s = (SynCPU *)cpu;
    (void)layout;
    if (n < 0 || n > 8 || n == 7) /* r6 is read-only, to test refusals */
        return 0;
    if (n == 0)
        s->pc = ld64_le(buf);
    else
        s->r[n - 1] = ld64_le(buf);
    return 8;
}

static const char test_xml[] = "<target version=\"1.0\"><architecture>i386</architecture></target>";

static const char *syn_xml(int layout, const char *annex)
{
    (void)layout;
    return strcmp(annex, "target.xml") ? NULL : test_xml;
}

static int syn_layout(CPUState *cpu)
{
    (void)cpu;
    return 0;
}

static const GdbTargetOps syn_gdb = { syn_layout, syn_xml, syn_read_reg, syn_write_reg };

static SynCPU *cpu;

static GdbServer *setup(void)
{
    mainloop_init();
    cpu_debug_remove_all();
    cpu = syn_new();
    gdbstub_set_target(&syn_gdb);
    outlen = 0;
    outbuf[0] = '\0';
    accel_vm_cont();
    GdbServer *s = gdbstub_new(capture, NULL);
    gdbstub_connected(s);
    return s;
}

static void teardown(GdbServer *s)
{
    gdbstub_free(s);
    cpu_debug_remove_all();
    syn_free(cpu);
}

static void feed(GdbServer *s, const char *raw)
{
    gdbstub_input(s, (const uint8_t *)raw, strlen(raw));
}

/* Send a framed packet (payload taken as is, with a correct checksum). */
static void sendp(GdbServer *s, const char *payload)
{
    size_t n = strlen(payload);
    char *frame = malloc(n + 8);
    snprintf(frame, n + 8, "$%s#%02x", payload, gdbstub_checksum((const uint8_t *)payload, n));
    feed(s, frame);
    free(frame);
}

/* The next packet in the output (acks skipped); "" payload is valid;
 * returns NULL if there is none or its checksum is wrong. */
static size_t readpos;
static char *next_reply(void)
{
    static char payload[GDB_PACKET_MAX * 2];
    while (readpos < outlen && outbuf[readpos] != '$')
        readpos++;
    if (readpos >= outlen)
        return NULL;
    char *hash = memchr(outbuf + readpos, '#', outlen - readpos);
    if (!hash || hash + 3 > outbuf + outlen)
        return NULL;
    size_t n = (size_t)(hash - (outbuf + readpos + 1));
    memcpy(payload, outbuf + readpos + 1, n);
    payload[n] = '\0';
    unsigned ck;
    sscanf(hash + 1, "%2x", &ck);
    readpos = (size_t)(hash + 3 - outbuf);
    if (ck != gdbstub_checksum((const uint8_t *)payload, n))
        return NULL;
    return payload;
}

/* Send a packet and return its reply. */
static char *ask(GdbServer *s, const char *payload)
{
    readpos = outlen;
    sendp(s, payload);
    return next_reply();
}

TEST(checksum_and_escaping)
{
    CHECK_EQ(gdbstub_checksum((const uint8_t *)"OK", 2), 0x9a);
    CHECK_EQ(gdbstub_checksum((const uint8_t *)"", 0), 0);
    uint8_t out[32];
    size_t n = gdbstub_escape((const uint8_t *)"a$b#c}d*e", 9, out);
    CHECK_EQ(n, 13);
    CHECK(!memcmp(out, "a}\x04" "b}\x03" "c}]d}\x0a" "e", 13));
}

TEST(acks_and_stop_reply)
{
    GdbServer *s = setup();
    CHECK(!accel_vm_running()); /* a connecting gdb stops the VM */
    readpos = 0;
    outlen = 0;
    feed(s, "$?#3f");
    CHECK_EQ(outbuf[0], '+');
    CHECK_STR(next_reply(), "T05thread:1;");
    teardown(s);
}

TEST(bad_checksums_are_nacked_and_dropped)
{
    GdbServer *s = setup();
    outlen = 0;
    feed(s, "$?#00");
    CHECK_STR(outbuf, "-");
    outlen = 0;
    feed(s, "$?#g1"); /* not a hex digit */
    CHECK_STR(outbuf, "-");
    outlen = 0;
    feed(s, "$?#3"); /* incomplete: nothing yet */
    CHECK_EQ(outlen, 0);
    feed(s, "f");
    CHECK_EQ(outbuf[0], '+');
    /* a '-' from gdb resends the last packet */
    outlen = 0;
    feed(s, "-");
    readpos = 0;
    CHECK_STR(next_reply(), "T05thread:1;");
    teardown(s);
}

TEST(noise_and_restarted_packets)
{
    GdbServer *s = setup();
    outlen = 0;
    readpos = 0;
    feed(s, "+xyz\r\n$qfThr$?#3f");
    CHECK_STR(next_reply(), "T05thread:1;");
    CHECK(next_reply() == NULL);
    teardown(s);
}

TEST(oversize_packet_gets_an_error_and_the_stub_goes_on)
{
    GdbServer *s = setup();
    static char big[GDB_PACKET_MAX + 100];
    memset(big, 'm', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    CHECK_STR(ask(s, big), "E22");
    CHECK_STR(ask(s, "?"), "T05thread:1;");
    teardown(s);
}

TEST(qsupported_and_noack_mode)
{
    GdbServer *s = setup();
    char *r = ask(s, "qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386");
    CHECK(r && strstr(r, "PacketSize=4000"));
    CHECK(strstr(r, "qXfer:features:read+") && strstr(r, "swbreak+") && strstr(r, "hwbreak+"));
    CHECK(strstr(r, "vContSupported+") && strstr(r, "QStartNoAckMode+"));
    CHECK_STR(ask(s, "QStartNoAckMode"), "OK");
    outlen = 0;
    sendp(s, "?");
    CHECK_EQ(outbuf[0], '$'); /* no '+' any more */
    outlen = 0;
    feed(s, "$?#00");
    CHECK_EQ(outlen, 0); /* bad packets are dropped silently */
    teardown(s);
}

TEST(registers)
{
    GdbServer *s = setup();
    cpu->pc = 0x1234;
    cpu->r[0] = 0x1122334455667788ull;
    char *r = ask(s, "g");
    CHECK_EQ(strlen(r), 9 * 16);
    CHECK(!strncmp(r, "3412000000000000" "8877665544332211", 32));
    CHECK_STR(ask(s, "p1"), "8877665544332211");
    CHECK_STR(ask(s, "P2=efbeadde00000000"), "OK");
    CHECK_EQ(cpu->r[1], 0xdeadbeef);
    CHECK_STR(ask(s, "P7=0100000000000000"), "E22"); /* read-only */
    CHECK_STR(ask(s, "P2=efbe"), "E22");              /* short */
    CHECK_STR(ask(s, "p9"), "E14");
    CHECK_STR(ask(s, "pzz"), "E14");
    /* G writes what changed; an unchanged read-only register is fine */
    char g[9 * 16 + 2] = "G";
    strcpy(g + 1, ask(s, "g"));
    memcpy(g + 1, "0020", 4); /* pc = 0x2000 */
    CHECK_STR(ask(s, g), "OK");
    CHECK_EQ(cpu->pc, 0x2000);
    CHECK_STR(ask(s, "G12"), "E22");
    teardown(s);
}

TEST(memory_read_write_binary)
{
    GdbServer *s = setup();
    memcpy(syn_ram + 0x100, "\x01\x02\x03\x04", 4);
    CHECK_STR(ask(s, "m100,4"), "01020304");
    CHECK_STR(ask(s, "M104,2:abcd"), "OK");
    CHECK_EQ(syn_ram[0x104], 0xab);
    CHECK_EQ(syn_ram[0x105], 0xcd);
    /* X with escaped bytes: '}' 0x5d -> 0x7d, '}' 0x03 -> '#' */
    CHECK_STR(ask(s, "X108,3:}]}\x03z"), "OK");
    CHECK(!memcmp(syn_ram + 0x108, "}#z", 3));
    CHECK_STR(ask(s, "X108,0:"), "OK"); /* gdb's probe for X */
    CHECK_STR(ask(s, "X108,4:abc"), "E22");
    CHECK_STR(ask(s, "M108,2:abc"), "E22");
    CHECK_STR(ask(s, "m200000,4"), "E14"); /* not mapped */
    CHECK_STR(ask(s, "mzz"), "E22");
    CHECK_STR(ask(s, "m100"), "E22");
    teardown(s);
}

TEST(breakpoints_and_watchpoints)
{
    GdbServer *s = setup();
    CHECK_STR(ask(s, "Z0,1008,1"), "OK");
    CHECK(cpu_breakpoint_at(0x1008, NULL));
    CHECK_STR(ask(s, "z0,1008,1"), "OK");
    CHECK(!cpu_breakpoint_at(0x1008, NULL));
    CHECK_STR(ask(s, "z0,1008,1"), "E22");
    CHECK_STR(ask(s, "Z1,1010,1"), "OK");
    CHECK_STR(ask(s, "Z2,70,4"), "OK");
    CHECK_STR(ask(s, "Z5,70,4"), "");     /* unknown kind: not supported */
    CHECK_STR(ask(s, "Z0,1008"), "E22");
    CHECK_STR(ask(s, "Z0,1008,1;X1,0"), ""); /* target-side conditions */
    /* the stub's watchpoint really stops the synthetic CPU */
    syn_put(0x1000, 9, 3, 0, 0x70);   /* MOVI r3, 0x70 */
    syn_put(0x1004, 4, 0, 3, 0);      /* ST r0 -> [r3] */
    syn_put(0x1008, 8, 0, 0, 0);      /* HLT */
    cpu->pc = 0x1000;
    cpu->r[0] = 5;
    ask(s, "qSupported:swbreak+");
    CHECK(ask(s, "c") == NULL); /* no reply until the stop */
    CHECK(accel_vm_running());
    CHECK_EQ(cpu_exec(&cpu->cpu), EXCP_DEBUG);
    accel_vm_stop();
    readpos = outlen;
    gdbstub_cpu_stopped(s, &cpu->cpu);
    CHECK_STR(next_reply(), "T05thread:1;watch:70;");
    CHECK_EQ(ld32_le(syn_ram + 0x70), 5);
    teardown(s);
}

TEST(swbreak_only_when_announced)
{
    GdbServer *s = setup();
    CHECK(ask(s, "c") == NULL);
    cpu->cpu.debug_stop = (CPUDebugStop){ CPU_BP_SW, 0x1000 };
    readpos = outlen;
    gdbstub_cpu_stopped(s, &cpu->cpu);
    CHECK_STR(next_reply(), "T05thread:1;");
    ask(s, "qSupported:swbreak+;hwbreak+");
    ask(s, "c");
    readpos = outlen;
    gdbstub_cpu_stopped(s, &cpu->cpu);
    CHECK_STR(next_reply(), "T05thread:1;swbreak:;");
    /* a stop nobody waits for sends nothing */
    readpos = outlen;
    gdbstub_cpu_stopped(s, &cpu->cpu);
    CHECK(next_reply() == NULL);
    teardown(s);
}

TEST(ctrl_c_stops_a_running_vm)
{
    GdbServer *s = setup();
    ask(s, "c");
    CHECK(accel_vm_running());
    readpos = outlen;
    feed(s, "\x03");
    CHECK(!accel_vm_running());
    CHECK_STR(next_reply(), "T02thread:1;");
    teardown(s);
}

TEST(step_and_vcont)
{
    GdbServer *s = setup();
    CHECK_STR(ask(s, "vCont?"), "vCont;c;C;s;S;t");
    ask(s, "vCont;s:1;c");
    CHECK(cpu->cpu.debug_flags & CPU_DEBUG_SSTEP);
    CHECK(accel_vm_running());
    accel_vm_stop();
    gdbstub_cpu_stopped(s, &cpu->cpu);
    CHECK(!(cpu->cpu.debug_flags & CPU_DEBUG_SSTEP));
    ask(s, "vCont;c");
    CHECK(!(cpu->cpu.debug_flags & CPU_DEBUG_SSTEP));
    accel_vm_stop();
    gdbstub_cpu_stopped(s, &cpu->cpu);
    ask(s, "s");
    CHECK(cpu->cpu.debug_flags & CPU_DEBUG_SSTEP);
    accel_vm_stop();
    gdbstub_cpu_stopped(s, &cpu->cpu);
    CHECK_STR(ask(s, "vCont;x"), "E22");
    CHECK_STR(ask(s, "vCont;s:7"), "E22"); /* no such thread */
    CHECK_STR(ask(s, "vCont;t"), "OK");
    CHECK_STR(ask(s, "vMustReplyEmpty"), "");
    teardown(s);
}

TEST(threads)
{
    GdbServer *s = setup();
    CHECK_STR(ask(s, "qfThreadInfo"), "m1");
    CHECK_STR(ask(s, "qsThreadInfo"), "l");
    CHECK_STR(ask(s, "qC"), "QC1");
    CHECK_STR(ask(s, "Hg1"), "OK");
    CHECK_STR(ask(s, "Hc-1"), "OK");
    CHECK_STR(ask(s, "Hg0"), "OK");
    CHECK_STR(ask(s, "Hg2"), "E22");
    CHECK_STR(ask(s, "T1"), "OK");
    CHECK_STR(ask(s, "T2"), "E22");
    CHECK_STR(ask(s, "qAttached"), "1");
    char *r = ask(s, "qThreadExtraInfo,1");
    CHECK(r && !strncmp(r, "4350552330", 10)); /* "CPU#0" */
    teardown(s);
}

TEST(target_xml_in_chunks)
{
    GdbServer *s = setup();
    char want[128];
    /* 'm' + 10 bytes, then the rest with 'l' */
    CHECK_STR(ask(s, "qXfer:features:read:target.xml:0,a"), "m<target ve");
    snprintf(want, sizeof(want), "l%s", test_xml + 10);
    CHECK_STR(ask(s, "qXfer:features:read:target.xml:a,1000"), want);
    CHECK_STR(ask(s, "qXfer:features:read:target.xml:1000,10"), "l");
    CHECK_STR(ask(s, "qXfer:features:read:other.xml:0,10"), "E00");
    CHECK_STR(ask(s, "qXfer:features:read:target.xml:zz"), "E22");
    teardown(s);
}

TEST(monitor_commands_through_qrcmd)
{
    GdbServer *s = setup();
    /* "info version" in hex */
    readpos = outlen;
    sendp(s, "qRcmd,696e666f2076657273696f6e");
    char *r = next_reply();
    CHECK(r && r[0] == 'O');
    char want[64] = "", *w = want;
    for (const char *v = PEMU_VERSION "\n"; *v; v++, w += 2)
        snprintf(w, 3, "%02x", (unsigned char)*v);
    CHECK_STR(r + 1, want);
    CHECK_STR(next_reply(), "OK");
    CHECK_STR(ask(s, "qRcmd,6"), "E22");
    teardown(s);
}

TEST(detach_and_disconnect_leave_the_guest_running)
{
    GdbServer *s = setup();
    ask(s, "Z0,1008,1");
    ask(s, "Z2,70,4");
    CHECK(!accel_vm_running());
    CHECK_STR(ask(s, "D"), "OK");
    CHECK(accel_vm_running());
    CHECK(!cpu_breakpoint_at(0x1008, NULL));
    gdbstub_connected(s);
    ask(s, "Z0,1008,1");
    cpu->cpu.debug_flags |= CPU_DEBUG_SSTEP;
    gdbstub_disconnected(s);
    CHECK(accel_vm_running());
    CHECK(!cpu_breakpoint_at(0x1008, NULL));
    CHECK(!(cpu->cpu.debug_flags & CPU_DEBUG_SSTEP));
    teardown(s);
}
