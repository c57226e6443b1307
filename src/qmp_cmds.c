/*
 * pemu's QMP commands (the protocol is src/qmp.c). Replies use QEMU's
 * member names (QEMU 7.2's QAPI schema) so that management tools read
 * them unchanged; what pemu has no notion of is given QEMU's neutral
 * value (throttling 0, "type": "unknown").
 */
#include "src/qmp.h"

#ifndef CONFIG_JANSSON

void qmp_cmds_register(const QmpMachine *qm) { (void)qm; }

#else

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hw/fdc.h"
#include "hw/ide.h"
#include "hw/piix_ide.h"
#include "src/accel/accel.h"
#include "src/block/block.h"
#include "src/blockdev.h"
#include "src/mainloop.h"
#include "src/monitor.h"
#include "src/options.h"
#include "src/timer.h"
#include "ui/display.h"

static QmpMachine qm;

static PemuConfig *config(void)
{
    return qm.m ? qm.m->config : NULL;
}

/* ---- run state -------------------------------------------------------------------- */

static json_t *cmd_query_status(json_t *args, QmpErrorClass *cls, Error **errp)
{
    bool run = accel_vm_running();
    if (run)
        qm.prelaunch = false;
    const char *st = run ? "running" : qm.prelaunch ? "prelaunch" : "paused";
    PemuConfig *cfg = config();
    return json_pack("{s:s,s:b,s:b}", "status", st, "singlestep", cfg && cfg->singlestep,
                     "running", run);
}

static json_t *cmd_stop(json_t *args, QmpErrorClass *cls, Error **errp)
{
    accel_vm_stop(); /* raises STOP if it was running */
    return json_object();
}

static json_t *cmd_cont(json_t *args, QmpErrorClass *cls, Error **errp)
{
    qm.prelaunch = false;
    accel_vm_cont(); /* raises RESUME if it was stopped */
    return json_object();
}

static json_t *cmd_system_reset(json_t *args, QmpErrorClass *cls, Error **errp)
{
    if (!qm.system_reset) {
        error_setg(errp, "system_reset: this machine cannot be reset");
        return NULL;
    }
    qm.system_reset(qm.opaque);
    return json_object();
}

static json_t *cmd_system_powerdown(json_t *args, QmpErrorClass *cls, Error **errp)
{
    if (!qm.system_powerdown) {
        error_setg(errp, "system_powerdown: this machine has no ACPI power button yet "
                         "(use system_reset or quit)");
        return NULL;
    }
    if (qm.system_powerdown(qm.opaque, errp) < 0)
        return NULL;
    qmp_event_emit("POWERDOWN", NULL);
    return json_object();
}

static json_t *cmd_quit(json_t *args, QmpErrorClass *cls, Error **errp)
{
    /* QEMU sends the event before the reply. */
    qmp_event_shutdown(false, "host-qmp-quit");
    mainloop_request_exit(MAINLOOP_EXIT_QUIT);
    return json_object();
}

/* ---- identity ------------------------------------------------------------------- */

static json_t *cmd_query_version(json_t *args, QmpErrorClass *cls, Error **errp)
{
    json_t *g = qmp_greeting();
    json_t *v = json_object_get(json_object_get(g, "QMP"), "version");
    json_incref(v);
    json_decref(g);
    return v;
}

static json_t *cmd_query_name(json_t *args, QmpErrorClass *cls, Error **errp)
{
    PemuConfig *cfg = config();
    if (cfg && cfg->name)
        return json_pack("{s:s}", "name", cfg->name);
    return json_object();
}

static json_t *cmd_query_kvm(json_t *args, QmpErrorClass *cls, Error **errp)
{
    /* No KVM accelerator is built yet. */
    return json_pack("{s:b,s:b}", "enabled", 0, "present", 0);
}

static json_t *cmd_query_commands(json_t *args, QmpErrorClass *cls, Error **errp)
{
    json_t *list = json_array();
    const QmpCommand *c;
    for (int i = 0; (c = qmp_command_at(i)); i++)
        json_array_append_new(list, json_pack("{s:s}", "name", c->name));
    return list;
}

