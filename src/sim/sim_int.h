/*
 * Internals shared by libnwsim's files (the simulator and its server).
 */
#ifndef NW_SIM_INT_H
#define NW_SIM_INT_H

#include <nw/buf.h>

/* Append the NSM answer {"Error": "<name of code>"} (InternalError for non-NSM codes). */
nw_err nw_nsm_sim_answer_error(struct nw_buf *resp, nw_err code) NW_MUST_USE;

#endif /* NW_SIM_INT_H */
