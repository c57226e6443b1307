/*
 * The x86 front end (src/x86/translate*.c) run end to end on the
 * interpreter: hand-assembled guest code in 1 MiB of RAM, real mode or flat
 * 32-bit protected mode at CPL 0, ending in HLT. The cases are the ones a
 * translator gets wrong first: partial registers, 16-bit address
 * wraparound, PUSH/POP of the stack pointer, lazy flags read in a later
 * block, REP with a zero count, a REP interrupted and restarted, flags of
 * the faulting instruction restored from the side table.
 */
#include "unit.h"

#include "interp/interp.h"
#include "src/cpu.h"
#include "src/softmmu.h"
#include "src/tb.h"
#include "src/x86/cpu.h"
#include "src/x86/flags.h"
#include "src/x86/target.h"

#define RAM_SIZE (1u << 20)
#define MMIO_BASE 0x200000u

static X86CPU cpu;
static uint8_t ram[RAM_SIZE];
static int mmio_writes, mmio_exit_after;

static uint8_t *ram_page(void *opaque, uint64_t ppage, bool *ro)
{
    (void)opaque;
    (void)ro;
    return ppage < RAM_SIZE ? ram + ppage : NULL;
}

static uint64_t io_read(void *opaque, uint64_t paddr, unsigned size)
{
    (void)opaque; (void)paddr; (void)size;
    return 0;
}

static void io_write(void *opaque, uint64_t paddr, uint64_t val, unsigned size)
{
    (void)opaque; (void)paddr; (void)val; (void)size;
    if (++mmio_writes == mmio_exit_after)
        cpu_exit(&cpu.parent); /* like a timer firing in the middle of a REP */
}

static const SoftmmuPhys phys = { NULL, ram_page, io_read, io_write, NULL };

static void put(uint32_t addr, const uint8_t *code, size_t n)
{
    memcpy(ram + addr, code, n);
}

/* Real mode, CS = DS = ES = SS = 0, SP = 0x8000, code at 0x1000. */
static X86State *real_mode(void)
{
    static bool inited;
    if (!inited) {
        cpu_init(&cpu.parent, &x86_target_ops, &phys);
        inited = true;
    }
    x86_cpu_reset(&cpu);
    X86State *e = &cpu.env;
    e->segs[R_CS].selector = 0;
    e->segs[R_CS].base = 0;
    e->rip = 0x1000;
    e->regs[R_ESP] = 0x8000;
    x86_update_hflags(e);
    softmmu_flush_all(&cpu.parent);
    tb_flush();
    return e;
}

/* Flat 32-bit protected mode at CPL 0 (no interrupts can be delivered:
 * protected-mode delivery is excp.c's). */
static X86State *flat32(void)
{
    X86State *e = real_mode();
    e->cr[0] |= CR0_PE;
    uint32_t fl = DESC_P_MASK | DESC_S_MASK | DESC_A_MASK | DESC_B_MASK | DESC_G_MASK;
    for (int i = 0; i < X86_NB_SEGS; i++) {
        e->segs[i].base = 0;
        e->segs[i].limit = 0xffffffff;
        e->segs[i].selector = i == R_CS ? 8 : 16;
        e->segs[i].flags = fl | (i == R_CS ? DESC_CS_MASK | DESC_R_MASK : DESC_W_MASK);
    }
    x86_update_hflags(e);
    return e;
}

/* Run until HLT: 0, or the cpu_exec result that stopped it. */
static int run(void)
{
    for (int i = 0; i < 100; i++) {
        int r = cpu_exec(&cpu.parent);
        if (r == EXCP_HLT) {
            cpu.parent.halted = 0;
            return 0;
        }
        if (r != EXCP_INTERRUPT)
            return r;
    }
    return -1;
}

static uint16_t rd16(uint32_t a)
{
    return (uint16_t)(ram[a] | ram[a + 1] << 8);
}

/* IVT entry n -> 0000:handler, which is a HLT */
static void ivt(int n, uint16_t handler)
{
    ram[n * 4] = (uint8_t)handler;
    ram[n * 4 + 1] = (uint8_t)(handler >> 8);
    ram[n * 4 + 2] = ram[n * 4 + 3] = 0;
    ram[handler] = 0xf4;
}