static json_t *cmd_query_chardev(json_t *args, QmpErrorClass *cls, Error **errp)
{
    json_t *list = json_array();
    for (Chardev *c = chardev_next(NULL); c; c = chardev_next(c))
        json_array_append_new(list, json_pack("{s:b,s:s,s:s}", "frontend-open",
                                              chardev_is_connected(c), "filename",
                                              chardev_filename(c), "label", chardev_id(c)));
    return list;
}

static json_t *cmd_query_cpus_fast(json_t *args, QmpErrorClass *cls, Error **errp)
{
    json_t *list = json_array();
    if (!qm.cpu)
        return list;
    /* The interpreter runs every vCPU in the main thread, round-robin;
     * each CPU is its own socket (-smp N as sockets=N). */
    for (CPUState *c = qm.cpu; c; c = c->next_cpu) {
        char path[64];
        snprintf(path, sizeof(path), "/machine/unattached/device[%d]", c->cpu_index);
        json_array_append_new(
            list, json_pack("{s:i,s:s,s:I,s:{s:i,s:i,s:i},s:s}", "cpu-index", c->cpu_index,
                            "qom-path", path, "thread-id", (json_int_t)getpid(), "props",
                            "core-id", 0, "thread-id", 0, "socket-id", c->cpu_index,
                            "target", "x86_64"));
    }
    return list;
}

static json_t *json_string_lossy(const char *s)
{
    json_t *j = json_string(s);
    if (j)
        return j;
    /* Not UTF-8 (guest bytes in an HMP dump): replace the high bytes. */
    char *c = strdup(s);
    if (!c)
        fatal("out of memory");
    for (char *p = c; *p; p++)
        if ((unsigned char)*p >= 0x80)
            *p = '?';
    j = json_string(c);
    free(c);
    return j;
}

static json_t *cmd_human_monitor_command(json_t *args, QmpErrorClass *cls, Error **errp)
{
    char *out = monitor_execute_to_string(json_string_value(json_object_get(args, "command-line")));
    json_t *r = json_string_lossy(out);
    free(out);
    return r;
}

static json_t *cmd_screendump(json_t *args, QmpErrorClass *cls, Error **errp)
{
    const char *file = json_string_value(json_object_get(args, "filename"));
    const char *fmt = json_string_value(json_object_get(args, "format"));
    if (fmt && strcmp(fmt, "ppm") && strcmp(fmt, "png")) {
        error_setg(errp, "Parameter 'format' does not accept value '%s'", fmt);
        return NULL;
    }
    const char *dev = json_string_value(json_object_get(args, "device"));
    Console *con = NULL;
    if (dev) {
        for (int i = 0; !con && console_get(i); i++)
            if (!strcmp(console_name(console_get(i)), dev))
                con = console_get(i);
        if (!con) {
            *cls = QMP_ERROR_DEVICE_NOT_FOUND;
            error_setg(errp, "Device '%s' not found", dev);
            return NULL;
        }
    } else {
        con = console_get(0);
    }
    if (!con) {
        error_setg(errp, "There is no console to take a screendump from");
        return NULL;
    }
    /* QMP's default is ppm whatever the name says. */
    if (screendump_console(con, file, fmt ? fmt : "ppm", errp) < 0)
        return NULL;
    return json_object();
}

/* ---- block devices ------------------------------------------------------------------ */

static char *qdev_path(const BlockDevInfo *d, char *buf, size_t n)
{
    snprintf(buf, n, "/machine/unattached/device[%d]", 20 + d->index);
    return buf;
}

