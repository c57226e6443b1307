/* Error reporting: one place that formats what the user reads. */
#include "src/error.h"

#include <stdio.h>
#include <stdlib.h>

static const char *progname = "pemu";

void error_set_progname(const char *name)
{
    progname = name;
}

const char *error_progname(void)
{
    return progname;
}

void error_vreport(const char *fmt, va_list ap)
{
    fprintf(stderr, "%s: ", progname);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void error_report(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_vreport(fmt, ap);
    va_end(ap);
}

void warn_report(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: warning: ", progname);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void fatal(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_vreport(fmt, ap);
    va_end(ap);
    exit(1);
}

void pemu_abort_at(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: internal error at %s:%d: ", progname, file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

void error_setg(Error **errp, const char *fmt, ...)
{
    va_list ap;
    if (!errp || *errp)
        return; /* keep the first error */
    Error *e = malloc(sizeof(*e));
    if (!e)
        pemu_abort("out of memory");
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    e->msg = malloc((size_t)n + 1);
    if (!e->msg)
        pemu_abort("out of memory");
    va_start(ap, fmt);
    vsnprintf(e->msg, (size_t)n + 1, fmt, ap);
    va_end(ap);
    *errp = e;
}

void error_free(Error *err)
{
    if (err) {
        free(err->msg);
        free(err);
    }
}

void error_report_err(Error *err)
{
    if (err) {
        error_report("%s", err->msg);
        error_free(err);
    }
}
