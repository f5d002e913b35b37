/*
 * common/actions.c - action names as bits.  Below the layers because the
 * configuration reader checks the token service's access list with it
 * (and the conformance tool links that reader without access control).
 */
#include <string.h>

#include "common/actions.h"

unsigned actions_parse(const char *name)
{
	if (strcmp(name, "pull") == 0)
		return BERTH_ACTION_PULL;
	if (strcmp(name, "push") == 0)
		return BERTH_ACTION_PUSH;
	if (strcmp(name, "delete") == 0)
		return BERTH_ACTION_DELETE;
	if (strcmp(name, "*") == 0)
		return BERTH_ACTION_ALL;
	return 0;
}