static json_t *inserted_info(const BlockDevInfo *d)
{
    BlockDriverState *bs = blk_bs(d->blk);
    int depth = 0;
    for (BlockDriverState *b = bs->backing; b; b = b->backing)
        depth++;
    char nn[32];
    int64_t size = blk_getlength(d->blk);
    json_t *image = json_pack("{s:s,s:s,s:I,s:b}", "filename", bs->filename, "format",
                              bs->drv->format_name, "virtual-size", (json_int_t)(size < 0 ? 0 : size),
                              "dirty-flag", 0);
    int64_t actual = bdrv_allocated_file_size(bs);
    if (actual >= 0)
        json_object_set_new(image, "actual-size", json_integer(actual));
    if (bs->backing_file[0])
        json_object_set_new(image, "backing-filename", json_string(bs->backing_file));
    json_t *ins = json_pack(
        "{s:s,s:s,s:b,s:s,s:i,s:b,s:s,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:{s:b,s:b,s:b},s:o}",
        "file", bs->filename, "node-name", blockdev_node_name(d->blk, nn, sizeof(nn)), "ro",
        bs->read_only, "drv", bs->drv->format_name, "backing_file_depth", depth, "encrypted", 0,
        "detect_zeroes", "off", "bps", 0, "bps_rd", 0, "bps_wr", 0, "iops", 0, "iops_rd", 0,
        "iops_wr", 0, "write_threshold", 0, "cache", "writeback",
        d->dc->cache != DRIVE_CACHE_WRITETHROUGH && d->dc->cache != DRIVE_CACHE_DIRECTSYNC,
        "direct", d->dc->cache == DRIVE_CACHE_NONE || d->dc->cache == DRIVE_CACHE_DIRECTSYNC,
        "no-flush", d->dc->cache == DRIVE_CACHE_UNSAFE, "image", image);
    if (bs->backing_file[0])
        json_object_set_new(ins, "backing_file", json_string(bs->backing_file));
    return ins;
}

static json_t *cmd_query_block(json_t *args, QmpErrorClass *cls, Error **errp)
{
    json_t *list = json_array();
    BlockDevInfo d;
    char qp[64];
    for (int i = 0; blockdev_get(qm.m, i, &d); i++) {
        if (d.dc->iface != DRIVE_IF_IDE && d.dc->iface != DRIVE_IF_FLOPPY)
            continue;
        bool locked = d.ide && d.removable && ide_cd_locked(d.ide);
        json_t *e = json_pack("{s:s,s:b,s:b,s:s,s:s}", "device", d.dc->id, "locked", locked,
                              "removable", d.removable, "qdev", qdev_path(&d, qp, sizeof(qp)),
                              "type", "unknown");
        if (d.ide) {
            json_object_set_new(e, "io-status", json_string("ok"));
            if (d.removable)
                json_object_set_new(e, "tray_open", json_boolean(d.ide->tray_open));
        }
        if (d.blk)
            json_object_set_new(e, "inserted", inserted_info(&d));
        json_array_append_new(list, e);
    }
    return list;
}

static json_t *stats_json(BlockBackend *blk)
{
    BlockAcctStats st = { 0 };
    if (blk)
        blk_get_stats(blk, &st);
    json_t *s = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "rd_bytes",
                          (json_int_t)st.rd_bytes, "wr_bytes", (json_int_t)st.wr_bytes,
                          "rd_operations", (json_int_t)st.rd_operations, "wr_operations",
                          (json_int_t)st.wr_operations, "flush_operations",
                          (json_int_t)st.flush_operations, "failed_rd_operations",
                          (json_int_t)st.failed_rd_operations, "failed_wr_operations",
                          (json_int_t)st.failed_wr_operations, "failed_flush_operations",
                          (json_int_t)st.failed_flush_operations, "wr_highest_offset",
                          (json_int_t)st.wr_highest_offset);
    /* What pemu does not measure, as QEMU reports it when unused. */
    static const char *const zero[] = {
        "rd_total_time_ns", "wr_total_time_ns", "flush_total_time_ns", "rd_merged", "wr_merged",
        "unmap_operations", "unmap_merged", "unmap_bytes", "unmap_total_time_ns",
        "failed_unmap_operations", "invalid_rd_operations", "invalid_wr_operations",
        "invalid_flush_operations", "invalid_unmap_operations",
    };
    for (size_t i = 0; i < PEMU_ARRAY_SIZE(zero); i++)
        json_object_set_new(s, zero[i], json_integer(0));
    json_object_set_new(s, "account_invalid", json_true());
    json_object_set_new(s, "account_failed", json_true());
    json_object_set_new(s, "timed_stats", json_array());
    return s;
}

