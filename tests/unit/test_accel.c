/* src/accel/tcg.c: slices end at timer deadlines; halted CPUs sleep; resets. */
#include "unit.h"
#include "test_tb_target.h"
#include "src/accel/accel.h"
#include "src/mainloop.h"
#include "src/timer.h"

enum { ADDI = 1, JNZ = 5, HLT = 8, MOVI = 9 };

static Machine *m;
static int resets, reset_pending;

static bool reset_requested(Machine *mm) { (void)mm; return reset_pending; }
static void do_reset(Machine *mm) { (void)mm; reset_pending = 0; resets++; }
static const AccelBoardOps ops = { reset_requested, do_reset };

static void exit_7(void *opaque) { machine_request_exit(opaque, 7); }
static Timer *exit_timer;
/* The exit is armed only after the reset request, so a slow host that runs
 * both deadlines in one main-loop visit cannot skip the reset. */
static void ask_reset(void *opaque)
{
    (void)opaque;
    reset_pending = 1;
    timer_mod(exit_timer, clock_get_ns(PEMU_CLOCK_VIRTUAL) + 1000000);
}

TEST(timer_ends_an_endless_guest_loop)
{
    mainloop_init();
    m = machine_new_bare(0);
    SynCPU *s = syn_new();
    syn_put(0x1000, MOVI, 1, 0, 1);
    syn_put(0x1004, ADDI, 0, 0, 1);
    syn_put(0x1008, JNZ, 1, 0, -1);   /* forever */
    s->pc = 0x1000;
    Timer *t = exit_timer = timer_new(PEMU_CLOCK_VIRTUAL, exit_7, m);
    Timer *r = timer_new(PEMU_CLOCK_VIRTUAL, ask_reset, NULL);
    timer_mod(r, clock_get_ns(PEMU_CLOCK_VIRTUAL) + 5000000);
    int64_t t0 = clock_get_ns(PEMU_CLOCK_REALTIME);
    CHECK_EQ(tcg_run(m, &s->cpu, &ops), 7);
    int64_t took = clock_get_ns(PEMU_CLOCK_REALTIME) - t0;
    CHECK(s->r[0] > 0);               /* the guest really ran */
    CHECK_EQ(resets, 1);              /* the reset hook ran between slices */
    /* Without the kick the loop would never return (the test would time
     * out); the bound is loose for slow hosts (qemu-user in port-check). */
    CHECK(took < 20000000000ll);
    timer_free(t);
    timer_free(r);
    syn_free(s);
}

TEST(halted_cpu_sleeps_until_a_timer)
{
    mainloop_init();
    m = machine_new_bare(0);
    SynCPU *s = syn_new();
    syn_put(0x1000, HLT, 0, 0, 0);
    s->pc = 0x1000;
    Timer *t = timer_new(PEMU_CLOCK_VIRTUAL, exit_7, m);
    timer_mod(t, clock_get_ns(PEMU_CLOCK_VIRTUAL) + 20000000);
    CHECK_EQ(tcg_run(m, &s->cpu, &ops), 7);
    /* a sleeping CPU does not re-enter its block in a busy loop */
    CHECK(s->cpu.stats.tb_exec < 100);
    timer_free(t);
    syn_free(s);
}
