/* net_internal.h — internal to the workloads module: what the loader
 * and the network code share. */
#ifndef WRPNSIM_NET_INTERNAL_H
#define WRPNSIM_NET_INTERNAL_H

#include "workloads.h"

/* Marks the classifier, infers shapes at width 1 and applies the file's
 * policy; called once by the loader on a freshly read network. */
int net_finish(wr_net *n, wr_err *e);

/* Largest channel count a layer may reach after widening. */
#define WR_MAX_WIDE_CHANNELS (1 << 24)

#endif
