/*
 * The decoder/disassembler side of tests/diff/disas_objdump.sh.
 *
 *   disas_tool gen MODE > corpus.bin
 *       A fixed-seed corpus: every opcode of the 1-byte, 0F, 0F38 and 0F3A
 *       maps under a set of prefix combinations, all eight ModRM.reg values,
 *       random mod/rm/SIB/displacement/immediates, a ModRM x SIB sweep, then
 *       random bytes.
 *   disas_tool cmp MODE corpus.bin objdump.txt
 *       Walks objdump's instruction boundaries, decodes the same bytes with
 *       x86_decode and compares length and (whitespace-normalised) text.
 *       Prints statistics, reproducers for length mismatches and samples of
 *       text mismatches; exits 1 on any unexplained length or validity
 *       disagreement.
 *
 * MODE is 16, 32 or 64.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>
#include "ports/host.h"
#include "src/x86/decode.h"
#include "src/x86/disas.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
    /* xorshift64*: fixed seed, same corpus on every host */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

static X86Mode parse_mode(const char *s)
{
    if (!strcmp(s, "16"))
        return X86_MODE_16;
    if (!strcmp(s, "32"))
        return X86_MODE_32;
    if (!strcmp(s, "64"))
        return X86_MODE_64;
    fprintf(stderr, "disas_tool: mode '%s': expected 16, 32 or 64\n", s);
    exit(2);
}

static bool is_legacy_prefix(unsigned b)
{
    switch (b) {
    case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
    case 0x66: case 0x67: case 0xf0: case 0xf2: case 0xf3:
        return true;
    }
    return false;
}

/*
 * Emit one candidate: prefixes, opcode, ModRM and random trailing bytes.
 * A valid instruction is emitted at its decoded length, so the next one
 * starts where we expect; objdump's own boundaries are what cmp follows.
 */
static void emit(FILE *f, X86Mode mode, const uint8_t *pfx, unsigned npfx,
                 unsigned map, unsigned opc, int modrm, int sib)
{
    uint8_t b[32];
    unsigned n = 0;
    memcpy(b, pfx, npfx);
    n = npfx;
    if (map)
        b[n++] = 0x0f;
    if (map == 2)
        b[n++] = 0x38;
    if (map == 3)
        b[n++] = 0x3a;
    b[n++] = (uint8_t)opc;
    unsigned head = n;
    b[n++] = (uint8_t)(modrm >= 0 ? modrm : (int)(rnd() & 0xff));
    b[n++] = (uint8_t)(sib >= 0 ? sib : (int)(rnd() & 0xff));
    while (n < 26)
        b[n++] = (uint8_t)rnd();
    X86Insn insn;
    int len = x86_decode(&insn, b, n, mode);
    if (len <= 0 && npfx) {
        /* keep rejected LOCK forms aligned: emit the length without LOCK */
        uint8_t c[32];
        unsigned k = 0;
        for (unsigned i = 0; i < n; i++)
            if (i >= npfx || b[i] != 0xf0)
                c[k++] = b[i];
        int l2 = x86_decode(&insn, c, k, mode);
        if (l2 > 0)
            len = l2 + (int)(n - k);
    }
    fwrite(b, 1, len > 0 ? (unsigned)len : head + 1, f);
}

