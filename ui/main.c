/*
 * ui/main.c: argv to a batch command or the console.
 */
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <string.h>

#include "ui.h"

int main(int argc, char **argv)
{
	/* Widths and the console need a UTF-8 LC_CTYPE; mail is UTF-8 (or
	 * escaped), whatever the user's locale says. */
	setlocale(LC_ALL, "");
	if (strcmp(nl_langinfo(CODESET), "UTF-8") != 0 && setlocale(LC_CTYPE, "C.UTF-8") == NULL)
		setlocale(LC_CTYPE, "en_US.UTF-8");
	/* A closed pipe (mailops ... | head) is a write error, not a death. */
	signal(SIGPIPE, SIG_IGN);
	return cli_main(argc - 1, argv + 1);
}
