/* src/x86/decode.c and disas.c: prefixes, ModRM/SIB, immediates, modes, limits. */
#include <stdio.h>
#include "unit.h"
#include "src/x86/decode.h"
#include "src/x86/disas.h"

/* Decode a byte string given as a C string literal ("\x66\x90"). */
#define DEC(insn, mode, s) x86_decode(&(insn), (const uint8_t *)(s), sizeof(s) - 1, mode)

static const char *dis(X86Mode mode, const char *bytes, unsigned n, uint64_t pc)
{
    static char buf[128];
    X86Insn insn;
    if (x86_decode(&insn, (const uint8_t *)bytes, n, mode) <= 0)
        return "(error)";
    x86_disas(buf, sizeof(buf), &insn, pc);
    return buf;
}
#define DIS(mode, s, pc) dis(mode, s, sizeof(s) - 1, pc)

TEST(table_is_consistent)
{
    CHECK_EQ(x86_decode_table_errors(), 0);
    CHECK(x86_insn_nrows > 900);
    CHECK_STR(x86_op_name(X86_OP_CMPXCHG8B), "CMPXCHG8B");
    CHECK_STR(x86_op_name(X86_OP_COUNT), "?");
}

/*
 * Every row, encoded from its own selector fields, decodes back to that row:
 * the index built from insn.def loses nothing.
 */
TEST(every_row_decodes_to_itself)
{
    for (unsigned k = 0; k < x86_insn_nrows; k++) {
        const X86InsnRow *r = &x86_insn_rows[k];
        X86Mode mode = (r->flags & X86_F_ONLY64) ? X86_MODE_64 : X86_MODE_32;
        uint8_t b[32] = { 0 };
        unsigned n = 0, pfx = r->sel & 7, md = (r->sel >> 3) & 3;
        unsigned reg = (r->sel >> 5) & 15, rm = (r->sel >> 9) & 15;
        static const uint8_t pbyte[5] = { 0, 0, 0x66, 0xf3, 0xf2 };
        if (pbyte[pfx])
            b[n++] = pbyte[pfx];
        if (r->map != X86_MAP_1B)
            b[n++] = 0x0f;
        if (r->map == X86_MAP_0F38)
            b[n++] = 0x38;
        if (r->map == X86_MAP_0F3A)
            b[n++] = 0x3a;
        b[n++] = r->opcode;
        bool regonly = md == 2 || rm, memonly = md == 1;
        for (unsigned i = 0; i < 3; i++) {
            unsigned am = X86_OPD_AM(r->opd[i]);
            regonly = regonly || am == X86_AM_R || am == X86_AM_U || am == X86_AM_N;
            memonly = memonly || am == X86_AM_M;
        }
        unsigned mod = regonly ? 3 : 0;
        b[n++] = (uint8_t)(mod << 6 | (reg ? reg - 8 : 0) << 3 | (rm ? rm - 8 : 0));
        X86Insn insn;
        int len = x86_decode(&insn, b, sizeof(b), mode);
        if (len <= 0 || insn.row != r) {
            unit_fail(__FILE__, __LINE__, "row %u (%s, map %u opcode %02x sel %x) decodes to %d/%s",
                      k, r->mnem, r->map, r->opcode, r->sel, len,
                      len > 0 ? insn.row->mnem : "-");
            return;
        }
        CHECK(!(memonly && !insn.has_mem));
    }
}

TEST(operand_and_address_size_prefixes)
{
    X86Insn d;
    CHECK_EQ(DEC(d, X86_MODE_32, "\x89\xc8"), 2);
    CHECK_EQ(d.op, X86_OP_MOV);
    CHECK_EQ(d.osize, 4);
    CHECK_EQ(DEC(d, X86_MODE_32, "\x66\x89\xc8"), 3);
    CHECK_EQ(d.osize, 2);
    CHECK_EQ(d.opd[0].size, 2);
    CHECK_EQ(DEC(d, X86_MODE_16, "\x66\x89\xc8"), 3);
    CHECK_EQ(d.osize, 4);
    /* 67 in 32-bit code: 16-bit addressing, [bx] */
    CHECK_EQ(DEC(d, X86_MODE_32, "\x67\x8b\x07"), 3);
    CHECK_EQ(d.asize, 2);
    CHECK_EQ(d.mem.base, 3);
    CHECK_EQ(d.mem.index, -1);
    /* redundant prefixes are allowed */
    CHECK_EQ(DEC(d, X86_MODE_32, "\x66\x66\x66\x90"), 4);
}

