/*
 * Error reporting. Messages go to stderr prefixed with the program name
 * ("pemu: " or "pemu-img: ") and should name the file, the option and the
 * remedy: "pemu: -m 12X: invalid size (use a number with an optional
 * K, M, G or T suffix)".
 */
#ifndef PEMU_ERROR_H
#define PEMU_ERROR_H

#include <stdarg.h>
#include "ports/host.h"

/* Set once by main(): "pemu", "pemu-img". Defaults to "pemu". */
void error_set_progname(const char *name);
const char *error_progname(void);

void error_report(const char *fmt, ...) PEMU_PRINTF(1, 2);
void error_vreport(const char *fmt, va_list ap);
void warn_report(const char *fmt, ...) PEMU_PRINTF(1, 2);
/* Report and exit(1). */
PEMU_NORETURN void fatal(const char *fmt, ...) PEMU_PRINTF(1, 2);
/* An internal invariant broke: report with file/line and abort(). */
PEMU_NORETURN void pemu_abort_at(const char *file, int line, const char *fmt, ...) PEMU_PRINTF(3, 4);
#define pemu_abort(...) pemu_abort_at(__FILE__, __LINE__, __VA_ARGS__)

/*
 * A captured error for code that must not print (parsers used by tests,
 * the monitor, QMP): functions take `Error **errp` and fill it with
 * error_setg(); callers print with error_report_err() or inspect ->msg.
 */
typedef struct Error {
    char *msg;
} Error;

void error_setg(Error **errp, const char *fmt, ...) PEMU_PRINTF(2, 3);
void error_free(Error *err);
/* Print "progname: msg" and free. */
void error_report_err(Error *err);

#endif
