/*
 * rss_floor.c - a program that does nothing, linked to the same libraries
 * as the server (see the Makefile).  Its resident size is what loading
 * those libraries costs before any Berth code runs: the floor under the
 * server's idle RSS, printed next to it by the bench.
 */
#include <unistd.h>

int main(void)
{
	pause(); /* until the bench kills it */
	return 0;
}
