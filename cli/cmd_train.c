/* Placeholder until the train model lands: the commands exist but report it. */
#include "cli.h"

int fs_cli_estimate_train(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "fleetsim estimate train: not built yet\n");
	return 1;
}

int fs_cli_validate_train(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "fleetsim validate train: not built yet\n");
	return 1;
}