TEST(segment_overrides_and_defaults)
{
    X86Insn d;
    CHECK_EQ(DEC(d, X86_MODE_32, "\x26\x64\x8b\x00"), 4);
    CHECK_EQ(d.seg_override, X86_SEG_FS);        /* the last one wins */
    CHECK_EQ(d.mem.seg, X86_SEG_FS);
    CHECK_EQ(DEC(d, X86_MODE_32, "\x8b\x45\x08"), 3);
    CHECK_EQ(d.mem.seg, X86_SEG_SS);             /* [ebp+8] */
    CHECK_EQ(d.mem.disp, 8);
    CHECK_EQ(DEC(d, X86_MODE_32, "\x8b\x04\x24"), 3);
    CHECK_EQ(d.mem.seg, X86_SEG_SS);             /* [esp] */
    CHECK_EQ(DEC(d, X86_MODE_16, "\x8b\x46\x08"), 3);
    CHECK_EQ(d.mem.seg, X86_SEG_SS);             /* [bp+8] */
    CHECK_EQ(DEC(d, X86_MODE_16, "\x8b\x00"), 2);
    CHECK_EQ(d.mem.seg, X86_SEG_DS);             /* [bx+si] */
    CHECK_EQ(d.mem.base, 3);
    CHECK_EQ(d.mem.index, 6);
    /* r13 is not rbp: DS */
    CHECK_EQ(DEC(d, X86_MODE_64, "\x41\x8b\x45\x00"), 4);
    CHECK_EQ(d.mem.base, 13);
    CHECK_EQ(d.mem.seg, X86_SEG_DS);
    CHECK_EQ(d.disp_len, 1);
}

TEST(mandatory_prefix_selection)
{
    X86Insn d;
    CHECK_EQ(DEC(d, X86_MODE_32, "\x0f\x10\xc1"), 3);
    CHECK_EQ(d.op, X86_OP_MOVUPS);
    CHECK_EQ(DEC(d, X86_MODE_32, "\x66\x0f\x10\xc1"), 4);
    CHECK_EQ(d.op, X86_OP_MOVUPD);
    CHECK_EQ(d.mandatory, 0x66);
    CHECK_EQ(DEC(d, X86_MODE_32, "\x66\xf3\x0f\x10\xc1"), 5);
    CHECK_EQ(d.op, X86_OP_MOVSS);                /* F3 beats 66 */
    CHECK_EQ(d.rep, 0);                           /* consumed */
    CHECK_EQ(DEC(d, X86_MODE_32, "\xf3\x66\x0f\x10\xc1"), 5);
    CHECK_EQ(d.op, X86_OP_MOVSS);
    CHECK_EQ(DEC(d, X86_MODE_32, "\xf2\xf3\x0f\x10\xc1"), 5);
    CHECK_EQ(d.op, X86_OP_MOVSS);                /* last of F2/F3 wins */
    CHECK_EQ(DEC(d, X86_MODE_32, "\xf3\xf2\x0f\x10\xc1"), 5);
    CHECK_EQ(d.op, X86_OP_MOVSD);
    /* a consumed 66 is not an operand-size prefix */
    CHECK_EQ(DEC(d, X86_MODE_64, "\x66\x48\x0f\x6e\xc0"), 5);
    CHECK_EQ(d.op, X86_OP_MOVD);
    CHECK_EQ(d.opd[1].size, 8);
    CHECK_EQ(DEC(d, X86_MODE_32, "\x66\x0f\x3a\x16\xc0\x01"), 6);
    CHECK_EQ(d.opd[0].size, 4);
    /* no F3 form of MOVAPS: #UD, not a silently ignored prefix */
    CHECK_EQ(DEC(d, X86_MODE_32, "\xf3\x0f\x28\xc1"), X86_DEC_UD);
    /* F3 90 is PAUSE; F3 0F BC is BSF with a REP (no BMI in the model) */
    CHECK_EQ(DEC(d, X86_MODE_32, "\xf3\x90"), 2);
    CHECK_EQ(d.op, X86_OP_PAUSE);
    CHECK_EQ(DEC(d, X86_MODE_32, "\xf3\x0f\xbc\xc1"), 4);
    CHECK_EQ(d.op, X86_OP_BSF);
    CHECK_EQ(d.rep, 0xf3);
    CHECK_EQ(DEC(d, X86_MODE_32, "\xf3\x0f\xb8\xc1"), 4);
    CHECK_EQ(d.op, X86_OP_POPCNT);
    CHECK_EQ(DEC(d, X86_MODE_32, "\x0f\xb8\xc1"), X86_DEC_UD);
    /* string ops keep their REP */
    CHECK_EQ(DEC(d, X86_MODE_32, "\xf3\xa4"), 2);
    CHECK_EQ(d.op, X86_OP_MOVS);
    CHECK_EQ(d.rep, 0xf3);
    CHECK_EQ(DEC(d, X86_MODE_32, "\xf3\xf2\xa6"), 3);
    CHECK_EQ(d.rep, 0xf2);
}

