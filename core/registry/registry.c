/*
 * registry/registry.c - the registry's locks: a fixed array of mutexes
 * picked by a hash of a key, so work on one upload or one tag is
 * serialised without a lock table that grows with the number of keys.
 */
#include "registry/registry.h"

#define NSTRIPES (sizeof(((berth_registry *)0)->stripes) / \
		  sizeof(((berth_registry *)0)->stripes[0]))

static unsigned stripe_of(const char *key)
{
	/* FNV-1a */
	unsigned h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h % NSTRIPES;
}

void registry_init(berth_registry *reg, berth_settings *cfg)
{
	reg->cfg = cfg;
	for (size_t i = 0; i < NSTRIPES; i++)
		pthread_mutex_init(&reg->stripes[i], NULL);
}

void registry_fini(berth_registry *reg)
{
	for (size_t i = 0; i < NSTRIPES; i++)
		pthread_mutex_destroy(&reg->stripes[i]);
}

void registry_lock(berth_registry *reg, const char *key)
{
	pthread_mutex_lock(&reg->stripes[stripe_of(key)]);
}

void registry_unlock(berth_registry *reg, const char *key)
{
	pthread_mutex_unlock(&reg->stripes[stripe_of(key)]);
}