static int cmd_gen(X86Mode mode)
{
    static const uint8_t combos[][3] = {
        { 0 }, { 1, 0x66 }, { 1, 0xf3 }, { 1, 0xf2 }, { 1, 0x67 }, { 1, 0xf0 },
        { 1, 0x64 }, { 2, 0x66, 0xf3 }, { 2, 0x66, 0xf2 }, { 2, 0x2e, 0x67 },
    };
    static const uint8_t rex_combos[][3] = {
        { 1, 0x48 }, { 1, 0x41 }, { 1, 0x44 }, { 1, 0x4f }, { 2, 0x66, 0x48 },
        { 1, 0x40 }, { 2, 0xf3, 0x48 }, { 2, 0x66, 0x4d }, { 2, 0xf2, 0x42 },
    };
    FILE *f = stdout;
    bool m64 = mode == X86_MODE_64;
    unsigned ncombo = PEMU_ARRAY_SIZE(combos) + (m64 ? PEMU_ARRAY_SIZE(rex_combos) : 0);
    for (unsigned map = 0; map < 4; map++)
        for (unsigned opc = 0; opc < 256; opc++) {
            if (map == 0 && (is_legacy_prefix(opc) || opc == 0x0f ||
                             (m64 && (opc & 0xf0) == 0x40)))
                continue;
            if (map == 1 && (opc == 0x38 || opc == 0x3a))
                continue;
            for (unsigned c = 0; c < ncombo; c++) {
                const uint8_t *p = c < PEMU_ARRAY_SIZE(combos)
                                       ? combos[c] : rex_combos[c - PEMU_ARRAY_SIZE(combos)];
                for (unsigned reg = 0; reg < 8; reg++) {
                    unsigned mod = rnd() % 4, rm = rnd() % 8;
                    emit(f, mode, p + 1, p[0], map, opc, (int)(mod << 6 | reg << 3 | rm), -1);
                }
            }
        }
    /* Register-form ModRM bytes of every opcode that has register-form rows. */
    static const uint8_t mand[4][2] = { { 0 }, { 1, 0x66 }, { 1, 0xf3 }, { 1, 0xf2 } };
    static uint8_t done[4 * 256];
    for (unsigned k = 0; k < x86_insn_nrows; k++) {
        const X86InsnRow *r = &x86_insn_rows[k];
        unsigned slot = r->map * 256u + r->opcode;
        if (!(r->sel & 0x1e18) || done[slot]++)   /* sel: mod or rm given */
            continue;
        for (unsigned p = 0; p < 4; p++)
            for (unsigned m = 0xc0; m < 0x100; m++)
                emit(f, mode, mand[p] + 1, mand[p][0], r->map, r->opcode, (int)m, -1);
    }
    /* Every ModRM byte with a random SIB, under both address sizes. */
    static const uint8_t noprefix[1], a67[1] = { 0x67 };
    for (unsigned m = 0; m < 256; m++) {
        emit(f, mode, noprefix, 0, 0, 0x8b, (int)m, -1);
        emit(f, mode, a67, 1, 0, 0x89, (int)m, -1);
        emit(f, mode, noprefix, 0, 1, 0x10, (int)m, -1);
        if (m64) {
            static const uint8_t rx[1] = { 0x4b };
            emit(f, mode, rx, 1, 0, 0x8b, (int)m, (int)(rnd() & 0xff));
        }
    }
    /* Random prefix soup and plain random bytes. */
    for (unsigned i = 0; i < 4000; i++) {
        static const uint8_t pool[] = { 0x66, 0x67, 0xf2, 0xf3, 0x2e, 0x3e, 0x26,
                                        0x64, 0x65, 0x36, 0xf0, 0x48, 0x41, 0x40 };
        uint8_t p[6];
        unsigned np = rnd() % 5;
        for (unsigned k = 0; k < np; k++) {
            p[k] = pool[rnd() % PEMU_ARRAY_SIZE(pool)];
            if (!m64 && (p[k] & 0xf0) == 0x40)
                p[k] = 0x66;
        }
        unsigned map = rnd() % 4, opc = rnd() & 0xff;
        if (map == 0 && (is_legacy_prefix(opc) || opc == 0x0f || (m64 && (opc & 0xf0) == 0x40)))
            opc = 0x01;
        emit(f, mode, p, np, map, opc, -1, -1);
    }
    for (unsigned i = 0; i < 40000; i++)
        putchar((int)(rnd() & 0xff));
    return 0;
}

