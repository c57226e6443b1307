/*
 * fw_cfg, the QEMU firmware configuration device (I/O port flavour). See
 * hw/fw_cfg.h.
 */
#include "hw/fw_cfg.h"

#include <stdlib.h>
#include <string.h>
#include "src/ioport.h"
#include "src/log.h"
#include "src/machine.h"
#include "src/vmstate.h"

typedef struct FWCfgEntry {
    uint8_t *data;
    uint32_t len;
    bool present;
} FWCfgEntry;

typedef struct FWCfgFile {
    char name[FW_CFG_MAX_FILE_PATH];
    FWCfgEntry e;
} FWCfgFile;

struct FWCfgState {
    Device dev;
    uint16_t iobase;
    bool dma_enabled;
    Machine *m;
    MemoryRegion *ctl_mr, *dma_mr;
    FWCfgEntry fixed[2][FW_CFG_FILE_FIRST]; /* [arch-local][key] */
    FWCfgFile *files;                       /* sorted by name; key FILE_FIRST + index */
    uint32_t nfiles, files_cap;
    /* guest-visible state */
    uint16_t cur_key;
    uint32_t cur_offset;
    uint64_t dma_addr;
};

#define FW_CFG_MAX_FILES (FW_CFG_ENTRY_MASK + 1 - FW_CFG_FILE_FIRST)

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        fatal("out of memory (fw_cfg, %zu bytes)", n);
    return p;
}

static void entry_set(FWCfgEntry *e, const void *data, uint32_t len)
{
    uint8_t *copy = xmalloc(len);
    if (len)
        memcpy(copy, data, len);
    free(e->data);
    e->data = copy;
    e->len = len;
    e->present = true;
}

/* The item a key selects (the write-channel bit ignored), or NULL. */
static FWCfgEntry *lookup(FWCfgState *s, uint16_t key)
{
    int arch = (key & FW_CFG_ARCH_LOCAL) != 0;
    uint16_t idx = key & FW_CFG_ENTRY_MASK;
    if (idx < FW_CFG_FILE_FIRST)
        return s->fixed[arch][idx].present ? &s->fixed[arch][idx] : NULL;
    if (!arch && idx - FW_CFG_FILE_FIRST < (int)s->nfiles)
        return &s->files[idx - FW_CFG_FILE_FIRST].e;
    return NULL;
}

/* ---- items --------------------------------------------------------------- */

void fw_cfg_add_bytes(FWCfgState *s, uint16_t key, const void *data, uint32_t len)
{
    if ((key & FW_CFG_ENTRY_MASK) >= FW_CFG_FILE_FIRST || (key & FW_CFG_WRITE_CHANNEL))
        pemu_abort("fw_cfg: key %#x is not a fixed item key", key);
    entry_set(&s->fixed[(key & FW_CFG_ARCH_LOCAL) != 0][key & FW_CFG_ENTRY_MASK], data, len);
}

void fw_cfg_add_string(FWCfgState *s, uint16_t key, const char *str)
{
    fw_cfg_add_bytes(s, key, str, (uint32_t)strlen(str) + 1);
}

void fw_cfg_add_i16(FWCfgState *s, uint16_t key, uint16_t v)
{
    uint8_t b[2];
    st16_le(b, v);
    fw_cfg_add_bytes(s, key, b, sizeof(b));
}

void fw_cfg_add_i32(FWCfgState *s, uint16_t key, uint32_t v)
{
    uint8_t b[4];
    st32_le(b, v);
    fw_cfg_add_bytes(s, key, b, sizeof(b));
}

void fw_cfg_add_i64(FWCfgState *s, uint16_t key, uint64_t v)
{
    uint8_t b[8];
    st64_le(b, v);
    fw_cfg_add_bytes(s, key, b, sizeof(b));
}

