/*
 * common/actions.h - the actions a scope names ("pull", "push", "delete",
 * "*"), as bits.  Used by the configuration reader for the built-in
 * token service's access list, and by access control.
 */
#ifndef BERTH_CORE_COMMON_ACTIONS_H
#define BERTH_CORE_COMMON_ACTIONS_H

/* Actions a token or rule grants. */
#define BERTH_ACTION_PULL 1u
#define BERTH_ACTION_PUSH 2u
#define BERTH_ACTION_DELETE 4u
#define BERTH_ACTION_ALL 0x80u /* "*": every action (and the catalog) */
/** The catalog (registry:catalog:*), beyond the actions on a repository. */
#define BERTH_ACTION_CATALOG 0x100u

/** The bit of one action name ("pull", "push", "delete", "*"); 0 if
    unknown. */
unsigned actions_parse(const char *name);

#endif
