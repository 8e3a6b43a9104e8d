/*
 * tap.h - the Linux TAP driver: creates or attaches to a TAP device and moves frames
 * between it and a stack. Owned by the daemon work (daemon/, tools/).
 */
#ifndef UMK_DRIVERS_TAP_H
#define UMK_DRIVERS_TAP_H
#endif
