/* Placeholder until the serve model lands: the commands exist but report it. */
#include "cli.h"

int fs_cli_estimate_serve(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "fleetsim estimate serve: not built yet\n");
	return 1;
}

int fs_cli_validate_serve(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "fleetsim validate serve: not built yet\n");
	return 1;
}
