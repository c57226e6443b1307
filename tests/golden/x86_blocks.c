/*
 * Golden blocks of the x86 front end: translates fixed guest code and
 * prints -d in_asm and -d op_opt (and, with -b, -d bytecode) for each
 * block, then one line of sizes per block: guest instructions, IR ops
 * after the optimizer, bytecode instructions (dispatches on the straight
 * path). tests/golden/x86_blocks.sh compares the output with the checked-in
 * expectation; the sizes are how the translator's output is kept small.
 *
 *   x86_blocks [-b]
 */
#include <stdio.h>
#include <string.h>
#include "interp/interp.h"
#include "src/cpu.h"
#include "src/log.h"
#include "src/softmmu.h"
#include "src/tb.h"
#include "src/x86/cpu.h"
#include "src/x86/target.h"

static X86CPU cpu;
static uint8_t ram[1 << 20];

static uint8_t *ram_page(void *opaque, uint64_t ppage, bool *ro)
{
    (void)opaque;
    (void)ro;
    return ppage < sizeof(ram) ? ram + ppage : NULL;
}

static uint64_t io_read(void *opaque, uint64_t paddr, unsigned size)
{
    (void)opaque; (void)paddr; (void)size;
    return 0;
}

static void io_write(void *opaque, uint64_t paddr, uint64_t val, unsigned size)
{
    (void)opaque; (void)paddr; (void)val; (void)size;
}

static const SoftmmuPhys phys = { NULL, ram_page, io_read, io_write, NULL };

typedef struct Block {
    const char *what;
    uint32_t hflags;
    uint64_t cs_base;
    uint64_t pc;
    const uint8_t *code;
    size_t len;
} Block;

#define PM32 (HF_PE | HF_CS32 | HF_SS32)
#define PM64 (HF_PE | HF_LMA | HF_CS64 | HF_SS32)

static const uint8_t loop32[] = {
    0x03, 0x04, 0x8b,       /* add eax, [ebx+ecx*4] */
    0x41,                   /* inc ecx */
    0x39, 0xd1,             /* cmp ecx, edx */
    0x7c, 0xf8,             /* jl loop */
};
static const uint8_t mix32[] = {
    0x8b, 0x45, 0x08,       /* mov eax, [ebp+8] */
    0x85, 0xc0,             /* test eax, eax */
    0x0f, 0x94, 0xc1,       /* sete cl */
    0x88, 0xe7,             /* mov bh, ah */
    0xc1, 0xe0, 0x04,       /* shl eax, 4 */
    0x50,                   /* push eax */
    0xc3,                   /* ret */
};
static const uint8_t real16[] = {
    0x8b, 0x40, 0x04,       /* mov ax, [bx+si+4] */
    0x02, 0xc4,             /* add al, ah */
    0x74, 0x02,             /* je +2 */
};
static const uint8_t rep32[] = {
    0xf3, 0xa5,             /* rep movsd */
    0xf4,                   /* hlt */
};
static const uint8_t long64[] = {
    0x48, 0x03, 0x05, 0x10, 0x00, 0x00, 0x00, /* add rax, [rip+0x10] */
    0x44, 0x89, 0xc0,       /* mov eax, r8d */
    0xff, 0xe0,             /* jmp rax */
};

static const Block blocks[] = {
    { "32-bit loop: add from memory, inc, cmp, jl", PM32, 0, 0x1000, loop32, sizeof(loop32) },
    { "32-bit mix: load, test/setcc, partial register, shift, push, ret", PM32, 0, 0x2000, mix32,
      sizeof(mix32) },
    { "real mode: 16-bit addressing with a segment base, byte add, je", HF_ADDSEG, 0x10000, 0x13000,
      real16, sizeof(real16) },
    { "32-bit rep movsd", PM32, 0, 0x4000, rep32, sizeof(rep32) },
    { "64-bit: rip-relative add, 32-bit write zero-extends, indirect jump", PM64, 0, 0x5000, long64,
      sizeof(long64) },
};

static unsigned count_bytecode(const TranslationBlock *tb)
{
    InterpDispatch d = (tb->cflags & TB_CF_DISPATCH) ? INTERP_DISPATCH_GOTO : INTERP_DISPATCH_SWITCH;
    const BCWord *code = tb->code;
    size_t n = tb->code_size / sizeof(BCWord);
    unsigned k = 0;
    for (size_t o = 0; o < n; k++) {
        int op = interp_word_opcode(d, code[o]);
        if (op < 0)
            break;
        o += strlen(bc_info[op].fmt);
    }
    return k;
}

int main(int argc, char **argv)
{
    bool bytecode = argc > 1 && !strcmp(argv[1], "-b");
    cpu_init(&cpu.parent, &x86_target_ops, &phys);
    interp_set_dispatch(INTERP_DISPATCH_SWITCH);
    log_set_mask(LOG_IN_ASM | LOG_OP_OPT | (bytecode ? LOG_BYTECODE : 0));
    Error *err = NULL;
    if (log_set_file("/dev/stdout", &err) < 0) {
        error_report_err(err);
        return 2;
    }
    for (size_t i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++) {
        const Block *b = &blocks[i];
        x86_cpu_reset(&cpu);
        cpu.env.hflags = b->hflags;   /* translation only: the key is all it reads */
        memset(ram, 0xf4, sizeof(ram));
        memcpy(ram + b->pc, b->code, b->len);
        softmmu_flush_all(&cpu.parent);
        log_printf("==== %s\n", b->what);
        TranslationBlock *tb = tb_gen_code(&cpu.parent, b->pc, b->cs_base, b->hflags);
        log_printf("sizes: %u guest insns, %u IR ops, %u bytecode insns\n\n", tb->icount,
                   (unsigned)(tb_stats.ir_ops - 0), count_bytecode(tb));
        tb_stats.ir_ops = 0;
        log_flush();
    }
    return 0;
}