TEST(partial_registers_merge_and_keep_the_upper_half)
{
    X86State *e = flat32();
    e->regs[R_EAX] = 0xaaaaaaaa11223344ull;
    e->regs[R_EBX] = 0x66;
    e->regs[R_ECX] = 0xbbbbbbbbffff0000ull;
    e->regs[R_EDX] = 0xcccccccc00000000ull;
    static const uint8_t code[] = {
        0xb4, 0x55,                   /* mov ah, 0x55 */
        0x88, 0xd8,                   /* mov al, bl */
        0x66, 0xb9, 0x34, 0x12,       /* mov cx, 0x1234 */
        0xba, 0x78, 0x56, 0x34, 0x12, /* mov edx, 0x12345678 (keeps bits 63..32 outside long mode) */
        0x8a, 0xfc,                   /* mov bh, ah */
        0xf4,
    };
    put(0x1000, code, sizeof(code));
    CHECK_EQ(run(), 0);
    CHECK_EQ(e->regs[R_EAX], 0xaaaaaaaa11225566ull);
    CHECK_EQ(e->regs[R_ECX], 0xbbbbbbbbffff1234ull);
    CHECK_EQ(e->regs[R_EDX], 0xcccccccc12345678ull);
    CHECK_EQ(e->regs[R_EBX], 0x5566);
    CHECK_EQ(e->rip, 0x1000 + sizeof(code));
}

TEST(addressing_16bit_wraps_at_64k)
{
    X86State *e = real_mode();
    e->segs[R_DS].base = 0x10000;
    e->segs[R_DS].selector = 0x1000;
    ram[0x10010] = 0x5a;   /* 0x1000:(0xfff0 + 0x20) & 0xffff */
    ram[0x20010] = 0xa5;   /* without the wrap */
    static const uint8_t code[] = {
        0xbb, 0xf0, 0xff,  /* mov bx, 0xfff0 */
        0xbe, 0x20, 0x00,  /* mov si, 0x20 */
        0x8a, 0x00,        /* mov al, [bx+si] */
        0x8a, 0x67, 0x21,  /* mov ah, [bx+0x21] */
        0xf4,
    };
    ram[0x10011] = 0x3c;
    put(0x1000, code, sizeof(code));
    CHECK_EQ(run(), 0);
    CHECK_EQ(e->regs[R_EAX] & 0xffff, 0x3c5a);
}

TEST(push_and_pop_of_the_stack_pointer)
{
    X86State *e = real_mode();
    static const uint8_t code[] = {
        0x54,              /* push sp: the value before the push (286+) */
        0x58,              /* pop ax */
        0xbb, 0x34, 0x12,  /* mov bx, 0x1234 */
        0x53,              /* push bx */
        0x5c,              /* pop sp: the popped value wins */
        0xf4,
    };
    put(0x1000, code, sizeof(code));
    CHECK_EQ(run(), 0);
    CHECK_EQ(e->regs[R_EAX] & 0xffff, 0x8000);
    CHECK_EQ(e->regs[R_ESP] & 0xffff, 0x1234);

    e = flat32();
    e->regs[R_ESP] = 0x9000;
    static const uint8_t code32[] = {
        0x54,                          /* push esp */
        0x8f, 0x04, 0x24,              /* pop dword [esp]: addressed after the pop */
        0x8b, 0x0c, 0x24,              /* mov ecx, [esp] */
        0xf4,
    };
    put(0x1000, code32, sizeof(code32));
    CHECK_EQ(run(), 0);
    CHECK_EQ(e->regs[R_ESP], 0x9000);
    CHECK_EQ(e->regs[R_ECX], 0x9000);
}

TEST(flags_read_in_a_later_block)
{
    X86State *e = flat32();
    e->regs[R_EAX] = 0xffffffff;
    e->regs[R_EBX] = 1;
    static const uint8_t code[] = {
        0xb9, 7, 0, 0, 0,   /* mov ecx, 7 */
        0x39, 0xd8,         /* cmp eax, ebx: -1 < 1 signed, not unsigned */
        0xeb, 0x00,         /* jmp $+2: the next block starts with dynamic cc_op */
        0x7c, 0x02,         /* jl +2 (taken) */
        0x31, 0xc9,         /* xor ecx, ecx */
        0x0f, 0x92, 0xc2,   /* setb dl (0) */
        0x01, 0xd8,         /* add eax, ebx: carry out */
        0xeb, 0x00,         /* jmp $+2 */
        0x0f, 0x92, 0xc6,   /* setb dh (1) */
        0xf4,
    };
    put(0x1000, code, sizeof(code));
    CHECK_EQ(run(), 0);
    CHECK_EQ(e->regs[R_ECX], 7);
    CHECK_EQ(e->regs[R_EDX] & 0xffff, 0x0100);
    /* the block ended with the ADD's lazy state in env */
    CHECK_EQ(x86_eflags_get(e) & (CC_C | CC_Z), CC_C | CC_Z);
}

