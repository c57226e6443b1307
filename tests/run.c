/*
 * The test runner behind `make check`.
 *
 *   run [-j N] [-k SUBSTR] [-v] SUITE:PROGRAM ...
 *
 * Each PROGRAM (a unit-test binary or a tests/<suite>/NAME.sh script) prints
 * result lines on stdout:
 *   PASS <name>
 *   FAIL <name>: <reason>
 *   SKIP <name>: <reason>
 * Anything else is kept in the program's log (build/.../tests/logs/) and
 * shown when the program fails. A program that exits non-zero without a FAIL
 * line, is killed by a signal, reports nothing at all, or runs past its
 * timeout counts as one failure. Scripts may set their timeout in seconds
 * with a "# timeout: N" line near the top (default 300; unit tests 600).
 *
 * PEMU_EXEC_WRAPPER, when set, names a program that runs the test binaries
 * (qemu-user under `make port-check`).
 *
 * The last line is "N passed, N failed, N skipped"; the exit status is 1
 * if anything failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_PROGS 1024
#define MAX_SUITES 32

typedef struct Prog {
    const char *suite;
    const char *path;
    const char *name; /* basename */
    int timeout;
    pid_t pid;
    int fd;           /* read end of stdout+stderr */
    char *out;        /* everything it printed */
    size_t len, cap;
    double start;
    int timed_out;
    int done;
} Prog;

typedef struct Suite {
    const char *name;
    int pass, fail, skip;
} Suite;

static Prog progs[MAX_PROGS];
static int nprogs;
static Suite suites[MAX_SUITES];
static int nsuites;
static int verbose;
static const char *logdir;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static Suite *suite_get(const char *name)
{
    for (int i = 0; i < nsuites; i++)
        if (!strcmp(suites[i].name, name))
            return &suites[i];
    if (nsuites == MAX_SUITES) {
        fprintf(stderr, "run: too many suites\n");
        exit(2);
    }
    suites[nsuites].name = name;
    return &suites[nsuites++];
}

static int script_timeout(const char *path, int dflt)
{
    FILE *f = fopen(path, "r");
    char line[256];
    int t = dflt;
    if (!f)
        return dflt;
    for (int i = 0; i < 15 && fgets(line, sizeof(line), f); i++) {
        char *p = strstr(line, "# timeout:");
        if (p) {
            t = atoi(p + 10);
            break;
        }
    }
    fclose(f);
    return t > 0 ? t : dflt;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

static void start(Prog *p)
{
    int fds[2];
    if (pipe(fds) < 0) {
        perror("run: pipe");
        exit(2);
    }
    p->start = now();
    p->pid = fork();
    if (p->pid < 0) {
        perror("run: fork");
        exit(2);
    }
    if (p->pid == 0) {
        setpgid(0, 0); /* so a timeout kills the whole tree */
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        close(fds[0]);
        close(fds[1]);
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0)
            dup2(devnull, 0);
        const char *wrap = getenv("PEMU_EXEC_WRAPPER"); /* qemu-user for port-check */
        if (ends_with(p->path, ".sh"))
            execl("/bin/sh", "sh", p->path, (char *)NULL);
        else if (wrap && *wrap)
            execlp(wrap, wrap, p->path, (char *)NULL);
        else
            execl(p->path, p->path, (char *)NULL);
        fprintf(stderr, "FAIL %s: cannot run %s: %s\n", p->name, p->path, strerror(errno));
        _exit(127);
    }
    setpgid(p->pid, p->pid);
    close(fds[1]);
    p->fd = fds[0];
    fcntl(p->fd, F_SETFL, O_NONBLOCK);
}

static void drain(Prog *p)
{
    for (;;) {
        if (p->cap - p->len < 4096) {
            p->cap = p->cap ? p->cap * 2 : 16384;
            p->out = realloc(p->out, p->cap + 1);
            if (!p->out) {
                perror("run: realloc");
                exit(2);
            }
        }
        ssize_t n = read(p->fd, p->out + p->len, p->cap - p->len);
        if (n > 0) {
            p->len += (size_t)n;
            continue;
        }
        if (n == 0) {
            close(p->fd);
            p->fd = -1;
        }
        break;
    }
    if (p->out)
        p->out[p->len] = 0;
}

static void write_log(Prog *p, char *path, size_t pathsz)
{
    snprintf(path, pathsz, "%s/%s-%s.log", logdir, p->suite, p->name);
    FILE *f = fopen(path, "w");
    if (f) {
        if (p->len)
            fwrite(p->out, 1, p->len, f);
        fclose(f);
    }
}

/* Print the last lines of a program's output, indented, to show why it failed. */
static void show_tail(Prog *p, int lines)
{
    if (!p->len)
        return;
    const char *s = p->out + p->len;
    int n = 0;
    while (s > p->out && n <= lines) {
        s--;
        if (*s == '\n')
            n++;
    }
    if (*s == '\n')
        s++;
    for (const char *l = s; *l;) {
        const char *e = strchr(l, '\n');
        int len = e ? (int)(e - l) : (int)strlen(l);
        printf("    | %.*s\n", len, l);
        l = e ? e + 1 : l + len;
    }
}

