/* curl_loop.h — libcurl's multi interface driven from a loop that is not
 * curl's (fakeosd's): curl's sockets sit in an epoll set of the loop's
 * own, one descriptor for the caller's loop to watch, and curl's timer is
 * a due time for the caller to wait for. Nothing here waits. The etcd
 * resolver (resolver_etcd.c) and the HTTP gateway (httpgw.c) each own
 * one. */
#ifndef FAKEOS_CURL_LOOP_H
#define FAKEOS_CURL_LOOP_H

#include <curl/curl.h>
#include <stdint.h>

#include "util.h"

struct curl_loop {
	CURLM *m;
	int epfd; /* readable when a socket of curl's is ready */
	uint64_t due; /* CLOCK_MONOTONIC ns of curl's timer; UINT64_MAX none */
};

/* what names the caller in messages ("etcd", "http gateway"). On failure
 * l is as curl_loop_close leaves it. */
int curl_loop_open(struct curl_loop *l, const char *what, struct error *e);
void curl_loop_close(struct curl_loop *l);
/* Hands curl the sockets that are ready (epfd was readable). */
void curl_loop_on_readable(struct curl_loop *l);
/* Runs curl's timer if it is due. */
void curl_loop_on_timer(struct curl_loop *l);
/* Each transfer curl finished since the last call, after any call into
 * curl: fn with arg, the transfer's CURLOPT_PRIVATE and its result. fn
 * may remove and free the transfer. */
void curl_loop_finished(struct curl_loop *l,
			void (*fn)(void *arg, void *priv, CURLcode cc),
			void *arg);

#endif