/* ---- comparison ----------------------------------------------------- */

typedef struct Line {
    uint64_t addr;
    unsigned len;
    char text[256];
} Line;

static void normalise(char *s)
{
    char *w = s;
    bool sp = false;
    for (char *r = s; *r; r++) {
        if (isspace((unsigned char)*r)) {
            sp = w != s;
            continue;
        }
        if (sp)
            *w++ = ' ';
        sp = false;
        *w++ = *r;
    }
    *w = 0;
}

/* "   1f:\t66 90                \txchg   ax,ax" */
static bool parse_line(const char *s, Line *l)
{
    char *end;
    while (*s == ' ')
        s++;
    if (!isxdigit((unsigned char)*s))
        return false;
    l->addr = strtoull(s, &end, 16);
    if (end[0] != ':' || end[1] != '\t')
        return false;
    s = end + 2;
    l->len = 0;
    while (isxdigit((unsigned char)s[0]) && isxdigit((unsigned char)s[1]) &&
           (s[2] == ' ' || s[2] == '\t' || s[2] == '\n' || !s[2])) {
        l->len++;
        s += 2;
        while (*s == ' ')
            s++;
    }
    if (*s == '\t')
        s++;
    snprintf(l->text, sizeof(l->text), "%s", s);
    normalise(l->text);
    return l->len > 0;
}

/*
 * Known objdump differences, matched on the text one side printed. Each is
 * a place where pemu follows the CPU it models rather than objdump's wider
 * or different ISA.
 */
typedef struct Quirk {
    const char *what;     /* prefix of the mnemonic (after objdump's prefixes) */
    const char *why;
} Quirk;

/*
 * objdump decodes it, pemu raises #UD: instruction sets beyond pemu's CPUID
 * (by objdump's mnemonic; "*x" matches x anywhere in the text), and
 * encodings the CPU rejects. VEX/EVEX/XOP forms are recognised by their
 * bytes (vex_form).
 */