static void finish(Prog *p, int status)
{
    Suite *s = suite_get(p->suite);
    int pass = 0, fail = 0, skip = 0;
    char logpath[1024];

    write_log(p, logpath, sizeof(logpath));
    for (char *l = p->out; l && *l;) {
        char *e = strchr(l, '\n');
        if (e)
            *e = 0;
        if (!strncmp(l, "PASS ", 5)) {
            pass++;
            if (verbose)
                printf("%s: %s\n", p->suite, l);
        } else if (!strncmp(l, "FAIL ", 5)) {
            fail++;
            printf("%s: %s\n", p->suite, l);
        } else if (!strncmp(l, "SKIP ", 5)) {
            skip++;
            printf("%s: %s\n", p->suite, l);
        }
        if (!e)
            break;
        *e = '\n';
        l = e + 1;
    }

    const char *why = NULL;
    char buf[128];
    if (p->timed_out) {
        snprintf(buf, sizeof(buf), "timeout after %d s", p->timeout);
        why = buf;
    } else if (WIFSIGNALED(status)) {
        snprintf(buf, sizeof(buf), "killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
        why = buf;
    } else if (WEXITSTATUS(status) != 0 && fail == 0) {
        snprintf(buf, sizeof(buf), "exited with status %d and no FAIL line",
                 WEXITSTATUS(status));
        why = buf;
    } else if (pass + fail + skip == 0) {
        why = "reported no results";
    }
    if (why) {
        fail++;
        printf("%s: FAIL %s: %s\n", p->suite, p->name, why);
    }
    if (why)
        show_tail(p, 12); /* the program's own FAIL lines already say why */
    if (fail)
        printf("    log: %s\n", logpath);
    s->pass += pass;
    s->fail += fail;
    s->skip += skip;
    if (verbose)
        printf("%s: %s done in %.1f s\n", p->suite, p->name, now() - p->start);
    fflush(stdout);
    free(p->out);
    p->out = NULL;
    p->done = 1;
}

static void usage(void)
{
    fprintf(stderr, "usage: run [-j N] [-k SUBSTR] [-v] SUITE:PROGRAM ...\n");
    exit(2);
}

int main(int argc, char **argv)
{
    int jobs = 2;
    const char *filter = NULL;
    int a;

    for (a = 1; a < argc && argv[a][0] == '-'; a++) {
        if (!strcmp(argv[a], "-j") && a + 1 < argc)
            jobs = atoi(argv[++a]);
        else if (!strcmp(argv[a], "-k") && a + 1 < argc)
            filter = argv[++a];
        else if (!strcmp(argv[a], "-v"))
            verbose = 1;
        else
            usage();
    }
    if (jobs < 1)
        jobs = 1;
    for (; a < argc; a++) {
        char *arg = argv[a], *colon = strchr(arg, ':');
        if (!colon)
            usage();
        *colon = 0;
        if (filter && !strstr(colon + 1, filter))
            continue;
        if (nprogs == MAX_PROGS) {
            fprintf(stderr, "run: too many programs\n");
            return 2;
        }
        Prog *p = &progs[nprogs++];
        p->suite = arg;
        p->path = colon + 1;
        p->name = strrchr(p->path, '/') ? strrchr(p->path, '/') + 1 : p->path;
        p->timeout = ends_with(p->path, ".sh") ? script_timeout(p->path, 300) : 600;
        p->fd = -1;
        suite_get(p->suite);
    }

    /* Logs go beside the build's test programs. */
    const char *build = getenv("PEMU_BUILD");
    static char ld[1024];
    snprintf(ld, sizeof(ld), "%s/tests/logs", build ? build : ".");
    mkdir(ld, 0777);
    logdir = ld;

    signal(SIGPIPE, SIG_IGN);
    double t0 = now();
    int next = 0, running = 0, done = 0;
    while (done < nprogs) {
        while (running < jobs && next < nprogs) {
            start(&progs[next++]);
            running++;
        }
        struct pollfd pfd[MAX_PROGS];
        Prog *pp[MAX_PROGS];
        int n = 0;
        for (int i = 0; i < next; i++) {
            if (!progs[i].done && progs[i].fd >= 0) {
                pfd[n].fd = progs[i].fd;
                pfd[n].events = POLLIN;
                pp[n++] = &progs[i];
            }
        }
        poll(pfd, n, 200);
        for (int i = 0; i < n; i++)
            if (pfd[i].revents)
                drain(pp[i]);
        for (int i = 0; i < next; i++) {
            Prog *p = &progs[i];
            int st;
            if (p->done)
                continue;
            if (!p->timed_out && now() - p->start > p->timeout) {
                p->timed_out = 1;
                kill(-p->pid, SIGKILL);
            }
            /* Whatever it wrote before exiting is already in the pipe. */
            pid_t r = waitpid(p->pid, &st, p->timed_out ? 0 : WNOHANG);
            if (r == p->pid) {
                if (p->fd >= 0)
                    drain(p);
                if (p->fd >= 0) {
                    close(p->fd);
                    p->fd = -1;
                }
                kill(-p->pid, SIGKILL); /* stray children of a finished script */
                finish(p, st);
                running--;
                done++;
            }
        }
    }

    int tp = 0, tf = 0, ts = 0;
    printf("\n");
    for (int i = 0; i < nsuites; i++) {
        Suite *s = &suites[i];
        printf("  %-8s %4d passed, %d failed, %d skipped\n", s->name, s->pass, s->fail, s->skip);
        tp += s->pass;
        tf += s->fail;
        ts += s->skip;
    }
    printf("  (%.0f s, %d programs, logs in %s)\n", now() - t0, nprogs, logdir);
    printf("%d passed, %d failed, %d skipped\n", tp, tf, ts);
    return tf ? 1 : 0;
}