/* FWCfgFiles: be32 count, then one 64-byte FWCfgFile per file. */
static void rebuild_dir(FWCfgState *s)
{
    uint32_t len = 4 + s->nfiles * FW_CFG_FILE_ENTRY_SIZE;
    uint8_t *d = xmalloc(len);
    memset(d, 0, len);
    st32_be(d, s->nfiles);
    for (uint32_t i = 0; i < s->nfiles; i++) {
        uint8_t *f = d + 4 + i * FW_CFG_FILE_ENTRY_SIZE;
        st32_be(f, s->files[i].e.len);
        st16_be(f + 4, (uint16_t)(FW_CFG_FILE_FIRST + i));
        memcpy(f + 8, s->files[i].name, strlen(s->files[i].name));
    }
    FWCfgEntry *e = &s->fixed[0][FW_CFG_FILE_DIR];
    free(e->data);
    e->data = d;
    e->len = len;
    e->present = true;
}

static int find_file(FWCfgState *s, const char *name)
{
    for (uint32_t i = 0; i < s->nfiles; i++)
        if (!strcmp(s->files[i].name, name))
            return (int)i;
    return -1;
}

static int file_set(FWCfgState *s, const char *name, const void *data, uint32_t len,
                    bool replace, Error **errp)
{
    size_t n = strlen(name);
    if (n == 0 || n >= FW_CFG_MAX_FILE_PATH) {
        error_setg(errp, "fw_cfg: file name '%s' must be 1 to %d bytes long", name,
                   FW_CFG_MAX_FILE_PATH - 1);
        return -1;
    }
    int i = find_file(s, name);
    if (i >= 0) {
        if (!replace) {
            error_setg(errp, "fw_cfg: duplicate file name '%s'", name);
            return -1;
        }
        entry_set(&s->files[i].e, data, len);
        rebuild_dir(s);
        return 0;
    }
    if (s->nfiles == FW_CFG_MAX_FILES) {
        error_setg(errp, "fw_cfg: no room for file '%s' (%d files at most)", name,
                   FW_CFG_MAX_FILES);
        return -1;
    }
    if (s->nfiles == s->files_cap) {
        s->files_cap = s->files_cap ? s->files_cap * 2 : 16;
        FWCfgFile *nf = realloc(s->files, s->files_cap * sizeof(*nf));
        if (!nf)
            fatal("out of memory (fw_cfg file table)");
        s->files = nf;
    }
    /* Sorted by name, as QEMU's current machine types: keys follow the order. */
    uint32_t at = s->nfiles;
    while (at > 0 && strcmp(name, s->files[at - 1].name) < 0)
        at--;
    memmove(&s->files[at + 1], &s->files[at], (s->nfiles - at) * sizeof(*s->files));
    memset(&s->files[at], 0, sizeof(*s->files));
    memcpy(s->files[at].name, name, n + 1);
    entry_set(&s->files[at].e, data, len);
    s->nfiles++;
    rebuild_dir(s);
    return 0;
}

int fw_cfg_add_file(FWCfgState *s, const char *name, const void *data, uint32_t len,
                    Error **errp)
{
    return file_set(s, name, data, len, false, errp);
}

int fw_cfg_modify_file(FWCfgState *s, const char *name, const void *data, uint32_t len,
                       Error **errp)
{
    return file_set(s, name, data, len, true, errp);
}

int fw_cfg_file_key(FWCfgState *s, const char *name)
{
    int i = find_file(s, name);
    return i < 0 ? -1 : FW_CFG_FILE_FIRST + i;
}

/* ---- selector and data ports --------------------------------------------- */

static void select_key(FWCfgState *s, uint16_t key)
{
    s->cur_key = key;
    s->cur_offset = 0;
}

static uint8_t data_read_byte(FWCfgState *s)
{
    FWCfgEntry *e = lookup(s, s->cur_key);
    if (!e || s->cur_offset >= e->len)
        return 0;
    return e->data[s->cur_offset++];
}

/* base: selector (16-bit writes); base and base + 1: data (8-bit reads). */
static uint64_t ctl_read(void *opaque, hwaddr off, unsigned size)
{
    (void)off;
    FWCfgState *s = opaque;
    if (size != 1)
        return 0xffff;
    return data_read_byte(s);
}