static const Quirk od_only[] = {
    { "syscall", "SYSCALL/SYSRET are 64-bit only on Intel" },
    { "sysret", "SYSCALL/SYSRET are 64-bit only on Intel" },
    { "swapgs", "SWAPGS is 64-bit only" },
    { "*mov tr", "MOV to TRn (386/486 test registers): #UD since the Pentium" },
    { "*,tr", "MOV from TRn: #UD since the Pentium" },
    { "*cr1", "CR1, CR10-CR15 do not exist" }, { "*cr5", "CR5-CR7, CR9 do not exist" },
    { "*cr6", "CR5-CR7 do not exist" }, { "*cr7", "CR5-CR7 do not exist" },
    { "*cr9", "CR9 does not exist" }, { "*,?", "segment registers 6 and 7 do not exist" },
    { "*mov ?", "segment registers 6 and 7 do not exist" },
    { "*mov cs,", "MOV to CS is #UD" },
    { "*dr8", "DR8-DR15 do not exist" }, { "*dr9", "DR8-DR15 do not exist" },
    { "*dr10", "DR8-DR15" }, { "*dr11", "DR8-DR15" }, { "*dr12", "DR8-DR15" },
    { "*dr13", "DR8-DR15" }, { "*dr14", "DR8-DR15" }, { "*dr15", "DR8-DR15" },
    { "movdir", "MOVDIRI/MOVDIR64B" },
    { "frstpm", "80287 FRSTPM (DB E5): #UD on later FPUs" },
    { "getsec", "SMX" }, { "vm", "VMX/SVM" }, { "invept", "VMX" }, { "invvpid", "VMX" },
    { "invpcid", "INVPCID" }, { "invlpga", "SVM" }, { "invlpgb", "AMD INVLPGB" },
    { "xsaveopt", "XSAVEOPT" }, { "xsavec", "XSAVEC" }, { "xsaves", "XSAVES" }, { "xrstors", "XSAVES" },
    { "rdrand", "RDRAND" }, { "rdseed", "RDSEED" }, { "rdfsbase", "FSGSBASE" },
    { "rdgsbase", "FSGSBASE" }, { "wrfsbase", "FSGSBASE" }, { "wrgsbase", "FSGSBASE" },
    { "movbe", "MOVBE" }, { "adcx", "ADX" }, { "adox", "ADX" }, { "sha", "SHA" },
    { "aes", "AES-NI" }, { "pclmul", "PCLMULQDQ" }, { "gf2p8", "GFNI" },
    { "clac", "SMAP" }, { "stac", "SMAP" }, { "encl", "SGX" }, { "xend", "TSX" },
    { "xtest", "TSX" }, { "xbegin", "TSX" }, { "xabort", "TSX" }, { "rdpkru", "PKU" },
    { "wrpkru", "PKU" }, { "clwb", "CLWB" }, { "clflushopt", "CLFLUSHOPT" },
    { "clzero", "AMD CLZERO" }, { "monitorx", "AMD MONITORX" }, { "mwaitx", "AMD MWAITX" },
    { "rdpid", "RDPID" }, { "ptwrite", "PT" }, { "rstorssp", "CET" }, { "wrss", "CET" },
    { "wruss", "CET" }, { "setssbsy", "CET" }, { "clrssbsy", "CET" }, { "enqcmd", "ENQCMD" },
    { "serialize", "SERIALIZE" }, { "xsusldtrk", "TSXLDTRK" }, { "xresldtrk", "TSXLDTRK" },
    { "clui", "UINTR" }, { "stui", "UINTR" }, { "testui", "UINTR" }, { "senduipi", "UINTR" },
    { "tlbsync", "AMD" }, { "rdpru", "AMD" }, { "mcommit", "AMD" }, { "psmash", "AMD SNP" },
    { "pvalidate", "AMD SNP" }, { "rmpadjust", "AMD SNP" }, { "rmpupdate", "AMD SNP" },
    { "rmpquery", "AMD SNP" }, { "skinit", "AMD SVM" }, { "stgi", "AMD SVM" },
    { "clgi", "AMD SVM" }, { "femms", "3DNow!" }, { "pf", "3DNow!" }, { "pmulhrw", "3DNow!" },
    { "pi2f", "3DNow!" }, { "pavgusb", "3DNow!" }, { "pswapd", "3DNow!" },
    { "extrq", "SSE4a" }, { "insertq", "SSE4a" }, { "movnts", "SSE4a" },
    { "pconfig", "PCONFIG" }, { "encodekey", "Key Locker" }, { "loadiwkey", "Key Locker" },
    { "aadd", "RAO-INT" }, { "aand", "RAO-INT" }, { "aor", "RAO-INT" }, { "axor", "RAO-INT" },
    { "wrmsrns", "WRMSRNS" }, { "rdmsrlist", "MSRLIST" }, { "wrmsrlist", "MSRLIST" },
    { "tdcall", "TDX" }, { "seam", "TDX" }, { "xcrypt", "VIA PadLock" },
    { "xstore", "VIA PadLock" }, { "xsha", "VIA PadLock" }, { "montmul", "VIA PadLock" },
};

