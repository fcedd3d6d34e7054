/* helper_watch: small shared pieces of the watch/informer/fault tests. */
#ifndef HELPER_WATCH_H
#define HELPER_WATCH_H

#include <cjson/cJSON.h>

#include "k8s_client.h"

/* Creates pod `name` (label app=w) in "default" and waits for 201. */
void hw_create_pod(struct k8s_client *c, const char *name);
/* Creates the pod object in "default" and waits for the 201 (test assertion). */
void hw_create_pod_object(struct k8s_client *c, const cJSON *pod);
/* Deletes pod `name` with grace 0 and waits for the answer. */
void hw_delete_pod(struct k8s_client *c, const char *name);
/* Runs the client until *counter >= want (assertion after timeout_ms). */
void hw_wait_count(struct k8s_client *c, const int *counter, int want, int timeout_ms);

#endif
