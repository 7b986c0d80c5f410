/* bench.h — what every bench program shares, host (glibc) and fakeOS
 * (musl) alike: the clock, percentiles, and the datagram stamp that lets a
 * receiver prove nothing was lost, reordered or cut short. Header-only, so
 * both libcs build it without a library of its own. */
#ifndef FAKEOS_BENCH_H
#define FAKEOS_BENCH_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

/* The streaming tests' datagram: one page. */
#define BENCH_MSG 4096

static inline uint64_t bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline int bench_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* A command-line count of at least min; anything else ends the program
 * with status 2 (usage). */
static inline long bench_number(const char *s, long min)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v < min) {
		fprintf(stderr, "bench: bad number '%s' (at least %ld)\n", s,
			min);
		exit(2);
	}
	return v;
}

/* Sorts v and returns its pct-th percentile (50: the median; for an even
 * count the lower middle value, so every figure is one that was seen). */
static inline uint64_t bench_pct(uint64_t *v, size_t n, unsigned pct)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), bench_cmp_u64);
	return v[(n - 1) * pct / 100];
}

/* This process's CPU time so far, user and system, in ns. */
static inline void bench_cpu(uint64_t *user, uint64_t *sys)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	*user = (uint64_t)ru.ru_utime.tv_sec * 1000000000u +
		(uint64_t)ru.ru_utime.tv_usec * 1000u;
	*sys = (uint64_t)ru.ru_stime.tv_sec * 1000000000u +
	       (uint64_t)ru.ru_stime.tv_usec * 1000u;
}

/* A datagram carries its sequence number in its first 8 bytes and the
 * number's low byte again in its last byte, so a receiver sees a lost,
 * repeated, reordered or truncated datagram. */
static inline void bench_stamp(unsigned char *buf, size_t len, uint64_t seq)
{
	memcpy(buf, &seq, sizeof(seq));
	buf[len - 1] = (unsigned char)seq;
}

static inline int bench_stamp_ok(const unsigned char *buf, size_t len,
				 size_t want, uint64_t seq)
{
	uint64_t got;
	if (len != want)
		return 0;
	memcpy(&got, buf, sizeof(got));
	return got == seq && buf[len - 1] == (unsigned char)seq;
}

#endif
