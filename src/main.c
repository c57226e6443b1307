/*
 * pemu: program entry. Parse the command line, answer the help requests,
 * set up logging, then build the machine and run it. Exit status: 0 after
 * a help answer or a guest that powered off, 1 on any error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "src/device.h"
#include "src/error.h"
#include "src/log.h"
#include "src/options.h"

/* "-device NAME,help": 0 when answered. */
static int print_device_props(const char *name)
{
    const DeviceClass *cls = device_class_find(name);
    if (!cls || !cls->user_creatable) {
        error_report("-device %s,help: no device named '%s' (-device help lists them)", name, name);
        return -1;
    }
    device_print_props(stdout, cls);
    return 0;
}

/* The requests that are answered instead of running a guest: -1 if there
 * were none, else the exit status. */
static int answer_requests(const PemuConfig *cfg)
{
    int answered = 0, status = 0;

    if (cfg->show_help) {
        options_print_help(stdout);
        return 0;
    }
    if (cfg->show_version) {
        options_print_version(stdout);
        return 0;
    }
    if (cfg->log_help) {
        log_print_help(stdout);
        answered = 1;
    }
    if (cfg->machine_help) {
        printf("Supported machines are:\n"
               "pc                   Standard PC (i440FX + PIIX3) (not built yet)\n");
        answered = 1;
    }
    if (cfg->cpu_help) {
        printf("Available CPUs:\n(no CPU models are built yet)\n");
        answered = 1;
    }
    if (cfg->device_help) {
        if (cfg->device_help_driver) {
            if (print_device_props(cfg->device_help_driver) < 0)
                status = 1;
        } else {
            device_print_help(stdout);
        }
        answered = 1;
    }
    return answered ? status : -1;
}

static int setup_logging(const PemuConfig *cfg)
{
    Error *err = NULL;
    log_set_mask(cfg->log_mask);
    if (cfg->log_file && log_set_file(cfg->log_file, &err) < 0) {
        error_report_err(err);
        return -1;
    }
    if (cfg->log_filter && log_set_filter(cfg->log_filter, &err) < 0) {
        error_report_err(err);
        return -1;
    }
    return 0;
}

static DisplayKind choose_display(const PemuConfig *cfg)
{
    const char *x = getenv("DISPLAY"), *w = getenv("WAYLAND_DISPLAY");
    bool have_sdl = false, have_curses = false;
    if (cfg->display != DISPLAY_DEFAULT)
        return cfg->display;
#ifdef CONFIG_SDL
    have_sdl = true;
#endif
#ifdef CONFIG_CURSES
    have_curses = true;
#endif
    return options_default_display(have_sdl, have_curses, (x && *x) || (w && *w),
                                   isatty(STDOUT_FILENO));
}

/* Build the machine from cfg and run it until it exits. */
static int run_guest(const PemuConfig *cfg)
{
    DisplayKind display = choose_display(cfg);
    (void)display; /* handed to the UI once there is one */
    error_report("cannot run a guest yet: the CPU engine is not built (see README.md)");
    return 1;
}

int main(int argc, char **argv)
{
    PemuConfig cfg;
    Error *err = NULL;
    int status;

    error_set_progname("pemu");
    if (options_parse(argc, argv, &cfg, &err) < 0) {
        error_report_err(err);
        return 1;
    }
    status = answer_requests(&cfg);
    if (status < 0)
        status = setup_logging(&cfg) < 0 ? 1 : run_guest(&cfg);
    options_config_free(&cfg);
    fflush(stdout);
    log_flush();
    return status;
}
