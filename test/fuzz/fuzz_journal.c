/*
 * fuzz_journal.c: libFuzzer target for the monitor journal parser, which
 * reads <datadir>/monitor-<name>.journal at startup (a file that a crash, a
 * full disk or a hand edit may have damaged). The input is the file's text,
 * NUL-terminated in an exactly-sized buffer; the parse must either refuse it
 * or return a master index within the monitor's servers.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const NAMES[] = {"g1", "g2", "g3"};
    static const int CONFIG_PRIORITY[] = {1, 0, -1};
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    uint32_t state[3];
    int priority[3];
    int master = journal_parse(text, NAMES, CONFIG_PRIORITY, 3, state, priority);
    if (master != JOURNAL_NOT_A_JOURNAL && (master < -1 || master > 2))
        abort();
    free(text);
    return 0;
}
