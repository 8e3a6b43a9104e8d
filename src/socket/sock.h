/*
 * socket/sock.h - what the rest of the stack sees of the socket layer: its state's life
 * cycle (stack.c), and whether a struct umk_stack is really a remote handle
 * (umk_stack_open, ctl/remote.c). The API is include/umikame/socket.h; the layer's own
 * parts are in socket/sock_int.h.
 */
#ifndef UMK_SOCKET_SOCK_H
#define UMK_SOCKET_SOCK_H

#include <stdbool.h>

struct umk_stack;

int sock_init(struct umk_stack *s);
/* Frees every socket without sending anything (the stack is going away). */
void sock_fini(struct umk_stack *s);
bool sock_is_remote(const struct umk_stack *s);
/* Closes a umk_stack_open() handle (ctl/remote.c). */
void remote_close(struct umk_stack *s);

#endif