static json_t *cmd_query_blockstats(json_t *args, QmpErrorClass *cls, Error **errp)
{
    json_t *list = json_array();
    BlockDevInfo d;
    char qp[64], nn[32];
    for (int i = 0; blockdev_get(qm.m, i, &d); i++) {
        if (d.dc->iface != DRIVE_IF_IDE && d.dc->iface != DRIVE_IF_FLOPPY)
            continue;
        json_t *e = json_pack("{s:s,s:s,s:o}", "device", d.dc->id, "qdev",
                              qdev_path(&d, qp, sizeof(qp)), "stats", stats_json(d.blk));
        if (d.blk)
            json_object_set_new(e, "node-name", json_string(blockdev_node_name(d.blk, nn, sizeof(nn))));
        json_array_append_new(list, e);
    }
    return list;
}

/* The drive named by "device" or "id" (both are the drive id here). */
static bool removable_drive(json_t *args, BlockDevInfo *d, QmpErrorClass *cls, Error **errp)
{
    const char *id = json_string_value(json_object_get(args, "device"));
    if (!id)
        id = json_string_value(json_object_get(args, "id"));
    if (!id) {
        error_setg(errp, "Need exactly one of 'device' and 'id'");
        return false;
    }
    if (!blockdev_find(qm.m, id, d)) {
        *cls = QMP_ERROR_DEVICE_NOT_FOUND;
        error_setg(errp, "Device '%s' not found", id);
        return false;
    }
    if (!d->removable) {
        error_setg(errp, "Device '%s' is not removable", id);
        return false;
    }
    if (!d->ide) {
        error_setg(errp, "Device '%s': pemu cannot change floppy media from the monitor yet", id);
        return false;
    }
    return true;
}

static json_t *cmd_eject(json_t *args, QmpErrorClass *cls, Error **errp)
{
    BlockDevInfo d;
    if (!removable_drive(args, &d, cls, errp))
        return NULL;
    bool force = json_is_true(json_object_get(args, "force"));
    if (ide_cd_eject(d.ide, force, errp) < 0)
        return NULL;
    return json_object();
}

static json_t *cmd_blockdev_change_medium(json_t *args, QmpErrorClass *cls, Error **errp)
{
    BlockDevInfo d;
    if (!removable_drive(args, &d, cls, errp))
        return NULL;
    const char *mode = json_string_value(json_object_get(args, "read-only-mode"));
    if (mode && strcmp(mode, "retain") && strcmp(mode, "read-only")) {
        error_setg(errp, "blockdev-change-medium: a CD-ROM is read-only (read-only-mode "
                         "'%s' is not possible)", mode);
        return NULL;
    }
    if (ide_cd_change(d.ide, json_string_value(json_object_get(args, "filename")),
                      json_string_value(json_object_get(args, "format")), errp) < 0)
        return NULL;
    return json_object();
}

/* The drive of "device" for the internal-snapshot commands: with a medium
 * that takes snapshots. */
static BlockBackend *snapshot_drive(json_t *args, QmpErrorClass *cls, Error **errp)
{
    const char *id = json_string_value(json_object_get(args, "device"));
    BlockDevInfo d;
    if (!id || !blockdev_find(qm.m, id, &d)) {
        *cls = QMP_ERROR_DEVICE_NOT_FOUND;
        error_setg(errp, "Device '%s' not found", id ? id : "");
        return NULL;
    }
    if (!d.blk) {
        error_setg(errp, "Device '%s' has no medium", id);
        return NULL;
    }
    if (d.dc->readonly) {
        error_setg(errp, "Device '%s' is read only", id);
        return NULL;
    }
    if (!blk_can_snapshot(d.blk)) {
        error_setg(errp, "Block format '%s' used by device '%s' does not support internal "
                   "snapshots", blk_bs(d.blk)->drv->format_name, id);
        return NULL;
    }
    return d.blk;
}