TEST(rex_rules)
{
    X86Insn d;
    CHECK_EQ(DEC(d, X86_MODE_64, "\x48\x89\xc8"), 3);
    CHECK_EQ(d.osize, 8);
    CHECK(d.rex_w);
    /* a REX followed by a legacy prefix is ignored */
    CHECK_EQ(DEC(d, X86_MODE_64, "\x48\x66\x89\xc8"), 4);
    CHECK_EQ(d.osize, 2);
    CHECK_EQ(d.rex, 0);
    /* REX.W beats 66 */
    CHECK_EQ(DEC(d, X86_MODE_64, "\x66\x48\x89\xc8"), 4);
    CHECK_EQ(d.osize, 8);
    /* REX.B: push r8 (64-bit default size), xchg r8,rax instead of nop */
    CHECK_EQ(DEC(d, X86_MODE_64, "\x41\x50"), 2);
    CHECK_EQ(d.op, X86_OP_PUSH);
    CHECK_EQ(d.opd[0].reg, 8);
    CHECK_EQ(d.osize, 8);
    CHECK_EQ(DEC(d, X86_MODE_64, "\x41\x90"), 2);
    CHECK_EQ(d.op, X86_OP_XCHG);
    CHECK_EQ(d.opd[0].reg, 8);
    CHECK_EQ(DEC(d, X86_MODE_64, "\x90"), 1);
    CHECK_EQ(d.op, X86_OP_NOP);
    /* any REX turns AH..BH into SPL..DIL */
    CHECK_EQ(DEC(d, X86_MODE_64, "\x88\xe0"), 2);
    CHECK_EQ(d.opd[1].cls, X86_RC_GPR8H);
    CHECK_EQ(d.opd[1].reg, 0);
    CHECK_EQ(DEC(d, X86_MODE_64, "\x40\x88\xe0"), 3);
    CHECK_EQ(d.opd[1].cls, X86_RC_GPR);
    CHECK_EQ(d.opd[1].reg, 4);
    /* REX.R/X/B extend reg, index, base */
    CHECK_EQ(DEC(d, X86_MODE_64, "\x47\x8b\x44\x8d\x00"), 5);
    CHECK_EQ(d.opd[0].reg, 8);
    CHECK_EQ(d.mem.base, 13);
    CHECK_EQ(d.mem.index, 9);
    CHECK_EQ(d.mem.scale, 2);
    /* 40..4F are INC/DEC outside 64-bit mode */
    CHECK_EQ(DEC(d, X86_MODE_32, "\x48\x89\xc8"), 1);
    CHECK_EQ(d.op, X86_OP_DEC);
    /* 64-bit defaults: push/pop/near branches */
    CHECK_EQ(DEC(d, X86_MODE_64, "\x66\x50"), 2);
    CHECK_EQ(d.osize, 2);
    CHECK_EQ(DEC(d, X86_MODE_64, "\xff\xd0"), 2);
    CHECK_EQ(d.osize, 8);
    CHECK_EQ(DEC(d, X86_MODE_64, "\x66\xe8\x00\x00\x00\x00"), 6);   /* Intel: 66 ignored */
}

