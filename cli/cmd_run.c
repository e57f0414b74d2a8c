#include "cli.h"
int fs_cli_check(int argc, char **argv) { (void)argc; (void)argv; return 1; }
int fs_cli_run(int argc, char **argv) { (void)argc; (void)argv; return 1; }
int fs_cli_runs(int argc, char **argv) { (void)argc; (void)argv; return 1; }
int fs_cli_show(int argc, char **argv) { (void)argc; (void)argv; return 1; }
