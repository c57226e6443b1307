/*
 * The native check: the same body object as the guest kernel, run as a
 * static i686 Linux program, prints the checksum the guest must print.
 */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include "bench.h"

void bench_fail(const char *why)
{
    printf("bench %s FAIL: %s\n", bench_name, why);
    exit(1);
}

int main(void)
{
    BenchEnv env;
    void *mem = NULL, *code;

    if (posix_memalign(&mem, 4096, BENCH_MEM) != 0) {
        fprintf(stderr, "native: cannot allocate %u bytes\n", BENCH_MEM);
        return 2;
    }
    code = mmap(NULL, BENCH_CODE, PROT_READ | PROT_WRITE | PROT_EXEC,
                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (code == MAP_FAILED) {
        perror("native: mmap of a writable and executable page");
        return 2;
    }
    env.mem = mem;
    env.mem_size = BENCH_MEM;
    env.code = code;
    printf("bench %s checksum %08x\n", bench_name, (unsigned)bench_run(&env));
    return 0;
}