/* pemu decodes it, objdump prints (bad). */
static const Quirk pemu_only[] = {
    { "salc", "SALC (D6): undocumented, executed by Intel CPUs in 16/32-bit modes" },
    { "fstp1", "undocumented x87 alias D9 D8+i" }, { "fxch4", "undocumented x87 alias DD C8+i" },
    { "fxch7", "undocumented x87 alias DF C8+i" }, { "fstp8", "undocumented x87 alias DF D0+i" },
    { "fstp9", "undocumented x87 alias DF D8+i" }, { "fcom2", "undocumented x87 alias DC D0+i" },
    { "fcomp3", "undocumented x87 alias DC D8+i" }, { "fcomp5", "undocumented x87 alias DE D0+i" },
    { "wbinvd", "objdump rejects 66/F2 0F 09 (F3 0F 09 is WBNOINVD); the CPU ignores the prefix" },
    { "nop", "0F 18..1F hint NOPs: objdump reads MPX/CET encodings and rejects some prefixes" },
    { "bsf", "objdump rejects F2 0F BC/BD; the CPU ignores the prefix" },
    { "bsr", "objdump rejects F2 0F BC/BD; the CPU ignores the prefix" },
    { "lfence", "objdump rejects REX on fences; the CPU ignores it" },
    { "mfence", "objdump rejects REX on fences; the CPU ignores it" },
    { "sfence", "objdump rejects REX on fences; the CPU ignores it" },
};

/*
 * Known text differences, by objdump's mnemonic: objdump reads newer
 * extensions into encodings that pemu's CPU model (no MPX, BMI, ABM, CET,
 * CLDEMOTE, WBNOINVD, WAITPKG) executes in their legacy meaning, or objdump
 * follows AMD where pemu follows Intel.
 */
static const Quirk text_known[] = {
    { "bnd", "MPX: hint NOPs without MPX" }, { "cldemote", "hint NOP without CLDEMOTE" },
    { "tzcnt", "BSF with an ignored REP without BMI1" }, { "lzcnt", "BSR with an ignored REP without ABM" },
    { "wbnoinvd", "WBINVD with an ignored REP" }, { "incssp", "CET" }, { "rdssp", "CET" },
    { "endbr", "CET: hint NOP" }, { "umonitor", "WAITPKG" }, { "umwait", "WAITPKG" },
    { "tpause", "WAITPKG" }, { "setssbsy", "CET" },
    { "lss", "REX.W LSS/LFS/LGS: m16:64 on Intel, objdump shows m16:32 (AMD)" },
    { "lfs", "REX.W LSS/LFS/LGS: m16:64 on Intel" }, { "lgs", "REX.W LSS/LFS/LGS: m16:64 on Intel" },
    { "call FWORD", "REX.W far CALL/JMP m16:64 on Intel, objdump shows m16:32 (AMD)" },
    { "jmp FWORD", "REX.W far CALL/JMP m16:64 on Intel" }, { "prefetchit", "PREFETCHI: hint NOP" },
    { "movq2dq", "objdump lets 66 turn the MMX operand into XMM" },
    { "movdq2q", "objdump lets 66 turn the MMX operand into XMM" },
};

static const char *skip_prefix_words(const char *t)
{
    static const char *const words[] = {
        "data16 ", "data32 ", "addr16 ", "addr32 ", "lock ", "rep ", "repz ", "repnz ",
        "cs ", "ds ", "es ", "ss ", "fs ", "gs ", "notrack ", "bnd ", "rex ", "rex.",
    };
    for (bool again = true; again;) {
        again = false;
        for (unsigned i = 0; i < PEMU_ARRAY_SIZE(words); i++) {
            size_t n = strlen(words[i]);
            if (!strncmp(t, words[i], n)) {
                if (words[i][n - 1] == '.') {
                    const char *sp = strchr(t, ' ');
                    if (!sp)
                        return t;
                    t = sp + 1;
                } else {
                    t += n;
                }
                again = true;
            }
        }
    }
    return t;
}

static const Quirk *find_quirk(const Quirk *q, unsigned n, const char *text)
{
    const char *m = skip_prefix_words(text);
    for (unsigned i = 0; i < n; i++) {
        const char *w = q[i].what;
        if (w[0] == '*' ? strstr(text, w + 1) != NULL : !strncmp(m, w, strlen(w)))
            return &q[i];
    }
    return NULL;
}