/* A disk-only internal snapshot of one drive, as QEMU's command takes it. */
static json_t *cmd_snapshot_internal(json_t *args, QmpErrorClass *cls, Error **errp)
{
    BlockBackend *blk = snapshot_drive(args, cls, errp);
    const char *name = json_string_value(json_object_get(args, "name"));
    if (!blk)
        return NULL;
    if (!name || !*name) {
        error_setg(errp, "Name is empty");
        return NULL;
    }
    BlockSnapshotInfo sn;
    if (blk_snapshot_find(blk, name, &sn)) {
        error_setg(errp, "Snapshot with name '%s' already exists on device '%s'", name,
                   json_string_value(json_object_get(args, "device")));
        return NULL;
    }
    memset(&sn, 0, sizeof(sn));
    snprintf(sn.name, sizeof(sn.name), "%s", name);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    sn.date_sec = (uint32_t)now.tv_sec;
    sn.date_nsec = (uint32_t)now.tv_nsec;
    sn.vm_clock_nsec = (uint64_t)clock_get_ns(PEMU_CLOCK_VIRTUAL);
    sn.icount = UINT64_MAX;
    if (blk_flush(blk, errp) < 0 || blk_snapshot_create(blk, &sn, errp) < 0)
        return NULL;
    return json_object();
}

static json_t *cmd_snapshot_delete_internal(json_t *args, QmpErrorClass *cls, Error **errp)
{
    BlockBackend *blk = snapshot_drive(args, cls, errp);
    const char *id = json_string_value(json_object_get(args, "id"));
    const char *name = json_string_value(json_object_get(args, "name"));
    if (!blk)
        return NULL;
    if (!id && !name) {
        error_setg(errp, "Name or id must be provided");
        return NULL;
    }
    BlockSnapshotInfo sn;
    BlockSnapshotInfo *l;
    int n = blk_snapshot_list(blk, &l), k = -1;
    for (int i = 0; i < n && k < 0; i++)
        if ((!id || !strcmp(l[i].id, id)) && (!name || !strcmp(l[i].name, name)))
            k = i;
    if (k >= 0)
        sn = l[k];
    free(l);
    if (k < 0) {
        error_setg(errp, "Snapshot with id '%s' and name '%s' does not exist on device '%s'",
                   id ? id : "(null)", name ? name : "(null)",
                   json_string_value(json_object_get(args, "device")));
        return NULL;
    }
    if (blk_snapshot_delete(blk, sn.id, errp) < 0)
        return NULL;
    return json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I}", "id", sn.id, "name", sn.name,
                     "vm-state-size", (json_int_t)sn.vm_state_size, "date-sec",
                     (json_int_t)sn.date_sec, "date-nsec", (json_int_t)sn.date_nsec,
                     "vm-clock-sec", (json_int_t)(sn.vm_clock_nsec / 1000000000u),
                     "vm-clock-nsec", (json_int_t)(sn.vm_clock_nsec % 1000000000u));
}

static const QmpCommand pemu_cmds[] = {
    { "qmp_capabilities", "enable:a?", NULL }, /* handled by the session */
    { "query-version", "", cmd_query_version },
    { "query-status", "", cmd_query_status },
    { "query-commands", "", cmd_query_commands },
    { "query-name", "", cmd_query_name },
    { "query-kvm", "", cmd_query_kvm },
    { "query-chardev", "", cmd_query_chardev },
    { "query-cpus-fast", "", cmd_query_cpus_fast },
    { "query-block", "", cmd_query_block },
    { "query-blockstats", "query-nodes:b?", cmd_query_blockstats },
    { "stop", "", cmd_stop },
    { "cont", "", cmd_cont },
    { "system_reset", "", cmd_system_reset },
    { "system_powerdown", "", cmd_system_powerdown },
    { "quit", "", cmd_quit },
    { "screendump", "filename:s,device:s?,head:i?,format:s?", cmd_screendump },
    { "human-monitor-command", "command-line:s,cpu-index:i?", cmd_human_monitor_command },
    { "eject", "device:s?,id:s?,force:b?", cmd_eject },
    { "blockdev-snapshot-internal-sync", "device:s,name:s", cmd_snapshot_internal },
    { "blockdev-snapshot-delete-internal-sync", "device:s,id:s?,name:s?",
      cmd_snapshot_delete_internal },
    { "blockdev-change-medium",
      "device:s?,id:s?,filename:s,format:s?,force:b?,read-only-mode:s?",
      cmd_blockdev_change_medium },
};

void qmp_cmds_register(const QmpMachine *m)
{
    static bool done;
    qm = *m;
    if (done)
        return;
    done = true;
    for (size_t i = 0; i < PEMU_ARRAY_SIZE(pemu_cmds); i++)
        qmp_register_command(&pemu_cmds[i]);
}

#endif /* CONFIG_JANSSON */