TEST(instruction_length_limit)
{
    uint8_t b[32];
    X86Insn d;
    memset(b, 0x66, sizeof(b));
    b[14] = 0x90;
    CHECK_EQ(x86_decode(&d, b, sizeof(b), X86_MODE_32), 15);
    b[14] = 0x66;
    b[15] = 0x90;
    CHECK_EQ(x86_decode(&d, b, sizeof(b), X86_MODE_32), X86_DEC_TOOLONG);
    /* too long is known before the bytes run out */
    CHECK_EQ(x86_decode(&d, b, 15, X86_MODE_32), X86_DEC_TOOLONG);
    /* prefixes + add [eax+disp32], imm32: 11 + 1 + 1 + 4 + 4 = 21 */
    memset(b, 0x2e, 11);
    memcpy(b + 11, "\x81\x80\x00\x00\x00\x00\x00\x00\x00\x00", 10);
    CHECK_EQ(x86_decode(&d, b, sizeof(b), X86_MODE_32), X86_DEC_TOOLONG);
    memmove(b, b + 6, 15);   /* 5 prefixes: exactly 15 */
    CHECK_EQ(x86_decode(&d, b, 15, X86_MODE_32), 15);
}

TEST(modrm_sib_forms)
{
    X86Insn d;
    /* SIB with neither base nor index: absolute disp32 */
    CHECK_EQ(DEC(d, X86_MODE_32, "\x8b\x04\x25\x78\x56\x34\x12"), 7);
    CHECK_EQ(d.mem.base, -1);
    CHECK_EQ(d.mem.index, -1);
    CHECK_EQ(d.mem.disp, 0x12345678);
    CHECK(!d.mem.rip);
    CHECK_EQ(DEC(d, X86_MODE_64, "\x8b\x04\x25\x78\x56\x34\x12"), 7);
    CHECK(!d.mem.rip);
    CHECK_EQ(d.mem.base, -1);
    /* mod 0 rm 5: disp32 in 32-bit mode, RIP-relative in 64-bit mode */
    CHECK_EQ(DEC(d, X86_MODE_32, "\x8b\x05\xf0\xff\xff\xff"), 6);
    CHECK(!d.mem.rip);
    CHECK_EQ(d.mem.disp, -16);
    CHECK_EQ(DEC(d, X86_MODE_64, "\x8b\x05\xf0\xff\xff\xff"), 6);
    CHECK(d.mem.rip);
    CHECK_EQ(d.mem.disp, -16);
    /* REX.X makes index 4 a real register (r12) */
    CHECK_EQ(DEC(d, X86_MODE_64, "\x42\x8b\x04\x25\x00\x00\x00\x00"), 8);
    CHECK_EQ(d.mem.index, 12);
    /* [ebp+ecx*4-16] */
    CHECK_EQ(DEC(d, X86_MODE_32, "\x8b\x44\x8d\xf0"), 4);
    CHECK_EQ(d.mem.base, 5);
    CHECK_EQ(d.mem.index, 1);
    CHECK_EQ(d.mem.scale, 2);
    CHECK_EQ(d.mem.disp, -16);
    CHECK(d.has_sib);
    /* 16-bit: [disp16], [bx+disp16] sign-extended */
    CHECK_EQ(DEC(d, X86_MODE_16, "\x8b\x06\x34\x12"), 4);
    CHECK_EQ(d.mem.base, -1);
    CHECK_EQ(d.mem.disp, 0x1234);
    CHECK_EQ(DEC(d, X86_MODE_16, "\x8b\x87\xf0\xff"), 4);
    CHECK_EQ(d.mem.disp, -16);
    CHECK_EQ(d.mem.base, 3);
    /* MOV CRn ignores mod: no displacement follows */
    CHECK_EQ(DEC(d, X86_MODE_32, "\x0f\x20\x00"), 3);
    CHECK_EQ(d.opd[0].kind, X86_OPK_REG);
    CHECK_EQ(d.opd[1].cls, X86_RC_CR);
}