/* VEX (C4/C5), EVEX (62) and XOP (8F) forms: no AVX in pemu's CPUID. */
static bool vex_form(const uint8_t *b, unsigned len, X86Mode mode)
{
    unsigned i = 0;
    while (i < len && (is_legacy_prefix(b[i]) || (mode == X86_MODE_64 && (b[i] & 0xf0) == 0x40)))
        i++;
    if (i + 1 >= len)
        return false;
    bool reg = (b[i + 1] & 0xc0) == 0xc0 || mode == X86_MODE_64;
    switch (b[i]) {
    case 0xc4: case 0xc5: case 0x62: return reg;
    case 0x8f: return (b[i + 1] & 0x38) != 0;
    }
    return false;
}

static void hexbytes(char *out, size_t n, const uint8_t *b, unsigned len)
{
    size_t k = 0;
    out[0] = 0;
    for (unsigned i = 0; i < len && k + 3 < n; i++)
        k += (size_t)snprintf(out + k, n - k, "%s%02x", i ? " " : "", b[i]);
}

/*
 * Does the instruction decode once the prefix bytes equal to a or b are
 * dropped from its prefix run? Classifies objdump-only forms: LOCK where the
 * CPU raises #UD, F2/F3/66 on a mandatory-prefix opcode without that form.
 */
static bool prefix_rejected(const uint8_t *b, unsigned len, X86Mode mode, const char *drop)
{
    uint8_t c[16];
    unsigned n = 0, i = 0;
    bool had = false;
    for (; i < len && (is_legacy_prefix(b[i]) || (mode == X86_MODE_64 && (b[i] & 0xf0) == 0x40)); i++) {
        if (memchr(drop, b[i], strlen(drop)))
            had = true;
        else if (n < 15)
            c[n++] = b[i];
    }
    for (; i < len && n < 15; i++)
        c[n++] = b[i];
    X86Insn insn;
    return had && x86_decode(&insn, c, n, mode) == (int)n;
}

/* Two REX bytes in a row: objdump rejects, the CPU uses the last one. */
static bool double_rex(const uint8_t *b, unsigned len)
{
    for (unsigned i = 0; i + 1 < len; i++)
        if ((b[i] & 0xf0) == 0x40 && (b[i + 1] & 0xf0) == 0x40)
            return true;
    return false;
}

/* A line of nothing but prefix names: objdump could not attach them. */
static bool is_prefix_line(const Line *l)
{
    const char *t = skip_prefix_words(l->text);
    return !*t || (!strncmp(t, "rex", 3) && !strchr(t, ' '));
}

