/*
 * fuzz_config.c: libFuzzer target for the configuration loader: libconfig's
 * parser and then Ferry's checks (types, ranges, enums, names, references,
 * module parameters, encrypted passwords, $VAR substitution). The input is
 * the file's text, written to a temporary file each run, since the loader
 * reads a path; it must load or fail with an error message, never crash,
 * and a loaded configuration must free cleanly.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "server/config.h"
#include "server/registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char g_path[] = "/tmp/ferry-fuzz-config-XXXXXX";

static void remove_file(void)
{
    unlink(g_path);
}

static void setup(void)
{
    modules_register_all();
    int fd = mkstemp(g_path);
    if (fd < 0) {
        perror("fuzz_config: mkstemp");
        abort();
    }
    close(fd);
    atexit(remove_file);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready++)
        setup();
    FILE *f = fopen(g_path, "w");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
        abort();
    ferry_config cfg;
    char err[1024] = "";
    if (config_load(g_path, &cfg, err, sizeof err) == 0)
        config_free(&cfg);
    else if (!err[0])
        abort(); /* a refusal must say why */
    return 0;
}