TEST(immediates_per_size)
{
    X86Insn d;
    /* Iz stays 4 bytes with REX.W, sign-extended */
    CHECK_EQ(DEC(d, X86_MODE_64, "\x48\x05\xff\xff\xff\xff"), 6);
    CHECK_EQ(d.opd[1].imm, -1);
    CHECK_EQ(d.opd[1].size, 8);
    /* MOV r64, imm64 */
    CHECK_EQ(DEC(d, X86_MODE_64, "\x48\xb8\x88\x77\x66\x55\x44\x33\x22\x11"), 10);
    CHECK_EQ((uint64_t)d.opd[1].imm, 0x1122334455667788ull);
    CHECK_EQ(DEC(d, X86_MODE_64, "\xb8\x44\x33\x22\x11"), 5);
    CHECK_EQ(DEC(d, X86_MODE_16, "\xb8\x34\x12"), 3);
    CHECK_EQ(DEC(d, X86_MODE_16, "\x66\xb8\x78\x56\x34\x12"), 6);
    /* sign-extended imm8 */
    CHECK_EQ(DEC(d, X86_MODE_32, "\x83\xc0\xff"), 3);
    CHECK_EQ(d.opd[1].imm, -1);
    CHECK_EQ(d.opd[1].size, 4);
    CHECK_EQ(DEC(d, X86_MODE_64, "\x6a\x80"), 2);
    CHECK_EQ(d.opd[0].imm, -128);
    CHECK_EQ(d.opd[0].size, 8);
    /* ENTER Iw, Ib */
    CHECK_EQ(DEC(d, X86_MODE_32, "\xc8\x10\x00\x05"), 4);
    CHECK_EQ(d.opd[0].imm, 0x10);
    CHECK_EQ(d.opd[1].imm, 5);
    CHECK_EQ(d.imm_len[0], 2);
    CHECK_EQ(d.imm_len[1], 1);
    /* far pointers */
    CHECK_EQ(DEC(d, X86_MODE_32, "\xea\x78\x56\x34\x12\xcd\xab"), 7);
    CHECK_EQ(d.opd[0].kind, X86_OPK_FAR);
    CHECK_EQ(d.opd[0].imm, 0x12345678);
    CHECK_EQ(d.opd[0].sel, 0xabcd);
    CHECK_EQ(DEC(d, X86_MODE_16, "\xea\x34\x12\xcd\xab"), 5);
    /* moffs follows the address size */
    CHECK_EQ(DEC(d, X86_MODE_64, "\xa1\x08\x07\x06\x05\x04\x03\x02\x01"), 9);
    CHECK_EQ((uint64_t)d.mem.disp, 0x0102030405060708ull);
    CHECK_EQ(DEC(d, X86_MODE_64, "\x67\xa1\x04\x03\x02\x01"), 6);
    CHECK_EQ(DEC(d, X86_MODE_16, "\xa1\x34\x12"), 3);
    /* group 3: TEST has an immediate, NOT does not */
    CHECK_EQ(DEC(d, X86_MODE_32, "\xf7\xc0\x01\x00\x00\x00"), 6);
    CHECK_EQ(DEC(d, X86_MODE_32, "\xf7\xd0"), 2);
    /* branches */
    CHECK_EQ(DEC(d, X86_MODE_32, "\x0f\x84\xfe\xff\xff\xff"), 6);
    CHECK_EQ(d.opd[0].kind, X86_OPK_REL);
    CHECK_EQ(d.opd[0].imm, -2);
    CHECK_EQ(DEC(d, X86_MODE_16, "\xe9\x00\x10"), 3);
    CHECK_EQ(DEC(d, X86_MODE_32, "\x66\xe9\x00\x10"), 4);
}

TEST(invalid_in_mode)
{
    X86Insn d;
    static const char *const bad64[] = {
        "\x37", "\x27", "\x0e", "\x06", "\x1f", "\x60", "\x61", "\x62\x00", "\x9a",
        "\xc4\x00", "\xc5\x00", "\xce", "\xd4\x0a", "\xd5\x0a", "\xd6", "\xea", "\x82\xc0\x01",
    };
    for (unsigned i = 0; i < PEMU_ARRAY_SIZE(bad64); i++) {
        uint8_t b[16] = { 0 };
        memcpy(b, bad64[i], strlen(bad64[i]));
        CHECK_EQ(x86_decode(&d, b, sizeof(b), X86_MODE_64), X86_DEC_UD);
        CHECK(x86_decode(&d, b, sizeof(b), X86_MODE_32) > 0);
    }
    CHECK_EQ(DEC(d, X86_MODE_32, "\x0f\x05"), X86_DEC_UD);         /* SYSCALL */
    CHECK_EQ(DEC(d, X86_MODE_64, "\x0f\x05"), 2);
    CHECK_EQ(DEC(d, X86_MODE_32, "\x0f\x01\xf8"), X86_DEC_UD);     /* SWAPGS */
    CHECK_EQ(DEC(d, X86_MODE_64, "\x0f\x01\xf8"), 3);
    CHECK_EQ(DEC(d, X86_MODE_32, "\x63\xc0"), 2);
    CHECK_EQ(d.op, X86_OP_ARPL);
    CHECK_EQ(DEC(d, X86_MODE_64, "\x48\x63\xc0"), 3);
    CHECK_EQ(d.op, X86_OP_MOVSXD);
    /* C4/C5 with a register operand would be VEX: no AVX, #UD */
    CHECK_EQ(DEC(d, X86_MODE_32, "\xc5\xf8\x77"), X86_DEC_UD);
    CHECK_EQ(DEC(d, X86_MODE_32, "\xc5\x00"), 2);
    CHECK_EQ(d.op, X86_OP_LDS);
}