static void ctl_write(void *opaque, hwaddr off, uint64_t val, unsigned size)
{
    FWCfgState *s = opaque;
    if (size == 2 && off == 0)
        select_key(s, (uint16_t)val);
    else if (log_enabled(LOG_GUEST_ERRORS))
        log_printf("fw_cfg: data write 0x%llx ignored (items are read-only)\n",
                   (unsigned long long)val);
}

static const MemOps ctl_ops = {
    .read = ctl_read,
    .write = ctl_write,
    .valid = { 1, 2 },
    .impl = { 1, 2 },
};

/* ---- DMA ----------------------------------------------------------------- */

static void dma_zero(AddressSpace *as, uint64_t addr, uint64_t len)
{
    static const uint8_t zeros[4096];
    while (len) {
        uint64_t n = len < sizeof(zeros) ? len : sizeof(zeros);
        address_space_write(as, addr, zeros, n);
        addr += n;
        len -= n;
    }
}

/* Run the FWCfgDmaAccess at addr and write back its control word. */
static void dma_transfer(FWCfgState *s, uint64_t addr)
{
    AddressSpace *as = s->m->as;
    uint8_t desc[16];
    address_space_read(as, addr, desc, sizeof(desc));
    uint32_t control = ld32_be(desc);
    uint32_t length = ld32_be(desc + 4);
    uint64_t buf = ld64_be(desc + 8);
    bool error = false;

    if (control & FW_CFG_DMA_CTL_SELECT)
        select_key(s, (uint16_t)(control >> 16));
    int op = control & FW_CFG_DMA_CTL_READ    ? FW_CFG_DMA_CTL_READ
             : control & FW_CFG_DMA_CTL_WRITE ? FW_CFG_DMA_CTL_WRITE
             : control & FW_CFG_DMA_CTL_SKIP  ? FW_CFG_DMA_CTL_SKIP : 0;
    if ((op == FW_CFG_DMA_CTL_READ || op == FW_CFG_DMA_CTL_WRITE) && length &&
        buf + (length - 1) < buf) {
        error = true; /* the guest buffer wraps around the address space */
    } else if (op && length) {
        FWCfgEntry *e = lookup(s, s->cur_key);
        uint32_t avail = e && s->cur_offset < e->len ? e->len - s->cur_offset : 0;
        uint32_t n = length < avail ? length : avail;
        switch (op) {
        case FW_CFG_DMA_CTL_READ:
            /* What lies past the item's end reads as zeros. */
            if (n)
                address_space_write(as, buf, e->data + s->cur_offset, n);
            dma_zero(as, buf + n, length - n);
            s->cur_offset += n;
            break;
        case FW_CFG_DMA_CTL_SKIP:
            s->cur_offset += n;
            break;
        case FW_CFG_DMA_CTL_WRITE:
            error = true; /* every item is read-only to the guest */
            break;
        }
    }
    uint8_t ctl[4];
    st32_be(ctl, error ? FW_CFG_DMA_CTL_ERROR : 0);
    address_space_write(as, addr, ctl, sizeof(ctl));
}

/* base + 4 .. base + 11: the big-endian DMA address; reads give the signature. */
static uint64_t dma_read(void *opaque, hwaddr off, unsigned size)
{
    (void)opaque;
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= ((FW_CFG_DMA_SIGNATURE >> (8 * (7 - (off + i)))) & 0xff) << (8 * i);
    return v;
}

static void dma_write(void *opaque, hwaddr off, uint64_t val, unsigned size)
{
    FWCfgState *s = opaque;
    if (size != 4) {
        if (log_enabled(LOG_GUEST_ERRORS))
            log_printf("fw_cfg: %u-byte write to the DMA address ignored (32-bit only)\n", size);
        return;
    }
    /* Port byte k holds register byte k, most significant first. */
    uint32_t half = bswap32((uint32_t)val);
    if (off == 0) {
        s->dma_addr = (uint64_t)half << 32 | (s->dma_addr & 0xffffffffu);
        return;
    }
    uint64_t addr = (s->dma_addr & ~(uint64_t)0xffffffffu) | half;
    s->dma_addr = 0;
    dma_transfer(s, addr);
}