TEST(rep_with_a_zero_count_does_nothing)
{
    X86State *e = flat32();
    e->regs[R_ESI] = 0x2000;
    e->regs[R_EDI] = 0x3000;
    memset(ram + 0x2000, 0x11, 16);
    static const uint8_t code[] = {
        0x67, 0xf3, 0xa4,  /* rep movsb with CX */
        0xf3, 0x66, 0xa5,  /* rep movsw with ECX: 0x10000 words */
        0xf4,
    };
    e->regs[R_ECX] = 0x10000;
    put(0x1000, code, 3);
    ram[0x1003] = 0xf4;
    CHECK_EQ(run(), 0);
    CHECK_EQ(e->regs[R_ESI], 0x2000);
    CHECK_EQ(e->regs[R_EDI], 0x3000);
    CHECK_EQ(e->regs[R_ECX], 0x10000);
    CHECK_EQ(ram[0x3000], 0);
    /* and with ECX = 0 for the 32-bit form */
    e->regs[R_ECX] = 0;
    e->rip = 0x1003;
    put(0x1003, code + 3, 4);
    CHECK_EQ(run(), 0);
    CHECK_EQ(e->regs[R_ESI], 0x2000);
    CHECK_EQ(e->regs[R_EDI], 0x3000);
    CHECK_EQ(ram[0x3000], 0);
}

TEST(rep_is_interruptible_and_restarts)
{
    X86State *e = flat32();
    e->regs[R_EAX] = 0x77;
    e->regs[R_ECX] = 100;
    e->regs[R_EDI] = MMIO_BASE;
    static const uint8_t code[] = { 0xf3, 0xaa, 0xf4 }; /* rep stosb; hlt */
    put(0x1000, code, sizeof(code));
    mmio_writes = 0;
    mmio_exit_after = 10;
    CHECK_EQ(cpu_exec(&cpu.parent), EXCP_INTERRUPT);
    /* stopped inside the instruction, state of the finished iterations */
    CHECK_EQ(e->rip, 0x1000);
    CHECK_EQ(e->regs[R_ECX], 100 - 10);
    CHECK_EQ(e->regs[R_EDI], MMIO_BASE + 10);
    CHECK_EQ(mmio_writes, 10);
    CHECK_EQ(run(), 0);
    CHECK_EQ(mmio_writes, 100);
    CHECK_EQ(e->regs[R_ECX], 0);
    CHECK_EQ(e->regs[R_EDI], MMIO_BASE + 100);
    CHECK_EQ(e->rip, 0x1003);
}

TEST(a_fault_restores_eip_and_the_pending_flags)
{
    X86State *e = real_mode();
    ivt(0, 0x2000);
    static const uint8_t code[] = {
        0xb8, 1, 0,    /* mov ax, 1 */
        0xbb, 2, 0,    /* mov bx, 2 */
        0x31, 0xc9,    /* xor cx, cx */
        0x39, 0xd8,    /* cmp ax, bx: flags only in the block's static state */
        0xf7, 0xf1,    /* div cx: #DE */
        0xf4,
    };
    put(0x1000, code, sizeof(code));
    CHECK_EQ(run(), 0);
    CHECK_EQ(e->rip, 0x2001);                 /* the handler's HLT */
    CHECK_EQ(rd16(0x8000 - 6), 0x100a);       /* IP of the DIV itself */
    /* 1 - 2 = 0xffff: CF PF AF SF, and the fixed bit */
    CHECK_EQ(rd16(0x8000 - 2) & (CC_ARITH | EF_FIXED1), CC_C | CC_P | CC_A | CC_S | EF_FIXED1);
}

TEST(software_interrupt_and_unsupported_instruction)
{
    X86State *e = real_mode();
    ivt(0x21, 0x2000);
    static const uint8_t code[] = { 0xcd, 0x21, 0xf4 };
    put(0x1000, code, sizeof(code));
    CHECK_EQ(run(), 0);
    CHECK_EQ(e->rip, 0x2001);
    CHECK_EQ(rd16(0x8000 - 6), 0x1002);       /* INT n returns after itself */

    e = real_mode();
    ivt(6, 0x2100);
    static const uint8_t sse[] = { 0x0f, 0x58, 0xc1, 0xf4 }; /* addps: CR4.OSFXSR clear -> #UD */
    put(0x1000, sse, sizeof(sse));
    CHECK_EQ(run(), 0);
    CHECK_EQ(e->rip, 0x2101);
    CHECK_EQ(rd16(0x8000 - 6), 0x1000);
}