TEST(lock_and_memory_only_forms)
{
    X86Insn d;
    CHECK_EQ(DEC(d, X86_MODE_32, "\xf0\x01\x08"), 3);
    CHECK(d.lock);
    CHECK_EQ(DEC(d, X86_MODE_32, "\xf0\x01\xc8"), X86_DEC_UD);     /* register destination */
    CHECK_EQ(DEC(d, X86_MODE_32, "\xf0\x89\x08"), X86_DEC_UD);     /* MOV is not lockable */
    CHECK_EQ(DEC(d, X86_MODE_32, "\xf0\x39\x08"), X86_DEC_UD);     /* nor CMP */
    CHECK_EQ(DEC(d, X86_MODE_32, "\xf0\x0f\xc7\x08"), 3 + 1);       /* LOCK CMPXCHG8B [eax] */
    CHECK_EQ(DEC(d, X86_MODE_64, "\xf0\x48\x0f\xc7\x08"), 5);
    CHECK_EQ(d.opd[0].size, 16);                                   /* CMPXCHG16B */
    CHECK_EQ(DEC(d, X86_MODE_32, "\x0f\xc7\xc8"), X86_DEC_UD);     /* register operand */
    CHECK_EQ(DEC(d, X86_MODE_32, "\x8d\xc0"), X86_DEC_UD);         /* LEA eax, eax */
    CHECK_EQ(DEC(d, X86_MODE_32, "\x0f\x01\x10"), 3);              /* LGDT [eax] */
    CHECK_EQ(d.op, X86_OP_LGDT);
    CHECK_EQ(DEC(d, X86_MODE_32, "\x0f\x01\xd0"), 3);              /* XGETBV */
    CHECK_EQ(d.op, X86_OP_XGETBV);
    CHECK_EQ(DEC(d, X86_MODE_32, "\x0f\x01\xd2"), X86_DEC_UD);     /* 0F 01 /2 rm=2: none */
    CHECK_EQ(DEC(d, X86_MODE_32, "\x8e\xc8"), X86_DEC_UD);         /* MOV CS, ax */
    CHECK_EQ(DEC(d, X86_MODE_32, "\x8c\xf0"), X86_DEC_UD);         /* segment register 6 */
    CHECK_EQ(DEC(d, X86_MODE_32, "\x0f\x20\xc8"), X86_DEC_UD);     /* CR1 */
    CHECK_EQ(DEC(d, X86_MODE_64, "\x44\x0f\x20\xc0"), 4);          /* CR8 */
    CHECK_EQ(d.opd[1].reg, 8);
    CHECK_EQ(DEC(d, X86_MODE_32, "\x0f\x0f\xc0\x00"), X86_DEC_UD); /* 3DNow! */
    CHECK_EQ(DEC(d, X86_MODE_32, "\x0f\x04"), X86_DEC_UD);
    CHECK_EQ(DEC(d, X86_MODE_32, "\x0f\x38\xff\xc0"), X86_DEC_UD);
    CHECK_EQ(DEC(d, X86_MODE_32, "\x0f\x50\x00"), X86_DEC_UD);     /* MOVMSKPS needs a register */
    CHECK_EQ(DEC(d, X86_MODE_32, "\x0f\x0b"), 2);
    CHECK_EQ(d.op, X86_OP_UD);
}

