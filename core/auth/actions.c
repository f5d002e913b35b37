/*
 * auth/actions.c - action names as bits.  Its own file because the
 * configuration reader needs it and the conformance tool links the
 * reader without access control.
 */
#include <string.h>

#include "auth/actions.h"

unsigned auth_action_parse(const char *name)
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