TEST(string_ops_follow_df_and_repe_stops)
{
    X86State *e = flat32();
    memcpy(ram + 0x2000, "abcdefgh", 8);
    memcpy(ram + 0x3000, "abcdXfgh", 8);
    e->regs[R_ESI] = 0x2000;
    e->regs[R_EDI] = 0x3000;
    e->regs[R_ECX] = 8;
    static const uint8_t code[] = {
        0xf3, 0xa6,        /* repe cmpsb: stops after the 'e'/'X' pair */
        0x0f, 0x94, 0xc0,  /* sete al (0) */
        0xfd,              /* std */
        0xac,              /* lodsb: [0x2005] = 'f', ESI -> 0x2004 */
        0xfc,              /* cld */
        0xf4,
    };
    put(0x1000, code, sizeof(code));
    CHECK_EQ(run(), 0);
    CHECK_EQ(e->regs[R_ECX], 3);
    CHECK_EQ(e->regs[R_EAX] & 0xff, 'f');
    CHECK_EQ(e->regs[R_ESI], 0x2004);
    CHECK_EQ(e->regs[R_EDI], 0x3005);
}

TEST(cmpxchg8b_xadd_and_bsf)
{
    X86State *e = flat32();
    ram[0x2000] = 0x44; ram[0x2001] = 0x33; ram[0x2002] = 0x22; ram[0x2003] = 0x11;
    ram[0x2004] = 0x88; ram[0x2005] = 0x77; ram[0x2006] = 0x66; ram[0x2007] = 0x55;
    e->regs[R_EAX] = 0x11223344;
    e->regs[R_EDX] = 0x55667788;
    e->regs[R_EBX] = 0xaaaaaaaa;
    e->regs[R_ECX] = 0xbbbbbbbb;
    e->regs[R_ESI] = 5;
    e->regs[R_EDI] = 0x10;
    static const uint8_t code[] = {
        0xf0, 0x0f, 0xc7, 0x0d, 0x00, 0x20, 0x00, 0x00, /* lock cmpxchg8b [0x2000]: equal */
        0x0f, 0x94, 0xc1,                                 /* sete cl */
        0x0f, 0xc1, 0xf7,                                 /* xadd edi, esi: edi = 0x15, esi = 0x10 */
        0x0f, 0xbc, 0xd7,                                 /* bsf edx, edi: 0 */
        0xf4,
    };
    put(0x1000, code, sizeof(code));
    CHECK_EQ(run(), 0);
    CHECK_EQ(ram[0x2000], 0xaa);
    CHECK_EQ(ram[0x2007], 0xbb);
    CHECK_EQ(e->regs[R_ECX] & 0xff, 1);
    CHECK_EQ(e->regs[R_EDI], 0x15);
    CHECK_EQ(e->regs[R_ESI], 0x10);
    CHECK_EQ(e->regs[R_EDX], 0);
}

/* 64-bit code (long mode faked without paging: only the translation is
 * under test): REX registers, 32-bit writes zero-extending, RIP-relative
 * addressing, 64-bit stack, MOVSXD, 128-bit MUL/DIV. */
TEST(long_mode_basics)
{
    X86State *e = flat32();
    e->efer = EFER_LME | EFER_LMA;
    e->segs[R_CS].flags = (e->segs[R_CS].flags & ~DESC_B_MASK) | DESC_L_MASK;
    x86_update_hflags(e);
    CHECK(e->hflags & HF_CS64);
    e->regs[R_ESP] = 0x8000;
    static const uint8_t code[] = {
        0x48, 0xb8, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, /* mov rax, imm64 */
        0x49, 0x89, 0xc1,                   /* mov r9, rax */
        0x41, 0xba, 0xff, 0xff, 0xff, 0xff, /* mov r10d, 0xffffffff */
        0x49, 0x83, 0xc2, 0x01,             /* add r10, 1 */
        0x4c, 0x8d, 0x1d, 0x00, 0x01, 0x00, 0x00, /* lea r11, [rip+0x100] */
        0x41, 0x51,                         /* push r9 */
        0x59,                               /* pop rcx */
        0xb8, 0x00, 0x00, 0x00, 0x80,       /* mov eax, 0x80000000 */
        0x4c, 0x63, 0xc0,                   /* movsxd r8, eax */
        0x48, 0xc7, 0xc0, 0xff, 0xff, 0xff, 0xff, /* mov rax, -1 */
        0xbb, 0x02, 0x00, 0x00, 0x00,       /* mov ebx, 2 */
        0x48, 0xf7, 0xe3,                   /* mul rbx */
        0x48, 0xf7, 0xf3,                   /* div rbx */
        0xf4,
    };
    put(0x1000, code, sizeof(code));
    CHECK_EQ(run(), 0);
    CHECK_EQ(e->regs[R_R9], 0x1122334455667788ull);
    CHECK_EQ(e->regs[R_R10], 0x100000000ull);
    CHECK_EQ(e->regs[R_R11], 0x111eull);
    CHECK_EQ(e->regs[R_ECX], 0x1122334455667788ull);
    CHECK_EQ(e->regs[R_R8], 0xffffffff80000000ull);
    CHECK_EQ(e->regs[R_EAX], ~0ull);
    CHECK_EQ(e->regs[R_EDX], 0);
    CHECK_EQ(e->regs[R_ESP], 0x8000);
    CHECK_EQ(e->rip, 0x1000 + sizeof(code));
}