/* Every proper prefix of a valid instruction asks for more bytes. */
TEST(truncated_input_needs_more)
{
    static const struct { X86Mode mode; const char *s; unsigned n; } cases[] = {
        { X86_MODE_32, "\x66\x2e\x81\x84\x88\x78\x56\x34\x12\x34\x12", 11 },
        { X86_MODE_64, "\xf0\x48\x0f\xc7\x8c\x24\x00\x01\x00\x00", 10 },
        { X86_MODE_64, "\x48\xb8\x88\x77\x66\x55\x44\x33\x22\x11", 10 },
        { X86_MODE_64, "\x66\x0f\x3a\x0f\x05\x10\x00\x00\x00\x07", 10 },
        { X86_MODE_16, "\xea\x34\x12\xcd\xab", 5 },
        { X86_MODE_16, "\x67\x66\xc7\x84\x24\x00\x01\x00\x00\x78\x56\x34\x12", 13 },
        { X86_MODE_32, "\xc8\x10\x00\x05", 4 },
        { X86_MODE_32, "\xd9\xee", 2 },
        { X86_MODE_32, "\xf2\x0f\x38\xf1\xc0", 5 },
    };
    for (unsigned i = 0; i < PEMU_ARRAY_SIZE(cases); i++) {
        X86Insn d;
        const uint8_t *b = (const uint8_t *)cases[i].s;
        int full = x86_decode(&d, b, cases[i].n, cases[i].mode);
        CHECK_EQ(full, cases[i].n);
        for (unsigned cut = 0; cut < cases[i].n; cut++)
            CHECK_EQ(x86_decode(&d, b, cut, cases[i].mode), X86_DEC_MORE);
    }
}

TEST(disassembly_matches_objdump_spelling)
{
    CHECK_STR(DIS(X86_MODE_32, "\x8b\x44\x8d\xf0", 0), "mov    eax,DWORD PTR [ebp+ecx*4-0x10]");
    CHECK_STR(DIS(X86_MODE_32, "\xeb\xfe", 0x1000), "jmp    0x1000");
    CHECK_STR(DIS(X86_MODE_64, "\x48\x8b\x05\x10\x00\x00\x00", 0x400000),
              "mov    rax,QWORD PTR [rip+0x10]        # 0x400017");
    CHECK_STR(DIS(X86_MODE_32, "\xf3\xa5", 0), "rep movs DWORD PTR es:[edi],DWORD PTR ds:[esi]");
    CHECK_STR(DIS(X86_MODE_32, "\x0f\xc2\xc1\x01", 0), "cmpltps xmm0,xmm1");
    CHECK_STR(DIS(X86_MODE_16, "\x26\x8b\x00", 0), "mov    ax,WORD PTR es:[bx+si]");
    CHECK_STR(DIS(X86_MODE_32, "\x66\x0f\x3a\x16\xc0\x01", 0), "pextrd eax,xmm0,0x1");
    CHECK_STR(DIS(X86_MODE_64, "\x66\x48\x0f\x3a\x16\xc0\x01", 0), "pextrq rax,xmm0,0x1");
    CHECK_STR(DIS(X86_MODE_32, "\xde\xe9", 0), "fsubp  st(1),st");
    CHECK_STR(DIS(X86_MODE_32, "\xd1\xe0", 0), "shl    eax,1");
    CHECK_STR(DIS(X86_MODE_32, "\x9a\x78\x56\x34\x12\xcd\xab", 0), "call   0xabcd:0x12345678");
    CHECK_STR(DIS(X86_MODE_64, "\x48\x90", 0), "rex.W nop");
    CHECK_STR(DIS(X86_MODE_32, "\x66\x90", 0), "xchg   ax,ax");
    CHECK_STR(DIS(X86_MODE_32, "\x66\x9c", 0), "pushfw");
    CHECK_STR(DIS(X86_MODE_32, "\xf0\x0f\xb1\x0b", 0), "lock cmpxchg DWORD PTR [ebx],ecx");
    char small[8];
    X86Insn d;
    CHECK_EQ(DEC(d, X86_MODE_32, "\x8b\x44\x8d\xf0"), 4);
    int n = x86_disas(small, sizeof(small), &d, 0);
    CHECK_EQ(n, strlen("mov    eax,DWORD PTR [ebp+ecx*4-0x10]"));
    CHECK_STR(small, "mov    ");
    char buf[32];
    CHECK_EQ(x86_disas_bytes(buf, sizeof(buf), (const uint8_t *)"\x0f\x0f", 2, X86_MODE_32, 0), 1);
    CHECK_STR(buf, "(bad)");
}