static const MemOps dma_ops = {
    .read = dma_read,
    .write = dma_write,
    .valid = { 1, 4 },
    .impl = { 1, 4 },
};

/* ---- device -------------------------------------------------------------- */

static void fw_cfg_unrealize(Device *dev)
{
    FWCfgState *s = (FWCfgState *)dev;
    if (s->m) {
        ioport_unregister(s->m->io, s->ctl_mr);
        if (s->dma_mr)
            ioport_unregister(s->m->io, s->dma_mr);
    }
    for (int a = 0; a < 2; a++)
        for (int k = 0; k < FW_CFG_FILE_FIRST; k++) {
            free(s->fixed[a][k].data);
            s->fixed[a][k] = (FWCfgEntry){ 0 };
        }
    for (uint32_t i = 0; i < s->nfiles; i++)
        free(s->files[i].e.data);
    free(s->files);
    s->files = NULL;
    s->nfiles = s->files_cap = 0;
    s->m = NULL;
}

static int fw_cfg_realize(Device *dev, Machine *m, Error **errp)
{
    FWCfgState *s = (FWCfgState *)dev;
    if ((uint32_t)s->iobase + 12 > IOPORT_SPACE_SIZE) {
        error_setg(errp, "fw_cfg: iobase=0x%x leaves no room for its 12 ports", s->iobase);
        return -1;
    }
    s->m = m;
    s->ctl_mr = ioport_register(m->io, s->iobase, 2, &ctl_ops, s, "fw_cfg");
    if (s->dma_enabled)
        s->dma_mr = ioport_register(m->io, (uint16_t)(s->iobase + 4), 8, &dma_ops, s,
                                    "fw_cfg-dma");
    fw_cfg_add_bytes(s, FW_CFG_SIGNATURE, "QEMU", 4);
    fw_cfg_add_i32(s, FW_CFG_ID, FW_CFG_VERSION | (s->dma_enabled ? FW_CFG_VERSION_DMA : 0));
    rebuild_dir(s);
    return 0;
}

static void fw_cfg_reset(Device *dev)
{
    FWCfgState *s = (FWCfgState *)dev;
    select_key(s, 0);
    s->dma_addr = 0;
}

static const VMStateDescription vmstate_fw_cfg = {
    .name = "fw_cfg",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT16(cur_key, FWCfgState),
        VMSTATE_UINT32(cur_offset, FWCfgState),
        VMSTATE_UINT64(dma_addr, FWCfgState),
        VMSTATE_END
    },
};

static const DeviceProp fw_cfg_props[] = {
    DEVICE_PROP("iobase", PROP_U16, FWCfgState, iobase, "0x510", "I/O base of the selector"),
    DEVICE_PROP("dma_enabled", PROP_BOOL, FWCfgState, dma_enabled, "on",
                "offer the DMA interface at iobase + 4"),
    DEVICE_PROP_END
};

const DeviceClass fw_cfg_class = {
    .name = "fw_cfg_io",
    .desc = "QEMU firmware configuration device (I/O ports)",
    .category = "Misc devices",
    .bus = NULL,
    .instance_size = sizeof(FWCfgState),
    .props = fw_cfg_props,
    .user_creatable = false,
    .realize = fw_cfg_realize,
    .reset = fw_cfg_reset,
    .unrealize = fw_cfg_unrealize,
    .vmsd = &vmstate_fw_cfg,
};

FWCfgState *fw_cfg_init_io(Machine *m, uint16_t base, bool dma, Error **errp)
{
    FWCfgState *s = calloc(1, sizeof(*s));
    if (!s)
        fatal("out of memory creating fw_cfg");
    s->dev.cls = &fw_cfg_class;
    s->iobase = base;
    s->dma_enabled = dma;
    if (fw_cfg_realize(&s->dev, m, errp) < 0) {
        free(s);
        return NULL;
    }
    return s;
}

void fw_cfg_free(FWCfgState *s)
{
    if (!s)
        return;
    fw_cfg_unrealize(&s->dev);
    free(s);
}

Device *fw_cfg_device(FWCfgState *s) { return &s->dev; }
