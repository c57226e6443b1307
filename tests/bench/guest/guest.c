/*
 * The bare-metal side of a benchmark kernel: checks the Multiboot handoff,
 * optionally turns on paging, runs the body and reports
 *     bench <name> checksum <8 hex digits>
 * on the debugcon port (0xe9, QEMU and Bochs's port_e9_hack) and on COM1,
 * then stops the machine: isa-debug-exit (QEMU: exit status 2*code+1), then
 * the "Shutdown" string on port 0x8900 (Bochs), then hlt.
 */
#include "bench.h"

#define DEBUGCON   0xe9
#define DEBUG_EXIT 0xf4
#define BOCHS_SHUTDOWN 0x8900
#define COM1       0x3f8
#define SCRATCH    (16u << 20)          /* scratch RAM starts at 16 MiB */
#define MAPPED_MB  256u                 /* identity-mapped with paging on */

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
    __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

/* 16550 UART: 115200 baud (divisor 1), 8N1, FIFOs on. */
static void serial_init(void)
{
    outb(COM1 + 1, 0x00);               /* IER: no interrupts */
    outb(COM1 + 3, 0x80);               /* LCR: DLAB */
    outb(COM1 + 0, 0x01);               /* DLL */
    outb(COM1 + 1, 0x00);               /* DLM */
    outb(COM1 + 3, 0x03);               /* LCR: 8N1 */
    outb(COM1 + 2, 0x07);               /* FCR: enable and clear FIFOs */
    outb(COM1 + 4, 0x03);               /* MCR: DTR, RTS */
}

static void putch(char c)
{
    int spin;
    outb(DEBUGCON, (uint8_t)c);
    /* LSR bit 5: transmit holding register empty. Bounded: a machine
       without a UART reads 0xff here. */
    for (spin = 0; spin < 100000 && !(inb(COM1 + 5) & 0x20); spin++)
        ;
    outb(COM1, (uint8_t)c);
}

static void puts_(const char *s)
{
    while (*s)
        putch(*s++);
}

static void puthex(uint32_t v)
{
    int i;
    for (i = 28; i >= 0; i -= 4)
        putch("0123456789abcdef"[(v >> i) & 15]);
}

static void stop(uint32_t code) __attribute__((noreturn));
static void stop(uint32_t code)
{
    const char *s = "Shutdown";
    int spin;
    /* LSR bit 6: transmitter empty, so the last character has left the
       UART before the emulator goes away. */
    for (spin = 0; spin < 1000000 && !(inb(COM1 + 5) & 0x40); spin++)
        ;
    outl(DEBUG_EXIT, code);
    while (*s)
        outb(BOCHS_SHUTDOWN, (uint8_t)*s++);
    for (;;)
        __asm__ volatile("cli; hlt");
}

void bench_fail(const char *why)
{
    puts_("\nbench ");
    puts_(bench_name);
    puts_(" FAIL: ");
    puts_(why);
    putch('\n');
    stop(1);
}

/* Identity map of the low MAPPED_MB MiB with 4 KiB pages (PDE/PTE bits:
   present | writable = 0x3), so every access goes through the TLB. */
static uint32_t page_dir[1024] __attribute__((aligned(4096)));
static uint32_t page_tables[MAPPED_MB / 4][1024] __attribute__((aligned(4096)));

static void paging_on(void)
{
    uint32_t t, i;
    for (t = 0; t < MAPPED_MB / 4; t++) {
        for (i = 0; i < 1024; i++)
            page_tables[t][i] = ((t * 1024 + i) << 12) | 3;
        page_dir[t] = (uint32_t)(uintptr_t)page_tables[t] | 3;
    }
    __asm__ volatile("mov %0, %%cr3\n\t"
                     "mov %%cr0, %%eax\n\t"
                     "or $0x80000000, %%eax\n\t"    /* CR0.PG */
                     "mov %%eax, %%cr0\n\t"
                     "jmp 1f\n1:"
                     : : "r"(page_dir) : "eax", "memory");
}

static uint8_t code_buf[BENCH_CODE] __attribute__((aligned(4096)));

/* The compiler may emit calls to these for struct copies and zeroing. */
void *memcpy(void *d, const void *s, size_t n)
{
    uint8_t *dp = d;
    const uint8_t *sp = s;
    while (n--)
        *dp++ = *sp++;
    return d;
}

void *memset(void *d, int c, size_t n)
{
    uint8_t *dp = d;
    while (n--)
        *dp++ = (uint8_t)c;
    return d;
}

void guest_main(uint32_t magic, const uint32_t *info);
void guest_main(uint32_t magic, const uint32_t *info)
{
    BenchEnv env;
    uint32_t sum;

    serial_init();
    if (magic != 0x2BADB002u)
        bench_fail("not started by a Multiboot loader (EAX != 0x2BADB002)");
    /* info[0] = flags; bit 0: info[2] = mem_upper in KiB above 1 MiB. */
    if (!(info[0] & 1) || info[2] < (SCRATCH + BENCH_MEM) / 1024 - 1024)
        bench_fail("needs at least 160 MiB of RAM (-m 256)");
    if (bench_paging)
        paging_on();
    env.mem = (uint8_t *)(uintptr_t)SCRATCH;
    env.mem_size = BENCH_MEM;
    env.code = code_buf;
    sum = bench_run(&env);
    puts_("bench ");
    puts_(bench_name);
    puts_(" checksum ");
    puthex(sum);
    putch('\n');
    stop(0);
}
