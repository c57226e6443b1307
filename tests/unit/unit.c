/* The unit-test framework's runtime: registration, forking, reporting. */
#include "unit.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define UNIT_MAX 2048
#define UNIT_TIMEOUT 60 /* seconds per test */
#define UNIT_REPORTED 77 /* exit status of a child that printed its FAIL */

static struct { const char *name; UnitFn fn; } tests[UNIT_MAX];
static int ntests;
static const char *prog;
static const char *cur;
static int failed, skipped;
static char tmpdir[256];

void unit_register(const char *name, UnitFn fn)
{
    if (ntests == UNIT_MAX) {
        fprintf(stderr, "unit: more than %d tests in one program\n", UNIT_MAX);
        exit(2);
    }
    tests[ntests].name = name;
    tests[ntests].fn = fn;
    ntests++;
}

void unit_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    if (failed++)
        return; /* the first failure is the one reported */
    printf("FAIL %s/%s: %s:%d: ", prog, cur, file, line);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
}

void unit_skip(const char *fmt, ...)
{
    va_list ap;
    skipped = 1;
    printf("SKIP %s/%s: ", prog, cur);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
}

int unit_failed(void)
{
    return failed;
}

const char *unit_tmpdir(void)
{
    if (!tmpdir[0]) {
        const char *base = getenv("TMPDIR");
        snprintf(tmpdir, sizeof(tmpdir), "%s/pemu-unit-XXXXXX", base ? base : "/tmp");
        if (!mkdtemp(tmpdir)) {
            perror("mkdtemp");
            exit(2);
        }
    }
    return tmpdir;
}

/* A test child that leaves through exit() did not finish its test. */
static void exit_in_test(void)
{
    printf("FAIL %s/%s: the code under test called exit()\n", prog, cur);
    fflush(stdout);
    _exit(UNIT_REPORTED);
}

static void run_one(int i)
{
    cur = tests[i].name;
    failed = skipped = 0;
    tests[i].fn();
    if (!failed && !skipped)
        printf("PASS %s/%s\n", prog, cur);
    fflush(stdout);
    if (tmpdir[0]) {
        char cmd[300];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            fprintf(stderr, "unit: could not remove %s\n", tmpdir);
        tmpdir[0] = 0;
    }
}

int main(int argc, char **argv)
{
    const char *filter = NULL;
    int nofork = 0, any = 0, bad = 0;

    prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    for (int a = 1; a < argc; a++) {
        if (!strcmp(argv[a], "-n"))
            nofork = 1;
        else
            filter = argv[a];
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int i = 0; i < ntests; i++) {
        if (filter && !strstr(tests[i].name, filter))
            continue;
        any = 1;
        if (nofork) {
            run_one(i);
            bad |= failed;
            continue;
        }
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 2;
        }
        if (pid == 0) {
            alarm(UNIT_TIMEOUT);
            atexit(exit_in_test);
            run_one(i);
            _exit(failed ? UNIT_REPORTED : 0);
        }
        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
            ;
        if (WIFSIGNALED(st)) {
            int sig = WTERMSIG(st);
            printf("FAIL %s/%s: %s\n", prog, tests[i].name,
                   sig == SIGALRM ? "timeout after 60 s" : strsignal(sig));
            bad = 1;
        } else if (WEXITSTATUS(st) == UNIT_REPORTED) {
            bad = 1;
        } else if (WEXITSTATUS(st) != 0) {
            printf("FAIL %s/%s: exited with status %d (see its stderr)\n", prog,
                   tests[i].name, WEXITSTATUS(st));
            bad = 1;
        }
    }
    if (!any) {
        printf("FAIL %s: no test matches '%s'\n", prog, filter ? filter : "");
        return 1;
    }
    return bad;
}
