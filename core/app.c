/*
 * app.c - the application state's locks: a fixed array of mutexes picked
 * by a hash of a key, so work on one upload or one tag is serialised
 * without a lock table that grows with the number of keys.
 */
#include <string.h>

#include "app.h"

static unsigned stripe_of(const char *key)
{
	/* FNV-1a */
	unsigned h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h % (sizeof(((berth_app *)0)->stripes) /
		    sizeof(((berth_app *)0)->stripes[0]));
}

void app_lock(berth_app *app, const char *key)
{
	pthread_mutex_lock(&app->stripes[stripe_of(key)]);
}

void app_unlock(berth_app *app, const char *key)
{
	pthread_mutex_unlock(&app->stripes[stripe_of(key)]);
}

int app_init(berth_app *app, berth_settings *cfg)
{
	app->cfg = cfg;
	for (size_t i = 0; i < sizeof app->stripes / sizeof app->stripes[0];
	     i++)
		pthread_mutex_init(&app->stripes[i], NULL);
	return 0;
}

void app_fini(berth_app *app)
{
	for (size_t i = 0; i < sizeof app->stripes / sizeof app->stripes[0];
	     i++)
		pthread_mutex_destroy(&app->stripes[i]);
}
