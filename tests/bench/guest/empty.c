/* The empty kernel: boot and report only, to measure each emulator's start-up. */
#include "bench.h"

const char bench_name[] = "empty";
const int bench_paging = 0;

uint32_t bench_run(BenchEnv *env)
{
    return bench_mix(0, env->mem_size);
}