/* TF: a trap after each instruction, and after each REP iteration with IP
 * still on the string instruction. */
TEST(single_step_traps_per_instruction_and_rep_iteration)
{
    X86State *e = real_mode();
    ivt(1, 0x2000);
    e->regs[R_ECX] = 3;
    e->regs[R_EDI] = 0x3000;
    e->regs[R_EAX] = 0x99;
    e->eflags |= EF_TF;
    x86_update_hflags(e);
    static const uint8_t code[] = { 0xf3, 0xaa, 0xf4 };  /* rep stosb */
    put(0x1000, code, sizeof(code));
    CHECK_EQ(run(), 0);
    CHECK_EQ(e->rip, 0x2001);
    CHECK_EQ(rd16(0x8000 - 6), 0x1000);       /* back to the REP */
    CHECK_EQ(e->regs[R_ECX] & 0xffff, 2);
    CHECK_EQ(e->regs[R_EDI] & 0xffff, 0x3001);
    CHECK_EQ(ram[0x3000], 0x99);
    CHECK_EQ(ram[0x3001], 0);
    CHECK(rd16(0x8000 - 2) & EF_TF);          /* the pushed FLAGS had TF */

    e = real_mode();
    ivt(1, 0x2000);
    e->eflags |= EF_TF;
    x86_update_hflags(e);
    static const uint8_t two[] = { 0x40, 0x40, 0xf4 };   /* inc ax; inc ax */
    put(0x1000, two, sizeof(two));
    CHECK_EQ(run(), 0);
    CHECK_EQ(rd16(0x8000 - 6), 0x1001);       /* trapped after the first INC */
    CHECK_EQ(e->regs[R_EAX] & 0xffff, 1);
}

/* HLT with IF=0: a maskable interrupt request does not end it (the loop
 * keeps the CPU asleep instead of running past the HLT); an NMI does. */
TEST(cli_hlt_wakes_on_nmi_only)
{
    X86State *e = real_mode();
    static const uint8_t code[] = { 0xfa, 0xf4, 0xb8, 0x01, 0x00, 0xf4 }; /* cli; hlt; mov ax,1; hlt */
    put(0x1000, code, sizeof(code));
    ivt(2, 0x3000);
    e->regs[R_EAX] = 0;
    CHECK_EQ(cpu_exec(&cpu.parent), EXCP_HLT);
    CHECK_EQ(e->rip, 0x1002);
    cpu_interrupt(&cpu.parent, CPU_INTERRUPT_HARD);
    CHECK(!cpu_has_work(&cpu.parent));
    CHECK_EQ(cpu_exec(&cpu.parent), EXCP_HALTED);
    CHECK_EQ(cpu.parent.halted, 1);
    CHECK_EQ(e->rip, 0x1002);
    CHECK_EQ(e->regs[R_EAX], 0);
    cpu_interrupt(&cpu.parent, CPU_INTERRUPT_NMI);
    CHECK(cpu_has_work(&cpu.parent));
    CHECK_EQ(run(), 0);                /* (the request's kick may end a slice first) */
    CHECK_EQ(e->rip, 0x3001);          /* in the NMI handler, not past the HLT */
    CHECK_EQ(e->regs[R_EAX], 0);
    cpu_reset_interrupt(&cpu.parent, CPU_INTERRUPT_HARD | CPU_INTERRUPT_NMI);
    cpu.parent.halted = 0;
    e->nmi_blocked = 0;
}
