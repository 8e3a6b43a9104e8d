/* tap.c - see tap.h */