static int cmd_cmp(X86Mode mode, const char *binpath, const char *odpath)
{
    FILE *fb = fopen(binpath, "rb"), *fo = fopen(odpath, "r");
    if (!fb || !fo) {
        fprintf(stderr, "disas_tool: cannot open %s or %s\n", binpath, odpath);
        return 2;
    }
    static uint8_t buf[4 << 20];
    size_t size = fread(buf, 1, sizeof(buf), fb);
    fclose(fb);

    static Line lines[1 << 20];
    unsigned nl = 0;
    char s[1024];
    while (fgets(s, sizeof(s), fo) && nl < PEMU_ARRAY_SIZE(lines))
        if (parse_line(s, &lines[nl]))
            nl++;
    fclose(fo);

    unsigned compared = 0, len_bad = 0, text_bad = 0, both_bad = 0;
    static uint8_t row_seen[4096];
    unsigned vex_q = 0, text_q = 0, midrex_q = 0, fwait_q = 0, lock_q = 0, rep_q = 0, p66_q = 0, rex2_q = 0, od_only_q = 0, od_only_bad = 0, pemu_only_q = 0, pemu_only_bad = 0;
    unsigned shown = 0, qcount[PEMU_ARRAY_SIZE(od_only)] = { 0 };
    unsigned pqcount[PEMU_ARRAY_SIZE(pemu_only)] = { 0 };
    const char *mname = mode == X86_MODE_16 ? "16" : mode == X86_MODE_32 ? "32" : "64";
    for (unsigned i = 0; i < nl; i++) {
        Line l = lines[i];
        /*
         * objdump prints a REX cancelled by a later prefix (and prefixes it
         * cannot attach) on a line of their own; the CPU reads one instruction.
         */
        while (is_prefix_line(&l) && i + 1 < nl && lines[i + 1].addr == l.addr + l.len &&
               l.len < 15) {
            /* keep the prefix names, drop the REX names (the CPU ignores that REX) */
            char pre[256] = "";
            for (char *w = strtok(l.text, " "); w; w = strtok(NULL, " "))
                if (strncmp(w, "rex", 3))
                    snprintf(pre + strlen(pre), sizeof(pre) - strlen(pre), "%s ", w);
            i++;
            l.len += lines[i].len;
            snprintf(l.text, sizeof(l.text), "%s%s", pre, lines[i].text);
        }
        if (l.addr + l.len > size)
            break;
        X86Insn insn;
        char ours[256], hex[64];
        int len = x86_decode(&insn, buf + l.addr, (unsigned)(size - l.addr), mode);
        bool od_bad = strstr(l.text, "(bad)") != NULL;
        hexbytes(hex, sizeof(hex), buf + l.addr, l.len < 15 ? 15 : l.len);
        /* objdump folds FWAIT into a following x87 op or prefix; the CPU does not. */
        if (len > 0 && insn.op == X86_OP_FWAIT && l.len > (unsigned)len) {
            fwait_q++;
            continue;
        }
        if (len == X86_DEC_MORE)
            break;  /* the corpus ends inside it */
        if (len <= 0 && !od_bad && prefix_rejected(buf + l.addr, l.len, mode, "\xf0")) {
            lock_q++;
            continue;
        }
        if (len <= 0 && !od_bad && (prefix_rejected(buf + l.addr, l.len, mode, "\xf2\xf3") ||
                                    prefix_rejected(buf + l.addr, l.len, mode, "\xf0\xf2\xf3"))) {
            rep_q++;
            continue;
        }
        if (len <= 0 && !od_bad && (prefix_rejected(buf + l.addr, l.len, mode, "\x66") ||
                                    prefix_rejected(buf + l.addr, l.len, mode, "\xf0\xf2\xf3\x66"))) {
            p66_q++;
            continue;
        }
        if (len > 0 && od_bad && mode == X86_MODE_64 && double_rex(buf + l.addr, (unsigned)len)) {
            rex2_q++;
            continue;
        }
        if (len <= 0) {
            if (od_bad) {
                both_bad++;
                continue;
            }
            if (vex_form(buf + l.addr, l.len, mode)) {
                vex_q++;
                continue;
            }
            const Quirk *q = find_quirk(od_only, PEMU_ARRAY_SIZE(od_only), l.text);
            if (q) {
                od_only_q++;
                qcount[q - od_only]++;
                if (getenv("DISAS_SHOW_QUIRK_CASES"))
                    printf("QUIRK mode %s: objdump \"%s\" (%s)\n", mname, l.text, q->what);
            } else {
                od_only_bad++;
                printf("VALIDITY mode %s: objdump \"%s\", pemu error %d; bytes %s\n",
                       mname, l.text, len, hex);
            }
            continue;
        }
        x86_disas(ours, sizeof(ours), &insn, l.addr);
        normalise(ours);
        if (od_bad) {
            const Quirk *q = find_quirk(pemu_only, PEMU_ARRAY_SIZE(pemu_only), ours);
            if (q) {
                pemu_only_q++;
                pqcount[q - pemu_only]++;
            } else {
                pemu_only_bad++;
                printf("VALIDITY mode %s: objdump (bad), pemu \"%s\"; bytes %s\n",
                       mname, ours, hex);
            }
            continue;
        }
        compared++;
        row_seen[insn.row - x86_insn_rows] = 1;
        if ((unsigned)len != l.len && mode == X86_MODE_64 && insn.npfx > 1 && !insn.rex &&
            (insn.bytes[insn.npfx - 1] & 0xf0) != 0x40) {
            /* objdump mis-sizes after a REX cancelled mid-prefixes; the CPU ignores it */
            midrex_q++;
            continue;
        }
        if ((unsigned)len != l.len) {
            len_bad++;
            hexbytes(hex, sizeof(hex), buf + l.addr, (unsigned)len > l.len ? (unsigned)len : l.len);
            printf("LENGTH mode %s: bytes %s: objdump %u \"%s\", pemu %d \"%s\"\n",
                   mname, hex, l.len, l.text, len, ours);
            continue;
        }
        if (strcmp(ours, l.text)) {
            const Quirk *q = find_quirk(text_known, PEMU_ARRAY_SIZE(text_known), l.text);
            /* 0F 18..1F hint NOPs: objdump's prefix handling there is its own */
            if (q || (insn.op == X86_OP_NOP && insn.map == X86_MAP_0F &&
                      !strncmp(skip_prefix_words(l.text), "nop", 3))) {
                text_q++;
                continue;
            }
            text_bad++;
            if (shown++ < 60 || getenv("DISAS_SHOW_ALL")) {
                hexbytes(hex, sizeof(hex), buf + l.addr, l.len);
                printf("TEXT mode %s: %-30s objdump \"%s\" pemu \"%s\"\n",
                       mname, hex, l.text, ours);
            }
        }
    }
    printf("mode %s: %u compared, %u length mismatches, %u text mismatches (%.2f%%) + %u documented; "
           "both invalid %u; objdump-only %u known + %u unexplained; "
           "pemu-only %u known + %u unexplained; FWAIT folded %u, LOCK rejected %u, "
           "F2/F3 rejected %u, 66 rejected %u, double REX %u, mid-prefix REX %u, VEX/EVEX/XOP %u\n",
           mname, compared, len_bad, text_bad, compared ? 100.0 * text_bad / compared : 0.0, text_q,
           both_bad, od_only_q, od_only_bad, pemu_only_q, pemu_only_bad, fwait_q, lock_q,
           rep_q, p66_q, rex2_q, midrex_q, vex_q);
    unsigned rows = 0;
    for (unsigned k = 0; k < x86_insn_nrows; k++)
        rows += row_seen[k];
    printf("mode %s: table rows compared against objdump: %u of %u\n", mname, rows, x86_insn_nrows);
    for (unsigned k = 0; k < x86_insn_nrows; k++)
        if (!row_seen[k] && getenv("DISAS_SHOW_ROWS"))
            printf("  row not covered: %02x %02x %s\n", x86_insn_rows[k].map,
                   x86_insn_rows[k].opcode, x86_insn_rows[k].mnem);
    for (unsigned k = 0; k < PEMU_ARRAY_SIZE(od_only); k++)
        if (qcount[k] && getenv("DISAS_SHOW_QUIRKS"))
            printf("  objdump-only %-10s %6u  %s\n", od_only[k].what, qcount[k], od_only[k].why);
    for (unsigned k = 0; k < PEMU_ARRAY_SIZE(pemu_only); k++)
        if (pqcount[k] && getenv("DISAS_SHOW_QUIRKS"))
            printf("  pemu-only %-10s %6u  %s\n", pemu_only[k].what, pqcount[k], pemu_only[k].why);
    return len_bad || od_only_bad || pemu_only_bad || compared < 10000;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "gen"))
        return cmd_gen(parse_mode(argv[2]));
    if (argc == 5 && !strcmp(argv[1], "cmp"))
        return cmd_cmp(parse_mode(argv[2]), argv[3], argv[4]);
    fprintf(stderr, "usage: disas_tool gen MODE > corpus | disas_tool cmp MODE corpus objdump.txt\n");
    return 2;
}
